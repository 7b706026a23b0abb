import { describe, expect, it } from 'vitest';
import { unreversedRange } from '../../../../renderer/app/form/date-range';

describe('unreversedRange', () => {
  it('leaves a range in order, or open at an end, as it is', () => {
    expect(unreversedRange({ from: '2026-12-01', to: '2026-12-07' })).toBeNull();
    expect(unreversedRange({ from: '2026-12-01', to: '2026-12-01' })).toBeNull();
    expect(unreversedRange({ from: '2026-12-07', to: '' })).toBeNull();
    expect(unreversedRange({ from: '', to: '2026-12-01' })).toBeNull();
  });

  it('swaps a reversed range and says so', () => {
    expect(unreversedRange({ from: '2026-12-07', to: '2026-12-01' })).toEqual({
      from: '2026-12-01',
      to: '2026-12-07',
      note: 'The dates were in reverse order (from 2026-12-07 to 2026-12-01), so they were swapped.',
    });
  });
});
