// `npm run --silent vault:check -- --data-dir DIR`: verifies a vault read-only, without its
// passphrase, and prints exactly one JSON line (see vault-check.ts). Exit 0 consistent, 1 not,
// 2 bad usage.
import { checkVault, parseVaultCheckArgs, vaultCheckExitCode, type VaultCheckReport } from './vault-check';

const USAGE = 'usage: npm run --silent vault:check -- --data-dir DIR\n' + '  Verifies the journal and every object of the vault in DIR without changing it; prints one JSON line.\n';

async function main(): Promise<void> {
  const args = parseVaultCheckArgs(process.argv.slice(2));
  if ('help' in args) {
    process.stdout.write(USAGE);
    return;
  }
  if ('error' in args) {
    process.stderr.write(`vault:check: ${args.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let report: VaultCheckReport;
  try {
    report = await checkVault(args.dataDir);
  } catch (error) {
    report = { journal: { records: 0, byKind: {}, tornTail: false, repairs: [] }, objects: 0, inlineObjects: 0, errors: [`vault check failed: ${(error as Error).message}`] };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = vaultCheckExitCode(report);
}

void main();
