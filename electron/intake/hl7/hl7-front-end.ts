import { isAscii, isUtf8 } from 'node:buffer';
import { declaredDelimiters, decodeEscapes, STANDARD_DELIMITERS, type Hl7Delimiters } from '../../../shared/hl7/escapes';
import { ERR, type Hl7ErrorLocation, type Hl7Problem } from './hl7-errors';

/**
 * The parsing front end: raw bytes (one MLLP frame or one file) → HL7 v2 messages, each with its
 * exact raw bytes, its header, and its segments read the way `hl7-standard` reads them.
 *
 * What this layer does itself, and why it does not leave it to hl7-standard:
 *
 * - **Header first, by hand.** MSH-1/MSH-2 (the delimiters) and MSH-18 (the charset) must be read
 *   before the bytes can be decoded, and a rejected message still needs MSH-3…MSH-12 to be answered
 *   in the sender's terms; so the MSH is split here with the delimiters it declares.
 * - **Delimiters.** Only the standard `|` and `^~\&` (plus the v2.7 truncation character `#`) are
 *   accepted; anything else is answered AR with ERR 102 at MSH-2. hl7-standard hard-codes `|` and
 *   `^`, and translating a foreign delimiter set safely would mean re-escaping every value; no
 *   clinic sender we know needs it, so we reject clearly rather than misread.
 * - **Charset** from MSH-18 (first repetition): `ASCII`, `8859/1`, `8859/2`, `8859/5`, `8859/7`,
 *   `8859/15`, `UNICODE UTF-8` (and the common non-standard `UTF-8`); empty → the configured
 *   default. Decoding is strict: bytes that are not valid in the charset → AR, ERR 102 at MSH-18
 *   (never a silent U+FFFD); a charset this node does not read → AE, ERR 103 (table value not
 *   found, table 0211), the reason quoting the value (configuration, not PHI): the message is kept
 *   in quarantine, where the operator reprocesses it with the right charset. AE, not AR: in HL7 v2.5+
 *   AR is for MSH-9/11/12 refusals and an unavailable receiver; AE says the message itself could not
 *   be processed (resending it unchanged will not help).
 * - **UTF-8 under a single-byte charset** (tester T2 D5). MSH-18 (or, empty, the default) names
 *   ASCII or an 8859 charset, but every non-ASCII byte of the message belongs to a well-formed UTF-8
 *   sequence, and there is one: an interface engine re-encoded the message and left MSH-18 as it
 *   was (Latin-1 text is almost never valid UTF-8: "ü" is FC alone, "Ã¼" is not a name). The
 *   message is read as declared (ASCII one byte a character, as latin1) and marked `charsetDoubt`,
 *   with a reason naming the first such field; the intake holds it in quarantine (answered as a
 *   held message is) for the operator's charset override, rather than filing "MÃ¼ller". Never with
 *   `forceCharset` (the operator chose). ASCII bytes with others above 0x7F that are not UTF-8 are
 *   refused as before (AR, ERR 102), the reason naming the first such field.
 * - **Line endings.** CR, LF and CRLF all end a segment, but only when the next line starts like a
 *   segment (`ABC|`); otherwise the break was inside a value (an LF in OBX-5) and it is kept there
 *   as the hex escape `\X0A\` (or `\X0D\`), which decodes back to the same character. hl7-standard
 *   gets CR-only text (it throws on mixed endings). The vault keeps the raw bytes unchanged.
 * - **BOM.** A UTF-8 BOM before the first segment is skipped.
 * - **Batches and multi-message input.** FHS/BHS/BTS/FTS are the envelope; every MSH starts a
 *   message. Each message gets its own slice of the raw bytes (the whole input when it is one
 *   message).
 * - **Escapes** `\F\ \S\ \T\ \R\ \E\` (and `\P\`, v2.7 truncation) decode to the delimiters, `\Xhh…\`
 *   to the bytes in the message's charset; formatting escapes (`\.br\`, `\H\`, `\N\`, `\.sp\`,
 *   `\.in\`…) and `\Z…\ \C…\ \M…\` are kept as written, for a viewer to render.
 * - **Field access** by index, normalized to repetitions → components → subcomponents: the same
 *   shapes hl7-standard's `transform()` yields for the same text (checked against it in the tests),
 *   split lazily per field instead of building hl7-standard's objects for every segment (its
 *   `Segment.get` lookup is quadratic, and its transform was ~40 % of the layer's CPU per message).
 *   A value is found in place in the message text (one pass over its field) and decoded only when
 *   it holds the escape character; `field()` splits a field once and keeps it.
 * - **Cost per message.** The bytes are read once as latin1 (one char per byte) to find the lines.
 *   All-ASCII bytes are not decoded again (every supported charset reads ASCII as latin1 does), and
 *   a message whose lines are plain (CR-terminated, nothing merged) is its decoded bytes as they
 *   stand, without a second split into lines.
 */

// The delimiters and the escape decoding are shared with the mind (its erasure reads quarantined
// messages' identifiers the way this front end does): shared/hl7/escapes.ts.
export { decodeEscapes, STANDARD_DELIMITERS, type Hl7Delimiters } from '../../../shared/hl7/escapes';

/** MSH as received: `fields[n]` is MSH-n still encoded (MSH-1 the field separator, MSH-2 the encoding characters). */
export interface MshHeader {
  readonly segment: 'MSH';
  readonly delimiters: Hl7Delimiters;
  readonly fields: readonly string[];
  /** Decoded conveniences (first component / repetition where it applies). */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly dateTime: string;
  /** MSH-9 components: message code, trigger event, structure. */
  readonly messageCode: string;
  readonly triggerEvent: string;
  readonly messageStructure: string;
  /** `ADT^A01` style (code^trigger), or the code alone. */
  readonly messageType: string;
  readonly controlId: string;
  readonly processingId: string;
  /** MSH-12.1, e.g. `2.5.1`. */
  readonly version: string;
  readonly acceptAckType: string;
  readonly applicationAckType: string;
  /** MSH-18 first repetition, as sent (may be empty). */
  readonly charset: string;
}

export type Hl7Field = readonly (readonly (readonly string[])[])[];

export interface Hl7Segment {
  readonly name: string;
  /** Position among all segments of the message (0 = MSH). */
  readonly position: number;
  /** The field, encoded, as repetitions → components → subcomponents ([] when empty). */
  field(n: number): Hl7Field;
  /** One decoded value (1-based component and subcomponent, 0-based repetition); '' when absent. */
  value(n: number, component?: number, subcomponent?: number, repetition?: number): string;
  /** Number of repetitions of field n. */
  repetitions(n: number): number;
}

