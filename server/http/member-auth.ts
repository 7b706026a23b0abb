import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { MembershipStatus } from '../../shared/network/api';
import { canonicalRequest, isSignablePath, isWithinRequestWindow, parseRequestAuth, REQUEST_WINDOW_MS } from '../../shared/network/signed-request';
import type { MembershipService } from '../doorman/membership-service';
import type { Database } from '../storage/database';
import { ApiProblem } from './api-problem';
import { PublicKeyCache, verifySecp256k1Sha256 } from './secp256k1';
import { DELEGATION_HEADER, delegationText, isDelegationCurrent, parseDelegationHeader } from '../../shared/network/transport-delegation';
import { fromHex } from '../../shared/crypto/bytes';

/**
 * Authentication of member requests (issue 10 item 4; the canonical form is documented in
 * shared/network/signed-request.ts). In order, each refusal a typed 4xx that writes nothing:
 *
 *   1. the four headers, well formed                     missing_signature / invalid_signature_headers
 *   2. the timestamp within ±5 minutes of our clock      timestamp_out_of_window
 *   3. a member we know, and approved                    unknown_member / membership_pending|rejected|revoked
 *   4. the signature, by the key stored at join          bad_signature (OpenSSL verify, no recovery)
 *      or, with an x-hdms-delegation header, by the transport key the member delegated to
 *      (shared/network/transport-delegation.ts): the delegation well formed, for this network
 *      and this member, current, and signed by the key stored at join     bad_delegation
 *   5. the nonce never seen for this member              replayed_nonce (the one write: the nonce row)
 *
 * The nonce is recorded only after the signature verified, so nobody can spend a member's nonces.
 * Nonce rows expire once their timestamp has left the window (pruned by `pruneNonces`).
 */
export interface AuthenticatedMember {
  readonly address: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as received (signed requests hash them). */
    rawBody: Buffer | null;
    /** The member a signed request proved to be, after `authenticateMember`. */
    member: AuthenticatedMember | null;
  }
}

const STATUS_PROBLEMS: Record<Exclude<MembershipStatus, 'approved'>, ApiProblem> = {
  pending: new ApiProblem('membership_pending', 'This node\'s join request has not been approved yet.'),
  rejected: new ApiProblem('membership_rejected', 'This node\'s join request was rejected.'),
  revoked: new ApiProblem('membership_revoked', 'This node\'s membership was revoked.'),
};

export interface MemberAuthOptions {
  readonly db: Database;
  readonly membership: MembershipService;
  readonly network: string;
  readonly now: () => number;
  readonly windowMs?: number;
}

export function memberAuthenticator(options: MemberAuthOptions): (request: FastifyRequest) => Promise<void> {
  const check = memberRequestCheck(options);
  return (request) => check(request, undefined);
}

/**
 * For a route that streams its body (delivery chunks): `bodySha256` is the body's SHA-256 as the
 * client declared it, checked against the signature before a byte is read; the route must then
 * refuse a body that does not hash to it.
 */
export type StreamedBodyAuthenticate = (request: FastifyRequest, bodySha256: string) => Promise<void>;

export function streamedBodyAuthenticator(options: MemberAuthOptions): StreamedBodyAuthenticate {
  return memberRequestCheck(options);
}

function memberRequestCheck(options: MemberAuthOptions): (request: FastifyRequest, declaredBodySha256: string | undefined) => Promise<void> {
  const keys = new PublicKeyCache();
  const windowMs = options.windowMs ?? REQUEST_WINDOW_MS;
  return async (request, declaredBodySha256) => {
    const parsed = parseRequestAuth(request.headers);
    if (parsed.kind === 'absent') throw new ApiProblem('missing_signature', 'This request must be signed by a member.');
    if (parsed.kind === 'invalid') throw new ApiProblem('invalid_signature_headers', `The request's signature headers are malformed: ${parsed.problem}.`);
    const { auth } = parsed;
    const now = options.now();
    if (!isWithinRequestWindow(auth.timestamp, now, windowMs)) throw new ApiProblem('timestamp_out_of_window', 'The request\'s timestamp is more than 5 minutes from the server\'s clock.');
    const member = await options.membership.memberKey(auth.address);
    if (member === null) throw new ApiProblem('unknown_member', 'No member has this address.');
    if (member.status !== 'approved') throw STATUS_PROBLEMS[member.status];
    if (!isSignablePath(request.url)) throw new ApiProblem('invalid_request', 'The request target cannot be signed (printable ASCII only, at most 2048 characters).');
    const body = request.rawBody ?? Buffer.alloc(0);
    const canonical = canonicalRequest({
      network: options.network,
      address: auth.address,
      method: request.method,
      path: request.url,
      bodySha256: declaredBodySha256 ?? createHash('sha256').update(body).digest('hex'),
      timestamp: auth.timestamp,
      nonce: auth.nonce,
    });
    const signature = Buffer.from(auth.signature.slice(2), 'hex');
    const delegated = parseDelegationHeader(request.headers[DELEGATION_HEADER]);
    let signingKey = member.publicKey;
    if (delegated.kind === 'invalid') throw new ApiProblem('bad_delegation', `The request's delegation is malformed: ${delegated.problem}.`);
    if (delegated.kind === 'ok') {
      const { delegation } = delegated;
      if (delegation.member !== auth.address || delegation.network !== options.network) throw new ApiProblem('bad_delegation', 'The request\'s delegation is for another member or network.');
      if (!isDelegationCurrent(delegation, now)) throw new ApiProblem('bad_delegation', 'The request\'s delegation has expired or is not valid yet: unlock the node to renew it.');
      const delegationSignature = Buffer.from(delegation.signature.slice(2), 'hex');
      if (!verifySecp256k1Sha256(keys.get(member.publicKey), Buffer.from(delegationText(delegation), 'utf8'), delegationSignature)) throw new ApiProblem('bad_delegation', 'The request\'s delegation is not signed by this member\'s key.');
      signingKey = fromHex(delegation.transportKey.slice(2));
    }
    if (!verifySecp256k1Sha256(keys.get(signingKey), Buffer.from(canonical, 'utf8'), signature)) throw new ApiProblem('bad_signature', 'The request\'s signature does not verify with this member\'s key.');
    const fresh = await options.db.query('INSERT INTO request_nonces (member, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [auth.address, auth.nonce, auth.timestamp + windowMs]);
    if (fresh.rowCount === 0) throw new ApiProblem('replayed_nonce', 'This request was already made (its nonce was used).');
    request.member = { address: auth.address };
  };
}

/** Deletes nonce rows whose timestamps have left the window; returns how many. */
export async function pruneNonces(db: Database, now: number): Promise<number> {
  const result = await db.query('DELETE FROM request_nonces WHERE expires_at < $1', [now]);
  return result.rowCount;
}
