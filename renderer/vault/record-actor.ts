import type { JournalRecord } from '../../shared/ipc/journal-contract';
import { RecordActorSchema } from '../../shared/journal/record-actor';
import { openJson } from '../../shared/journal/sealed-json';
import { deriveOperatorId, type Opener } from './vault-crypto';

/**
 * The account id the body sealed as a record's `actor` (shared/journal/record-actor.ts): undefined
 * when the record has none (journaled before the body stamped them, or not a mind event), null when
 * it does not open or does not fit its schema (it names nobody).
 */
export async function recordedAccount(opener: Opener, record: Pick<JournalRecord, 'actor'>): Promise<string | null | undefined> {
  if (record.actor === undefined) return undefined;
  let opened: unknown;
  try {
    opened = await openJson(opener, record.actor);
  } catch {
    return null;
  }
  const parsed = RecordActorSchema.safeParse(opened);
  return parsed.success ? parsed.data.operatorId : null;
}

/**
 * Who a journal record is attributed to, as a pseudonym: for a mind event the body stamped with
 * an actor (shared/journal/record-actor.ts), that account's pseudonym (deriveOperatorId), whatever
 * the record's `operator` claims; for a record without one (journaled before the body stamped
 * them, or not a mind event) its own `operator`. An actor that does not open or does not fit its
 * schema names nobody (null): the client's claim is never taken instead of the body's word.
 */
export async function recordedOperator(opener: Opener, ledgerKey: CryptoKey, record: Pick<JournalRecord, 'operator' | 'actor'>): Promise<string | null> {
  const account = await recordedAccount(opener, record);
  if (account === undefined) return record.operator;
  return account === null ? null : deriveOperatorId(ledgerKey, account);
}
