import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { collectBytes } from '../../../../shared/crypto/envelope';
import type { Observation } from '../../../../shared/domain/clinical';
import type { ReleasedDataset } from '../../../../shared/research/deid/k-anonymity';
import { applySafeHarbor, type SafeHarborOptions } from '../../../../shared/research/deid/safe-harbor';
import { fhirExport, fhirPackageFiles, type FhirResource } from '../../../../shared/research/package/fhir-r4';

/**
 * What a research release says of a result, by its OBX-11 status (HL7 table 0085) as the mapping
 * stores it (F, C, P in `status`; any other code in `resultStatus`, `status` approximated), and of
 * values the views do not read as numbers. FHIR R4 ObservationStatus has registered, preliminary,
 * final, amended, corrected, cancelled, entered-in-error, unknown.
 */

const JSONSchemaValidator = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown, verbose?: boolean): unknown[] };

const GLUCOSE = { code: '2345-7', system: 'LN', display: 'Glucose' };
const CULTURE = { code: '600-7', system: 'LN', display: 'Bacteria identified in Blood by Culture' };

function result(status: Observation['status'], resultStatus: string | undefined, value = 5.4, code = GLUCOSE): Observation {
  return { type: 'observation', category: 'laboratory', code, value: { kind: 'numeric', value, unit: 'mmol/L' }, status, ...(resultStatus === undefined ? {} : { resultStatus }), time: '2024-03-02T08:00:00Z', valueType: 'NM' };
}

/** One patient through Safe Harbor, released as one row (k-anonymity is not what is tested here). */
async function exported(records: readonly Observation[], options: Partial<SafeHarborOptions> = {}): Promise<FhirResource[]> {
  const safeHarbor = await applySafeHarbor([{ patientId: 'p-1', patient: { identifiers: [], name: { family: 'Roe', given: ['Jane'] }, sex: 'F' }, records }], { profile: 'safe-harbor', releaseDate: '2026-12-05', ...options });
  const patient = safeHarbor.patients[0]!;
  const dataset: ReleasedDataset = { profile: 'safe-harbor', rowsIn: 1, rows: [{ pseudonym: patient.pseudonym, age: '?', sex: 'F', zip3: '*', firstYear: '2024', lastYear: '2024', primaryDiagnosis: patient.primaryDiagnosis, records: patient.records }] };
  const fhir = fhirExport(dataset);
  return [...fhir.resources('Observation')];
}

async function observationCsv(records: readonly Observation[]): Promise<string[][]> {
  const safeHarbor = await applySafeHarbor([{ patientId: 'p-1', patient: { identifiers: [], name: { family: 'Roe', given: ['Jane'] } }, records }], { profile: 'safe-harbor', releaseDate: '2026-12-05' });
  const patient = safeHarbor.patients[0]!;
  const dataset: ReleasedDataset = { profile: 'safe-harbor', rowsIn: 1, rows: [{ pseudonym: patient.pseudonym, age: '?', sex: '?', zip3: '*', firstYear: '2024', lastYear: '2024', primaryDiagnosis: patient.primaryDiagnosis, records: patient.records }] };
  const file = fhirPackageFiles(fhirExport(dataset)).files.find((f) => f.path === 'csv/Observation.csv')!;
  const text = new TextDecoder().decode(await collectBytes(file.data));
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}

