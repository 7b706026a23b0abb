import { AUDIT_KINDS, BACKUP_KINDS, LEDGER_ALARM_KIND, MIND_KINDS, QUARANTINE_KINDS } from '../../shared/journal/journal-kinds';
import { sha256 } from 'ethers';
import { z } from 'zod';
import type { JournalRecord } from '../../shared/ipc/journal-contract';
import { bytes32Of, ZERO_HASH, type LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import { canonicalJson } from '../vault/canonical-json';
import { derivePatientPseudonym, fromBase64Url, isBase64Url, toBase64Url, utf8Encode } from './ledger-crypto';

/**
 * What an entry commits to (its payloadHash) and how journal records become subjects and inputs.
 *
 * Details: a JSON object kept sealed in the vault, inside the entry's own `ledger.entry` journal
 * record (so erasing the intake records an entry covers never erases what the entry attests).
 * Every details object carries 16 random bytes (`salt`), so its hash cannot be confirmed by
 * guessing its low-entropy content, and the journal range it covers (`from`, `to`).
 *
 *   payloadHash = SHA-256(UTF-8(canonical JSON of the details))
 *
 * Anyone holding the vault opens the record, recomputes the hash and compares; nobody else learns
 * anything from it.
 */

export const DetailsSchema = z.looseObject({
  v: z.literal(1),
  salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  /** The journal records the entry accounts for: (previous entry's `to`, `to`]. */
  from: z.number().int().min(1),
  to: z.number().int().min(1),
});
export type Details = z.infer<typeof DetailsSchema> & Readonly<Record<string, unknown>>;

export function payloadHashOf(details: Readonly<Record<string, unknown>>): string {
  return sha256(utf8Encode(canonicalJson(details)));
}

/**
 * The hash of a journal record as the mind reads it: SHA-256 of the canonical JSON array
 * [seq, kind, at, operator, objects, meta], with the body's sealed actor appended when the record
 * has one (records without one hash as they always did). It commits to the sealed meta bytes too,
 * so the input of an ACCESS entry pins the exact `view.access` record it was made from.
 */
export function journalRecordHash(record: Pick<JournalRecord, 'seq' | 'kind' | 'at' | 'operator' | 'objects' | 'meta' | 'actor'>): string {
  const fields = [record.seq, record.kind, record.at, record.operator, [...record.objects], record.meta];
  return sha256(utf8Encode(canonicalJson(record.actor === undefined ? fields : [...fields, record.actor])));
}

/** A base64url 32-byte pseudonym (journal operator ids, HMACs) as bytes32; zero for anything else. */
export function pseudonymToBytes32(value: string | null | undefined): string {
  if (typeof value !== 'string' || !isBase64Url(value, 32)) return ZERO_HASH;
  return bytes32Of(fromBase64Url(value));
}

/** bytes32 back to the base64url form the journal and the UI use; '' for zero. */
export function bytes32ToPseudonym(value: unknown): string {
  if (typeof value !== 'string' || !/^0x[0-9a-f]{64}$/.test(value) || value === ZERO_HASH) return '';
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(value.slice(2 + i * 2, 4 + i * 2), 16);
  return toBase64Url(bytes);
}

/** The ledger subject of a patient (its view id): HMAC under the ledger key, domain "patient". */
export async function patientSubject(ledgerKey: CryptoKey, patientId: string): Promise<string> {
  return pseudonymToBytes32(await derivePatientPseudonym(ledgerKey, patientId));
}

/** Numbers and words of the details for the detail view (never a patient's pseudonym; an operator's only as who ended a session, 'signed out by'). */
export function summaryOf(kind: LedgerEntryKind | string, details: Readonly<Record<string, unknown>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  // Fetched back from the network's log (recovery): its details were sealed in a journal this vault no longer has.
  if (details['recovered'] === true) return { recovered: 'from the network’s log; its details are not in this vault' };
  const num = (key: string, label = key): void => {
    const value = details[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[label] = value;
  };
  const word = (key: string, label = key): void => {
    const value = details[key];
    if (typeof value === 'string' && value.length <= 200) out[label] = value;
    if (typeof value === 'boolean') out[label] = value ? 'on' : 'off';
  };
  if (typeof details['from'] === 'number' && typeof details['to'] === 'number') {
    out['journal records'] = details['from'] === details['to'] ? `${details['to']}` : `${details['from']}–${details['to']}`;
  }
  switch (kind) {
    case 'INTAKE_BATCH': {
      num('records');
      const objects = details['objectIds'];
      if (Array.isArray(objects)) out['objects'] = objects.length;
      const byChannel = details['byChannel'];
      if (byChannel !== null && typeof byChannel === 'object') {
        for (const [channel, count] of Object.entries(byChannel as Record<string, unknown>)) {
          if (typeof count === 'number') out[`channel ${channel}`] = count;
        }
      }
      word('firstAt', 'first received');
      word('lastAt', 'last received');
      break;
    }
    case 'ACCESS':
      out['opened'] =
        details['what'] === 'quarantined input'
          ? 'quarantined input'
          : details['what'] === 'imaging study'
            ? 'imaging study'
            : details['what'] === 'message page'
            ? 'message page'
            : typeof details['messageSeq'] === 'number'
            ? 'raw message'
            : details['recordId'] === null || details['recordId'] === undefined
              ? 'patient page'
              : 'one record';
      num('quarantineSeq', 'quarantine record');
      num('messageSeq', 'message');
      word('at');
      break;
    case 'SESSION': {
      const event = details['event'];
      if (typeof event === 'string') out['event'] = event === 'locked' && details['idle'] === true ? SESSION_IDLE_LOCK_WORDS : event === 'revoked' ? revocationWords(details['cause']) : (SESSION_EVENT_WORDS[event] ?? event);
      num('failedAttempts', 'failed unlocks before');
      word('role');
      // revoked: the administrator who did it, by pseudonym, named where the session may know the name (access-report.ts actionOf).
      if (bytes32ToPseudonym(details['by']) !== '') out['signed out by'] = bytes32ToPseudonym(details['by']);
      // A failed attempt opened nothing: its slot is what was tried (QA11 D4).
      word('slot', event === 'unlockFailed' ? 'tried with' : 'unlocked with');
      word('workstation');
      word('at');
      break;
    }
    case 'QUERY_ANSWERED':
      word('researcher');
      word('bucket', 'count answered');
      word('repeat', 'repeat of an earlier answer');
      word('offered', 'offer made');
      break;
    case 'PURCHASE_REQUESTED':
    case 'PURCHASE_ACCEPTED':
    case 'PURCHASE_DECLINED':
      word('purchaseId', 'purchase');
      word('clinic');
      word('researcher');
      num('records');
      word('total', 'total (PHD)');
      word('reason');
      break;
    case 'DATA_DELIVERY':
      word('purchaseId', 'purchase');
      word('researcher');
      word('deliveryId', 'delivery');
      num('size', 'sealed bytes');
      num('released', 'records released');
      num('suppressed', 'records suppressed');
      num('k');
      num('l', 'ℓ');
      word('reportSha256', 'release report SHA-256');
      break;
    case 'DELIVERY_ACK':
      word('purchaseId', 'purchase');
      word('clinic');
      word('deliveryId', 'delivery');
      break;
    case 'QUERY_POSTED':
      word('queryId', 'query');
      word('purpose');
      num('terms', 'terms');
      num('clinics', 'clinics asked');
      break;
    case 'ESCROW_DEPOSIT':
      word('purchaseId', 'purchase');
      word('clinic');
      word('escrow');
      num('block');
      word('amount', 'amount (smallest unit)');
      break;
    case 'QUARANTINE':
      word('action');
      num('quarantineSeq', 'quarantine record');
      word('at');
      break;
    case 'RESTORE':
      num('erasuresReapplied', 'erasures re-applied');
      num('recordsErased', 'records erased again');
      num('objectsErased', 'objects erased again');
      word('at');
      Object.assign(out, restoreWords(details));
      break;
    case 'ERASURE':
      num('messages');
      num('records');
      num('objects');
      num('quarantined', 'quarantined inputs');
      num('reports', 'access reports removed');
      break;
    case 'OPERATOR_CHANGE':
      word('action');
      word('role');
      break;
    case 'EXPORT':
      word('what', 'export');
      word('result');
      word('scheduled');
      // A failed backup's reason: a sentence, up to the 500 characters the body's status keeps.
      if (typeof details['reason'] === 'string') out['reason'] = details['reason'].slice(0, 500);
      num('bytes');
      num('entries');
      num('patients', 'patients named');
      word('file');
      word('workstation');
      word('at');
      break;
    case 'SETTINGS_CHANGE':
      word('setting');
      word('value');
      word('role');
      break;
    case 'NOTARY_ALARM':
      word('detail', 'what the notary showed');
      break;
    default:
      break;
  }
  if (details['unreadable'] === true) out['note'] = 'the source record could not be read';
  // Mind events in the range that were not signed: no valid authenticator (mind-events.ts), or an operator change its actor's role may not make (operator-change-rule.ts).
  if (Array.isArray(details['rejected'])) out['rejected records'] = details['rejected'].length;
  return out;
}

/**
 * What a restore rewound, in words (tester T2 S35 F3): the backup's date and last entry, that the
 * entries signed after it are elsewhere, and either those fetched back from the network's log or
 * that the chain may be a second branch from the backup's last entry. Restores journaled before
 * these were recorded say nothing of it.
 */
function restoreWords(details: Readonly<Record<string, unknown>>): Record<string, string | number> {
  const made = details['backupMadeAt'];
  const last = details['backupLastEntry'];
  if (typeof made !== 'string' || typeof last !== 'number') return {};
  const out: Record<string, string | number> = {
    'backup made': made,
    "backup's last ledger entry": last,
    'entries signed after the backup': 'not in this vault: they remain in the ledger exports made since and, for a member of a network, in the network notary’s log',
  };
  const from = details['recoveredFrom'];
  const to = details['recoveredTo'];
  if (typeof from === 'number' && typeof to === 'number') {
    out['fetched back from the notary'] = `entries ${from}–${to}, before this entry: the chain continues after the notary’s last entry of this node`;
  }
  if (details['rewound'] === true) {
    out['ledger rewound'] = `no network’s log was consulted, so how far the earlier copy signed is unknown: if it signed entries after ${last}, this vault’s entries from entry ${last + 1} on are a second branch from entry ${last}`;
  }
  return out;
}

/** How a SESSION entry's event reads in its summary. */
export const SESSION_EVENT_WORDS: Readonly<Record<string, string>> = { signedIn: 'signed in', locked: 'locked', closed: 'window closed', unlockFailed: 'unlock failed' };
/** A session an administrator's keyring change ended (`revoked`), by its `cause`. */
export const SESSION_REVOCATION_WORDS: Readonly<Record<string, string>> = {
  disabled: 'signed out: account disabled',
  removed: 'signed out: account removed',
  roleChanged: 'signed out: role changed',
  recoveryRemoved: 'signed out: recovery key removed',
};
/** A `revoked` entry whose cause this version does not know (a newer node's). */
const SESSION_REVOKED_WORDS = 'signed out: access changed';

function revocationWords(cause: unknown): string {
  return (typeof cause === 'string' ? SESSION_REVOCATION_WORDS[cause] : undefined) ?? SESSION_REVOKED_WORDS;
}

/** A lock the window made itself after its idle minutes (`idle: true`; locks journaled before that mark read "locked"). */
export const SESSION_IDLE_LOCK_WORDS = 'locked automatically (idle)';

/** The ledger kind of a journal kind, or null when the act is not ledgered. */
export function ledgerKindOf(journalKind: string): LedgerEntryKind | null {
  // An operator's act on a quarantined input: an entry of its own, not part of an intake batch.
  if (journalKind === QUARANTINE_KINDS.reprocessed || journalKind === QUARANTINE_KINDS.discarded) return 'QUARANTINE';
  if (journalKind.startsWith('intake.')) return 'INTAKE_BATCH';
  if (journalKind === 'view.access' || journalKind === MIND_KINDS.quarantineAccess) return 'ACCESS';
  if (journalKind === AUDIT_KINDS.session) return 'SESSION';
  // An administrator's change of a setting the body keeps (listeners, backup), as the body recorded it.
  if (journalKind === AUDIT_KINDS.settings) return 'SETTINGS_CHANGE';
  // A backup the body made, or one it could not make (tester T2 F10): an export, or its failure.
  if (journalKind === AUDIT_KINDS.exported || journalKind === BACKUP_KINDS.scheduled || journalKind === BACKUP_KINDS.failed) return 'EXPORT';
  if (journalKind === BACKUP_KINDS.restored) return 'RESTORE';
  if (journalKind === 'erasure.patient') return 'ERASURE';
  if (journalKind === 'operator.changed') return 'OPERATOR_CHANGE';
  if (journalKind.startsWith('export.')) return 'EXPORT';
  if (journalKind.startsWith('settings.')) return 'SETTINGS_CHANGE';
  if (journalKind.startsWith('consent.')) return 'CONSENT';
  if (journalKind === MIND_KINDS.queryAnswered) return 'QUERY_ANSWERED';
  if (journalKind === MIND_KINDS.purchaseRequested) return 'PURCHASE_REQUESTED';
  if (journalKind === MIND_KINDS.purchaseAccepted) return 'PURCHASE_ACCEPTED';
  if (journalKind === MIND_KINDS.purchaseDeclined) return 'PURCHASE_DECLINED';
  if (journalKind === MIND_KINDS.purchaseDelivered) return 'DATA_DELIVERY';
  if (journalKind === MIND_KINDS.purchaseAcknowledged) return 'DELIVERY_ACK';
  if (journalKind === MIND_KINDS.purchasePaid) return 'ESCROW_DEPOSIT';
  if (journalKind === MIND_KINDS.queryPosted) return 'QUERY_POSTED';
  if (journalKind === 'vault.keyRotated') return 'KEY_ROTATION';
  if (journalKind === LEDGER_ALARM_KIND) return 'NOTARY_ALARM';
  return null;
}
