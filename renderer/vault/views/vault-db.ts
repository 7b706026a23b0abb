import { Dexie, type DexieOptions, type Table, type Transaction } from 'dexie';
import type { LedgerRow } from '../../ledger/ledger-rows';
import type { InstanceRowStored, SeriesRowStored, StudyRowStored } from './imaging-rows';
import { MESSAGE_COUNT_KEY, type MessageRowStored } from './message-log';

/**
 * The mind's materialized views of one vault (design §2): one IndexedDB database per vault,
 * `hdms-views-<vaultId>`, rebuilt from the journal whenever it is lost or dropped.
 *
 * What is stored in the clear, by design: row ids (keyed pseudonyms: HMACs under the vault's ledger
 * key, never a name or an MRN), journal sequence numbers, journal kinds, object ids (hashes of
 * sealed objects), blind tokens (HMACs under the index key) and pseudonymous operator ids.
 * Everything readable about a patient is in `enc`: AES-256-GCM under the view key, bound to its
 * table and row id (shared/crypto/field-cipher.ts).
 */

export const VIEW_DB_PREFIX = 'hdms-views-';

/** `meta` rows: the replay cursor and small per-vault settings (nothing secret). */
export interface MetaRow {
  readonly key: string;
  readonly value: unknown;
}

export interface PatientRowStored {
  /** Keyed pseudonym of the patient's primary identifier (authority + value). */
  readonly id: string;
  /**
   * Blind tokens of the patient's names, identifiers and birth date, and of every record of the
   * patient (codes, code words, visit reasons and locations), sorted and deduplicated. Not indexed
   * here: `postings` is the index; this list says which postings hold the patient (for new
   * messages, which post only the tokens the patient did not have yet, and for erasure).
   */
  readonly tokens: readonly string[];
  /** Encrypted PatientPayload. */
  readonly enc: Uint8Array;
}

/**
 * One intake message of one patient: its clinical records, encrypted together. Keyed
 * `<patientId>.<seq in base 36, 8 digits>`, so a patient's messages are a primary-key range
 * (recordsOfPatient) and the table needs no secondary index at all.
 *
 * Why per message, not per clinical record: measured in Chromium (test/bench/index-build.bench.ts)
 * the cost of index build is IndexedDB rows and index entries, not crypto; one row per message
 * writes ~7× fewer rows than one per record. It also makes this row the erasure map of its journal
 * record (seq, kind, object ids), which a separate `sources` table would only repeat.
 */
export interface RecordRowStored {
  readonly id: string;
  readonly patientId: string;
  /** The journal record (intake message) these records came from. */
  readonly seq: number;
  readonly kind: string;
  /** Sealed objects of that journal record (raw message bytes): what an erasure deletes. */
  readonly objectIds: readonly string[];
  /** How many clinical records the message holds (a count, for the erasure event). */
  readonly count: number;
  /** Encrypted MessagePayload. */
  readonly enc: Uint8Array;
}

/**
 * The blind keyword index, as posting chunks: `<token>|<chunk>` → the patient ids that gained
 * this token in one replay page (`chunk` = the page's first seq, base 36). A search reads every
 * chunk of a token with one primary-key range scan.
 *
 * Why not a multiEntry index on patients.tokens (the obvious Dexie design, and this module's
 * first version): measured in Chromium (test/bench/index-build.bench.ts), every multiEntry
 * entry is a separate IndexedDB index write (~80 tokens per patient), and they made index build
 * three times slower than writing the rows themselves. A page writes one posting row per distinct
 * token instead (names, codes and words repeat across the page's patients), append-only: no
 * read-modify-write of a growing list. Erasure rewrites the chunks of the erased patient's tokens.
 */
export interface PostingRow {
  readonly id: string;
  readonly ids: readonly string[];
}

/** Who opened which patient (or record) when: materialized from `view.access` journal events. */
export interface AccessRow {
  readonly seq: number;
  /** Pseudonymous operator id, as journaled. */
  readonly operator: string;
  readonly patientId: string;
  readonly recordId: string | null;
  readonly at: string;
}

