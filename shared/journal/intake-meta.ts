import { z } from 'zod';
import { IntakeQuarantineSchema, NormalizedIntakeSchema, type IntakeQuarantine, type NormalizedIntake } from '../domain/clinical';

/**
 * The sealed `meta` of the body's intake records: JSON sealed as a `journalMetadata` envelope to
 * the vault's intake public key, so only the mind opens it. The body writes the V1 shapes; the
 * mind reads them with the schemas (leniently: fields a newer or older body may leave out are
 * optional, and unknown fields are dropped).
 */

/** What the intake pipeline seals for every accepted message (kinds `intake.<channel>`). */
export interface IntakeMetadataV1 {
  readonly v: 1;
  readonly channel: NormalizedIntake['channel'];
  /** ISO date-time. */
  readonly receivedAt: string;
  /**
   * The same id as the record's `objects[0]` (the sealed raw bytes): written by older versions
   * only; readers take `objects[0]` when it is absent.
   */
  readonly objectId?: string;
  /** Length of the raw bytes before sealing. */
  readonly rawBytes: number;
  readonly normalized: NormalizedIntake;
}

export const IntakeMetaSchema = z.object({
  v: z.literal(1),
  channel: z.string().max(32).optional(),
  receivedAt: z.string().max(64).optional(),
  objectId: z.string().max(128).nullable().optional(),
  rawBytes: z.number().int().nonnegative().optional(),
  normalized: NormalizedIntakeSchema,
});
export type IntakeMeta = z.infer<typeof IntakeMetaSchema>;

/** What the pipeline seals for a quarantined input (kind `intake.quarantine`). */
export interface QuarantineMetadataV1 {
  readonly v: 1;
  readonly channel: IntakeQuarantine['channel'];
  /** ISO date-time. */
  readonly receivedAt: string;
  /** The same id as the record's `objects[0]`: the sealed raw bytes. */
  readonly objectId: string;
  /** Length of the raw bytes before sealing. */
  readonly rawBytes: number;
  readonly quarantine: IntakeQuarantine;
}

export const QuarantineMetaSchema = z.object({
  v: z.literal(1),
  channel: z.string().max(32).optional(),
  receivedAt: z.string().max(64).optional(),
  objectId: z.string().max(128).nullable().optional(),
  rawBytes: z.number().int().nonnegative().optional(),
  quarantine: IntakeQuarantineSchema,
});
export type QuarantineMeta = z.infer<typeof QuarantineMetaSchema>;

/**
 * A quarantine resolution (kinds `intake.reprocessed` / `intake.discarded`): which quarantine
 * record it resolves. Read leniently (only `quarantineSeq` and `resolved` matter to the views; the
 * body adds the type, time, charset and per-message results).
 */
export const QuarantineResolutionMetaSchema = z.looseObject({
  quarantineSeq: z.number().int().positive(),
  /** intake.reprocessed: whether every message was stored anew; false leaves the entry open. */
  resolved: z.boolean().optional(),
  /**
   * Who acted: the account id of the session that called (the body's sessions, never the payload;
   * tester's finding 1). The ledger signs the act under its pseudonym. Absent in acts journaled
   * before, which carry the operator's pseudonym in the record itself.
   */
  operatorId: z.string().min(1).max(256).optional(),
});
export type QuarantineResolutionMeta = z.infer<typeof QuarantineResolutionMetaSchema>;

// What the body writes is what the mind reads (a compile error here otherwise).
type Readable<W, S extends z.ZodType> = W extends z.input<S> ? true : never;
const _intakeReadable: Readable<IntakeMetadataV1, typeof IntakeMetaSchema> = true;
const _quarantineReadable: Readable<QuarantineMetadataV1, typeof QuarantineMetaSchema> = true;
void _intakeReadable;
void _quarantineReadable;
