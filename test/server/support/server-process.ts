import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../support/repo-paths';

/** The server as a child process, the way an operator runs it. */
export const SERVER_MAIN = path.join(REPO_ROOT, 'server', 'main.ts');
const READY_LINE = /^HDMS server ready at (https?:\/\/[^\s]+)$/;

export interface ServerChild {
  readonly url: string;
  readonly readyAfterMs: number;
  stdout(): string;
  stderr(): string;
  /** Signals the process (SIGTERM) and resolves with its exit code, or the signal's name if a signal ended it. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
});

/** Spawns `node --import tsx server/main.ts ARGS` (or `npm run server -- ARGS`) and waits for its ready line. */
export async function spawnServer(args: readonly string[], options: { readonly viaNpm?: boolean; readonly timeoutMs?: number } = {}): Promise<ServerChild> {
  const started = performance.now();
  const child = options.viaNpm
    ? // npm runs the script through a shell that does not pass signals on: give it a process group to signal whole.
      spawn('npm', ['run', '--silent', 'server', '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, ['--import', 'tsx', SERVER_MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${options.timeoutMs ?? 60_000} ms; stderr: ${err}`)), options.timeoutMs ?? 60_000);
    const check = (): void => {
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        const match = READY_LINE.exec(line ?? '');
        if (match) resolve(match[1]!);
        else reject(new Error(`unexpected first line ${JSON.stringify(line)}; stderr: ${err}`));
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before its ready line; stderr: ${err}`));
    });
  });
  const readyAfterMs = Math.round(performance.now() - started);
  return {
    url,
    readyAfterMs,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        if (options.viaNpm) process.kill(-child.pid!, signal);
        else child.kill(signal);
      }
      return exited;
    },
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx server/main.ts ARGS` to completion (the members commands, refusals). */
export async function runServerCli(args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SERVER_MAIN, ...args], { cwd: REPO_ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
