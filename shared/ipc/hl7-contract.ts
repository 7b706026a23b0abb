import { z } from 'zod';
import {
  HL7_CHARSETS,
  INTAKE_CHUNK_MAX_CHARS,
  INTAKE_IMPORT_MAX_FILES,
  ImportPositionSchema,
  IntakeMessageResultSchema,
  IntakeMonitorSchema,
  IntakeSettingsAnswerSchema,
  IntakeSettingsSchema,
  IntakeTotalsSchema,
  base64url,
  journalSeq,
  uploadHandle,
} from './intake-contract';
import { event, method } from './method';

/**
 * `hl7.*`: what only the HL7 v2 channel has (its monitor, file import, reprocessing a quarantined
 * message, the MLLP listener's settings). What every channel shares (status, uploads, discarding a
 * quarantined input) is `intake.*`. The data types these carry are in intake-contract.ts.
 */

const charset = z.enum(HL7_CHARSETS);

const ImportAnswerSchema = z.strictObject({
  results: z.array(IntakeMessageResultSchema).max(1_000_000),
  /** Empty files (zero bytes: nothing imported, nothing quarantined), by index. Anything else yields at least one result. */
  emptyFiles: z.array(z.number().int().nonnegative()).max(INTAKE_IMPORT_MAX_FILES),
});
export type IntakeImportAnswer = Readonly<z.infer<typeof ImportAnswerSchema>>;

/**
 * The bytes a call works on: an upload (any size up to the limits, sent in chunks with
 * intake.uploadBegin/uploadAppend), or small files inline (INTAKE_CHUNK_MAX_CHARS in all).
 * Exactly one of the two.
 */
const inlineFiles = z.array(z.strictObject({ bytes: base64url })).min(1).max(INTAKE_IMPORT_MAX_FILES);

export const hl7Methods = {
  /** The intake monitor: HL7 counters per sender, recent messages with their ACKs, throughput, open connections. */
  'hl7.monitor': method(z.strictObject({}), IntakeMonitorSchema),
  /**
   * Imports HL7 v2 files (one message, several, or FHS/BHS batches each) through the same pipeline
   * as the listener: stored, duplicates recognized, rejects quarantined. File names never reach the
   * body: results are by file index. `charset` replaces the default charset (for MSH-18 empty).
   * `position`: the files' places in the operator's whole import, recorded as a quarantined
   * message's source ("file 1003 of 1040"); without it the source is "a file imported".
   */
  'hl7.importFiles': method(
    z
      .strictObject({ upload: uploadHandle.optional(), files: inlineFiles.optional(), charset: charset.optional(), position: ImportPositionSchema.optional() })
      .refine((r) => (r.upload === undefined) !== (r.files === undefined), { message: 'Give either upload or files.' })
      .refine((r) => r.position === undefined || r.files === undefined || r.position.files.length === r.files.length, { message: 'position: one per file sent.' })
      .refine((r) => (r.files ?? []).reduce((sum, f) => sum + f.bytes.length, 0) <= INTAKE_CHUNK_MAX_CHARS, {
        message: 'Inline files are limited in size; send larger ones with intake.uploadBegin and intake.uploadAppend.',
      }),
    ImportAnswerSchema,
  ),
  /**
   * Runs a quarantined message again: `raw` (or an upload holding exactly one file) is the raw
   * bytes the mind opened from the quarantine record's object, or an operator's edited copy of
   * them (`edited`: the new records hold the edited bytes, the quarantine record keeps the
   * original); `charset` replaces the default charset, or with `charsetOverride` is used whatever
   * MSH-18 says (a sender that declares the wrong one). Always journals `intake.reprocessed` as the
   * calling session's operator (plaintext note {quarantineSeq, resolved: 0|1}; sealed meta {v:1, type:'reprocessed',
   * quarantineSeq, resolved, charset?, charsetOverride?, edited?, rawSha256? (edited), results, operatorId}) and answers the
   * per-message results. `resolved`: the quarantine entry is settled — every message is now stored
   * anew (AA, not quarantined, not a duplicate) or held in a new quarantine record of its own (a
   * rejection or hold of other bytes; the act's sealed meta lists them as `heldAgainAs`), so the
   * entry cannot be filed a second time beside its edited copy. Otherwise it stays open (a message
   * answered as before comes back as a duplicate; storage failing).
   * E_BAD_REQUEST when quarantineSeq is not an `intake.quarantine` record; E_CONFLICT when it was
   * resolved by a reprocess or discarded already.
   */
  'hl7.reprocess': method(
    z
      .strictObject({
        quarantineSeq: journalSeq,
        raw: base64url.min(1).max(INTAKE_CHUNK_MAX_CHARS).optional(),
        upload: uploadHandle.optional(),
        charset: charset.optional(),
        charsetOverride: z.boolean().optional(),
        edited: z.boolean().optional(),
      })
      .refine((r) => (r.upload === undefined) !== (r.raw === undefined), { message: 'Give either upload or raw.' })
      .refine((r) => r.charsetOverride !== true || r.charset !== undefined, { message: 'charsetOverride needs a charset.', path: ['charsetOverride'] }),
    z.strictObject({ seq: journalSeq, resolved: z.boolean(), results: z.array(IntakeMessageResultSchema).max(1_000_000) }),
  ),
  /**
   * Starts the HL7 counters (totals and per sender, kept across restarts) again from zero. Journals
   * `intake.countersReset` as the calling session's operator (sealed meta: the figures before and
   * `operatorId`). E_CONFLICT without a vault.
   */
  'hl7.resetCounters': method(z.strictObject({}), z.strictObject({ seq: journalSeq, since: z.iso.datetime() })),
  'hl7.getSettings': method(z.strictObject({}), IntakeSettingsAnswerSchema),
  /**
   * Changes some settings (validated as a whole: a non-loopback bindAddress needs allowedPeers),
   * saves them, restarts the listener when a vault exists, and answers the resulting status
   * (a port in use → listener.state `error`, the settings are still saved).
   */
  'hl7.updateSettings': method(IntakeSettingsSchema.partial().strict(), IntakeSettingsAnswerSchema),
} as const;

export const hl7Events = {
  /** HL7 counters changed (at most once a second while messages arrive): refresh the monitor. */
  'hl7.activity': event(z.strictObject({ totals: IntakeTotalsSchema })),
} as const;
