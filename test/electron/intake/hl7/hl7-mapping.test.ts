import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type ExtendedRecord, type NormalizedIntake, type Observation } from '../../../../shared/domain/clinical';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message, parseHl7Time, type MappingResult } from '../../../../electron/intake/hl7/hl7-mapping';
import { fixture, hl7, msh } from './hl7-test-support';

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'k'.repeat(64).replace(/k/g, 'a'), payloadSha256: 'b'.repeat(64), conflict: false };

function map(bytes: Buffer): MappingResult {
  const item = parseHl7(bytes).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  return mapHl7Message(item.message, context);
}

function normalized(bytes: Buffer): NormalizedIntake {
  const result = map(bytes);
  if (result.kind !== 'patient') throw new Error(result.reason);
  // Whatever is produced is valid for the mind's schema.
  expect(NormalizedIntakeSchema.safeParse(result.normalized).success).toBe(true);
  return result.normalized;
}

const observations = (n: NormalizedIntake) => n.records.filter((r): r is Observation => r.type === 'observation');
const extended = <T extends ExtendedRecord['type']>(n: NormalizedIntake, type: T) => (n.extendedRecords ?? []).filter((r): r is Extract<ExtendedRecord, { type: T }> => r.type === type);

describe('HL7 times', () => {
  it('reads TS with and without zone, partial and invalid values', () => {
    expect(parseHl7Time('20250301081500+0100')).toEqual({ date: '2025-03-01', dateTime: '2025-03-01T08:15:00+01:00' });
    expect(parseHl7Time('202503010815', '-0500').dateTime).toBe('2025-03-01T08:15:00-05:00');
    expect(parseHl7Time('20250301081500.1234+0000').dateTime).toBe('2025-03-01T08:15:00.123+00:00');
    expect(parseHl7Time('20250301').date).toBe('2025-03-01');
    expect(parseHl7Time('202503')).toEqual({});
    expect(parseHl7Time('20250230')).toEqual({});
    expect(parseHl7Time('garbage')).toEqual({});
    expect(parseHl7Time('20250301120000').dateTime).toMatch(/^2025-03-01T12:00:00[+-]\d{2}:\d{2}$/);
  });

  it('edge cases: leap days, years before 100, out-of-range times, fractions, offsets, blanks', () => {
    expect(parseHl7Time('20240229')).toMatchObject({ date: '2024-02-29' });
    expect(parseHl7Time('20000229').date).toBe('2000-02-29');
    expect(parseHl7Time('19000229')).toEqual({});
    expect(parseHl7Time('20250431')).toEqual({});
    expect(parseHl7Time('20251301')).toEqual({});
    expect(parseHl7Time('20250100')).toEqual({});
    expect(parseHl7Time('00990101')).toEqual({}); // Date.UTC reads years 0-99 as 1900-1999: refused, as always
    expect(parseHl7Time('01000101', '+0000')).toEqual({ date: '0100-01-01', dateTime: '0100-01-01T00:00:00+00:00' });
    expect(parseHl7Time('20250301240000+0100')).toEqual({ date: '2025-03-01' });
    expect(parseHl7Time('20250301236000+0100')).toEqual({ date: '2025-03-01' });
    expect(parseHl7Time('20250301.5', '+0100')).toEqual({ date: '2025-03-01', dateTime: '2025-03-01T00:00:00.500+01:00' });
    expect(parseHl7Time('2025030108.12-0330')).toEqual({ date: '2025-03-01', dateTime: '2025-03-01T08:00:00.120-03:30' });
    expect(parseHl7Time('20250301081500.12345')).toEqual({});
    expect(parseHl7Time('20250301081500.')).toEqual({});
    expect(parseHl7Time('202503010815001')).toEqual({});
    expect(parseHl7Time('2025030108150000')).toEqual({});
    expect(parseHl7Time('20250301+010')).toEqual({});
    expect(parseHl7Time('20250301081500+9999').dateTime).toBe('2025-03-01T08:15:00+99:99'); // as sent; the schema refuses it later
    expect(parseHl7Time('  20250301081500 ', '-0000').dateTime).toBe('2025-03-01T08:15:00-00:00');
    expect(parseHl7Time('20250301081500', '+01:00').dateTime).toMatch(/^2025-03-01T08:15:00[+-]\d{2}:\d{2}$/); // not a zone: local
    expect(parseHl7Time('')).toEqual({});
    expect(parseHl7Time('٢٠٢٥٠٣٠١')).toEqual({});
  });

  it('reads every value exactly as the regex and Date reading it replaced', () => {
    const next = (() => {
      let state = 11;
      return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    })();
    const pick = <T,>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
    const two = (max: number) => String(Math.floor(next() * max)).padStart(2, '0');
    const zones = [undefined, '+0100', '-0500', '+9999', '+01', '0100', '+0100 ', '', '-0000'];
    for (let i = 0; i < 20_000; i++) {
      let value = [String(Math.floor(next() * 10_000)).padStart(4, '0'), two(14), two(33), two(26), two(62), two(62)].slice(0, 1 + Math.floor(next() * 6)).join('');
      if (next() < 0.3) value += `.${'123456'.slice(0, Math.floor(next() * 6))}`;
      if (next() < 0.4) value += `${pick(['+', '-', '~'])}${'0130'.slice(0, 2 + Math.floor(next() * 3))}`;
      if (next() < 0.1) value = ` ${value}${pick(['', ' ', 'x', '\t'])}`;
      const zone = pick(zones);
      expect(parseHl7Time(value, zone), `${JSON.stringify(value)} ${String(zone)}`).toStrictEqual(referenceParseHl7Time(value, zone));
    }
  });
});

