import { describe, expect, it, vi } from 'vitest';
import { CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE, instanceElements, part10File, type Element, type InstanceFields } from '../../../electron/intake/dicom/dicom-test-support';
import { has, parse, text, US_IMAGE_STORAGE } from '../../dicom/deid/deid-test-support';
import type { ReleasedRow } from '../../../../shared/research/deid/k-anonymity';
import { dicomPackageFiles, releasedStudyYear, type ReleaseDicomInstance } from '../../../../shared/research/package/dicom-files';
import { imagingStudiesFrom } from '../../../../shared/research/package/fhir-r4';
import { applySafeHarbor, shiftDate, type DeidSource } from '../../../../shared/research/deid/safe-harbor';
import { releaseDataset } from '../../../../shared/research/deid/release-report';

/**
 * The DICOM part of a release package (issue 15 item 4): the released patients' instances,
 * de-identified under Annex E with one UID remapping per release, PatientID/Name the release's
 * pseudonym, private attributes gone, (0012,0062)/(0012,0063) set; burned-in and undeclared
 * high-risk instances left out and counted; patients the release does not hold never read.
 */
const STUDY = '1.2.826.0.1.3680043.10.999.200';
const SERIES_1 = `${STUDY}.1`;
const SERIES_2 = `${STUDY}.2`;

const row = (pseudonym: string, firstYear = '2020', lastYear = '2024'): ReleasedRow => ({ pseudonym, age: '45–49', sex: 'F', zip3: '021', firstYear, lastYear, primaryDiagnosis: 'I10:E11.9', records: [] });

function file(fields: Partial<InstanceFields> & { sopInstanceUid: string }, extra: readonly Element[] = []): Uint8Array {
  return part10File([
    ...instanceElements({ studyInstanceUid: STUDY, seriesInstanceUid: SERIES_1, patientId: 'MRN-4711', patientName: 'DOE^JANE', birthDate: '19770312', sex: 'F', studyDate: '20220114', accession: 'ACC-99817', ...fields }),
    [0x00090010, 'LO', 'ACME PRIVATE'],
    [0x00091001, 'LO', 'PRIVATE SECRET 0815'],
    ...extra,
  ]);
}

function instance(patientId: string, bytes: Uint8Array, modality = 'CT', studyDate = '2022-01-14'): ReleaseDicomInstance & { read: ReturnType<typeof vi.fn> } {
  return { patientId, studyDate, modality, read: vi.fn(() => Promise.resolve(bytes)) };
}

