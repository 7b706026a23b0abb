import { hexlify } from 'ethers';
import type { ApiErrorCode, JoinStatus, MembershipStatus } from '../../shared/network/api';
import { signCertificate, SignedCertificateSchema, type SignedCertificate, type VerifiedJoinRequest } from '../../shared/network/membership';
import { publishNetworkMap } from '../network-map/network-map-store';
import type { NetworkContext } from '../network-map/network-parameters';
import { ADVISORY_LOCKS, lockInTransaction, type Database, type Queryable } from '../storage/database';

/**
 * The doorman's records (issue 10 item 2): join requests, the operator's decisions, certificates and
 * revocations. Every change runs in one transaction under the membership advisory lock, and a change
 * of membership (approve, revoke) publishes the next network map in that same transaction. The HTTP
 * routes, the members CLI and the admin socket all come through here.
 *
 *   pending ──approve──▶ approved ──revoke──▶ revoked (final: the address cannot join again)
 *      │  ▲
 *   reject └── a new join request (a rejected node may ask again)
 */
export class MembershipError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MembershipError';
  }
}

export interface MemberRecord {
  readonly address: string;
  readonly status: MembershipStatus;
  readonly legalName: string;
  readonly country: string;
  readonly roles: readonly string[];
  readonly requestedAt: number;
  readonly decidedAt: number | null;
  readonly serial: number | null;
  readonly revokedAt: number | null;
}

/** What request authentication needs of a member: its state and its public key. */
export interface MemberKey {
  readonly status: MembershipStatus;
  readonly publicKey: Uint8Array;
}

interface MemberRow {
  address: string;
  status: MembershipStatus;
  legal_name: string;
  country: string;
  roles: string;
  requested_at: number;
  decided_at: number | null;
  serial: number | null;
  revoked_at: number | null;
  certificate: unknown;
  join_hash: string;
  public_key: Uint8Array;
  join_request: { messageKey: string };
  [key: string]: unknown;
}

const toRecord = (row: MemberRow): MemberRecord => ({
  address: row.address,
  status: row.status,
  legalName: row.legal_name,
  country: row.country,
  roles: row.roles.split(','),
  requestedAt: row.requested_at,
  decidedAt: row.decided_at,
  serial: row.serial,
  revokedAt: row.revoked_at,
});

export interface MembershipOptions {
  /** Approve every valid join request at once (a demo network). */
  readonly autoApprove?: boolean;
  readonly now?: () => number;
}

export class MembershipService {
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly network: NetworkContext,
    private readonly options: MembershipOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a verified join request. The same request again answers as before (idempotent); a newer
   * one replaces a pending or rejected request (the node asks again); an approved member gets
   * join_conflict, a revoked one membership_revoked.
   */
  async submitJoin(verified: VerifiedJoinRequest): Promise<JoinStatus> {
    const { request } = verified;
    return this.db.transaction(async (tx) => {
      await lockInTransaction(tx, ADVISORY_LOCKS.membership);
      const existing = await this.row(tx, request.node);
      if (existing !== null && existing.join_hash === verified.hash) return this.statusOf(existing);
      if (existing?.status === 'approved') throw new MembershipError('join_conflict', 'This node is already a member of the network.');
      if (existing?.status === 'revoked') throw new MembershipError('membership_revoked', 'This node\'s membership was revoked; it cannot join again.');
      const values = [request.node, hexToBytes(verified.publicKey), JSON.stringify(request), verified.signature, verified.hash, request.legalName, request.country, request.roles.join(','), this.now()];
      if (existing === null) {
        await tx.query(
          "INSERT INTO members (address, public_key, status, join_request, join_signature, join_hash, legal_name, country, roles, requested_at) VALUES ($1, $2, 'pending', $3::jsonb, $4, $5, $6, $7, $8, $9)",
          values,
        );
      } else {
        await tx.query(
          "UPDATE members SET public_key = $2, status = 'pending', join_request = $3::jsonb, join_signature = $4, join_hash = $5, legal_name = $6, country = $7, roles = $8, requested_at = $9, decided_at = NULL WHERE address = $1",
          values,
        );
      }
      if (this.options.autoApprove === true) await this.approveIn(tx, request.node);
      return this.statusOf((await this.row(tx, request.node))!);
    });
  }

