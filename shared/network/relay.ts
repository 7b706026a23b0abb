import { getAddress, sha256 } from 'ethers';
import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from '../transparency/bytes';
import { MEMBER_ROLES, uint64, type MemberRole } from './network-domain';
import type { NetworkMap } from './network-map';
import { isCanonicalSignature, isSignedBy, signDigestLowS, type RequestSigner } from './signed-request';

/**
 * The relay (design §10, issue 10 item 9): store-and-forward messages between members, end-to-end
 * encrypted to the recipient's message key (the P-256 `messageKey` of its certificate in the network
 * map) and signed inside by the sender's identity key. Isomorphic: WebCrypto, ethers, zod.
 *
 * ENVELOPE (JSON, strict; what the server stores and forwards):
 *
 *   { v: 1, id, from, to, role, createdAt, expiresAt, epk, iv, ct }
 *
 *   id         16 random bytes, 32 lowercase hex digits, chosen by the sender
 *   from, to   sender and recipient addresses (EIP-55); `to` is always one member
 *   role       null, or the role a broadcast went to (one envelope per member of that role, see below)
 *   createdAt, expiresAt   Unix ms; the server drops the message at expiresAt
 *   epk        the sender's ephemeral P-256 public key for this message (65 bytes uncompressed, base64)
 *   iv         the AES-GCM nonce (12 bytes, base64)
 *   ct         AES-256-GCM ciphertext with its 16-byte tag (base64)
 *
 * The server sees exactly these: routing metadata (id, from, to, role, times) and the size (the length
 * of `ct`). No subject, no type, no PHI: everything else is inside `ct`.
 *
 * ENCRYPTION. shared = ECDH(ephemeral private, recipient messageKey) (32 bytes);
 *   key = HKDF-SHA-256(shared, salt = epk, info = "hdms-relay-v1\n" from "\n" to "\n" id) → AES-256-GCM key;
 *   AAD = the header below (so changing any outer field breaks the tag);
 *   plaintext = r ‖ s (64 bytes: the sender's signature) ‖ payload.
 *
 * HEADER (UTF-8, lines joined by "\n"):   hdms-relay-v1, id, from, to, role or "", createdAt, expiresAt
 *
 * SIGNATURE. ECDSA secp256k1 with the sender's identity key (the key it joined with; RequestSigner,
 * as for signed requests), low-s, over SHA-256 of: the header, "\n", SHA-256(payload) in 64 lowercase
 * hex digits. The tag "hdms-relay-v1" differs from the request tag, so neither signature can stand in
 * for the other. It is inside the ciphertext: the server never sees it, and cannot forge a message
 * nor reroute one (a changed `to` breaks the tag and the signature; re-encrypting to someone else
 * needs the payload, which the server never has). The recipient recovers the signer's address from
 * r ‖ s (both parities) and requires it to be `from`, then asks its network map whether `from` is a
 * current member.
 *
 * BROADCAST BY ROLE. The sender seals one envelope per member holding the role (its own key each),
 * all with the same id and `role` set, and posts them together (in batches for a large role). The
 * server checks each recipient holds the role and stores one row per recipient: it fans out
 * references to ciphertexts it cannot read. Why not one shared ciphertext with a group key: there is
 * no group key to distribute or rotate (membership changes with every map), a revoked member never
 * gets a later broadcast, and the recipient's path is the same for a broadcast as for a direct
 * message. The cost, one ECDH and one copy per recipient, is small at consortium sizes.
 */

