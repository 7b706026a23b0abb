import { spawn } from 'node:child_process';
import type { VaultCheckReport } from '../../electron/storage/vault-check';
import { REPO_ROOT } from './repo-paths';

export interface VaultCheckRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The one JSON line `npm run --silent vault:check` prints, parsed; undefined when stdout was not one JSON object. */
  readonly report: VaultCheckReport | undefined;
}

/**
 * Runs the IT check command as `npm run vault:check` does (`node --import tsx
 * electron/storage/vault-check-main.ts --data-dir DIR`), killed after `timeoutMs`.
 */
export function runVaultCheck(dataDir: string, timeoutMs = 60_000): Promise<VaultCheckRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/storage/vault-check-main.ts', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (exitCode) => {
      let report: VaultCheckReport | undefined;
      const lines = stdout.trim().split('\n');
      if (lines.length === 1) {
        try {
          report = JSON.parse(lines[0]!) as VaultCheckReport;
        } catch {
          report = undefined;
        }
      }
      resolve({ exitCode, stdout, stderr, report });
    });
  });
}
