import { parseArgs } from 'node:util';
import { getAddress } from 'ethers';

/** `npm run keeper -- …`: the command line of the key keeper (server/keeper/keeper-main.ts). */
export const KEEPER_USAGE = `Usage: npm run keeper -- --data-dir DIR --server URL [options]

  --data-dir DIR          the keeper's folder: its keys, pinned network, shares and ledger
  --server URL            the network server (https, or http on this computer)
  --name NAME             the keeper's institution (its join request; needed at the first start)
  --country CC            ISO 3166 country code (its join request; needed at the first start)
  --fingerprint FP        the network's fingerprint, compared before the first start pins its key
  --chain-rpc URL         the settlement chain's JSON-RPC endpoint (default: the network map's)
  --escrow ADDRESS        the purchase escrow contract (default: the network map's)
  --confirmations N       the confirmation depth a deposit needs (default: the network map's)
  --poll-ms N             how often the inbox is read (default 1000)
  --log-level LEVEL       pino level for the log on stderr (default info)
`;

export class KeeperUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeeperUsageError';
  }
}

export interface KeeperArgs {
  readonly dataDir: string;
  readonly serverUrl: string;
  readonly name?: string;
  readonly country?: string;
  readonly fingerprint?: string;
  readonly chainRpc?: string;
  readonly escrow?: string;
  readonly confirmations?: number;
  readonly pollMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function wholeNumber(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min) throw new KeeperUsageError(`${flag} takes a whole number ≥ ${min}.`);
  return Number(text);
}

export function parseKeeperArgs(argv: readonly string[]): KeeperArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        server: { type: 'string' },
        name: { type: 'string' },
        country: { type: 'string' },
        fingerprint: { type: 'string' },
        'chain-rpc': { type: 'string' },
        escrow: { type: 'string' },
        confirmations: { type: 'string' },
        'poll-ms': { type: 'string' },
        'log-level': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new KeeperUsageError((error as Error).message);
  }
  const dataDir = values['data-dir'];
  const server = values.server;
  if (dataDir === undefined || dataDir === '') throw new KeeperUsageError('--data-dir is required.');
  if (server === undefined) throw new KeeperUsageError('--server is required.');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KeeperUsageError('--server must be a URL.');
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) throw new KeeperUsageError('--server must be https (plain http only to this computer).');
  let escrow: string | undefined;
  if (values.escrow !== undefined) {
    try {
      escrow = getAddress(values.escrow);
    } catch {
      throw new KeeperUsageError('--escrow must be an address.');
    }
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(logLevel)) throw new KeeperUsageError(`--log-level is one of ${LEVELS.join(', ')}.`);
  const confirmations = wholeNumber(values.confirmations, '--confirmations', 0);
  return {
    dataDir,
    serverUrl: url.origin,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.country !== undefined ? { country: values.country } : {}),
    ...(values.fingerprint !== undefined ? { fingerprint: values.fingerprint } : {}),
    ...(values['chain-rpc'] !== undefined ? { chainRpc: values['chain-rpc'] } : {}),
    ...(escrow !== undefined ? { escrow } : {}),
    ...(confirmations !== undefined ? { confirmations } : {}),
    pollMs: wholeNumber(values['poll-ms'], '--poll-ms', 50) ?? 1000,
    logLevel: logLevel as KeeperArgs['logLevel'],
  };
}