/**
 * Patient merges (HL7 ADT^A40/A18, journal kind `intake.hl7` with a merge record): the merged
 * patient's pseudonym → the survivor's. Rows stay under the patient their message named (so a
 * rebuild writes exactly what an incremental replay wrote, whatever the order of pages); reads
 * resolve through this table: search answers the survivor, opening the merged patient opens the
 * survivor, and the survivor's page gathers the records of every patient merged into it.
 */
export interface MergeRow {
  readonly merged: string;
  readonly survivor: string;
  /** The journal seq of the merge message (a later merge of the same patient wins). */
  readonly seq: number;
}

/**
 * An identifier a chart holds (patient-filing.ts, issue 11): the identifier's keyed pseudonym
 * (authority + value, intake-rows.ts identifierPseudonym) → the chart's view id. A message naming
 * any identifier a chart holds is filed on that chart, in whatever order PID-3 lists them.
 */
export interface AliasRow {
  readonly id: string;
  readonly patientId: string;
  /** The journal seq of the message that gave the chart this identifier. */
  readonly seq: number;
}

/**
 * A quarantined input (journal kind `intake.quarantine`). Plaintext: seq, receive time, channel,
 * object id and status; everything the body said about it (reason, sender, control id, ACK codes…)
 * is in `enc` (an IntakeQuarantine), since a reason may quote what it could not read.
 */
/** A relay message (relay-projector.ts): `in:<from>:<id>` or `out:<id>`; the detail is encrypted with the view key. */
export interface RelayMessageRowStored {
  readonly key: string;
  readonly seq: number;
  readonly direction: 'in' | 'out';
  /** Unix ms: when it arrived, or was sent. */
  readonly at: number;
  readonly enc: Uint8Array;
}

/** A research consent record (consent-projector.ts, `consent.recorded`): the patient's view id, the detail encrypted with the view key. */
export interface ConsentRowStored {
  readonly seq: number;
  readonly patientId: string;
  readonly enc: Uint8Array;
}

/**
 * The research search (issue 14; research-rows.ts). Plaintext: ids, times, the researcher's and
 * clinic's network addresses (institutions, not people) and the outcome's kind; the query, answer
 * or event itself is in `enc`.
 */
/** A keyword query a clinic received (through the relay or the Data Search Service); the first arrival wins. */
export interface IncomingQueryRowStored {
  readonly queryId: string;
  readonly seq: number;
  /** Unix ms it arrived. */
  readonly at: number;
  readonly researcher: string;
  /** Unix ms after which it is not answered. */
  readonly expiresAt: number;
  readonly enc: Uint8Array;
}

/** A clinic's answer to, or decline of, a query (`query.answered`, `query.declined`), by seq. */
export interface QueryOutcomeRowStored {
  readonly seq: number;
  readonly queryId: string;
  readonly researcher: string;
  /** Unix ms. */
  readonly at: number;
  readonly kind: 'answered' | 'declined';
  readonly enc: Uint8Array;
}

/** A research node's own query (`query.posted`). */
export interface MyQueryRowStored {
  readonly queryId: string;
  readonly seq: number;
  readonly at: number;
  readonly enc: Uint8Array;
}

/** A clinic's answer or decline as a research node received it: `<queryId>:<clinic>`, the first arrival wins. */
export interface QueryAnswerRowStored {
  readonly key: string;
  readonly queryId: string;
  readonly clinic: string;
  readonly seq: number;
  readonly at: number;
  readonly enc: Uint8Array;
}

/**
 * A device event report (device-projector.ts, journal kind `intake.device`). Plaintext: seq,
 * receive time, the device's system id (an EUI-64: a device, not a person), its session and
 * approval, the number of readings; the readings themselves, the model and the notes are in `enc`.
 */
export interface DeviceReportRowStored {
  readonly seq: number;
  readonly at: string;
  readonly systemId: string;
  readonly session: string;
  readonly approval: 'approved' | 'pending' | 'rejected';
  readonly readings: number;
  readonly enc: Uint8Array;
}

/** A device session's patient (device-projector.ts, mind event `device.assigned`): key `<session>` or `<session>/<personId>`. */
export interface DeviceSessionRow {
  readonly key: string;
  readonly session: string;
  readonly personId: number | null;
  readonly patientId: string;
  readonly seq: number;
  readonly at: string;
}