  async status(address: string): Promise<JoinStatus | null> {
    const row = await this.row(this.db, address);
    return row === null ? null : this.statusOf(row);
  }

  async list(): Promise<MemberRecord[]> {
    const result = await this.db.query<MemberRow>('SELECT * FROM members ORDER BY requested_at, address');
    return result.rows.map(toRecord);
  }

  /** The member's state and key, for request authentication (one indexed read, never cached: a revocation applies at once). */
  async memberKey(address: string): Promise<MemberKey | null> {
    const result = await this.db.query<{ status: MembershipStatus; public_key: Uint8Array }>('SELECT status, public_key FROM members WHERE address = $1', [address]);
    const row = result.rows[0];
    return row === undefined ? null : { status: row.status, publicKey: row.public_key };
  }

  /** The member's certificate while approved. */
  async certificate(address: string): Promise<SignedCertificate | null> {
    const row = await this.row(this.db, address);
    return row?.status === 'approved' ? SignedCertificateSchema.parse(row.certificate) : null;
  }

  async approve(address: string): Promise<MemberRecord> {
    return this.change(address, async (tx) => this.approveIn(tx, address));
  }

  async reject(address: string): Promise<MemberRecord> {
    return this.change(address, async (tx, row) => {
      if (row.status !== 'pending') throw new MembershipError('join_conflict', `${address} is ${row.status}, not pending: only a pending request can be rejected.`);
      await tx.query("UPDATE members SET status = 'rejected', decided_at = $2 WHERE address = $1", [address, this.now()]);
    });
  }

  async revoke(address: string): Promise<MemberRecord> {
    return this.change(address, async (tx, row) => {
      if (row.status !== 'approved') throw new MembershipError('join_conflict', `${address} is ${row.status}, not approved: only a member can be revoked.`);
      const now = this.now();
      await tx.query("UPDATE members SET status = 'revoked', revoked_at = $2, decided_at = $2 WHERE address = $1", [address, now]);
      await publishNetworkMap(tx, this.network, now, { bumpEpoch: true });
    });
  }

  private async change(address: string, fn: (tx: Queryable, row: MemberRow) => Promise<void>): Promise<MemberRecord> {
    return this.db.transaction(async (tx) => {
      await lockInTransaction(tx, ADVISORY_LOCKS.membership);
      const row = await this.row(tx, address);
      if (row === null) throw new MembershipError('not_found', `No join request from ${address}.`);
      await fn(tx, row);
      return toRecord((await this.row(tx, address))!);
    });
  }

  /** Issues the certificate and publishes the next map; the caller holds the membership lock. */
  private async approveIn(tx: Queryable, address: string): Promise<void> {
    const row = await this.row(tx, address);
    if (row === null) throw new MembershipError('not_found', `No join request from ${address}.`);
    if (row.status !== 'pending') throw new MembershipError('join_conflict', `${address} is ${row.status}, not pending: only a pending request can be approved.`);
    const state = await tx.query<{ serial: number }>('UPDATE network_state SET next_serial = next_serial + 1 WHERE id = 1 RETURNING next_serial - 1 AS serial');
    const now = this.now();
    const signed = await signCertificate(this.network.key, this.network.parameters.chainId, {
      network: this.network.parameters.keys.network,
      member: row.address,
      identityKey: hexlify(row.public_key),
      legalName: row.legal_name,
      country: row.country,
      roles: row.roles.split(','),
      messageKey: row.join_request.messageKey,
      joinRequest: row.join_hash,
      serial: state.rows[0]!.serial,
      issuedAt: now,
    });
    await tx.query("UPDATE members SET status = 'approved', certificate = $2::jsonb, serial = $3, decided_at = $4 WHERE address = $1", [address, JSON.stringify(signed), signed.certificate.serial, now]);
    await publishNetworkMap(tx, this.network, now, { bumpEpoch: true });
  }

  private async row(db: Queryable, address: string): Promise<MemberRow | null> {
    const result = await db.query<MemberRow>('SELECT * FROM members WHERE address = $1', [address]);
    return result.rows[0] ?? null;
  }

  private statusOf(row: MemberRow): JoinStatus {
    return {
      address: row.address,
      status: row.status,
      certificate: row.status === 'approved' ? SignedCertificateSchema.parse(row.certificate) : null,
    };
  }
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}