export const RELAY_VERSION = 1;
export const RELAY_TAG = 'hdms-relay-v1';
export const MESSAGE_ID_BYTES = 16;
const SIGNATURE_BYTES = 64;
const TAG_BYTES = 16;
const IV_BYTES = 12;
const POINT_BYTES = 65;
/** What sealing adds to the payload in `ct`: the signature and the GCM tag. */
export const RELAY_SEAL_OVERHEAD = SIGNATURE_BYTES + TAG_BYTES;
/** The longest a message may live, whatever the sender asks. */
export const RELAY_MAX_TTL_MS = 30 * 24 * 3600_000;
/** The most envelopes one POST carries, and the most an inbox page returns. */
export const RELAY_MAX_BATCH = 1_000;
export const RELAY_MAX_PAGE = 100;
/** An absolute bound on `ct` before the network's own maxMessageSize (the parser's first line). */
export const RELAY_ABSOLUTE_MAX_CT = 64 * 1024 * 1024;

export const RELAY_ROUTES = {
  messages: '/v1/relay/messages',
  inbox: '/v1/relay/inbox',
  ack: '/v1/relay/ack',
  stream: '/v1/relay/stream',
} as const;


export const MessageIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits');

function base64Field(minBytes: number, maxBytes: number) {
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  return z
    .string()
    .max(maxChars)
    .refine((text) => {
      const bytes = fromBase64(text);
      return bytes !== null && bytes.length >= minBytes && bytes.length <= maxBytes;
    }, `must be canonical base64 of ${minBytes}–${maxBytes} bytes`);
}

/** The envelope schema for a network whose messages (ct) are at most `maxCt` bytes. */
export function relayEnvelopeSchema(maxCt: number = RELAY_ABSOLUTE_MAX_CT) {
  return z
    .strictObject({
      v: z.literal(RELAY_VERSION),
      id: MessageIdSchema,
      from: AddressSchema,
      to: AddressSchema,
      role: z.enum(MEMBER_ROLES).nullable(),
      createdAt: uint64,
      expiresAt: uint64,
      epk: base64Field(POINT_BYTES, POINT_BYTES).refine((text) => fromBase64(text)?.[0] === 4, 'must be an uncompressed point'),
      iv: base64Field(IV_BYTES, IV_BYTES),
      ct: base64Field(RELAY_SEAL_OVERHEAD, Math.min(maxCt, RELAY_ABSOLUTE_MAX_CT)),
    })
    .refine((e) => e.expiresAt > e.createdAt && e.expiresAt - e.createdAt <= RELAY_MAX_TTL_MS, { message: 'expiresAt must be after createdAt, within the longest TTL', path: ['expiresAt'] })
    .refine((e) => e.from !== e.to, { message: 'a member does not message itself', path: ['to'] });
}
export const RelayEnvelopeSchema = relayEnvelopeSchema();
export type RelayEnvelope = z.infer<typeof RelayEnvelopeSchema>;

/** The size the server sees and counts: the ciphertext's length in bytes. */
export function envelopeSize(envelope: Pick<RelayEnvelope, 'ct'>): number {
  const padding = envelope.ct.endsWith('==') ? 2 : envelope.ct.endsWith('=') ? 1 : 0;
  return (envelope.ct.length / 4) * 3 - padding;
}

// ---- Wire schemas of the routes ----------------------------------------------------------------
//
//   POST /v1/relay/messages  (signed)  RelaySend          → RelaySent (201)
//   GET  /v1/relay/inbox?after=SEQ&limit=N  (signed)      → RelayInboxPage
//   POST /v1/relay/ack       (signed)  RelayAck           → RelayAcked
//   GET  /v1/relay/stream    (WebSocket; the upgrade request signed) → RelayStreamFrame…
//
// Refusals are the API's typed errors: payload_too_large (413) for a message over the network's
// maxMessageSize or a body over the route's limit, rate_limited (429) for a spent hourly quota,
// unknown_member (403) for a recipient that is not an approved member (or lacks the broadcast role),
// invalid_request (400) for a `from` that is not the signer, mixed broadcasts, times out of bounds.

