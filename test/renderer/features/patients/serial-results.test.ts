import { describe, expect, it } from 'vitest';
import type { Observation, Report } from '../../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../../../renderer/vault/vault-service';
import { buildFlowsheet, correctionsOf, groupResults, testKeyOf, trendOf } from '../../../../renderer/features/patients/results-model';
import { lab } from '../../support/clinical-fixtures';

/**
 * Serial preliminary results: which one a clinician sees. A result is identified as HL7 identifies
 * it: its order number, OBX-3 (the test) and OBX-4 (the sub-id). A later result of the same identity
 * is a new version of it (P, P, F: the final one is the result, the preliminaries its history),
 * whatever observation time it carries; results of another order or another sub-id (another
 * specimen, another draw) are results of their own and never hide each other.
 */

function at(recordId: string, record: ViewRecord, seq: number): RecordRow {
  return { recordId, patientId: 'p-1', time: (record as Observation).time, record, source: { messageType: 'ORU^R01', channel: 'hl7-mllp', seq } };
}

function troponin(value: number, time: string, status: Observation['status'], extra: Partial<Observation> = {}): Observation {
  return { ...(lab('6598-7', 'Troponin T', value, 'ng/L', time) as Observation), status, ...extra };
}

function report(time: string, numbers: Partial<Pick<Report, 'placerOrderId' | 'fillerOrderId'>>): Report {
  return { type: 'report', kind: 'result', code: { code: '6598-7', system: 'LN', display: 'Troponin T' }, time, ...numbers };
}

const T0 = '2026-12-07T08:00:00+01:00';
const T3 = '2026-12-07T11:00:00+01:00';
const KEY = testKeyOf(troponin(1, T0, 'F'));
const current = (rows: readonly RecordRow[]) => {
  const corrections = correctionsOf(rows);
  return rows.filter((row) => row.record.type === 'observation' && !corrections.superseded.has(row.recordId)).map((row) => row.recordId);
};

describe('serial preliminary results: the HL7 identity of a result decides which versions replace each other', () => {
  it('P, P, then F of one identity: the final result is shown, the two preliminaries are its history', () => {
    const rows = [at('p.1.0', troponin(10, T0, 'P', { orderId: 'F-1' }), 1), at('p.2.0', troponin(12, T0, 'P', { orderId: 'F-1' }), 2), at('p.3.0', troponin(14, T0, 'F', { orderId: 'F-1' }), 3)];
    expect(current(rows)).toEqual(['p.3.0']);
    expect(correctionsOf(rows).replaced.get('p.3.0')?.map((row) => row.recordId)).toEqual(['p.2.0', 'p.1.0']);
    expect(trendOf(rows, KEY).points.map((point) => point.value)).toEqual([14]);
  });

  it('a preliminary resent with a later observation time is the same result: the newer version replaces it', () => {
    const rows = [at('p.1.0', troponin(10, T0, 'P', { orderId: 'F-1' }), 1), at('p.2.0', troponin(12, T3, 'P', { orderId: 'F-1' }), 2)];
    expect(current(rows)).toEqual(['p.2.0']);
  });

  it('two preliminaries of one order with other OBX-4 sub-ids (two draws) are both shown, each replaced by its own final', () => {
    const rows = [
      at('p.1.0', troponin(10, T0, 'P', { orderId: 'F-1', subId: '1' }), 1),
      at('p.2.0', troponin(30, T3, 'P', { orderId: 'F-1', subId: '2' }), 2),
    ];
    expect(current(rows)).toEqual(['p.1.0', 'p.2.0']);
    expect(trendOf(rows, KEY).points.map((point) => point.value)).toEqual([10, 30]);
    expect(groupResults(rows).flatMap((group) => group.results.map((row) => row.recordId))).toEqual(['p.2.0', 'p.1.0']);
    const finals = [...rows, at('p.3.0', troponin(11, T0, 'F', { orderId: 'F-1', subId: '1' }), 3)];
    expect(current(finals)).toEqual(['p.2.0', 'p.3.0']);
  });

  it('preliminaries of two orders (two specimens) are both shown, in the flowsheet cell of their day too', () => {
    const rows = [at('p.1.0', troponin(10, T0, 'P', { orderId: 'F-1' }), 1), at('p.2.0', troponin(30, T3, 'P', { orderId: 'F-2' }), 2)];
    expect(current(rows)).toEqual(['p.1.0', 'p.2.0']);
    expect(buildFlowsheet(rows).cells.get(KEY)?.get('2026-12-07')?.map((row) => row.recordId)).toEqual(['p.2.0', 'p.1.0']);
  });

  it('a final sent with the filler number replaces the preliminary sent with the placer number only, when a report names both', () => {
    const rows = [
      at('p.1.0', troponin(10, T0, 'P', { orderId: 'PL-77' }), 1),
      at('p.1.1', report(T0, { placerOrderId: 'PL-77' }), 1),
      at('p.2.0', troponin(14, T0, 'F', { orderId: 'FI-9' }), 2),
      at('p.2.1', report(T0, { placerOrderId: 'PL-77', fillerOrderId: 'FI-9' }), 2),
    ];
    expect(current(rows)).toEqual(['p.2.0']);
  });
});
