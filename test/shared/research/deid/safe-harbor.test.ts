import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, ExtendedRecord, Patient } from '../../../../shared/domain/clinical';
import type { DeviceInfo, DeviceReading } from '../../../../shared/journal/device-meta';
import { releaseDataset } from '../../../../shared/research/deid/release-report';
import { applySafeHarbor, primaryDiagnosis, RESTRICTED_ZIP3, SAFE_HARBOR_IDENTIFIERS, shiftDate, zip3Of, type DeidSource, type SafeHarborOptions } from '../../../../shared/research/deid/safe-harbor';

const RELEASE_DATE = '2026-12-05';
const SAFE_HARBOR: SafeHarborOptions = { profile: 'safe-harbor', releaseDate: RELEASE_DATE };

/** Jane Roe, with every identifier the clinic's records can hold (each one a distinct, searchable value). */
function jane(overrides: Partial<Patient> = {}, records?: readonly (ClinicalRecord | ExtendedRecord)[]): DeidSource {
  const device: DeviceInfo = { systemId: '00a1b2c3d4e5f607', devConfigId: 1, manufacturer: 'Acme', model: 'BP-9', serialNumber: 'SN-778899' };
  const reading: DeviceReading = { code: 0x4a05, kind: 'systolic', personId: 3, status: 'value', value: 131, unit: 'mm[Hg]', normalizedValue: 131, normalizedUnit: 'mm[Hg]', deviceTime: '2023-05-06T07:08:09', time: '2023-05-06T07:08:09Z', flags: [], quality: 1, dedupeKey: 'f'.repeat(64) };
  return {
    patientId: 'internal-patient-0001',
    patient: {
      identifiers: [
        { value: 'MRN-4711', authority: 'GENERAL', type: 'MR' },
        { value: '123-45-6789', authority: 'SSA', type: 'SS' },
        { value: 'HPB-998877', authority: 'ACMEHEALTH', type: 'MB' },
        { value: 'ACCT-556677', authority: 'GENERAL', type: 'AN' },
        { value: 'DL-D1234567', authority: 'MA-RMV', type: 'DL' },
      ],
      name: { family: 'Roe', given: ['Jane', 'Quinby'] },
      birthDate: '1961-07-14',
      sex: 'F',
      address: { street: '12 Elm Street', city: 'Cambridge', postalCode: '02139', country: 'US' },
      phones: ['+1 617 555 0142', 'fax +1 617 555 0199'],
      ...overrides,
    },
    records: records ?? [
      { type: 'visit', patientClass: 'I', location: 'Ward 7 bed 3', attendingDoctor: 'Dr Alan Smithee', reason: 'fell at home on Elm Street, came in car plate 7ABC123', start: '2021-03-04T10:11:12-05:00', end: '2021-03-09T08:00:00-05:00' },
      { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 7.1, unit: '%' }, referenceRange: '4.0-5.6', status: 'F', time: '2021-03-05T08:00:00-05:00', orderId: 'ORD-31337', subId: '1.2.3', comments: ['Drawn by J. Roe herself, call jane@example.org, portal login from 203.0.113.7'] },
      { type: 'observation', category: 'laboratory', code: { code: '8251-1', system: 'LN', display: 'Service comment' }, value: { kind: 'text', value: 'Patient Jane Roe lives at 12 Elm Street' }, valueType: 'TX', status: 'F', time: '2021-03-05T08:00:00-05:00' },
      { type: 'observation', category: 'laboratory', code: { code: 'XRAY', system: 'LOCAL', display: 'Roe family screening panel' }, value: { kind: 'coded', value: { code: 'POS', system: 'LOCAL', display: 'positive (Roe)' } }, status: 'F', time: '2022-01-01T00:00:00Z', valueDetail: { kind: 'reference', pointer: 'https://pacs.example.org/viewer?patient=MRN-4711' } },
      { type: 'observation', category: 'laboratory', code: { code: '18748-4', system: 'LN', display: 'Diagnostic imaging study' }, value: { kind: 'numeric', value: 1 }, status: 'F', time: '2022-02-02T00:00:00Z', valueDetail: { kind: 'encapsulated', mediaType: 'image/jpeg', encoding: 'Base64', bytes: 42_000 } },
      { type: 'observation', category: 'vital-signs', code: { code: '8480-6', system: 'LN', display: 'Systolic blood pressure' }, value: { kind: 'numeric', value: 120, unit: 'mm[Hg]' }, referenceRange: 'ask Dr Smithee', status: 'F', time: '2022-02-02T00:00:00Z' },
      { type: 'report', kind: 'document', code: { code: '11506-3', system: 'LN', display: 'Progress note' }, status: 'AU', time: '2021-03-06T09:00:00-05:00', placerOrderId: 'PLC-2020', fillerOrderId: 'FIL-3030', documentId: 'DOC-4040', author: 'Dr Alan Smithee', text: 'Jane Roe, born 1961-07-14, seen today.', observationCount: 2, comments: ['phoned 617 555 0142'] },
      { type: 'order', control: 'NW', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, placerOrderId: 'PLC-5050', fillerOrderId: 'FIL-6060', status: 'CM', priority: 'R', orderingProvider: 'Dr Alan Smithee', time: '2021-03-04T12:00:00-05:00' },
      { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, allergenType: 'DA', severity: 'SV', reactions: ['hives after the Roe wedding'], identified: '2019-08-20' },
      { type: 'diagnosis', code: { code: 'E11.9', system: 'I10', display: 'Type 2 diabetes mellitus without complications' }, diagnosisType: 'F', time: '2021-03-05T00:00:00Z' },
      { type: 'immunization', vaccine: { code: '140', system: 'CVX', display: 'Influenza, seasonal' }, time: '2020-10-01T09:00:00Z', amount: 0.5, unit: 'mL', lotNumbers: ['LOT-A1B2C3'], manufacturer: 'Vaccines Inc.', completionStatus: 'CP' },
      { type: 'merge', survivor: [{ value: 'MRN-4711', authority: 'GENERAL', type: 'MR' }], merged: [{ value: 'MRN-0815', authority: 'GENERAL', type: 'MR' }] },
    ],
    deviceReadings: [{ device, reading }],
  };
}

