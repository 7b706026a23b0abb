import { describe, expect, it } from 'vitest';
import { compoundsMatch } from '../../../../renderer/vault/imaging/imaging-service';
import type { StudyListEntry } from '../../../../renderer/vault/vault-service';

function entry(accessionNumber: string, name: string): StudyListEntry {
  return {
    studyId: 's',
    patientId: 'p',
    study: { studyInstanceUid: '1.2.3', date: '2025-03-01', time: '', description: 'MR KNEE', accessionNumber, studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-01-15T10:00:00.000Z' },
    modalities: ['MR'],
    series: [],
    instances: 1,
    sharedWithOtherPatient: false,
    instancesWithOtherCopies: 0,
    patient: { patientId: 'p', name, birthDate: '', sex: '', identifier: 'MRN-E2E-12 (NORTHCLINIC)' },
  };
}

describe('study search: what the blind index cannot tell apart', () => {
  it('keeps a hit only when every compound of the query is in it, letter for letter (case and diacritics folded)', () => {
    // The blind index finds both for "ACC-E2E-2" (its words are acc and e2e; "2" is too short to be one).
    expect(compoundsMatch(entry('ACC-E2E-2', 'Varga, Petra'), 'acc-e2e-2')).toBe(true);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), 'ACC-E2E-2')).toBe(false);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), 'mrn-e2e-12 knee')).toBe(true);
    expect(compoundsMatch(entry('ACC-E2E-1', "O'Brien, Zoë"), "o'brien 2025-03-01")).toBe(true);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), '2025-03-02')).toBe(false);
    // Plain words are the blind index's alone: nothing here second-guesses them.
    expect(compoundsMatch(entry('ACC-E2E-1', 'Müller, Zoë'), 'muller xyz')).toBe(true);
  });
});

// Tester S35 #2: a study date typed day first with dots (as in Switzerland and Germany) is the same date.
describe('study search: day-first dates', () => {
  it('keeps a study whose date the query names day first with dots, and drops one of another date', () => {
    for (const query of ['01.03.2025', '1.3.2025', 'knee 1.3.2025', '2025/03/01']) expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), query), query).toBe(true);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), '03.01.2025')).toBe(false);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), '2.3.2025')).toBe(false);
  });
});

// User test H6 #2: a year, month or range of study dates is checked on the decrypted date by the search itself.
describe('study search: years, months and ranges', () => {
  it('leaves a date term to the search (it is no text of the entry) and still checks the other compounds', () => {
    for (const query of ['2025-02-10..2025-03-10', '20250301-20250310', '03.2025', '2025-03', 'knee ..2025-03-01', 'acc-e2e-1 2025'])
      expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), query), query).toBe(true);
    expect(compoundsMatch(entry('ACC-E2E-1', 'Varga, Petra'), 'acc-e2e-2 2025-02-10..2025-03-10')).toBe(false);
  });
});
