import { z } from 'zod';
import { FilePositionSchema, INTAKE_CHUNK_MAX_CHARS, INTAKE_IMPORT_MAX_FILES, ImportPositionSchema, ListenerStatusSchema, base64url, journalSeq, uploadHandle } from './intake-contract';
import { method } from './method';

/**
 * `dicom.*`: the DICOM receiver (C-ECHO and C-STORE SCP, issue 12): its settings and its status
 * for the intake monitor. Instances it stores become `intake.dicom` journal records like every
 * channel's; what every channel shares (status, uploads, discarding a quarantined input) is `intake.*`.
 * Nothing here is PHI: AE titles, addresses, counters.
 */

const ipAddress = z.union([z.ipv4(), z.ipv6()]);
/** AE titles: 1–16 characters of the default repertoire, no backslash or control characters, not all spaces (PS3.5 6.2). */
const aeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'An AE title is up to 16 printable ASCII characters without a backslash.')
  .refine((title) => title.trim() !== '' && title === title.trim(), 'An AE title has no leading or trailing spaces.');

export const DicomAllowedCallerSchema = z.strictObject({ aeTitle, address: ipAddress });

export const DicomSettingsSchema = z.strictObject({
  /** The node's AE title: the called AE title a sender must use. Default HDMS. */
  aeTitle,
  /** TCP port; 0 = disabled. Default 11112. */
  port: z.number().int().min(0).max(65535),
  /** The address to listen on. Default 127.0.0.1; any other needs allowedCallers. */
  bindAddress: ipAddress,
  /** Calling AE titles with the address each must connect from. Empty: any caller (loopback only). */
  allowedCallers: z.array(DicomAllowedCallerSchema).max(256),
  /** The maximum P-DATA-TF length announced to senders, bytes. Default 256 KiB. */
  maxPduLength: z.number().int().min(4096).max(4 * 1024 * 1024),
  /** Associations at once; more are rejected as transient (the sender retries). Default 8. */
  maxAssociations: z.number().int().min(1).max(64),
  /** ARTIM: for the association request to arrive and for the peer to close after release or reject. Default 30 s. */
  artimSeconds: z.number().int().min(1).max(600),
  /** Silence allowed while a sender owes the next PDU. Default 60 s. */
  idleTimeoutSeconds: z.number().int().min(1).max(3600),
  /**
   * Issuer of Patient ID (0010,0021) as senders write it → the HL7 assigning authority of the
   * same patient identifiers, so studies land on the patients HL7 messages made. The key '' is
   * used for instances that send no issuer. An issuer not listed is used as the authority itself.
   */
  issuerAuthorities: z.record(z.string().max(64), z.string().max(64)).refine((map) => Object.keys(map).length <= 256, 'At most 256 issuer mappings.'),
});
export type DicomSettings = Readonly<z.infer<typeof DicomSettingsSchema>>;

export const DEFAULT_DICOM_SETTINGS: DicomSettings = {
  aeTitle: 'HDMS',
  port: 11112,
  bindAddress: '127.0.0.1',
  allowedCallers: [],
  maxPduLength: 256 * 1024,
  maxAssociations: 8,
  artimSeconds: 30,
  idleTimeoutSeconds: 60,
  issuerAuthorities: {},
};

const count = z.number().int().nonnegative();

/**
 * What the receiver did with the C-STORE requests it answered (issue 12 §7). Every request is
 * `received` once and then exactly one of: stored, held, duplicate, conflict or failed, so
 * received = stored + held + duplicates + conflicts + failed.
 */
const storeCounts = {
  /** C-STORE requests answered (whatever the answer). */
  received: count,
  /** New instances stored and filed under a patient. */
  stored: count,
  /** Instances stored in quarantine as held (no Patient ID); answered Success. */
  held: count,
  /** Resends of an instance stored before, byte for byte: answered Success, not stored again. */
  duplicates: count,
  /** A SOP Instance UID stored before, now with other bytes: stored as well, flagged as a conflict. */
  conflicts: count,
  /** Answered with a failure status (C000 quarantined, 0122, A700). */
  failed: count,
};

export const DicomCountersSchema = z.strictObject({
  associations: count,
  rejectedAssociations: count,
  echoes: count,
  ...storeCounts,
  protocolErrors: count,
  bytes: count,
});

/**
 * Why an association was rejected (QA12 D5): the called AE title is not this node's; the calling
 * AE title and address are not on the allow-list; too many associations (or connections) at once;
 * the protocol version or application context is not DICOM's.
 */
export const DICOM_REJECTION_REASONS = ['called-ae-title', 'not-allowed', 'too-many', 'protocol'] as const;
export type DicomRejectionReason = (typeof DICOM_REJECTION_REASONS)[number];

/**
 * One calling AE title at one address, since the listener started; an empty AE title for a
 * connection closed before it asked (too many connections). Past the receiver's named rows, new
 * callers are counted together in one row marked `others` (empty AE title and address).
 */
/** Wrong called AE titles named per caller; the others are counted (QA s32). */
export const MAX_NAMED_CALLED_AE_TITLES = 3;

