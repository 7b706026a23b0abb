import { declaredDelimiters } from '../../../shared/hl7/escapes';
import { HL7_CHARSETS, type Hl7Charset } from '../../../shared/ipc/intake-contract';
import { fieldName, segmentName } from './hl7-field-names';

/**
 * A raw HL7 v2 message as a tree for the viewer: segments → fields → repetitions → components →
 * subcomponents, split with the message's OWN delimiters (MSH-1 and MSH-2; FHS/BHS likewise), so a
 * sender with unusual delimiters is shown as it meant. Values are shown as sent (escape sequences
 * such as `\F\` are kept): the viewer is for inspecting what arrived, not a second parser.
 */

export interface Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
}

export const STANDARD_DELIMITERS: Delimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

export interface Hl7Component {
  /** 1-based. */
  readonly position: number;
  readonly value: string;
  readonly subcomponents: readonly string[];
}

export interface Hl7Repetition {
  readonly value: string;
  readonly components: readonly Hl7Component[];
}

export interface Hl7Field {
  /** 1-based field number (MSH-1 is the field separator). */
  readonly position: number;
  readonly name: string | null;
  readonly value: string;
  readonly repetitions: readonly Hl7Repetition[];
}

export interface Hl7Segment {
  /** 1-based line in the message. */
  readonly index: number;
  readonly id: string;
  readonly name: string | null;
  readonly fields: readonly Hl7Field[];
}

export interface Hl7Tree {
  /** The delimiters the header declares (the standard ones when there is no header). */
  readonly delimiters: Delimiters;
  /** Whether the message starts with a header segment (MSH, FHS or BHS) that declares them. */
  readonly header: boolean;
  readonly segments: readonly Hl7Segment[];
}

const HEADER_SEGMENTS = new Set(['MSH', 'FHS', 'BHS']);
const FRAMING = new Set(['\u000b', '\u001c']);

/**
 * Where the header segment starts: the message's first segment, after a byte order mark, MLLP
 * framing bytes or blank lines; -1 when the first segment is not MSH, FHS or BHS followed by its
 * field separator. (QA s34 D1: an "MSH" anywhere, e.g. inside a control id, was taken for one.)
 */
function headerStart(text: string): number {
  let start = 0;
  while (start < text.length && (text[start] === '\uFEFF' || FRAMING.has(text[start]!) || /\s/.test(text[start]!))) start++;
  return HEADER_SEGMENTS.has(text.slice(start, start + 3)) && text.length > start + 3 && !/[\r\n]/.test(text[start + 3]!) ? start : -1;
}

/** Whether the message starts with a header segment that declares its delimiters. */
export function startsWithHeader(text: string): boolean {
  return headerStart(text) >= 0;
}

/** The delimiters a message declares in its first segment when it is a header, or the standard ones. */
export function delimitersOf(text: string): Delimiters {
  const start = headerStart(text);
  if (start < 0) return STANDARD_DELIMITERS;
  return declaredDelimiters(text.slice(start));
}

/** The message's segments as text lines, as sent (MLLP framing bytes and blank lines left out). */
export function segmentLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map(stripFraming)
    .filter((line) => line.trim() !== '');
}

function splitRepetition(value: string, d: Delimiters): Hl7Repetition {
  return {
    value,
    components: value.split(d.component).map((component, index) => ({
      position: index + 1,
      value: component,
      subcomponents: component.split(d.subcomponent),
    })),
  };
}

function parseField(segment: string, position: number, value: string, d: Delimiters): Hl7Field {
  return { position, name: fieldName(segment, position), value, repetitions: value.split(d.repetition).map((rep) => splitRepetition(rep, d)) };
}

/** A line without MLLP start/end bytes around it. */
function stripFraming(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && FRAMING.has(line[start]!)) start++;
  while (end > start && FRAMING.has(line[end - 1]!)) end--;
  return line.slice(start, end);
}

export function parseHl7Tree(text: string): Hl7Tree {
  const delimiters = delimitersOf(text);
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const segments: Hl7Segment[] = [];
  lines.forEach((line, lineIndex) => {
    // MLLP framing bytes and junk before a header are not part of any segment.
    const clean = stripFraming(line);
    if (clean.trim() === '') return;
    const parts = clean.split(delimiters.field);
    const id = parts[0] ?? '';
    const fields: Hl7Field[] = [];
    if (HEADER_SEGMENTS.has(id)) {
      // MSH-1 is the separator itself and MSH-2 the encoding characters: never split them.
      fields.push({ position: 1, name: fieldName(id, 1), value: delimiters.field, repetitions: [{ value: delimiters.field, components: [] }] });
      const encoding = parts[1] ?? '';
      fields.push({ position: 2, name: fieldName(id, 2), value: encoding, repetitions: [{ value: encoding, components: [] }] });
      parts.slice(2).forEach((value, index) => fields.push(parseField(id, index + 3, value, delimiters)));
    } else {
      parts.slice(1).forEach((value, index) => fields.push(parseField(id, index + 1, value, delimiters)));
    }
    segments.push({ index: lineIndex + 1, id, name: segmentName(id), fields });
  });
  return { delimiters, header: startsWithHeader(text), segments };
}

/** WHATWG encoding labels of the MSH-18 values the body reads. */
const ENCODING_LABELS: Readonly<Record<Hl7Charset, string>> = {
  ASCII: 'windows-1252',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/5': 'iso-8859-5',
  '8859/7': 'iso-8859-7',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
};

export function isHl7Charset(value: string): value is Hl7Charset {
  return (HL7_CHARSETS as readonly string[]).includes(value);
}

/** MSH-18 as written in the raw bytes (read as ASCII), or null. */
export function declaredCharset(bytes: Uint8Array): string | null {
  const head = new TextDecoder('windows-1252').decode(bytes.subarray(0, 4096));
  const start = head.indexOf('MSH');
  if (start < 0) return null;
  const line = head.slice(start).split(/\r\n|\r|\n/)[0] ?? '';
  const d = delimitersOf(line);
  const value = line.split(d.field)[17]?.split(d.repetition)[0]?.trim() ?? '';
  return value === '' ? null : value;
}

/**
 * Decodes raw bytes for display: with `charset` when given, else by MSH-18, else UTF-8 (the
 * body's default). Malformed bytes become U+FFFD rather than failing: the viewer must show
 * whatever arrived.
 */
export function decodeHl7(bytes: Uint8Array, charset?: string | null): { readonly text: string; readonly charset: Hl7Charset } {
  const wanted = charset ?? declaredCharset(bytes) ?? 'UNICODE UTF-8';
  const known: Hl7Charset = isHl7Charset(wanted) ? wanted : 'UNICODE UTF-8';
  const text = new TextDecoder(ENCODING_LABELS[known], { fatal: false }).decode(bytes);
  return { text: text.replace(/^\uFEFF/, ''), charset: known };
}
