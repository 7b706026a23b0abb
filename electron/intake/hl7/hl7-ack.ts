import { randomInt } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { Hl7BatchEnvelope, Hl7Delimiters, MshHeader } from './hl7-front-end';
import { STANDARD_DELIMITERS, charsetFor, encodeEscapes, tableCharsetName } from './hl7-front-end';
import { HL7_ERROR_TEXT, type Hl7Problem } from './hl7-errors';

/**
 * HL7 v2 acknowledgments.
 *
 * - **Original mode** (MSH-15 and MSH-16 both empty): one ACK, MSA-1 AA / AE / AR.
 * - **Enhanced mode** (either one set; an empty one counts as AL): the accept (commit) ACK
 *   CA / CE / CR when MSH-15 asks for it (AL always, ER on error, SU on success, NE never), then the
 *   application ACK AA / AE / AR when MSH-16 asks for it. "Accepted" here means committed to the
 *   vault (journal fsync), which is all the application processing a receiver does, so on success
 *   both come at once. When the message is not committed there is no application processing: the
 *   sender hears CE/CR if MSH-15 asks; if MSH-15 says it wants no accept ACK but MSH-16 wants one,
 *   it hears AE/AR instead, so that a failure is never silent.
 *   Both ACKs go back on the same connection, accept first, one MLLP frame each.
 *
 * Every ACK: the sender's delimiters (MSH-1/2), version (MSH-12), processing id (MSH-11) and
 * charset (MSH-18, only one this node reads: see replyMsh); MSH-3/4 ↔ MSH-5/6 swapped; our control id (see newAckId); MSH-9 `ACK^<trigger>^ACK`
 * (v2.3.1+); MSA-2 echoes MSH-10 byte for byte; MSA-3 (text) up to v2.6; on error an ERR segment:
 * v2.5+ ERR-2 location (segment^sequence^field), ERR-3 code (table 0357), ERR-4 severity, ERR-8
 * text; before v2.5 ERR-1 (ELD: segment^sequence^field^code&text&HL70357).
 *
 * The ACK is built as a latin1 string over the sender's header bytes (also read as latin1), so the
 * echoed fields are returned exactly as received when the charset the ACK's MSH-18 states holds
 * them; our own text is ASCII. An echoed field it cannot hold (an 8-bit byte under ASCII, which an
 * empty MSH-18 means even when this node read the message with its default charset; bytes that are
 * not UTF-8 under UNICODE UTF-8) has its non-ASCII bytes written as the hex escape `\Xhh…\` (HL7 v2.5.1 §2.7),
 * which decodes back to the sender's bytes (see fitCharset). MSH-18 is not changed to a charset
 * nobody declared: for a refused message the true one is unknown, and for a held one it is a guess.
 */

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export type AckOutcome =
  | { readonly kind: 'stored' }
  | { readonly kind: 'rejected'; readonly problem: Hl7Problem }
  | { readonly kind: 'store-failed'; readonly problem: Hl7Problem };

export interface AckIdentity {
  /** Our MSH-3/4 when the sender left its MSH-5/6 empty. */
  readonly application?: string;
  readonly facility?: string;
}

export interface AckBuildOptions extends AckIdentity {
  readonly now?: Date;
  readonly controlId?: string;
}

const COUNTER_LIMIT = 36 ** 6;
/**
 * Each thread that builds ACKs (the listener's and the intake workers') counts in its own 1/64 of
 * the counter's range, so two threads that loaded this module in the same millisecond still never
 * hand out the same id.
 */
let counter = (threadId % 64) * Math.floor(COUNTER_LIMIT / 64);
/** Three random base-36 digits per process: two processes (a restart under a clock set back) that count alike still differ. */
const processTag = randomInt(36 ** 3)
  .toString(36)
  .padStart(3, '0');
/** `A` + the 9 base-36 digits of the millisecond `stampedAt` + processTag (many ACKs share one). */
let stamp = '';
let stampedAt = Number.NaN;

/** The pattern of an ACK id (see newAckId). */
export const ACK_ID_PATTERN = /^A[0-9a-z]{18}$/;

/**
 * A fresh ACK id: what identifies the ACKs answering one message. `A`, the time the ACKs are dated
 * (ms since the epoch, 9 base-36 digits), 3 random digits per process and a 6-digit counter: 19
 * characters, unique within this process (all its threads) and across restarts. The message's
 * i-th ACK (0: the accept ACK or the only one) has MSH-10 = the id + i, and MSH-7 = the time in the
 * id (ackReplyOptions). The HL7 intake keeps the id (never content) in clear in the stored record's
 * duplicate tag, so an identical resend, even after a restart, is answered with the same bytes
 * (design §4 rule 4) without anything else stored or computed per message.
 */