export const DicomCallerSchema = z.strictObject({
  aeTitle: z.string().max(16),
  address: z.string().max(64),
  others: z.literal(true).optional(),
  associations: count,
  ...storeCounts,
  /** Associations refused (A-ASSOCIATE-RJ, or a connection closed at once), by reason. */
  rejected: count,
  rejections: z.strictObject(Object.fromEntries(DICOM_REJECTION_REASONS.map((reason) => [reason, count.optional()])) as Record<DicomRejectionReason, z.ZodOptional<typeof count>>),
  /**
   * The called AE titles the caller asked for when they were not this node's, each with how many
   * times, in the order first asked (an AE title is configuration, not PHI): a few by name, then
   * how many other titles (`more`: at least that many, past what is told apart).
   */
  calledAeTitles: z.array(z.strictObject({ aeTitle: z.string().max(16), count })).max(MAX_NAMED_CALLED_AE_TITLES).optional(),
  otherCalledAeTitles: z.strictObject({ titles: count, more: z.boolean() }).optional(),
});

export const DicomStatusSchema = z.strictObject({
  listener: ListenerStatusSchema,
  aeTitle,
  /** The port given on the command line (`--dicom-port N`) for this run; null when none. */
  portOverride: z.number().int().min(0).max(65535).nullable(),
  /** ISO time the counters and callers count since: the first start with this vault, or the last reset (they are kept across restarts). */
  countersSince: z.iso.datetime().optional(),
  counters: DicomCountersSchema,
  /** Calling AE titles seen since countersSince, with their counts (at most 500 named rows and the others' row). */
  callers: z.array(DicomCallerSchema).max(1000),
  open: z.array(z.strictObject({ peer: z.string().max(64), callingAeTitle: z.string().max(16), since: z.string().max(40), state: z.string().max(8) })).max(1000),
});
export type DicomStatus = Readonly<z.infer<typeof DicomStatusSchema>>;

export const DicomSettingsAnswerSchema = z.strictObject({
  settings: DicomSettingsSchema,
  portOverride: z.number().int().min(0).max(65535).nullable(),
  listener: ListenerStatusSchema,
});

/** One file's outcome in a DICOM import (by its index in the upload: file names never reach the body). */
export const DicomImportResultSchema = z.strictObject({
  file: z.number().int().nonnegative(),
  /**
   * stored: a new instance; duplicate: the same instance was stored before (nothing stored);
   * conflict: the same SOP Instance UID with other bytes (stored, flagged); held: stored in
   * quarantine (no Patient ID); quarantined: unreadable, stored in quarantine with the reason;
   * not-dicom: neither a DICOM file nor a data set (nothing stored); directory: a DICOMDIR (its
   * instances are imported from their own files); failed: storage failed (nothing stored).
   */
  outcome: z.enum(['stored', 'duplicate', 'conflict', 'held', 'quarantined', 'not-dicom', 'directory', 'failed']),
  reason: z.string().max(500).optional(),
  seq: z.number().int().positive().optional(),
  /** With duplicate: the identical copy is in the quarantine (held or unreadable bytes sent again), not in the vault's studies. */
  inQuarantine: z.literal(true).optional(),
});
export type DicomImportResult = Readonly<z.infer<typeof DicomImportResultSchema>>;

/** The largest file a streamed import takes (dicom.streamBegin/streamAppend). */
export const DICOM_STREAM_MAX_BYTES = 4 * 1024 * 1024 * 1024;

/** What a reprocess of a quarantined instance did (dicom.reprocess). */
export type DicomReprocessOutcome = Omit<DicomImportResult, 'file'>;

