import { createHash } from 'node:crypto';
import type { ByteSource, Sealer } from '../../shared/crypto/envelope';
import type { NormalizedIntake } from '../../shared/domain/clinical';
import type { Journal } from '../storage/journal';
import { MAX_INLINE_OBJECT_BYTES } from '../storage/journal-format';
import type { ObjectStore } from '../storage/object-store';

/**
 * Journal kinds of intake events, one per channel. Plaintext in the journal (vault:check counts
 * them), so they say which channel, never what came in.
 */
export const INTAKE_KINDS = ['intake.demo', 'intake.hl7', 'intake.dicom', 'intake.device', 'intake.file'] as const;
export type IntakeKind = (typeof INTAKE_KINDS)[number];

export interface IntakeInput {
  readonly kind: IntakeKind;
  /** The bytes exactly as received (an HL7 message, a DICOM instance…); a stream for large ones. */
  readonly raw: Uint8Array | AsyncIterable<Uint8Array>;
  readonly normalized: NormalizedIntake;
  /** When the channel received it; now by default. */
  readonly receivedAt?: Date;
}

export interface IntakeResult {
  /** The journal record holding it: durable (fsynced) when the promise resolves. */
  readonly seq: number;
  /** The sealed raw bytes: inline in the journal record, or an object file; read via VaultObjects. */
  readonly objectId: string;
}

/**
 * The sealed metadata of an intake record (a journalMetadata envelope, opened by the mind with the
 * intake private key). Version 1; the mind validates `normalized` with NormalizedIntakeSchema.
 */
export interface IntakeMetadataV1 {
  readonly v: 1;
  readonly channel: NormalizedIntake['channel'];
  /** ISO date-time. */
  readonly receivedAt: string;
  /** The same id as the record's `objects[0]`: the sealed raw bytes. */
  readonly objectId: string;
  /** Length of the raw bytes before sealing. */
  readonly rawBytes: number;
  readonly normalized: NormalizedIntake;
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
}

export interface IntakePipelineOptions {
  /** Object files, for raw payloads too large to travel inline (and for streamed ones). */
  readonly objects: Pick<ObjectStore, 'write'>;
  readonly journal: Pick<Journal, 'append'>;
  /** The process's Sealer for the vault's intake public key. */
  readonly sealer: Sealer;
  /** Told the seq of every record that became durable (the body coalesces `journal.appended`). */
  readonly onDurable?: (seq: number) => void;
}

/** Raw payloads up to this size are sealed in one call (chunks in parallel); larger ones stream. */
const SEAL_IN_MEMORY_LIMIT = 1024 * 1024;
const encoder = new TextEncoder();

/**
 * The intake write path. Small raw payloads (nearly every HL7 message and device reading) are
 * sealed with `seal()` and carried INLINE by their journal record: the raw bytes, their reference
 * and the sealed metadata become durable in the same group commit, one fdatasync for a whole batch
 * of messages, so an ACK can never precede its raw bytes. Large and streamed payloads (DICOM) are
 * written as object files (temp file, fsync, rename, folder fsync) BEFORE the journal append that
 * refers to them, so the journal's fsync still comes last. Sealing runs on WebCrypto's thread pool;
 * many ingests in flight keep both cores busy while the journal batches them.
 */
export function createIntakePipeline(options: IntakePipelineOptions): IntakePipeline {
  const { objects, journal, sealer, onDurable } = options;
  return {
    async ingest(input) {
      const receivedAt = (input.receivedAt ?? new Date()).toISOString();
      const sealMetadata = (objectId: string, rawBytes: number): Promise<Uint8Array> => {
        const metadata: IntakeMetadataV1 = { v: 1, channel: input.normalized.channel, receivedAt, objectId, rawBytes, normalized: input.normalized };
        return sealer.seal('journalMetadata', encoder.encode(JSON.stringify(metadata)));
      };
      let rawBytes = 0;
      let objectId: string;
      let meta: Uint8Array;
      let inline: Uint8Array | null = null;
      if (input.raw instanceof Uint8Array && input.raw.length <= SEAL_IN_MEMORY_LIMIT) {
        rawBytes = input.raw.length;
        const sealed = await sealer.seal('object', input.raw);
        // Objects are named by the SHA-256 of their sealed bytes, so the id is known before any write.
        objectId = createHash('sha256').update(sealed).digest('hex');
        if (sealed.length <= MAX_INLINE_OBJECT_BYTES) {
          inline = sealed;
          meta = await sealMetadata(objectId, rawBytes);
        } else {
          // The metadata is sealed while the object's fsync and rename run.
          const [written, sealedMeta] = await Promise.all([objects.write(sealed), sealMetadata(objectId, rawBytes)]);
          if (written.id !== objectId) throw new Error('The object store named an object differently than its SHA-256.');
          meta = sealedMeta;
        }
      } else {
        const source: ByteSource = input.raw;
        async function* counted(): AsyncGenerator<Uint8Array> {
          for await (const piece of source instanceof Uint8Array ? [source] : source) {
            rawBytes += piece.length;
            yield piece;
          }
        }
        objectId = (await objects.write(sealer.sealStream('object', counted()))).id;
        meta = await sealMetadata(objectId, rawBytes);
      }
      const { seq } = await journal.append({ kind: input.kind, operator: null, objects: [objectId], meta, ...(inline === null ? {} : { inline: [inline] }) });
      onDurable?.(seq);
      return { seq, objectId };
    },
  };
}
