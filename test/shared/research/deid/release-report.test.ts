import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, ExtendedRecord } from '../../../../shared/domain/clinical';
import { generalizeQis, hierarchiesFor, QI_NAMES, type QiValues } from '../../../../shared/research/deid/generalization';
import { findGeneralization, ReleaseRefusedError, suppressionBudget, verifyRelease, type AnonymityRow } from '../../../../shared/research/deid/k-anonymity';
import { canonicalJson, releaseDataset } from '../../../../shared/research/deid/release-report';
import { applySafeHarbor, type DeidPatient, type DeidSource, type SafeHarborResult } from '../../../../shared/research/deid/safe-harbor';

const RELEASE_DATE = '2026-12-05';

/** mulberry32: a seeded generator for reproducible random populations. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A patient of the clinic: born on `birthDate`, living in ZIP `zip`, one diagnosis, labs in `years`. */
function source(i: number, birthDate: string, sex: 'F' | 'M', zip: string, diagnosis: string, years: readonly number[]): DeidSource {
  const records: (ClinicalRecord | ExtendedRecord)[] = [
    { type: 'diagnosis', code: { code: diagnosis, system: 'I10', display: diagnosis }, diagnosisType: 'F', time: `${years[0]}-02-03T04:05:06Z` },
    ...years.map((year): ClinicalRecord => ({ type: 'observation', category: 'laboratory', code: { code: '2345-7', system: 'LN', display: 'Glucose' }, value: { kind: 'numeric', value: 90 + i, unit: 'mg/dL' }, status: 'F', time: `${year}-06-07T08:09:10Z` })),
  ];
  return { patientId: `patient-${i}`, patient: { identifiers: [{ value: `MRN${i}`, authority: 'T', type: 'MR' }], name: { family: `Family${i}`, given: ['Given'] }, birthDate, sex, address: { postalCode: zip, country: 'US' } }, records };
}

/** Twelve patients of 30–34 and 60–64 in ZIP3 021, with labs in 2021 and 2023. */
function clinic(): DeidSource[] {
  return Array.from({ length: 12 }, (_, i) => source(i, `${i < 6 ? 1993 - i : 1963 - (i - 6)}-01-01`, i < 6 ? 'F' : 'M', `0213${i % 10}`, ['E11.9', 'I10', 'J45.909'][i % 3]!, [2021, 2023]));
}

