import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { foldText } from '../../shared/crypto/blind-index';
import { embeddedSnappy, readLogFile, readTableFile, readWriteBatch, type KeyValue } from './leveldb-reader';

/**
 * A binary-safe search for known plaintext (patient names, MRNs, birth dates) in files at rest.
 *
 * Each needle is looked for in every byte form a program is likely to store it in: UTF-8 (files,
 * JSON, SQLite), Latin-1 (V8's one-byte strings in IndexedDB values, when every character fits),
 * UTF-16LE (V8's two-byte strings) and UTF-16BE (Chromium's IndexedDB key encoding), in its
 * original and its NFD-decomposed spelling. Each file is scanned raw; LevelDB files (Chromium's
 * IndexedDB and Local Storage) are also decoded — table blocks decompressed, log records
 * reassembled, Snappy-compressed values opened — so compression cannot hide a match.
 */

export type NeedleCategory = 'family name' | 'given name' | 'folded name' | 'MRN' | 'birth date' | 'control';

export interface Needle {
  readonly category: NeedleCategory;
  readonly text: string;
  /** Only count a match with no digit right before or after it (dates inside longer numbers such as timestamps are not dates). */
  readonly digitBoundary?: boolean;
  /**
   * Only count a whole word: no letter or digit right before or after the match. Names get this:
   * base64 text (the journal's sealed metadata, the keyring) is a run of letters and digits in
   * which a given 5-letter ASCII name turns up by chance (about once per 10⁹ positions, and there
   * are dozens of names and megabytes of base64), and "Conti" is a family name while "Continue"
   * is a button. Stored names are delimited (JSON quotes, HL7 ^ and |, length-prefixed strings).
   */
  readonly wordBoundary?: boolean;
}

/**
 * Shortest byte form searched. A 4-byte pattern turns up by chance in tens of megabytes of
 * ciphertext and compressed data (about 5·10⁷ / 2³² ≈ 1 % per pattern per 50 MB), so 4-letter
 * ASCII names ("Anna", "Park") are searched in their UTF-16 forms only; with a diacritic they are
 * 5+ bytes in UTF-8 ("Peña", "José") and searched in every form. Every patient also has an MRN
 * and a birth date needle of 8+ bytes.
 */
export const MIN_FORM_BYTES = 5;

export interface Hit {
  readonly needle: Needle;
  readonly encoding: string;
  /** The file (or dump) it was found in, and how: raw bytes or a decoded LevelDB part. */
  readonly where: string;
  readonly offset: number;
  /** A few bytes around the hit, printable ASCII kept, the rest as dots. */
  readonly context: string;
}

interface Form {
  readonly needle: Needle;
  readonly encoding: string;
  readonly bytes: Uint8Array;
  /** Bytes per code unit (1 for UTF-8/Latin-1, 2 for UTF-16) and byte order, for the digit-boundary check. */
  readonly unit: 1 | 2;
  readonly littleEndian: boolean;
}

function isWordUnit(data: Uint8Array, at: number, form: Form): boolean {
  if (at < 0 || at + form.unit > data.length) return false;
  if (form.unit === 1) {
    const byte = data[at]!;
    // ASCII letters and digits; bytes ≥ 0xC0 are Latin-1 letters or UTF-8 lead bytes of letters.
    return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte >= 0xc0;
  }
  const code = form.littleEndian ? data[at]! | (data[at + 1]! << 8) : (data[at]! << 8) | data[at + 1]!;
  return /[\p{L}\p{N}]/u.test(String.fromCharCode(code));
}

function isDigitUnit(data: Uint8Array, at: number, form: Form): boolean {
  if (at < 0 || at + form.unit > data.length) return false;
  if (form.unit === 1) return data[at]! >= 0x30 && data[at]! <= 0x39;
  const code = form.littleEndian ? data[at]! | (data[at + 1]! << 8) : (data[at]! << 8) | data[at + 1]!;
  return code >= 0x30 && code <= 0x39;
}

function utf16(text: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), littleEndian);
  return out;
}

