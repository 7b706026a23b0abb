import { getAddress } from 'ethers';
import type pino from 'pino';
import type { ChainChoice } from '../chain/settlement-chain';
import type { ParameterChoices } from '../network-map/network-parameters';

/**
 * The command line of `npm run server` (flags may also be written --flag=value):
 *
 *   npm run server -- --data-dir DIR [--port N] [--host H] [--database postgres://…]
 *                     [--tls-cert FILE --tls-key FILE] [--auto-approve] [--log-level L]
 *                     [--network-name NAME] [--chain-id N] [--witness-quorum N]
 *                     [--max-message-size BYTES] [--min-app-version X.Y.Z]
 *                     [--delivery-ttl-hours N] [--delivery-max-bytes BYTES] [--delivery-bytes-per-day BYTES]
 *                     [--dev-chain [--dev-chain-port N] | --chain-rpc URL --chain-token ADDRESS
 *                      --chain-escrow ADDRESS --chain-anchor ADDRESS] [--chain-confirmations N]
 *                     [--anchor-interval SECONDS]
                    [--dev-chain [--dev-chain-port N] | --chain-rpc URL --chain-token ADDRESS
                     --chain-escrow ADDRESS --chain-anchor ADDRESS] [--chain-confirmations N]
                    [--anchor-interval SECONDS]
 *   npm run server -- --data-dir DIR [--database postgres://…] members list [--json]
 *   npm run server -- --data-dir DIR [--database postgres://…] members approve|reject|revoke ADDRESS
 */
export const USAGE = `usage:
  npm run server -- --data-dir DIR [--port N] [--host H] [--database postgres://…]
                    [--tls-cert FILE --tls-key FILE] [--auto-approve] [--log-level L]
                    [--network-name NAME] [--chain-id N] [--witness-quorum N]
                    [--max-message-size BYTES] [--min-app-version X.Y.Z]
                    [--delivery-ttl-hours N] [--delivery-max-bytes BYTES] [--delivery-bytes-per-day BYTES]
  npm run server -- --data-dir DIR [--database postgres://…] members list [--json]
  npm run server -- --data-dir DIR [--database postgres://…] members approve|reject|revoke ADDRESS

  --data-dir DIR      the server's folder: network key, embedded database, logs (required)
  --port N            TCP port; 0 picks a free one (default 0)
  --host H            address to listen on (default 127.0.0.1); any other than loopback
                      needs --tls-cert and --tls-key
  --database URL      a real PostgreSQL instead of the embedded one (keep the password out of
                      the URL: PGPASSWORD or ~/.pgpass)
  --auto-approve      approve every valid join request at once (a demo network)
  --network-name …    parameters of a new network; fixed once the network exists
  --delivery-…        the delivery blob store (<data-dir>/deliveries): how long a delivery is
                      kept (default 168 hours), the largest one (default 64 GiB) and the bytes a
                      member may send per UTC day (default 256 GiB)
  --dev-chain         settle purchases on an embedded dev chain (ganache, state in
                      <data-dir>/dev-chain; contracts deployed by the network key; a faucet for
                      members); a demo or test network only
  --chain-rpc URL     settle on a real EVM chain where PhdToken, PurchaseEscrow and CheckpointAnchor
                      are deployed at --chain-token, --chain-escrow, --chain-anchor; the network
                      key's account there anchors the log (it needs gas)
  --chain-confirmations N   blocks a payment needs before keepers rely on it (default 1)
  --anchor-interval SECONDS how often the log checkpoint is anchored on the chain (default 600; 0 never)
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface CommonArgs {
  readonly dataDir: string;
  readonly database: string | null;
  readonly logLevel: pino.LevelWithSilent;
}

export interface ServeArgs extends CommonArgs {
  readonly command: 'serve';
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly autoApprove: boolean;
  readonly parameters: ParameterChoices;
  /** The delivery blob store's limits given on the command line (server/delivery/). */
  readonly delivery: DeliveryChoices;
  readonly chain: ChainChoice | null;
  readonly anchorIntervalMs: number;
}

export interface DeliveryChoices {
  readonly ttlMs?: number;
  readonly maxBlobBytes?: number;
  readonly bytesPerDay?: number;
}

export type MembersAction = 'list' | 'approve' | 'reject' | 'revoke';

export interface MembersArgs extends CommonArgs {
  readonly command: 'members';
  readonly action: MembersAction;
  readonly address: string | null;
  readonly json: boolean;
}

export type ServerArgs = ServeArgs | MembersArgs;

const VALUE_FLAGS = new Set(['--data-dir', '--port', '--host', '--database', '--tls-cert', '--tls-key', '--log-level', '--network-name', '--chain-id', '--witness-quorum', '--max-message-size', '--min-app-version', '--delivery-ttl-hours', '--delivery-max-bytes', '--delivery-bytes-per-day', '--dev-chain-port', '--chain-rpc', '--chain-token', '--chain-escrow', '--chain-anchor', '--chain-confirmations', '--anchor-interval']);
const BOOLEAN_FLAGS = new Set(['--auto-approve', '--json', '--dev-chain']);

/** Whether an address to listen on stays on this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}`);
  return Number(text);
}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq >= 0) throw new UsageError(`${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown option ${name}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
    if (values.has(name)) throw new UsageError(`${name} is given twice`);
    values.set(name, value);
  }
  const dataDir = values.get('--data-dir');
  if (dataDir === undefined) throw new UsageError('--data-dir DIR is required');
  const database = values.get('--database') ?? null;
  if (database !== null && !/^postgres(ql)?:\/\//.test(database)) throw new UsageError('--database takes a postgres:// URL');
  const logLevel = (values.get('--log-level') ?? 'info') as pino.LevelWithSilent;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level takes one of ${LOG_LEVELS.join(', ')}`);
  const common = { dataDir, database, logLevel };

  if (positional.length > 0) {
    if (positional[0] !== 'members') throw new UsageError(`unknown command ${positional[0]}`);
    const action = positional[1];
    const serveOnly = [...values.keys(), ...flags].filter((flag) => !['--data-dir', '--database', '--log-level', '--json'].includes(flag));
    if (serveOnly.length > 0) throw new UsageError(`${serveOnly[0]} does not apply to members commands`);
    if (action === 'list') {
      if (positional.length !== 2) throw new UsageError('members list takes no argument');
      return { ...common, command: 'members', action, address: null, json: flags.has('--json') };
    }
    if (action === 'approve' || action === 'reject' || action === 'revoke') {
      if (positional.length !== 3) throw new UsageError(`members ${action} takes one ADDRESS`);
      let address: string;
      try {
        address = getAddress(positional[2]!);
      } catch {
        throw new UsageError(`${positional[2]} is not an address (0x and 40 hex digits, checksummed if mixed case)`);
      }
      if (flags.has('--json')) throw new UsageError('--json applies to members list only');
      return { ...common, command: 'members', action, address, json: false };
    }
    throw new UsageError('members takes list, approve ADDRESS, reject ADDRESS or revoke ADDRESS');
  }

  if (flags.has('--json')) throw new UsageError('--json applies to members list only');
  const host = values.get('--host') ?? '127.0.0.1';
  const port = integer('--port', values.get('--port') ?? '0', 0, 65535);
  const certFile = values.get('--tls-cert');
  const keyFile = values.get('--tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null;
  if (tls === null && !isLoopbackHost(host)) {
    throw new UsageError(`refusing to listen on ${host} without TLS: an address other than loopback (127.0.0.1, ::1, localhost) needs --tls-cert FILE and --tls-key FILE`);
  }
  const parameters: { -readonly [K in keyof ParameterChoices]: ParameterChoices[K] } = {};
  if (values.has('--network-name')) parameters.name = values.get('--network-name')!;
  if (values.has('--chain-id')) parameters.chainId = integer('--chain-id', values.get('--chain-id')!, 1, Number.MAX_SAFE_INTEGER);
  if (values.has('--witness-quorum')) parameters.witnessQuorum = integer('--witness-quorum', values.get('--witness-quorum')!, 0, 1000);
  if (values.has('--max-message-size')) parameters.maxMessageSize = integer('--max-message-size', values.get('--max-message-size')!, 1, 1024 * 1024 * 1024);
  if (values.has('--min-app-version')) parameters.minAppVersion = values.get('--min-app-version')!;
  const delivery: { -readonly [K in keyof DeliveryChoices]: DeliveryChoices[K] } = {};
  if (values.has('--delivery-ttl-hours')) delivery.ttlMs = integer('--delivery-ttl-hours', values.get('--delivery-ttl-hours')!, 1, 24 * 365) * 3600_000;
  if (values.has('--delivery-max-bytes')) delivery.maxBlobBytes = integer('--delivery-max-bytes', values.get('--delivery-max-bytes')!, 1, Number.MAX_SAFE_INTEGER);
  if (values.has('--delivery-bytes-per-day')) delivery.bytesPerDay = integer('--delivery-bytes-per-day', values.get('--delivery-bytes-per-day')!, 1, Number.MAX_SAFE_INTEGER);
  return { ...common, command: 'serve', host, port, tls, autoApprove: flags.has('--auto-approve'), parameters, delivery, chain: chainChoice(values, flags), anchorIntervalMs: integer('--anchor-interval', values.get('--anchor-interval') ?? '600', 0, 7 * 86_400) * 1000 };
}

