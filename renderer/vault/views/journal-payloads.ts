import { z } from 'zod';
import { IntakeQuarantineSchema, NormalizedIntakeSchema } from '../../../shared/domain/clinical';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode, type Opener, type Sealer } from '../vault-crypto';

/**
 * The sealed `meta` of the journal records the mind reads and writes. Every one is JSON sealed as a
 * `journalMetadata` envelope to the vault's intake public key, so only the mind can open it; the
 * record's plaintext envelope (kind, time, operator, object ids) carries no PHI.
 */

/** What the body's intake pipeline seals for every accepted message (kinds `intake.<channel>`). */
export const IntakeMetaSchema = z.object({
  v: z.literal(1),
  channel: z.string().max(32).optional(),
  receivedAt: z.string().max(64).optional(),
  objectId: z.string().max(128).nullable().optional(),
  rawBytes: z.number().int().nonnegative().optional(),
  normalized: NormalizedIntakeSchema,
});
export type IntakeMeta = z.infer<typeof IntakeMetaSchema>;

/** Journal kinds of accepted intake (one per channel; electron/intake/intake-pipeline.ts INTAKE_KINDS). */
export const INTAKE_RECORD_KINDS: ReadonlySet<string> = new Set(['intake.demo', 'intake.hl7', 'intake.dicom', 'intake.device', 'intake.file']);

/** The intake kinds of the quarantine: a quarantined input, and its resolution. */
export const QUARANTINE_KINDS = {
  quarantined: 'intake.quarantine',
  reprocessed: 'intake.reprocessed',
  discarded: 'intake.discarded',
} as const;

/** What the body seals for a quarantined input (kind `intake.quarantine`). */
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
 * record it resolves. Read leniently (only `quarantineSeq` matters to the views).
 */
export const QuarantineResolutionMetaSchema = z.looseObject({
  quarantineSeq: z.number().int().positive(),
  /** intake.reprocessed: whether every message was stored anew; false leaves the entry open. */
  resolved: z.boolean().optional(),
});

const viewId = z.string().min(1).max(128);

/** The mind's own events. */
export const MIND_KINDS = {
  access: 'view.access',
  operatorChanged: 'operator.changed',
  erasure: 'erasure.patient',
  backupExported: 'export.backup',
  /** The vault opened itself at startup through the OS keychain slot (no one typed a passphrase). */
  autoUnlock: 'vault.autoUnlock',
  /** "Unlock automatically on this computer" was switched on or off. */
  autoUnlockSetting: 'settings.autoUnlock',
} as const;

export const AccessMetaSchema = z.strictObject({
  v: z.literal(1),
  patientId: viewId,
  recordId: viewId.nullable(),
  at: z.iso.datetime(),
});
export type AccessMeta = z.infer<typeof AccessMetaSchema>;

export const OperatorChangedMetaSchema = z.strictObject({
  v: z.literal(1),
  action: z.enum(['created', 'added', 'disabled', 'enabled', 'passphrase-reset', 'passphrase-changed', 'recovered']),
  /** Pseudonymous id of the operator changed (the acting one is the record's `operator`). */
  subject: z.string().max(64),
  role: z.enum(['admin', 'clinician', 'researcher']),
});
export type OperatorChangedMeta = z.infer<typeof OperatorChangedMetaSchema>;

export const AutoUnlockMetaSchema = z.strictObject({
  v: z.literal(1),
  at: z.iso.datetime(),
});
export type AutoUnlockMeta = z.infer<typeof AutoUnlockMetaSchema>;

export const AutoUnlockSettingMetaSchema = z.strictObject({
  v: z.literal(1),
  enabled: z.boolean(),
});
export type AutoUnlockSettingMeta = z.infer<typeof AutoUnlockSettingMetaSchema>;

/** ERASURE: only the patient's view pseudonym and counts; nothing that names the patient. */
export const ErasureMetaSchema = z.strictObject({
  v: z.literal(1),
  patientId: viewId,
  messages: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  objects: z.number().int().nonnegative(),
});
export type ErasureMeta = z.infer<typeof ErasureMetaSchema>;

export async function sealJson(sealer: Sealer, value: unknown): Promise<string> {
  return toBase64Url(await sealer.seal('journalMetadata', utf8Encode(JSON.stringify(value))));
}

/** Opens a sealed meta; throws (EnvelopeError, SyntaxError) when it does not open or is not JSON. */
export async function openJson(opener: Opener, meta: string): Promise<unknown> {
  const opened = await opener.open(fromBase64Url(meta));
  if (opened.kind !== 'journalMetadata') throw new TypeError('The journal metadata is not a journalMetadata envelope.');
  return JSON.parse(utf8Decode(opened.plaintext)) as unknown;
}
