import { createHash } from 'node:crypto';
import type { ByteSource, SealCompression, Sealer } from '../../shared/crypto/envelope';
import { IntakeQuarantineSchema, type IntakeQuarantine, type NormalizedIntake } from '../../shared/domain/clinical';
import type { Journal } from '../storage/journal';
import { MAX_INLINE_OBJECT_BYTES } from '../storage/journal-format';
import type { ObjectStore } from '../storage/object-store';
import { INTAKE_KINDS, type IntakeKind } from '../../shared/journal/journal-kinds';
import type { IntakeMetadataV1, QuarantineMetadataV1 } from '../../shared/journal/intake-meta';
import { BufferPool } from './buffer-pool';

// Journal kinds and sealed-metadata shapes live once, in shared/journal (used by both halves).
// Kinds are plaintext in the journal (vault:check counts them): they say which channel, never what came in.
export { INTAKE_KINDS, type IntakeKind } from '../../shared/journal/journal-kinds';
export type { IntakeMetadataV1, QuarantineMetadataV1 } from '../../shared/journal/intake-meta';

export interface IntakeInput {
  readonly kind: Exclude<IntakeKind, 'intake.quarantine'>;
  /** The bytes exactly as received (an HL7 message, a DICOM instance…); a stream for large ones. */
  readonly raw: Uint8Array | AsyncIterable<Uint8Array>;
  readonly normalized: NormalizedIntake;
  /** When the channel received it; now by default. */
  readonly receivedAt?: Date;
  /** The channel's duplicate tag, kept in clear in the journal record (see JournalEntry.dedupe). */
  readonly dedupe?: string;
}

/**
 * What `ingestSettled` takes: `normalized` may wait for the settle step (bytes that will be
 * quarantined whatever they hold, such as a DICOM instance without Patient ID).
 */
export type SettledIntakeInput = Omit<IntakeInput, 'normalized'> & { readonly normalized?: NormalizedIntake };

/** What `ingestSettled`'s settle step decides once the raw bytes are sealed and hashed. */
export type SettleDecision =
  /** Drop it (a duplicate): the object file is deleted and nothing is appended. */
  | { readonly drop: true }
  /** Append it with this dedupe tag and, when given, this normalized content instead of the input's. */
  | { readonly drop?: false; readonly dedupe?: string; readonly normalized?: NormalizedIntake }
  /**
   * Not accepted after all (a DICOM instance whose end showed it was cut short): the object already
   * written becomes an `intake.quarantine` record's raw bytes, exactly as `quarantine` would have
   * written them (design §4 rule 1: quarantined input keeps its bytes), none of them held in memory;
   * with `dedupe`, the channel's duplicate tag for that record (a resend of the same bytes is known).
   */
  | { readonly quarantine: IntakeQuarantine; readonly dedupe?: string };

export interface IntakeResult {
  /** The journal record holding it: durable (fsynced) when the promise resolves. */
  readonly seq: number;
  /** The sealed raw bytes: inline in the journal record, or an object file; read via VaultObjects. */
  readonly objectId: string;
}


/** What `quarantine` takes: input that was not accepted as a clinical message (design §4 rule 1). */
export interface QuarantineInput {
  readonly kind: 'intake.quarantine';
  /** The bytes exactly as received (for an oversize frame: the part that was kept); a stream for large ones. */
  readonly raw: Uint8Array | AsyncIterable<Uint8Array>;
  /** Why, and what could be read of it; validated with IntakeQuarantineSchema. */
  readonly quarantine: IntakeQuarantine;
  /** When the channel received it (a Date or an ISO date-time); now by default. */
  readonly receivedAt?: Date | string;
  /** The channel's duplicate tag, kept in clear in the journal record (see JournalEntry.dedupe). */
  readonly dedupe?: string;
}


