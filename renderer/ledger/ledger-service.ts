/**
 * What the UI asks of the signed ledger (design §5; the ledger issue). Entries are EIP-712 typed
 * data signed by the node's identity key; the schema lives in shared/ledger/. The implementation
 * turns journal events into entries, appends them through the journal, keeps a Dexie view, and
 * verifies chain and signatures. Available only while the vault is unlocked.
 */

import { LEDGER_ENTRY_KINDS, type LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import type { AccessReport, AccessReportRow } from './access-report';

export type { AccessReport, AccessReportRow };

/** Which access report (issue 11): one patient's, or an operator's and/or a date range's. */
export interface AccessReportQuery {
  /** One patient (a clinical session: the patient's view id). */
  readonly patientId?: string;
  /** A subject pseudonym as an entry shows it (0x3c6896…43e3) or its hex start, or the start of a patient's name (subject-query.ts). */
  readonly subject?: string;
  /** Pseudonymous operator id. */
  readonly operator?: string;
  /** ISO dates (`YYYY-MM-DD` means the whole day), inclusive, of when the act happened. */
  readonly from?: string;
  readonly to?: string;
}

/** The entry kinds, as the signed schema defines them (shared/ledger/ledger-schema.ts). */
export const LEDGER_KINDS = LEDGER_ENTRY_KINDS;
export type LedgerKind = LedgerEntryKind;

/** One signed entry as shown in the UI (all fields are PHI-free by construction). */
export interface LedgerEntryView {
  readonly seq: number;
  readonly kind: LedgerKind;
  /** Salted pseudonym of what the act concerned (a patient, an operator, the node), or ''. */
  readonly subject: string;
  /** Pseudonymous operator id, or '' for acts of the node itself (intake). */
  readonly operator: string;
  readonly createdAt: string;
  readonly prevHash: string;
  readonly payloadHash: string;
  /** What the entry covers: journal seqs, object hashes or a Merkle root, as hex/decimal strings. */
  readonly inputs: readonly string[];
  /** The EIP-712 hash of the entry (what the next entry's prevHash names). */
  readonly entryHash: string;
  readonly signature: string;
  /** The signer's address (the node id). */
  readonly signer: string;
  /** Kind-specific numbers shown in the detail view (e.g. counts by channel of an intake batch). */
  readonly summary: Readonly<Record<string, string | number>>;
  /**
   * The name behind the subject, resolved locally from the subject directory, when the session
   * holds its key (administrators, clinicians, auditors; never researchers). Never signed, never sent.
   */
  readonly subjectName?: string;
  /** The network notary's countersignature (issue 10 item 11): absent while the entry is local only. */
  readonly notary?: { readonly leafIndex: number; readonly treeSize: number; readonly integratedAt: string };
}

export interface LedgerFilter {
  readonly kinds?: readonly LedgerKind[];
  readonly operator?: string;
  /** ISO dates, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
}

/** A verification that resumed after a head verified before (at unlock): entries 1…seq were verified at `at`. */
export interface ResumedAfter {
  readonly seq: number;
  readonly at: string;
}

export type LedgerVerification =
  | { readonly ok: true; readonly entries: number; readonly checkedAt: string; readonly resumedAfter?: ResumedAfter }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly checkedAt: string;
      /** The first break: which entry, and precisely what is wrong with it. */
      readonly firstBreak: { readonly seq: number; readonly problem: string };
      readonly resumedAfter?: ResumedAfter;
    };

export interface NodeIdentity {
  /** The node id: the identity key's address (0x…, checksummed). */
  readonly address: string;
  readonly intakePublicKey: string;
  readonly institutionName: string;
  readonly institutionRole: 'clinic' | 'research';
  readonly appVersion: string;
  /** EIP-712 chain id of the configured network. */
  readonly chainId: number;
}

/**
 * An export's file as the body wrote it into `<data>/exports/`, for the page to offer as a download
 * (issue 11 F4: on a workstation the data folder may belong to a service account). `parts` joined
 * are the file's text: its bytes in UTF-8, so the digest a ledger entry signs for it still matches.
 */
export interface ExportedFile {
  readonly name: string;
  readonly type: 'text/csv' | 'application/x-ndjson' | 'application/json';
  readonly parts: readonly string[];
}

export interface LedgerService {
  identity(): Promise<NodeIdentity>;
  /** Changes the institution name and role (a SETTINGS_CHANGE entry). Admin only. */
  setInstitution(input: { readonly name: string; readonly role: 'clinic' | 'research' }): Promise<void>;
  /** Writes the signed "node info" document; returns where. */
  exportNodeInfo(): Promise<{ readonly path: string; readonly file: ExportedFile }>;
  /** Newest first; `limit` entries before `beforeSeq` (paging). */
  entries(filter: LedgerFilter, page: { readonly beforeSeq?: number; readonly limit: number }): Promise<readonly LedgerEntryView[]>;
  entry(seq: number): Promise<LedgerEntryView | null>;
  /**
   * Who accessed this patient, newest first: the rows of the patient's access report, the same the
   * CSV export writes (H8 F3): ACCESS entries for the patient's subject, quarantine acts on their
   * messages, and EXPORT entries of the patient's data (a document saved from the viewer) or of an
   * access report that names the patient. `what` and `workstation` as in the access report, when the implementation knows them.
   */
  accessesOf(patientId: string): Promise<
    readonly {
      readonly operatorName: string;
      readonly operator: string;
      /** The role the operator signed in with, when the ledger holds it (for words when the name is not this session's to know). */
      readonly operatorRole?: string;
      readonly at: string;
      readonly seq: number;
      readonly what?: string;
      readonly workstation?: string;
      readonly leafIndex?: number;
    }[]
  >;
  /** Who did what, when and where, with each entry's proof: sign-ins, accesses, exports, quarantine acts, erasures. Newest first. */
  accessReport(query: AccessReportQuery): Promise<AccessReport>;
  /** Writes that report as CSV to `<data>/exports/` (journaled as an export by the body); returns where, and the file to save. */
  exportAccessReport(query: AccessReportQuery): Promise<{ readonly path: string; readonly rows: number; readonly file: ExportedFile }>;
  /** Checks the whole chain and every signature; reports the first break precisely. */
  verify(): Promise<LedgerVerification>;
  /** The last verification (run at unlock and on demand), or null before the first. */
  lastVerification(): LedgerVerification | null;
  /** Writes the JSON Lines export (header with domain and types, then one entry per line). */
  exportLedger(): Promise<{ readonly path: string; readonly entries: number; readonly file: ExportedFile }>;
  /** Operators' display names by pseudonymous id, for filters (admins see all). */
  operatorNames(): Promise<Readonly<Record<string, string>>>;
}
