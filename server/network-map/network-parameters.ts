import type { Wallet } from 'ethers';
import { DEFAULT_NETWORK_CHAIN_ID, type PinnedNetwork } from '../../shared/network/network-domain';
import { NetworkParametersSchema, type NetworkParameters } from '../../shared/network/network-map';
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
}

function fromRow(row: ParametersRow): NetworkParameters {
  return NetworkParametersSchema.parse({
    name: row.name,
    chainId: row.chain_id,
    keys: { network: row.network_address, log: row.log_vkey },
    witnessQuorum: row.witness_quorum,
    maxMessageSize: row.max_message_size,
    minAppVersion: row.min_app_version,
  });
}

export async function readParameters(db: Queryable): Promise<NetworkParameters | null> {
  const result = await db.query<ParametersRow & Record<string, unknown>>('SELECT name, chain_id, network_address, witness_quorum, max_message_size, min_app_version, log_vkey FROM network_parameters WHERE id = 1');
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
      if (choices.logVkey !== undefined && choices.logVkey !== existing.keys.log) {
        if (existing.keys.log !== '') throw new NetworkConfigError('this data folder\'s log key is not the network\'s log key: copy log.key from the server that created the network');
        const updated = NetworkParametersSchema.parse({ ...existing, keys: { ...existing.keys, log: choices.logVkey } });
        await tx.query('UPDATE network_parameters SET log_vkey = $1 WHERE id = 1', [choices.logVkey]);
        await publishNetworkMap(tx, { key, parameters: updated }, now(), { bumpEpoch: true });
        return updated;
      }
      return existing;
    }
    const created = NetworkParametersSchema.parse({
      name: choices.name ?? DEFAULT_PARAMETERS.name,
      chainId: choices.chainId ?? DEFAULT_PARAMETERS.chainId,
      keys: { network: key.address, log: choices.logVkey ?? '' },
      witnessQuorum: choices.witnessQuorum ?? DEFAULT_PARAMETERS.witnessQuorum,
      maxMessageSize: choices.maxMessageSize ?? DEFAULT_PARAMETERS.maxMessageSize,
      minAppVersion: choices.minAppVersion ?? DEFAULT_PARAMETERS.minAppVersion,
    });
    await tx.query(
      'INSERT INTO network_parameters (id, name, chain_id, network_address, witness_quorum, max_message_size, min_app_version, log_vkey, created_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)',
      [created.name, created.chainId, created.keys.network, created.witnessQuorum, created.maxMessageSize, created.minAppVersion, created.keys.log ?? '', now()],
    );
    await tx.query('INSERT INTO network_state (id, epoch, next_serial) VALUES (1, 0, 1)');
    await publishNetworkMap(tx, { key, parameters: created }, now(), { bumpEpoch: false });
    return created;
  });
  return { key, parameters, pinned: { address: parameters.keys.network, chainId: parameters.chainId } };
}
