import { getAddress, recoverAddress, sha256, Signature, SigningKey } from 'ethers';
import { AddressSchema } from '../ledger/ledger-schema';

/**
 * Signed member requests (design §10, issue 10 item 4). Every request a member makes carries four
 * headers:
 *
 *   x-hdms-address    the member's address, EIP-55 checksummed
 *   x-hdms-timestamp  Unix time in milliseconds, decimal, no sign, no leading zeros
 *   x-hdms-nonce      16 random bytes as 32 lowercase hex digits
 *   x-hdms-signature  0x + 128 lowercase hex digits: r ‖ s (32 bytes each, big-endian), s in the
 *                     lower half of the group order (low-s, so every signature has one spelling)
 *
 * The signature is ECDSA over secp256k1 with the member's identity key, of SHA-256 of this canonical
 * form (UTF-8, lines joined by a single "\n", no trailing newline):
 *
 *   hdms-request-v1                  a fixed tag: this key signs nothing else of this shape
 *   <network address>                the network key's address, checksummed (binds the request to one network)
 *   <member address>                 the x-hdms-address value
 *   <METHOD>                         upper case, as sent ("GET", "POST")
 *   <path>                           the request target as sent: path and query string ("/v1/members/me")
 *   <body hash>                      SHA-256 of the body bytes, 64 lowercase hex digits (of zero bytes when there is no body)
 *   <timestamp>                      the x-hdms-timestamp value
 *   <nonce>                          the x-hdms-nonce value
 *
 * i.e. the issue's `method \n path \n sha256(body) \n timestamp \n nonce`, preceded by a version
 * tag, the network and the member. The server accepts a timestamp within ±5 minutes of its clock,
 * remembers each (member, nonce) until the timestamp has left the window, and refuses a nonce seen
 * again (a replay). Because the digest is plain SHA-256, the server verifies with OpenSSL
 * (node:crypto, `dsaEncoding: 'ieee-p1363'`) and the member's public key from its join, without
 * recovering addresses.
 */

export const REQUEST_SIGNATURE_TAG = 'hdms-request-v1';
export const REQUEST_HEADERS = {
  address: 'x-hdms-address',
  timestamp: 'x-hdms-timestamp',
  nonce: 'x-hdms-nonce',
  signature: 'x-hdms-signature',
} as const;
/** How far a request's timestamp may be from the server's clock, either way. */
export const REQUEST_WINDOW_MS = 5 * 60_000;
/** The longest request target signed (path and query). */
export const MAX_SIGNED_PATH_LENGTH = 2048;
export const NONCE_BYTES = 16;
/** SHA-256 of zero bytes: the body hash of a request without a body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER = SECP256K1_ORDER >> 1n;

export interface RequestAuth {
  readonly address: string;
  readonly timestamp: number;
  readonly nonce: string;
  /** 0x + r ‖ s, 128 hex digits, low-s. */
  readonly signature: string;
}