export function relaySendSchema(maxCt: number = RELAY_ABSOLUTE_MAX_CT) {
  return z.strictObject({ envelopes: z.array(relayEnvelopeSchema(maxCt)).min(1).max(RELAY_MAX_BATCH) });
}
export const RelaySendSchema = relaySendSchema();
export type RelaySend = z.infer<typeof RelaySendSchema>;

export const RelaySentSchema = z.strictObject({
  /** How many envelopes were stored; `duplicates` lists ids a recipient already had (a retried send). */
  stored: z.number().int().min(0),
  duplicates: z.array(z.strictObject({ id: MessageIdSchema, to: AddressSchema })),
});
export type RelaySent = z.infer<typeof RelaySentSchema>;

export const RelayInboxQuerySchema = z.strictObject({
  after: z.string().regex(/^(0|[1-9]\d{0,15})$/).transform(Number).optional(),
  limit: z.string().regex(/^[1-9]\d{0,3}$/).transform(Number).pipe(z.number().max(RELAY_MAX_PAGE)).optional(),
});

export const RelayDeliverySchema = z.strictObject({ seq: z.number().int().min(1), envelope: RelayEnvelopeSchema });
export type RelayDelivery = z.infer<typeof RelayDeliverySchema>;

/** Pending messages in arrival order (`seq` counts per recipient); `next` is the `after` of the following page, null at the end. */
export const RelayInboxPageSchema = z.strictObject({ messages: z.array(RelayDeliverySchema).max(RELAY_MAX_PAGE), next: z.number().int().min(1).nullable() });
export type RelayInboxPage = z.infer<typeof RelayInboxPageSchema>;

export const RelayAckSchema = z.strictObject({ ids: z.array(MessageIdSchema).min(1).max(RELAY_MAX_BATCH) });
export type RelayAck = z.infer<typeof RelayAckSchema>;
export const RelayAckedSchema = z.strictObject({ deleted: z.number().int().min(0) });

/**
 * Frames the server sends on the stream (text, JSON). `ready` once authenticated; then every pending
 * message for the member in arrival order, those stored before the connection first. The client acks
 * with POST /v1/relay/ack; an unacked message comes again on the next connection. Liveness is
 * WebSocket ping/pong; a consumer that reads too slowly is closed with code 4008 and reconnects.
 */
export const RelayStreamFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), member: AddressSchema }),
  z.strictObject({ type: z.literal('message'), seq: z.number().int().min(1), envelope: RelayEnvelopeSchema }),
]);
export type RelayStreamFrame = z.infer<typeof RelayStreamFrameSchema>;
export const RELAY_CLOSE_SLOW_CONSUMER = 4008;
export const RELAY_CLOSE_SHUTDOWN = 1001;

// ---- Sealing and opening -----------------------------------------------------------------------

