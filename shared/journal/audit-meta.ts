import { z } from 'zod';
import { OPERATOR_ROLES } from '../ipc/vault-contract';

/**
 * The sealed `meta` of the body's audit records (journal-kinds.ts AUDIT_KINDS), JSON sealed as a
 * `journalMetadata` envelope to the vault's intake public key, like intake metadata. The body knows
 * an operator by the account id in keys.json (or "recovery"), never by the pseudonym the ledger
 * signs; the mind derives that pseudonym when it signs the entry. No PHI: ids, a role, counts, a
 * file name and the computer's name.
 */

const accountId = z.string().min(1).max(256);
/** This computer's host name and the app's host ("desktop app" or "browser shell"). */
const workstation = z.string().max(300);

/**
 * unlockFailed: an attempt that can no longer succeed (electron/audit/failed-unlocks.ts).
 * revoked: an administrator's keyring change ended the session (its `cause`).
 */
export const SESSION_AUDIT_EVENTS = ['signedIn', 'locked', 'closed', 'unlockFailed', 'revoked'] as const;
export type SessionAuditEvent = (typeof SESSION_AUDIT_EVENTS)[number];
/** Why a keyring change ended a session (electron/auth/operator-sessions.ts SessionRevocation). */
export const SESSION_REVOCATION_CAUSES = ['disabled', 'removed', 'roleChanged', 'recoveryRemoved'] as const;

/** `audit.session`. */
export const SessionAuditMetaSchema = z.strictObject({
  v: z.literal(1),
  event: z.enum(SESSION_AUDIT_EVENTS),
  operatorId: accountId,
  role: z.enum(OPERATOR_ROLES),
  slot: z.enum(['passphrase', 'recovery', 'keychain']),
  /**
   * signedIn: the unlock attempts on this operator's slot that failed since its last sign-in;
   * unlockFailed: those that failed before this one (so the third wrong passphrase in a row says 2).
   */
  failedAttempts: z.number().int().nonnegative(),
  /**
   * locked: the window locked itself after the idle minutes (auto-lock), not an operator's Lock.
   * Absent on a lock by hand, and on every lock journaled before this mark existed (those read "locked").
   */
  idle: z.literal(true).optional(),
  /** revoked only: the operator was disabled, removed or given another role (`role` is the one the session had), or no recovery slot is left. */
  cause: z.enum(SESSION_REVOCATION_CAUSES).optional(),
  /**
   * revoked only: the administrator whose keyring change it was, by account id like `operatorId` (the
   * ledger entry signs its pseudonym). Absent on revoked records journaled before it was recorded.
   */
  by: accountId.optional(),
  workstation,
  at: z.iso.datetime(),
});
export type SessionAuditMeta = z.infer<typeof SessionAuditMetaSchema>;

/** At most this many patients named by one exported access report (ledger.exportAccessReport's `subjects`). */
export const EXPORT_SUBJECTS_MAX = 20_000;

/** `audit.exported`: a file the body wrote into `<data>/exports/` for a session. */
export const ExportAuditMetaSchema = z.strictObject({
  v: z.literal(1),
  /** accessReport: any session's; ledger: an auditor's (a clinical session signs its own ledger export entry). */
  what: z.enum(['accessReport', 'ledger']),
  operatorId: accountId,
  role: z.enum(OPERATOR_ROLES),
  bytes: z.number().int().nonnegative(),
  /** Rows of the report. */
  entries: z.number().int().nonnegative(),
  /** The file's name only (the folder may hold a user name). */
  file: z.string().max(200),
  /**
   * accessReport: the ledger subjects (bytes32 pseudonyms) of the patients the report names, as kept
   * beside the file (electron/ledger/access-report-subjects.ts): each of them sees the export under
   * "Who accessed this record". Absent on reports written before it was recorded, and on a ledger export.
   */
  subjects: z.array(z.string().regex(/^0x[0-9a-f]{64}$/)).max(EXPORT_SUBJECTS_MAX).optional(),
  /**
   * accessReport: SHA-256 (hex) of the file's bytes as written. The EXPORT entry signed for this record
   * holds it among its inputs, so `access-report:verify` can tell the file as exported from one
   * changed after. Absent on reports written before it was recorded, and on a ledger export.
   */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  workstation,
  at: z.iso.datetime(),
});
export type ExportAuditMeta = z.infer<typeof ExportAuditMetaSchema>;

/** The settings the body keeps that an `audit.settings` record can name. */
export const AUDITED_SETTINGS = ['hl7Listener', 'dicomReceiver', 'backup'] as const;
export type AuditedSetting = (typeof AUDITED_SETTINGS)[number];

/** One changed field: its name and its value before and after, as words (never a path or PHI). */
export const SettingChangeSchema = z.strictObject({
  field: z.string().min(1).max(64),
  from: z.string().max(500),
  to: z.string().max(500),
});
export type SettingChange = z.infer<typeof SettingChangeSchema>;

/**
 * `audit.settings`: an administrator saved a body setting and something changed. `changes` lists
 * each changed field old → new: ports, addresses, AE titles, sizes, the schedule; the backup
 * destination only as "default folder" or "chosen folder" (a path may hold a user name).
 */
export const SettingsAuditMetaSchema = z.strictObject({
  v: z.literal(1),
  setting: z.enum(AUDITED_SETTINGS),
  operatorId: accountId,
  role: z.enum(OPERATOR_ROLES),
  changes: z.array(SettingChangeSchema).min(1).max(32),
  workstation,
  at: z.iso.datetime(),
});
export type SettingsAuditMeta = z.infer<typeof SettingsAuditMetaSchema>;
