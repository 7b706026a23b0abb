import { z } from 'zod';

/**
 * The sealed `meta` of the mind's own events (kinds in journal-kinds.ts MIND_KINDS): JSON sealed
 * as a `journalMetadata` envelope to the vault's intake public key. Each also carries an
 * authenticator, `auth` (renderer/vault/mind-events.ts), beside these fields; readers strip it
 * before these schemas, which describe the event itself.
 */

const viewId = z.string().min(1).max(128);

/**
 * `view.access`: a patient page (recordId null) or one record was opened; with `messageSeq`, the
 * raw bytes of that journal record (an intake message of the patient) were what was opened.
 */
export const AccessMetaSchema = z.strictObject({
  v: z.literal(1),
  patientId: viewId,
  recordId: viewId.nullable(),
  messageSeq: z.number().int().positive().optional(),
  /**
   * What was opened when it is not the chart (page, record) or a raw message: an imaging study
   * (`recordId` is its view id), or a message's page in the message browser, which shows the
   * patient and the records the message `messageSeq` filed (`recordId` null).
   */
  what: z.enum(['imaging study', 'message page']).optional(),
  at: z.iso.datetime(),
});
export type AccessMeta = z.infer<typeof AccessMetaSchema>;

/** `view.quarantined`: the raw bytes of the quarantine record `quarantineSeq` were opened. */
export const QuarantineAccessMetaSchema = z.strictObject({
  v: z.literal(1),
  quarantineSeq: z.number().int().positive(),
  /** The chart the bytes' PID names, when the vault holds it (quarantined-patient.ts, H8 F1): an access of that patient. */
  patientId: z.string().min(1).max(64).optional(),
  at: z.iso.datetime(),
});
export type QuarantineAccessMeta = z.infer<typeof QuarantineAccessMetaSchema>;

/** `operator.changed`. */
export const OperatorChangedMetaSchema = z.strictObject({
  v: z.literal(1),
  action: z.enum(['created', 'added', 'disabled', 'enabled', 'passphrase-reset', 'passphrase-changed', 'recovered']),
  /** Pseudonymous id of the operator changed (the acting one is the record's `operator`). */
  subject: z.string().max(64),
  role: z.enum(['admin', 'clinician', 'researcher', 'auditor']),
});
export type OperatorChangedMeta = z.infer<typeof OperatorChangedMetaSchema>;

/** `vault.autoUnlock`. */
export const AutoUnlockMetaSchema = z.strictObject({
  v: z.literal(1),
  at: z.iso.datetime(),
});
export type AutoUnlockMeta = z.infer<typeof AutoUnlockMetaSchema>;

/** `settings.autoUnlock`. */
export const AutoUnlockSettingMetaSchema = z.strictObject({
  v: z.literal(1),
  enabled: z.boolean(),
});
export type AutoUnlockSettingMeta = z.infer<typeof AutoUnlockSettingMetaSchema>;

/** Auto-lock minutes: 0 is never, at most a day (renderer/vault/session/auto-lock.ts). */
export const AUTO_LOCK_MAX_MINUTES = 24 * 60;
const autoLockMinutes = z.number().int().min(0).max(AUTO_LOCK_MAX_MINUTES);

/**
 * `settings.autoLock`: an administrator set the workstation's "Lock automatically after" (minutes,
 * 0 = never), from `before`. Only an administrator's session may append it (the body refuses others).
 */
export const AutoLockSettingMetaSchema = z.strictObject({
  v: z.literal(1),
  minutes: autoLockMinutes,
  before: autoLockMinutes,
});
export type AutoLockSettingMeta = z.infer<typeof AutoLockSettingMetaSchema>;

/** `erasure.patient`: only the patient's view pseudonym and counts; nothing that names the patient. */
export const ErasureMetaSchema = z.strictObject({
  v: z.literal(1),
  patientId: viewId,
  messages: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  objects: z.number().int().nonnegative(),
  /**
   * The quarantine records (journal seqs) erased with the patient: the inputs their records were
   * reprocessed from. Absent in erasures made before they were (and when there were none).
   */
  quarantined: z.array(z.number().int().positive()).max(100_000).optional(),
  /**
   * Access reports the app itself wrote into `<data>/exports/` that name the patient, removed with
   * them (a count: their file names are on no record). Absent in erasures made before they were.
   */
  reports: z.number().int().nonnegative().optional(),
});
export type ErasureMeta = z.infer<typeof ErasureMetaSchema>;

/** Any `export.*`: the backup's `{v, bytes}` and the ledger's and node info's with entries and the file name. */
export const ExportMetaSchema = z.strictObject({
  v: z.literal(1),
  bytes: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative().optional(),
  /** The file's name only (not its folder, which may hold a user name). */
  file: z.string().max(200).optional(),
  /** Whose data the file holds (their view id), for an export of one patient's (a document saved from the viewer). */
  patientId: viewId.optional(),
});
export type ExportMeta = z.infer<typeof ExportMetaSchema>;

/** `settings.institution`: the institution's name and role (materialized into the views' meta). */
export const InstitutionMetaSchema = z.strictObject({
  v: z.literal(1),
  name: z.string().max(200),
  role: z.enum(['clinic', 'research']),
});
export type InstitutionMeta = z.infer<typeof InstitutionMetaSchema>;

/** `vault.eventAuth`: mind events from this record on must carry an authenticator (renderer/vault/mind-events.ts). */
export const EventAuthMetaSchema = z.strictObject({
  v: z.literal(1),
});
export type EventAuthMeta = z.infer<typeof EventAuthMetaSchema>;
