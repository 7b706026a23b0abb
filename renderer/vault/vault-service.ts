import type { DicomReprocessOutcome } from '../../shared/ipc/dicom-contract';
import type { ClinicalRecord, ExtendedRecord, IntakeQuarantine, Merge, Patient } from '../../shared/domain/clinical';
import type { Hl7Charset, IntakeMessageResult } from '../../shared/ipc/intake-contract';
import type { ErasureRegisterSource, OperatorRoleName } from '../../shared/ipc/vault-contract';
import type { MessageFacets } from './views/message-log';
import type { MessagePage, MessageQuery, MessageSummary, QuarantineResolution } from './views/message-reads';
import type { StudySummary } from './views/imaging-reads';
import type { ViewerStudy } from './imaging/study-instances';
import type { DeviceReport } from './views/device-reports';

export type { MessageFacets, MessagePage, MessageQuery, MessageSummary, StudySummary, ViewerStudy };

/** A study in the Imaging area's list, with the patient it is filed under (null: not in the views, e.g. erased). */
export interface StudyListEntry extends StudySummary {
  readonly patient: PatientHit | null;
}

/** A quarantine resolution whose copies say who ran the reprocess that filed each (`by`: an operator pseudonym as the ledger names them, when the journal says; F12). */
export interface ResolutionWithActors extends Omit<QuarantineResolution, 'copies'> {
  readonly copies: readonly (QuarantineResolution['copies'][number] & { readonly by?: string })[];
}

/** One message of the message browser, with the patient it filed records under (null: none, or erased). */
export interface MessageDetail {
  readonly message: MessageSummary;
  readonly patient: PatientHit | null;
  /** A quarantined message since reprocessed or discarded: when, and the copies a reprocess filed or held again (QA round 4 #8). */
  readonly resolution?: ResolutionWithActors;
  /** A copy a reprocess filed (message.reprocessOf): who ran that reprocess, an operator pseudonym as the ledger names them (absent when the journal does not say). */
  readonly reprocessedBy?: string;
  /** The records it filed, in message order (at most MESSAGE_RECORDS_SHOWN, views/message-reads.ts; absent when it filed none or its patient is gone). QA s34 D6. */
  readonly records?: readonly RecordRow[];
}

/** Extended records a patient page shows (reports, orders, allergies, diagnoses, immunizations); merges are applied, not shown. */
export type ChartRecord = Readonly<Exclude<ExtendedRecord, Merge>>;

/** Every record type a patient page shows. */
export type ViewRecord = ClinicalRecord | ChartRecord;

/**
 * What the UI asks of the vault (the mind's side of design §2–3). The implementation holds the
 * keys in memory while unlocked, materializes the journal into Dexie views and searches the blind
 * index; the UI never touches keys, Dexie or the contract's journal methods directly.
 */

export type VaultPhase = 'absent' | 'locked' | 'unlocked';
export type OperatorRole = OperatorRoleName;

export interface OperatorSummary {
  /** Pseudonymous, stable id recorded in every journal event the operator causes. */
  readonly operatorId: string;
  /** The login name staff pick on the unlock screen (not PHI). */
  readonly name: string;
  readonly role: OperatorRole;
  readonly disabled: boolean;
}

export type VaultErrorCode =
  | 'E_WRONG_PASSPHRASE' // passphrase or recovery key did not open the operator's key slot
  | 'E_THROTTLED' // too many wrong attempts: wait `retryAfterMs`
  | 'E_WEAK_PASSPHRASE' // below the policy (length/strength)
  | 'E_RECOVERY_KEY_FORMAT' // not a recovery key (typo caught by its checksum)
  | 'E_OPERATOR_DISABLED'
  | 'E_NOT_ALLOWED' // the current operator's role may not do this
  | 'E_LOCKED' // the vault must be unlocked first
  | 'E_EXISTS' // a vault exists already
  | 'E_BACKUP' // the backup file is unreadable or does not open with that secret
  | 'E_NO_ERASURE_REGISTER' // no erasure register beside the backup file: choose one, or restore without it
  | 'E_BACKUP_LABEL_ALTERED' // the backup's clear date differs from its sealed one: restore only if the user accepts
  | 'E_NODE'; // the body refused or failed (disk full…); message says what

export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface PatientHit {
  readonly patientId: string;
  readonly name: string;
  /** YYYY-MM-DD or '' */
  readonly birthDate: string;
  /** A PID-7 that was no valid HL7 date, as sent (shown "not a valid date (sent: …)", never read as a date); absent otherwise. */
  readonly birthDateSent?: string;
  readonly sex: string;
  /** The primary identifier, e.g. "MRN01000001 (HDMS-DEMO)". */
  readonly identifier: string;
}

