import { z } from 'zod';
import { KeySlotSchema } from '../crypto/key-slots';
import { event, method } from './method';
import { AUTO_LOCK_MAX_MINUTES } from '../journal/mind-meta';

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const base64urlBytes = (length: number) => base64url.length(Math.ceil((length * 4) / 3));
const objectId = z.string().regex(/^[0-9a-f]{64}$/);
/** A ledger subject (bytes32 pseudonym of a patient, as signed ledger entries carry it). */
const ledgerSubject = z.string().regex(/^0x[0-9a-f]{64}$/);
const operatorId = z.string().min(1).max(256);

export const VAULT_STATES = ['absent', 'locked', 'unlocked'] as const;

export const VaultStatusSchema = z.strictObject({
  /**
   * absent: no vault in the data folder yet (first-run screen). The body cannot tell locked from
   * unlocked (unlocking happens in the mind), so it answers absent or locked.
   */
  state: z.enum(VAULT_STATES),
});
export type VaultStatus = Readonly<z.infer<typeof VaultStatusSchema>>;

/**
 * admin: everything, operators and settings; clinician: patients, intake, quarantine; researcher:
 * the marketplace and the ledger without names; auditor: read-only, the ledger with names.
 */
export const OPERATOR_ROLES = ['admin', 'clinician', 'researcher', 'auditor'] as const;
export type OperatorRoleName = (typeof OPERATOR_ROLES)[number];

export const KeyringOperatorSchema = z.strictObject({
  /** Pseudonymous and stable: recorded in every journal event the operator causes. */
  operatorId,
  /** The login name shown on the unlock screen; staff names are not patient data. */
  name: z.string().trim().min(1).max(80),
  role: z.enum(OPERATOR_ROLES),
  disabled: z.boolean(),
});
export type KeyringOperator = Readonly<z.infer<typeof KeyringOperatorSchema>>;

/**
 * `<data>/vault/keys.json`: everything needed to unlock, and nothing that unlocks by itself. The
 * master secret appears only wrapped, once per key slot (each operator's passphrase, the recovery
 * key, the OS keychain). Built by the mind, stored verbatim by the body.
 */
export const KeyringSchema = z.strictObject({
  format: z.literal('hdms-keyring'),
  version: z.literal(1),
  vaultId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  /** Increases by one with every change, so two windows cannot overwrite each other's change. */
  revision: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  /** Raw uncompressed P-256 point: what the body seals intake to. */
  intakePublicKey: base64urlBytes(65),
  operators: z.array(KeyringOperatorSchema).min(1).max(500),
  slots: z.array(KeySlotSchema).min(1).max(1000),
  /**
   * HMAC-SHA-256 over the canonical keyring without this field, keyed from the master secret:
   * an operator list or role edited on disk fails the check after unlock.
   */
  integrity: base64urlBytes(32),
});
export type Keyring = Readonly<z.infer<typeof KeyringSchema>>;

const empty = z.strictObject({});

/** Who may open a session: an operator by local account id, or the recovery slot's holder. */
const principal = operatorId;

/** The session a connection holds with the body: proven by a signature from an opened key slot. */
export const OperatorSessionSchema = z.strictObject({
  /** The local account id, or "recovery" for a session opened with the recovery key. */
  operatorId: principal,
  role: z.enum(OPERATOR_ROLES),
  slotId: z.string().max(64),
});
export type OperatorSession = Readonly<z.infer<typeof OperatorSessionSchema>>;

/** What the unlock screen may know while the vault is locked: who can sign in, and how. */
export const KeyringDirectorySchema = z.strictObject({
  vaultId: z.string(),
  operators: z.array(KeyringOperatorSchema),
  /** The slots that exist, by kind and owner (no wrapped key material). */
  slots: z.array(z.strictObject({ id: z.string(), kind: z.enum(['passphrase', 'recovery', 'keychain']), operatorId: principal })),
});
export type KeyringDirectory = Readonly<z.infer<typeof KeyringDirectorySchema>>;