export interface QuarantineRowStored {
  readonly seq: number;
  readonly at: string;
  readonly channel: string;
  readonly objectId: string | null;
  readonly rawBytes: number | null;
  readonly status: 'open' | 'reprocessed' | 'discarded';
  /** The journal seq and time of the reprocess or discard event. */
  readonly resolvedSeq?: number;
  readonly resolvedAt?: string;
  /** Reprocessed and held again: the journal seqs of the new quarantine records (not indexed). */
  readonly heldAgainAs?: readonly number[];
  readonly enc: Uint8Array;
}

/**
 * The subject directory (design §3: an auditor's slot opens "the ledger and the names it needs,
 * nothing clinical"): the name behind a ledger pseudonym, encrypted under the directory key
 * (vault-keys.ts), which an auditor's role slot holds and a researcher's does not. Written by
 * clinical sessions only: patients by the patient projector (id = the patient's ledger subject,
 * bytes32 hex), operators by the operator directory (id = `operator:` + pseudonymous operator id).
 */
export interface DirectoryRow {
  readonly id: string;
  readonly kind: 'patient' | 'operator';
  /** The patient's view id (so an erasure removes the row inside its transaction, without crypto). */
  readonly patientId?: string;
  /** Encrypted under the directory key: a DirectoryName. */
  readonly name: Uint8Array;
}

/**
 * An access report exported as CSV and the patients it names (ledger subjects, bytes32 pseudonyms,
 * as the signed entries carry them: clear by design, like the ledger rows), by the journal seq of
 * its `audit.exported` record, which the EXPORT entry signed for it covers (its `coversTo`).
 */
export interface NamedExportRow {
  readonly seq: number;
  readonly subjects: readonly string[];
}

/** What a directory row's `name` decrypts to. */
export interface DirectoryName {
  readonly family: string;
  readonly given: readonly string[];
}

export interface VaultViewTables {
  readonly meta: Table<MetaRow, string>;
  readonly patients: Table<PatientRowStored, string>;
  readonly records: Table<RecordRowStored, string>;
  readonly postings: Table<PostingRow, string>;
  readonly access: Table<AccessRow, number>;
  /** The signed ledger's entries by seq (renderer/ledger/ledger-rows.ts), from `ledger.entry` records. */
  readonly ledger: Table<LedgerRow, number>;
  /** The patients each exported access report names (ledger-projector.ts), from the body's `audit.exported` records. */
  readonly namedExports: Table<NamedExportRow, number>;
  readonly merges: Table<MergeRow, string>;
  /** Which chart holds which identifier (patient-filing.ts). */
  readonly aliases: Table<AliasRow, string>;
  readonly quarantine: Table<QuarantineRowStored, number>;
  readonly directory: Table<DirectoryRow, string>;
  /** The message browser: every HL7 message stored or quarantined, by journal seq (message-log.ts). */
  readonly messages: Table<MessageRowStored, number>;
  /** IEEE 11073 device reports by journal seq (device-projector.ts, device-reports.ts). */
  readonly deviceReports: Table<DeviceReportRowStored, number>;
  /** Device sessions assigned to patients (`device.assigned`), by session (and MP person). */
  readonly deviceSessions: Table<DeviceSessionRow, string>;
  /** Relay messages received and sent (relay-projector.ts), one row per (sender, id). */
  readonly relayMessages: Table<RelayMessageRowStored, string>;
  /** DICOM studies, series and instances (imaging-rows.ts, imaging-projector.ts), ids keyed pseudonyms of their UIDs. */
  readonly studies: Table<StudyRowStored, string>;
  readonly series: Table<SeriesRowStored, string>;
  readonly instances: Table<InstanceRowStored, string>;
  /** Research consent records by journal seq, indexed by patient (consent-projector.ts). */
  readonly consents: Table<ConsentRowStored, number>;
  /** The research search (research-rows.ts): queries a clinic received and its outcomes; a researcher's own queries and the answers. */
  readonly incomingQueries: Table<IncomingQueryRowStored, string>;
  readonly queryOutcomes: Table<QueryOutcomeRowStored, number>;
  readonly myQueries: Table<MyQueryRowStored, string>;
  readonly queryAnswers: Table<QueryAnswerRowStored, string>;
}

export type VaultDb = Dexie & VaultViewTables;

