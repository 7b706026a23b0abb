import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, ExtendedRecord } from '../../../shared/domain/clinical';
import { shiftDate, type DeidSource } from '../../../shared/research/deid/safe-harbor';
import { checkRelease } from '../../../renderer/research/dataset-release';

/**
 * The clinic's release check of a purchase (issue 15 item 3): Safe Harbor then k-anonymity and
 * ℓ-diversity on the purchased patients, the release's figures or the reason it is refused.
 */
function sources(count: number, diagnoses: readonly string[]): DeidSource[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(3, '0');
    const records: (ClinicalRecord | ExtendedRecord)[] = [
      { type: 'diagnosis', code: { code: diagnoses[i % diagnoses.length]!, system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: '2021-07-02T12:00:00Z' },
      { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 6 + i / 100, unit: '%' }, status: 'F', time: '2022-03-04T10:00:00Z' },
    ];
    return {
      patientId: `patient-${n}`,
      patient: {
        identifiers: [{ value: `MRN-${n}`, authority: 'GENERAL', type: 'MR' }],
        name: { family: `Family${n}`, given: [`Given${n}`] },
        birthDate: `${1950 + (i % 40)}-0${(i % 9) + 1}-15`,
        sex: i % 2 === 0 ? 'F' : 'M',
        address: { street: `${i} Main Street`, city: 'Springfield', postalCode: `021${String(i % 10).padStart(2, '0')}`, country: 'US' },
      },
      records,
    };
  });
}

const patients = { patientIds: [], missing: 1, withdrawn: 2 };

describe('checkRelease', () => {
  it('releases a population that reaches k and ℓ: the report hash, the rows out and suppressed, what was achieved', async () => {
    const checked = await checkRelease(sources(60, ['E11.9', 'I10', 'J45.909']), patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05');
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const { report, reportSha256 } = checked.release;
    expect(reportSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.rows.in).toBe(60);
    expect(report.rows.out + report.rows.suppressed).toBe(60);
    expect(report.rows.suppressed).toBeLessThanOrEqual(3);
    expect(report.achieved.k).toBeGreaterThanOrEqual(5);
    expect(report.achieved.l).toBeGreaterThanOrEqual(2);
    // No identifier of the source survives in the released rows.
    const released = JSON.stringify(checked.release.dataset);
    for (const planted of ['MRN-007', 'Family007', 'Main Street', 'patient-007']) expect(released).not.toContain(planted);
    expect(checked.patients).toBe(patients);
  });

  it('releases under the profile it is given: longitudinal shifts each patient’s dates by one offset (kept per released pseudonym), and the report says so', async () => {
    const checked = await checkRelease(sources(60, ['E11.9', 'I10', 'J45.909']), patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05', { profile: 'longitudinal', maxShiftDays: 30 });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const { report, dataset, dateShifts } = checked.release;
    expect(report.profile).toBe('longitudinal');
    expect(report.maxShiftDays).toBe(30);
    expect(dateShifts?.size).toBe(dataset.rows.length);
    for (const row of dataset.rows) {
      const shift = dateShifts!.get(row.pseudonym)!;
      expect(Math.abs(shift)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(shift)).toBeLessThanOrEqual(30);
      // Both records move by the patient's offset: the diagnosis and the lab keep their interval.
      expect(row.records.map((record) => record.when)).toEqual([shiftDate('2021-07-02', shift), shiftDate('2022-03-04', shift)]);
    }
    // The default stays Safe Harbor: years only, no shifts kept.
    const plain = await checkRelease(sources(60, ['E11.9', 'I10', 'J45.909']), patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05');
    expect(plain.ok && plain.release.report.profile).toBe('safe-harbor');
    expect(plain.ok && plain.release.dateShifts).toBeUndefined();
  });

  it('refuses, with the reason, what cannot reach k (four records) or ℓ (one diagnosis), and an empty purchase', async () => {
    const few = await checkRelease(sources(4, ['E11.9', 'I10']), patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05');
    expect(few.ok).toBe(false);
    expect(!few.ok && few.reason).toMatch(/k/);
    const uniform = await checkRelease(sources(40, ['E11.9']), patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05');
    expect(uniform.ok).toBe(false);
    expect(!uniform.ok && uniform.reason).toMatch(/ℓ|l-diversity|diagnos/i);
    const none = await checkRelease([], patients, { k: 5, l: 2, maxSuppression: 0.05 }, '2026-12-05');
    expect(none).toEqual({ ok: false, reason: expect.stringMatching(/erased or withdrew/) as string, patients });
  });
});
