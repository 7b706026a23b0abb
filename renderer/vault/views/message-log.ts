import { senderLabel } from '../../../shared/hl7/sender-label';
import { blindTokens } from '../vault-crypto';

/**
 * The message browser's rows (issue 11, "Intake, as an interface analyst uses it"): one per HL7
 * message the node stored (`intake.hl7`) and per quarantined input (`intake.quarantine`), for
 * every message ever received, not only what the body's monitor remembers since it started.
 *
 * What is in the clear (vault-db.ts lists what the views may hold so): the journal seq, the
 * journal time, the status, the patient's view id (a keyed pseudonym) and three blind tokens,
 * HMACs under the index key of the exact control id (MSH-10), sender (MSH-3|MSH-4) and message
 * type (MSH-9, code^trigger), each in its own token domain. Control ids can carry an accession
 * number and senders name a partner, so they are not written in the clear: they can be matched
 * exactly, not listed or guessed from the database without the key. Everything else (the values
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
  /** Blind tokens (messageToken): exact control id, sender, message type. */
  readonly control: string;
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
