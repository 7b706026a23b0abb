/**
 * A dependency-free ESTIMATE of passphrase strength for the vault setup form, in the spirit of
 * zxcvbn but much smaller. It is a guide for people, not a proof: it only knows the weaknesses it
 * looks for, and it cannot see that a long phrase is, say, a famous quotation.
 *
 * How it estimates: the passphrase is split into the weak patterns it finds — common passwords and
 * clinic words (also in leetspeak and any case), words the caller says are known about the user
 * (name, clinic, account), keyboard and alphabet runs, repeated characters or blocks, years and
 * season + year — and the characters in between. Each pattern counts for the few bits an attacker
 * needs to guess it; each remaining character counts log2 of the size of the character classes
 * used. The total bits map to a score:
 *
 *   0 < 28 bits ≤ 1 < 40 ≤ 2 < 56 ≤ 3 < 72 ≤ 4
 *
 * Policy to create a vault (and to change a passphrase): at least 12 characters and score ≥ 3.
 * Twelve random lower-case letters (≈ 56 bits) just pass; "Hospital2024!" does not.
 */

export const PASSPHRASE_MIN_LENGTH = 12;
export const PASSPHRASE_MIN_SCORE = 3;

export type PassphraseScore = 0 | 1 | 2 | 3 | 4;

export interface PassphraseStrength {
  readonly score: PassphraseScore;
  /** The estimated guessing entropy in bits (rounded). */
  readonly bits: number;
  /** Short, content-free advice for the form, most important first. */
  readonly feedback: readonly string[];
  /** Whether the passphrase is allowed for a vault: ≥ 12 characters and score ≥ 3. */
  readonly acceptable: boolean;
}

export interface StrengthContext {
  /** Words an attacker could know: the user's name, the clinic's name, the account name. */
  readonly userInputs?: readonly string[];
}

/** The most common passwords and the words a clinic's staff reach for first. */
const COMMON_WORDS: readonly string[] = [
  // common passwords (lists of breached passwords, top entries)
  'password', 'passwort', 'motdepasse', 'contraseña', 'qwerty', 'azerty', 'qwertz', 'letmein', 'welcome', 'admin',
  'administrator', 'iloveyou', 'monkey', 'dragon', 'master', 'sunshine', 'princess', 'football', 'baseball', 'soccer',
  'shadow', 'superman', 'batman', 'trustno', 'whatever', 'freedom', 'starwars', 'secret', 'login', 'default',
  'changeme', 'hello', 'charlie', 'michael', 'jennifer', 'jordan', 'hunter', 'ashley', 'abc', 'test', 'guest',
  'root', 'user', 'access', 'love', 'lovely', 'pass', 'passw', 'pw', 'god', 'jesus', 'flower', 'summer', 'winter',
  'spring', 'autumn', 'fall', 'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september',
  'october', 'november', 'december', 'monday', 'friday', 'sunday', 'computer', 'internet', 'company', 'office',
  // clinic and health-care words
  'hospital', 'clinic', 'clinique', 'klinik', 'patient', 'patients', 'doctor', 'nurse', 'medical', 'medicine',
  'health', 'healthcare', 'care', 'surgery', 'pharmacy', 'radiology', 'cardio', 'cardiology', 'pediatrics',
  'emergency', 'ward', 'staff', 'station', 'reception', 'lab', 'laboratory', 'dicom', 'pacs', 'hl7', 'vault',
  'hdms', 'node', 'research', 'institute', 'krankenhaus', 'hopital', 'praxis', 'arzt', 'medecin', 'sante',
];

const SEASONS = ['spring', 'summer', 'autumn', 'fall', 'winter', 'fruehling', 'fruhling', 'sommer', 'herbst', 'ete', 'hiver', 'printemps', 'automne'];

const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'azertyuiop', 'qsdfghjklm', 'wxcvbn', 'qwertzuiop', 'yxcvbnm'];
const ALPHABET_RUNS = ['abcdefghijklmnopqrstuvwxyz', '0123456789'];

