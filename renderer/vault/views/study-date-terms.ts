/**
 * Study dates in an Imaging search (user test H6 #2): a year ("2026"), a month ("2026-01",
 * "2026/01", "01.2026") or a range of dates ("2026-01-10..2026-01-20", open at either end, or
 * DICOM's "20260110-20260120", "20260110-", "-20260120"; a bound may be a day, month or year).
 * A full date alone is no term: the blind index finds it (its one full-date token).
 *
 * Such a term is checked against the decrypted study dates of the rows the query's other words
 * found (or of every study when it has none), never looked up in the index: the index keeps one
 * full-date token per study, so no stored token links the studies of one year or month.
 */

export interface StudyDateTerm {
  /** The term as typed. */
  readonly text: string;
  /** First and last day it covers (ISO, inclusive); '' for an open end. */
  readonly from: string;
  readonly to: string;
  /** A year or month is also a word (an accession number's part): it matches the index too. */
  readonly alsoWord: boolean;
}

interface Span {
  readonly from: string;
  readonly to: string;
}

const YEAR = /^(\d{4})$/u;
const MONTH = /^(\d{4})[-/.](0[1-9]|1[0-2])$/u;
const MONTH_DAY_FIRST = /^(0?[1-9]|1[0-2])\.(\d{4})$/u;
const DAY = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/u;
const DAY_DAY_FIRST = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/u;
const DAY_DICOM = /^(\d{4})(\d{2})(\d{2})$/u;
/** DICOM's range (PS3.5 §6.2 DA): two YYYYMMDD dates joined by a hyphen, either one left out. */
const DICOM_RANGE = /^(\d{8})?-(\d{8})?$/u;

const pad = (value: string): string => value.padStart(2, '0');

function lastDayOf(year: string, month: string): string {
  return pad(String(new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate()));
}

function day(year: string, month: string, date: string): Span | null {
  const [m, d] = [Number(month), Number(date)];
  if (m < 1 || m > 12 || d < 1 || d > Number(lastDayOf(year, month))) return null;
  const iso = `${year}-${pad(month)}-${pad(date)}`;
  return { from: iso, to: iso };
}

function monthOf(text: string): { readonly year: string; readonly month: string } | null {
  const iso = MONTH.exec(text);
  if (iso !== null) return { year: iso[1]!, month: iso[2]! };
  const dayFirst = MONTH_DAY_FIRST.exec(text);
  return dayFirst === null ? null : { year: dayFirst[2]!, month: pad(dayFirst[1]!) };
}

/** The days a written day, month or year covers, or null when it is none of them. */
function spanOf(text: string): Span | null {
  const year = YEAR.exec(text);
  if (year !== null) return { from: `${year[1]!}-01-01`, to: `${year[1]!}-12-31` };
  const month = monthOf(text);
  if (month !== null) return { from: `${month.year}-${month.month}-01`, to: `${month.year}-${month.month}-${lastDayOf(month.year, month.month)}` };
  let match = DAY.exec(text);
  if (match !== null) return day(match[1]!, match[3]!, match[4]!);
  match = DAY_DAY_FIRST.exec(text);
  if (match !== null) return day(match[3]!, match[2]!, match[1]!);
  match = DAY_DICOM.exec(text);
  if (match !== null) return day(match[1]!, match[2]!, match[3]!);
  return null;
}

/** The date term a word of the query is, or null. */
function termOf(text: string): StudyDateTerm | null {
  const dots = text.indexOf('..');
  if (dots >= 0) {
    const [start, end] = [text.slice(0, dots), text.slice(dots + 2)];
    if (start === '' && end === '') return null;
    const [first, last] = [start === '' ? { from: '', to: '' } : spanOf(start), end === '' ? { from: '', to: '' } : spanOf(end)];
    return first === null || last === null ? null : { text, from: first.from, to: last.to, alsoWord: false };
  }
  const dicom = DICOM_RANGE.exec(text);
  if (dicom !== null && text !== '-') {
    const [first, last] = [dicom[1] === undefined ? { from: '', to: '' } : spanOf(dicom[1]), dicom[2] === undefined ? { from: '', to: '' } : spanOf(dicom[2])];
    return first === null || last === null ? null : { text, from: first.from, to: last.to, alsoWord: false };
  }
  if (!YEAR.test(text) && monthOf(text) === null) return null;
  const span = spanOf(text);
  return span === null ? null : { text, ...span, alsoWord: true };
}

/**
 * The query's date terms, and the rest of it (its other words, for the blind index). The rest
 * ends with a space when the query did or its last word was a date term, so only a word still
 * being typed is looked up as a prefix.
 */
export function studyDateTerms(query: string): { readonly terms: readonly StudyDateTerm[]; readonly rest: string } {
  const words = query.split(/\s+/u).filter((word) => word !== '');
  const terms: StudyDateTerm[] = [];
  const others: string[] = [];
  let lastWasTerm = false;
  for (const word of words) {
    const term = termOf(word);
    if (term === null) others.push(word);
    else terms.push(term);
    lastWasTerm = term !== null;
  }
  const rest = others.join(' ');
  return { terms, rest: rest !== '' && (lastWasTerm || /\s$/u.test(query)) ? `${rest} ` : rest };
}

/** Whether a study date (ISO, '' when the study has none) falls in the term. */
export function dateInTerm(date: string, term: StudyDateTerm): boolean {
  return date !== '' && (term.from === '' || date >= term.from) && (term.to === '' || date <= term.to);
}
