import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../../../shared/domain/clinical';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { groupByDay, recordClock, recordDateTime, recordDay } from '../../../../renderer/features/patients/record-format';
import { buildFlowsheet, testKeyOf } from '../../../../renderer/features/patients/results-model';
import { chartTimes } from '../../../../renderer/features/patients/chart-format';

/**
 * Which day a record is listed under. A time the sender wrote (HL7: with its own offset, or MSH-7's)
 * is read as written: the clinic's wall clock where it was taken. A time this system's clock gave
 * (stored as a UTC instant, `Z`: a device reading, a record's receipt time) has no sender's wall
 * clock, and was grouped by its UTC day: a glucose read at 23:30 in New York (04:30Z) was listed
 * under the next day, at "04:30". It is read in this computer's zone, as the clinician lived it.
 */

let zone: string | undefined;
beforeEach(() => {
  zone = process.env.TZ;
  process.env.TZ = 'America/New_York';
});
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const LATE = '2026-12-08T04:30:00.000Z'; // 23:30 on 7 December in New York (UTC-05:00)

function reading(recordId: string, time: string, seq: number): RecordRow {
  const record: Observation = { type: 'observation', category: 'device', code: { code: '2339-0', system: 'LN', display: 'Glucose' }, value: { kind: 'numeric', value: 5.4, unit: 'mmol/L' }, status: 'F', time };
  return { recordId, patientId: 'p-1', time, record, source: { messageType: 'device-report', channel: 'devices', seq } };
}

describe('a record is listed under the day its shown time says', () => {
  it('an instant of this system\'s clock (Z) reads in this computer\'s zone: day, clock and "(local time)"', () => {
    expect(new Date(LATE).getHours()).toBe(23); // the zone took
    expect(recordDay(LATE)).toBe('2026-12-07');
    expect(recordClock(LATE)).toBe('23:30');
    expect(recordDateTime(LATE)).toBe('2026-12-07 23:30 (local time)');
  });

  it('a time the sender wrote with its offset reads as written, whatever this computer\'s zone', () => {
    expect(recordDay('2026-12-08T00:30:00+01:00')).toBe('2026-12-08');
    expect(recordClock('2026-12-08T00:30:00+01:00')).toBe('00:30');
    expect(recordDateTime('2026-12-08T00:30:00+01:00')).toBe('2026-12-08 00:30 (UTC+01:00)');
  });

  it('the flowsheet column and the records list\'s day of a device reading at 23:30 local time are that day', () => {
    const rows = [reading('p.1.0', LATE, 1), reading('p.2.0', '2026-12-07T14:00:00.000Z', 2)];
    const sheet = buildFlowsheet(rows);
    expect(sheet.days).toEqual(['2026-12-07']);
    expect(sheet.cells.get(testKeyOf(rows[0]!.record as Observation))?.get('2026-12-07')?.map((row) => row.recordId)).toEqual(['p.1.0', 'p.2.0']);
    expect(groupByDay(rows).map((group) => [group.day, group.rows.length])).toEqual([['2026-12-07', 2]]);
  });

  it('a chart of such readings is drawn and labelled in local time too', () => {
    const times = chartTimes([LATE]);
    expect(times.legend(null as never, Date.parse(LATE) / 1000, 0, 0)).toBe('2026-12-07 23:30 (local time)');
    expect(times.axisLabel).toBe('Time (local time)');
    expect(times.tzDate(Date.parse(LATE) / 1000).getHours()).toBe(23);
  });
});
