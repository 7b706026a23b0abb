import type { ClinicalRecord, Diagnosis, NormalizedIntake, Observation, Patient, Visit } from '../../../shared/domain/clinical';
import {
  CITIES, DIAGNOSES, DOCTORS, FAMILY_NAMES, GIVEN_NAMES_F, GIVEN_NAMES_M, LAB_TESTS, LOCATIONS, STREETS, VISIT_REASONS, VITAL_SIGNS,
} from './demo-catalog';
import { renderDemoHl7 } from './demo-hl7';
import { SeededRandom } from './seeded-random';

export const DEMO_AUTHORITY = 'HDMS-DEMO';
export const DEMO_SENDING_FACILITY = 'DEMO-CLINIC';

/** One synthetic message as a real channel would deliver it: raw bytes plus the normalized form. */
export interface DemoMessage {
  readonly raw: Uint8Array;
  readonly normalized: NormalizedIntake;
}

export interface DemoOptions {
  readonly patients: number;
  readonly seed?: number;
  /** "Now" for the generated history; fixed in tests. */
  readonly now?: Date;
}

type Measure = { readonly code: string; readonly display: string; readonly mean: number; readonly sd: number; readonly unit: string; readonly low: number; readonly high: number; readonly decimals: number };

function measure(random: SeededRandom, test: Measure, category: Observation['category'], time: string): Observation {
  const value = Number(Math.max(0, random.normal(test.mean, test.sd)).toFixed(test.decimals));
  const flag = value < test.low ? 'L' : value > test.high ? 'H' : 'N';
  return {
    type: 'observation',
    category,
    code: { code: test.code, system: 'LN', display: test.display },
    value: { kind: 'numeric', value, unit: test.unit },
    referenceRange: test.low > 0 ? `${test.low}-${test.high}` : `<${test.high}`,
    abnormalFlags: [flag],
    status: 'F',
    time,
  };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function makePatient(random: SeededRandom, index: number, now: Date): Patient {
  const sex = random.next() < 0.5 ? 'F' : 'M';
  const givenNames: readonly string[] = sex === 'F' ? GIVEN_NAMES_F : GIVEN_NAMES_M;
  const given = [random.pick(givenNames)];
  if (random.next() < 0.25) given.push(random.pick(givenNames));
  const ageDays = random.int(1 * 365, 95 * 365);
  const birth = new Date(now.getTime() - ageDays * 86_400_000);
  const [city, country] = random.pick(CITIES);
  return {
    identifiers: [{ value: `MRN${String(1_000_000 + index * 7 + random.int(0, 6)).padStart(8, '0')}`, authority: DEMO_AUTHORITY, type: 'MR' }],
    name: { family: random.pick(FAMILY_NAMES), given },
    birthDate: isoDate(birth),
    sex,
    address: { street: `${random.pick(STREETS)} ${random.int(1, 180)}`, city, postalCode: String(random.int(1000, 99999)), country },
    phones: [`+${random.int(30, 49)} ${random.int(100, 999)} ${random.int(100_000, 999_999)}`],
  };
}

/**
 * Generates a synthetic population, one patient at a time so a large import never holds it all:
 * per patient an admission (ADT^A04 with a visit and a final diagnosis) and one to four result messages (ORU^R01 with
 * labs and vital signs) spread over the past three years. Deterministic for a given seed.
 */
export function* generateDemoMessages(options: DemoOptions): Generator<DemoMessage> {
  const random = new SeededRandom(options.seed ?? 20_261_121);
  const now = options.now ?? new Date();
  let messageNumber = 0;
  const nextMessageId = (): string => `DEMO${String(++messageNumber).padStart(9, '0')}`;

  for (let index = 0; index < options.patients; index++) {
    const patient = makePatient(random, index, now);
    const encounters = random.int(1, 4);
    for (let encounter = 0; encounter < encounters; encounter++) {
      const start = new Date(now.getTime() - random.int(0, 3 * 365) * 86_400_000 - random.int(0, 86_399) * 1000);
      const visit: Visit = {
        type: 'visit',
        patientClass: random.pick(['I', 'O', 'O', 'E'] as const),
        location: random.pick(LOCATIONS),
        attendingDoctor: random.pick(DOCTORS),
        reason: random.pick(VISIT_REASONS),
        start: start.toISOString(),
      };
      if (encounter === 0) {
        const known = DIAGNOSES[(index * 5 + 2) % DIAGNOSES.length]!;
        const diagnosis: Diagnosis = { type: 'diagnosis', code: { code: known.code, display: known.display, system: 'I10' }, diagnosisType: 'F', time: visit.start };
        const admission: NormalizedIntake = { channel: 'demo', messageId: nextMessageId(), messageType: 'ADT^A04', patient, records: [visit], extendedRecords: [diagnosis] };
        yield { normalized: admission, raw: renderDemoHl7(admission, start) };
      }
      const resultTime = new Date(start.getTime() + random.int(10, 240) * 60_000);
      const records: ClinicalRecord[] = [visit];
      for (const vital of VITAL_SIGNS) {
        if (random.next() < 0.7) records.push(measure(random, vital, 'vital-signs', resultTime.toISOString()));
      }
      const labCount = random.int(2, 6);
      for (let i = 0; i < labCount; i++) records.push(measure(random, random.pick(LAB_TESTS), 'laboratory', resultTime.toISOString()));
      const results: NormalizedIntake = { channel: 'demo', messageId: nextMessageId(), messageType: 'ORU^R01', patient, records };
      yield { normalized: results, raw: renderDemoHl7(results, resultTime) };
    }
  }
}
