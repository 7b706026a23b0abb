import { encodeStringList, toBase64Url, utf8Encode, concatBytes, type Bytes } from './bytes';

/**
 * The blind keyword index (design §2): searchable words become HMAC-SHA-256 tokens under the
 * index key and are stored in a Dexie multiEntry index; the words themselves are never stored.
 *
 * Normalization (the same for records and queries):
 *   - Unicode NFKD, combining marks removed, lower case: "Müller" = "muller", "JOSÉ" = "jose".
 *     Letters that do not decompose are folded by hand: ß→ss, æ→ae, œ→oe, ø→o, đ/ð→d, ł→l, þ→th,
 *     ı→i. "Mueller" stays "mueller" (≠ "muller"), but see the German transliteration below.
 *   - German transliteration (tester S35 #1): a text written with ä, ö or ü (composed or not, any
 *     case) is also indexed under its transliteration ae, oe, ue ("Müller" → muller and mueller;
 *     names also with those prefixes), and a query word typed with an umlaut also asks for it. So
 *     "mueller" finds Müller and Mueller but not a plain Muller, "Müller" finds all three, "muller"
 *     finds Müller and Muller. Only written umlauts are expanded: "ue" in a record or a query is
 *     never read as ü ("Samuel", "Michael", "Joel"). ß is ss in both spellings already.
 *     LEAKAGE: the transliteration token is an ordinary word token, shared by "Müller" and
 *     "Mueller" (which is what makes them findable by one another), so it also tells whoever reads
 *     the files that those records share a word; and a word with an umlaut has one more word token
 *     (for a name, more prefix tokens), which says that it has one. No other word is revealed.
 *   - A word is a run of letters and digits (any script). Runs joined by - ' ’ . _ / form a
 *     compound ("MRN-000123", "O'Brien", "Anne-Marie", "1980-02-03"): its parts are words, and so
 *     is the compound with its joiners removed ("mrn000123", "obrien", "annemarie", "19800203").
 *     So an identifier is found by its whole value typed with or without separators, or by its
 *     parts ("000123"). In a query, a compound asks for its parts (which every record holding the
 *     compound has), and a single run like "mrn000123" matches the joined form.
 *   - Words of fewer than 2 characters are dropped, except one Han ideograph, which is a whole
 *     word in Chinese and Japanese (the surnames 王, 李: QA12 D4; a Hangul syllable such as 김 is
 *     already two or three jamo after NFKD); a single kana, Latin letter or digit is still dropped. Duplicates are removed (first
 *     occurrence kept). LEAKAGE: such a token is an ordinary full-word token (no prefix tokens
 *     below 3 characters, for any script); it adds only that a record holds that one-character
 *     word, and as one-character surnames are few and common, its frequency says more than a
 *     longer word's would (about as much as a common surname's token already says).
 *   - Dates (birth dates) are one word each, the whole date without separators ("1980-02-03" →
 *     "19800203"): never their year, month or day alone, since a year token would link everyone
 *     born that year. A query compound shaped like a full date (year, month, day joined by one of
 *     - / . ; "1980-2-3" too) asks for that one word; "19800203" typed whole already is one.
 *     Day first with dots, as Swiss and German users write dates ("01.03.2025", "1.3.2025"; a day
 *     of 1–31 and a month of 1–12), asks for that word too (tester S35 #2). Dots are day first
 *     whenever the year is last; with slashes the day-first and month-first orders are both in use,
 *     so "01/03/2025" is not taken as a date and asks for its parts, as before.
 *     A birth date kept to the month ("2025-03", HL7 DT YYYYMM) is the one word "202503"; a query
 *     compound of four digits and a two-digit month 01–12 ("2025-03", "2025/03") asks for it, as the
 *     app shows such a date (QA2-11 Q6). TRADE-OFF, as for full dates: such a query no longer asks
 *     for its parts, so it misses a longer compound that holds them ("LOT-2025-03-A" is indexed as
 *     lot, 2025, 03, a and lot202503a, not 202503); a record whose whole compound is "2025-03" or
 *     "1234.05" is still found (its joined word is the same). A one-digit month is not taken as one
 *     ("2345-7" is a LOINC code). A year alone is still no token: it would link everyone born then.
 *
 * Tokens: HMAC-SHA-256(indexKey, "hdms/blind-index/v1" ‖ tag ‖ field ‖ word), truncated to the
 * first 16 bytes, base64url (22 characters). 128 bits: with N distinct tokens in a vault, the
 * chance that any two collide is about N² / 2^129 — below 10^-22 for N = 10^8 — and a collision
 * would only add a false hit that the UI drops after decrypting the record. `field` optionally
 * scopes tokens to one field; records and queries must then use the same field.
 *
 * Prefix tokens (type-ahead on NAMES only): for every name word of 3+ characters, the prefixes of
 * 3 … min(length, 24) characters, under a different tag so a prefix token never equals a full-word
 * token. LEAKAGE TRADE-OFF: blind tokens already reveal, to whoever reads the IndexedDB files, which
 * records share a word and how often each token occurs (frequency analysis can guess common
 * surnames from a large vault). Prefix tokens add that two names share their first 3, 4, … letters
 * and roughly how long a name is (how many prefix tokens it has). We accept this for names only,
 * with a 3-letter minimum so short prefixes (which group many records) are not indexed (patient
 * identifiers and accession numbers get the same prefix tokens, also for their digit run after a letter prefix:
 * token-cache.ts identifierPrefixTokens, identifierPrefixWords); other
 * codes and descriptions get full-word tokens only, and birth dates one full-date token each. The key never leaves the mind, so
 * nobody without it can compute a token for a chosen name.
 */

