import { ZERO_HASH } from '../../../shared/ledger/ledger-schema';
import { pseudonymToBytes32, SESSION_EVENT_WORDS, SESSION_IDLE_LOCK_WORDS } from '../../ledger/ledger-details';
import type { LedgerEntryView, LedgerKind, LedgerVerification } from '../../ledger/ledger-service';

const KIND_LABELS: Readonly<Record<LedgerKind, string>> = {
  INTAKE_BATCH: 'Intake batch',
  ACCESS: 'Record viewed',
  CONSENT: 'Consent',
  ERASURE: 'Erasure',
  EXPORT: 'Export',
  SETTINGS_CHANGE: 'Settings change',
  KEY_ROTATION: 'Key rotation',
  OPERATOR_CHANGE: 'Operator change',
  NOTARY_ALARM: 'Notary alarm',
  QUERY_ANSWERED: 'Query answered',
  PURCHASE_REQUESTED: 'Purchase requested',
  PURCHASE_ACCEPTED: 'Purchase accepted',
  PURCHASE_DECLINED: 'Purchase declined',
  KEY_RELEASE: 'Key released',
  DATA_DELIVERY: 'Data delivered',
  DELIVERY_ACK: 'Delivery acknowledged',
  ESCROW_DEPOSIT: 'Paid into escrow',
  QUERY_POSTED: 'Query posted',
  SESSION: 'Sign-in and lock',
  QUARANTINE: 'Quarantine action',
  RESTORE: 'Backup restored',
};

/** `INTAKE_BATCH` → "Intake batch"; an unknown kind (a newer node) is shown as it is. */
export function kindLabel(kind: LedgerKind): string {
  return KIND_LABELS[kind] ?? kind;
}

/** A session entry's event as its summary words it (ledger-details.ts SESSION_EVENT_WORDS), as a label. */
const SESSION_LABELS: Readonly<Record<string, string>> = {
  [SESSION_EVENT_WORDS['signedIn']!]: 'Signed in',
  [SESSION_EVENT_WORDS['locked']!]: 'Locked',
  [SESSION_IDLE_LOCK_WORDS]: 'Locked automatically (idle)',
  [SESSION_EVENT_WORDS['unlockFailed']!]: 'Failed unlock',
  [SESSION_EVENT_WORDS['closed']!]: 'Window closed',
};

/** A session an administrator's keyring change ended (ledger-details.ts revocationWords) and the summary field naming who (a pseudonym). */
const SIGNED_OUT = 'signed out: ';
export const SIGNED_OUT_BY = 'signed out by';

/**
 * Who ended a session, in the access report's words (access-report.ts actionOf): the name where this
 * session may know it; "another operator (administrator)" where not (only administrators change the
 * keyring; the pseudonym is on the entry's page); "an administrator" for entries signed before `by`.
 */
function revokerWords(by: string | number | undefined, names: Readonly<Record<string, string>>): string {
  if (typeof by !== 'string' || by === '') return 'an administrator';
  return names[by] ?? otherOperatorWords('admin').toLowerCase();
}

/**
 * What one entry is, for the list: a session entry says its event ("Signed in", "Signed in after
 * 2 failed unlocks", "Locked", "Locked automatically (idle)", "Failed unlock", "Signed out by Ada
 * Admin: account disabled"), not its kind's name; others their kind's label.
 * Locks journaled before the idle mark existed read "Locked".
 */
export function entryLabel(entry: Pick<LedgerEntryView, 'kind' | 'summary'>, names: Readonly<Record<string, string>> = {}): string {
  // A backup the node could not make is no export (tester T2 F10): it says so in the list.
  if (entry.kind === 'EXPORT' && entry.summary['export'] === 'backup' && entry.summary['result'] === 'failed') {
    return entry.summary['scheduled'] === 'on' ? 'Scheduled backup failed' : 'Backup failed';
  }
  if (entry.kind !== 'SESSION') return kindLabel(entry.kind);
  const event = entry.summary['event'];
  if (typeof event !== 'string') return 'Session event';
  if (event.startsWith(SIGNED_OUT)) return `Signed out by ${revokerWords(entry.summary[SIGNED_OUT_BY], names)}: ${event.slice(SIGNED_OUT.length)}`;
  const label = SESSION_LABELS[event] ?? `${event.charAt(0).toUpperCase()}${event.slice(1)}`;
  // A sign-in says how many unlocks failed on that slot before it, as the access report does (QA s32 finding 4).
  const failed = entry.summary['failed unlocks before'];
  if (event === SESSION_EVENT_WORDS['signedIn'] && typeof failed === 'number' && failed > 0) return `${label} after ${failed} failed unlock${failed === 1 ? '' : 's'}`;
  return label;
}

/**
 * When the act happened (its summary's `at`, when it has a valid one) and when the entry was
 * signed (its createdAt): the signer batches, and an auditor's session is signed later still.
 */
export function entryTimes(entry: Pick<LedgerEntryView, 'createdAt' | 'summary'>): { readonly happened: string; readonly signed: string } {
  const at = entry.summary['at'];
  const happened = typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? at : entry.createdAt;
  return { happened, signed: entry.createdAt };
}