const LEET: Readonly<Record<string, string>> = { '@': 'a', '4': 'a', '8': 'b', '(': 'c', '3': 'e', '6': 'g', '1': 'i', '!': 'i', '|': 'l', '0': 'o', '$': 's', '5': 's', '7': 't', '+': 't', '2': 'z' };

interface Span {
  readonly start: number;
  readonly end: number; // exclusive
  readonly bits: number;
  readonly reason: Reason;
}

type Reason = 'common' | 'personal' | 'sequence' | 'repeat' | 'year' | 'season';

const FEEDBACK: Readonly<Record<Reason, string>> = {
  common: 'Avoid common passwords and words like "password", "welcome", "clinic" or "hospital".',
  personal: 'Avoid your name, the clinic\'s name and your account name.',
  sequence: 'Avoid keyboard and alphabet runs such as "qwerty", "abcd" or "1234".',
  repeat: 'Avoid repeated characters and repeated blocks.',
  year: 'Avoid years and dates: they are among the first things tried.',
  season: 'Avoid a season with a year (such as "Summer2024"): it is among the first things tried.',
};

const log2 = Math.log2;
const MAX_ANALYSED = 256;
const MAX_BLOCK = 16;

function characterPool(chars: readonly string[]): number {
  let pool = 0;
  if (chars.some((c) => /[a-z]/.test(c))) pool += 26;
  if (chars.some((c) => /[A-Z]/.test(c))) pool += 26;
  if (chars.some((c) => /[0-9]/.test(c))) pool += 10;
  if (chars.some((c) => /[ -/:-@[-`{-~]/.test(c))) pool += 33;
  if (chars.some((c) => c.codePointAt(0)! > 0x7e)) pool += 100;
  return Math.max(pool, 10);
}

/**
 * Lower case, leetspeak undone, diacritics removed: how a guesser normalizes a candidate. Each
 * character maps to exactly one UTF-16 unit (anything else to U+0000, which matches no word), so
 * string offsets and character indices agree.
 */
function canonical(chars: readonly string[], undoLeet: boolean): string[] {
  return chars.map((c) => {
    const lower = c.toLowerCase();
    const plain = (undoLeet ? LEET[lower] : undefined) ?? lower.normalize('NFKD').replace(/\p{M}/gu, '');
    return plain.length === 1 ? plain : '\u0000';
  });
}

function findWords(canon: readonly string[], words: readonly string[], reason: Reason, bitsPerWord: number): Span[] {
  const text = canon.join('');
  const spans: Span[] = [];
  for (const word of words) {
    if (word.length < 3) continue;
    for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
      spans.push({ start: at, end: at + word.length, bits: bitsPerWord, reason });
    }
  }
  return spans;
}

function findSequences(lower: readonly string[]): Span[] {
  const text = lower.join('');
  const spans: Span[] = [];
  for (const row of [...KEYBOARD_ROWS, ...ALPHABET_RUNS]) {
    for (const line of [row, [...row].reverse().join('')]) {
      for (let start = 0; start < text.length; start++) {
        let length = 0;
        const at = line.indexOf(text[start]!);
        if (at === -1) continue;
        while (start + length < text.length && line[at + length] === text[start + length]) length++;
        if (length >= 3) spans.push({ start, end: start + length, bits: log2(KEYBOARD_ROWS.length * 2 * 10 * length), reason: 'sequence' });
      }
    }
  }
  return spans;
}

function findRepeats(chars: readonly string[]): Span[] {
  const spans: Span[] = [];
  const lower = chars.map((c) => c.toLowerCase());
  // Runs of one character: "aaaa", "1111".
  for (let start = 0; start < lower.length; ) {
    let end = start + 1;
    while (end < lower.length && lower[end] === lower[start]) end++;
    if (end - start >= 3) spans.push({ start, end, bits: log2(characterPool([chars[start]!]) * (end - start)), reason: 'repeat' });
    start = end;
  }
  // Repeated blocks: "abcabc", "hello hello" — the second and later copies are nearly free.
  for (let size = 2; size <= Math.min(MAX_BLOCK, lower.length / 2); size++) {
    for (let start = 0; start + 2 * size <= lower.length; start++) {
      let copies = 1;
      while (start + (copies + 1) * size <= lower.length && lower.slice(start + copies * size, start + (copies + 1) * size).join('') === lower.slice(start, start + size).join('')) {
        copies++;
      }
      if (copies >= 2) spans.push({ start: start + size, end: start + copies * size, bits: log2(copies) + 1, reason: 'repeat' });
    }
  }
  return spans;
}

function findYears(canonChars: readonly string[], lowerChars: readonly string[]): Span[] {
  const spans: Span[] = [];
  const raw = lowerChars.join('');
  for (const match of raw.matchAll(/(?:19|20)\d\d/g)) spans.push({ start: match.index, end: match.index + 4, bits: log2(200), reason: 'year' });
  // Season followed by a year (2 or 4 digits), in any case or leetspeak: "Summer2024", "winter24".
  const canon = canonChars.join('');
  for (const season of SEASONS) {
    for (let at = canon.indexOf(season); at !== -1; at = canon.indexOf(season, at + 1)) {
      const after = raw.slice(at + season.length);
      const year = /^[\s._-]?((?:19|20)?\d\d)/.exec(after);
      if (year !== null) spans.push({ start: at, end: at + season.length + year[0].length, bits: log2(SEASONS.length * 200 * 4), reason: 'season' });
    }
  }
  return spans;
}

/**
 * The cheapest way to explain the whole passphrase: each character is either part of a weak span
 * or guessed on its own (log2 of the pool). Dynamic programming over positions.
 */
function cheapestCover(length: number, spans: readonly Span[], perCharacterBits: number): { bits: number; used: Span[] } {
  const best: { bits: number; used: Span[] }[] = [{ bits: 0, used: [] }];
  for (let i = 1; i <= length; i++) {
    const previous = best[i - 1]!;
    let candidate = { bits: previous.bits + perCharacterBits, used: previous.used };
    for (const span of spans) {
      if (span.end !== i) continue;
      const before = best[span.start]!;
      if (before.bits + span.bits < candidate.bits) candidate = { bits: before.bits + span.bits, used: [...before.used, span] };
    }
    best.push(candidate);
  }
  return best[length]!;
}

function scoreOf(bits: number): PassphraseScore {
  if (bits < 28) return 0;
  if (bits < 40) return 1;
  if (bits < 56) return 2;
  if (bits < 72) return 3;
  return 4;
}

/** Estimates a passphrase's strength (see the notes at the top of this file). */
export function estimatePassphraseStrength(passphrase: string, context: StrengthContext = {}): PassphraseStrength {
  const all = [...passphrase.normalize('NFC')];
  // Long inputs: the first MAX_ANALYSED characters decide (a longer passphrase is not weaker).
  const chars = all.slice(0, MAX_ANALYSED);
  const canon = canonical(chars, true);
  const lower = canonical(chars, false);
  const personal = (context.userInputs ?? [])
    .flatMap((input) => input.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').split(/[^\p{L}\p{N}]+/u))
    .filter((word) => word.length >= 3);
  const spans = [
    ...findWords(canon, COMMON_WORDS, 'common', log2(COMMON_WORDS.length * 4)),
    ...findWords(canon, personal, 'personal', log2(Math.max(2, personal.length) * 4)),
    ...findSequences(lower),
    ...findRepeats(chars),
    ...findYears(canon, lower),
  ];
  const perCharacterBits = log2(characterPool(chars));
  const { bits: rawBits, used } = cheapestCover(chars.length, spans, perCharacterBits);
  const bits = Math.round(rawBits);
  const score = scoreOf(rawBits);

  const feedback: string[] = [];
  if (all.length < PASSPHRASE_MIN_LENGTH) feedback.push(`Use at least ${PASSPHRASE_MIN_LENGTH} characters.`);
  for (const reason of new Set(used.map((span) => span.reason))) feedback.push(FEEDBACK[reason]);
  if (score < PASSPHRASE_MIN_SCORE) {
    feedback.push('Add more words: a phrase of four or more unrelated words is strong and easy to remember.');
  }
  return { score, bits, feedback, acceptable: all.length >= PASSPHRASE_MIN_LENGTH && score >= PASSPHRASE_MIN_SCORE };
}