export interface IntakePipeline {
  /**
   * THE write path of every channel (design §4 rules 2–3): seals the raw bytes as an object
   * (inline in the record when small), seals the metadata, appends the journal record and resolves
   * only after the journal's fsync (which then covers the raw bytes too):
   * that is the acknowledgement point (an HL7 ACK, a DICOM success status). Many ingests may be
   * in flight; the journal group-commits them.
   */
  ingest(input: IntakeInput): Promise<IntakeResult>;
  /**
   * The same write path for input that was not accepted (design §4 rule 1): the raw bytes sealed
   * as an object (inline when small), the reason as sealed metadata, one `intake.quarantine`
   * record; resolves after the journal's fsync, so the channel's error answer (HL7 AR/AE) follows
   * the durable record. Throws (nothing stored) when `quarantine` does not fit the schema.
   */
  quarantine(input: QuarantineInput): Promise<IntakeResult>;
  /**
   * Appends a record sealed elsewhere (`sealIntakeRecord`, e.g. on an intake worker thread) and
   * resolves after the journal's fsync, exactly as `ingest` does for what it seals itself.
   */
  commitSealed(record: SealedIntakeRecord): Promise<IntakeResult>;
  /**
   * `ingest` for raw bytes whose fate depends on all of them (DICOM duplicates): they stream
   * through the sealer into their object file while their SHA-256 is computed; then `settle` says
   * whether to drop them (the object file is deleted, nothing is appended: resolves null) or to
   * append the record with a dedupe tag (and changed normalized content). Resolves after the
   * journal's fsync, like ingest. Always an object file, never inline.
   */
  ingestSettled(input: SettledIntakeInput, settle: (raw: { readonly sha256: string; readonly rawBytes: number }) => Promise<SettleDecision>): Promise<IntakeResult | null>;
}

/**
 * An intake record sealed ahead of its journal append: the raw bytes sealed as one envelope small
 * enough to travel inline in the record, its id (SHA-256 of the sealed bytes) and the sealed
 * metadata. Plain data: it crosses a worker boundary by structured clone.
 */
export interface SealedIntakeRecord {
  readonly kind: Exclude<IntakeKind, 'intake.quarantine'>;
  readonly objectId: string;
  readonly inline: Uint8Array;
  readonly meta: Uint8Array;
  /** The channel's duplicate tag, added by the thread that commits it (see JournalEntry.dedupe). */
  readonly dedupe?: string;
}

export interface IntakePipelineOptions {
  /** Object files, for raw payloads too large to travel inline (and for streamed ones); delete for ingestSettled's drops. */
  readonly objects: Pick<ObjectStore, 'write'> & Partial<Pick<ObjectStore, 'delete'>>;
  readonly journal: Pick<Journal, 'append'>;
  /** The process's Sealer for the vault's intake public key (the body: createBodySealer). */
  readonly sealer: Sealer;
  /** Told the seq of every record that became durable (the body coalesces `journal.appended`). */
  readonly onDurable?: (seq: number) => void;
}

/** Raw payloads up to this size are sealed in one call (chunks in parallel); larger ones stream. */
const SEAL_IN_MEMORY_LIMIT = 1024 * 1024;
/** Room for the envelope of up to SEAL_IN_MEMORY_LIMIT bytes: its header and a tag per chunk fit in the extra 64 KiB. */
const SEALED_ROOM_BYTES = SEAL_IN_MEMORY_LIMIT + 64 * 1024;
/** Recycled envelope buffers kept between writes: one per association of the DICOM receiver's default 8. */
const RECYCLED_SEALED_BUFFERS = 8;
/**
 * Raw payloads up to this size are sealed compressed (envelope version 2; issue 11: a 330-byte
 * message cost 2,545 journal bytes). Their compressed envelope then always fits inline, so object
 * files stay version 1 (the object store's streaming header check reads 140 bytes).
 */
const COMPRESS_RAW_UP_TO = 32 * 1024;
const encoder = new TextEncoder();

/** How a channel's raw payload is compressed: HL7 text against the HL7 dictionary, anything else plainly. */
export function rawCompression(kind: IntakeKind, rawBytes: number): SealCompression | undefined {
  if (rawBytes > COMPRESS_RAW_UP_TO) return undefined;
  return kind === 'intake.hl7' || kind === 'intake.demo' || kind === 'intake.quarantine' ? 'hl7v2' : 'plain';
}

/** Intake metadata is JSON of our own normalized shape: compressed against the intake JSON dictionary. */
export const METADATA_COMPRESSION = { compress: 'intakeJson' } as const;

/** The raw bytes' object id is the record's `objects[0]`; repeating it here cost ~40 bytes per message. */
function intakeMetadata(normalized: NormalizedIntake, receivedAt: Date, rawBytes: number): IntakeMetadataV1 {
  return { v: 1, channel: normalized.channel, receivedAt: receivedAt.toISOString(), rawBytes, normalized };
}

