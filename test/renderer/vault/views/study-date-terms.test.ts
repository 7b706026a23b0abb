import { describe, expect, it } from 'vitest';
import { dateInTerm, studyDateTerms } from '../../../../renderer/vault/views/study-date-terms';

const spans = (query: string) => studyDateTerms(query).terms.map((term) => [term.from, term.to, term.alsoWord]);

describe('study date terms (user test H6 #2)', () => {
  it('reads a year, a month and ranges of days, months or years, open at either end', () => {
    expect(spans('2026')).toEqual([['2026-01-01', '2026-12-31', true]]);
    expect(spans('2024-02')).toEqual([['2024-02-01', '2024-02-29', true]]);
    expect(spans('2.2025')).toEqual([['2025-02-01', '2025-02-28', true]]);
    expect(spans('2026-01-10..2026-01-20')).toEqual([['2026-01-10', '2026-01-20', false]]);
    expect(spans('10.1.2026..2026/01')).toEqual([['2026-01-10', '2026-01-31', false]]);
    expect(spans('2025..2026-03')).toEqual([['2025-01-01', '2026-03-31', false]]);
    expect(spans('20260110-20260120')).toEqual([['2026-01-10', '2026-01-20', false]]);
    expect(spans('20260110-')).toEqual([['2026-01-10', '', false]]);
    expect(spans('..2026-01-20')).toEqual([['', '2026-01-20', false]]);
  });

  it('leaves full dates, impossible dates, codes and other words to the blind index, and keeps them in the rest', () => {
    for (const query of ['2026-01-14', '14.01.2026', '20260114', '2026-13', '2345-7', '2026-02-30..2026-03-01', '20261301-20261302', '..', '-', 'ACC-2026', '12345', 'knee']) {
      expect(studyDateTerms(query), query).toEqual({ terms: [], rest: query });
    }
  });

  it('gives the other words as the rest, ending with a space when the last word was a date term or the query ended so', () => {
    expect(studyDateTerms('novak 2026-01').rest).toBe('novak ');
    expect(studyDateTerms('2026-01 nov').rest).toBe('nov');
    expect(studyDateTerms('2026-01 novak ').rest).toBe('novak ');
    expect(studyDateTerms('2026').rest).toBe('');
  });

  it('holds a study date when it falls within the term; an undated study falls in none', () => {
    const [term] = studyDateTerms('2026-01-10..').terms;
    expect(['2026-01-09', '2026-01-10', '2027-05-01', ''].map((date) => dateInTerm(date, term!))).toEqual([false, true, true, false]);
  });
});