function byteForms(needle: Needle): Form[] {
  const spellings = [...new Set([needle.text, needle.text.normalize('NFC'), needle.text.normalize('NFD')])];
  const forms: Form[] = [];
  const seen = new Set<string>();
  const add = (encoding: string, bytes: Uint8Array, unit: 1 | 2 = 1, littleEndian = true): void => {
    const key = Buffer.from(bytes).toString('hex');
    if (bytes.length < MIN_FORM_BYTES || seen.has(key)) return;
    seen.add(key);
    forms.push({ needle, encoding, bytes, unit, littleEndian });
  };
  for (const spelling of spellings) {
    const nfd = spelling === needle.text ? '' : ' (NFD)';
    add(`UTF-8${nfd}`, Buffer.from(spelling, 'utf8'));
    if ([...spelling].every((char) => char.charCodeAt(0) <= 0xff)) add(`Latin-1${nfd}`, Buffer.from(spelling, 'latin1'));
    add(`UTF-16LE${nfd}`, utf16(spelling, true), 2, true);
    add(`UTF-16BE${nfd}`, utf16(spelling, false), 2, false);
  }
  return forms;
}

/** Many needles in many byte forms, found in one pass over a buffer (filtered on the first two bytes, keyed on four). */
export class NeedleSet {
  private readonly byPrefix = new Map<number, Form[]>();
  private readonly firstTwo = new Uint8Array(65_536);
  readonly needles: readonly Needle[];

  constructor(needles: readonly Needle[]) {
    const unique = new Map<string, Needle>();
    for (const needle of needles) unique.set(`${needle.category}\u0000${needle.text}`, needle);
    this.needles = [...unique.values()];
    for (const needle of this.needles) {
      for (const form of byteForms(needle)) {
        const b = form.bytes;
        const key = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
        this.firstTwo[b[0]! | (b[1]! << 8)] = 1;
        const list = this.byPrefix.get(key);
        if (list === undefined) this.byPrefix.set(key, [form]);
        else list.push(form);
      }
    }
  }

  scan(data: Uint8Array, where: string, hits: Hit[], limit = 50): void {
    const end = data.length - 3;
    for (let i = 0; i < end; i++) {
      if (this.firstTwo[data[i]! | (data[i + 1]! << 8)] === 0) continue;
      const key = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
      const forms = this.byPrefix.get(key);
      if (forms === undefined) continue;
      for (const form of forms) {
        const b = form.bytes;
        if (i + b.length > data.length) continue;
        let match = true;
        for (let k = 4; k < b.length; k++) {
          if (data[i + k] !== b[k]) {
            match = false;
            break;
          }
        }
        if (!match) continue;
        if (form.needle.digitBoundary === true && (isDigitUnit(data, i - form.unit, form) || isDigitUnit(data, i + b.length, form))) continue;
        if (form.needle.wordBoundary === true && (isWordUnit(data, i - form.unit, form) || isWordUnit(data, i + b.length, form))) continue;
        if (hits.length >= limit) return;
        hits.push({ needle: form.needle, encoding: form.encoding, where, offset: i, context: printable(data.subarray(Math.max(0, i - 24), i + b.length + 24)) });
      }
    }
  }
}

function printable(bytes: Uint8Array): string {
  return [...bytes].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
}

/**
 * Shortest name (in characters) used as a needle: shorter fragments ("Kim", "Mai", "Đức") match
 * too much unrelated text and binary noise. See also MIN_FORM_BYTES.
 */
export const MIN_NAME_NEEDLE_CHARS = 4;

export interface IdentityFacts {
  readonly family: string;
  readonly given: readonly string[];
  readonly mrn: string;
  readonly birthDates: readonly string[];
}

/**
 * The needles for a set of identities: family and given names (every given name, and each word of
 * a multi-word given name) of at least MIN_NAME_NEEDLE_CHARS characters, as whole words; their case- and
 * diacritic-folded spelling (what a blind index hashes, so it must never be stored in clear) when
 * that is 5+ characters; every MRN; every birth date as YYYY-MM-DD and as HL7 YYYYMMDD.
 */
