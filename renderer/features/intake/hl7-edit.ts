import type { Hl7Charset } from '../../../shared/ipc/intake-contract';
import { declaredCharset, decodeHl7, isHl7Charset } from './hl7-tree';

/**
 * The quarantine's Edit dialog: the raw bytes of a quarantined HL7 message read as a charset the
 * operator chooses ("Read as", as in the raw viewer), edited as text, and sent back as bytes.
 *
 * How the edited copy is stored (QA round 4, issue 11 #1): the bytes always say what they are.
 * All-ASCII text is sent as it is (every charset reads it alike). Otherwise the text is written in
 * the charset its own MSH-18 names when that charset can hold every character (the sender's or
 * the operator's declaration, which the bytes then honour); else it is written as UTF-8 and its
 * MSH-18 is set to `UNICODE UTF-8` (the dialog says so before it is sent). The charset is also
 * given to the body as an override, which then agrees with MSH-18. So the body, the raw viewer of
 * the filed copy and anyone who exports it read the same characters the operator saw, whatever
 * charset the original arrived in or claimed.
 */

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** An operator's edited copy as bytes to reprocess. */
export interface EditedBytes {
  readonly bytes: Uint8Array;
  /** The charset the bytes are written in (absent: all ASCII, any charset reads them alike). */
  readonly charset?: Hl7Charset;
  readonly override: boolean;
  /** MSH-18 was set to `UNICODE UTF-8` because the text's own MSH-18 could not hold it (or was empty). */
  readonly msh18Set: boolean;
}

export function segmentsOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
}

/**
 * Where in the edit box the first field a quarantine reason names ("MSH-9 (message type) is
 * empty.") starts, so the caret can be put there (H8 F11: MSH-9 was behind the box's edge); null
 * when the reason names no field or the text has no such segment. Fields are counted as HL7 does:
 * in MSH, MSH-1 is the field separator itself, so MSH-n follows the (n-1)th separator; in other
 * segments SEG-n follows the nth.
 */
export function namedFieldOffset(text: string, reason: string): number | null {
  const named = /\b([A-Z][A-Z0-9]{2})-(\d+)\b/.exec(reason);
  if (named === null) return null;
  const [, segment, number] = named as unknown as [string, string, string];
  const separator = text.startsWith('MSH') && text.length > 3 ? text[3]! : '|';
  const seps = segment === 'MSH' ? Number(number) - 1 : Number(number);
  let start = 0;
  for (const line of text.split(/(?<=\r\n|\r|\n)/)) {
    if (line.startsWith(segment + separator)) {
      let at = 0;
      for (let index = 0; index < seps; index += 1) {
        at = line.indexOf(separator, at) + 1;
        if (at === 0) return null;
      }
      return start + at;
    }
    start += line.length;
  }
  return null;
}

/** How many characters of the text are U+FFFD (bytes a decoding could not read). */
export function replacementCount(text: string): number {
  let count = 0;
  for (const char of text) if (char === REPLACEMENT_CHARACTER) count++;
  return count;
}

/** An MSH-18 value as one of the HL7 charsets (case and the body's UTF-8 aliases aside), or null. */
export function hl7CharsetNamed(value: string | null | undefined): Hl7Charset | null {
  const name = (value ?? '').trim().toUpperCase();
  if (name === 'UTF-8' || name === 'UTF8') return 'UNICODE UTF-8';
  // Table 0211's other name for ASCII, which the body reads as ASCII.
  if (name === 'ISO IR6') return 'ASCII';
  return isHl7Charset(name) ? name : null;
}

