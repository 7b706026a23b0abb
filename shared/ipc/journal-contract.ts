import { z } from 'zod';
import { MIND_EVENT_KIND } from '../journal/journal-kinds';
import { event, method } from './method';

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const objectId = z.string().regex(/^[0-9a-f]{64}$/);
/** The largest slice one objects.read or objects.readBinary answers. */
export const OBJECT_SLICE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A journal record as the mind receives it. `kind`, `at`, `operator` and `objects` are the
 * plaintext envelope of the record (no PHI by construction: categories, times, pseudonyms and
 * hashes); everything else is in `meta`, a sealed envelope only the mind can open.
 */
export const JournalRecordSchema = z.strictObject({
  seq: z.number().int().positive(),
  kind: z.string().max(64),
  at: z.iso.datetime(),
  operator: z.string().max(64).nullable(),
  objects: z.array(objectId).max(10_000),
  meta: base64url.max(24 * 1024 * 1024).nullable(),
  /**
   * A mind event's actor as the body recorded it: the calling session's account, sealed by the
   * body (shared/journal/record-actor.ts). Absent on records the mind did not append and on those
   * journaled before; the mind then goes by `operator`.
   */
  actor: base64url.max(4096).optional(),
});
export type JournalRecord = Readonly<z.infer<typeof JournalRecordSchema>>;

export const journalMethods = {
  /**
   * Cursor-based replay: records with seq > after, at most `limit`. Records of the kinds in
   * `withoutMetaOf` come with `meta: null`: the ledger batches intake records by kind, time and
   * objects and reads the journal again after every replay of the views, and their sealed meta, base64
   * inside JSON, is most of an answer's bytes (issue 11: ingest with the window open).
   */
  'journal.read': method(
    z.strictObject({ after: z.number().int().nonnegative(), limit: z.number().int().min(1).max(5000), withoutMetaOf: z.array(z.string().max(64)).max(32).optional() }),
    z.strictObject({ records: z.array(JournalRecordSchema), nextCursor: z.number().int().nonnegative(), end: z.boolean() }),
  ),
  /**
   * The mind's own events (record viewed, consent changed…), sealed by the mind before sending.
   * `operator` is the client's claim; the body records the calling session's account as the
   * record's sealed `actor`, and that is who the mind signs and shows the event as.
   */
  'journal.append': method(
    z.strictObject({
      kind: z.string().regex(MIND_EVENT_KIND),
      operator: z.string().max(64).nullable(),
      objects: z.array(objectId).max(1000),
      meta: base64url.max(1024 * 1024).nullable(),
    }),
    z.strictObject({ seq: z.number().int().positive() }),
  ),
} as const;

export const journalEvents = {
  /** New records are durable in the journal; the mind replays from its cursor. */
  'journal.appended': event(z.strictObject({ lastSeq: z.number().int().nonnegative() })),
} as const;

export const objectMethods = {
  /** Reads part of a sealed object (the mind opens it); large objects are read in slices. */
  'objects.read': method(
    z.strictObject({ id: objectId, offset: z.number().int().nonnegative(), length: z.number().int().min(1).max(4 * 1024 * 1024) }),
    z.strictObject({ bytes: base64url, size: z.number().int().nonnegative() }),
  ),
  /**
   * The same slice as bytes, for readers of many large objects (the viewer's stack): Electron's
   * IPC carries a Uint8Array by structured clone and the shell's WebSocket in a binary frame, where
   * base64 inside JSON cost both sides an encoding, a parse and a check of ~700 KB per CT slice.
   */
  'objects.readBinary': method(
    z.strictObject({ id: objectId, offset: z.number().int().nonnegative(), length: z.number().int().min(1).max(OBJECT_SLICE_MAX_BYTES) }),
    z.strictObject({
      bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'not bytes').refine((bytes) => bytes.byteLength <= OBJECT_SLICE_MAX_BYTES, 'longer than the largest slice'),
      size: z.number().int().nonnegative(),
    }),
  ),
} as const;
