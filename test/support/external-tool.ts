import { spawn } from 'node:child_process';

export interface ToolRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** true when coreutils `timeout` had to stop it (exit code 124). */
  readonly timedOut: boolean;
}

/** The package .ci/run installs for a missing program, said the same way everywhere. */
export function missingToolMessage(program: string, aptPackage: string): string {
  return (
    `${program} is not installed: it comes with the Debian package ${aptPackage} ` +
    `(apt-get install --no-install-recommends ${aptPackage}; .ci/run installs it).`
  );
}

/**
 * Runs a third-party program under coreutils `timeout`, so a hung peer can never hang the suite.
 * `input` is written to its stdin, which is then closed.
 */
export function runTool(
  program: string,
  args: readonly string[],
  options: { readonly timeoutSeconds?: number; readonly input?: string | Buffer; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<ToolRun> {
  const seconds = options.timeoutSeconds ?? 20;
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['--kill-after=5', String(seconds), program, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, timedOut: code === 124 }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Whether `program` is on PATH (or is an existing path); uses `command -v` through sh. */
export async function hasTool(program: string): Promise<boolean> {
  const run = await runTool('sh', ['-c', 'command -v "$1"', 'sh', program], { timeoutSeconds: 5 });
  return run.code === 0 && run.stdout.trim() !== '';
}