export interface Hl7Message {
  /** Position of this message in its input (0-based; batches and multi-message files count up). */
  readonly index: number;
  /** The exact bytes of this message as received (the whole input when it held one message). */
  readonly raw: Buffer;
  /** Decoded text, CR-terminated segments, embedded line breaks as `\X0A\` / `\X0D\`. */
  readonly text: string;
  readonly header: MshHeader;
  /**
   * The same MSH read from the bytes as latin1 (one char per byte): what an ACK echoes, so that the
   * sender gets its own bytes back whatever its charset.
   */
  readonly wireHeader: MshHeader;
  /** The charset used to decode (a WHATWG label or `latin1`/`ascii`). */
  readonly charset: string;
  readonly segments: readonly Hl7Segment[];
  /** Decodes escapes in a value of this message (delimiters and charset of the message). */
  decode(value: string): string;
  /**
   * Set when the charset read (MSH-18's or the default, never a forced one) is single-byte but the
   * bytes read as UTF-8 (see the file comment): the intake holds the message instead of filing it.
   */
  readonly charsetDoubt?: Hl7CharsetDoubt;
}

/** Why a message's declared charset is doubted: the quarantine's reason (no PHI: a field's place, never its text) and that place. */
export interface Hl7CharsetDoubt {
  readonly reason: string;
  readonly location: Hl7ErrorLocation;
}

export type Hl7Item =
  | { readonly ok: true; readonly index: number; readonly message: Hl7Message }
  | { readonly ok: false; readonly index: number; readonly problem: Hl7Problem; readonly header: MshHeader | null; readonly raw: Buffer };

/**
 * A batch trailer whose count disagrees with what the input held: BTS-1 (batch message count) with
 * the messages (MSH) since its BHS, FTS-1 (file batch count) with the batches of the file. Counts
 * only. HL7 v2 defines the counts but not what a receiver does about a wrong one; this receiver
 * takes the messages anyway (each is acknowledged on its own) and says so (see hl7-intake.ts).
 */
export interface Hl7CountMismatch {
  readonly segment: 'BTS' | 'FTS';
  readonly stated: number;
  readonly found: number;
}

/** At most this many count mismatches are kept per input (memory stays bounded whatever it holds). */
const MAX_COUNT_MISMATCHES = 8;

export interface Hl7BatchEnvelope {
  /** The FHS / BHS header fields (encoded) when present: to answer a batch with a batch. */
  readonly fileHeader: readonly string[] | null;
  readonly batchHeader: readonly string[] | null;
  readonly delimiters: Hl7Delimiters;
  /** BTS-1 / FTS-1 counts that disagree with the input (empty when they agree or were left empty). */
  readonly countMismatches: readonly Hl7CountMismatch[];
}

export interface Hl7Input {
  /** Non-null when the input was an HL7 batch (FHS/BHS envelope). */
  readonly batch: Hl7BatchEnvelope | null;
  readonly items: readonly Hl7Item[];
}

export interface FrontEndOptions {
  /** Charset when MSH-18 is empty: any label accepted in MSH-18. Default `UNICODE UTF-8`. */
  readonly defaultCharset?: string;
  /**
   * Charset for every message whatever its MSH-18 says (an operator's override when reprocessing
   * a message whose MSH-18 is wrong); the raw bytes, MSH-18 included, are kept as they are.
   */
  readonly forceCharset?: string;
}

const BOM = [0xef, 0xbb, 0xbf];
const ENVELOPE = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

// ---------------------------------------------------------------------------------------------
// Charsets

interface Charset {
  readonly label: string;
  decode(bytes: Buffer): string;
}

/** One fatal decoder per label for the process: decode() without `stream` keeps no state between calls. */
const decoders = new Map<string, Charset>();

function strictDecoder(label: string): Charset {
  let charset = decoders.get(label);
  if (charset === undefined) {
    const decoder = new TextDecoder(label, { fatal: true });
    charset = { label, decode: (bytes) => decoder.decode(bytes) };
    decoders.set(label, charset);
  }
  return charset;
}

const ASCII: Charset = {
  label: 'ascii',
  decode(bytes) {
    if (!isAscii(bytes)) throw new TypeError('A byte above 0x7F in an ASCII message.');
    return bytes.toString('latin1');
  },
};
// WHATWG maps the label iso-8859-1 to windows-1252; Node's latin1 is the real ISO 8859-1.
const LATIN1: Charset = { label: 'latin1', decode: (bytes) => bytes.toString('latin1') };

const CHARSETS: Readonly<Record<string, () => Charset>> = {
  ASCII: () => ASCII,
  // Table 0211's other name for ISO 646 IRV (7-bit ASCII, the default when MSH-18 is empty).
  'ISO IR6': () => ASCII,
  '8859/1': () => LATIN1,
  '8859/2': () => strictDecoder('iso-8859-2'),
  '8859/5': () => strictDecoder('iso-8859-5'),
  '8859/7': () => strictDecoder('iso-8859-7'),
  '8859/15': () => strictDecoder('iso-8859-15'),
  'UNICODE UTF-8': () => strictDecoder('utf-8'),
  'UTF-8': () => strictDecoder('utf-8'),
  UTF8: () => strictDecoder('utf-8'),
};

/** The MSH-18 values this front end decodes (for settings: the default charset's choices). */
export const SUPPORTED_CHARSETS: readonly string[] = ['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/15', 'UNICODE UTF-8'];

/** What the refusals say this node reads. */
const READ_WORDS = SUPPORTED_CHARSETS.map((name) => (name === 'ASCII' ? 'ASCII (also as ISO IR6)' : name)).join(', ');

/**
 * The table 0211 name of a charset this node reads (as an ACK's MSH-18 states it: the non-standard
 * `UTF-8` is `UNICODE UTF-8`), or '' for any other value.
 */
export function tableCharsetName(value: string): string {
  const name = value.trim().toUpperCase();
  if (CHARSETS[name] === undefined) return '';
  return name === 'UTF-8' || name === 'UTF8' ? 'UNICODE UTF-8' : name;
}