describe('research release: result statuses (OBX-11) as FHIR Observation.status', () => {
  it('maps each status the views know: F, U final; C corrected; P, R, S preliminary; I registered; X cancelled, with no value', async () => {
    const observations = await exported([
      result('F', undefined, 1),
      result('F', 'U', 2),
      result('C', undefined, 3),
      result('P', undefined, 4),
      result('P', 'R', 5),
      result('P', 'S', 6),
      result('P', 'I', 7),
      result('P', 'X', 8),
    ]);
    expect(observations.map((o) => [o.status, (o.valueQuantity as { value: number } | undefined)?.value])).toEqual([
      ['final', 1],
      ['final', 2],
      ['corrected', 3],
      ['preliminary', 4],
      ['preliminary', 5],
      ['preliminary', 6],
      // Pending and cancelled: no value is released as a result (the views never read one as a value either).
      ['registered', undefined],
      ['cancelled', undefined],
    ]);
    const validator = new JSONSchemaValidator();
    for (const o of observations) expect(validator.validate(o, true)).toEqual([]);
  });

  it('leaves out a result posted as wrong (W: e.g. sent for the wrong patient) and a deletion (D): neither is a result of this patient', async () => {
    const observations = await exported([result('F', undefined, 1), result('P', 'W', 2), result('P', 'D', 3)]);
    expect(observations.map((o) => [o.status, (o.valueQuantity as { value: number }).value])).toEqual([['final', 1]]);
  });

  it('a status a later HL7 version defined (not in table 0085 as the views know it) is "unknown", with no value', async () => {
    const observations = await exported([result('P', 'A', 9)]);
    expect(observations.map((o) => [o.status, o.valueQuantity])).toEqual([['unknown', undefined]]);
  });

  it('the CSV status column says the same', async () => {
    const rows = await observationCsv([result('P', 'X', 8), result('P', 'R', 5)]);
    const status = rows[0]!.indexOf('status');
    const value = rows[0]!.indexOf('value');
    expect(rows.slice(1).map((row) => [row[status], row[value]])).toEqual([
      ['cancelled', ''],
      ['preliminary', '5'],
    ]);
  });
});

describe('research release: values the views do not read as one number', () => {
  it('a coded result the lab repeated (two organisms) releases every code, as components of the one Observation, and in the CSV', async () => {
    const organisms: Observation = {
      type: 'observation',
      category: 'laboratory',
      code: CULTURE,
      value: { kind: 'coded', value: { code: '3092008', system: 'SCT', display: 'Staphylococcus aureus' } },
      valueDetail: {
        kind: 'coded-list',
        values: [
          { code: '3092008', system: 'SCT', display: 'Staphylococcus aureus' },
          { code: '40886007', system: 'SCT', display: 'Klebsiella oxytoca' },
        ],
      },
      valueType: 'CWE',
      status: 'F',
      time: '2024-03-02T08:00:00Z',
    };
    const [observation] = await exported([organisms]);
    const codes = (observation!.component as { code: unknown; valueCodeableConcept: { coding: { code: string }[] } }[] | undefined)?.map((c) => c.valueCodeableConcept.coding[0]!.code);
    expect(codes).toEqual(['3092008', '40886007']);
    // obs-7: a component with the Observation's own code means value[x] is absent.
    expect(observation!.valueCodeableConcept).toBeUndefined();
    expect(new JSONSchemaValidator().validate(observation, true)).toEqual([]);
    const rows = await observationCsv([organisms]);
    const valueCode = rows[0]!.indexOf('value_code');
    expect(rows[1]![valueCode]).toBe('3092008;40886007');
  });

  it('text sent under NM ("Zyxwvut") and a range under NM ("5.0-7.0") are never a valueQuantity, under either text option', async () => {
    const zyx: Observation = { type: 'observation', category: 'laboratory', code: GLUCOSE, value: { kind: 'text', value: 'Zyxwvut' }, valueType: 'NM', status: 'F', time: '2024-03-02T08:00:00Z' };
    const range: Observation = { type: 'observation', category: 'laboratory', code: GLUCOSE, value: { kind: 'text', value: '5.0-7.0' }, valueDetail: { kind: 'structured-numeric', value: 5, separator: '-', value2: 7 }, valueType: 'NM', status: 'F', time: '2024-03-02T08:00:00Z' };
    expect(await exported([zyx, range])).toEqual([]);
    const coded = await exported([zyx, range], { textObservations: 'coded-only' });
    expect(coded).toHaveLength(2);
    for (const o of coded) expect(o.valueQuantity).toBeUndefined();
  });
});
