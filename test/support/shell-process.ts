import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SHELL_ENTRY } from './repo-paths';

/** The promise: `npm run shell` prints its ready line within 10 s. */
export const READY_TIMEOUT_MS = 10_000;

const READY_LINE = /^HDMS shell ready at (http:\/\/127\.0\.0\.1:(\d+)\/)#token=([0-9a-f]+)\s*$/m;

export interface ShellExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartShellOptions {
  /** Data folder; a fresh temporary one (removed by `cleanup()`) when absent. */
  readonly dataDir?: string;
  /** 0 (the default) lets the OS pick a free port. */
  readonly port?: number;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface ShellProcess {
  /** `http://127.0.0.1:PORT/`, without the token. */
  readonly url: string;
  /** The full link from the ready line, `…/#token=HEX`. */
  readonly readyUrl: string;
  readonly readyLine: string;
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  readonly pid: number;
  /** Milliseconds from spawn to the ready line. */
  readonly readyAfterMs: number;
  /** Resolves when the process has exited, whoever stopped it. */
  readonly exited: Promise<ShellExit>;
  stdout(): string;
  stderr(): string;
  /** Sends a signal (SIGTERM by default) and resolves with the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ShellExit>;
  /** Stops the process if it still runs and removes a temporary data folder this helper made. */
  cleanup(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A fresh, empty temporary folder (a data dir, a browser profile). */
export function makeTempDir(prefix = 'hdms-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
}

/**
 * Spawns `node out/main/shell.js` as a user would run it and waits for its ready line.
 * Fails with the shell's stderr when it exits early or stays silent past the ready timeout.
 */
export async function startShell(options: StartShellOptions = {}): Promise<ShellProcess> {
  if (!existsSync(SHELL_ENTRY)) {
    throw new Error(`The browser shell is not built (${path.relative(REPO_ROOT, SHELL_ENTRY)} is missing): run npm run build first.`);
  }
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDir('hdms-shell-'));
  const args = [
    SHELL_ENTRY,
    '--data-dir',
    dataDir,
    '--port',
    String(options.port ?? 0),
    '--log-level',
    options.logLevel ?? 'info',
    // Tests run shells side by side: none may take the real MLLP port 2575 unless it asks to.
    ...((options.extraArgs ?? []).some((arg) => arg.startsWith('--mllp-port')) ? [] : ['--mllp-port', '0']),
    // Nor the DICOM receiver's 11112.
    ...((options.extraArgs ?? []).some((arg) => arg.startsWith('--dicom-port')) ? [] : ['--dicom-port', '0']),
    ...(options.extraArgs ?? []),
  ];
  const startedAt = performance.now();
  // HDMS_SHELL_NODE_ARGS: Node flags for the shell, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the body during a bench.
  const nodeArgs = (process.env['HDMS_SHELL_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ShellExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const diagnostics = (): string => `\n--- shell stdout ---\n${stdout}\n--- shell stderr ---\n${stderr}`;

  const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  let match: RegExpExecArray;
  try {
    match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The shell printed no ready line within ${timeoutMs} ms.${diagnostics()}`)),
        timeoutMs,
      );
      const check = (): void => {
        const found = READY_LINE.exec(stdout);
        if (found !== null) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      child.stdout.on('data', check);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Could not spawn the shell: ${error.message}`));
      });
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`The shell exited before it was ready (code ${exit.code}, signal ${exit.signal}).${diagnostics()}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    if (ownDataDir) await removeDir(dataDir);
    throw error;
  }
  const readyAfterMs = performance.now() - startedAt;
  const [readyLine, url, portText, token] = match as unknown as [string, string, string, string];

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<ShellExit> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    }
    return exited;
  };

  return {
    url,
    readyUrl: `${url}#token=${token}`,
    readyLine: readyLine.trim(),
    port: Number(portText),
    token,
    dataDir,
    pid: child.pid ?? -1,
    readyAfterMs,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    stop,
    cleanup: async () => {
      await stop('SIGTERM', 5_000);
      if (ownDataDir) await removeDir(dataDir);
    },
  };
}