export interface CanonicalRequestInput {
  readonly network: string;
  readonly address: string;
  readonly method: string;
  readonly path: string;
  /** SHA-256 of the body, 64 lowercase hex digits. */
  readonly bodySha256: string;
  readonly timestamp: number;
  readonly nonce: string;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const TIMESTAMP_RE = /^(0|[1-9]\d{0,15})$/;
const NONCE_RE = /^[0-9a-f]{32}$/;
const SIGNATURE_RE = /^0x[0-9a-f]{128}$/;
const METHOD_RE = /^[A-Z]{1,16}$/;
const BODY_HASH_RE = /^[0-9a-f]{64}$/;

function isChecksummed(address: string): boolean {
  return AddressSchema.safeParse(address).success;
}

/** Whether a path may be signed: starts with "/", printable ASCII only (no space, no line break), bounded. */
export function isSignablePath(path: string): boolean {
  return path.length >= 1 && path.length <= MAX_SIGNED_PATH_LENGTH && path.startsWith('/') && /^[\x21-\x7e]+$/.test(path);
}

/** Whether r ‖ s is a well-formed low-s signature: 1 ≤ r < n, 1 ≤ s ≤ n/2. */
export function isCanonicalSignature(signature: string): boolean {
  if (!SIGNATURE_RE.test(signature)) return false;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66)}`);
  return r >= 1n && r < SECP256K1_ORDER && s >= 1n && s <= HALF_ORDER;
}

/** The canonical form (see above). Throws a RangeError naming the field that cannot be signed. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  if (!isChecksummed(input.network)) throw new RangeError('network must be a checksummed address');
  if (!isChecksummed(input.address)) throw new RangeError('address must be a checksummed address');
  if (!METHOD_RE.test(input.method)) throw new RangeError('method must be upper-case letters');
  if (!isSignablePath(input.path)) throw new RangeError('path must start with "/" and hold printable ASCII only');
  if (!BODY_HASH_RE.test(input.bodySha256)) throw new RangeError('body hash must be 64 lowercase hex digits');
  if (!TIMESTAMP_RE.test(String(input.timestamp)) || !Number.isSafeInteger(input.timestamp)) throw new RangeError('timestamp must be a non-negative integer of milliseconds');
  if (!NONCE_RE.test(input.nonce)) throw new RangeError('nonce must be 32 lowercase hex digits');
  return [REQUEST_SIGNATURE_TAG, input.network, input.address, input.method, input.path, input.bodySha256, String(input.timestamp), input.nonce].join('\n');
}

/** SHA-256 of the canonical form, 0x-prefixed: the digest that is signed. */
export function requestDigest(canonical: string): string {
  return sha256(new TextEncoder().encode(canonical));
}

/** SHA-256 of a body, 64 lowercase hex digits. */
export function bodySha256(body: Uint8Array | string | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return sha256(typeof body === 'string' ? new TextEncoder().encode(body) : body).slice(2);
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export type ParsedRequestAuth =
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid'; readonly problem: string }
  | { readonly kind: 'ok'; readonly auth: RequestAuth };

/**
 * Reads the four headers (names in lower case, as Node gives them). `absent` when none is present;
 * `invalid` when any is missing, repeated or malformed (the problem names the header, never its
 * value); else the parsed values. Pure: no clock, no key.
 */
export function parseRequestAuth(headers: HeaderBag): ParsedRequestAuth {
  const names = Object.values(REQUEST_HEADERS);
  const values = names.map((name) => headers[name]);
  if (values.every((value) => value === undefined)) return { kind: 'absent' };
  const single: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    if (value === undefined) return { kind: 'invalid', problem: `header ${names[i]} is missing` };
    if (typeof value !== 'string') return { kind: 'invalid', problem: `header ${names[i]} is repeated` };
    single.push(value);
  }
  const [address, timestamp, nonce, signature] = single as [string, string, string, string];
  if (!ADDRESS_RE.test(address) || !isChecksummed(address)) return { kind: 'invalid', problem: `header ${REQUEST_HEADERS.address} must be a checksummed address` };
  if (!TIMESTAMP_RE.test(timestamp) || !Number.isSafeInteger(Number(timestamp))) return { kind: 'invalid', problem: `header ${REQUEST_HEADERS.timestamp} must be Unix time in milliseconds` };
  if (!NONCE_RE.test(nonce)) return { kind: 'invalid', problem: `header ${REQUEST_HEADERS.nonce} must be 32 lowercase hex digits` };
  if (!isCanonicalSignature(signature)) return { kind: 'invalid', problem: `header ${REQUEST_HEADERS.signature} must be 0x and r ‖ s in 128 lowercase hex digits, low-s` };
  return { kind: 'ok', auth: { address, timestamp: Number(timestamp), nonce, signature } };
}

/** Whether a timestamp is within ±REQUEST_WINDOW_MS of `now`. */
export function isWithinRequestWindow(timestamp: number, now: number, windowMs: number = REQUEST_WINDOW_MS): boolean {
  return Math.abs(now - timestamp) <= windowMs;
}

/** What signs request digests: the member's identity key. `walletRequestSigner` adapts an ethers Wallet. */
export interface RequestSigner {
  readonly address: string;
  /** Signs a 32-byte digest (0x hex) and returns r and s (0x hex, 32 bytes each). */
  signDigest(digest: string): { readonly r: string; readonly s: string } | Promise<{ readonly r: string; readonly s: string }>;
}

export function walletRequestSigner(wallet: { readonly address: string; readonly signingKey: SigningKey }): RequestSigner {
  return { address: wallet.address, signDigest: (digest) => wallet.signingKey.sign(digest) };
}

export interface SignRequestInput {
  /** The network key's address (the pinned network). */
  readonly network: string;
  readonly method: string;
  /** The request target as it will be sent: path and query string. */
  readonly path: string;
  readonly body?: Uint8Array | string;
  /**
   * The body's SHA-256 (64 lowercase hex digits) when the caller has it already (a streamed delivery
   * chunk, hashed with Web Crypto); then `body` is not hashed again.
   */
  readonly bodySha256?: string;
  /** Unix ms; defaults to Date.now(). */
  readonly now?: number;
  /** 32 lowercase hex digits; defaults to 16 fresh random bytes. */
  readonly nonce?: string;
}

function randomNonce(): string {
  const bytes = new Uint8Array(NONCE_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Signs a digest with the member's identity key and answers 0x + r ‖ s in 128 lowercase hex digits,
 * s in the lower half of the order (one spelling per signature): the form of requests, delegations,
 * witness endorsements and the signature inside relay messages.
 */
export async function signDigestLowS(signer: RequestSigner, digest: string): Promise<string> {
  const { r, s } = await signer.signDigest(digest);
  let sBig = BigInt(s);
  if (sBig > HALF_ORDER) sBig = SECP256K1_ORDER - sBig;
  return `0x${BigInt(r).toString(16).padStart(64, '0')}${sBig.toString(16).padStart(64, '0')}`;
}

/** Whether r ‖ s (0x + 128 hex digits) over `digest` recovers to `address`, with either parity: for checkers that know an address, not a key. */
export function isSignedBy(digest: string, signature: string, address: string): boolean {
  const r = `0x${signature.slice(2, 66)}`;
  const s = `0x${signature.slice(66, 130)}`;
  for (const v of [27, 28] as const) {
    try {
      if (recoverAddress(digest, Signature.from({ r, s, v })) === getAddress(address)) return true;
    } catch {
      // not this parity
    }
  }
  return false;
}

/** The four headers that authenticate one request. */
export async function signRequest(signer: RequestSigner, input: SignRequestInput): Promise<Record<string, string>> {
  const timestamp = input.now ?? Date.now();
  const nonce = input.nonce ?? randomNonce();
  const canonical = canonicalRequest({ network: input.network, address: signer.address, method: input.method, path: input.path, bodySha256: input.bodySha256 ?? bodySha256(input.body), timestamp, nonce });
  const signature = await signDigestLowS(signer, requestDigest(canonical));
  return {
    [REQUEST_HEADERS.address]: signer.address,
    [REQUEST_HEADERS.timestamp]: String(timestamp),
    [REQUEST_HEADERS.nonce]: nonce,
    [REQUEST_HEADERS.signature]: signature,
  };
}

/**
 * Verifies a request signature against a known uncompressed public key without node:crypto (ethers
 * recovery, for both parities). The server uses OpenSSL instead; this is for isomorphic callers and
 * tests of the canonical form.
 */
export function verifyRequestSignature(publicKey: string, canonical: string, signature: string): boolean {
  if (!isCanonicalSignature(signature)) return false;
  const digest = requestDigest(canonical);
  const r = `0x${signature.slice(2, 66)}`;
  const s = `0x${signature.slice(66)}`;
  const expected = publicKey.toLowerCase();
  for (const v of [27, 28] as const) {
    try {
      if (SigningKey.recoverPublicKey(digest, Signature.from({ r, s, v })).toLowerCase() === expected) return true;
    } catch {
      // not this parity
    }
  }
  return false;
}