export function newAckId(atMs: number = Date.now()): string {
  counter = (counter + 1) % COUNTER_LIMIT;
  if (atMs !== stampedAt) {
    stampedAt = atMs;
    stamp = `A${Math.max(0, Math.floor(atMs)).toString(36).padStart(9, '0')}${processTag}`;
  }
  return `${stamp}${counter.toString(36).padStart(6, '0')}`;
}

/** The control id (MSH-10) and date (MSH-7) of the `index`-th ACK (0 or 1) of the message whose ACK id is `ackId`. */
export function ackReplyOptions(ackId: string, index: number): { readonly controlId: string; readonly now: Date } {
  return { controlId: `${ackId}${index}`, now: new Date(parseInt(ackId.slice(1, 10), 36)) };
}

/** A fresh control id for a lone ACK (not answering a stored message): unique within this process (all its threads) and across restarts; 20 chars. */
export function newAckControlId(): string {
  return `${newAckId()}0`;
}

/** Two digits (the fields of a date are never negative). */
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `YYYYMMDDHHMMSS±ZZZZ` in local time. */
export function hl7Timestamp(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const minutes = Math.abs(offset);
  return `${date.getFullYear()}${pad2(date.getMonth() + 1)}${pad2(date.getDate())}${pad2(date.getHours())}${pad2(date.getMinutes())}${pad2(date.getSeconds())}${sign}${pad2(Math.floor(minutes / 60))}${pad2(minutes % 60)}`;
}

/** Versions seen, parsed ([major, minor, patch], null when not a version): a handful per sender. */
const versions = new Map<string, readonly [number, number, number] | null>();