/**
 * Seals an intake record without touching storage, for input whose sealed raw bytes fit inline in
 * a journal record (every HL7 message short of tens of KiB); resolves null when they do not (the
 * caller then uses `ingest`, which writes an object file). The same bytes `ingest` would write.
 * Needs only a Sealer, so it runs on a worker thread with that thread's own Sealer.
 */
export async function sealIntakeRecord(sealer: Sealer, input: IntakeInput): Promise<SealedIntakeRecord | null> {
  const raw = input.raw;
  if (!(raw instanceof Uint8Array) || raw.length > MAX_INLINE_OBJECT_BYTES) return null;
  const sealed = await sealer.seal('object', raw, { compress: rawCompression(input.kind, raw.length) });
  if (sealed.length > MAX_INLINE_OBJECT_BYTES) return null;
  // Objects are named by the SHA-256 of their sealed bytes, so the id is known before any write.
  const objectId = createHash('sha256').update(sealed).digest('hex');
  const meta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify(intakeMetadata(input.normalized, input.receivedAt ?? new Date(), raw.length))), METADATA_COMPRESSION);
  return { kind: input.kind, objectId, inline: sealed, meta };
}

/**
 * The intake write path. Small raw payloads (nearly every HL7 message and device reading) are
 * sealed with `seal()` and carried INLINE by their journal record: the raw bytes, their reference
 * and the sealed metadata become durable in the same group commit, one fdatasync for a whole batch
 * of messages, so an ACK can never precede its raw bytes. Large and streamed payloads (DICOM) are
 * written as object files (temp file, fsync, rename, folder fsync) BEFORE the journal append that
 * refers to them, so the journal's fsync still comes last. The body's Sealer
 * (electron/crypto/node-sealer.ts) seals synchronously on this thread in a few tens of microseconds
 * per envelope; the shared WebCrypto Sealer runs on the thread pool instead. Either way many
 * ingests in flight let the journal batch them.
 */
