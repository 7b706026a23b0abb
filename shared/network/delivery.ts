import { z } from 'zod';
import { AddressSchema } from '../ledger/ledger-schema';
import { PurchaseIdSchema } from '../research/purchase-request';

/**
 * Delivery of a sealed dataset package (issue 15 item 5): a blob store on the server with a time to
 * live, written in resumable chunks by the clinic (the sender) and read, resumably, by the buyer (the
 * recipient). The blob is the package's ciphertext (shared/research/package/package-seal.ts): the
 * server stores bytes it cannot read and checks only their length and SHA-256. Isomorphic: zod only.
 *
 * ROUTES (every one a signed member request, shared/network/signed-request.ts):
 *
 *   POST   /v1/deliveries                 JSON DeliveryCreate, by the sender → 201 DeliveryStatus
 *                                         (200 and the stored status when the same id was created
 *                                         with the same fields: a retried create; 409
 *                                         delivery_conflict with other fields)
 *   GET    /v1/deliveries?as=recipient|sender   the signer's unexpired deliveries → DeliveryList
 *                                         (as recipient, complete ones only: what it may download)
 *   GET    /v1/deliveries/:id             sender or recipient → DeliveryStatus (which chunks the
 *                                         server holds: what a resumed upload still has to send)
 *   PUT    /v1/deliveries/:id/chunks/:n   sender; body application/octet-stream, chunk n's bytes
 *                                         (exactly chunkSize, the last one the remainder); header
 *                                         x-hdms-content-sha256 = the body's SHA-256 (64 lowercase
 *                                         hex), which is also the signed body hash → 201 ChunkStored
 *                                         (200 for a chunk the server already held with that hash:
 *                                         a retry; 409 delivery_conflict for other bytes)
 *   POST   /v1/deliveries/:id/complete    sender, no body: the server hashes the chunks from disk
 *                                         in order and compares with the declared sha256 → 200
 *                                         DeliveryStatus (complete); 409 delivery_incomplete with
 *                                         chunks missing; 422 delivery_hash_mismatch (the blob is
 *                                         deleted: the sender's source is not what it declared)
 *   GET    /v1/deliveries/:id/content     recipient, complete only: the bytes; `Range: bytes=a-b`,
 *                                         `bytes=a-` or `bytes=-n` (one range) → 206 with
 *                                         Content-Range, else 200; 416 outside the blob
 *   GET    /v1/deliveries/:id/chunks/:n   recipient, complete only: chunk n, with
 *                                         x-hdms-content-sha256
 *   DELETE /v1/deliveries/:id             sender or recipient (once it has the package) → 204
 *
 * The Range header is not signed (the signature covers method, path and body); TLS protects it, and
 * a wrong range can only hand the recipient bytes it is entitled to, which the recipient checks
 * against the notarized hash anyway. Anyone else asking for a delivery gets 404 (not_found), as if
 * it did not exist; the sender asking for the content gets 403 (not_delivery_recipient).
 *
 * Why the chunk's hash is a header: the signature covers SHA-256 of the body, so the server would
 * have to read a whole chunk before knowing who sent it. With the hash declared up front it checks
 * the signature before reading a byte, then streams the body to disk while hashing it, and refuses
 * (400 chunk_hash_mismatch, nothing kept) bytes that do not hash to what was signed.
 *
 * STORAGE. Chunks are files under the server's data folder (`<data-dir>/deliveries/<id>/`), written
 * to a temporary name, fsynced, renamed to `<n>-<sha256>.chunk` and the folder fsynced before the
 * chunk's row is inserted and the upload acknowledged; the database holds the metadata (migration
 * 0007). Request bodies are streamed: the server holds no more of a chunk than the socket's buffers.
 *
 * LIMITS (server options): chunkSize from 64 KiB to 4 MiB (a multiple of 64 KiB); the blob's size up
 * to maxBlobBytes (413 delivery_too_large); per sender, declared bytes per UTC day (429
 * delivery_quota_exceeded, counted at create, in the database, so they hold across processes); a
 * delivery expires `ttlMs` after its creation and is deleted with its chunks (then 404).
 *
 * NOTIFICATION. The server does not message the recipient: relay envelopes are sealed and signed by
 * their sender, which the server cannot do. The clinic names the delivery id in its own relay
 * message, and the recipient can list what waits for it (GET /v1/deliveries?as=recipient).
 */