export class RelayEnvelopeError extends Error {
  constructor(
    readonly code: 'malformed' | 'too_large' | 'wrong_recipient' | 'expired' | 'not_yet_valid' | 'undecryptable' | 'bad_signature' | 'unknown_sender',
    message: string,
  ) {
    super(message);
    this.name = 'RelayEnvelopeError';
  }
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

function fresh(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(n);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

export function newMessageId(): string {
  return toHex(randomBytes(MESSAGE_ID_BYTES));
}

type HeaderFields = Pick<RelayEnvelope, 'id' | 'from' | 'to' | 'role' | 'createdAt' | 'expiresAt'>;

/** The header lines (see above): the AAD, and the start of what the sender signs. */
export function relayHeader(h: HeaderFields): string {
  return [RELAY_TAG, h.id, h.from, h.to, h.role ?? '', String(h.createdAt), String(h.expiresAt)].join('\n');
}

/** The digest the sender signs (0x hex). */
export function relaySignedDigest(h: HeaderFields, payload: Uint8Array): string {
  return sha256(utf8(`${relayHeader(h)}\n${sha256(payload).slice(2)}`));
}

function pointBytes(hexKey: string): Uint8Array<ArrayBuffer> {
  const bytes = /^0x04[0-9a-fA-F]{128}$/.test(hexKey) ? fromHex(hexKey.slice(2).toLowerCase()) : null;
  if (bytes === null || bytes.length !== POINT_BYTES) throw new RelayEnvelopeError('malformed', 'a message key must be an uncompressed P-256 point (0x04 and 128 hex digits)');
  return fresh(bytes);
}

async function messageKeyFor(shared: ArrayBuffer, epk: Uint8Array, h: HeaderFields, usage: KeyUsage): Promise<CryptoKey> {
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: fresh(epk), info: fresh(utf8(`${RELAY_TAG}\n${h.from}\n${h.to}\n${h.id}`)) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

export interface SealInput {
  /** The sender's identity key (its address is `from`). */
  readonly signer: RequestSigner;
  readonly recipient: string;
  /** The recipient's message key from its certificate in the verified map: 0x04 ‖ x ‖ y. */
  readonly recipientMessageKey: string;
  readonly payload: Uint8Array;
  readonly ttlMs: number;
  /** Set by sealBroadcast. */
  readonly role?: MemberRole | null;
  readonly id?: string;
  readonly now?: number;
  /** The network's maxMessageSize: refuse to seal what the server would refuse. */
  readonly maxMessageSize?: number;
}

/** Seals one message to one member. */
export async function sealMessage(input: SealInput): Promise<RelayEnvelope> {
  const createdAt = input.now ?? Date.now();
  if (!Number.isSafeInteger(input.ttlMs) || input.ttlMs < 1 || input.ttlMs > RELAY_MAX_TTL_MS) throw new RangeError(`ttlMs must be 1…${RELAY_MAX_TTL_MS}`);
  const size = input.payload.length + RELAY_SEAL_OVERHEAD;
  if (size > (input.maxMessageSize ?? RELAY_ABSOLUTE_MAX_CT)) throw new RelayEnvelopeError('too_large', 'the payload is larger than the network lets one message be');
  const header: HeaderFields = {
    id: input.id ?? newMessageId(),
    from: getAddress(input.signer.address),
    to: getAddress(input.recipient),
    role: input.role ?? null,
    createdAt,
    expiresAt: createdAt + input.ttlMs,
  };
  if (!MessageIdSchema.safeParse(header.id).success) throw new RangeError('id must be 32 lowercase hex digits');
  const recipientKey = pointBytes(input.recipientMessageKey);
  const signature = fromHex((await signDigestLowS(input.signer, relaySignedDigest(header, input.payload))).slice(2))!;

  const peer = await subtle().importKey('raw', recipientKey, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const ephemeral = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
  const epk = new Uint8Array(await subtle().exportKey('raw', ephemeral.publicKey));
  const shared = await subtle().deriveBits({ name: 'ECDH', public: peer }, ephemeral.privateKey, 256);
  const key = await messageKeyFor(shared, epk, header, 'encrypt');
  const iv = randomBytes(IV_BYTES);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: fresh(utf8(relayHeader(header))) }, key, fresh(concatBytes(signature, input.payload))));
  return { v: RELAY_VERSION, ...header, epk: toBase64(epk), iv: toBase64(iv), ct: toBase64(ct) };
}

export interface BroadcastRecipient {
  readonly address: string;
  readonly messageKey: string;
}

/** One envelope per recipient, one id, `role` set: post them together (see BROADCAST above). */
export async function sealBroadcast(input: Omit<SealInput, 'recipient' | 'recipientMessageKey' | 'role'> & { readonly role: MemberRole; readonly recipients: readonly BroadcastRecipient[] }): Promise<RelayEnvelope[]> {
  const id = input.id ?? newMessageId();
  const now = input.now ?? Date.now();
  const out: RelayEnvelope[] = [];
  for (const recipient of input.recipients) out.push(await sealMessage({ ...input, id, now, recipient: recipient.address, recipientMessageKey: recipient.messageKey }));
  return out;
}

/** The members of a verified map holding `role`, except `self`: whom a broadcast goes to. */
export function roleRecipients(map: NetworkMap, role: MemberRole, self: string): BroadcastRecipient[] {
  return map.members
    .map((member) => member.certificate)
    .filter((certificate) => certificate.roles.includes(role) && certificate.member !== getAddress(self))
    .map((certificate) => ({ address: certificate.member, messageKey: certificate.messageKey }));
}

export interface OpenOptions {
  /** Whether `from` is a current member of the verified network map (the signature proves it wrote the message). */
  readonly resolveSender: (address: string) => boolean | Promise<boolean>;
  readonly now?: number;
  /** Tolerated clock difference for createdAt in the future (default 5 minutes). */
  readonly skewMs?: number;
  readonly maxMessageSize?: number;
}

export interface OpenedMessage {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly role: MemberRole | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly payload: Uint8Array;
}

/**
 * Opens an envelope with the recipient's message private key (ECDH, deriveBits). Refuses, with a
 * RelayEnvelopeError: malformed, wrong_recipient (addressed to someone else), expired, not_yet_valid,
 * undecryptable (wrong key, or ciphertext or outer header changed), bad_signature (not signed by
 * `from`), unknown_sender (not a current member).
 */
export async function openMessage(value: unknown, recipientPrivateKey: CryptoKey, recipientAddress: string, options: OpenOptions): Promise<OpenedMessage> {
  const parsed = relayEnvelopeSchema(options.maxMessageSize ?? RELAY_ABSOLUTE_MAX_CT).safeParse(value);
  if (!parsed.success) throw new RelayEnvelopeError('malformed', 'the envelope is not a well-formed relay envelope');
  const envelope = parsed.data;
  if (envelope.to !== getAddress(recipientAddress)) throw new RelayEnvelopeError('wrong_recipient', 'the envelope is addressed to another member');
  const now = options.now ?? Date.now();
  if (envelope.expiresAt <= now) throw new RelayEnvelopeError('expired', 'the message has expired');
  if (envelope.createdAt > now + (options.skewMs ?? 5 * 60_000)) throw new RelayEnvelopeError('not_yet_valid', 'the message is dated in the future');

  const epk = fresh(fromBase64(envelope.epk)!);
  let plaintext: Uint8Array;
  try {
    const peer = await subtle().importKey('raw', epk, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const shared = await subtle().deriveBits({ name: 'ECDH', public: peer }, recipientPrivateKey, 256);
    const key = await messageKeyFor(shared, epk, envelope, 'decrypt');
    plaintext = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: fresh(fromBase64(envelope.iv)!), additionalData: fresh(utf8(relayHeader(envelope))) }, key, fresh(fromBase64(envelope.ct)!)));
  } catch {
    throw new RelayEnvelopeError('undecryptable', 'the message does not decrypt with this key (wrong key, or the envelope was changed)');
  }
  if (plaintext.length < SIGNATURE_BYTES) throw new RelayEnvelopeError('bad_signature', 'the sender\'s signature is missing');
  const signature = `0x${toHex(plaintext.subarray(0, SIGNATURE_BYTES))}`;
  const payload = plaintext.slice(SIGNATURE_BYTES);
  if (!isCanonicalSignature(signature)) throw new RelayEnvelopeError('bad_signature', 'the sender\'s signature is malformed');
  if (!isSignedBy(relaySignedDigest(envelope, payload), signature, envelope.from)) throw new RelayEnvelopeError('bad_signature', 'the message is not signed by its sender');
  if (!(await options.resolveSender(envelope.from))) throw new RelayEnvelopeError('unknown_sender', 'the sender is not a current member of the network');
  return { id: envelope.id, from: envelope.from, to: envelope.to, role: envelope.role, createdAt: envelope.createdAt, expiresAt: envelope.expiresAt, payload };
}
