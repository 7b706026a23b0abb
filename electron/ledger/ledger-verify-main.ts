// `npm run --silent ledger:verify -- FILE`: verifies an exported signed ledger (ledger-<UTC>.jsonl)
// or a signed node-info document (node-info-<UTC>.json) without the vault or this app's state, and
// prints exactly one JSON line:
//   {"ok":true,"entries":N,"node":"0x…","head":"0x…"}            a ledger that verifies
//   {"ok":true,"format":"hdms-node-info","node":"0x…"}           a node-info document that verifies
//   {"ok":false,"entries":K,"node":"0x…","firstBreak":{"seq":S,"problem":"…"}}
// Exit 0 verified, 1 any failure (a break, an unreadable file), 2 bad usage.
import { verifyLedgerFile } from './ledger-file-verify';

const USAGE =
  'usage: npm run --silent ledger:verify -- FILE\n' +
  '  Checks every signature (ethers.verifyTypedData), the hash chain and the strict entry schema of an\n' +
  '  exported HDMS ledger (or a node-info document); prints one JSON line; exit 1 on any failure.\n';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    process.stderr.write(`ledger:verify: ${args.length === 0 ? 'name the file to verify' : 'exactly one file, no options'}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const result = await verifyLedgerFile(args[0]!);
    const line = result.ok
      ? result.format === 'hdms-ledger'
        ? { ok: true, entries: result.entries, node: result.node, head: result.head }
        : { ok: true, format: result.format, node: result.node }
      : { ok: false, entries: result.entries, node: result.node, firstBreak: result.firstBreak };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'that is a folder, not a file' : `the file could not be read (${code ?? (error as Error).name})`;
    process.stdout.write(`${JSON.stringify({ ok: false, entries: 0, node: null, firstBreak: { seq: 0, problem } })}\n`);
    process.exitCode = 1;
  }
}

void main();