/** parseHl7Time as it was written first (regex + Date): the reference the hand-written reader must match. */
function referenceParseHl7Time(value: string, zone?: string): { date?: string; dateTime?: string } {
  const match = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(value.trim());
  if (match === null) return {};
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  if (mo === undefined || d === undefined) return {};
  const [year, month, day, hour, minute, second] = [Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return {};
  if (hour > 23 || minute > 59 || second > 59) return { date: `${y}-${mo}-${d}` };
  const pad = (n: number) => String(n).padStart(2, '0');
  const sourceZone = offset ?? zone;
  let iso: string;
  if (sourceZone !== undefined && /^[+-]\d{4}$/.test(sourceZone)) {
    iso = `${sourceZone.slice(0, 3)}:${sourceZone.slice(3)}`;
  } else {
    const minutes = -new Date(year, month - 1, day, hour, minute).getTimezoneOffset();
    iso = `${minutes >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
  }
  const ms = fraction === undefined ? '' : `.${fraction.slice(1).padEnd(3, '0').slice(0, 3)}`;
  return { date: `${y}-${mo}-${d}`, dateTime: `${y}-${mo}-${d}T${pad(hour)}:${pad(minute)}:${pad(second)}${ms}${iso}` };
}

describe('HL7 mapping: ADT', () => {
  it('A01: patient (identifiers with authority and type, name, birth date, sex, address, phones), visit, vitals, allergy, diagnosis; Z ignored', () => {
    const n = normalized(fixture('adt_a01.hl7'));
    expect(n).toMatchObject({ channel: 'hl7-mllp', messageId: 'ADT-0001', messageType: 'ADT^A01' });
    expect(n.patient).toEqual({
      identifiers: [
        { value: 'MRN1001', authority: 'NORTH', type: 'MR' },
        { value: 'SSN-555', authority: 'GOV', type: 'SS' },
      ],
      name: { family: 'Testperson', given: ['Alice', 'Marie'] },
      birthDate: '1980-02-15',
      sex: 'F',
      address: { street: '12 Sample Street, Apt 3', city: 'Springfield', postalCode: '12345', country: 'US' },
      phones: ['555-0100'],
      businessPhones: ['555-0199'],
    });
    const visit = n.records.find((r) => r.type === 'visit');
    expect(visit).toEqual({ type: 'visit', patientClass: 'I', location: 'WARD1 101 A NORTH', attendingDoctor: 'Gregory House', reason: 'Chest pain', start: '2025-03-01T08:00:00+01:00', startFrom: 'PV1-44' });
    expect(observations(n)).toEqual([
      expect.objectContaining({ category: 'vital-signs', code: { code: '8867-4', display: 'Heart rate', system: 'LN' }, value: { kind: 'numeric', value: 72, unit: '/min' }, referenceRange: '60-100', abnormalFlags: ['N'], status: 'F', time: '2025-03-01T08:12:00+01:00' }),
    ]);
    expect(extended(n, 'allergy')).toEqual([{ type: 'allergy', allergen: { code: '70618', display: 'Penicillin', system: 'RXNORM' }, allergenType: 'DA', severity: 'SV', reactions: ['Hives', 'Rash'], identified: '2010-01-01' }]);
    expect(extended(n, 'diagnosis')).toEqual([{ type: 'diagnosis', code: { code: 'I20.9', display: 'Angina pectoris, unspecified', system: 'I10' }, diagnosisType: 'A', time: expect.stringMatching(/^2025-03-01T00:00:00[+-]\d{2}:\d{2}$/) }]);
    expect(n.hl7).toMatchObject({ version: '2.5.1', sendingApplication: 'LABSYS', sendingFacility: 'NORTH CLINIC', mapping: 'mapped' });
  });

  it('A03: the visit ends (PV1-45)', () => {
    const visit = normalized(fixture('adt_a03.hl7')).records.find((r) => r.type === 'visit');
    expect(visit).toMatchObject({ start: '2025-03-01T08:00:00+01:00', end: '2025-03-05T09:30:00+01:00' });
  });

  it('A04 (v2.3): outpatient registration; the visit starts at EVN-2 when PV1-44 is empty', () => {
    const n = normalized(fixture('adt_a04.hl7'));
    expect(n.patient.identifiers).toEqual([{ value: 'MRN2002', authority: 'NORTH', type: 'MR' }]);
    expect(n.records[0]).toMatchObject({ type: 'visit', patientClass: 'O', attendingDoctor: 'Maria Quinn', start: '2025-03-02T09:00:00+01:00', startFrom: 'EVN-2' });
  });

  // Interface analyst (QA s33 D2): a v2.3.1 PV1-2 holding a visit number showed "Outpatient"; P, R, C, N and U were Outpatient too.
  it('PV1-2: each HL7 table 0004 class as itself; an empty or unknown class is not recorded, never Outpatient', () => {
    const classOf = (pv1: string) => normalized(hl7(msh('ADT^A04', 'PV1-1'), 'PID|1||MRN-1^^^CLINIC^MR||Test^Visit', pv1)).records.find((r) => r.type === 'visit');
    for (const code of ['E', 'I', 'O', 'P', 'R', 'B', 'C', 'N', 'U']) expect(classOf(`PV1|1|${code}|WARD1`)).toMatchObject({ type: 'visit', patientClass: code });
    expect(classOf('PV1|1|p|WARD1')).toMatchObject({ patientClass: 'P' });
    for (const pv1 of ['PV1|1||WARD1', 'PV1|1|V0012345|WARD1', 'PV1|1|""|WARD1', 'PV1|1|X|WARD1']) {
      const visit = classOf(pv1);
      expect(visit).toMatchObject({ type: 'visit', location: 'WARD1' });
      expect(visit).not.toHaveProperty('patientClass');
    }
  });

  it('A08: the updated demographics', () => {
    expect(normalized(fixture('adt_a08.hl7')).patient.phones?.[0]).toBe('555-0123');
  });

  it('A40: a merge record (survivor PID-3, merged MRG-1)', () => {
    const n = normalized(fixture('adt_a40.hl7'));
    expect(extended(n, 'merge')).toEqual([
      { type: 'merge', survivor: [{ value: 'MRN1001', authority: 'NORTH', type: 'MR' }], merged: [{ value: 'MRN9009', authority: 'NORTH', type: 'MR' }, { value: 'OLD-77', authority: 'SOUTH', type: 'MR' }], event: 'A40' },
    ]);
  });

  it('non-ASCII names (UTF-8 and 8859/1)', () => {
    expect(normalized(fixture('adt_utf8.hl7')).patient.name).toEqual({ family: 'Sebastián', given: ['Jürgen', 'Øyvind'] });
    expect(normalized(fixture('oru_latin1.hl7')).patient.name).toEqual({ family: 'Müller', given: ['Zoé'] });
  });
});

describe('HL7 mapping: results and documents', () => {
  it('ORU lab: a result report and observations typed by OBX-2 (NM, SN, CWE, ST, TX, DT, TS, ED)', () => {
    const n = normalized(fixture('oru_lab.hl7'));
    const [report] = extended(n, 'report');
    expect(report).toEqual({
      type: 'report',
      kind: 'result',
      code: { code: '57021-8', display: 'CBC W Auto Differential panel', system: 'LN' },
      status: 'F',
      time: '2025-03-01T07:00:00+01:00',
      placerOrderId: 'PL-1',
      fillerOrderId: 'FL-1',
      author: 'Patty Path',
      observationCount: 10,
    });
    const obs = observations(n);
    expect(obs.map((o) => [o.valueType, o.value.kind])).toEqual([
      ['NM', 'numeric'], ['NM', 'numeric'], ['SN', 'text'], ['SN', 'text'], ['CWE', 'coded'], ['ST', 'text'], ['TX', 'text'], ['DT', 'text'], ['TS', 'text'], ['ED', 'text'],
    ]);
    expect(obs[0]).toMatchObject({ category: 'laboratory', value: { kind: 'numeric', value: 13.2, unit: 'g/dL' }, referenceRange: '12.0-15.5', abnormalFlags: ['N'], time: '2025-03-01T07:30:00+01:00', orderId: 'FL-1' });
    expect(obs[1]).toMatchObject({ abnormalFlags: ['H', 'A'], time: '2025-03-01T07:00:00+01:00' });
    expect(obs[2]).toMatchObject({ value: { kind: 'text', value: '<5' }, valueDetail: { kind: 'structured-numeric', comparator: '<', value: 5 } });
    expect(obs[3]).toMatchObject({ value: { kind: 'text', value: '1:128' }, valueDetail: { kind: 'structured-numeric', value: 1, separator: ':', value2: 128 }, status: 'P' });
    expect(obs[4]).toMatchObject({ value: { kind: 'coded', value: { code: '112283007', display: 'Escherichia coli', system: 'SCT' } }, abnormalFlags: ['A'], status: 'F' });
    expect(obs[5]).toMatchObject({ value: { kind: 'text', value: 'Sample slightly hemolyzed & re-run | ok' }, status: 'C' });
    expect(obs[6]!.value).toEqual({ kind: 'text', value: 'Line one\nLine two \\.br\\ continued' });
    expect(obs[7]).toMatchObject({ value: { value: '2025-02-28' }, valueDetail: { kind: 'date-time', value: '2025-02-28' } });
    expect(obs[8]).toMatchObject({ valueDetail: { kind: 'date-time', value: '2025-02-28T15:30:00+01:00' } });
    expect(obs[9]!.valueDetail).toEqual({ kind: 'encapsulated', mediaType: 'application/pdf', encoding: 'Base64', bytes: 12 });
    expect(JSON.stringify(n)).not.toContain('SGVsbG8gV29ybGQh'); // the ED payload stays in the raw bytes only
    expect(JSON.stringify(n)).not.toContain('internal'); // Z-segment
  });

  it('ORU vitals and device observations (LOINC vitals, IEEE 11073 MDC codes)', () => {
    const obs = observations(normalized(fixture('oru_vitals.hl7')));
    expect(obs.map((o) => o.category)).toEqual(['vital-signs', 'vital-signs', 'device']);
    expect(obs[2]).toMatchObject({ subId: '1.0.1.1', status: 'P', resultStatus: 'R', value: { kind: 'numeric', value: 127, unit: '266016' } });
  });

  it('MDM: a document report with the OBX text', () => {
    const n = normalized(fixture('mdm_t02.hl7'));
    expect(observations(n)).toEqual([]);
    expect(extended(n, 'report')).toEqual([
      {
        type: 'report',
        kind: 'document',
        code: { code: 'DS', display: 'Discharge summary', system: 'HL70270' },
        status: 'AU',
        time: '2025-03-01T11:50:00+01:00',
        documentId: 'DOC-778',
        author: 'Wendy Writer',
        text: 'Patient discharged in good condition.\nFollow-up in two weeks & labs.',
        observationCount: 2,
      },
    ]);
  });
});

describe('HL7 mapping: orders and immunizations', () => {
  it('ORM^O01: an order from ORC + OBR', () => {
    const [order] = extended(normalized(fixture('orm_o01.hl7')), 'order');
    expect(order).toMatchObject({ type: 'order', control: 'NW', code: { code: '24323-8', system: 'LN' }, placerOrderId: 'PL-9', fillerOrderId: 'FL-9', status: 'SC', priority: 'S', orderingProvider: 'Olivia Orderer' });
    expect(order!.time).toMatch(/^2025-03-01T13:00:00[+-]\d{2}:\d{2}$/);
  });

  it('OML^O21: one order per ORC/OBR pair', () => {
    const orders = extended(normalized(fixture('oml_o21.hl7')), 'order');
    expect(orders.map((o) => [o.placerOrderId, o.code.code, o.priority])).toEqual([['PL-10', '2345-7', 'R'], ['PL-11', '2951-2', undefined]]);
  });

  it('VXU^V04: an immunization from RXA and its OBX', () => {
    const n = normalized(fixture('vxu_v04.hl7'));
    expect(extended(n, 'immunization')).toEqual([
      { type: 'immunization', vaccine: { code: '08', display: 'Hep B, adolescent or pediatric', system: 'CVX' }, time: '2025-01-10T10:00:00+01:00', amount: 0.5, unit: 'mL', lotNumbers: ['LOT-123'], manufacturer: 'Merck and Co', completionStatus: 'CP', action: 'A' },
    ]);
    expect(observations(n)[0]!.value).toMatchObject({ kind: 'coded', value: { code: 'V02' } });
  });
});

describe('HL7 mapping: what is not mapped', () => {
  it('an unmapped type with a patient: the patient, no records, mapping not-mapped', () => {
    const n = normalized(fixture('siu_s12_unmapped.hl7'));
    expect(n.records).toEqual([]);
    expect(n.hl7?.mapping).toBe('not-mapped');
    expect(n.patient.identifiers[0]!.value).toBe('MRN1001');
  });

  it('no PID: no patient to file it under', () => {
    expect(map(fixture('mfn_no_pid.hl7'))).toMatchObject({ kind: 'no-patient', mapping: 'not-mapped' });
  });

  it('clips overlong values instead of failing the schema; notes what it skipped', () => {
    const long = 'x'.repeat(500);
    const n = normalized(hl7(msh('ORU^R01', 'LONG-1'), `PID|1||${long}^^^${long}^${long}||${long}^${long}`, 'OBR|1||F|1^Panel^L', `OBX|1|ST|||value`, `OBX|2|NM|1^A^L||${long}|${long}|${long}|${long}`));
    expect(n.patient.identifiers[0]!.value).toHaveLength(64);
    expect(n.hl7?.mapping).toBe('partial');
    expect(n.hl7?.notes?.[0]).toMatch(/OBX #\d+: no OBX-3 code/);
  });
});

// QA explore-11 D8: `>150` lost its unit, and `4.0` was stored so that it showed as `4`.
describe('HL7 mapping: result values as the lab wrote them', () => {
  const values = (...obx: string[]) => observations(normalized(hl7(msh('ORU^R01', 'VAL-1'), 'PID|1||MRN-1^^^CLINIC^MR||Test^Val', 'OBR|1||F-1|24323-8^Metabolic panel^LN|||20250310080000+0100', ...obx)));

  it('keeps the reported decimals of a number (trailing zeros), not on numbers that have none to lose', () => {
    const [potassium, cholesterol, sodium, tiny] = values('OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|3.5-5.1|N|||F', 'OBX|2|SN|2093-3^Cholesterol^LN||^5.10|mmol/L||N|||F', 'OBX|3|NM|2951-2^Sodium^LN||140|mmol/L||N|||F', 'OBX|4|NM|X^Tiny^L||0.25|mg/L||N|||F');
    expect(potassium!.value).toEqual({ kind: 'numeric', value: 4, unit: 'mmol/L', decimals: 1 });
    expect(cholesterol!.value).toEqual({ kind: 'numeric', value: 5.1, unit: 'mmol/L', decimals: 2 });
    expect(sodium!.value).toEqual({ kind: 'numeric', value: 140, unit: 'mmol/L' });
    expect(tiny!.value).toEqual({ kind: 'numeric', value: 0.25, unit: 'mg/L' });
  });

  it('a comparator in NM or SN keeps the number, the comparator and the unit', () => {
    const [nm, sn, spaced] = values('OBX|1|NM|2951-2^Sodium^LN||>150|mmol/L|135-145|HH|||F', 'OBX|2|SN|2345-7^Glucose^LN||<^1.0|mmol/L||L|||F', 'OBX|3|NM|1920-8^AST^LN||>= 1000|U/L||H|||F');
    expect(nm).toMatchObject({ value: { kind: 'text', value: '>150' }, valueDetail: { kind: 'structured-numeric', comparator: '>', value: 150, unit: 'mmol/L' } });
    expect(sn).toMatchObject({ value: { kind: 'text', value: '<1.0' }, valueDetail: { kind: 'structured-numeric', comparator: '<', value: 1, decimals: 1, unit: 'mmol/L' } });
    expect(spaced).toMatchObject({ value: { kind: 'text', value: '>= 1000' }, valueDetail: { kind: 'structured-numeric', comparator: '>=', value: 1000, unit: 'U/L' } });
  });

  // Interface analyst (QA s33 D1): OBX-5 may repeat; NM `6.0~7.0` was kept as the number 6.0, 7.0 dropped without a word.
  it('a repeated NM or SN value keeps every value, as text with its unit, so no one of them is charted as the result', () => {
    const [glucose, single, compared] = values('OBX|1|NM|2345-7^Glucose^LN||6.0~7.0|mmol/L|3.9-7.8||||F', 'OBX|2|NM|2823-3^Potassium^LN||4.1~|mmol/L|3.5-5.1||||F', 'OBX|3|SN|2345-7^Glucose^LN||>^11.1~^7.0|mmol/L||H|||F');
    expect(glucose!.value).toEqual({ kind: 'text', value: '6.0; 7.0' });
    expect(glucose!.valueDetail).toEqual({ kind: 'repeated', values: ['6.0', '7.0'], unit: 'mmol/L' });
    expect(single!.value).toEqual({ kind: 'numeric', value: 4.1, unit: 'mmol/L' });
    expect(compared!.value).toEqual({ kind: 'text', value: '>11.1; 7.0' });
    expect(compared!.valueDetail).toEqual({ kind: 'repeated', values: ['>11.1', '7.0'], unit: 'mmol/L' });
    const heart = observations(normalized(hl7(msh('ADT^A01', 'VAL-3', '', '2.8'), 'PID|1||MRN-1^^^CLINIC^MR||Test^Val', 'OBX|1|NM|8867-4^heartrate^LN||60~120|/min||||||F')))[0]!;
    expect(heart).toMatchObject({ category: 'vital-signs', value: { kind: 'text', value: '60; 120' }, valueDetail: { kind: 'repeated', values: ['60', '120'], unit: '/min' } });
  });

  // QA2-11 Q1 and Q5: SN is comparator^num1^separator/suffix^num2 (HL7 v2.5 2A.75).
  it('SN: a range keeps both numbers as written, a suffix "+" is kept', () => {
    const [range, later, plus] = values('OBX|1|SN|5902-2^PT^LN||^2.0^-^4.0|s|1-5|N|||F', 'OBX|2|SN|5902-2^PT^LN||^2.5^-^3.0|s|1-5|N|||F', 'OBX|3|SN|5799-2^Leukocytes^LN||^2^+||neg|A|||F');
    expect(range).toMatchObject({ value: { kind: 'text', value: '2.0-4.0' }, valueDetail: { kind: 'structured-numeric', value: 2, separator: '-', value2: 4, decimals: 1, unit: 's' } });
    expect(later).toMatchObject({ value: { kind: 'text', value: '2.5-3.0' }, valueDetail: { kind: 'structured-numeric', value: 2.5, separator: '-', value2: 3, unit: 's' } });
    expect(plus).toMatchObject({ value: { kind: 'text', value: '2+' }, valueDetail: { kind: 'structured-numeric', value: 2, separator: '+' } });
  });

  it('SN sent out of place (a number in the comparator slot) is kept as written, no part clipped into a comparator, and noted', () => {
    const n = normalized(hl7(msh('ORU^R01', 'VAL-2'), 'PID|1||MRN-1^^^CLINIC^MR||Test^Val', 'OBR|1||F-1|24323-8^Metabolic panel^LN|||20250310080000+0100', 'OBX|1|SN|5902-2^PT^LN||2.0^-^4.0|s|1-5|N|||F', 'OBX|2|SN|5902-2^PT^LN||^2^x^4|s|1-5|N|||F'));
    const [shifted, oddSeparator] = observations(n);
    expect(shifted!.value).toEqual({ kind: 'text', value: '2.0-4.0' });
    expect(shifted!.valueDetail).toEqual({ kind: 'structured-numeric', unit: 's' });
    expect(oddSeparator!.value).toEqual({ kind: 'text', value: '2x4' });
    expect(oddSeparator!.valueDetail).toEqual({ kind: 'structured-numeric', value: 2, value2: 4, unit: 's' });
    expect(n.hl7?.mapping).toBe('partial');
    expect(n.hl7?.notes).toEqual(['OBX #3: SN value not in the form comparator^number^separator^number; kept as written', 'OBX #4: SN value not in the form comparator^number^separator^number; kept as written']);
  });
});

describe('HL7 mapping: coded elements (CE/CWE) that repeat (issue 11, the analyst)', () => {
  const patient = 'PID|1||MRN-1^^^CLINIC^MR||Test^Val';

  it('OBX-5 may repeat: a CWE result with two codes keeps both, in order (the first stays the value)', () => {
    const n = normalized(
      hl7(msh('ORU^R01', 'CWE-1'), patient, 'OBR|1||F-1|625-4^Stool culture^LN|||20250310080000+0100', 'OBX|1|CWE|6463-4^Organism^LN||3092008^Staphylococcus aureus^SCT~40886007^Klebsiella oxytoca^SCT||||||F'),
    );
    const [organisms] = observations(n);
    expect(organisms!.value).toEqual({ kind: 'coded', value: { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' } });
    expect(organisms!.valueDetail).toEqual({
      kind: 'coded-list',
      values: [
        { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' },
        { code: '40886007', display: 'Klebsiella oxytoca', system: 'SCT' },
      ],
    });
    expect(n.hl7?.mapping).toBe('mapped');
  });

  it('a single code, or a repetition left empty, is a plain coded value as before', () => {
    const n = normalized(hl7(msh('ORU^R01', 'CWE-2'), patient, 'OBX|1|CE|6463-4^Organism^LN||3092008^Staphylococcus aureus^SCT~||||||F', 'OBX|2|CWE|6463-4^Organism^LN||^^^L1^Local text^L||||||F'));
    const [one, alternate] = observations(n);
    expect(one!.value).toEqual({ kind: 'coded', value: { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' } });
    expect(one).not.toHaveProperty('valueDetail');
    expect(alternate!.value).toEqual({ kind: 'coded', value: { code: 'L1', display: 'Local text', system: 'L' } });
  });

  it('fields HL7 defines as one code (OBX-3, OBR-4, AL1-3, DG1-3) keep the first and say that more were sent; AL1-5 reactions keep every one', () => {
    const n = normalized(
      hl7(
        msh('ADT^A01', 'CWE-3'),
        'EVN|A01|20250310080000',
        patient,
        'AL1|1|DA|70618^Penicillin^RXNORM~1191^Aspirin^RXNORM|SV|Hives~Rash~Wheezing',
        'DG1|1||I10^Hypertension^I10~E11^Diabetes^I10|||A',
        'OBX|1|NM|8867-4^Heart rate^LN~8480-6^Systolic^LN||72|/min||||||F',
      ),
    );
    expect(extended(n, 'allergy')[0]).toMatchObject({ allergen: { code: '70618' }, reactions: ['Hives', 'Rash', 'Wheezing'] });
    expect(extended(n, 'diagnosis')[0]).toMatchObject({ code: { code: 'I10' } });
    expect(observations(n)[0]!.code.code).toBe('8867-4');
    expect(n.hl7?.mapping).toBe('partial');
    expect(n.hl7?.notes).toEqual([
      'AL1 #3: AL1-3 holds 2 codes but HL7 defines one; the first is kept',
      'DG1 #4: DG1-3 holds 2 codes but HL7 defines one; the first is kept',
      'OBX #5: OBX-3 holds 2 codes but HL7 defines one; the first is kept',
    ]);
  });
});