export const vaultMethods = {
  'vault.status': method(empty, VaultStatusSchema),
  /** Who can sign in (no key material): readable while locked, for the unlock screen. */
  'vault.directory': method(empty, z.strictObject({ directory: KeyringDirectorySchema.nullable() })),
  /** The whole keyring with its wrapped slots: for an open session (editing it, checking its integrity tag). */
  'vault.keyring': method(empty, z.strictObject({ keyring: KeyringSchema.nullable() })),
  /** Stores a new vault's keyring, opens storage and starts sealing intake to its public key. */
  'vault.create': method(z.strictObject({ keyring: KeyringSchema }), VaultStatusSchema),
  /** Replaces the keyring (new operator, changed passphrase…); `keyring.revision` must be expectedRevision + 1. */
  'vault.updateKeyring': method(
    z.strictObject({ keyring: KeyringSchema, expectedRevision: z.number().int().positive() }),
    z.strictObject({ revision: z.number().int().positive() }),
  ),
  /**
   * One unlock attempt: the body serves the principal's slot of that kind with a fresh challenge,
   * or says how long to wait. Each attempt counts as a failure (the delay grows 1 s, 2 s, 4 s …
   * 5 min) until unlockFinish proves it with a signature from the opened slot's signing key.
   */
  'vault.unlockBegin': method(
    z.strictObject({ operatorId: principal, kind: z.enum(['passphrase', 'recovery', 'keychain']) }),
    z.discriminatedUnion('state', [
      z.strictObject({ state: z.literal('wait'), retryAfterMs: z.number().int().positive() }),
      z.strictObject({
        state: z.literal('ready'),
        attempt: base64url.max(64),
        challenge: base64urlBytes(32),
        slot: KeySlotSchema,
        /** The wait before the next attempt if this one is never proven (a wrong passphrase). */
        retryAfterFailureMs: z.number().int().nonnegative(),
        /** For a format-1 slot only: the keyring, which its upgrade (see unlockFinish) rewrites. */
        legacyKeyring: KeyringSchema.optional(),
      }),
    ]),
  ),
  /**
   * Proves an attempt (ECDSA P-256 over the challenge and slot id); this connection then acts as
   * that operator. A format-1 slot (made before signed sessions) has no key to prove with: its
   * first unlock sends `upgrade`, the keyring with that one slot re-made as format 2, and proves
   * with the new slot's key (trust on first use, once per legacy slot).
   */
  'vault.unlockFinish': method(
    z.strictObject({ attempt: base64url.max(64), signature: base64urlBytes(64), upgrade: KeyringSchema.optional() }),
    OperatorSessionSchema,
  ),
  /**
   * The slot of an attempt this connection began did not open (a wrong passphrase or key): the
   * body settles it as a failed unlock now (it is journaled for the audit) and it can no longer be
   * proven. Unknown or other connections' attempts are ignored. Saying nothing changes nothing
   * either: an attempt never proven is settled as failed anyway, only later.
   */
  'vault.unlockFailed': method(z.strictObject({ attempt: base64url.max(64) }), empty),
  /** Ends this connection's session (lock, sign out). */
  /** idle: the window's auto-lock after its idle minutes (journaled as such), not an operator's Lock. */
  'vault.lock': method(z.strictObject({ idle: z.literal(true).optional() }), empty),
  /**
   * The operator used keyboard or mouse (sent at most every 30 s while they do, and at unlock), and
   * the auto-lock minutes this session runs under (0 = never): the body locks the session itself,
   * as an idle lock, when nothing came for those minutes plus a minute's grace (a hung or crashed
   * page locks too).
   */
  'vault.activity': method(z.strictObject({ autoLockMinutes: z.number().int().min(0).max(AUTO_LOCK_MAX_MINUTES) }), empty),
  /** This connection's session, if any. */
  'vault.session': method(empty, z.strictObject({ session: OperatorSessionSchema.nullable() })),
  /** Whether this host offers an OS keychain (Electron safeStorage); the shell does not. */
  'vault.keychainStatus': method(empty, z.strictObject({ available: z.boolean() })),
  /** Keeps the keychain slot's key in the OS keychain, for unattended unlock after a reboot. */
  'vault.keychainStore': method(z.strictObject({ operatorId, key: base64urlBytes(32) }), empty),
  'vault.keychainLoad': method(empty, z.strictObject({ entry: z.strictObject({ operatorId, key: base64urlBytes(32) }).nullable() })),
  'vault.keychainClear': method(empty, empty),
  /**
   * Erasure (GDPR Art. 17): rewrites the journal with these records' content removed (their seq
   * stays, as an `erased` tombstone) and deletes these objects. The mind then journals the ERASURE.
   */
  'vault.erase': method(
    z.strictObject({
      /** The `erasure.patient` record this session journaled first: the body erases only as part of it, once. */
      erasureSeq: z.number().int().positive(),
      seqs: z.array(z.number().int().positive()).max(1_000_000),
      objects: z.array(objectId).max(1_000_000),
      /** The patient's ledger subjects: the access reports in `<data>/exports/` that name one are deleted too. */
      reportSubjects: z.array(ledgerSubject).max(64).optional(),
    }),
    z.strictObject({ erasedRecords: z.number().int().nonnegative(), deletedObjects: z.number().int().nonnegative(), removedReports: z.number().int().nonnegative().optional() }),
  ),
  /**
   * Before an erasure: how many access reports the app wrote into `<data>/exports/` name any of these
   * ledger subjects (what vault.erase with them as reportSubjects deletes).
   */
  'vault.erasureReports': method(z.strictObject({ subjects: z.array(ledgerSubject).min(1).max(64) }), z.strictObject({ reports: z.number().int().nonnegative() })),
} as const;

