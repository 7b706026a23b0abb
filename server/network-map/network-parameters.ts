import type { Wallet } from 'ethers';
import { DEFAULT_NETWORK_CHAIN_ID, type PinnedNetwork } from '../../shared/network/network-domain';
import { NetworkParametersSchema, type NetworkParameters, type Settlement } from '../../shared/network/network-map';
import { ADVISORY_LOCKS, lockInTransaction, type Database, type Queryable } from '../storage/database';
import { publishNetworkMap } from './network-map-store';

/**
 * The network's parameters: chosen at the first start (flags or defaults), stored in the database,
 * and fixed from then on (they are part of every signed map, and the chain id is part of every
 * signature's domain). A later start that asks for different ones is refused, as is a network key
 * other than the one the database was created with.
 */
export interface ParameterChoices {
  readonly name?: string;
  readonly chainId?: number;
  readonly witnessQuorum?: number;
  readonly maxMessageSize?: number;
  readonly minAppVersion?: string;
  /** The notary's log key (its vkey; server/notary/log-key.ts): set at creation, or once on a network created before the notary. */
  readonly logVkey?: string;
  /**
   * The settlement chain (issue 15 item 2): set at creation or once on a network that has none;
   * after that the chain id, token, escrow and anchor are fixed and only the RPC endpoint may move.
   */
  readonly settlement?: Settlement;
}

export const DEFAULT_PARAMETERS = {
  name: 'HDMS Network',
  chainId: DEFAULT_NETWORK_CHAIN_ID,
  witnessQuorum: 1,
  maxMessageSize: 1024 * 1024,
  minAppVersion: '0.1.0',
} as const;

/** What every service of one server process knows about its network. */
export interface NetworkContext {
  readonly key: Wallet;
  readonly parameters: NetworkParameters;
  readonly pinned: PinnedNetwork;
}

export class NetworkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkConfigError';
  }
}

interface ParametersRow {
  name: string;
  chain_id: number;
  network_address: string;
  witness_quorum: number;
  max_message_size: number;
  min_app_version: string;
  log_vkey: string;
  settlement: Settlement | string | null;
}

function fromRow(row: ParametersRow): NetworkParameters {
  return NetworkParametersSchema.parse({
    name: row.name,
    chainId: row.chain_id,
    keys: { network: row.network_address, log: row.log_vkey },
    witnessQuorum: row.witness_quorum,
    maxMessageSize: row.max_message_size,
    minAppVersion: row.min_app_version,
    // PGlite returns jsonb parsed, node-postgres too; a string only from a driver that does not.
    ...(row.settlement === null ? {} : { settlement: typeof row.settlement === 'string' ? (JSON.parse(row.settlement) as unknown) : row.settlement }),
  });
}

export async function readParameters(db: Queryable): Promise<NetworkParameters | null> {
  const result = await db.query<ParametersRow & Record<string, unknown>>('SELECT name, chain_id, network_address, witness_quorum, max_message_size, min_app_version, log_vkey, settlement FROM network_parameters WHERE id = 1');
  return result.rows[0] === undefined ? null : fromRow(result.rows[0]);
}

/**
 * Creates the network at the first start (parameters, state, the epoch-0 map) or checks that this
 * start agrees with it. Returns the context every service uses.
 */
export async function ensureNetwork(db: Database, key: Wallet, choices: ParameterChoices = {}, now: () => number = Date.now): Promise<NetworkContext> {
  const parameters = await db.transaction(async (tx) => {
    await lockInTransaction(tx, ADVISORY_LOCKS.membership);
    const existing = await readParameters(tx);
    if (existing !== null) {
      if (existing.keys.network !== key.address) {
        throw new NetworkConfigError(`this data folder's network key (${key.address}) is not the network's key (${existing.keys.network}): copy network.key from the server that created the network`);
      }
      const fixed: [keyof ParameterChoices, unknown, unknown][] = [
        ['name', choices.name, existing.name],
        ['chainId', choices.chainId, existing.chainId],
        ['witnessQuorum', choices.witnessQuorum, existing.witnessQuorum],
        ['maxMessageSize', choices.maxMessageSize, existing.maxMessageSize],
        ['minAppVersion', choices.minAppVersion, existing.minAppVersion],
      ];
      for (const [name, asked, actual] of fixed) {
        if (asked !== undefined && asked !== actual) throw new NetworkConfigError(`the network was created with ${name} ${JSON.stringify(actual)}; parameters are fixed at the first start`);
      }
      let updated = existing;
      if (choices.logVkey !== undefined && choices.logVkey !== existing.keys.log) {
        if (existing.keys.log !== '') throw new NetworkConfigError('this data folder\'s log key is not the network\'s log key: copy log.key from the server that created the network');
        updated = NetworkParametersSchema.parse({ ...updated, keys: { ...updated.keys, log: choices.logVkey } });
        await tx.query('UPDATE network_parameters SET log_vkey = $1 WHERE id = 1', [choices.logVkey]);
      }
      if (choices.settlement !== undefined && !sameSettlement(choices.settlement, existing.settlement)) {
        checkSettlementChange(existing.settlement, choices.settlement);
        updated = NetworkParametersSchema.parse({ ...updated, settlement: choices.settlement });
        await tx.query('UPDATE network_parameters SET settlement = $1 WHERE id = 1', [JSON.stringify(updated.settlement)]);
      }
      if (updated !== existing) await publishNetworkMap(tx, { key, parameters: updated }, now(), { bumpEpoch: true });
      return updated;
    }
    const created = NetworkParametersSchema.parse({
      name: choices.name ?? DEFAULT_PARAMETERS.name,
      chainId: choices.chainId ?? DEFAULT_PARAMETERS.chainId,
      keys: { network: key.address, log: choices.logVkey ?? '' },
      witnessQuorum: choices.witnessQuorum ?? DEFAULT_PARAMETERS.witnessQuorum,
      maxMessageSize: choices.maxMessageSize ?? DEFAULT_PARAMETERS.maxMessageSize,
      minAppVersion: choices.minAppVersion ?? DEFAULT_PARAMETERS.minAppVersion,
      ...(choices.settlement ? { settlement: choices.settlement } : {}),
    });
    await tx.query(
      'INSERT INTO network_parameters (id, name, chain_id, network_address, witness_quorum, max_message_size, min_app_version, log_vkey, settlement, created_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [created.name, created.chainId, created.keys.network, created.witnessQuorum, created.maxMessageSize, created.minAppVersion, created.keys.log ?? '', created.settlement ? JSON.stringify(created.settlement) : null, now()],
    );
    await tx.query('INSERT INTO network_state (id, epoch, next_serial) VALUES (1, 0, 1)');
    await publishNetworkMap(tx, { key, parameters: created }, now(), { bumpEpoch: false });
    return created;
  });
  return { key, parameters, pinned: { address: parameters.keys.network, chainId: parameters.chainId } };
}

function sameSettlement(a: Settlement, b: Settlement | undefined): boolean {
  return b !== undefined && (Object.keys(a) as (keyof Settlement)[]).every((field) => a[field] === b[field]);
}

/** A network's settlement is set once; then only its RPC endpoint may change (the contracts and the chain are what payments point at). */
function checkSettlementChange(existing: Settlement | undefined, asked: Settlement): void {
  if (existing === undefined) return;
  for (const field of ['chainId', 'token', 'escrow', 'anchor', 'confirmations'] as const) {
    if (asked[field] !== existing[field]) {
      throw new NetworkConfigError(`the network settles on chain ${existing.chainId} with ${field} ${JSON.stringify(existing[field])}; only the settlement RPC endpoint may change once set`);
    }
  }
}