export function identityNeedles(identities: readonly IdentityFacts[]): Needle[] {
  const needles: Needle[] = [];
  const name = (category: 'family name' | 'given name', text: string): void => {
    for (const candidate of new Set([text, ...text.split(/\s+/)])) {
      if ([...candidate].length < MIN_NAME_NEEDLE_CHARS) continue;
      needles.push({ category, text: candidate, wordBoundary: true });
      const folded = foldText(candidate);
      if (folded !== candidate && [...folded].length >= 5) needles.push({ category: 'folded name', text: folded, wordBoundary: true });
    }
  };
  for (const identity of identities) {
    name('family name', identity.family);
    for (const given of identity.given) name('given name', given);
    needles.push({ category: 'MRN', text: identity.mrn });
    for (const date of identity.birthDates) {
      needles.push({ category: 'birth date', text: date, digitBoundary: true });
      needles.push({ category: 'birth date', text: date.replace(/-/g, ''), digitBoundary: true });
    }
  }
  return needles;
}

export interface ScanReport {
  readonly files: number;
  readonly bytes: number;
  /** LevelDB parts decoded (table blocks, log records, compressed values). */
  readonly decodedParts: number;
  /** Files that could not be read (vanished, permissions), with the reason. */
  readonly unreadable: readonly string[];
  readonly hits: readonly Hit[];
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(full);
      // symlinks (Chromium's Singleton*), sockets and pipes hold no data of their own
    }
  };
  await walk(root);
  return out.sort();
}

function decodeFile(file: string, data: Uint8Array): Array<{ label: string; bytes: Uint8Array }> {
  const name = path.basename(file);
  let entries: KeyValue[] = [];
  const parts: Array<{ label: string; bytes: Uint8Array }> = [];
  // Large IndexedDB values live in blob files, Snappy-compressed inside Blink's envelope.
  if (file.split(path.sep).some((dir) => dir.endsWith('.indexeddb.blob'))) {
    for (const opened of embeddedSnappy(data)) parts.push({ label: 'snappy blob', bytes: opened });
    return parts;
  }
  try {
    if (/\.(ldb|sst)$/.test(name)) entries = readTableFile(data);
    else if (/\.log$/.test(name) || name.startsWith('MANIFEST-')) {
      for (const record of readLogFile(data)) {
        parts.push({ label: 'log record', bytes: record });
        entries.push(...readWriteBatch(record));
      }
    }
  } catch {
    return parts; // not LevelDB after all
  }
  for (const entry of entries) {
    parts.push({ label: 'key', bytes: entry.key }, { label: 'value', bytes: entry.value });
    for (const opened of embeddedSnappy(entry.value)) parts.push({ label: 'snappy value', bytes: opened });
  }
  return parts;
}

/** Scans every regular file under `root` (recursively) for the needles, raw and LevelDB-decoded. */
export async function scanTree(root: string, needles: NeedleSet, options: { readonly limit?: number } = {}): Promise<ScanReport> {
  const hits: Hit[] = [];
  const unreadable: string[] = [];
  let bytes = 0;
  let decodedParts = 0;
  const files = await listFiles(root);
  for (const file of files) {
    let data: Buffer;
    try {
      if (!(await lstat(file)).isFile()) continue;
      data = await readFile(file);
    } catch (error) {
      unreadable.push(`${path.relative(root, file)}: ${(error as Error).message}`);
      continue;
    }
    bytes += data.length;
    const relative = path.relative(root, file);
    needles.scan(data, relative, hits, options.limit);
    for (const part of decodeFile(file, data)) {
      decodedParts++;
      needles.scan(part.bytes, `${relative} [decoded ${part.label}]`, hits, options.limit);
    }
  }
  return { files: files.length, bytes, decodedParts, unreadable, hits };
}

/** One line per hit, for an assertion message a human can act on. */
export function describeHits(hits: readonly Hit[]): string {
  return hits.map((hit) => `${hit.needle.category} "${hit.needle.text}" (${hit.encoding}) in ${hit.where} @${hit.offset}: …${hit.context}…`).join('\n');
}
