// `npm run --silent vault:keyring -- --data-dir DIR [--restore REV]`: lists the vault's current
// and kept keyrings (no key material), or makes kept revision REV current again. Run it while the
// app is stopped. Prints exactly one JSON line. Exit 0 done (a usable current keyring, or
// restored), 1 otherwise, 2 bad usage.
import { listKeyrings, parseKeyringArgs, restoreKeyring } from './keyring-rollback';

const USAGE =
  'usage: npm run --silent vault:keyring -- --data-dir DIR [--restore REV]\n' +
  '  Lists the current keyring and the kept revisions (operators, roles, slot kinds; no key material),\n' +
  '  or with --restore makes kept revision REV current again (the current one is kept). App stopped.\n';

async function main(): Promise<void> {
  const args = parseKeyringArgs(process.argv.slice(2));
  if ('help' in args) {
    process.stdout.write(USAGE);
    return;
  }
  if ('error' in args) {
    process.stderr.write(`vault:keyring: ${args.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let report: { errors: readonly string[] };
  try {
    report = args.restore === null ? await listKeyrings(args.dataDir) : await restoreKeyring(args.dataDir, args.restore);
  } catch (error) {
    report = { errors: [`vault:keyring failed: ${(error as Error).message}`] };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.errors.length === 0 ? 0 : 1;
}

void main();
