import { describe, expect, it } from 'vitest';
import { ConsentRecordMetaSchema, isCalendarDay } from '../../../shared/research/consent';

/** QA round 4, #7: a consent decision's date must be a day of the calendar. */
describe('isCalendarDay', () => {
  it('knows the days of each month, leap years included', () => {
    expect(['2024-02-29', '2000-02-29', '2026-01-31', '2026-12-31', '0099-06-15'].map(isCalendarDay)).toEqual([true, true, true, true, true]);
    expect(['2026-02-30', '2025-02-29', '1900-02-29', '2025-04-31', '2025-13-01', '2026-13-45', '2025-00-10', '2025-01-00', '2025-1-10', '20250110', ''].map(isCalendarDay)).toEqual(
      Array(11).fill(false),
    );
  });

  it('a record journaled before the check still reads back on replay (the decision is not dropped from the views)', () => {
    expect(ConsentRecordMetaSchema.safeParse({ v: 1, patientId: 'p-1', purpose: 'research-sale', state: 'granted', decidedOn: '2026-02-30' }).success).toBe(true);
  });
});
