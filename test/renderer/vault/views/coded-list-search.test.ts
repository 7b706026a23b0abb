import { describe, expect, it } from 'vitest';
import { recordText } from '../../../../renderer/vault/views/intake-rows';

describe('search words of a coded result the lab repeated (issue 11)', () => {
  it('every code and its text is searchable, not only the first', () => {
    const words = recordText({
      type: 'observation',
      category: 'laboratory',
      code: { code: '6463-4', system: 'LN', display: 'Organism identified' },
      value: { kind: 'coded', value: { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' } },
      valueDetail: {
        kind: 'coded-list',
        values: [
          { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' },
          { code: '40886007', display: 'Klebsiella oxytoca', system: 'SCT' },
        ],
      },
      status: 'F',
      time: '2026-11-24T09:00:00+01:00',
    }).other;
    expect(words).toEqual(['6463-4', 'Organism identified', '3092008', 'Staphylococcus aureus', '40886007', 'Klebsiella oxytoca']);
  });
});