/** HL7 table 0211 (alternate character sets, v2.5–v2.8): the values this node knows of but does not read. */
const TABLE_0211_NOT_READ: ReadonlySet<string> = new Set([
  '8859/3', '8859/4', '8859/6', '8859/8', '8859/9', 'ISO IR14', 'ISO IR87', 'ISO IR159', 'GB 18030-2000', 'KS X 1001', 'CNS 11643-1992', 'BIG-5', 'UNICODE', 'UNICODE UTF-16', 'UNICODE UTF-32',
]);

/** An MSH-18 value as the quarantine's reason quotes it: printable ASCII only, at most 40 characters. */
function quotedCharset(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}

/**
 * Why an MSH-18 value is refused (AE, ERR 103 at MSH-18): a value of table 0211 this node does not
 * read, or one it does not know at all ("KLINGON"): names decoded with a guessed charset would be
 * wrong, so the message waits in quarantine for the operator's charset. The quarantine's reason
 * quotes the value (configuration); the ACK gives its length only, as every refusal does (a
 * malformed MSH can shift a patient's name into MSH-18, and ACKs end up in senders' logs).
 */
function unreadableCharset(declared: string): Hl7Problem {
  const value = declared.trim();
  const known = TABLE_0211_NOT_READ.has(value.toUpperCase());
  const what = known ? 'a character set of HL7 table 0211 that this node does not read' : 'a character set this node does not know';
  const after = `It reads ${READ_WORDS}; reprocess the message from the quarantine with the character set it was written in.`;
  return ERR.unknownCharset(`MSH-18 names ${what} (${value.length} characters). ${after}`, `MSH-18 names ${what}: ${quotedCharset(value)}. ${after}`);
}

/** Where the first character above 0x7F is: its segment (by name and occurrence) and field, MSH counted from MSH-1. */
function firstNonAscii(text: string, fieldSeparator: string): Hl7ErrorLocation | null {
  const at = text.search(/[\u0080-\uffff]/);
  if (at < 0) return null;
  let start = at;
  while (start > 0 && text.charCodeAt(start - 1) !== CR && text.charCodeAt(start - 1) !== LF) start--;
  const name = text.slice(start, start + 3);
  // Only a segment's name is quoted (three capitals or digits); anything else is no segment.
  if (!/^[A-Z0-9]{3}$/.test(name)) return null;
  let field = name === 'MSH' ? 1 : 0;
  for (let i = text.indexOf(fieldSeparator, start); i >= 0 && i < at; i = text.indexOf(fieldSeparator, i + 1)) field++;
  let sequence = 0;
  for (const line of text.slice(0, start).split(/[\r\n]/)) if (line.startsWith(name + fieldSeparator)) sequence++;
  return { segment: name, sequence: sequence + 1, field };
}

function placeWords(place: Hl7ErrorLocation): string {
  return `segment ${place.segment}${place.sequence > 1 ? ` number ${place.sequence}` : ''}, field ${place.field ?? 0}`;
}

/**
 * The doubt about a single-byte charset whose message's bytes read as UTF-8 (`text` read one byte a
 * character); null when nothing places it (no non-ASCII character in a segment).
 */
function utf8Doubt(text: string, fieldSeparator: string, declared: string, charsetName: string): Hl7CharsetDoubt | null {
  const place = firstNonAscii(text, fieldSeparator);
  if (place === null) return null;
  const said = declared === '' ? `MSH-18 is empty and this node's default character set is ${quotedCharset(charsetName.trim())}` : `MSH-18 says ${quotedCharset(declared.trim())}`;
  const override = declared === '' ? 'UNICODE UTF-8' : 'UNICODE UTF-8, used even when MSH-18 names another';
  return {
    reason: `${said}, but the bytes read as UTF-8 (e.g. ${placeWords(place)}): check with the sender; reprocess with the character set it was written in (${override}).`,
    location: place,
  };
}

export function charsetFor(name: string): Charset | null {
  const make = CHARSETS[name.trim().toUpperCase()];
  return make === undefined ? null : make();
}

/** charsetFor, remembered for the MSH-18 values seen (a sender keeps to one). */
const charsetsByName = new Map<string, Charset | null>();

function cachedCharsetFor(name: string): Charset | null {
  let charset = charsetsByName.get(name);
  if (charset === undefined) {
    charset = charsetFor(name);
    if (charsetsByName.size < 64) charsetsByName.set(name, charset);
  }
  return charset;
}

// ---------------------------------------------------------------------------------------------
// Escapes