function parseVersion(version: string): readonly [number, number, number] | null {
  let parsed = versions.get(version);
  if (parsed === undefined) {
    const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
    parsed = match === null ? null : [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
    if (versions.size < 64) versions.set(version, parsed);
  }
  return parsed;
}

function versionAtLeast(version: string, major: number, minor: number, patch = 0): boolean {
  const parts = parseVersion(version);
  if (parts === null) return true; // unknown: answer in the current style
  if (parts[0] !== major) return parts[0] > major;
  if (parts[1] !== minor) return parts[1] > minor;
  if (parts[2] !== patch) return parts[2] > patch;
  return true;
}

function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** Does the ACK's charset (its MSH-18's table 0211 name; '' is ASCII) hold the bytes of `value` (one char a byte)? */
function charsetHolds(charsetName: string, value: string): boolean {
  if (!/[\x80-\uffff]/.test(value)) return true;
  const charset = charsetName === '' ? null : charsetFor(charsetName);
  if (charset === null) return false;
  try {
    charset.decode(Buffer.from(value, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * An echoed header value as the ACK's charset can carry it: as sent when the charset holds its
 * bytes, else each run of bytes above 0x7F as one `\Xhh…\`. The sender's own escape sequences are
 * kept; an escape character whose sequence is unclosed or holds such a byte becomes `\E\` (the
 * sequence was malformed: its characters then read as text, so the value still decodes to the sender's).
 */
function fitCharset(value: string, charsetName: string, d: Hl7Delimiters): string {
  if (charsetHolds(charsetName, value)) return value;
  const esc = d.escape;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const char = value[i]!;
    if (char === esc) {
      const close = value.indexOf(esc, i + 1);
      const sequence = close < 0 ? null : value.slice(i, close + 1);
      if (sequence !== null && !/[\x80-\uffff]/.test(sequence)) {
        out += sequence;
        i = close + 1;
      } else {
        out += `${esc}E${esc}`;
        i++;
      }
    } else if (char.charCodeAt(0) > 0x7f) {
      let hex = '';
      for (; i < value.length && value.charCodeAt(i) > 0x7f; i++) hex += value.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0');
      out += `${esc}X${hex}${esc}`;
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

/** Is the sender asking for enhanced-mode acknowledgments? */
export function isEnhancedMode(header: MshHeader | null): boolean {
  return header !== null && (header.acceptAckType !== '' || header.applicationAckType !== '');
}

const condition = (value: string): 'AL' | 'NE' | 'ER' | 'SU' => (value === 'NE' || value === 'ER' || value === 'SU' ? value : 'AL');

/** Which ACKs the sender gets for an outcome, in order (possibly none: MSH-15/16 NE). */
export function ackCodesFor(header: MshHeader | null, outcome: AckOutcome): AckCode[] {
  if (!isEnhancedMode(header)) return [outcome.kind === 'stored' ? 'AA' : outcome.problem.ack];
  const accept = condition(header!.acceptAckType);
  const application = condition(header!.applicationAckType);
  if (outcome.kind === 'stored') {
    return [...(accept === 'AL' || accept === 'SU' ? (['CA'] as const) : []), ...(application === 'AL' || application === 'SU' ? (['AA'] as const) : [])];
  }
  const codes: AckCode[] = [];
  if (accept === 'AL' || accept === 'ER') codes.push(outcome.kind === 'store-failed' ? 'CE' : 'CR');
  if (codes.length === 0 && (application === 'AL' || application === 'ER')) codes.push(outcome.problem.ack);
  return codes;
}

function errSegment(f: string, d: Hl7Delimiters, version: string, problem: Hl7Problem): string {
  const c = d.component;
  const s = d.subcomponent;
  const location = problem.location;
  const text = encodeEscapes(ascii(problem.text), d);
  const label = HL7_ERROR_TEXT[problem.code];
  if (versionAtLeast(version, 2, 5)) {
    const erl = location === undefined ? '' : [location.segment, location.sequence, location.field ?? '', location.component ?? ''].join(c).replace(new RegExp(`\\${c}+$`), '');
    return ['ERR', '', erl, `${problem.code}${c}${label}${c}HL70357`, problem.severity, '', '', '', text].join(f);
  }
  const eld = location === undefined ? ['', '', '', `${problem.code}${s}${label}${s}HL70357`] : [location.segment, location.sequence, location.field ?? '', `${problem.code}${s}${label}${s}HL70357`];
  return ['ERR', eld.join(c)].join(f);
}

/** The second component of a field (`value.split(component)[1] ?? ''`). */
function secondComponent(value: string, component: string): string {
  const first = value.indexOf(component);
  if (first < 0) return '';
  const second = value.indexOf(component, first + 1);
  return second < 0 ? value.slice(first + 1) : value.slice(first + 1, second);
}

/** The MSH of an ACK-like reply (ACK messages, and the MSH inside a batch reply). */
function replyMsh(header: MshHeader | null, options: AckBuildOptions): { msh: string; f: string; d: Hl7Delimiters; version: string; charset: string } {
  const d = header?.delimiters ?? STANDARD_DELIMITERS;
  const f = d.field;
  const fields = header?.fields;
  // MSH-18 is the ACK's own charset (HL7 v2.5.1 2.14.9.18: the whole message's; empty, ASCII): the
  // sender's when this node reads it (our text is ASCII), by its table 0211 name; never a value it
  // does not read ("KLINGON"): left empty. Echoed fields are fitted to it (fitCharset).
  const charset = tableCharsetName(header?.charset ?? '');
  const field = (n: number) => fitCharset(fields?.[n] ?? '', charset, d);
  const c = d.component;
  // The encoding characters as understood, not MSH-2 as sent: a malformed MSH-2 may run on into other text.
  const encoding = `${c}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}`;
  const version = field(12) !== '' ? field(12) : '2.5.1';
  const simpleVersion = header?.version ?? '2.5.1';
  const trigger = secondComponent(field(9), c);
  const messageType = trigger === '' ? 'ACK' : !versionAtLeast(simpleVersion, 2, 3, 1) ? `ACK${c}${trigger}` : `ACK${c}${trigger}${c}ACK`;
  const ours = (value: string, fallback: string | undefined) => (value !== '' ? value : encodeEscapes(ascii(fallback ?? ''), d));
  const application = ours(field(5), options.application ?? 'HDMS-NODE');
  const facility = ours(field(6), options.facility);
  const controlId = options.controlId ?? newAckControlId();
  const processingId = field(11) !== '' ? field(11) : 'P';
  // MSH-13…17 empty; MSH-18 the ACK's charset (above).
  const tail = charset === '' ? '' : `${f}${f}${f}${f}${f}${f}${charset}`;
  const msh = `MSH${f}${encoding}${f}${application}${f}${facility}${f}${field(3)}${f}${field(4)}${f}${hl7Timestamp(options.now ?? new Date())}${f}${f}${messageType}${f}${controlId}${f}${processingId}${f}${version}${tail}`;
  return { msh, f, d, version: simpleVersion, charset };
}

/** The segments of one ACK message (CR-separated, no trailing CR). */
export function buildAckText(header: MshHeader | null, code: AckCode, problem: Hl7Problem | undefined, options: AckBuildOptions = {}): string {
  const { msh, f, d, version, charset } = replyMsh(header, options);
  const controlId = fitCharset(header?.fields[10] ?? '', charset, d);
  let text = `${msh}\rMSA${f}${code}${f}${controlId}`;
  if (problem === undefined) return text;
  if (!versionAtLeast(version, 2, 7)) text += `${f}${encodeEscapes(ascii(problem.text), d).slice(0, 80)}`;
  if (code !== 'AA' && code !== 'CA') text += `\r${errSegment(f, d, version, problem)}`;
  return text;
}

/** One ACK message as bytes (latin1: see the module comment), CR-terminated. */
export function buildAck(header: MshHeader | null, code: AckCode, problem?: Hl7Problem, options: AckBuildOptions = {}): Buffer {
  return Buffer.from(`${buildAckText(header, code, problem, options)}\r`, 'latin1');
}

/** All the ACKs an outcome earns (see ackCodesFor), each a separate message. */
export function buildAcks(header: MshHeader | null, outcome: AckOutcome, options: AckBuildOptions = {}): { codes: AckCode[]; acks: Buffer[] } {
  const codes = ackCodesFor(header, outcome);
  const problem = outcome.kind === 'stored' ? undefined : outcome.problem;
  return { codes, acks: codes.map((code) => buildAck(header, code, problem, options)) };
}

/**
 * The charset a batch reply's envelope is written in (a table 0211 name, '' for ASCII). FHS and BHS
 * have no MSH-18, and the reply is one byte stream: the charset every ACK inside states in its
 * MSH-18 (the listener's default charset never shows there: an empty MSH-18 is ASCII), else (they
 * state different ones, or the reply holds none) ASCII, which every one of them reads.
 */
export function batchReplyCharset(ackTexts: readonly string[]): string {
  let common: string | null = null;
  for (const text of ackTexts) {
    const f = text[3] ?? '|';
    const end = text.indexOf('\r');
    const stated = tableCharsetName((end < 0 ? text : text.slice(0, end)).split(f)[17] ?? '');
    if (common === null) common = stated;
    else if (common !== stated) return '';
  }
  return common ?? '';
}

/**
 * A batch answered with a batch (HL7 v2 batch protocol): [FHS] BHS, the ACK messages of the batch's
 * messages in order, BTS (BTS-1 = number of messages in the reply; BTS-2, the batch comment, the
 * `comment` if any: ASCII, at most 80 characters, e.g. that the batch's own BTS-1 was wrong) [FTS].
 * The FHS/BHS fields echoed from the sender's are fitted to the envelope's charset (batchReplyCharset)
 * as an ACK's MSH fields are to its MSH-18 (fitCharset); BTS and FTS echo nothing.
 */
export function buildBatchAck(envelope: Hl7BatchEnvelope, ackTexts: readonly string[], options: AckIdentity & { now?: Date; comment?: string } = {}): Buffer {
  const d = envelope.delimiters;
  const f = d.field;
  const encoding = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
  const now = hl7Timestamp(options.now ?? new Date());
  const charset = batchReplyCharset(ackTexts);
  const header = (name: 'FHS' | 'BHS', theirs: readonly string[]) => {
    const field = (n: number) => fitCharset(theirs[n] ?? '', charset, d);
    const app = field(5) !== '' ? field(5) : encodeEscapes(ascii(options.application ?? 'HDMS-NODE'), d);
    // -9 name, -10 comment, -11 our control id, -12 the reference: their FHS/BHS-11.
    return `${name}${f}${encoding}${f}${[app, field(6), field(3), field(4), now, '', '', 'ACK', newAckControlId(), field(11)].join(f)}`;
  };
  const lines: string[] = [];
  if (envelope.fileHeader !== null) lines.push(header('FHS', envelope.fileHeader));
  lines.push(header('BHS', envelope.batchHeader ?? envelope.fileHeader ?? []));
  for (const text of ackTexts) lines.push(text);
  const comment = options.comment === undefined ? '' : encodeEscapes(ascii(options.comment).slice(0, 80), d);
  lines.push(['BTS', String(ackTexts.length), ...(comment === '' ? [] : [comment])].join(f));
  if (envelope.fileHeader !== null) lines.push(['FTS', '1'].join(f));
  return Buffer.from(`${lines.join('\r')}\r`, 'latin1');
}