function address(flag: string, text: string | undefined): string {
  if (text === undefined) throw new UsageError(`--chain-rpc needs ${flag} ADDRESS`);
  try {
    return getAddress(text);
  } catch {
    throw new UsageError(`${flag} takes an address (0x and 40 hex digits, checksummed if mixed case)`);
  }
}

function chainChoice(values: ReadonlyMap<string, string>, flags: ReadonlySet<string>): ChainChoice | null {
  const confirmations = integer('--chain-confirmations', values.get('--chain-confirmations') ?? '1', 1, 7_200);
  const rpcFlags = ['--chain-rpc', '--chain-token', '--chain-escrow', '--chain-anchor'].filter((flag) => values.has(flag));
  if (flags.has('--dev-chain')) {
    if (rpcFlags.length > 0) throw new UsageError(`--dev-chain and ${rpcFlags[0]} exclude each other`);
    return { kind: 'dev', port: integer('--dev-chain-port', values.get('--dev-chain-port') ?? '0', 0, 65535), confirmations };
  }
  if (values.has('--dev-chain-port')) throw new UsageError('--dev-chain-port needs --dev-chain');
  if (rpcFlags.length === 0) {
    if (values.has('--chain-confirmations')) throw new UsageError('--chain-confirmations needs --dev-chain or --chain-rpc');
    return null;
  }
  const rpcUrl = values.get('--chain-rpc');
  if (rpcUrl === undefined) throw new UsageError(`${rpcFlags[0]} needs --chain-rpc URL`);
  if (!/^https?:\/\/[^\s@/]+(\/\S*)?$/.test(rpcUrl)) throw new UsageError('--chain-rpc takes an http(s) URL without credentials (it is published in the network map)');
  return { kind: 'rpc', rpcUrl, token: address('--chain-token', values.get('--chain-token')), escrow: address('--chain-escrow', values.get('--chain-escrow')), anchor: address('--chain-anchor', values.get('--chain-anchor')), confirmations };
}
