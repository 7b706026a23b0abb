import { describe, expect, it } from 'vitest';
import { studyWords, withStudyWords } from '../../../renderer/ledger/study-accesses';

const study = (date: string, description: string, modalities: string[]) => ({ study: { date, description } as never, modalities });

describe('the study a "who accessed this record" row opened', () => {
  it('names the study by date, modalities and description, leaving out what it lacks', () => {
    expect(studyWords(study('2026-01-14', 'CT HEAD', ['CT']))).toBe('2026-01-14, CT, CT HEAD');
    expect(studyWords(study('', ' PET-CT ', ['PT', 'CT']))).toBe('PT/CT, PET-CT');
    expect(studyWords(study('', '', []))).toBe('');
  });

  it('adds the words to the rows that have them only', () => {
    const rows = [
      { seq: 3, action: 'Opened an imaging study' },
      { seq: 2, action: 'Opened an imaging study' },
      { seq: 1, action: 'Opened the patient' },
    ];
    expect(withStudyWords(rows, new Map([[3, '2026-03-02, MR, MR KNEE LEFT']])).map((row) => row.action)).toEqual(['Opened an imaging study (2026-03-02, MR, MR KNEE LEFT)', 'Opened an imaging study', 'Opened the patient']);
  });
});