export interface RecordRow {
  readonly recordId: string;
  readonly patientId: string;
  /** ISO date-time */
  readonly time: string;
  /** A visit or observation, or (HL7 intake) a report, order, allergy, diagnosis or immunization. */
  readonly record: ViewRecord;
  /** The message it came from, e.g. "ORU^R01", and the journal seq holding it. */
  readonly source: {
    readonly messageType: string;
    readonly channel: string;
    readonly seq: number;
    /** The sender's message id (HL7 MSH-10), when known. */
    readonly messageId?: string;
    /** HL7: whether the message type was mapped, and whether it conflicted with an earlier one. */
    readonly mapping?: 'mapped' | 'partial' | 'not-mapped';
    readonly conflict?: boolean;
    /** Whether the raw message is in the vault (a sealed object), so "View raw" can open it. */
    readonly hasRaw?: boolean;
  };
}

export interface PatientDetail {
  readonly patientId: string;
  readonly patient: Patient;
  /** Newest first. */
  readonly records: readonly RecordRow[];
  /**
   * Patients merged into this one (HL7 ADT^A40/A18): their records are among `records`. Opening a
   * merged patient opens the survivor, so `patientId` may differ from the id asked for.
   */
  readonly mergedPatients?: readonly Patient[];
}

/** One quarantined input (journal kind `intake.quarantine`), as the intake monitor lists it. */
export interface QuarantineEntry {
  /** The journal seq of the quarantine record: what reprocess and discard name. */
  readonly seq: number;
  /** When it was received (ISO). */
  readonly at: string;
  readonly channel: string;
  readonly objectId: string | null;
  readonly rawBytes: number | null;
  /** open until reprocessed or discarded (journal kinds `intake.reprocessed` / `intake.discarded`). */
  readonly status: 'open' | 'reprocessed' | 'discarded';
  readonly resolvedAt?: string;
  /** Reprocessed, and held in quarantine again: the seqs of the new entries that hold it now. */
  readonly heldAgainAs?: readonly number[];
  /** Decrypted: the reason, header fields and ACK codes (IntakeQuarantine). */
  readonly detail: IntakeQuarantine;
}

/** Raw bytes of one intake message, opened by the mind (a quarantined input or an accepted record's source). */
export interface RawMessage {
  readonly seq: number;
  readonly objectId: string;
  readonly bytes: Uint8Array;
  /** The charset the body read it with (MSH-18, or the one an operator chose at reprocess), when known. */
  readonly charset?: string;
  /** `charset` is the one the operator chose when reprocessing it (MSH-18 was empty or wrong; QA s33 D4). */
  readonly charsetChosenAtReprocess?: true;
  /** The intake channel of a quarantined input ('hl7-mllp', 'dicom', 'devices'…): how to show its bytes. */
  readonly channel?: string;
  /** When `bytes` is only the start of the input (one over MAX_WHOLE_OBJECT_BYTES): its whole size. */
  readonly totalBytes?: number;
}

export interface SearchResult {
  /**
   * Patient ids in display order: best match first (more words matched as whole words), then by
   * patient id (a keyed pseudonym, so not alphabetical); an empty query lists every patient in id
   * order. Rows are loaded lazily.
   */
  readonly patientIds: readonly string[];
  /**
   * The patients of `patientIds` found (only or also) through a study's accession number or
   * description words, with those studies' ids, best first (tester T1 F9, H9): the row says which
   * study matched. Absent or without an entry: matched by name, identifiers or record words.
   */
  readonly matchedStudies?: Readonly<Record<string, readonly string[]>>;
  readonly tookMs: number;
}

export interface SyncProgress {
  readonly applied: number;
  readonly cursor: number;
  readonly done: boolean;
}

/**
 * Whether the views are being built from the journal right now (a replay, an automatic sync after
 * new journal entries, a demo import's indexing, "Rebuild index", the rebuild after a restore).
 * While busy, search and patient pages may be incomplete.
 */
export interface IndexingState {
  readonly busy: boolean;
  /** Journal records applied so far by the replay now running (0 when idle or just started). */
  readonly applied: number;
}

/**
 * Journal records the views' replay could not apply, as counted in the views' meta
 * (views/journal-replay.ts). Recounted from zero by "Rebuild index".
 */