describe('the release report', () => {
  it('says the profile, k and ℓ required and achieved, the levels, rows in/out/suppressed and the date', async () => {
    const safeHarbor = await applySafeHarbor(clinic(), { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
    const release = await releaseDataset(safeHarbor, { k: 6, l: 2, maxSuppression: 0 }, '2026-12-05T06:00:00.000Z');
    const { report } = release;
    expect(report).toMatchObject({
      v: 1,
      type: 'hdms.deid-release-report',
      createdAt: '2026-12-05T06:00:00.000Z',
      releaseDate: RELEASE_DATE,
      profile: 'safe-harbor',
      required: { k: 6, l: 2, maxSuppression: 0 },
      achieved: { k: 6, l: 3, classes: 2 },
      rows: { in: 12, out: 12, suppressed: 0 },
    });
    expect(report.method).toMatch(/164\.514\(b\)\(2\)/);
    // Ages 33–38 and 63–68: 10-year bands split them (30–39, 60–69); sex and the rest exact.
    expect(report.quasiIdentifiers.map((q) => `${q.name}:${q.level} ${q.meaning}`)).toEqual(['age:2 10-year bands', 'sex:0 as recorded (F, M, O other, U unknown)', 'zip3:0 3-digit ZIP', 'firstYear:0 year', 'lastYear:0 year']);
    expect(release.dataset.rows.map((r) => `${r.age} ${r.sex} ${r.zip3} ${r.firstYear}–${r.lastYear}`).sort()).toEqual([...Array.from({ length: 6 }, () => '30–39 F 021 2021–2023'), ...Array.from({ length: 6 }, () => '60–69 M 021 2021–2023')]);
    expect(report.identifiersRemoved).toMatchObject({ A: 12, B: 12, C: 12, H: 12 });
    // No Option selected: the DICOM files get the Basic Profile alone.
    expect(report.dicom).toEqual({ methods: [{ code: '113100', meaning: 'Basic Application Confidentiality Profile' }] });
    expect(release.dicomOptions).toEqual([]);
  });

  it('names the DICOM files’ Annex E Options as CID 7050 codes: those selected, and Modified Dates under the longitudinal profile', async () => {
    const safeHarbor = await releaseDataset(await applySafeHarbor(clinic(), { profile: 'safe-harbor', releaseDate: RELEASE_DATE }), { k: 6, l: 2, maxSuppression: 0 }, undefined, ['cleanDescriptors', 'retainInstitutionIdentity']);
    expect(safeHarbor.report.dicom?.methods.map((method) => method.code)).toEqual(['113100', '113105', '113112']);
    expect(safeHarbor.dicomOptions).toEqual(['cleanDescriptors', 'retainInstitutionIdentity']);
    const sources = Array.from({ length: 30 }, (_, i) => source(i, '1970-05-05', i % 2 === 0 ? 'F' : 'M', '02139', ['E11.9', 'I10', 'J45.909'][i % 3]!, [2021, 2021]));
    const longitudinal = await releaseDataset(await applySafeHarbor(sources, { profile: 'longitudinal', releaseDate: RELEASE_DATE, maxShiftDays: 10 }), { k: 5, l: 2 }, undefined, ['retainDeviceIdentity']);
    expect(longitudinal.report.dicom?.methods).toEqual([
      { code: '113100', meaning: 'Basic Application Confidentiality Profile' },
      { code: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
      { code: '113109', meaning: 'Retain Device Identity Option' },
    ]);
    expect(longitudinal.dicomOptions).toEqual(['retainLongitudinalModifiedDates', 'retainDeviceIdentity']);
  });

  it('is canonical JSON (sorted keys, no spaces) with its SHA-256 for the ledger', async () => {
    const safeHarbor = await applySafeHarbor(clinic(), { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
    const release = await releaseDataset(safeHarbor, { k: 6 }, '2026-12-05T06:00:00.000Z');
    expect(JSON.parse(release.reportJson)).toEqual(release.report);
    expect(release.reportJson).toBe(canonicalJson(JSON.parse(release.reportJson)));
    expect(release.reportJson.startsWith('{"achieved":{"classes":2,"k":6,"l":3},"createdAt":"2026-12-05T06:00:00.000Z",')).toBe(true);
    expect(release.reportSha256).toBe(createHash('sha256').update(release.reportJson, 'utf8').digest('hex'));
    expect(canonicalJson({ b: [1, 'x', null, { d: true, c: undefined }], a: 0.5 })).toBe('{"a":0.5,"b":[1,"x",null,{"d":true}]}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
  });

  it('releases record dates no finer than the event years', async () => {
    // Four patients per 5-year span of first visit: the years must become spans, and so must every record date.
    const sources = Array.from({ length: 20 }, (_, i) => source(i, '1980-01-01', 'F', '02139', ['E11.9', 'I10'][i % 2]!, [2010 + (i % 10)]));
    const release = await releaseDataset(await applySafeHarbor(sources, { profile: 'safe-harbor', releaseDate: RELEASE_DATE }), { k: 5, l: 2, maxSuppression: 0 });
    expect(release.report.quasiIdentifiers.find((q) => q.name === 'firstYear')!.level).toBe(1);
    expect(release.report.recordDates).toMatch(/^5-year span/);
    const dates = new Set(release.dataset.rows.flatMap((r) => r.records.map((rec) => rec.when)));
    expect([...dates].sort()).toEqual(['2010–2014', '2015–2019']);
  });

  it('refuses when the verifier disagrees (two rows with one pseudonym)', async () => {
    const safeHarbor = await applySafeHarbor(clinic(), { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
    const duplicated: SafeHarborResult = { ...safeHarbor, patients: safeHarbor.patients.map((p, i): DeidPatient => (i === 1 ? { ...p, pseudonym: safeHarbor.patients[0]!.pseudonym } : p)) };
    await expect(releaseDataset(duplicated, { k: 6 })).rejects.toMatchObject({ name: 'ReleaseRefusedError', constraint: 'verification', message: expect.stringMatching(/repeats a pseudonym/) });
  });

  it('refuses a population too small for k, saying so', async () => {
    const safeHarbor = await applySafeHarbor(clinic().slice(0, 4), { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
    await expect(releaseDataset(safeHarbor, { k: 5 })).rejects.toMatchObject({ constraint: 'k', best: { k: 4 } });
  });

  it('releases a longitudinal dataset with shifted dates and exact (shifted) years', async () => {
    const sources = Array.from({ length: 30 }, (_, i) => source(i, '1970-05-05', i % 2 === 0 ? 'F' : 'M', '02139', ['E11.9', 'I10', 'J45.909'][i % 3]!, [2021, 2021]));
    const release = await releaseDataset(await applySafeHarbor(sources, { profile: 'longitudinal', releaseDate: RELEASE_DATE, maxShiftDays: 10 }), { k: 5, l: 2 });
    expect(release.report.profile).toBe('longitudinal');
    expect(release.report.method).toMatch(/not Safe Harbor/);
    expect(release.report.maxShiftDays).toBe(10);
    for (const r of release.dataset.rows) for (const rec of r.records) expect(rec.when).toMatch(/^2021-0[1256]-\d{2}$/);
    expect(verifyRelease(release.dataset, { k: 5, l: 2 }).ok).toBe(true);
  });
});

/** Every node's loss by brute force (strings, no pruning): the search must find the minimum. */
function bruteForceBest(rows: readonly AnonymityRow[], k: number, l: number, maxSuppression: number): number | null {
  const h = hierarchiesFor('safe-harbor');
  const heights = QI_NAMES.map((q) => h[q].height);
  let best: number | null = null;
  const visit = (node: number[]): void => {
    if (node.length < heights.length) {
      for (let level = 0; level <= heights[node.length]!; level++) visit([...node, level]);
      return;
    }
    const levels = Object.fromEntries(QI_NAMES.map((q, i) => [q, node[i]!])) as Record<(typeof QI_NAMES)[number], number>;
    const groups = new Map<string, AnonymityRow[]>();
    for (const r of rows) {
      const key = JSON.stringify(generalizeQis(r.qi, levels, 'safe-harbor'));
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const suppressed = [...groups.values()].filter((g) => g.length < k || new Set(g.map((r) => r.sensitive)).size < l).reduce((n, g) => n + g.length, 0);
    if (suppressed > suppressionBudget(rows.length, maxSuppression)) return;
    const precision = node.reduce((sum, level, i) => sum + level / heights[i]!, 0) / heights.length;
    const loss = ((rows.length - suppressed) * precision + suppressed) / rows.length;
    if (best === null || loss < best) best = loss;
  };
  visit([]);
  return best;
}

describe('property: an accepted release always verifies', () => {
  it('for random populations, the verifier’s k and ℓ on the output meet the requirements whenever the release is accepted', async () => {
    const random = seeded(20261205);
    let accepted = 0;
    let refused = 0;
    for (let trial = 0; trial < 40; trial++) {
      const size = 20 + Math.floor(random() * 300);
      const zips = ['02139', '02140', '03601', '10001', '94110', '60614'].slice(0, 1 + Math.floor(random() * 6));
      const diagnoses = ['E11.9', 'I10', 'J45.909', 'F32.9', 'C50.911'].slice(0, 1 + Math.floor(random() * 5));
      const sources = Array.from({ length: size }, (_, i) => {
        const first = 2005 + Math.floor(random() * 20);
        return source(i, `${1926 + Math.floor(random() * 100)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 10)}`, random() < 0.5 ? 'F' : 'M', zips[Math.floor(random() * zips.length)]!, diagnoses[Math.floor(random() * diagnoses.length)]!, [first, first + Math.floor(random() * 4)]);
      });
      const requirements = { k: 5 + Math.floor(random() * 7), l: 1 + Math.floor(random() * 3), maxSuppression: Math.floor(random() * 6) / 100 };
      const safeHarbor = await applySafeHarbor(sources, { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
      try {
        const release = await releaseDataset(safeHarbor, requirements);
        accepted++;
        const verification = verifyRelease(release.dataset, requirements);
        expect(verification.ok).toBe(true);
        expect(verification.k).toBeGreaterThanOrEqual(requirements.k);
        expect(verification.l).toBeGreaterThanOrEqual(requirements.l);
        expect(verification.suppressed).toBeLessThanOrEqual(suppressionBudget(size, requirements.maxSuppression));
        expect(release.report.achieved).toEqual({ k: verification.k, l: verification.l, classes: verification.classes.length });
        // The pruned search finds the minimal loss of the whole lattice.
        if (trial % 4 === 0) {
          const rows = safeHarbor.patients.map((p) => ({ qi: p.qi as QiValues, sensitive: p.primaryDiagnosis }));
          expect(findGeneralization(rows, 'safe-harbor', requirements).loss).toBeCloseTo(bruteForceBest(rows, requirements.k, requirements.l, requirements.maxSuppression)!, 12);
        }
      } catch (error) {
        if (!(error instanceof ReleaseRefusedError)) throw error;
        refused++;
        expect(['k', 'l', 'k-and-l']).toContain(error.constraint);
        // Refused means no node of the lattice works: brute force agrees.
        const rows = safeHarbor.patients.map((p) => ({ qi: p.qi, sensitive: p.primaryDiagnosis }));
        expect(bruteForceBest(rows, requirements.k, requirements.l, requirements.maxSuppression)).toBeNull();
      }
    }
    // Both outcomes occurred, so both branches were exercised.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
  });
});