/** When the body makes a backup on its own: never, daily at a local time, or every N hours. */
export const BackupScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('off') }),
  z.strictObject({ kind: z.literal('daily'), at: z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM') }),
  z.strictObject({ kind: z.literal('hours'), every: z.number().int().min(1).max(168) }),
]);
export type BackupSchedule = z.infer<typeof BackupScheduleSchema>;

export const BackupSettingsSchema = z.strictObject({
  /** An absolute folder path; null: `<data>/backups/`. */
  destination: z.string().min(1).max(4096).nullable(),
  schedule: BackupScheduleSchema,
  /** Scheduled backups kept in the destination (the oldest beyond it are deleted); manual exports are never deleted. */
  keep: z.number().int().min(1).max(1000),
});
export type BackupSettings = z.infer<typeof BackupSettingsSchema>;
export const DEFAULT_BACKUP_SETTINGS: BackupSettings = { destination: null, schedule: { kind: 'off' }, keep: 7 };

export const BackupSettingsAnswerSchema = z.strictObject({
  settings: BackupSettingsSchema,
  /** The folder backups go to now (the destination, or `<data>/backups/`). */
  folder: z.string(),
  /** The folder an empty destination means (`<data>/backups/`): what the form's hint names. */
  defaultFolder: z.string(),
  /** Whether this host has a native folder dialog (the desktop app). */
  dialogs: z.boolean(),
});

export const BackupStatusSchema = z.strictObject({
  last: z.strictObject({ at: z.iso.datetime(), bytes: z.number().int().nonnegative(), scheduled: z.boolean() }).nullable(),
  /** The last scheduled or manual backup that failed after the last success; its reason names no path and no patient. */
  failure: z.strictObject({ at: z.iso.datetime(), reason: z.string().max(500) }).nullable(),
  /** When the schedule makes the next one; null when scheduling is off or no vault exists. */
  nextAt: z.iso.datetime().nullable(),
  /**
   * An erasure whose record (the erasure register) could not be copied beside the backups (the
   * destination was unavailable): a restore of an older backup on a new installation would not
   * erase that patient again until the copy is made (at the next backup, when the destination is
   * saved, or by the body's retry). Null when every erasure's record is beside the backups.
   */
  erasureRecord: z.strictObject({ at: z.iso.datetime(), reason: z.string().max(500) }).nullable(),
});
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

export const BackupListingSchema = z.strictObject({
  path: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  /** From the file's clear preamble; null when it does not read as a backup (damaged or foreign). */
  createdAt: z.iso.datetime().nullable(),
});
export type BackupListing = z.infer<typeof BackupListingSchema>;

/**
 * Where a restore looks up the erasures made after its backup (the erasure register): a register
 * file the admin chose, the copy kept beside the backup file, only this data folder's own register
 * (none beside the file: erasures made on the installation that wrote the backup are not known),
 * or none at all (they could not be checked).
 */
/**
 * The end of backup.restore's E_CONFLICT refusal when a backup's clear date differs from its sealed
 * one (H6 F5): the mind knows it by these words and asks the user before restoring anyway.
 */
export const BACKUP_LABEL_ALTERED = 'the file may have been altered.';

export const ErasureRegisterSourceSchema = z.enum(['chosen', 'beside', 'data-folder', 'none']);
export type ErasureRegisterSource = z.infer<typeof ErasureRegisterSourceSchema>;