export function createIntakePipeline(options: IntakePipelineOptions): IntakePipeline {
  const { objects, journal, sealer, onDurable } = options;
  const sealedBuffers = new BufferPool(SEALED_ROOM_BYTES, RECYCLED_SEALED_BUFFERS);

  /**
   * Seals `raw` (inline when small, an object file otherwise) and the metadata built for its
   * object id, appends one record of `kind`, and resolves after the journal's fsync.
   */
  async function write(
    kind: IntakeKind,
    raw: Uint8Array | AsyncIterable<Uint8Array>,
    metadataFor: (objectId: string, rawBytes: number) => unknown,
    dedupe: string | undefined,
  ): Promise<IntakeResult> {
    const sealMetadata = (objectId: string, rawBytes: number): Promise<Uint8Array> =>
      sealer.seal('journalMetadata', encoder.encode(JSON.stringify(metadataFor(objectId, rawBytes))), METADATA_COMPRESSION);
    let rawBytes = 0;
    let objectId: string;
    let meta: Uint8Array;
    let inline: Uint8Array | null = null;
    if (raw instanceof Uint8Array && raw.length <= SEAL_IN_MEMORY_LIMIT) {
      rawBytes = raw.length;
      // Past the inline limit the envelope can only become an object file, and is dead once that is
      // written: it is sealed into a recycled buffer (buffer-pool.ts), given back after the write.
      const room = raw.length > MAX_INLINE_OBJECT_BYTES ? sealedBuffers.take(SEALED_ROOM_BYTES) : null;
      const sealed = await sealer.seal('object', raw, { compress: rawCompression(kind, raw.length), ...(room === null ? {} : { output: room }) });
      if (sealed.length <= MAX_INLINE_OBJECT_BYTES) {
        // Objects are named by the SHA-256 of their sealed bytes, so an inline one's id is known without a write.
        objectId = createHash('sha256').update(sealed).digest('hex');
        inline = sealed;
      } else {
        // The object store names it, hashing it on the thread pool while it writes: hashing it here
        // as well was a second SHA-256 pass on the caller's thread (the DICOM receiver's only one).
        objectId = (await objects.write(sealed)).id;
        // Only after a write that resolved: a failed one may still have a thread-pool job reading it.
        if (room !== null) sealedBuffers.give(room);
      }
      meta = await sealMetadata(objectId, rawBytes);
    } else {
      const source: ByteSource = raw;
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const piece of source instanceof Uint8Array ? [source] : source) {
          rawBytes += piece.length;
          yield piece;
        }
      }
      objectId = (await objects.write(sealer.sealStream('object', counted()))).id;
      meta = await sealMetadata(objectId, rawBytes);
    }
    const { seq } = await journal.append({ kind, operator: null, objects: [objectId], meta, ...(inline === null ? {} : { inline: [inline] }), ...(dedupe === undefined ? {} : { dedupe }) });
    onDurable?.(seq);
    return { seq, objectId };
  }

  return {
    async ingest(input) {
      const receivedAt = input.receivedAt ?? new Date();
      return write(input.kind, input.raw, (_objectId, rawBytes) => intakeMetadata(input.normalized, receivedAt, rawBytes), input.dedupe);
    },

    async ingestSettled(input, settle) {
      const receivedAt = input.receivedAt ?? new Date();
      const hash = createHash('sha256');
      let rawBytes = 0;
      const raw = input.raw;
      async function* hashed(): AsyncGenerator<Uint8Array> {
        for await (const piece of raw instanceof Uint8Array ? [raw] : raw) {
          rawBytes += piece.length;
          hash.update(piece);
          yield piece;
        }
      }
      const written = await objects.write(sealer.sealStream('object', hashed()));
      const decision = await settle({ sha256: hash.digest('hex'), rawBytes });
      if ('quarantine' in decision) {
        const quarantine = IntakeQuarantineSchema.parse(decision.quarantine);
        const metadata: QuarantineMetadataV1 = { v: 1, channel: quarantine.channel, receivedAt: receivedAt.toISOString(), objectId: written.id, rawBytes, quarantine };
        const meta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify(metadata)), METADATA_COMPRESSION);
        const { seq } = await journal.append({ kind: 'intake.quarantine', operator: null, objects: [written.id], meta, ...(decision.dedupe === undefined ? {} : { dedupe: decision.dedupe }) });
        onDurable?.(seq);
        return { seq, objectId: written.id };
      }
      if (decision.drop === true) {
        if (!written.existed) await objects.delete?.(written.id);
        return null;
      }
      const normalized = decision.normalized ?? input.normalized;
      if (normalized === undefined) {
        if (!written.existed) await objects.delete?.(written.id);
        throw new TypeError('ingestSettled: accepted without normalized content.');
      }
      const meta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify(intakeMetadata(normalized, receivedAt, rawBytes))), METADATA_COMPRESSION);
      const dedupe = decision.dedupe ?? input.dedupe;
      const { seq } = await journal.append({ kind: input.kind, operator: null, objects: [written.id], meta, ...(dedupe === undefined ? {} : { dedupe }) });
      onDurable?.(seq);
      return { seq, objectId: written.id };
    },

    async commitSealed(record) {
      if ((record.kind as IntakeKind) === 'intake.quarantine' || !INTAKE_KINDS.includes(record.kind)) throw new TypeError('A sealed intake record has an intake kind other than intake.quarantine.');
      // The journal checks the rest: the inline envelope's SHA-256 is its listed id, both are sealed envelopes.
      const { seq } = await journal.append({ kind: record.kind, operator: null, objects: [record.objectId], meta: record.meta, inline: [record.inline], ...(record.dedupe === undefined ? {} : { dedupe: record.dedupe }) });
      onDurable?.(seq);
      return { seq, objectId: record.objectId };
    },

    async quarantine(input) {
      if (input.kind !== 'intake.quarantine') throw new TypeError('A quarantine record has the kind intake.quarantine.');
      // Validated here, at the boundary, before anything is sealed: the mind parses it with the same schema.
      const quarantine = IntakeQuarantineSchema.parse(input.quarantine);
      const at = input.receivedAt ?? new Date();
      const date = typeof at === 'string' ? new Date(at) : at;
      if (Number.isNaN(date.getTime())) throw new RangeError('receivedAt is not a valid date-time.');
      const receivedAt = date.toISOString();
      return write('intake.quarantine', input.raw, (objectId, rawBytes): QuarantineMetadataV1 => ({ v: 1, channel: quarantine.channel, receivedAt, objectId, rawBytes, quarantine }), input.dedupe);
    },
  };
}