async function collect(files: AsyncIterable<{ path: string; data: unknown }>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const entry of files) out.set(entry.path, entry.data as Uint8Array);
  return out;
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('dicomPackageFiles', () => {
  it('de-identifies the released patients’ instances under one UID remapping, with the pseudonym as PatientID and PatientName', async () => {
    const a1 = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.1` }));
    const a2 = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.2` }));
    const a3 = instance('patient-a', file({ sopInstanceUid: `${SERIES_2}.1`, seriesInstanceUid: SERIES_2 }));
    const suppressed = instance('patient-s', file({ sopInstanceUid: '1.2.3.4.5.6' }));
    const dicom = dicomPackageFiles([a1, suppressed, a2, a3], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0 });
    const files = await collect(dicom.files);

    expect(files.size).toBe(3);
    expect(suppressed.read).not.toHaveBeenCalled();
    const paths = [...files.keys()];
    for (const path of paths) expect(path).toMatch(/^dicom\/2\.25\.\d+\/2\.25\.\d+\/2\.25\.\d+\.dcm$/);
    // One study, two series: the remapping is consistent within the release.
    expect(new Set(paths.map((path) => path.split('/')[1])).size).toBe(1);
    expect(new Set(paths.map((path) => path.split('/')[2])).size).toBe(2);
    for (const [path, bytes] of files) {
      const parsed = parse(bytes);
      expect(text(parsed, 0x00100020)).toBe('PSEUDO-A1B2');
      expect(text(parsed, 0x00100010)).toBe('PSEUDO-A1B2');
      expect(text(parsed, 0x00120062)).toBe('YES');
      expect(text(parsed, 0x00120063)).toMatch(/Basic Application Confidentiality Profile/);
      expect(has(parsed, 0x00091001)).toBe(false);
      expect(has(parsed, 0x00090010)).toBe(false);
      expect(text(parsed, 0x0020000d)).toBe(path.split('/')[1]);
      expect(`${text(parsed, 0x00080018)!}.dcm`).toBe(path.split('/')[3]);
      // Dates: none left (the Basic Profile without the longitudinal Options; the year goes in ImagingStudy only).
      expect(text(parsed, 0x00080020) ?? '').toBe('');
      expect(text(parsed, 0x00100030) ?? '').toBe('');
      const all = latin1(bytes);
      for (const original of ['MRN-4711', 'DOE', 'JANE', 'ACC-99817', 'PRIVATE SECRET', '19770312', '20220114', STUDY, SERIES_1, SERIES_2]) expect(all).not.toContain(original);
    }
    expect(dicom.tally()).toMatchObject({ released: 3, excluded: {} });
    expect(dicom.counts()).toEqual({ dicom: 3, dicomExcluded: 0 });
    const studies = imagingStudiesFrom(dicom.released());
    expect(studies).toHaveLength(1);
    expect(studies[0]).toMatchObject({ pseudonym: 'PSEUDO-A1B2', started: '2022', studyInstanceUid: paths[0]!.split('/')[1] });
    expect(studies[0]!.series.map((s) => s.numberOfInstances).sort()).toEqual([1, 2]);
  });

  it('leaves out and counts burned-in annotation, undeclared ultrasound and secondary capture, and unreadable instances; keeps SC declaring no burned-in text', async () => {
    const burned = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.10` }, [[0x00280301, 'CS', 'YES']]));
    const us = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.11`, sopClassUid: US_IMAGE_STORAGE, modality: 'US' }), 'US');
    const sc = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.12`, sopClassUid: SECONDARY_CAPTURE_STORAGE, modality: 'OT' }), 'OT');
    const scDeclared = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.13`, sopClassUid: SECONDARY_CAPTURE_STORAGE, modality: 'OT' }, [[0x00280301, 'CS', 'NO']]), 'OT');
    const garbage = instance('patient-a', new TextEncoder().encode('not dicom at all'));
    const failing: ReleaseDicomInstance = { patientId: 'patient-a', studyDate: '', modality: 'CT', read: () => Promise.reject(new Error('object gone')) };
    const ct = instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.14`, sopClassUid: CT_IMAGE_STORAGE }));
    const dicom = dicomPackageFiles([burned, us, sc, scDeclared, garbage, failing, ct], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0 });
    const files = await collect(dicom.files);
    expect(files.size).toBe(2);
    expect(dicom.tally().excluded).toEqual({ 'burned-in-annotation': 1, 'high-risk-undeclared': 2, unreadable: 2 });
    expect(dicom.counts()).toEqual({ dicom: 2, dicomExcluded: 5, 'dicomExcluded:burned-in-annotation': 1, 'dicomExcluded:high-risk-undeclared': 2, 'dicomExcluded:unreadable': 2 });
  });

  it('applies the Annex E Options the release names: Retain Institution Identity keeps the institution, Clean Descriptors keeps a description without the patient’s name; (0012,0064) names them', async () => {
    const extra: Element[] = [
      [0x00080080, 'LO', 'LAKESIDE GENERAL'],
      [0x00081030, 'LO', 'CT HEAD FOR DOE'],
    ];
    const basic = dicomPackageFiles([instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.20` }, extra))], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0 });
    const [plain] = [...(await collect(basic.files)).values()];
    expect(latin1(plain!)).not.toContain('LAKESIDE');
    expect(latin1(plain!)).not.toContain('CT HEAD');

    const withOptions = dicomPackageFiles([instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.20` }, extra))], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0, options: ['cleanDescriptors', 'retainInstitutionIdentity'] });
    const [kept] = [...(await collect(withOptions.files)).values()];
    const parsed = parse(kept!);
    expect(text(parsed, 0x00080080)).toBe('LAKESIDE GENERAL');
    expect(text(parsed, 0x00081030)).toMatch(/^CT HEAD FOR/);
    expect(latin1(kept!)).not.toContain('DOE');
    expect(text(parsed, 0x00120063)).toMatch(/Clean Descriptors Option.*Retain Institution Identity Option/);
    // The dates Option is the profile's: named without date shifts, it is not applied.
    const noShift = dicomPackageFiles([instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.20` }))], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0, options: ['retainLongitudinalModifiedDates'] });
    const [undated] = [...(await collect(noShift.files)).values()];
    expect(text(parse(undated!), 0x00080020) ?? '').toBe('');
    expect(text(parse(undated!), 0x00120063)).not.toMatch(/Modified Dates/);
  });

  it('holds one instance at a time: the next is read only once the previous file was taken', async () => {
    const reads: string[] = [];
    const lazy = (n: number): ReleaseDicomInstance => ({ patientId: 'patient-a', studyDate: '2022-01-14', modality: 'CT', read: () => (reads.push(`read ${n}`), Promise.resolve(file({ sopInstanceUid: `${SERIES_1}.${n}` }))) });
    const dicom = dicomPackageFiles([lazy(1), lazy(2), lazy(3)], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: 0 });
    for await (const entry of dicom.files) reads.push(`took ${entry.path.split('/')[3]!.slice(-8)}`);
    expect(reads.map((entry) => entry.split(' ')[0])).toEqual(['read', 'took', 'read', 'took', 'read', 'took']);
  });
});