export interface IndexedDbDeps {
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
}

/**
 * Schema history. Never edit a published version: add the next one.
 *
 *   version(1): the tables above.
 *   version(2): `ledger` (signed ledger entries; the ledger issue). Upgrade: the cursor goes back
 *               to 0, so the next sync replays everything and fills the table (another profile
 *               of the same vault may have appended `ledger.entry` records this view never read).
 *   version(3): `merges` and `quarantine` (HL7 intake). Message rows gain extended records
 *               (reports, orders…): the cursor goes back to 0 and the problem count is reset,
 *               so the next sync replays everything (rows are put by id: the same ids again).
 *   version(4): birth dates get one full-date token instead of year, month and day tokens (a year
 *               token linked everyone born that year). Old tokens must not linger, and postings
 *               are append-only: `postings`, `patients` (their token lists) and `records` are
 *               cleared and the cursor goes back to 0, so the next sync rebuilds the index.
 *   version(5): `directory` (the names behind ledger subjects, for auditors). The cursor goes back
 *               to 0, so the next sync of a clinical session fills it for every patient.
 *   version(6): identifiers get prefix tokens (a partial MRN finds the patient), and a patient's
 *               demographics are merged field by field across messages instead of the latest
 *               message's copy winning (issue 11). `postings`, `patients` and `records` are cleared,
 *               the cursor goes back to 0 and the replay counts are reset, so the next sync
 *               rebuilds the index and the patients from the journal.
 *   version(7): `deviceReports` (IEEE 11073 device reports, issue 13: device-projector.ts), by
 *               seq, receive time, system id and session. The cursor goes back to 0, so the next
 *               sync fills it from every `intake.device` record; `deviceSessions` (which patient
 *               a device session's readings belong to, from `device.assigned` events).
 *   version(8): `studies`, `series` and `instances` (DICOM, issue 12: imaging-rows.ts), indexed by
 *               patient and parent. The cursor goes back to 0, so the next sync fills them from
 *               every `intake.dicom` record.
 *   version(9): `messages` (the message browser, issue 11: message-log.ts): every HL7 message
 *               stored or quarantined, with blind tokens of its control id, sender and type and
 *               indexes for each filter (and sender with type) in journal order. The cursor goes back to 0 (and the
 *               replay counts are reset), so the next sync fills it for every message received.
 *   version(10): `relayMessages` (relay messages received and sent, issue 10: relay-projector.ts).
 *               The cursor goes back to 0, so the next sync fills it from the journal.
 *   version(13): `consents` (research consent records, issue 14: consent-projector.ts). The cursor
 *               goes back to 0, so the next sync fills it. (11 and 12 were reserved for work in
 *               progress at the time and are not used; Dexie needs no contiguous versions.)
 *   version(14): `incomingQueries`, `queryOutcomes`, `myQueries` and `queryAnswers` (the research
 *               search, issue 14: research-rows.ts). The cursor goes back to 0, so the next sync
 *               fills them from the relay messages and the `query.*` events.
 *   version(23): `aliases` (which chart holds which identifier, issue 11: patient-filing.ts). A
 *               message is filed on the chart that holds any of its identifiers, not only on the
 *               chart of its first one: rows filed under a second chart of the same person must go,
 *               so the patient rows, records, postings, merges, imaging rows and the patients'
 *               directory rows are rebuilt from the journal.
 *   version(24): series and instance rows are keyed by their study too (imaging-rows.ts imagingId):
 *               a Series Instance UID sent again under another study (a split or corrected study,
 *               QA s32 D1) took the first study's series away. The imaging rows are rebuilt.
 *   version(25): a name's empty components say nothing (patient-demographics.ts mergeName, QA s32):
 *               the patient rows, postings and the patients' directory rows are rebuilt.
 *   version(26): a middle name sent as its initial ("M" for "Maria") keeps the chart's middle name
 *               (patient-demographics.ts mergeName): the patient rows, postings and the patients'
 *               directory rows are rebuilt.
 *   version(27): `namedExports` (the patients each exported access report names, indexed by
 *               subject) and the ledger's `coversTo` index, so that a patient's "Who accessed this
 *               record" finds the EXPORT entries of reports naming them. Nothing to replay: records
 *               written before name no one (the body did not journal whom a report named).
 *   version(29): a lab message's visit stored before PV1-44 counted is no search word
 *               (intake-rows.ts isChartVisit): the patient rows and postings are rebuilt.
 *   version(30): words with ä ö ü are indexed under their transliteration too (ae oe ue):
 *               the patient rows and postings are rebuilt.
 *   version(31): a study's description words and accession number (with its prefixes) are words of
 *               its patient too (tester T1 F9), and a study's accession number gets prefix tokens:
 *               the patient rows, postings and study rows are rebuilt. Study rows are cleared
 *               too (not only replayed, whose union keeps every token a row ever had), so no
 *               token of an earlier rule lingers on them.
 *   version(32): an identifier's digit run after its letter prefix gets prefix tokens ("1002" finds
 *               MRN100234, F9), and a message's control id is found by its start in any case (F10:
 *               `messages.control` becomes a multiEntry index of prefix tokens). The patient rows,
 *               postings, study rows and message rows (with the kept message count) are rebuilt.
 *   version(33): an instance's payload names a Specific Character Set this build does not know
 *               (imaging-rows.ts InstancePayload.unknownCharset, H6 s38 finding 6): the instance
 *               rows are rebuilt, so instances stored before say so too.
 *
 * The pattern for the next change (add an index, reshape a row):
 *
 *   db.version(2)
 *     .stores({ records: 'id, seq' })   // only the tables that change
 *     .upgrade(async (tx) => {
 *       // Rows whose new fields are derivable without keys: fill them here.
 *       // Rows that need decryption or the journal (keys cannot be awaited inside an upgrade
 *       // transaction): clear the affected tables and reset the cursor, and the next sync replays.
 *       await tx.table('records').clear();
 *       await tx.table('patients').clear();
 *       await tx.table('meta').put({ key: 'cursor', value: 0 });
 *     });
 *
 * Replaying from 0 always gives the current views (the journal is the truth), so the cheap,
 * always-correct migration is "clear and replay"; a transform in place is an optimization.
 */
