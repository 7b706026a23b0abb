/**
 * The rule for short queries, shared by patient search and the message browser's patient field
 * (QA round 4, issue 11 #13): the blind index holds name and number starts of at least
 * MIN_PREFIX_QUERY characters, so a shorter query matches whole words only, and the user is told
 * to type more. One or two Chinese, Japanese or Korean characters are a whole word (a surname:
 * 王, 山田), searched as one with no hint (QA12 D4).
 */

/** Shorter queries match whole words only (no name or number starts with fewer than 3 letters in the index). */
export const MIN_PREFIX_QUERY = 3;

export const SHORT_HINT = `Type at least ${MIN_PREFIX_QUERY} letters to search by the start of a name or number.`;

/** A query of Han, kana or Hangul only. */
const CJK_WORD = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+$/u;

/** Too short to be a start: matched as a whole word only. */
export function wholeWordOnly(query: string): boolean {
  return [...query.trim()].length < MIN_PREFIX_QUERY;
}

/** A short query that earns the hint (not empty, not a CJK word). */
export function tooShortForPrefix(query: string): boolean {
  const trimmed = query.trim();
  return trimmed !== '' && wholeWordOnly(trimmed) && !CJK_WORD.test(trimmed);
}