/** Escapes text for a field value with the given delimiters (used by the ACK builder). */
export function encodeEscapes(value: string, delimiters: Hl7Delimiters = STANDARD_DELIMITERS): string {
  const { field, component, repetition, escape, subcomponent } = delimiters;
  let out = '';
  for (const char of value) {
    if (char === escape) out += `${escape}E${escape}`;
    else if (char === field) out += `${escape}F${escape}`;
    else if (char === component) out += `${escape}S${escape}`;
    else if (char === subcomponent) out += `${escape}T${escape}`;
    else if (char === repetition) out += `${escape}R${escape}`;
    else if (char === '\r') out += `${escape}X0D${escape}`;
    else if (char === '\n') out += `${escape}X0A${escape}`;
    else out += char;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lines

interface Line {
  text: string;
  /** Offsets in the source string (the latin1 view: byte offsets), start of the line and past its terminator. */
  start: number;
  end: number;
  /** The source between start and end is exactly `text` + CR (nothing merged into it, no LF, no empty line after it). */
  plain: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

/** [A-Z] */
function isUpper(code: number): boolean {
  return code >= 0x41 && code <= 0x5a;
}

/** [A-Z0-9] */
function isUpperOrDigit(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39);
}

/** `/^[A-Z][A-Z0-9]{2}/` on the first three characters (the string has at least three). */
function startsWithSegmentId(line: string): boolean {
  return isUpper(line.charCodeAt(0)) && isUpperOrDigit(line.charCodeAt(1)) && isUpperOrDigit(line.charCodeAt(2));
}

function looksLikeSegment(line: string, fieldSeparator: string | null): boolean {
  if (line.length < 3 || !startsWithSegmentId(line)) return false;
  if (line.length === 3) return true;
  return fieldSeparator === null ? !/[A-Za-z0-9\s]/.test(line[3]!) : line[3] === fieldSeparator;
}

/**
 * Splits text into segment lines: CR, LF or CRLF end a segment when the next line starts like one;
 * otherwise the break belongs to the value and is kept as a hex escape. Empty lines are skipped.
 */
function splitLines(source: string, from: number, fieldSeparator: string | null, escape: string): Line[] {
  const lines: Line[] = [];
  const length = source.length;
  // The next CR and LF at or after `start` (-1: none left); a break is CRLF, CR or LF, the first one found.
  let cr = source.indexOf('\r', from);
  let lf = source.indexOf('\n', from);
  let start = from;
  let previousBreak = '';
  let last: Line | undefined;
  for (;;) {
    if (cr >= 0 && cr < start) cr = source.indexOf('\r', start);
    if (lf >= 0 && lf < start) lf = source.indexOf('\n', start);
    let end: number;
    let stop: number;
    let lineBreak: string;
    if (cr >= 0 && (lf < 0 || cr < lf)) {
      end = cr;
      if (lf === cr + 1) {
        stop = cr + 2;
        lineBreak = '\r\n';
      } else {
        stop = cr + 1;
        lineBreak = '\r';
      }
    } else if (lf >= 0) {
      end = lf;
      stop = lf + 1;
      lineBreak = '\n';
    } else {
      end = length;
      stop = length;
      lineBreak = '';
    }
    if (end > start) {
      const text = source.slice(start, end);
      if (last !== undefined && !looksLikeSegment(text, fieldSeparator)) {
        const hex = previousBreak === '\r\n' ? 'X0D' + escape + escape + 'X0A' : previousBreak === '\r' ? 'X0D' : 'X0A';
        last.text += `${escape}${hex}${escape}${text}`;
        last.end = stop;
        last.plain = false;
      } else {
        last = { text, start, end: stop, plain: lineBreak === '\r' };
        lines.push(last);
      }
    } else if (last !== undefined && stop > start) {
      last.end = stop;
      last.plain = false;
    }
    if (lineBreak === '') break;
    previousBreak = lineBreak;
    start = stop;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Header

interface SplitHeader {
  readonly delimiters: Hl7Delimiters;
  readonly fields: string[];
  /** Set when the delimiters are not acceptable: the fields are still read (to answer in the sender's terms). */
  readonly problem: Hl7Problem | null;
}

/** Splits an MSH/FHS/BHS line with the delimiters it declares; a problem alone when it declares none. */
function splitHeader(line: string): SplitHeader | Hl7Problem {
  const name = line.slice(0, 3);
  if (line.length < 8) return ERR.requiredFieldMissing(name, 2, 'The header segment is too short to declare its delimiters.');
  const field = line[3]!;
  if (field !== '|' && /[A-Za-z0-9\s]/.test(field)) return ERR.dataTypeError(name, 1, `${name}-1 (the field separator) cannot be a letter, digit or space.`);
  const afterEncoding = line.indexOf(field, 4);
  const encoding = afterEncoding < 0 ? line.slice(4) : line.slice(4, afterEncoding);
  let delimiters: Hl7Delimiters;
  let problem: Hl7Problem | null = null;
  if (field === '|' && encoding === '^~\\&') {
    // The standard set (the usual case): valid, nothing to check.
    delimiters = { field, component: '^', repetition: '~', escape: '\\', subcomponent: '&' };
  } else if (field === '|' && encoding === '^~\\&#') {
    delimiters = { field, component: '^', repetition: '~', escape: '\\', subcomponent: '&', truncation: '#' };
  } else {
    const chars = [field, ...encoding];
    const distinct = new Set(chars).size === chars.length;
    if (!distinct || encoding.length < 4 || /[A-Za-z0-9\s]/.test(encoding)) {
      problem = ERR.dataTypeError(name, 2, `The encoding characters in ${name}-2 (${encoding.length} characters) are not valid: four distinct characters, none a letter, digit or the field separator, are required.`);
    } else {
      problem = ERR.dataTypeError(name, 2, `Non-standard delimiters in ${name}-1/${name}-2: this receiver accepts only "|^~\\&". Please send with the standard delimiters.`);
    }
    // As declared, to answer in the sender's terms (the mind reads quarantined messages so too).
    delimiters = declaredDelimiters(line);
  }
  const fields = [name, field, encoding];
  if (afterEncoding >= 0) {
    // The rest split at the field separator, without an intermediate array.
    let from = afterEncoding + 1;
    for (;;) {
      const at = line.indexOf(field, from);
      if (at < 0) break;
      fields.push(line.slice(from, at));
      from = at + 1;
    }
    fields.push(line.slice(from));
  }
  return { delimiters, fields, problem };
}

/**
 * The first subcomponent of the given component of the first repetition, decoded: what
 * `value.split(repetition)[0].split(component)[n - 1].split(subcomponent)[0]` gives, without the arrays.
 */
function firstPart(value: string, delimiters: Hl7Delimiters, component = 1): string {
  let end = value.indexOf(delimiters.repetition);
  if (end < 0) end = value.length;
  let start = 0;
  for (let n = 1; n < component; n++) {
    const at = value.indexOf(delimiters.component, start);
    if (at < 0 || at >= end) return '';
    start = at + 1;
  }
  const componentEnd = value.indexOf(delimiters.component, start);
  if (componentEnd >= 0 && componentEnd < end) end = componentEnd;
  const subcomponentEnd = value.indexOf(delimiters.subcomponent, start);
  if (subcomponentEnd >= 0 && subcomponentEnd < end) end = subcomponentEnd;
  return start >= end ? '' : decodeEscapes(value.slice(start, end), delimiters);
}

/** HD: namespace^universal id^type. The namespace, or the universal id when it is empty. */
function hd(value: string, delimiters: Hl7Delimiters): string {
  const namespace = firstPart(value, delimiters, 1);
  return namespace !== '' ? namespace : firstPart(value, delimiters, 2);
}

/**
 * Reads an MSH line: the header (as far as it can be read) and the problem that rejects it, if any.
 * `header` is null only when not even the field separator could be read.
 */
export function readMsh(line: string): { readonly header: MshHeader | null; readonly problem: Hl7Problem | null } {
  const split = splitHeader(line);
  if ('code' in split) return { header: null, problem: split };
  return headerOf(split);
}

/** The header of a split MSH line, and the problem that rejects it, if any. */
function headerOf(split: SplitHeader): { readonly header: MshHeader; readonly problem: Hl7Problem | null } {
  const { delimiters, fields } = split;
  const f = (n: number) => fields[n] ?? '';
  const messageCode = firstPart(f(9), delimiters, 1);
  const triggerEvent = firstPart(f(9), delimiters, 2);
  const header: MshHeader = {
    segment: 'MSH',
    delimiters,
    fields,
    sendingApplication: hd(f(3), delimiters),
    sendingFacility: hd(f(4), delimiters),
    receivingApplication: hd(f(5), delimiters),
    receivingFacility: hd(f(6), delimiters),
    dateTime: firstPart(f(7), delimiters),
    messageCode,
    triggerEvent,
    messageStructure: firstPart(f(9), delimiters, 3),
    messageType: triggerEvent === '' ? messageCode : `${messageCode}^${triggerEvent}`,
    controlId: decodeEscapes(f(10), delimiters).trim(),
    processingId: firstPart(f(11), delimiters),
    version: firstPart(f(12), delimiters),
    acceptAckType: firstPart(f(15), delimiters).trim().toUpperCase(),
    applicationAckType: firstPart(f(16), delimiters).trim().toUpperCase(),
    charset: firstPart(f(18), delimiters).trim(),
  };
  return { header, problem: split.problem ?? validateHeader(header) };
}

const VERSION = /^2\.[1-9](\.\d{1,2})?$/;
const isAckCondition = (value: string) => value === 'AL' || value === 'NE' || value === 'ER' || value === 'SU';

/** The checks that decide whether a message is acceptable at all (AR otherwise). */
function validateHeader(header: MshHeader): Hl7Problem | null {
  if (header.messageCode === '') return ERR.requiredFieldMissing('MSH', 9, 'MSH-9 (message type) is empty.');
  if (header.controlId === '') return ERR.requiredFieldMissing('MSH', 10, 'MSH-10 (message control id) is empty: the message cannot be acknowledged or recognized when resent.');
  if (header.controlId.length > 199) return ERR.dataTypeError('MSH', 10, 'MSH-10 (message control id) is longer than 199 characters.');
  if (header.version === '') return ERR.requiredFieldMissing('MSH', 12, 'MSH-12 (version id) is empty.');
  if (!VERSION.test(header.version)) return ERR.unsupportedVersion(`The HL7 version in MSH-12 (${header.version.length} characters) is not supported (2.1 to 2.9 are).`);
  const ackTypeProblem = (n: 15 | 16) => ERR.tableValueNotFound('MSH', n, `MSH-${n} is not an acknowledgment condition (AL, NE, ER, SU; table 0155).`);
  if (header.acceptAckType !== '' && !isAckCondition(header.acceptAckType)) return ackTypeProblem(15);
  if (header.applicationAckType !== '' && !isAckCondition(header.applicationAckType)) return ackTypeProblem(16);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Segments

/**
 * One field's encoded text → repetitions → components → subcomponents: exactly what reading it
 * through hl7-standard's `transform()` and normalizing its shapes gave (see parseSegments).
 */
function splitField(value: string | undefined): Hl7Field {
  if (value === undefined || value === '') return [];
  const repetitions = value.includes('~') ? value.split('~') : [value];
  const field: (readonly string[])[][] = [];
  for (const repetition of repetitions) {
    const parts = repetition.includes('^') ? repetition.split('^') : [repetition];
    const components: (readonly string[])[] = [];
    for (const part of parts) components.push(part.includes('&') ? part.split('&') : [part]);
    field.push(components);
  }
  return field;
}

const BAR = 0x7c; // |
const TILDE = 0x7e; // ~
const CARET = 0x5e; // ^
const AMPERSAND = 0x26; // &

/** Set by locate(): whether the value it returned holds the escape character (and so needs decoding). */
let locatedEscape = false;

/** Characters the value lookups were allowed to examine, since the module loaded (see hl7ScanCount). */
let scanned = 0;

/**
 * A cost probe for tests and benches: how many characters of message text the segment value
 * lookups may have examined so far (an upper bound on their work). Parsing and mapping a message
 * must stay within a small multiple of its length, whatever its repetitions.
 */
export function hl7ScanCount(): number {
  return scanned;
}

/**
 * What `splitField(text.slice(start, end))[repetition]?.[component - 1]?.[subcomponent - 1]` gives
 * ('' when absent), found in one pass over the field, in place, without building the arrays.
 * Notes in `locatedEscape` whether the value holds `escape` (a char code).
 */
function locate(text: string, start: number, end: number, component: number, subcomponent: number, repetition: number, escape: number): string {
  locatedEscape = false;
  scanned += end - start;
  if (!Number.isInteger(repetition) || repetition < 0 || !Number.isInteger(component) || component < 1 || !Number.isInteger(subcomponent) || subcomponent < 1) return '';
  // Where we are (repetition r, component c, subcomponent s) and, once in the wanted part, where it starts.
  let r = 0;
  let c = 1;
  let s = 1;
  let from = repetition === 0 && component === 1 && subcomponent === 1 ? start : -1;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === TILDE) {
      if (from >= 0) return from < i ? text.slice(from, i) : '';
      if (++r > repetition) return '';
      c = 1;
      s = 1;
    } else if (code === CARET) {
      if (r !== repetition) continue;
      if (from >= 0) return from < i ? text.slice(from, i) : '';
      if (++c > component) return '';
      s = 1;
    } else if (code === AMPERSAND) {
      if (r !== repetition || c !== component) continue;
      if (from >= 0) return from < i ? text.slice(from, i) : '';
      if (++s > subcomponent) return '';
    } else {
      if (code === escape && from >= 0) locatedEscape = true;
      continue;
    }
    if (r === repetition && c === component && s === subcomponent) from = i + 1;
  }
  return from >= 0 && from < end ? text.slice(from, end) : '';
}

/** What hl7-standard leaves in MSH-2 (it overwrites the field with the standard encoding characters). */
const MSH_2: Hl7Field = [[['^~\\&']]];

/** What the segments of one message share: its text, and how its values decode. */
interface SegmentSource {
  /** The message text (CR-terminated lines). */
  readonly text: string;
  readonly decode: (value: string) => string;
  /** The message's escape character: a value without it decodes to itself. */
  readonly escape: string;
  readonly escapeCode: number;
}

class Segment implements Hl7Segment {
  readonly #source: SegmentSource;
  /** The segment's line in the text, [start, end): [name, field 1, field 2…] separated by `|` (for MSH: [name, MSH-2, MSH-3…]). */
  readonly #start: number;
  readonly #end: number;
  /** Where the `|` of the line are in the text, found on first use (part k of the line ends at bars[k]). */
  #bars: number[] | undefined;
  readonly #msh: boolean;
  /** Fields asked for through field(), split (values are found in the text without splitting it). */
  #cache: (Hl7Field | undefined)[] | undefined;
  /**
   * Where each repetition of a field starts in the text (plus one past the field's end), built the
   * first time a repetition other than the first is read: looping over N repetitions then costs
   * O(field) in all instead of rescanning the field from its start for each (O(N²)).
   */
  #repetitionStarts: (Int32Array | undefined)[] | undefined;
  constructor(
    readonly name: string,
    readonly position: number,
    source: SegmentSource,
    start: number,
    end: number,
  ) {
    this.#source = source;
    this.#start = start;
    this.#end = end;
    this.#msh = name === 'MSH';
  }

  #barsOf(): number[] {
    let bars = this.#bars;
    if (bars === undefined) {
      bars = [];
      const text = this.#source.text;
      for (let i = this.#start, end = this.#end; i < end; i++) if (text.charCodeAt(i) === BAR) bars.push(i);
      this.#bars = bars;
    }
    return bars;
  }

  /**
   * Which part of the line (`line.split('|')[k]`) holds field n (a non-negative integer); 0 when
   * the field is not read from the line (field 0, MSH-1, MSH-2).
   */
  #part(n: number): number {
    return this.#msh ? (n < 3 ? 0 : n - 1) : n;
  }

  field(n: number): Hl7Field {
    const cache = (this.#cache ??= []);
    let field = cache[n];
    if (field === undefined) {
      if (!Number.isInteger(n) || n < 0) return splitField(undefined);
      if (this.#msh && n === 2) {
        field = MSH_2;
      } else {
        const k = this.#part(n);
        const bars = k === 0 ? [] : this.#barsOf();
        field = k === 0 || k > bars.length ? [] : splitField(this.#source.text.slice(bars[k - 1]! + 1, k < bars.length ? bars[k] : this.#end));
      }
      cache[n] = field;
    }
    return field;
  }

  value(n: number, component = 1, subcomponent = 1, repetition = 0): string {
    const source = this.#source;
    if (this.#cache?.[n] !== undefined || (this.#msh && n === 2)) {
      const raw = this.field(n)[repetition]?.[component - 1]?.[subcomponent - 1];
      return raw === undefined || raw === '' ? '' : raw.includes(source.escape) ? source.decode(raw) : raw;
    }
    if (!Number.isInteger(n) || n < 0) return '';
    const k = this.#part(n);
    if (k === 0) return '';
    const bars = this.#barsOf();
    if (k > bars.length) return '';
    const start = bars[k - 1]! + 1;
    const end = k < bars.length ? bars[k]! : this.#end;
    let raw: string;
    if (repetition === 0) {
      // The first repetition (the usual read): locate stops at the first `~`, no index needed.
      raw = locate(source.text, start, end, component, subcomponent, 0, source.escapeCode);
    } else {
      if (!Number.isInteger(repetition) || repetition < 0) return '';
      const starts = this.#repetitionsOf(n, start, end);
      if (repetition >= starts.length - 1) return '';
      // The repetition's own span, without its closing `~`.
      raw = locate(source.text, starts[repetition]!, starts[repetition + 1]! - 1, component, subcomponent, 0, source.escapeCode);
    }
    return locatedEscape ? source.decode(raw) : raw;
  }

  /** The repetition index of field n (text span [start, end)): start offsets, then end + 1. */
  #repetitionsOf(n: number, start: number, end: number): Int32Array {
    const index = (this.#repetitionStarts ??= []);
    let starts = index[n];
    if (starts === undefined) {
      const text = this.#source.text;
      scanned += end - start;
      let count = 1;
      for (let i = start; i < end; i++) if (text.charCodeAt(i) === TILDE) count++;
      starts = new Int32Array(count + 1);
      let r = 0;
      starts[0] = start;
      for (let i = start; i < end; i++) if (text.charCodeAt(i) === TILDE) starts[++r] = i + 1;
      starts[count] = end + 1;
      index[n] = starts;
    }
    return starts;
  }

  repetitions(n: number): number {
    if (this.#cache?.[n] !== undefined || (this.#msh && n === 2)) return this.field(n).length;
    if (!Number.isInteger(n) || n < 0) return 0;
    const k = this.#part(n);
    if (k === 0) return 0;
    const bars = this.#barsOf();
    if (k > bars.length) return 0;
    const start = bars[k - 1]! + 1;
    const end = k < bars.length ? bars[k]! : this.#end;
    if (start === end) return 0;
    // Callers that count repetitions go on to read them: index the field now (one pass either way).
    return this.#repetitionsOf(n, start, end).length - 1;
  }
}

/**
 * The message's segments, read by index (field n of a segment is `line.split('|')[n]`, split
 * further at `~`, `^` and `&`, only when a field is asked for; a value is found in place).
 *
 * This is, shape for shape, what hl7-standard's `transform()` gives for the CR-only text built
 * here: it keeps only lines holding a `|`, numbers MSH fields from MSH-1, sets MSH-2 to `^~\&`, and
 * refuses a segment name that is not [A-Z0-9]. test/electron/intake/hl7/hl7-segments.test.ts
 * checks the two against each other on every fixture and on generated messages. hl7-standard's
 * transform built two bound closures and a string-keyed object per segment and field: about 40 %
 * of the HL7 layer's CPU per message and most of its garbage.
 */
function parseSegments(source: SegmentSource): Hl7Segment[] {
  const { text } = source;
  if (!text.startsWith('MSH')) throw new Error('Expected raw data to be HL7');
  const segments: Hl7Segment[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\r', start);
    if (end < 0) end = text.length;
    const line = start;
    start = end + 1;
    const bar = text.indexOf('|', line);
    if (bar < 0 || bar >= end) continue;
    if (!isUpperOrDigit(text.charCodeAt(line)) || !isUpperOrDigit(text.charCodeAt(line + 1)) || !isUpperOrDigit(text.charCodeAt(line + 2))) {
      throw new Error('HL7 Data contains invalid EOL characters');
    }
    segments.push(new Segment(text.substring(line, line + 3), segments.length, source, line, end));
  }
  return segments;
}

// ---------------------------------------------------------------------------------------------
// The front end

interface Chunk {
  lines: Line[];
}

function problemItem(index: number, problem: Hl7Problem, header: MshHeader | null, raw: Buffer): Hl7Item {
  return { ok: false, index, problem, header, raw };
}

/** A message's lines in the latin1 view of its input, and what is known of them there. */
interface ChunkView {
  readonly lines: readonly Line[];
  readonly view: string;
  /** The input is all ASCII: every supported charset reads it as latin1 does. */
  readonly ascii: boolean;
  /** The message's raw bytes start at its MSH line (so their own split gives the same lines). */
  readonly aligned: boolean;
  /**
   * The raw bytes are exactly these lines, each ended by a lone CR (no LF, no empty line, nothing
   * merged): the decoded bytes are the text itself, and its lines are its CR-separated parts.
   */
  readonly plain: boolean;
}

/** A field that is only whitespace and a segment name (` EVN`): the start of a segment joined to the one before it. */
const JOINED_SEGMENT = /^[ \t]+([A-Z][A-Z0-9]{2})$/;

/**
 * Segments joined by spaces instead of carriage returns (a message copied out of a document): the
 * next segment's name lands in an MSH field after MSH-12 (` EVN` in MSH-18, then its fields as
 * MSH-19…). Said as that, with the field and its true length, rather than as whatever that field
 * would otherwise refuse (an unknown charset " EVN", which no charset fixes). Null when none is.
 */
function joinedSegment(header: MshHeader): Hl7Problem | null {
  for (let n = 13; n < header.fields.length; n++) {
    const field = header.fields[n]!;
    const name = JOINED_SEGMENT.exec(field)?.[1];
    if (name === undefined) continue;
    const problem = ERR.segmentSequence(
      `MSH-${n} (${field.length} characters) is a space and the segment name ${name}: the segments seem joined by spaces, not separated by carriage returns (a message copied from a document?). Edit the message so each segment starts its own line, then reprocess it.`,
    );
    return { ...problem, location: { segment: 'MSH', sequence: 1, field: n } };
  }
  return null;
}

function buildMessage(index: number, raw: Buffer, header: MshHeader, headerText: string, options: FrontEndOptions, chunk: ChunkView): Hl7Item {
  const joined = joinedSegment(header);
  if (joined !== null) return problemItem(index, joined, header, raw);
  const declared = options.forceCharset ?? header.charset;
  const name = declared === '' ? (options.defaultCharset ?? 'UNICODE UTF-8') : declared;
  const charset = cachedCharsetFor(name);
  if (charset === null) {
    if (declared !== '') return problemItem(index, unreadableCharset(declared), header, raw);
    return problemItem(index, ERR.tableValueNotFound('MSH', 18, `The default character set is not supported (supported: ${READ_WORDS}).`), header, raw);
  }
  const { delimiters } = header;
  /** For ASCII: where the first byte above 0x7F is (a place, never a value). */
  const asciiPlace = () => {
    const place = charset === ASCII ? firstNonAscii(raw.toString('latin1'), delimiters.field) : null;
    if (place === null) return '.';
    return `: ${declared === '' ? 'the default charset is ASCII' : 'MSH-18 says ASCII'}, but ${placeWords(place)} holds a byte above 0x7F. Check with the sender; reprocess with the character set it was written in.`;
  };
  const invalid = () => problemItem(index, ERR.dataTypeError('MSH', 18, `The bytes are not valid ${name}${declared === '' ? ' (the default charset; MSH-18 is empty)' : ''}${asciiPlace()}`), header, raw);
  // A single-byte charset (not the operator's) over bytes that read as UTF-8: read one byte a
  // character (ASCII's strict decoder would refuse them), marked below for the intake to hold.
  const mislabelled = options.forceCharset === undefined && charset.label !== 'utf-8' && !chunk.ascii && !isAscii(raw) && isUtf8(raw);
  const reader = mislabelled && charset === ASCII ? LATIN1 : charset;
  // Every supported charset is ASCII-compatible: CR and LF are the same bytes, and ASCII bytes read
  // as latin1 does. So all-ASCII bytes need no decoding, and a message whose lines are plain in the
  // latin1 view (CR-terminated, nothing merged) is, decoded, its text as it stands.
  let text: string;
  let firstLine: string;
  if (chunk.plain) {
    if (chunk.ascii) {
      text = chunk.view.slice(chunk.lines[0]!.start, chunk.lines[chunk.lines.length - 1]!.end);
    } else {
      try {
        text = reader.decode(raw);
      } catch {
        return invalid();
      }
    }
    firstLine = text.slice(0, text.indexOf('\r'));
  } else {
    let lines: readonly string[];
    if (chunk.ascii && chunk.aligned) {
      lines = chunk.lines.map((line) => line.text);
    } else {
      let decoded: string;
      try {
        decoded = reader.decode(raw);
      } catch {
        return invalid();
      }
      const start = decoded.charCodeAt(0) === 0xfeff ? 1 : 0;
      lines = splitLines(decoded, start, delimiters.field, delimiters.escape)
        .filter((line) => !ENVELOPE.has(line.text.slice(0, 3)))
        .map((line) => line.text);
    }
    if (lines.length === 0) return problemItem(index, ERR.segmentSequence('The message does not start with MSH.'), header, raw);
    text = `${lines.join('\r')}\r`;
    firstLine = lines[0]!;
  }
  if (!firstLine.startsWith('MSH')) {
    return problemItem(index, ERR.segmentSequence('The message does not start with MSH.'), header, raw);
  }
  // The header again, from the decoded text: names in MSH-3…6 may be non-ASCII. An all-ASCII
  // header line reads the same both ways (the usual case): no need to split it twice.
  const decodedHeader = firstLine === headerText ? header : (readMsh(firstLine).header ?? header);
  const utf8 = reader.label === 'utf-8';
  const decode = (value: string) => decodeEscapes(value, delimiters, utf8);
  let segments: Hl7Segment[];
  try {
    segments = parseSegments({ text, decode, escape: delimiters.escape, escapeCode: delimiters.escape.charCodeAt(0) });
  } catch (error) {
    return problemItem(index, ERR.segmentSequence(`The segments could not be parsed (${error instanceof Error ? error.name : 'unreadable'}).`), header, raw);
  }
  const doubt = mislabelled ? utf8Doubt(text, delimiters.field, declared, name) : null;
  const message: Hl7Message = { index, raw, text, header: decodedHeader, wireHeader: header, charset: reader.label, segments, decode, ...(doubt !== null ? { charsetDoubt: doubt } : {}) };
  return { ok: true, index, message };
}

/**
 * Raw bytes → messages. Never throws: whatever is wrong becomes a problem item (with the raw bytes
 * it covers) that the intake quarantines and answers.
 */
export function parseHl7(input: Uint8Array, options: FrontEndOptions = {}): Hl7Input {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    return parseUnsafe(bytes, options);
  } catch (error) {
    return { batch: null, items: [problemItem(0, ERR.unreadable(`Unexpected parser failure (${error instanceof Error ? error.name : 'unreadable'}).`), null, bytes)] };
  }
}

/** `/[\s\0]/` for a character of the latin1 view (code 0…255). */
function isSpaceOrNul(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0 || code === 0xa0;
}

/** The end of the line starting at `from`: the first CR or LF before `limit`, else `limit` (at most the string's length). */
function lineEnd(view: string, from: number, limit: number): number {
  const cr = view.indexOf('\r', from);
  if (cr >= 0 && cr < limit) limit = cr;
  const lf = view.indexOf('\n', from);
  return lf >= 0 && lf < limit ? lf : limit;
}

function parseUnsafe(bytes: Buffer, options: FrontEndOptions): Hl7Input {
  const hasBom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  // The latin1 view maps each byte to one char: offsets are byte offsets, CR/LF are found in any
  // ASCII-compatible charset (UTF-8 never has 0x0D/0x0A inside a multi-byte sequence).
  const view = bytes.toString('latin1');
  let from = hasBom ? 3 : 0;
  while (from < view.length && isSpaceOrNul(view.charCodeAt(from))) from++;
  const first = view.slice(from, from + 3);
  const headerLine = first === 'MSH' || first === 'FHS' || first === 'BHS' ? view.slice(from, lineEnd(view, from, Math.min(view.length, from + 256))) : null;
  if (headerLine === null) {
    const text = first === '' ? 'The input is empty.' : 'The input does not start with an MSH (or FHS/BHS) segment.';
    return { batch: null, items: [problemItem(0, ERR.segmentSequence(text), null, bytes)] };
  }
  const envelope = splitHeader(headerLine);
  if ('code' in envelope) return { batch: null, items: [problemItem(0, envelope, null, bytes)] };
  if (envelope.problem !== null) {
    const header = first === 'MSH' ? headerOf(envelope).header : null;
    return { batch: null, items: [problemItem(0, envelope.problem, header, bytes)] };
  }
  const { delimiters } = envelope;
  const lines = splitLines(view, from, delimiters.field, delimiters.escape);

  let fileHeader: string[] | null = null;
  let batchHeader: string[] | null = null;
  const orphans: Line[] = [];
  const chunks: Chunk[] = [];
  let current: Chunk | null = null;
  const countMismatches: Hl7CountMismatch[] = [];
  /** Where the current batch's messages start in `chunks`; batches opened (BHS) and closed (BTS). */
  let batchStart = 0;
  let batchHeaders = 0;
  let batchTrailers = 0;
  const checkCount = (segment: 'BTS' | 'FTS', text: string, found: number) => {
    // Field 1 only, and only a plain count (the field is optional; ST in most versions).
    const stated = text.split(delimiters.field)[1]?.trim() ?? '';
    if (/^\d{1,10}$/.test(stated) && Number(stated) !== found && countMismatches.length < MAX_COUNT_MISMATCHES) countMismatches.push({ segment, stated: Number(stated), found });
  };
  for (const line of lines) {
    const name = line.text.slice(0, 3);
    if (name === 'MSH') {
      current = { lines: [line] };
      chunks.push(current);
    } else if (name === 'FHS' || name === 'BHS') {
      const split = splitHeader(line.text);
      const fields = 'code' in split ? [name] : split.fields;
      if (name === 'FHS') fileHeader = fields;
      else {
        batchHeader = fields;
        batchHeaders++;
        batchStart = chunks.length;
      }
      current = null;
    } else if (name === 'BTS' || name === 'FTS') {
      if (name === 'BTS') {
        checkCount('BTS', line.text, chunks.length - batchStart);
        batchTrailers++;
        batchStart = chunks.length;
      } else {
        checkCount('FTS', line.text, Math.max(batchHeaders, batchTrailers));
      }
      current = null;
    } else if (current === null) {
      orphans.push(line);
    } else {
      current.lines.push(line);
    }
  }
  const batch: Hl7BatchEnvelope | null = fileHeader !== null || batchHeader !== null ? { fileHeader, batchHeader, delimiters, countMismatches } : null;
  const items: Hl7Item[] = [];
  const single = batch === null && chunks.length === 1 && orphans.length === 0;
  if (orphans.length > 0) {
    const raw = bytes.subarray(orphans[0]!.start, orphans[orphans.length - 1]!.end);
    items.push(problemItem(0, ERR.segmentSequence(`${orphans.length} segment(s) outside any message (no MSH before them).`), null, Buffer.from(raw)));
  }
  if (chunks.length === 0 && orphans.length === 0) {
    items.push(problemItem(0, ERR.segmentSequence('The batch holds no message.'), null, bytes));
  }
  // All-ASCII input: no charset decoding and no second split of the lines, as long as a message's
  // bytes start at its MSH (a lone message's are the whole input, leading blanks included).
  const allAscii = chunks.length > 0 && isAscii(bytes);
  for (const chunk of chunks) {
    const index = items.length;
    const firstLine = chunk.lines[0]!;
    const lastLine = chunk.lines[chunk.lines.length - 1]!;
    const raw = single ? bytes : Buffer.from(bytes.subarray(firstLine.start, lastLine.end));
    // The first header was split already (the usual case: it is the whole first line).
    const split = chunk === chunks[0] && first === 'MSH' && headerLine === firstLine.text ? envelope : splitHeader(firstLine.text);
    const { header, problem } = 'code' in split ? { header: null, problem: split } : headerOf(split);
    if (header === null || problem !== null) {
      items.push(problemItem(index, problem ?? ERR.segmentSequence('The MSH segment could not be read.'), header, raw));
      continue;
    }
    const aligned = !single || firstLine.start === 0;
    const plain = aligned && (!single || lastLine.end === bytes.length) && chunk.lines.every((line) => line.plain);
    items.push(buildMessage(index, raw, header, firstLine.text, options, { lines: chunk.lines, view, ascii: allAscii, aligned, plain }));
  }
  return { batch, items };
}

/** The MSH of whatever bytes could be read (for answering an oversize frame from its first bytes). */
export function peekHeader(bytes: Uint8Array): MshHeader | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The first "MSH" within the first 19 bytes (at offset 16 at most), its line read as latin1.
  const at = buffer.subarray(0, 19).indexOf('MSH', 0, 'latin1');
  if (at < 0) return null;
  let end = at;
  while (end < buffer.length && buffer[end] !== CR && buffer[end] !== LF) end++;
  return readMsh(buffer.toString('latin1', at, end)).header;
}