/**
 * A long hash, address or pseudonym cut for a table cell: `0xa1b2c3…7f8e`. The full value is kept
 * in a title (hover) and shown whole on the entry's own page.
 */
export function shortHash(value: string): string {
  if (value.length <= 16) return value;
  const head = value.startsWith('0x') ? 8 : 6;
  return `${value.slice(0, head)}…${value.slice(-4)}`;
}

export const NODE_OPERATOR_LABEL = 'Node';

/** Who acted: the operator's name when known, "Node" for the node's own acts (intake), else the pseudonym, shortened. */
export function operatorLabel(operator: string, names: Readonly<Record<string, string>>): string {
  if (operator === '') return NODE_OPERATOR_LABEL;
  return names[operator] ?? shortHash(operator);
}

const ROLE_NOUNS: Readonly<Record<string, string>> = { admin: 'administrator', clinician: 'clinician', researcher: 'researcher', auditor: 'auditor' };

/**
 * An operator whose name this session may not know (names of others are for administrators and
 * auditors: issue 11), in words: "Another operator (auditor)" with the role signed at sign-in when
 * the ledger holds it, rather than a bare pseudonym (QA s35 T2 F6).
 */
export function otherOperatorWords(role: string | undefined): string {
  const noun = role === undefined ? undefined : ROLE_NOUNS[role];
  return noun === undefined ? 'Another operator' : `Another operator (${noun})`;
}

/** An operator pseudonym (base64url, as the journal carries it) in the form the ledger signs and shows it: `0x` and 64 hex digits. */
export function ledgerPseudonym(operator: string): string {
  const bytes32 = pseudonymToBytes32(operator);
  return bytes32 === ZERO_HASH ? operator : bytes32;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Why a listing of entries is not in time order everywhere (H8 F19): entries are listed by their
 * sequence, the order they were signed in, while the Time shown is when each act happened; acts of
 * one moment journaled by the node and by a session (an intake batch, a quarantine action) may be
 * signed in the other order. Reordering would hide the chain's order, which is what is verified.
 */
export const SIGNING_ORDER_NOTE =
  'Listed in signing order, newest first (the ledger’s sequence, what verification checks); a row’s time is when the act happened, so a row may show a time a moment earlier than the row listed below it.';

/** Whether the acts' times of rows listed newest first (by sequence) are ever out of that order. */
export function timesOutOfOrderNewestFirst(rows: readonly Pick<LedgerEntryView, 'createdAt' | 'summary'>[]): boolean {
  for (let i = 1; i < rows.length; i++) {
    if (Date.parse(entryTimes(rows[i - 1]!).happened) < Date.parse(entryTimes(rows[i]!).happened)) return true;
  }
  return false;
}

/** An ISO instant in this computer's local time, `2025-03-01 10:30:15`, sortable and unambiguous to read. */
export function ledgerTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

const numberFormat = new Intl.NumberFormat('en');

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

export function entriesWord(n: number): string {
  return n === 1 ? '1 entry' : `${formatCount(n)} entries`;
}

/** What the last verification says about one entry. */
export type EntryTrust =
  | { readonly state: 'verified' }
  | { readonly state: 'broken'; readonly problem: string }
  | { readonly state: 'untrusted' }
  | { readonly state: 'unverified' };

/**
 * The state of one entry under the last verification: the first break itself, entries after it
 * (chained to a broken chain: not trusted), entries checked (before the break, or all when the
 * chain held), and entries written after the check (not verified yet).
 */
export function entryTrust(entry: Pick<LedgerEntryView, 'seq' | 'createdAt'>, verification: LedgerVerification | null): EntryTrust {
  if (verification === null) return { state: 'unverified' };
  if (!verification.ok) {
    if (entry.seq === verification.firstBreak.seq) return { state: 'broken', problem: verification.firstBreak.problem };
    if (entry.seq > verification.firstBreak.seq) return { state: 'untrusted' };
  }
  const created = Date.parse(entry.createdAt);
  const checked = Date.parse(verification.checkedAt);
  if (Number.isFinite(created) && Number.isFinite(checked) && created > checked) return { state: 'unverified' };
  return { state: 'verified' };
}

export function trustLabel(trust: EntryTrust): string {
  switch (trust.state) {
    case 'verified':
      return 'Verified';
    case 'broken':
      return 'First break';
    case 'untrusted':
      return 'Not trusted';
    case 'unverified':
      return 'Not verified yet';
  }
}

/** The longer wording for the entry's own page. */
export function trustSentence(trust: EntryTrust): string {
  switch (trust.state) {
    case 'verified':
      return 'Verified: its signature and its link to the previous entry were checked.';
    case 'broken':
      return `The first break in the chain: ${trust.problem}`;
    case 'untrusted':
      return 'After the first break — not trusted.';
    case 'unverified':
      return 'Not verified yet: written after the last verification, or the ledger was not verified since unlock.';
  }
}

/** The one-line result of a verification: "All 42 entries verified." or "Entry 17: …". */
export function verificationSentence(verification: LedgerVerification): string {
  if (verification.ok) {
    return `All ${entriesWord(verification.entries)} verified.`;
  }
  return `Entry ${verification.firstBreak.seq}: ${verification.firstBreak.problem}`;
}
