import { describe, expect, it } from 'vitest';
import type { Observation, Report } from '../../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../../../renderer/vault/vault-service';
import { buildFlowsheet, correctionsOf, currentStatusOf, groupResults, testKeyOf, trendOf, type ObservationRow } from '../../../../renderer/features/patients/results-model';
import { lab } from '../../support/clinical-fixtures';

/** QA explore-11 defects in the results model (issue 11): D0 corrections, D15 the lab's order, D21 units. */

function at(recordId: string, record: ViewRecord, seq: number): RecordRow {
  const time = 'time' in record && typeof record.time === 'string' ? record.time : '2025-01-01T00:00:00Z';
  return { recordId, patientId: 'p-1', time, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq } };
}

function result(code: string, display: string, value: number, unit: string, time: string, extra: Partial<Observation> = {}): Observation {
  return { ...(lab(code, display, value, unit, time) as Observation), ...extra };
}

function panel(fillerOrderId: string, time: string, extra: Partial<Report> = {}): Report {
  return { type: 'report', kind: 'result', code: { code: '24323-8', system: 'LN', display: 'Metabolic panel' }, fillerOrderId, time, ...extra };
}

const T = '2025-03-10T08:00:00+01:00';

/** The tester's CORR-1 and CORR-2: the lab corrects potassium 5.0 → 5.6 (H) in order F-900; sodium resent unchanged. */
function corrected(reportResent: 'same' | 'status C'): RecordRow[] {
  const sodium = result('2951-2', 'Sodium', 140, 'mmol/L', T, { orderId: 'F-900', referenceRange: '135-145' });
  const rows = [
    at('p.m1.0', result('2823-3', 'Potassium', 5.0, 'mmol/L', T, { orderId: 'F-900', referenceRange: '3.5-5.1', abnormalFlags: ['N'] }), 1),
    at('p.m2.0', result('2823-3', 'Potassium', 5.6, 'mmol/L', T, { orderId: 'F-900', referenceRange: '3.5-5.1', abnormalFlags: ['H'], status: 'C' }), 2),
    // The views keep one copy of a record sent twice unchanged: the later message's (view-reads.ts).
    at('p.m2.1', sodium, 2),
    at('p.m2.2', panel('F-900', T, reportResent === 'same' ? {} : { status: 'C' }), 2),
  ];
  if (reportResent === 'status C') rows.push(at('p.m1.2', panel('F-900', T, { status: 'F', comments: ['Line one'] }), 1));
  return rows;
}