export const dicomMethods = {
  /** The receiver's state, counters, callers and open associations (the intake monitor). */
  'dicom.status': method(z.strictObject({}), DicomStatusSchema),
  /**
   * Starts the receiver's counters and calling-AE rows (kept across restarts) again from zero.
   * Journals `intake.countersReset` as the calling session's operator (sealed meta: channel
   * 'dicom', the figures before and `operatorId`). E_CONFLICT without a vault.
   */
  'dicom.resetCounters': method(z.strictObject({}), z.strictObject({ seq: journalSeq, since: z.iso.datetime() })),
  'dicom.getSettings': method(z.strictObject({}), DicomSettingsAnswerSchema),
  /**
   * Changes some settings (validated as a whole: a non-loopback bindAddress needs allowedCallers),
   * saves them, restarts the receiver when a vault exists (open associations finish first), and
   * answers the resulting status (a port in use → listener.state `error`; the settings are saved).
   */
  'dicom.updateSettings': method(DicomSettingsSchema.partial().strict(), DicomSettingsAnswerSchema),
  /**
   * Imports DICOM files (Part 10 files, or bare data sets without the preamble) through the same
   * checks and records as a C-STORE: one result per file, by index. The bytes come from an upload
   * (intake.uploadBegin/uploadAppend) or inline when small. `position`: each file's place in the
   * operator's whole import and the import's file count, recorded as a quarantined file's source
   * ("file 10 of 11"); one per file sent (E_BAD_REQUEST otherwise). Without it the source is
   * "a file imported".
   */
  'dicom.importFiles': method(
    z
      .strictObject({
        upload: uploadHandle.optional(),
        files: z.array(z.strictObject({ bytes: base64url })).min(1).max(INTAKE_IMPORT_MAX_FILES).optional(),
        position: ImportPositionSchema.optional(),
      })
      .refine((r) => (r.upload === undefined) !== (r.files === undefined), { message: 'Give either upload or files.' })
      .refine((r) => r.position === undefined || r.files === undefined || r.position.files.length === r.files.length, { message: 'position: one per file sent.' })
      .refine((r) => (r.files ?? []).reduce((sum, f) => sum + f.bytes.length, 0) <= INTAKE_CHUNK_MAX_CHARS, {
        message: 'Inline files are limited in size; send larger ones with intake.uploadBegin and intake.uploadAppend.',
      }),
    z.strictObject({ results: z.array(DicomImportResultSchema).max(INTAKE_IMPORT_MAX_FILES) }),
  ),
  /**
   * Opens the import of one file larger than an upload holds (over INTAKE_FILE_MAX_BYTES, up to
   * DICOM_STREAM_MAX_BYTES): its chunks (dicom.streamAppend) stream through the sealer into the
   * object store as they arrive, as a C-STORE's data set does. At most 2 open at once (E_CONFLICT);
   * one unused for 10 minutes is dropped. E_CONFLICT without a vault.
   * With `reprocess`, the file is a quarantined instance's raw bytes sent again (as dicom.reprocess
   * does for smaller ones): the last append answers `reprocessed` {seq of the intake.reprocessed
   * act, resolved}; a refused reprocess (not an open quarantine record) answers a `failed` result
   * with the reason and no `reprocessed`. Reprocesses and discards wait while it runs.
   * `position` (not with `reprocess`): the file's place in the operator's import, as for
   * dicom.importFiles; without it a quarantined file's source is "a large file imported".
   */
  'dicom.streamBegin': method(
    z
      .strictObject({
        reprocess: z.strictObject({ quarantineSeq: journalSeq }).optional(),
        position: FilePositionSchema.optional(),
      })
      .refine((r) => r.reprocess === undefined || r.position === undefined, { message: 'A reprocess has no position in an import.' }),
    z.strictObject({ handle: uploadHandle }),
  ),
  /**
   * The next chunk of a streamed import, in order. Answered once the body has sealed all but a
   * bounded amount of what it was sent (send the next chunk only then). `last` ends the file and
   * answers its `result` (the same outcomes as dicom.importFiles); `result` also comes earlier
   * when the outcome is known before the end (not DICOM, a DICOMDIR, storage failing): the import
   * is then closed and the rest need not be sent. E_BAD_REQUEST beyond DICOM_STREAM_MAX_BYTES (the
   * import is dropped); E_CONFLICT for an unknown, finished or expired handle.
   */
  'dicom.streamAppend': method(
    z.strictObject({ handle: uploadHandle, chunk: base64url.max(INTAKE_CHUNK_MAX_CHARS), last: z.boolean() }),
    z.strictObject({
      bytes: z.number().int().nonnegative(),
      result: DicomImportResultSchema.omit({ file: true }).optional(),
      reprocessed: z.strictObject({ seq: journalSeq, resolved: z.boolean() }).optional(),
    }),
  ),
  /** Drops a streamed import: nothing of it is stored. */
  'dicom.streamAbort': method(z.strictObject({ handle: uploadHandle }), z.strictObject({})),
  /**
   * Runs a quarantined DICOM instance again: `raw` (or an upload holding exactly one file) is the
   * raw bytes the mind opened from the quarantine record's object. They go through the same checks
   * and records as an import. Always journals `intake.reprocessed` as the calling session's operator
   * (plaintext note {quarantineSeq, resolved: 0|1}; sealed meta {v:1, type:'reprocessed',
   * quarantineSeq, resolved, at, channel: 'dicom', result, operatorId}). `resolved`: the entry is settled: the instance is in the vault now (stored,
   * conflict, duplicate), or it is in quarantine again as a new entry (`result.seq`) holding the
   * same bytes with the reason found now (held, quarantined). Otherwise (not DICOM, storage failed)
   * the entry stays open. E_BAD_REQUEST when quarantineSeq is not an `intake.quarantine` record;
   * E_CONFLICT when it was resolved already.
   */
  'dicom.reprocess': method(
    z
      .strictObject({ quarantineSeq: journalSeq, raw: base64url.min(1).max(INTAKE_CHUNK_MAX_CHARS).optional(), upload: uploadHandle.optional() })
      .refine((r) => (r.upload === undefined) !== (r.raw === undefined), { message: 'Give either upload or raw.' }),
    z.strictObject({ seq: journalSeq, resolved: z.boolean(), result: DicomImportResultSchema.omit({ file: true }) }),
  ),
} as const;
