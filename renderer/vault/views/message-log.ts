import { senderLabel } from '../../../shared/hl7/sender-label';
import { blindTokens, prefixTokens } from '../vault-crypto';
import type { TokenCache } from './token-cache';

/**
 * The message browser's rows (issue 11, "Intake, as an interface analyst uses it"): one per HL7
 * message the node stored (`intake.hl7`) and per quarantined input (`intake.quarantine`), for
 * every message ever received, not only what the body's monitor remembers since it started.
 *
 * What is in the clear (vault-db.ts lists what the views may hold so): the journal seq, the
 * journal time, the status, the patient's view id (a keyed pseudonym) and blind tokens, HMACs
 * under the index key, each field in its own token domain: of the control id (MSH-10) one of the
 * exact id and the prefix tokens of its first 3…24 characters in upper case (F10: found by its
 * start, in any case; an id under 3 characters gets one whole upper-case token instead), of the exact sender (MSH-3|MSH-4) and
 * of the message type (MSH-9, code^trigger). Control ids can carry an accession number and senders
 * name a partner, so they are not written in the clear: they can be matched, not listed or guessed
 * from the database without the key. Everything else (the values
 * themselves, the ACK texts, the reason of a rejection) is in `enc` under the view key.
 */

export const MESSAGE_STATUSES = ['accepted', 'not-mapped', 'conflict', 'rejected', 'held', 'reprocessed', 'discarded'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MessageRowStored {
  /** The journal seq of the message's record: the primary key, and the browser's order. */
  readonly seq: number;
  /** The journal time of the record (when it was stored: monotone with seq). */
  readonly at: string;
  readonly status: MessageStatus;
  /** The control id's tokens (controlTokens: multiEntry index); empty when the message had none. */
  readonly control: readonly string[];
  /** Blind tokens (messageToken): exact sender, message type. */
  readonly sender: string;
  readonly type: string;
  /** The patient's view id (stored messages that named one), '' otherwise. */
  readonly patientId: string;
  /** Encrypted MessageLogPayload. */
  readonly enc: Uint8Array;
}

/** What a message row's `enc` decrypts to. */
export interface MessageLogPayload {
  readonly kind: string;
  readonly channel: string;
  /** When the body received it (ISO). */
  readonly receivedAt: string;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly version?: string;
  /** The acknowledgment codes sent, in order (empty: none, e.g. a file import of a held message). */
  readonly acks: readonly string[];
  /** The acknowledgment messages sent, when the body journaled them (MLLP, since issue 11). */
  readonly ackTexts?: readonly string[];
  readonly mapping?: 'mapped' | 'partial' | 'not-mapped';
  /** What the mapping skipped (positions, no values). */
  readonly notes?: readonly string[];
  /** Why it was quarantined (rejected or held). */
  readonly reason?: string;
  readonly errorCode?: number;
  readonly errorLocation?: string;
  readonly charset?: string;
  readonly objectId: string | null;
  readonly rawBytes?: number;
  /** How many clinical and extended records the message produced. */
  readonly records?: number;
  /** Channel hl7-reprocess: the quarantine record (its journal seq) an operator ran again, and whether they edited it first. */
  readonly reprocessOf?: { readonly quarantineSeq: number; readonly edited: boolean; readonly charset?: string };
}

export type MessageField = 'control' | 'sender' | 'type';

/** Each field's token domain (blind-index.ts `field`): the same value in two fields gives two tokens. */
export const MESSAGE_TOKEN_FIELDS: Record<MessageField, string> = { control: 'msg-control', sender: 'msg-sender', type: 'msg-type' };

/** The blind token of one exact value of a message field ('' for an empty value: nothing to match). */
export async function messageToken(indexKey: CryptoKey, field: MessageField, value: string): Promise<string> {
  if (value === '') return '';
  const [token] = await blindTokens(indexKey, [value], MESSAGE_TOKEN_FIELDS[field]);
  return token!;
}

/** A control id as it is matched: trimmed, in upper case (F10: `oru0001` finds ORU0001, as message types match in any case). */
export function normalizeControlId(controlId: string): string {
  return controlId.trim().toUpperCase();
}

/** Control ids shorter than this get a whole-value token in any case; longer ones prefix tokens (blind-index.ts MIN_PREFIX_LENGTH). */
const CONTROL_PREFIX_MIN = 3;
/** The longest control id prefix indexed (blind-index.ts MAX_PREFIX_LENGTH): a longer query is checked on the decrypted id. */
export const CONTROL_PREFIX_MAX = 24;
/** The token domain of a short control id in upper case (its own: it must not equal the exact token of another id). */
const CONTROL_ANY_CASE_FIELD = 'msg-control-any-case';

/**
 * The tokens a stored control id is found by (F10): the exact id as received (a conflict's page
 * lists the messages with that very id), and the prefix tokens of its first 3…24 characters in
 * upper case (normalizeControlId), or, under 3 characters, one token of the whole upper-case value.
 */
export async function controlTokens(tokens: Pick<TokenCache, 'exactToken' | 'valuePrefixTokens'>, controlId: string): Promise<string[]> {
  if (controlId === '') return [];
  const value = normalizeControlId(controlId);
  // Control ids are unique: not memoized.
  const exact = await tokens.exactToken(MESSAGE_TOKEN_FIELDS.control, controlId, false);
  if (value === '') return [exact];
  const found = [...value].length < CONTROL_PREFIX_MIN ? [await tokens.exactToken(CONTROL_ANY_CASE_FIELD, value, false)] : await tokens.valuePrefixTokens(MESSAGE_TOKEN_FIELDS.control, value);
  return [...new Set([exact, ...found])];
}

/**
 * The token a typed control id is looked up by: with `exact`, the exact token of the id as typed
 * (trimmed); otherwise the prefix token of its first 3…24 characters (every id starting so, in
 * any case, holds it), or under 3 characters the whole upper-case value's token.
 * `checkDecrypted`: the query is longer than the longest prefix indexed, so the rows found must
 * also be checked on their decrypted control id.
 */
export async function controlQueryToken(indexKey: CryptoKey, typed: string, exact = false): Promise<{ readonly token: string; readonly checkDecrypted: boolean } | null> {
  if (exact) return typed.trim() === '' ? null : { token: (await blindTokens(indexKey, [typed.trim()], MESSAGE_TOKEN_FIELDS.control))[0]!, checkDecrypted: false };
  const chars = [...normalizeControlId(typed)];
  if (chars.length === 0) return null;
  if (chars.length < CONTROL_PREFIX_MIN) return { token: (await blindTokens(indexKey, [chars.join('')], CONTROL_ANY_CASE_FIELD))[0]!, checkDecrypted: false };
  const prefixes = await prefixTokens(indexKey, [chars.slice(0, CONTROL_PREFIX_MAX).join('')], MESSAGE_TOKEN_FIELDS.control);
  return { token: prefixes.at(-1)!, checkDecrypted: chars.length > CONTROL_PREFIX_MAX };
}

/** The sender as the intake monitor names it: MSH-3|MSH-4 (namespace ids), or where it came from when the header names neither (senderLabel). */
export function senderName(application: string | undefined, facility: string | undefined, source?: string): string {
  return senderLabel(application, facility, source);
}

/**
 * A message type as the browser matches it: MSH-9's code and trigger in upper case (`ORU^R01`;
 * the message structure, a third component, is left out). What a user types may use `_`, `-` or
 * a space instead of `^` (`oru_r01`, `ADT-A08`).
 */
export function normalizeMessageType(type: string, typed = false): string {
  const separated = typed ? type.replace(/[_\- ]/g, '^') : type;
  return separated
    .trim()
    .toUpperCase()
    .split('^')
    .slice(0, 2)
    .filter((part) => part !== '')
    .join('^')
    .slice(0, 40);
}

/** The row id a message payload is encrypted under (table `messages`). */
export function messageCipherId(seq: number): { readonly table: 'messages'; readonly id: string } {
  return { table: 'messages', id: String(seq) };
}

/**
 * Meta row holding how many message rows the table has (a number: kept by the writes that add and
 * delete rows, so the browser's "of N messages" needs no count over a million rows). A schema
 * upgrade that clears `messages` must delete it too.
 */
export const MESSAGE_COUNT_KEY = 'messageCount';

/** Adds `delta` to the message count (inside the caller's write transaction over `meta` and `messages`). */
export async function addToMessageCount(db: { readonly meta: { get(key: string): Promise<{ value: unknown } | undefined>; put(row: { key: string; value: unknown }): Promise<unknown> } }, delta: number): Promise<void> {
  if (delta === 0) return;
  const row = await db.meta.get(MESSAGE_COUNT_KEY);
  await db.meta.put({ key: MESSAGE_COUNT_KEY, value: (typeof row?.value === 'number' ? row.value : 0) + delta });
}

/** Meta row holding the encrypted list of senders and message types seen (the browser's choices). */
export const MESSAGE_FACETS_KEY = 'messageFacets';
/** At most this many senders and types are offered (the rest can still be typed). */
export const MESSAGE_FACETS_MAX = 500;

export interface MessageFacets {
  readonly senders: readonly string[];
  readonly types: readonly string[];
}
