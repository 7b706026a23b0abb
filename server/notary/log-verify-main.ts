// `npm run --silent log:verify -- URL [--network ADDRESS] [--log-key VKEY] [--quorum] [--chain-rpc URL | --no-anchor]`:
// replays the notary's whole log from the server's raw entries and checks it against its signed
// checkpoint, every entry's signature and chain, and the checkpoint anchored on the settlement chain
// (server/notary/log-audit.ts), then prints exactly one JSON line:
//   {"ok":true,"origin":"…","size":N,"leavesRead":N,"rootHash":"…","computedRootHash":"…","witnesses":{…},"errors":[],"entries":{"checked":N,"nodes":K,"problems":[]},"anchor":{…}}
// Exit 0 verified, 1 any failure (a problem found, the server unreachable), 2 bad usage.
import { auditLog, type AuditOptions } from './log-audit';

const USAGE =
  'usage: npm run --silent log:verify -- URL [--network ADDRESS] [--log-key VKEY] [--quorum] [--chain-rpc URL | --no-anchor]\n' +
  '  Fetches the network map, the log checkpoint and every raw entry of the notary at URL, replays the\n' +
  '  Merkle tree and checks each entry\'s signature and chain; prints one JSON line; exit 1 on any failure.\n' +
  '  --network ADDRESS  the network key you pinned (else the map is only checked to be self-signed)\n' +
  '  --log-key VKEY     the log key to trust (else keys.log of the verified map)\n' +
  '  --quorum           also require the map\'s witness quorum of cosignatures on the checkpoint\n' +
  '  --chain-rpc URL    read the chain anchor through this JSON-RPC endpoint (else the map\'s settlement rpcUrl)\n' +
  '  --no-anchor        skip the chain anchor check (it runs whenever the map names a settlement chain)\n';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  let url: string | null = null;
  const options: { network?: string; logKey?: string; quorum?: boolean; chainRpc?: string; anchor?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--network' || arg === '--log-key' || arg === '--chain-rpc') {
      const value = args[++i];
      if (value === undefined) return usage(`${arg} needs a value`);
      if (arg === '--network') options.network = value;
      else if (arg === '--log-key') options.logKey = value;
      else if (!/^https?:\/\//.test(value)) return usage('--chain-rpc takes an http:// or https:// URL');
      else options.chainRpc = value;
    } else if (arg === '--quorum') options.quorum = true;
    else if (arg === '--no-anchor') options.anchor = false;
    else if (arg.startsWith('-') || url !== null) return usage(`unexpected argument ${JSON.stringify(arg.slice(0, 40))}`);
    else url = arg;
  }
  if (url === null || !/^https?:\/\//.test(url)) return usage('name the server\'s URL (http:// or https://)');
  if (options.chainRpc !== undefined && options.anchor === false) return usage('--chain-rpc and --no-anchor exclude each other');
  try {
    const report = await auditLog(url, options as AuditOptions);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, errors: [(error as Error).message] })}\n`);
    process.exitCode = 1;
  }
}

function usage(problem: string): void {
  process.stderr.write(`log:verify: ${problem}\n${USAGE}`);
  process.exitCode = 2;
}

void main();