export const DELIVERY_ROUTES = {
  deliveries: '/v1/deliveries',
  delivery: '/v1/deliveries/:id',
  chunk: '/v1/deliveries/:id/chunks/:index',
  complete: '/v1/deliveries/:id/complete',
  content: '/v1/deliveries/:id/content',
} as const;

export const deliveryPath = (id: string): string => `/v1/deliveries/${id}`;
export const chunkPath = (id: string, index: number): string => `/v1/deliveries/${id}/chunks/${index}`;
export const completePath = (id: string): string => `/v1/deliveries/${id}/complete`;
export const contentPath = (id: string): string => `/v1/deliveries/${id}/content`;

/** The header carrying a chunk body's SHA-256 (upload: signed as the body hash; download: informative). */
export const CONTENT_SHA256_HEADER = 'x-hdms-content-sha256';
export const CHUNK_MEDIA_TYPE = 'application/octet-stream';

/** Chunk sizes are multiples of this. */
export const CHUNK_ALIGNMENT = 64 * 1024;
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** The chunk size the client picks by default. */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
/** The most deliveries in one list. */
export const DELIVERY_LIST_LIMIT = 200;

export const DeliveryIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits');
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const DeliveryCreateSchema = z.strictObject({
  /** 16 random bytes, 32 lowercase hex digits, chosen by the sender (so a retried create is recognized). */
  id: DeliveryIdSchema,
  recipient: AddressSchema,
  purchaseId: PurchaseIdSchema,
  /** The blob's length in bytes. */
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** SHA-256 of the whole blob. */
  sha256: Sha256HexSchema,
  chunkSize: z
    .number()
    .int()
    .min(MIN_CHUNK_SIZE)
    .max(MAX_CHUNK_SIZE)
    .refine((value) => value % CHUNK_ALIGNMENT === 0, 'must be a multiple of 64 KiB'),
});
export type DeliveryCreate = z.infer<typeof DeliveryCreateSchema>;

/** Half-open ranges [from, to) of chunk indexes, ascending and disjoint. */
export const ChunkRangesSchema = z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)]));
export type ChunkRanges = z.infer<typeof ChunkRangesSchema>;

export const DeliveryStatusSchema = z.strictObject({
  id: DeliveryIdSchema,
  sender: AddressSchema,
  recipient: AddressSchema,
  purchaseId: PurchaseIdSchema,
  size: z.number().int().min(1),
  sha256: Sha256HexSchema,
  chunkSize: z.number().int().min(1),
  chunkCount: z.number().int().min(1),
  state: z.enum(['uploading', 'complete']),
  /** The chunks the server holds. */
  received: ChunkRangesSchema,
  receivedBytes: z.number().int().min(0),
  createdAt: z.number().int(),
  completedAt: z.number().int().nullable(),
  expiresAt: z.number().int(),
});
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const DeliveryListSchema = z.strictObject({ deliveries: z.array(DeliveryStatusSchema).max(DELIVERY_LIST_LIMIT) });
export type DeliveryList = z.infer<typeof DeliveryListSchema>;

export const ChunkStoredSchema = z.strictObject({ index: z.number().int().min(0), sha256: Sha256HexSchema, duplicate: z.boolean() });
export type ChunkStored = z.infer<typeof ChunkStoredSchema>;

/** How many chunks a blob of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The length of chunk `index` (all chunkSize but the last). */
export function chunkLength(size: number, chunkSize: number, index: number): number {
  return Math.min(chunkSize, size - index * chunkSize);
}

/** Whether `index` is inside one of the ranges. */
export function inRanges(ranges: ChunkRanges, index: number): boolean {
  return ranges.some(([from, to]) => index >= from && index < to);
}

/** The first chunk not in the ranges (chunkCount when none is missing). */
export function firstMissing(ranges: ChunkRanges, count: number): number {
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) return next;
    next = Math.max(next, to);
  }
  return Math.min(next, count);
}

export type ByteRange = { readonly start: number; readonly end: number };

/**
 * One `Range: bytes=…` of a blob of `size` bytes → inclusive [start, end]; null when the header is
 * absent or not a single bytes range (then the whole blob is served); 'unsatisfiable' outside it.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return 'unsatisfiable';
  return { start, end };
}
