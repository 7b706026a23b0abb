import { getAddress, sha256, type SigningKey } from 'ethers';
import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { fromBase64Url, toBase64Url } from '../crypto/bytes';
import { uint64 } from './network-domain';
import { isCanonicalSignature, isSignedBy, signDigestLowS, signRequest, type RequestSigner, type SignRequestInput } from './signed-request';

/**
 * Transport delegation (issue 10 items 7 and 9): how a **locked** node still talks to the network.
 *
 * The node's identity key is derived from the vault's master secret, so only an unlocked clinical
 * session holds it; yet the body must fetch relay messages, and submit ledger entries, while the
 * vault is locked or nobody is signed in. So the body keeps a key of its own, the **transport key**
 * (secp256k1, `<data>/network/transport.json`), and at each unlock the mind signs, with the identity
 * key, a short delegation naming it:
 *
 *   hdms-transport-v1        a fixed tag: the identity key signs nothing else of this shape
 *   <network address>        the pinned network's key address, checksummed
 *   <member address>         the identity address, checksummed
 *   <transport key>          0x04 ‖ X ‖ Y, lowercase hex (the transport key's uncompressed point)
 *   <notBefore>              Unix ms
 *   <notAfter>               Unix ms; at most 30 days after notBefore
 *
 * (UTF-8, joined by "\n"), ECDSA over SHA-256 of it, r ‖ s low-s, like a signed request. A request
 * signed by the transport key carries the delegation (base64url of its JSON) in one more header,
 * `x-hdms-delegation`; its `x-hdms-address` stays the member's. The server verifies the delegation
 * with the member's key from its join, then the request with the transport key.
 *
 * What a stolen transport key gives, until notAfter: the member's relay inbox (ciphertexts only: the
 * message key is the vault's), deleting them by ack, and requests in the member's name. It cannot
 * sign a ledger entry, a join or a relay message (those carry the identity key's own signature), and
 * it expires without a fresh unlock.
 */

export const DELEGATION_TAG = 'hdms-transport-v1';
export const DELEGATION_HEADER = 'x-hdms-delegation';
/** The longest a delegation may run. */
export const MAX_DELEGATION_MS = 30 * 24 * 3600_000;
/** The longest header value accepted (a delegation is about 450 characters). */
export const MAX_DELEGATION_HEADER = 1024;

const POINT_RE = /^0x04[0-9a-f]{128}$/;

export const TransportDelegationSchema = z
  .strictObject({
    v: z.literal(1),
    network: AddressSchema,
    member: AddressSchema,
    transportKey: z.string().regex(POINT_RE, 'must be 0x04 and 128 lowercase hex digits'),
    notBefore: uint64,
    notAfter: uint64,
    signature: z.string().refine(isCanonicalSignature, 'must be 0x and r ‖ s in 128 lowercase hex digits, low-s'),
  })
  .refine((d) => d.notAfter > d.notBefore && d.notAfter - d.notBefore <= MAX_DELEGATION_MS, { message: 'notAfter must follow notBefore by at most 30 days', path: ['notAfter'] });
export type TransportDelegation = z.infer<typeof TransportDelegationSchema>;

export type DelegationFields = Omit<TransportDelegation, 'signature' | 'v'>;

/** The canonical form the identity key signs. */
export function delegationText(d: DelegationFields): string {
  return [DELEGATION_TAG, getAddress(d.network), getAddress(d.member), d.transportKey, String(d.notBefore), String(d.notAfter)].join('\n');
}

/** SHA-256 of the canonical form, 0x hex: what is signed. */
export function delegationDigest(d: DelegationFields): string {
  return sha256(new TextEncoder().encode(delegationText(d)));
}

/** Signs a delegation with the member's identity key (`signer.address` is the member). */
export async function signDelegation(signer: RequestSigner, fields: Omit<DelegationFields, 'member'>): Promise<TransportDelegation> {
  const body: DelegationFields = { ...fields, member: getAddress(signer.address), network: getAddress(fields.network) };
  return TransportDelegationSchema.parse({ v: 1, ...body, signature: await signDigestLowS(signer, delegationDigest(body)) });
}

/** Whether the delegation was signed by `member` (recovering the address: for the node, which keeps no public key). */
export function delegationSignedBy(d: TransportDelegation, member: string): boolean {
  return isSignedBy(delegationDigest(d), d.signature, member);
}

/** The header value: base64url of the delegation's JSON. */
export function encodeDelegation(d: TransportDelegation): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(d)));
}

export type ParsedDelegation = { readonly kind: 'absent' } | { readonly kind: 'invalid'; readonly problem: string } | { readonly kind: 'ok'; readonly delegation: TransportDelegation };

/** Reads `x-hdms-delegation` (pure: no clock, no key). */
export function parseDelegationHeader(value: string | readonly string[] | undefined): ParsedDelegation {
  if (value === undefined) return { kind: 'absent' };
  if (typeof value !== 'string') return { kind: 'invalid', problem: `header ${DELEGATION_HEADER} is repeated` };
  if (value.length > MAX_DELEGATION_HEADER) return { kind: 'invalid', problem: `header ${DELEGATION_HEADER} is too long` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(value)));
  } catch {
    return { kind: 'invalid', problem: `header ${DELEGATION_HEADER} must be base64url of JSON` };
  }
  const parsed = TransportDelegationSchema.safeParse(json);
  return parsed.success ? { kind: 'ok', delegation: parsed.data } : { kind: 'invalid', problem: `header ${DELEGATION_HEADER} is not a well-formed delegation` };
}

/** Whether `now` is within the delegation's validity. */
export function isDelegationCurrent(d: Pick<TransportDelegation, 'notBefore' | 'notAfter'>, now: number): boolean {
  return now >= d.notBefore && now < d.notAfter;
}

/**
 * The headers of a request signed by the transport key on the member's behalf: the four of a signed
 * request (the address the member's) and the delegation.
 */
export async function signDelegatedRequest(transport: SigningKey, delegation: TransportDelegation, input: SignRequestInput): Promise<Record<string, string>> {
  if (transport.publicKey.toLowerCase() !== delegation.transportKey) throw new RangeError('the delegation names another transport key');
  const signer: RequestSigner = { address: delegation.member, signDigest: (digest) => transport.sign(digest) };
  const headers = await signRequest(signer, input);
  return { ...headers, [DELEGATION_HEADER]: encodeDelegation(delegation) };
}