/** The charset a quarantine reason says the bytes are not valid in ("The bytes are not valid 8859/2…"), or null. */
function failedCharset(reason: string): Hl7Charset | null {
  const match = /bytes are not valid (.+?)(?: \(|\.?$)/.exec(reason);
  return match === null ? null : hl7CharsetNamed(match[1]);
}

/** The charsets tried, in order, for a message whose MSH-18 names none: the listener's default, then Latin-1. */
const GUESSES: readonly Hl7Charset[] = ['UNICODE UTF-8', '8859/1'];

/** Bytes with some above 0x7F, all of them well-formed UTF-8 (the body's test for a mislabelled message). */
function readsAsUtf8(bytes: Uint8Array): boolean {
  if (bytes.every((byte) => byte < 0x80)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The charset the Edit dialog reads the bytes with at first: the one MSH-18 names when it names a
 * supported one (a wrong MSH-18 then shows as "�" and a warning, and the operator chooses), except
 * a single-byte one over bytes that read as UTF-8: those are UTF-8 (the body holds such a message
 * for that reason), and 8859/1 would show them as "MÃ¼ller" with no "�" to warn. Else the first
 * of UTF-8 and ISO 8859-1 that the quarantine reason does not rule out and that reads every byte
 * (Latin-1 reads any).
 */
export function defaultReadAs(bytes: Uint8Array, declared: string | undefined, reason: string): Hl7Charset {
  const named = hl7CharsetNamed(declared ?? declaredCharset(bytes));
  if (named !== null) return named !== 'UNICODE UTF-8' && readsAsUtf8(bytes) ? 'UNICODE UTF-8' : named;
  const failed = failedCharset(reason);
  const candidates = GUESSES.filter((charset) => charset !== failed);
  return candidates.find((charset) => replacementCount(decodeHl7(bytes, charset).text) === 0) ?? candidates[candidates.length - 1]!;
}

/** What the Edit dialog shows: the raw bytes read as `readAs`, one segment a line. */
export interface EditDraft {
  readonly readAs: Hl7Charset;
  readonly text: string;
}

/** The draft for a quarantined message's raw bytes: read as `readAs` when the operator chose one, else as defaultReadAs. */
export function editDraft(raw: { readonly bytes: Uint8Array; readonly charset?: string }, reason: string, readAs?: Hl7Charset): EditDraft {
  const charset = readAs ?? defaultReadAs(raw.bytes, raw.charset, reason);
  return { readAs: charset, text: segmentsOf(decodeHl7(raw.bytes, charset).text).join('\n') };
}

const SINGLE_BYTE_LABELS: Partial<Record<Hl7Charset, string>> = {
  '8859/2': 'iso-8859-2',
  '8859/5': 'iso-8859-5',
  '8859/7': 'iso-8859-7',
  '8859/15': 'iso-8859-15',
};

const encoders = new Map<Hl7Charset, ReadonlyMap<number, number>>();

/**
 * Character → byte for a single-byte charset, the inverse of the decoder the body reads it with
 * (TextDecoder for 8859/2, /5, /7, /15; bytes a charset leaves undefined have no character).
 */
function singleByteTable(charset: Hl7Charset): ReadonlyMap<number, number> {
  const known = encoders.get(charset);
  if (known !== undefined) return known;
  const made = new Map<number, number>();
  if (charset === 'ASCII') {
    for (let byte = 0; byte < 0x80; byte++) made.set(byte, byte);
  } else if (charset === '8859/1') {
    // The body reads 8859/1 as Node's latin1: byte n is U+00nn.
    for (let byte = 0; byte < 0x100; byte++) made.set(byte, byte);
  } else {
    const decoder = new TextDecoder(SINGLE_BYTE_LABELS[charset]!);
    for (let byte = 0; byte < 0x100; byte++) {
      const char = decoder.decode(Uint8Array.of(byte));
      if (char !== REPLACEMENT_CHARACTER) made.set(char.codePointAt(0)!, byte);
    }
  }
  encoders.set(charset, made);
  return made;
}

/** The text in `charset`, or null when the charset cannot hold one of its characters. */
function encodeIn(text: string, charset: Hl7Charset): Uint8Array | null {
  if (charset === 'UNICODE UTF-8') return new TextEncoder().encode(text);
  const table = singleByteTable(charset);
  const out = new Uint8Array(text.length);
  let at = 0;
  for (const char of text) {
    const byte = table.get(char.codePointAt(0)!);
    if (byte === undefined) return null;
    out[at++] = byte;
  }
  return out.subarray(0, at);
}

/** The MSH segment (the first line) with MSH-18 set to `value` (its field separator is MSH-1, the character after "MSH"). */
function withMsh18(msh: string, value: string): string {
  const separator = msh[3] ?? '|';
  const fields = msh.split(separator);
  // fields[0] is "MSH", fields[1] MSH-2 (the encoding characters): MSH-n is fields[n - 1].
  while (fields.length < 18) fields.push('');
  fields[17] = value;
  return fields.join(separator);
}

/** MSH-18 of the MSH segment (its first repetition), or ''. */
function msh18Of(msh: string): string {
  const separator = msh[3] ?? '|';
  const repetition = msh.split(separator)[1]?.[1] ?? '~';
  return (msh.split(separator)[17] ?? '').split(repetition)[0]!.trim();
}

/** The edited text (one segment a line) as HL7 bytes, as described at the top. Throws on a text without an MSH segment first. */
export function encodeEdited(text: string): EditedBytes {
  const segments = segmentsOf(text);
  if (segments.length === 0 || !segments[0]!.startsWith('MSH')) throw new Error('The message must start with its MSH segment.');
  const joined = `${segments.join('\r')}\r`;
  if ([...joined].every((char) => char.codePointAt(0)! < 0x80)) return { bytes: new TextEncoder().encode(joined), override: false, msh18Set: false };
  const declared = hl7CharsetNamed(msh18Of(segments[0]!));
  const kept = declared === null ? null : encodeIn(joined, declared);
  if (declared !== null && kept !== null) return { bytes: kept, charset: declared, override: true, msh18Set: false };
  const relabelled = `${[withMsh18(segments[0]!, 'UNICODE UTF-8'), ...segments.slice(1)].join('\r')}\r`;
  return { bytes: new TextEncoder().encode(relabelled), charset: 'UNICODE UTF-8', override: true, msh18Set: true };
}