describe('D0: a corrected result (OBX-11 C) replaces the result it corrects', () => {
  for (const variant of ['same', 'status C'] as const) {
    it(`by report: one report, the corrected value only, the earlier one kept as its history (report resent ${variant})`, () => {
      const groups = groupResults(corrected(variant));
      expect(groups).toHaveLength(1);
      expect(groups[0]!.report?.recordId).toBe('p.m2.2');
      expect(groups[0]!.results.map((row) => row.recordId)).toEqual(['p.m2.0', 'p.m2.1']);
    });
  }

  it('the flowsheet and the trend use the corrected value; the latest is the correction', () => {
    const records = corrected('same');
    const potassium = testKeyOf(records[0]!.record as Observation);
    const sheet = buildFlowsheet(records);
    expect(sheet.cells.get(potassium)?.get('2025-03-10')?.map((row) => row.recordId)).toEqual(['p.m2.0']);
    const earlier = at('p.m0.0', result('2823-3', 'Potassium', 4.1, 'mmol/L', '2025-03-01T08:00:00+01:00', { orderId: 'F-800' }), 0);
    const trend = trendOf([earlier, ...records], potassium);
    expect(trend.points.map((point) => point.value)).toEqual([4.1, 5.6]);
  });

  it('a final result replaces the preliminary one of the same order; a correction replaces a correction, keeping the whole history', () => {
    const rows = [
      at('p.a.0', result('2823-3', 'Potassium', 4.9, 'mmol/L', T, { orderId: 'F-1', status: 'P' }), 1),
      at('p.b.0', result('2823-3', 'Potassium', 5.0, 'mmol/L', T, { orderId: 'F-1' }), 2),
      at('p.c.0', result('2823-3', 'Potassium', 5.6, 'mmol/L', T, { orderId: 'F-1', status: 'C' }), 3),
      at('p.d.0', result('2823-3', 'Potassium', 5.4, 'mmol/L', T, { orderId: 'F-1', status: 'C' }), 4),
    ];
    const groups = groupResults(rows);
    expect(groups.flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.d.0']);
  });

  it('replaces nothing across orders, tests, sub-ids, within one message, or without an order number', () => {
    const rows = [
      at('p.a.0', result('2823-3', 'Potassium', 5.0, 'mmol/L', T, { orderId: 'F-1' }), 1),
      at('p.b.0', result('2823-3', 'Potassium', 5.6, 'mmol/L', T, { orderId: 'F-2', status: 'C' }), 2),
      at('p.b.1', result('2951-2', 'Sodium', 150, 'mmol/L', T, { orderId: 'F-1', status: 'C' }), 2),
      at('p.b.2', result('2823-3', 'Potassium', 5.7, 'mmol/L', T, { orderId: 'F-1', subId: '2', status: 'C' }), 2),
      at('p.c.0', result('718-7', 'Hemoglobin', 120, 'g/L', T, { orderId: 'F-3' }), 3),
      at('p.c.1', result('718-7', 'Hemoglobin', 118, 'g/L', T, { orderId: 'F-3', status: 'C' }), 3),
      at('p.d.0', result('8310-5', 'Body temperature', 37, 'Cel', T), 4),
      at('p.e.0', result('8310-5', 'Body temperature', 38, 'Cel', T, { status: 'C' }), 5),
    ];
    expect(
      groupResults(rows)
        .flatMap((group) => group.results.map((row) => row.recordId))
        .sort(),
    ).toEqual(rows.map((row) => row.recordId).sort());
  });
});

describe('D15: results of a report in the lab order (OBX order), past 9 results', () => {
  it('lists 15 results of one time as the message numbered them', () => {
    const rows: RecordRow[] = [at('p.m1.15', panel('F-5', T), 1)];
    for (let index = 0; index < 15; index++) rows.push(at(`p.m1.${index}`, result(`T${index}`, `Test ${index + 1}`, index, 'mmol/L', T, { orderId: 'F-5' }), 1));
    const [group] = groupResults(rows.reverse());
    expect(group!.results.map((row) => row.record.code.display)).toEqual(Array.from({ length: 15 }, (_, index) => `Test ${index + 1}`));
  });
});

describe('D21: the trend of results reported in different units', () => {
  const glucose = [
    at('p.g1.0', result('2345-7', 'Glucose', 5.2, 'mmol/L', '2025-03-14T08:00:00+01:00', { orderId: 'F-904', referenceRange: '3.9-5.5' }), 1),
    at('p.g2.0', result('2345-7', 'Glucose', 180, 'mg/dL', '2025-03-15T08:00:00+01:00', { orderId: 'F-905', referenceRange: '70-100', abnormalFlags: ['H'] }), 2),
    at('p.g3.0', result('2345-7', 'Glucose', 6, 'mmol/L', '2025-03-16T08:00:00+01:00', { orderId: 'F-906', referenceRange: '3.9-5.5', abnormalFlags: ['H'] }), 3),
  ];

  it('converts glucose mg/dL into the newest unit (mmol/L) as device readings do, keeping what was reported', () => {
    const trend = trendOf(glucose, 'LN|2345-7');
    expect(trend.unit).toBe('mmol/L');
    expect(trend.points.map((point) => point.text)).toEqual(['5.2', '10.0', '6']);
    expect(trend.points[1]!.reported).toEqual({ value: 180, unit: 'mg/dL', text: '180' });
    expect(trend.omitted).toEqual([]);
    expect(trend.range?.text).toBe('3.9-5.5');
  });

  it('shows glucose converted into mg/dL in whole numbers (5.5 mmol/L is 99 mg/dL, not 99.1), keeping what was reported', () => {
    const trend = trendOf([at('p.g0.0', result('2345-7', 'Glucose', 5.5, 'mmol/L', '2025-03-13T08:00:00+01:00', { orderId: 'F-903' }), 0), glucose[1]!], 'LN|2345-7');
    expect(trend.unit).toBe('mg/dL');
    expect(trend.points.map((point) => [point.text, point.value, point.reported])).toEqual([
      ['99', 99, { value: 5.5, unit: 'mmol/L', text: '5.5' }],
      ['180', 180, undefined],
    ]);
  });

  it('counts the results it cannot convert instead of dropping them silently', () => {
    const other = at('p.x.0', result('2345-7', 'Glucose', 41, 'mmol/mol', '2025-03-15T09:00:00+01:00', { orderId: 'F-907' }), 4);
    const trend = trendOf([...glucose, other], 'LN|2345-7');
    expect(trend.points).toHaveLength(3);
    expect(trend.omitted).toEqual([{ unit: 'mmol/mol', count: 1 }]);
  });

  it('converts a glucose in g/L too (mass concentration, then glucose\'s molar mass): 1.9 g/L is 10.5 mmol/L', () => {
    const other = at('p.x.0', result('2345-7', 'Glucose', 1.9, 'g/L', '2025-03-15T09:00:00+01:00', { orderId: 'F-907' }), 4);
    const trend = trendOf([...glucose, other], 'LN|2345-7');
    expect(trend.points.map((point) => point.text)).toEqual(['5.2', '10.0', '10.5', '6']);
    expect(trend.omitted).toEqual([]);
  });
});

describe('equal times', () => {
  it('the later message is the later result (the trend\'s latest), whatever the record ids say', () => {
    const rows = [
      at('p.a.0', result('2823-3', 'Potassium', 4.4, 'mmol/L', T, { orderId: 'F-2' }), 9),
      at('p.b.0', result('2823-3', 'Potassium', 3.9, 'mmol/L', T, { orderId: 'F-1' }), 10),
    ];
    expect(trendOf(rows, 'LN|2823-3').points.map((point) => point.value)).toEqual([4.4, 3.9]);
    // Newest first within a flowsheet cell, as its columns are: the later message on top.
    expect(buildFlowsheet(rows).cells.get('LN|2823-3')?.get('2025-03-10')?.map((row) => row.recordId)).toEqual(['p.b.0', 'p.a.0']);
  });
});

describe('QA round 4, #12: two values of one test on one day', () => {
  it('a flowsheet cell lists them newest first, like its columns (the current potassium on top, not the older critical one)', () => {
    const rows = [
      at('p.k1.0', result('2823-3', 'Potassium', 7.1, 'mmol/L', '2026-12-02T06:00:00+01:00', { orderId: 'F-1', abnormalFlags: ['HH'] }), 1),
      at('p.k2.0', result('2823-3', 'Potassium', 4.5, 'mmol/L', '2026-12-02T12:00:00+01:00', { orderId: 'F-2' }), 2),
      at('p.k3.0', result('2823-3', 'Potassium', 5.0, 'mmol/L', '2026-12-02T09:30:00+01:00', { orderId: 'F-3' }), 3),
    ];
    expect(buildFlowsheet(rows).cells.get('LN|2823-3')?.get('2026-12-02')?.map((row) => row.recordId)).toEqual(['p.k2.0', 'p.k3.0', 'p.k1.0']);
  });
});

describe('issue 11 (analyst): one chart per test never mixes units; it uses the unit most results carry', () => {
  // The analyst's patient: cholesterol mostly in mmol/L, the newest ones from another lab in mg/dL.
  const cholesterol = (seq: number, value: number, unit: string, day: string, range = '') =>
    at(`p.c${seq}.0`, result('2093-3', 'Cholesterol', value, unit, `2025-04-${day}T08:00:00+01:00`, { orderId: `F-${seq}`, ...(range === '' ? {} : { referenceRange: range }) }), seq);
  const rows = [
    cholesterol(1, 5.2, 'mmol/L', '01', '<5.2'),
    cholesterol(2, 4.8, 'mmol/L', '02', '<5.2'),
    cholesterol(3, 5.6, 'mmol/L', '03', '<5.2'),
    cholesterol(4, 190, 'mg/dL', '04', '<200'),
    cholesterol(5, 201, 'mg/dL', '05', '<200'),
  ];

  it('draws the mmol/L results (3 of 5) and names the mg/dL ones as not drawn: mmol/L ↔ mg/dL needs the molar mass', () => {
    const trend = trendOf(rows, 'LN|2093-3');
    expect(trend.unit).toBe('mmol/L');
    expect(trend.points.map((point) => [point.text, point.reported])).toEqual([
      ['5.2', undefined],
      ['4.8', undefined],
      ['5.6', undefined],
    ]);
    expect(trend.omitted).toEqual([{ unit: 'mg/dL', count: 2 }]);
    expect(trend.omittedRows.map((row) => row.recordId)).toEqual(['p.c4.0', 'p.c5.0']);
    expect(trend.range?.text).toBe('<5.2');
    // The newest result is not on the line: it is named as the latest, never 5.6 mmol/L.
    expect(trend.latestNotDrawn?.recordId).toBe('p.c5.0');
  });

  it('draws the other unit when asked (the chart offered for the results not drawn)', () => {
    const trend = trendOf(rows, 'LN|2093-3', undefined, 'mg/dL');
    expect(trend.unit).toBe('mg/dL');
    expect(trend.points.map((point) => point.text)).toEqual(['190', '201']);
    expect(trend.omitted).toEqual([{ unit: 'mmol/L', count: 3 }]);
    expect(trend.range?.text).toBe('<200');
    expect(trend.latestNotDrawn).toBeNull();
  });

  it('a tie goes to the unit of the most recent result', () => {
    expect(trendOf(rows.slice(1), 'LN|2093-3').unit).toBe('mg/dL');
    expect(trendOf([rows[0]!, rows[1]!, rows[3]!, rows[4]!].reverse().map((row, index) => ({ ...row, source: { ...row.source, seq: index } })), 'LN|2093-3').unit).toBe('mg/dL');
  });

  it('converts where the factor is fixed in one dimension (g/L into mg/dL), counting them with their unit family', () => {
    const protein = (seq: number, value: number, unit: string, day: string) => at(`p.t${seq}.0`, result('2885-2', 'Protein', value, unit, `2025-04-${day}T08:00:00+01:00`, { orderId: `F-${seq}` }), seq);
    const trend = trendOf([protein(1, 7.1, 'g/dL', '01'), protein(2, 68, 'g/L', '02'), protein(3, 70, 'g/L', '03'), protein(4, 6.9, 'g/dL', '04'), protein(5, 7.0, 'g/dL', '05')], 'LN|2885-2');
    expect(trend.unit).toBe('g/dL');
    expect(trend.points.map((point) => [point.text, point.reported?.unit])).toEqual([
      ['7.1', undefined],
      ['6.8', 'g/L'],
      ['7.0', 'g/L'],
      ['6.9', undefined],
      ['7', undefined],
    ]);
    expect(trend.omitted).toEqual([]);
  });

  it('the flowsheet row takes the same unit: the one most results carry', () => {
    const column = buildFlowsheet(rows).tests.find((test) => test.key === 'LN|2093-3');
    expect(column?.unit).toBe('mmol/L');
  });
});

/**
 * T1 D1, D2, D3, D7: each OBX-11 status (HL7 table 0085) as the results model applies it. The
 * mapping stores F, C and P as `status` and any other code in `resultStatus` (X, W, D, U, I, R…).
 */
describe('T1: result statuses (OBX-11, table 0085)', () => {
  const K = '2026-09-14T07:50:00+02:00';
  const potassium = (value: number, seq: number, extra: Partial<Observation> = {}) =>
    at(`p.s${seq}.0`, result('2823-3', 'Potassium', value, 'mmol/L', K, { orderId: 'L260115', referenceRange: '3.5-5.1', ...extra }), seq);
  const cancelled = (seq: number, time = K) =>
    at(`p.s${seq}.0`, { ...(result('2823-3', 'Potassium', 0, 'mmol/L', time, { orderId: `L${seq}`, referenceRange: '3.5-5.1', status: 'P', resultStatus: 'X' })), value: { kind: 'text', value: '' } } as Observation, seq);

  it('D2: a W withdraws the original of its order and test: one row (the W, withdrawn), never charted, no current critical value', () => {
    const rows = [potassium(2.6, 1, { abnormalFlags: ['LL'] }), potassium(2.6, 2, { abnormalFlags: ['LL'], status: 'P', resultStatus: 'W' }), at('p.s2.1', panel('L260115', K, { status: 'C' }), 2)];
    const corrections = correctionsOf(rows);
    expect([...corrections.withdrawn].sort()).toEqual(['p.s1.0', 'p.s2.0']);
    expect(corrections.replacedBy.get('p.s1.0')?.recordId).toBe('p.s2.0');
    const groups = groupResults(rows, corrections);
    expect(groups.flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.s2.0']);
    const sheet = buildFlowsheet(rows, corrections);
    expect(sheet.cells.get('LN|2823-3')?.get('2026-09-14')?.map((row) => row.recordId)).toEqual(['p.s2.0']);
    expect(sheet.tests[0]).toMatchObject({ numericResults: 0, trend: false });
    const trend = trendOf(rows, 'LN|2823-3', corrections);
    expect(trend.points).toEqual([]);
    expect(trend.notNumeric).toEqual([]);
    expect(trend.latestNotDrawn).toBeNull();
  });

  it('D2: a W with nothing before it (the original went elsewhere) is withdrawn itself', () => {
    const rows = [potassium(2.6, 2, { abnormalFlags: ['LL'], status: 'P', resultStatus: 'W' }), potassium(4.1, 1, { orderId: 'L1', time: '2026-09-10T08:00:00+02:00' })];
    const corrections = correctionsOf(rows);
    expect([...corrections.withdrawn]).toEqual(['p.s2.0']);
    expect(trendOf(rows, 'LN|2823-3', corrections).points.map((point) => point.value)).toEqual([4.1]);
  });

  it('D3: a D deletes the earlier result: neither is in the report, flowsheet or trend; the deleted one names what deleted it', () => {
    const hb = (seq: number, extra: Partial<Observation> = {}) => at(`p.h${seq}.0`, result('718-7', 'Hemoglobin', 10.8, 'g/dL', K, { orderId: 'H-5', ...extra }), seq);
    const older = at('p.h0.0', result('718-7', 'Hemoglobin', 12.1, 'g/dL', '2026-09-01T08:00:00+02:00', { orderId: 'H-4' }), 0);
    const rows = [older, hb(1), hb(2, { status: 'P', resultStatus: 'D' })];
    const corrections = correctionsOf(rows);
    expect(corrections.deletedBy.get('p.h1.0')?.recordId).toBe('p.h2.0');
    expect(corrections.superseded.has('p.h1.0') && corrections.superseded.has('p.h2.0')).toBe(true);
    expect(groupResults(rows, corrections).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.h0.0']);
    expect(buildFlowsheet(rows, corrections).days).toEqual(['2026-09-01']);
    expect(trendOf(rows, 'LN|718-7', corrections).points.map((point) => point.value)).toEqual([12.1]);
  });

  it('D1: a cancelled result (X) is never charted, not even with a number; it replaces the pending or preliminary one, never a final one', () => {
    const rows = [potassium(4.1, 1, { orderId: 'L1', time: '2026-09-10T08:00:00+02:00' }), potassium(4.3, 2, { orderId: 'L2', time: '2026-09-12T08:00:00+02:00' }), cancelled(3)];
    const trend = trendOf(rows, 'LN|2823-3');
    expect(trend.points.map((point) => point.value)).toEqual([4.1, 4.3]);
    expect(trend.notNumeric.map((row) => row.recordId)).toEqual(['p.s3.0']);
    const numberX = potassium(3.9, 4, { orderId: 'L4', resultStatus: 'X', time: '2026-09-15T08:00:00+02:00' });
    expect(trendOf([...rows, numberX], 'LN|2823-3').points.map((point) => point.value)).toEqual([4.1, 4.3]);
    expect(buildFlowsheet([...rows, numberX]).tests[0]!.numericResults).toBe(2);
    const prelimThenX = [potassium(5.0, 5, { status: 'P' }), potassium(0, 6, { status: 'P', resultStatus: 'X' })];
    expect(correctionsOf(prelimThenX).replacedBy.get('p.s5.0')?.recordId).toBe('p.s6.0');
    const finalThenX = [potassium(5.0, 5), potassium(0, 6, { status: 'P', resultStatus: 'X' })];
    expect(correctionsOf(finalThenX).superseded.size).toBe(0);
  });

  it('a later preliminary, unverified or partial result replaces the earlier one; F replaces a pending (I) or unverified (R) one', () => {
    const chain = [potassium(5.0, 1, { status: 'P', resultStatus: 'I' }), potassium(5.1, 2, { status: 'P', resultStatus: 'R' }), potassium(5.2, 3, { status: 'P' }), potassium(5.3, 4, { status: 'P', resultStatus: 'S' }), potassium(5.4, 5)];
    const corrections = correctionsOf(chain);
    expect(groupResults(chain, corrections).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.s5.0']);
    expect(corrections.replaced.get('p.s5.0')?.map((row) => row.recordId)).toEqual(['p.s4.0', 'p.s3.0', 'p.s2.0', 'p.s1.0']);
  });

  it('a pending result (I) is never charted; U makes the preliminary result final without showing itself', () => {
    const pending = potassium(4.0, 1, { status: 'P', resultStatus: 'I', orderId: 'L9', time: '2026-09-20T08:00:00+02:00' });
    const rows = [potassium(4.1, 2, { orderId: 'L1', time: '2026-09-10T08:00:00+02:00' }), potassium(4.3, 3, { orderId: 'L2', time: '2026-09-12T08:00:00+02:00' }), pending];
    expect(trendOf(rows, 'LN|2823-3').points.map((point) => point.value)).toEqual([4.1, 4.3]);
    const madeFinal = [potassium(128, 1, { status: 'P' }), at('p.s2.0', { ...result('2823-3', 'Potassium', 0, 'mmol/L', K, { orderId: 'L260115', resultStatus: 'U' }), value: { kind: 'text', value: '' } } as Observation, 2)];
    const corrections = correctionsOf(madeFinal);
    expect(groupResults(madeFinal, corrections).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.s1.0']);
    expect(currentStatusOf(madeFinal[0] as ObservationRow, corrections)).toBe('F');
    expect(currentStatusOf(madeFinal[1] as ObservationRow, corrections)).toBe('U');
  });
});

// Table 0085 says a final result is changed with a C, but senders do resend an F with another
// value. A clinician expects the latest received to be the result, the earlier one kept in its
// history and marked replaced, not two current finals of one result side by side.
describe('a final result sent again (F after F) of the same order, test, sub-id and time', () => {
  const K = '2026-09-14T07:50:00+02:00';
  const potassium = (value: number, seq: number, extra: Partial<Observation> = {}) =>
    at(`p.f${seq}.0`, result('2823-3', 'Potassium', value, 'mmol/L', K, { orderId: 'L77', referenceRange: '3.5-5.1', ...extra }), seq);

  it('the latest received replaces the earlier: one current result, the earlier in its history', () => {
    const rows = [potassium(5.0, 1), potassium(5.6, 2)];
    const corrections = correctionsOf(rows);
    expect(groupResults(rows, corrections).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.f2.0']);
    expect(corrections.superseded.has('p.f1.0')).toBe(true);
    expect(corrections.replaced.get('p.f2.0')?.map((row) => row.recordId)).toEqual(['p.f1.0']);
    expect(corrections.replacedBy.get('p.f1.0')?.recordId).toBe('p.f2.0');
    const potassiumKey = testKeyOf(rows[0]!.record as Observation);
    expect(buildFlowsheet(rows).cells.get(potassiumKey)?.get('2026-09-14')?.map((row) => row.recordId)).toEqual(['p.f2.0']);
    expect(trendOf(rows, potassiumKey).points.map((point) => point.value)).toEqual([5.6]);
  });

  it('a third F replaces the second, keeping the whole history; a C after them replaces the latest', () => {
    const rows = [potassium(5.0, 1), potassium(5.6, 2), potassium(5.4, 3)];
    expect(correctionsOf(rows).replaced.get('p.f3.0')?.map((row) => row.recordId)).toEqual(['p.f2.0', 'p.f1.0']);
    const corrected = [...rows, potassium(5.2, 4, { status: 'C' })];
    const corrections = correctionsOf(corrected);
    expect(groupResults(corrected, corrections).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.f4.0']);
    expect(corrections.replaced.get('p.f4.0')?.map((row) => row.recordId)).toEqual(['p.f3.0', 'p.f2.0', 'p.f1.0']);
  });

  it('an F at another observation time (a serial measurement), in the same message, or under another sub-id replaces nothing', () => {
    const rows = [potassium(5.0, 1), potassium(5.6, 2, { time: '2026-09-14T09:50:00+02:00' }), potassium(5.1, 2, { subId: '2' })];
    const distinct = [...rows.slice(0, 2), { ...rows[2]!, recordId: 'p.f2.1' }];
    const corrections = correctionsOf(distinct);
    expect(corrections.superseded.size).toBe(0);
    const sameMessage = [potassium(5.0, 1), { ...potassium(5.6, 1), recordId: 'p.f1.1' }];
    expect(correctionsOf(sameMessage).superseded.size).toBe(0);
  });
});