export interface JournalIssues {
  /** Records whose sealed meta did not open or failed its schema: skipped as unreadable. */
  readonly problems: number;
  /** Mind events without a valid authenticator after the vault's first marker: possible forgeries. */
  readonly rejected: number;
  /**
   * Messages whose identifiers named two different charts (patient-filing.ts): each was filed on the
   * chart of its first such identifier and the charts were not merged. Absent: none.
   */
  readonly identityConflicts?: number;
}

/** Who may read journalIssues(): the roles that answer for the vault's integrity. */
export function mayReadJournalIssues(role: OperatorRole): boolean {
  return role === 'admin' || role === 'auditor';
}

export interface VaultService {
  phase(): VaultPhase;
  /**
   * Called on every phase or operator change, whenever indexing().busy flips, and (at most a few
   * times per second) as indexing().applied grows; returns the unsubscribe function.
   */
  subscribe(listener: () => void): () => void;
  currentOperator(): OperatorSummary | null;
  /**
   * The operator whose session this window locked last (Lock, the idle auto-lock, the node
   * stopping): the unlock screen preselects them. In memory only, so null after a reload or a fresh
   * start; an operator id, never PHI.
   */
  lockedBy(): string | null;
  /** The views' indexing state; the same object until it changes (a useSyncExternalStore snapshot). */
  indexing(): IndexingState;

  // Setup and keys
  /**
   * Creates the vault with its first (admin) operator; leaves it unlocked. Returns the recovery key,
   * shown once. With `autoUnlock`, then switches on setAutoUnlock(true); should that step fail, the
   * vault still exists (the recovery key must be shown) and `autoUnlock` in the answer is false.
   */
  create(input: {
    readonly operatorName: string;
    readonly passphrase: string;
    readonly autoUnlock?: boolean;
  }): Promise<{ readonly recoveryKey: string; readonly autoUnlock?: boolean }>;
  /** Operators from the keyring (readable while locked, for the unlock screen). */
  operators(): Promise<readonly OperatorSummary[]>;
  /** Throws VaultError E_WRONG_PASSPHRASE / E_THROTTLED (with retryAfterMs) / E_OPERATOR_DISABLED. */
  unlock(input: { readonly operatorId: string; readonly passphrase: string }): Promise<void>;
  /** Opens the vault with the recovery key and sets a new passphrase for that operator. */
  recover(input: { readonly operatorId: string; readonly recoveryKey: string; readonly newPassphrase: string }): Promise<void>;
  lock(): void;
  changePassphrase(input: { readonly current: string; readonly next: string }): Promise<void>;
  /** Minutes of inactivity before the vault locks itself; 0 = never. */
  autoLockMinutes(): number;
  setAutoLockMinutes(minutes: number): Promise<void>;
  /** The UI reports user activity (pointer, keys) so auto-lock measures real idleness. */
  noteActivity(): void;

  // Unlock automatically on this computer (design §3: the OS keychain, Electron only)
  /** Whether this host offers an OS keychain now (Electron safeStorage; never the browser shell). */
  autoUnlockAvailable(): Promise<boolean>;
  /** Whether the current operator holds the vault's keychain slot (false while locked). */
  autoUnlockEnabled(): boolean;
  /**
   * Admin only to switch on: a keychain slot for the current operator (replacing any other; one
   * per vault), its key kept in the OS keychain, so an unattended restart unlocks as this operator.
   * Off removes the keychain slot and clears the OS keychain entry. Journals `settings.autoUnlock`.
   */
  setAutoUnlock(enabled: boolean): Promise<void>;

  // Operators (admin only)
  addOperator(input: { readonly name: string; readonly role: OperatorRole; readonly passphrase: string }): Promise<OperatorSummary>;
  setOperatorDisabled(operatorId: string, disabled: boolean): Promise<void>;
  resetOperatorPassphrase(operatorId: string, passphrase: string): Promise<void>;

