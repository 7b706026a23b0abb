import { createHash } from 'node:crypto';
import type { Wallet } from 'ethers';
import { SignedCertificateSchema } from '../../shared/network/membership';
import { signNetworkMap, sortNetworkMap, type NetworkMap, type NetworkParameters } from '../../shared/network/network-map';
import type { Queryable } from '../storage/database';

/**
 * Builds, signs and stores the network map. Called inside the transaction of every membership
 * change (under the membership lock), so the map a reader gets always matches the members table:
 * the epoch goes up by one, the map is rebuilt from the approved and revoked members, signed with
 * the network key and stored as the exact bytes served, with their hash as the ETag.
 */
export interface PublishedMap {
  readonly epoch: number;
  readonly body: string;
  readonly etag: string;
}

interface CertificateRow {
  certificate: unknown;
}
interface RevocationRow {
  address: string;
  serial: number;
  revoked_at: number;
}

export async function publishNetworkMap(tx: Queryable, network: { readonly key: Wallet; readonly parameters: NetworkParameters }, now: number, options: { readonly bumpEpoch: boolean }): Promise<PublishedMap> {
  const state = options.bumpEpoch
    ? await tx.query<{ epoch: number }>('UPDATE network_state SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch')
    : await tx.query<{ epoch: number }>('SELECT epoch FROM network_state WHERE id = 1');
  const epoch = state.rows[0]?.epoch;
  if (epoch === undefined) throw new Error('the network state row is missing');
  const members = await tx.query<CertificateRow & Record<string, unknown>>("SELECT certificate FROM members WHERE status = 'approved'");
  const revoked = await tx.query<RevocationRow & Record<string, unknown>>("SELECT address, serial, revoked_at FROM members WHERE status = 'revoked'");
  const map: NetworkMap = sortNetworkMap({
    epoch,
    issuedAt: now,
    parameters: network.parameters,
    members: members.rows.map((row) => SignedCertificateSchema.parse(row.certificate)),
    revocations: revoked.rows.map((row) => ({ member: row.address, serial: row.serial, revokedAt: row.revoked_at })),
  });
  const signed = await signNetworkMap(network.key, map);
  const body = JSON.stringify(signed);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  await tx.query('INSERT INTO network_maps (epoch, body, etag, issued_at) VALUES ($1, $2, $3, $4)', [epoch, body, etag, now]);
  return { epoch, body, etag };
}

/**
 * The newest map, read cheaply: one small query for its epoch and ETag, the body from memory unless
 * the epoch moved (another process or the members CLI may have published a new one).
 */
export class NetworkMapReader {
  private cached: PublishedMap | null = null;

  constructor(private readonly db: Queryable) {}

  async latest(): Promise<PublishedMap> {
    const head = await this.db.query<{ epoch: number; etag: string }>('SELECT epoch, etag FROM network_maps ORDER BY epoch DESC LIMIT 1');
    const row = head.rows[0];
    if (row === undefined) throw new Error('no network map has been published');
    if (this.cached !== null && this.cached.epoch === row.epoch && this.cached.etag === row.etag) return this.cached;
    const full = await this.db.query<{ body: string }>('SELECT body FROM network_maps WHERE epoch = $1', [row.epoch]);
    this.cached = { epoch: row.epoch, etag: row.etag, body: full.rows[0]!.body };
    return this.cached;
  }
}