describe('releasedStudyYear', () => {
  it('releases the study year at the record-date level, only within the patient’s released event years', () => {
    expect(releasedStudyYear(row('P'), '2022-01-14', 0)).toBe('2022');
    expect(releasedStudyYear(row('P', '2020–2024', '2020–2024'), '2022-01-14', 1)).toBe('2020–2024');
    expect(releasedStudyYear(row('P', '2020', '2021'), '2022-01-14', 0)).toBeUndefined();
    expect(releasedStudyYear(row('P', '*', '*'), '2022-01-14', 3)).toBeUndefined();
    expect(releasedStudyYear(row('P'), '', 0)).toBeUndefined();
    expect(releasedStudyYear(row('P'), '2022-01-14', null)).toBeUndefined();
  });
});

describe('the longitudinal profile: one offset per patient in the records and the DICOM files', () => {
  function population(): DeidSource[] {
    return Array.from({ length: 12 }, (_, i) => ({
      patientId: `patient-${i}`,
      patient: { identifiers: [{ value: `MRN-${i}`, authority: 'GENERAL', type: 'MR' }], name: { family: `Family${i}`, given: ['Given'] }, birthDate: '1970-05-05', sex: 'F', address: { postalCode: '02139', country: 'US' } },
      records: [
        { type: 'diagnosis', code: { code: i % 2 === 0 ? 'E11.9' : 'I10', system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: '2022-06-15T09:00:00Z' },
        { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 6 + i / 10, unit: '%' }, status: 'F', time: '2022-07-01T10:00:00Z' },
      ],
    }));
  }

  it('shifts each patient’s study dates by the offset their records moved by (Modified Dates Option, 113107); ImagingStudy starts on the shifted date', async () => {
    const safeHarbor = await applySafeHarbor(population(), { profile: 'longitudinal', releaseDate: '2026-12-05', maxShiftDays: 90 });
    const release = await releaseDataset(safeHarbor, { k: 5, l: 2, maxSuppression: 0.05 });
    expect(release.report.profile).toBe('longitudinal');
    expect(release.dateShifts?.size).toBe(release.dataset.rows.length);
    const instances = population().map((source, i) => instance(source.patientId, file({ sopInstanceUid: `${STUDY}.${i + 10}.1`, studyInstanceUid: `${STUDY}.${i + 10}`, seriesInstanceUid: `${STUDY}.${i + 10}.1`, studyDate: '20220615' }, [[0x00080021, 'DA', '20220615'], [0x0008002a, 'DT', '20220615093000']]), 'CT', '2022-06-15'));
    const dicom = dicomPackageFiles(instances, { rows: release.dataset.rows, pseudonymMap: release.pseudonymMap, dateLevel: null, ...(release.dateShifts === undefined ? {} : { dateShifts: release.dateShifts }) });
    const files = await collect(dicom.files);
    expect(files.size).toBe(release.dataset.rows.length);
    const studyOf = new Map(imagingStudiesFrom(dicom.released()).map((study) => [study.pseudonym, study]));
    const offsets = new Set<number>();
    for (const bytes of files.values()) {
      const parsed = parse(bytes);
      const pseudonym = text(parsed, 0x00100020)!;
      const row = release.dataset.rows.find((candidate) => candidate.pseudonym === pseudonym)!;
      // The diagnosis was dated 2022-06-15 like the study (mid-year: ±90 days keep every event year 2022, so k holds): the same shifted day in the records and the file.
      const diagnosisDay = row.records.find((record) => record.type === 'diagnosis')!.when!;
      expect(diagnosisDay).not.toBe('2022-06-15');
      expect(text(parsed, 0x00080020)).toBe(diagnosisDay.replaceAll('-', ''));
      expect(text(parsed, 0x00080021)).toBe(diagnosisDay.replaceAll('-', ''));
      expect(text(parsed, 0x0008002a)).toBe(`${diagnosisDay.replaceAll('-', '')}093000`);
      expect(text(parsed, 0x00080030)).toBe(text(parse(file({ sopInstanceUid: '1.2' })), 0x00080030)); // Study Time kept
      expect(text(parsed, 0x00280303)).toBe('MODIFIED');
      expect(parsed.elements.x00120064!.items!.map((entry) => text(entry.dataSet!, 0x00080100))).toContain('113107');
      expect(studyOf.get(pseudonym)?.started).toBe(diagnosisDay);
      const shift = release.dateShifts!.get(pseudonym)!;
      expect(Math.abs(shift)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(shift)).toBeLessThanOrEqual(90);
      expect(shiftDate('2022-06-15', shift)).toBe(diagnosisDay);
      offsets.add(shift);
    }
    // One offset per patient, not one for the release.
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('a released patient without a shift has no instance released, counted as no-date-shift', async () => {
    const dicom = dicomPackageFiles([instance('patient-a', file({ sopInstanceUid: `${SERIES_1}.1` }))], { rows: [row('PSEUDO-A1B2')], pseudonymMap: new Map([['PSEUDO-A1B2', 'patient-a']]), dateLevel: null, dateShifts: new Map() });
    expect((await collect(dicom.files)).size).toBe(0);
    expect(dicom.counts()).toEqual({ dicom: 0, dicomExcluded: 1, 'dicomExcluded:no-date-shift': 1 });
  });
});