async function released(source: DeidSource = jane(), options: SafeHarborOptions = SAFE_HARBOR) {
  const result = await applySafeHarbor([source], options);
  return { result, patient: result.patients[0]!, json: JSON.stringify(result.patients) };
}

describe('HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)', () => {
  it('lists the 18 identifier kinds, (A) to (R)', () => {
    expect(SAFE_HARBOR_IDENTIFIERS.map((i) => i.item).join('')).toBe('ABCDEFGHIJKLMNOPQR');
  });

  it('(A) removes names: the patient, attending, author and ordering provider', async () => {
    const { json } = await released();
    for (const name of ['Roe', 'Jane', 'Quinby', 'Smithee']) expect(json).not.toContain(name);
  });

  it('(B) removes the street, city and visit location, and cuts the ZIP to 3 digits', async () => {
    const { json, patient } = await released();
    for (const place of ['Elm', 'Cambridge', 'Ward 7', '02139']) expect(json).not.toContain(place);
    expect(patient.qi.zip3).toBe('021');
  });

  it('(B) releases a restricted 3-digit ZIP area as 000, and ZIP+4 by its first 3 digits', async () => {
    const { patient } = await released(jane({ address: { postalCode: '03601', country: 'US' } }));
    expect(patient.qi.zip3).toBe('000');
    expect(RESTRICTED_ZIP3.size).toBe(17);
    for (const zip3 of RESTRICTED_ZIP3) expect(zip3Of(`${zip3}42`, undefined)).toBe('000');
    expect(zip3Of('90210-1234', 'USA')).toBe('902');
    expect(zip3Of('037', 'US')).toBeNull();
    // A non-US postal code is a subdivision smaller than a state with no 3-digit rule: removed.
    expect(zip3Of('10115', 'DEU')).toBeNull();
  });

  it('(C) reduces every date to its year and removes the birth date (the age is kept)', async () => {
    const { json, patient } = await released();
    expect(json).not.toMatch(/\d{4}-\d{2}/);
    expect(json).not.toContain('1961');
    expect(patient.qi.age).toBe(65);
    expect(patient.records.map((r) => ('when' in r ? r.when : undefined))).toEqual(['2021', '2021', '2022', '2022', '2022', '2021', '2021', '2019', '2021', '2020', '2023']);
    expect(patient.qi).toMatchObject({ firstYear: 2019, lastYear: 2023 });
  });

  // QA explore-11 D19: birth dates sent to the month or the year are kept; the release still has the age only.
  it('(C) a birth date known to the month or the year gives an age, never the date; one that may be 90 is 90+', async () => {
    const { patient: month, json, result } = await released(jane({ birthDate: '1961-07' }));
    expect(month.qi.age).toBe(65);
    expect(json).not.toContain('1961');
    expect(result.removed.C).toBe(1);
    // Born some day in 1936: 89 or 90 on 2026-12-05, so released as 90+.
    expect((await released(jane({ birthDate: '1936' }))).patient.qi.age).toBe(90);
    expect((await released(jane({ birthDate: '1937' }))).patient.qi.age).toBe(88);
  });

  it('(C) makes ages over 89 one category, 90+, with no birth year', async () => {
    // 90 on the release date, and one day short of it.
    const { patient: old, json } = await released(jane({ birthDate: '1936-12-05' }));
    const { patient: younger } = await released(jane({ birthDate: '1936-12-06' }));
    expect(old.qi.age).toBe(90);
    expect(younger.qi.age).toBe(89);
    expect(json).not.toContain('1936');
    const { patient: older } = await released(jane({ birthDate: '1920-01-01' }));
    expect(older.qi.age).toBe(90);
    // Released with k = 5: eight 90+ patients of 94 to 106 read "90+".
    const population = Array.from({ length: 8 }, (_, i) => ({ ...jane({ birthDate: `${1920 + i}-01-01` }), patientId: `p${i}` }));
    const withDiagnoses = population.map((p, i) => ({ ...p, records: [...p.records.filter((r) => r.type !== 'diagnosis'), { type: 'diagnosis' as const, code: { code: i % 2 === 0 ? 'I10' : 'E11.9', system: 'I10', display: 'x' }, diagnosisType: 'F' }] }));
    const release = await releaseDataset(await applySafeHarbor(withDiagnoses, SAFE_HARBOR), { k: 5, l: 2, maxSuppression: 0 });
    expect(release.dataset.rows.map((r) => r.age)).toEqual(Array.from({ length: 8 }, () => '90+'));
  });

  it('(C) longitudinal profile: one shift per patient, a different one for another patient, never 0', async () => {
    const secret = new Uint8Array(32).fill(7);
    const patients = Array.from({ length: 12 }, (_, i) => ({ ...jane(), patientId: `internal-${i}` }));
    const result = await applySafeHarbor(patients, { profile: 'longitudinal', releaseDate: RELEASE_DATE, maxShiftDays: 30, releaseSecret: secret });
    const shifts = result.patients.map((patient) => {
      const visit = patient.records.find((r) => r.type === 'visit')!;
      const lab = patient.records.find((r) => r.type === 'observation')!;
      const days = (shifted: string, original: string) => (Date.parse(shifted) - Date.parse(original)) / 86_400_000;
      const shift = days(visit.when, '2021-03-04');
      // Every date of the patient moves by the same number of days: intervals survive.
      expect(days(visit.type === 'visit' ? visit.endWhen! : '', '2021-03-09')).toBe(shift);
      expect(days(lab.when, '2021-03-05')).toBe(shift);
      expect(Math.abs(shift)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(shift)).toBeLessThanOrEqual(30);
      expect(visit.when).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      return shift;
    });
    expect(new Set(shifts).size).toBeGreaterThan(1);
    // Same secret, same shifts (reproducible); another secret (another release), other shifts.
    const again = await applySafeHarbor(patients, { profile: 'longitudinal', releaseDate: RELEASE_DATE, maxShiftDays: 30, releaseSecret: secret });
    expect(again.patients.map((p) => p.records[0]!.when)).toEqual(result.patients.map((p) => p.records[0]!.when));
    const other = await applySafeHarbor(patients, { profile: 'longitudinal', releaseDate: RELEASE_DATE, maxShiftDays: 30, releaseSecret: new Uint8Array(32).fill(8) });
    expect(other.patients.map((p) => p.records[0]!.when)).not.toEqual(result.patients.map((p) => p.records[0]!.when));
    expect(shiftDate('2024-02-28T23:00:00-05:00', 2)).toBe('2024-03-01');
  });

  it('shifts calendar dates exactly as the Date arithmetic does (leap years, month and year ends)', () => {
    expect(shiftDate('2023-12-31', 1)).toBe('2024-01-01');
    expect(shiftDate('2000-03-01', -1)).toBe('2000-02-29');
    expect(shiftDate('1900-03-01', -1)).toBe('1900-02-28');
    for (let day = 0; day < 3000; day += 7) {
      const date = new Date(Date.UTC(1899, 0, 1 + day * 17)).toISOString().slice(0, 10);
      for (const shift of [-366, -182, -31, -1, 1, 29, 182, 400]) {
        expect(shiftDate(`${date}T12:00:00+02:00`, shift)).toBe(new Date(Date.parse(`${date}T00:00:00Z`) + shift * 86_400_000).toISOString().slice(0, 10));
      }
    }
  });

  it('counts what it removed under each item, identifiers by their HL7 type', async () => {
    const { result } = await released();
    // Names: patient, attending, author, ordering provider (A). MR and the merge's two MRNs (H); SS (G); MB (I); AN (J); DL (K).
    expect(result.removed).toMatchObject({ A: 4, B: 2, C: 1, D: 2, G: 1, H: 3, I: 1, J: 1, K: 1, M: 1, N: 1, P: 1 });
  });

  it('(C) an invalid birth date kept as sent (PID-7 1945XX17) is removed, counted, and gives no age', async () => {
    const { json, result, patient } = await released(jane({ birthDate: undefined, birthDateSent: '1945XX17' }));
    expect(json).not.toContain('1945XX17');
    expect(result.removed.C).toBe(1);
    expect(patient.qi.age).toBeNull();
  });

  it('(D)(E) removes phone and fax numbers', async () => {
    const { json } = await released();
    expect(json).not.toContain('555');
  });

  it('(D) removes business phones (PID-14, kept apart since QA explore-11 D13) and counts them', async () => {
    const { json, result } = await released(jane({ businessPhones: ['+1 617 444 0100'] }));
    expect(json).not.toContain('444');
    expect(result.removed.D).toBe(3);
  });

  it('(F) drops free text where e-mail addresses appear', async () => {
    const { json } = await released();
    expect(json).not.toContain('@');
  });

  it.each([
    ['G', 'social security number', '123-45-6789'],
    ['H', 'medical record numbers (also those of a merge)', 'MRN-'],
    ['I', 'health plan beneficiary number', 'HPB-998877'],
    ['J', 'account number', 'ACCT-556677'],
    ['K', 'certificate/license number', 'DL-D1234567'],
    ['L', 'vehicle plate (in free text)', '7ABC123'],
    ['M', 'device system id and serial number', '00a1b2c3d4e5f607'],
    ['M', 'device serial number', 'SN-778899'],
    ['M', 'reading dedupe key (a hash of the device id)', 'ffffffff'],
    ['N', 'URL', 'https://'],
    ['O', 'IP address (in free text)', '203.0.113.7'],
    ['R', 'order number', 'ORD-31337'],
    ['R', 'placer and filler numbers', 'PLC-'],
    ['R', 'document number', 'DOC-4040'],
    ['R', 'vaccine lot number', 'LOT-A1B2C3'],
  ])('(%s) removes the %s', async (_item, _kind, value) => {
    const { json } = await released();
    expect(json).not.toContain(value);
  });

  it('(M)(P)(Q) keeps a device reading as a measurement only, and no encapsulated data', async () => {
    const { patient, json } = await released();
    expect(patient.records.find((r) => r.type === 'device-reading')).toEqual({ type: 'device-reading', kind: 'systolic', mdcCode: 0x4a05, status: 'value', value: 131, unit: 'mm[Hg]', flags: [], quality: 1, when: '2023' });
    expect(json).not.toMatch(/image\/jpeg|Base64|personId|BP-9|Acme/);
  });

  it('drops free text by default: TX values, notes (NTE), report text, reasons, reactions, worded ranges', async () => {
    const { patient, json, result } = await released();
    for (const text of ['lives at', 'Drawn by', 'seen today', 'fell at home', 'hives', 'ask Dr', 'Vaccines Inc']) expect(json).not.toContain(text);
    expect(patient.records.some((r) => r.type === 'observation' && r.code.code === '8251-1')).toBe(false);
    expect(patient.records.find((r) => r.type === 'observation' && r.code.code === '4548-4')).toMatchObject({ referenceRange: '4.0-5.6', value: { kind: 'numeric', value: 7.1, unit: '%' } });
    // Reason, NTE, TX value, worded range, report text and its NTE, reactions, manufacturer.
    expect(result.removed.freeText).toBe(8);
  });

  it('keeps only the code of a free-text observation under the coded-only option', async () => {
    const { patient, json } = await released(jane(), { ...SAFE_HARBOR, textObservations: 'coded-only' });
    expect(patient.records.find((r) => r.type === 'observation' && r.code.code === '8251-1')).toMatchObject({ value: null, when: '2021', valueType: 'TX' });
    expect(json).not.toContain('lives at');
  });

  it('keeps the display of standard codes only (a local code display is the sender’s words)', async () => {
    const { patient } = await released();
    expect(patient.records.find((r) => r.type === 'observation' && r.code.system === 'LOCAL')).toMatchObject({ code: { code: 'XRAY', system: 'LOCAL' }, value: { kind: 'coded', value: { code: 'POS', system: 'LOCAL' } } });
    expect(JSON.stringify(patient.records)).not.toContain('(Roe)');
    expect(patient.records.find((r) => r.type === 'diagnosis')).toEqual({ type: 'diagnosis', code: { code: 'E11.9', system: 'I10', display: 'Type 2 diabetes mellitus without complications' }, diagnosisType: 'F', when: '2021' });
  });

  it('draws random pseudonyms: consistent within a release, new in every release, unrelated to the MRN', async () => {
    const sources = Array.from({ length: 20 }, (_, i) => ({ ...jane(), patientId: `internal-${i}` }));
    const first = await applySafeHarbor(sources, SAFE_HARBOR);
    const second = await applySafeHarbor(sources, SAFE_HARBOR);
    const pseudonyms = first.patients.map((p) => p.pseudonym);
    expect(new Set(pseudonyms).size).toBe(20);
    for (const pseudonym of pseudonyms) expect(pseudonym).toMatch(/^[0-9a-f]{32}$/);
    // Within the release, each pseudonym resolves (on the clinic node only) to its one patient.
    expect(pseudonyms.map((p) => first.pseudonymMap.get(p))).toEqual(sources.map((s) => s.patientId));
    expect(pseudonyms.filter((p) => second.patients.some((q) => q.pseudonym === p))).toEqual([]);
    expect(JSON.stringify(first.patients)).not.toContain('internal-');
  });

  it('uses the pseudonyms the release drew already (shared with its DICOM files), one per patient', async () => {
    const sources = [jane(), { ...jane(), patientId: 'internal-patient-0002' }];
    const pseudonyms = new Map([['internal-patient-0001', 'a'.repeat(32)], ['internal-patient-0002', 'b'.repeat(32)]]);
    const result = await applySafeHarbor(sources, { ...SAFE_HARBOR, pseudonyms });
    expect(result.patients.map((p) => p.pseudonym)).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    await expect(applySafeHarbor(sources, { ...SAFE_HARBOR, pseudonyms: new Map([['internal-patient-0001', 'a'.repeat(32)]]) })).rejects.toThrow(/no pseudonym/);
    await expect(applySafeHarbor(sources, { ...SAFE_HARBOR, pseudonyms: new Map([['internal-patient-0001', 'a'.repeat(32)], ['internal-patient-0002', 'a'.repeat(32)]]) })).rejects.toThrow(/one per patient/);
    await expect(applySafeHarbor(sources, { ...SAFE_HARBOR, pseudonyms: new Map([['internal-patient-0001', 'MRN-4711'], ['internal-patient-0002', 'b'.repeat(32)]]) })).rejects.toThrow(/32 hex/);
  });

  it('takes the earliest final diagnosis as the primary diagnosis, else the earliest, else none', () => {
    const dx = (code: string, type: string | undefined, time?: string): ExtendedRecord => ({ type: 'diagnosis', code: { code, system: 'I10', display: code }, ...(type === undefined ? {} : { diagnosisType: type }), ...(time === undefined ? {} : { time }) });
    expect(primaryDiagnosis([dx('J45', 'W', '2019-01-01T00:00:00Z'), dx('I10', 'F', '2021-01-01T00:00:00Z'), dx('E11.9', 'F', '2020-01-01T00:00:00Z')])).toBe('I10:E11.9');
    expect(primaryDiagnosis([dx('J45', 'A'), dx('I10', 'W', '2021-01-01T00:00:00Z')])).toBe('I10:I10');
    expect(primaryDiagnosis([])).toBe('none');
  });
});