const TOKEN_LABEL = 'hdms/blind-index/v1';
const TOKEN_BYTES = 16;
export const MIN_WORD_LENGTH = 2;
export const MIN_PREFIX_LENGTH = 3;
export const MAX_PREFIX_LENGTH = 24;

type TokenTag = 'word' | 'prefix';

const FOLDS: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i', ħ: 'h', ŧ: 't' };
const FOLD_PATTERN = /[ßæœøđðłþıħŧ]/gu;
const COMPOUND = /[\p{L}\p{N}]+(?:['’._/-][\p{L}\p{N}]+)*/gu;
const JOINER = /['’._/-]/u;
/** A full date in a query: year, month and day joined by one separator (ISO order). */
const QUERY_DATE = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/u;
/**
 * A day-first date with dots (`01.03.2025`, `1.3.2025`): how Swiss and German users write dates.
 * Dots only: with slashes, day-first and month-first are both in use, so `01/03/2025` keeps asking for its parts.
 */
const QUERY_DAY_FIRST_DATE = /^(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.(\d{4})$/u;
/** A year and month in a query (`2025-03`): two-digit month 01–12 only, so `2345-7` (a LOINC code) stays a code. */
const QUERY_MONTH = /^(\d{4})[-/.](0[1-9]|1[0-2])$/u;

/** Diacritic- and case-insensitive form of a text (before it is cut into words). */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(FOLD_PATTERN, (char) => FOLDS[char] ?? char);
}

interface Compound {
  /** The compound as written (folded), joiners included. */
  readonly text: string;
  readonly parts: readonly string[];
  /** The parts joined without separators, when there is more than one part. */
  readonly joined?: string;
}

function compounds(text: string): Compound[] {
  const out: Compound[] = [];
  for (const match of foldText(text).matchAll(COMPOUND)) {
    const parts = match[0].split(JOINER);
    out.push(parts.length > 1 ? { text: match[0], parts, joined: parts.join('') } : { text: match[0], parts });
  }
  return out;
}

/**
 * One Han ideograph: a whole word in Chinese and Japanese (a surname: 王, 李). A Hangul syllable
 * needs no rule: NFKD writes it as its two or three jamo, which make a word of their own.
 */
const CJK_SINGLE = /^\p{Script=Han}$/u;

const longEnough = (word: string): boolean => [...word].length >= MIN_WORD_LENGTH || CJK_SINGLE.test(word);

function dedupe(words: readonly string[]): string[] {
  return [...new Set(words)];
}

/** An a, o or u with a combining diaeresis (after NFD): the German umlauts ä ö ü, any case. */
const UMLAUT = /([aouAOU])\u0308/gu;

/**
 * The German transliteration of a text (ä→ae, ö→oe, ü→ue), or null when it has no umlaut. Only
 * written umlauts are expanded: guessing the other way (ue→ü) would make "Samuel" a "Samül".
 */
function transliterated(text: string): string | null {
  const decomposed = text.normalize('NFD');
  return /[aouAOU]\u0308/u.test(decomposed) ? decomposed.replace(UMLAUT, '$1e') : null;
}

function compoundWords(text: string): string[] {
  const words: string[] = [];
  for (const compound of compounds(text)) {
    words.push(...compound.parts);
    if (compound.joined !== undefined) words.push(compound.joined);
  }
  return words;
}

/** The words a record's text is indexed under (see the rules above): a text with an umlaut also under its transliteration. */
export function normalizeWords(text: string): string[] {
  const alternate = transliterated(text);
  const words = compoundWords(text);
  if (alternate !== null) words.push(...compoundWords(alternate));
  return dedupe(words.filter(longEnough));
}

export interface QueryWords {
  /** Every word a match must contain. */
  readonly words: readonly string[];
  /** Whether the last word may still be being typed (the query does not end with a space). */
  readonly lastIsPartial: boolean;
}

/** The one word a date is indexed under (see the rules above); nothing for text without a word. */
export function normalizeDateWords(date: string): string[] {
  return dedupe(compounds(date).map((compound) => compound.joined ?? compound.parts[0]!).filter(longEnough));
}

/** A query compound's words: a full date or a year and month as its one date word, anything else by its parts. */
function queryWordsOf(compound: Compound): readonly string[] {
  const date = QUERY_DATE.exec(compound.text);
  if (date !== null) return [`${date[1]!}${date[3]!.padStart(2, '0')}${date[4]!.padStart(2, '0')}`];
  const dayFirst = QUERY_DAY_FIRST_DATE.exec(compound.text);
  if (dayFirst !== null) return [`${dayFirst[3]!}${dayFirst[2]!.padStart(2, '0')}${dayFirst[1]!.padStart(2, '0')}`];
  const month = QUERY_MONTH.exec(compound.text);
  if (month !== null) return [`${month[1]!}${month[2]!}`];
  return compound.parts;
}

/**
 * The date word a query compound asks for ("01.03.2025", "2025/03/01", "2025-03" → 20250301,
 * 20250301, 202503), or null when it is no date: for callers that check hits after decrypting.
 */
export function queryDateWord(text: string): string | null {
  const [compound, ...more] = compounds(text);
  if (compound === undefined || more.length > 0) return null;
  const words = queryWordsOf(compound);
  return words.length === 1 && words[0] !== compound.parts[0] ? words[0]! : null;
}

/** The words of a search query: like normalizeWords, but a compound asks for its parts only (a date for itself). */
export function normalizeQueryWords(query: string): QueryWords {
  const words = dedupe(compounds(query).flatMap(queryWordsOf).filter(longEnough));
  return { words, lastIsPartial: words.length > 0 && !/[\s]$/u.test(query) };
}

/**
 * Each query word with its spellings: the word, and when it was typed with an umlaut, its
 * transliteration too ("müller" → muller, mueller). A word typed without one asks for itself only.
 */
function querySpellings(query: string): { words: string[][]; lastIsPartial: boolean } {
  const { words, lastIsPartial } = normalizeQueryWords(query);
  const alternate = transliterated(query);
  if (alternate === null) return { words: words.map((word) => [word]), lastIsPartial };
  const plain = compounds(query).flatMap(queryWordsOf);
  const other = compounds(alternate).flatMap(queryWordsOf);
  // The transliteration only lengthens letters, so the words correspond one to one.
  if (plain.length !== other.length) return { words: words.map((word) => [word]), lastIsPartial };
  const spellings = new Map<string, string[]>();
  plain.forEach((word, index) => {
    const list = spellings.get(word) ?? [word];
    if (!list.includes(other[index]!)) list.push(other[index]!);
    spellings.set(word, list);
  });
  return { words: words.map((word) => spellings.get(word) ?? [word]), lastIsPartial };
}

/** label ‖ [tag, field] of the token input, per tag and field (a handful: fields are code constants). */
const inputHeads = new Map<string, Bytes>();
const wordEncoder = new TextEncoder();

/**
 * The HMAC input label ‖ encodeStringList([tag, field, word]), built in one allocation: an index
 * build makes tens of thousands of tokens, and the generic concatenation (a buffer per part, a
 * TextEncoder call per string) cost more main-thread time than the HMACs themselves.
 */
function tokenInput(tag: TokenTag, field: string, word: string): Bytes {
  const headKey = `${tag}\u0000${field}`;
  let head = inputHeads.get(headKey);
  if (head === undefined) {
    head = concatBytes(utf8Encode(TOKEN_LABEL), encodeStringList([tag, field]));
    inputHeads.set(headKey, head);
  }
  const at = head.length + 4;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const out = new Uint8Array(at + word.length * 3);
  out.set(head);
  let length = 0;
  for (; length < word.length; length++) {
    const code = word.charCodeAt(length);
    if (code >= 0x80) break;
    out[at + length] = code;
  }
  // ASCII above (most words: codes, numbers, folded names); the rest through the encoder.
  if (length < word.length) length += wordEncoder.encodeInto(word.slice(length), out.subarray(at + length)).written;
  out[at - 4] = length >>> 24;
  out[at - 3] = (length >>> 16) & 0xff;
  out[at - 2] = (length >>> 8) & 0xff;
  out[at - 1] = length & 0xff;
  return out.subarray(0, at + length);
}

async function token(indexKey: CryptoKey, tag: TokenTag, field: string, word: string): Promise<string> {
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', indexKey, tokenInput(tag, field, word)));
  return toBase64Url(mac.subarray(0, TOKEN_BYTES));
}

/** Full-word tokens, one per (already normalized) word, in order. */
export function blindTokens(indexKey: CryptoKey, words: readonly string[], field = ''): Promise<string[]> {
  return Promise.all(words.map((word) => token(indexKey, 'word', field, word)));
}

function prefixesOf(word: string): string[] {
  const chars = [...word];
  const out: string[] = [];
  for (let length = MIN_PREFIX_LENGTH; length <= Math.min(chars.length, MAX_PREFIX_LENGTH); length++) out.push(chars.slice(0, length).join(''));
  return out;
}

/** The prefixes of NAME words that get prefix tokens (3 … 24 characters). */
export function namePrefixes(nameWords: readonly string[]): string[] {
  return dedupe(nameWords.flatMap(prefixesOf));
}

/** Prefix tokens for type-ahead, for NAME words only (see the leakage note above). */
export function prefixTokens(indexKey: CryptoKey, nameWords: readonly string[], field = ''): Promise<string[]> {
  const prefixes = namePrefixes(nameWords);
  return Promise.all(prefixes.map((prefix) => token(indexKey, 'prefix', field, prefix)));
}

/**
 * An identifier word's part after its letter prefix, starting with a digit ("mrn100234" →
 * "100234", "p2001234x" → "2001234x"; F9: staff often say only the digits). Null when the word
 * does not start with letters followed by a digit.
 */
export function identifierDigitRun(word: string): string | null {
  const match = /^\p{L}+(\p{N}[\p{L}\p{N}]*)$/u.exec(word);
  return match === null ? null : match[1]!;
}

/**
 * The words of identifiers (MRNs, accession numbers) whose 3…24-character prefixes get prefix
 * tokens: each word, and its digit run (identifierDigitRun), so "1002" finds MRN100234.
 */
export function identifierPrefixWords(identifiers: readonly string[]): string[] {
  const { words } = recordWords({ other: identifiers });
  return dedupe([...words, ...words.flatMap((word) => identifierDigitRun(word) ?? [])]);
}

export interface RecordText {
  /** Names of people: full-word and prefix tokens. */
  readonly names?: readonly string[];
  /** Identifiers, codes, descriptions: full-word tokens only. */
  readonly other?: readonly string[];
  /** Dates (a birth date): one full-date token each, never the year, month or day alone. */
  readonly dates?: readonly string[];
}

export interface RecordWords {
  /** Every word that gets a full-word token, deduplicated, in order. */
  readonly words: readonly string[];
  /** The name words, which also get prefix tokens. */
  readonly nameWords: readonly string[];
}

/** The words one record is indexed under: the one place that decides it (records, caches, test doubles). */
export function recordWords(text: RecordText): RecordWords {
  const nameWords = dedupe((text.names ?? []).flatMap(normalizeWords));
  const otherWords = (text.other ?? []).flatMap(normalizeWords);
  const dateWords = (text.dates ?? []).flatMap(normalizeDateWords);
  return { words: dedupe([...nameWords, ...otherWords, ...dateWords]), nameWords };
}

/** Every token of one record, deduplicated: what goes in its multiEntry index field. */
export async function recordTokens(indexKey: CryptoKey, text: RecordText, field = ''): Promise<string[]> {
  const { words, nameWords } = recordWords(text);
  const [full, prefixes] = await Promise.all([blindTokens(indexKey, words, field), prefixTokens(indexKey, nameWords, field)]);
  return dedupe([...full, ...prefixes]);
}

export interface QueryTokens {
  /**
   * A record matches when, for every group, it holds at least one of the group's tokens
   * (Dexie: `where('tokens').anyOf(group.anyOf)` per group, intersected). Empty: no search words.
   * The first `wholeWords` tokens of a group are whole words, the rest name prefixes (ranking).
   */
  readonly groups: readonly { readonly anyOf: readonly string[]; readonly wholeWords: number }[];
}

export interface QueryWordGroup {
  /** Matches a record holding one of these whole words (the word, and its transliteration when typed with an umlaut)… */
  readonly words: readonly string[];
  /** …or one of these name prefixes (only while the word is being typed). */
  readonly prefixes: readonly string[];
}

/**
 * What a search asks for, before tokens: every word as a full word; the last word, while still
 * being typed and at least 3 characters long, also as a name prefix (so "mül" finds "Müller").
 */
export function queryWordGroups(query: string, options: { prefix?: boolean } = {}): QueryWordGroup[] {
  const { words, lastIsPartial } = querySpellings(query);
  return words.map((spellings, index) => {
    const typing = index === words.length - 1 && lastIsPartial && options.prefix !== false && [...spellings[0]!].length >= MIN_PREFIX_LENGTH;
    return { words: spellings, prefixes: typing ? dedupe(spellings.map((word) => [...word].slice(0, MAX_PREFIX_LENGTH).join(''))) : [] };
  });
}

/** Tokens for a search: the groups of queryWordGroups, each as its full-word tokens and prefix tokens. */
export async function queryTokens(indexKey: CryptoKey, query: string, options: { field?: string; prefix?: boolean } = {}): Promise<QueryTokens> {
  const field = options.field ?? '';
  const groups = await Promise.all(
    queryWordGroups(query, options).map(async ({ words, prefixes }) => {
      const whole = await Promise.all(words.map((word) => token(indexKey, 'word', field, word)));
      const starts = await Promise.all(prefixes.map((prefix) => token(indexKey, 'prefix', field, prefix)));
      return { anyOf: [...whole, ...starts], wholeWords: whole.length };
    }),
  );
  return { groups };
}