  // Data
  importDemoData(patients: number, onProgress?: (done: number, total: number) => void): Promise<{ readonly messages: number; readonly patients: number }>;
  /** Replays the journal from the stored cursor into the views. */
  sync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress>;
  /** Drops and rebuilds every view from journal + objects. */
  rebuildIndex(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress>;
  /**
   * How many journal records the views skipped or rejected, read after any queued replay or
   * rebuild. Admin or auditor only (mayReadJournalIssues); E_NOT_ALLOWED otherwise.
   */
  journalIssues(): Promise<JournalIssues>;
  search(query: string): Promise<SearchResult>;
  /** Decrypts the summary rows for the given ids (the virtualized list asks for what is visible). */
  patientHits(patientIds: readonly string[]): Promise<readonly PatientHit[]>;
  /** Journals an ACCESS event. */
  openPatient(patientId: string): Promise<PatientDetail>;
  /** Journals an ACCESS event. */
  openRecord(recordId: string): Promise<RecordRow>;
  /**
   * The patient's allergy records (a merged patient's: its survivor's chart), for a page of theirs
   * whose opening journaled the access already (a record, its raw message): not journaled again,
   * as patientHits is not. Newest first.
   */
  patientAllergies(patientId: string): Promise<readonly RecordRow[]>;
  /**
   * The patient's results (observation records; a merged patient's: its survivor's chart), for a
   * record page whose opening journaled the access already: it links a result to the versions that
   * replaced, withdrew or deleted it. Not journaled again, as patientAllergies is not.
   */
  patientResults(patientId: string): Promise<readonly RecordRow[]>;
  /**
   * Admin only: erases the patient (GDPR Art. 17); an ERASURE event without PHI remains. Answers
   * whether the erasure's record could be copied beside the backups (else the problem, in words):
   * until it is, a restore of an older backup on a new installation would bring the patient back.
   */
  erasePatient(patientId: string): Promise<{ readonly erasureRecordProblem: string | null }>;
  /**
   * Admin only: what erasing the patient takes besides their chart, for the confirmation: the
   * quarantined inputs that hold their data (reprocessed into the chart, or never filed but naming
   * one of their identifiers with its assigning authority), and the access reports this app wrote
   * into its exports folder that name them.
   */
  erasurePreview(patientId: string): Promise<{ readonly quarantined: number; readonly reports: number }>;

  // Intake (HL7): the quarantine view and raw messages
  /** The quarantine, newest first (open and resolved). */
  quarantine(): Promise<readonly QuarantineEntry[]>;
  /** Opens the sealed raw bytes of a quarantined input; journals a `view.quarantined` access event. */
  openQuarantinedRaw(seq: number): Promise<RawMessage>;
  /** Opens the sealed raw message a record came from; journals an ACCESS event like openRecord. */
  openRecordRaw(recordId: string): Promise<RawMessage>;
  /**
   * Sends a quarantined input through the intake again (its raw bytes, opened here, or `edited`:
   * the operator's corrected copy, which the new records hold while the quarantine record keeps
   * the original), journaled by the body as the current operator; then syncs the views.
   * `charset`: for an empty MSH-18, or with `charsetOverride` whatever MSH-18 says.
   * `resolved`: the entry is settled: every message was stored anew or held again as a new
   * quarantine entry (a result with `quarantined`, not `duplicate`). A quarantined DICOM instance
   * goes through the DICOM intake instead (no charset, no edit): `dicom` says what became of it,
   * and `resolved` that the entry is settled (stored, or quarantined again as a new entry).
   */
  reprocessQuarantined(
    seq: number,
    options?: { readonly charset?: Hl7Charset; readonly charsetOverride?: boolean; readonly edited?: Uint8Array },
  ): Promise<{ readonly resolved: boolean; readonly results: readonly IntakeMessageResult[]; readonly dicom?: DicomReprocessOutcome }>;
  /** Marks a quarantined input discarded (journaled by the body as the current operator); then syncs. */
  discardQuarantined(seq: number): Promise<void>;

  // Intake (HL7): the message browser (issue 11)
  /** Every HL7 message stored or quarantined, newest first, filtered and paged (views/message-reads.ts). */
  messages(query: MessageQuery): Promise<MessagePage>;
  /** The senders and message types seen (decrypted), for the browser's choices. */
  messageFacets(): Promise<MessageFacets>;
  /** One message by its journal seq: what it was, the ACK sent, its patient and the records it filed; journals an ACCESS of that patient (the chart's window). */
  openMessage(seq: number): Promise<MessageDetail>;
  /** Its raw bytes; journals an ACCESS event for its patient (a quarantined one: `view.quarantined`). */
  openMessageRaw(seq: number): Promise<RawMessage>;

  // Imaging (DICOM, issue 12): the studies the receiver and imports stored
  /**
   * Every study, newest study date first, with its patient (decrypted; not journaled, like search);
   * with a query, only the studies it finds through the blind index: every word in the patient's
   * name or identifiers, the accession number, a modality, the study date or description.
   */
  studies(query?: string): Promise<readonly StudyListEntry[]>;
  /** One patient's studies (and those of patients merged into it), newest first. */
  patientStudies(patientId: string): Promise<readonly StudySummary[]>;
  /** Opens a study in the viewer: journals an ACCESS event for its patient (the study's view id as the record), then lists its series and instances. */
  openStudy(studyId: string): Promise<ViewerStudy>;
  /**
   * An instance of a study opened in this session, for the viewer's decode worker: its sealed
   * envelope with the envelope's data key (non-extractable), so the decryption runs in the worker
   * and not on the page's thread; the worker opens it in memory, nothing decrypted is stored.
   */
  instanceSource(instanceId: string): Promise<InstanceSource>;
  /**
   * Before an encapsulated document (a PDF) of an opened study is saved as a file: journals an
   * EXPORT of the study's patient (bytes and file name; the name has no PHI), durable before the
   * file is written. Refused for an instance of a study not opened in this session.
   */
  documentSaved(instanceId: string, bytes: number, file: string): Promise<void>;

  // Devices (IEEE 11073, issue 13): the reports the device manager stored
  /** The latest device reports, newest first (all devices, or one by system id); decrypted, not journaled. */
  deviceReports(options?: { readonly limit?: number; readonly systemId?: string }): Promise<readonly DeviceReport[]>;
  /** A patient's readings from approved devices whose sessions were assigned to them, oldest first. */
  patientDeviceReports(patientId: string): Promise<readonly DeviceReport[]>;
  /** Assigns a device session (an MP report's person, with personId) to a patient: journals `device.assigned`, then syncs the views. */
  assignDeviceSession(session: string, patientId: string, personId?: number): Promise<void>;
  /** Journals an administrator's device approval or rejection (`settings.deviceApproval`), which the ledger signs as a SETTINGS_CHANGE entry. */
  journalDeviceDecision(input: { readonly systemIdPrefix: string; readonly decision: 'approved' | 'rejected'; readonly manufacturer?: string; readonly model?: string }): Promise<void>;

  // Backup (RestoreBackupInput, RestoreOutcome below)
  /** Writes one encrypted backup file; returns where. */
  exportBackup(): Promise<{ readonly path: string; readonly bytes: number }>;
  /** Restores a backup into this (empty) data folder with a passphrase or the recovery key, then unlocks. */
  restoreBackup(input: RestoreBackupInput): Promise<RestoreOutcome>;
}

/**
 * A DICOM instance as the viewer gets it: sealed, with the data key that opens it, or (tests,
 * fixtures) its Part 10 bytes already open, or, for one too large to read whole, the first bytes
 * of its envelope with a reader of the rest (the decode worker asks for the ranges it needs).
 */
export type InstanceSource = { readonly envelope: Uint8Array; readonly dataKey: CryptoKey } | Uint8Array | RangedInstanceSource;

export interface RangedInstanceSource {
  readonly kind: 'ranged';
  /** The envelope's first bytes (its header at least). */
  readonly head: Uint8Array;
  /** The whole envelope's size in bytes. */
  readonly sealedSize: number;
  readonly dataKey: CryptoKey;
  /** Sealed bytes [offset, offset + length) of the envelope (fewer only at its end). */
  readSealed(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Plaintext bytes up to which the decoder may read the instance whole when it cannot be read in
   * parts (a deflated data set): MAX_WHOLE_OBJECT_BYTES for one within it, 0 past it.
   */
  readonly readWholeUpTo: number;
}

/** What a restore is given: the backup file and the secret that opens it. */
export interface RestoreBackupInput {
  readonly path: string;
  readonly operatorName?: string;
  readonly secret: { readonly passphrase: string } | { readonly recoveryKey: string };
  /**
   * The erasure register to consult (full path), for a backup file moved away from the copy kept
   * beside it. Without it, and without `withoutErasureRegister`, such a restore is refused with
   * E_NO_ERASURE_REGISTER before anything is restored.
   */
  readonly erasureRegister?: string;
  /** The admin chose to restore with no erasure register: erasures made after the backup are not checked. */
  readonly withoutErasureRegister?: boolean;
  /** The user read that the file's clear date differs from its sealed one (E_BACKUP_LABEL_ALTERED) and restores it anyway. */
  readonly acceptAlteredLabel?: boolean;
}

/** What a restore did: the journal records restored, and the erasures made after the backup that it applied again. */
export interface RestoreOutcome {
  readonly records: number;
  readonly erasuresReapplied: number;
  /** Where the erasures made after the backup were looked up ('none': they could not be checked). */
  readonly erasureRegister: ErasureRegisterSource;
  /** When the backup was made (its sealed date), and its last ledger entry (0: none). */
  readonly backupCreatedAt: string;
  readonly ledgerSeq: number;
}