export const backupMethods = {
  /** Writes one encrypted backup file of the whole vault into `<data>/backups/`. */
  'backup.export': method(empty, z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative() })),
  /** Reads a backup's clear preamble: its keyring and the header of its sealed body. */
  'backup.inspect': method(
    z.strictObject({ path: z.string().min(1).max(4096) }),
    z.strictObject({
      keyring: KeyringSchema,
      createdAt: z.iso.datetime(),
      envelopeHeader: base64url,
      bytes: z.number().int().nonnegative(),
      /** The erasure register a restore of this file would consult unless one is chosen (ErasureRegisterSourceSchema). */
      erasureRegister: ErasureRegisterSourceSchema.exclude(['chosen']),
    }),
  ),
  /**
   * Checks a whole backup file with its data key (every sealed chunk, to its last): a copy cut
   * short or altered is refused as damaged. Writes nothing. The mind asks it before it asks about
   * the erasure register, so a damaged file is never sent to look for one (H8 F16). An intact file
   * whose clear date differs from its sealed one is then refused as backup.restore refuses it
   * (E_CONFLICT, BACKUP_LABEL_ALTERED), unless `acceptAlteredLabel`.
   */
  'backup.verify': method(
    z.strictObject({ path: z.string().min(1).max(4096), dataKey: base64urlBytes(32), acceptAlteredLabel: z.literal(true).optional() }),
    empty,
  ),
  /**
   * Restores a backup into this empty data folder. The mind unwrapped the backup's data key with
   * the vault's intake key and hands over that key only: it opens this one file, not the vault.
   */
  'backup.restore': method(
    z.strictObject({
      path: z.string().min(1).max(4096),
      dataKey: base64urlBytes(32),
      /** The full path of an erasure register the admin chose (the backup file was moved away from the one beside it). */
      erasureRegister: z.string().min(1).max(4096).optional(),
      /** The user read that the file's clear date differs from its sealed one and restores it anyway. */
      acceptAlteredLabel: z.literal(true).optional(),
    }),
    z.strictObject({
      records: z.number().int().nonnegative(),
      objects: z.number().int().nonnegative(),
      /** Erasures from the erasure register that the restore applied again (the backup predates them). */
      erasuresReapplied: z.number().int().nonnegative(),
      /** Where the erasures made after the backup were looked up ('none': they could not be checked). */
      erasureRegister: ErasureRegisterSourceSchema,
      /** When the backup was made: its sealed date (its preamble's for a backup made before that was sealed). */
      backupCreatedAt: z.iso.datetime(),
      /** The backup's last ledger entry (0: none): entries this node signed after it are not in the restored vault. */
      ledgerSeq: z.number().int().nonnegative(),
    }),
  ),
  /** Where backups go and when the body makes them on its own (admin). */
  'backup.getSettings': method(empty, BackupSettingsAnswerSchema),
  'backup.updateSettings': method(BackupSettingsSchema.partial().strict(), BackupSettingsAnswerSchema),
  /** The last backup made and the last failure: times and sizes only (the lock screen shows it to administrators). */
  'backup.status': method(empty, BackupStatusSchema),
  /**
   * Settings' "Check again": whether backups could go into the destination now, by the check a
   * backup makes first (the folder is there, its marker names this vault, it can be written to),
   * without writing a backup. The reason names no path.
   */
  'backup.checkDestination': method(
    empty,
    z.strictObject({ available: z.boolean(), reason: z.string().max(500).nullable(), checkedAt: z.iso.datetime() }),
  ),
  /** The backups in the destination folder (and `<data>/backups/`), newest first: what a restore can pick from. */
  'backup.list': method(
    // A folder the user names (the browser shell's restore on a new computer: tester T2 F9); without
    // one, the destination and `<data>/backups/`. Only files that begin as backups are listed.
    z.strictObject({ folder: z.string().min(1).max(4096).optional() }),
    z.strictObject({ backups: z.array(BackupListingSchema).max(1000) }),
  ),
  /**
   * The desktop app's native dialog: a destination folder, a backup file to restore, or the erasure
   * register to restore it with (a backup moved away from the one beside it). Refused
   * (E_UNAVAILABLE) in the browser shell, which has no native dialogs: type the path there.
   */
  'backup.choose': method(z.strictObject({ what: z.enum(['folder', 'file', 'register']) }), z.strictObject({ path: z.string().max(4096).nullable() })),
} as const;

export const backupEvents = {
  /** The backup status changed (a backup made or failed, the schedule, an erasure record not beside the backups): the whole new status. */
  'backup.statusChanged': event(BackupStatusSchema),
} as const;

export const vaultEvents = {
  /** A vault was created or restored in this data folder. */
  'vault.changed': event(VaultStatusSchema),
  /** The body ended sessions by itself (its idle lock): each window asks vault.session whether its own was one. */
  'vault.sessionsEnded': event(empty),
} as const;