export const VIEW_SCHEMA_VERSION = 33;

function defineSchema(db: Dexie): void {
  db.version(1).stores({
    meta: 'key',
    patients: 'id',
    records: 'id',
    postings: 'id',
    access: 'seq, patientId, operator',
  });
  db.version(2)
    .stores({ ledger: 'seq, kind, subject, operator, createdAt' })
    .upgrade((tx) => replayFromStart(tx));
  db.version(3)
    .stores({ merges: 'merged, survivor', quarantine: 'seq' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems']));
  db.version(4)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['postings', 'patients', 'records'], ['problems']));
  db.version(5)
    .stores({ directory: 'id, patientId' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems']));
  db.version(6)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['postings', 'patients', 'records'], ['problems', 'rejected']));
  db.version(7)
    .stores({ deviceReports: 'seq, at, systemId, session', deviceSessions: 'key, session, patientId' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems', 'rejected']));
  db.version(8)
    .stores({ studies: 'id, patientId', series: 'id, studyId, patientId', instances: 'id, seriesId, studyId, patientId' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems', 'rejected']));
  db.version(9)
    .stores({ messages: 'seq, at, control, [status+seq], [sender+seq], [type+seq], [sender+type+seq], [patientId+seq]' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems', 'rejected']));
  db.version(10)
    .stores({ relayMessages: 'key, seq, at' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems', 'rejected']));
  db.version(13)
    .stores({ consents: 'seq, patientId' })
    .upgrade((tx) => replayFromStart(tx, [], ['problems', 'rejected']));
  db.version(14)
    .stores({ incomingQueries: 'queryId, at', queryOutcomes: 'seq, queryId, researcher, at', myQueries: 'queryId, at', queryAnswers: 'key, queryId' })
    .upgrade((tx) => replayFromStart(tx, ['relayMessages'], ['problems', 'rejected']));
  // Studies get blind tokens (imaging-rows.ts): the rows are rebuilt with them.
  db.version(15)
    .stores({ studies: 'id, patientId, *tokens' })
    .upgrade((tx) => replayFromStart(tx, ['studies'], ['problems', 'rejected']));
  // Posting chunks above the high-water mark cannot exist: a database made before it existed may hold any.
  db.version(16)
    .stores({})
    .upgrade(async (tx) => {
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: Number.MAX_SAFE_INTEGER });
    });
  // Imaging rows are keyed by patient and UID (a Study Instance UID sent for two patients stays two
  // studies, QA explore-12 D0), and studies get `uid` (the UID's pseudonym) to flag such a pair:
  // every old row id changes, so the three tables are rebuilt from the journal.
  db.version(17)
    .stores({ studies: 'id, patientId, uid, *tokens' })
    .upgrade((tx) => replayFromStart(tx, ['studies', 'series', 'instances'], ['problems', 'rejected']));
  // A DICOM header's name and birth date are indexed only when the chart took them (issue 12):
  // postings are only ever added to, so the words of headers the chart never showed go with a rebuild.
  db.version(18)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // Instance rows keep the earlier copies of an instance received again with other bytes (`earlier`,
  // QA explore-12 D4); rows put before kept only the latest, so they are rebuilt from the journal.
  db.version(19)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['instances'], ['problems', 'rejected']));
  // Patient rows keep which tokens only a DICOM header gave (PatientPayload.headerOnly), to take them
  // out when a registration renames (QA2-12 Q5); rows put before do not, so rows and postings are rebuilt.
  db.version(20)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A registration that renames, redates or clears takes the earlier values' words out (QA11 D2: a
  // corrected birth date still found the patient); postings written before kept them, so rebuilt.
  db.version(21)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // One Han ideograph is a word now (QA12 D4: the surname 王), and names' ideographic and phonetic
  // writing is indexed: postings, patient rows and study rows built before lack those tokens.
  db.version(22)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients', 'studies'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A message is filed on the chart holding any of its identifiers (issue 11, patient safety): the
  // rows a second chart of the same person holds go, and the replay files them again.
  db.version(23)
    .stores({ aliases: 'id, patientId' })
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients', 'records', 'merges', 'studies', 'series', 'instances'], ['problems', 'rejected', IDENTITY_CONFLICTS_KEY]);
      await tx.table('directory').filter((row: DirectoryRow) => row.kind === 'patient').delete();
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A series and an instance are keyed by their study too (QA s32 D1: a series resent under a new
  // Study Instance UID left the first study with none): every series and instance row id changes.
  db.version(24)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['studies', 'series', 'instances'], ['problems', 'rejected']));
  // A name's empty components say nothing (QA s32: an ORU's `Keller^Anna` erased "Maria" from the
  // chart, the index and the directory): patient rows, postings and the patients' directory rows
  // built before hold the erased name, so they are rebuilt from the journal.
  db.version(25)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('directory').filter((row: DirectoryRow) => row.kind === 'patient').delete();
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A middle name sent as its initial keeps the chart's (an ORU's `Keller^Anna^M` made "Keller, Anna
  // Maria" read "Keller, Anna M" and "maria" find nobody): rows built before hold the initial.
  db.version(26)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('directory').filter((row: DirectoryRow) => row.kind === 'patient').delete();
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // An exported access report is an access to each patient it names: their rows, and the ledger's
  // entries by the journal record they cover (an export's EXPORT entry covers its `audit.exported`).
  db.version(27).stores({ ledger: 'seq, kind, subject, operator, createdAt, coversTo', namedExports: 'seq, *subjects' });
  // An instance's earlier copies keep their own payload (their transfer syntax: QA s33 D3, a resend
  // in another transfer syntax says so); rows put before kept only where each copy is, so they are rebuilt.
  db.version(28)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['instances'], ['problems', 'rejected']));
  // A lab message's pseudo-visit (stored before PV1-44 counted) put its location and reason into the
  // patient's search words (intake-rows.ts isChartVisit): the patient rows and postings are rebuilt.
  db.version(29)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A word with an umlaut is indexed under its German transliteration too ("Müller" also as
  // "mueller": shared/crypto/blind-index.ts); rows and postings built before lack those tokens.
  db.version(30)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // A study's description and accession number find its patient (tester T1 F9), and an accession
  // number's start finds its study: patient rows, postings and study rows built before lack those tokens.
  db.version(31)
    .stores({})
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients', 'studies'], ['problems', 'rejected']);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // An MRN's digits find it (F9: identifier digit runs get prefix tokens) and a control id its
  // message by its start in any case (F10: a multiEntry index of prefix tokens): the rows built
  // before lack those tokens. Clearing `messages` forgets its kept count (message-log.ts).
  db.version(32)
    .stores({ messages: 'seq, at, *control, [status+seq], [sender+seq], [type+seq], [sender+type+seq], [patientId+seq]' })
    .upgrade(async (tx) => {
      await replayFromStart(tx, ['postings', 'patients', 'studies', 'messages'], ['problems', 'rejected', MESSAGE_COUNT_KEY]);
      await tx.table('meta').put({ key: POSTINGS_THROUGH_KEY, value: 0 });
    });
  // An instance read with an unknown character set says so in the viewer: rows put before lack it.
  db.version(33)
    .stores({})
    .upgrade((tx) => replayFromStart(tx, ['instances'], ['problems', 'rejected']));
}

/**
 * "Clear and replay" (the pattern above): empties the `clear` tables, sets the cursor back to 0 and
 * forgets the `forget` counts in meta, inside the upgrade's transaction; the next sync replays all.
 */
async function replayFromStart(tx: Transaction, clear: readonly string[] = [], forget: readonly string[] = []): Promise<void> {
  for (const table of clear) await tx.table(table).clear();
  await tx.table('meta').put({ key: CURSOR_KEY, value: 0 });
  for (const key of forget) await tx.table('meta').delete(key);
}

export function viewDbName(vaultId: string): string {
  return `${VIEW_DB_PREFIX}${vaultId}`;
}

/**
 * Views are rebuildable from the journal, so writes need not wait for the disk ("relaxed"
 * durability in Chromium: a crash may lose the last batches, and the next sync replays them, since
 * the cursor is written in the same transaction as the rows). Dexie's liveQuery cache is off: the
 * UI reads through VaultService, not live queries, and it would hold decrypted-size tables in memory.
 */
function dexieOptions(deps: IndexedDbDeps): DexieOptions {
  const options: DexieOptions = { chromeTransactionDurability: 'relaxed', cache: 'disabled' };
  if (deps.indexedDB !== undefined) options.indexedDB = deps.indexedDB;
  if (deps.IDBKeyRange !== undefined) options.IDBKeyRange = deps.IDBKeyRange;
  return options;
}

export function openVaultDb(vaultId: string, deps: IndexedDbDeps = {}): VaultDb {
  const db = new Dexie(viewDbName(vaultId), dexieOptions(deps)) as VaultDb;
  defineSchema(db);
  return db;
}

/** Drops the whole database of one vault (rebuild, erase of the views). */
export async function deleteVaultDb(vaultId: string, deps: IndexedDbDeps = {}): Promise<void> {
  // Dexie.delete(name) would use the global IndexedDB; an instance carries the injected one.
  await new Dexie(viewDbName(vaultId), dexieOptions(deps)).delete();
}

export const CURSOR_KEY = 'cursor';
/**
 * Messages whose identifiers named two charts (patient-filing.ts: filed on the first, not merged):
 * a count the patient projector adds to per page, forgotten like `problems` when the cursor goes to 0.
 */
export const IDENTITY_CONFLICTS_KEY = 'identityConflicts';
/**
 * The highest posting chunk ever written (absent: none, in a database created at version 16 or
 * later). A page whose chunk lies above it writes its posting rows without reading them first: no
 * earlier page can have written that chunk (a replay after a cursor reset has chunks at or below it).
 */
export const POSTINGS_THROUGH_KEY = 'postingsThrough';

/** A patient's record rows: the primary-key range of ids starting with `<patientId>.`. */
export function recordsOfPatient(db: VaultDb, patientId: string) {
  return db.records.where(':id').startsWith(`${patientId}.`);
}

export function postingKey(token: string, chunk: number): string {
  return `${token}|${chunk.toString(36).padStart(8, '0')}`;
}

/** Every posting chunk of one token. */
export function postingsOf(db: VaultDb, token: string) {
  return db.postings.where(':id').startsWith(`${token}|`);
}

export async function readCursor(db: VaultDb): Promise<number> {
  const row = await db.meta.get(CURSOR_KEY);
  return typeof row?.value === 'number' ? row.value : 0;
}
