import { ZERO_HASH } from '../../shared/ledger/ledger-schema';
import type { LedgerReader } from './ledger-reader';

/**
 * A subject filter's text as a pseudonym (QA11 D3): entries show a subject shortened, `0x3c6896…43e3`
 * (ledger-format.ts shortHash), and an erased patient is known by that alone. Taken as a pseudonym:
 *   - `0x` and hex digits: the start of the pseudonym (`0x3c6896`), up to the whole value;
 *   - hex digits without `0x`, at least BARE_PREFIX_MIN of them (`3c6896`);
 *   - the shown form, a start, an ellipsis (`…`, or `...` as typed) and an end (`0x3c6896…43e3`).
 * Case is ignored. Hex letters alone without 0x (`cafe`, `bead`) may be a name as well: `mayBeName`.
 */
export interface PseudonymPattern {
  /** Hex digits the pseudonym starts with (after 0x), lowercase. */
  readonly prefix: string;
  /** Hex digits it ends with ('' for any), lowercase. */
  readonly suffix: string;
  /** Whether the text could also be the start of a name (hex letters only, no 0x, no ellipsis). */
  readonly mayBeName: boolean;
}

/** Fewer hex letters without 0x read as a name only: "Ada", "Bea", "Abe" are names first. */
export const BARE_PREFIX_MIN = 4;
const HEX_DIGITS = 64;

export function pseudonymPattern(text: string): PseudonymPattern | null {
  const match = /^(0x)?([0-9a-f]*)(?:(?:…|\.{3})([0-9a-f]*))?$/.exec(text.trim().toLowerCase());
  if (match === null) return null;
  const [, hexMark, prefix = '', ending] = match;
  const abbreviated = ending !== undefined;
  const suffix = ending ?? '';
  if (prefix === '' || prefix.length > HEX_DIGITS || suffix.length > HEX_DIGITS) return null;
  if (hexMark === undefined && !abbreviated && prefix.length < BARE_PREFIX_MIN) return null;
  return { prefix, suffix, mayBeName: hexMark === undefined && !abbreviated && !/[0-9]/.test(prefix) };
}

/**
 * The subjects (bytes32) a filter text names: those whose pseudonym fits it as a pseudonym form
 * (a range of the ledger's `subject` index: only the subjects starting so are read), and, for a
 * text that is or may be a name, the patients whose name starts so (the subject directory, on this
 * computer). The zero subject (acts about no patient) never matches.
 */
export async function subjectsMatching(reader: Pick<LedgerReader, 'db' | 'subjectsNamed'>, text: string): Promise<ReadonlySet<string>> {
  const pattern = pseudonymPattern(text);
  if (pattern === null) return reader.subjectsNamed(text.trim());
  const out = new Set<string>(pattern.mayBeName ? await reader.subjectsNamed(text.trim()) : []);
  const subjects = await reader.db().ledger.where('subject').startsWith(`0x${pattern.prefix}`).uniqueKeys();
  for (const subject of subjects) {
    if (typeof subject === 'string' && subject.length === 2 + HEX_DIGITS && subject !== ZERO_HASH && subject.endsWith(pattern.suffix)) out.add(subject);
  }
  return out;
}
