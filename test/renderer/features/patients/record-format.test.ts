import { describe, expect, it } from 'vitest';
import type { Patient } from '../../../../shared/domain/clinical';
import { addressLabel } from '../../../../renderer/features/patients/record-format';

const patient = (address: Patient['address']): Patient => ({ identifiers: [{ value: 'MRN-1', authority: 'CLINIC', type: 'MR' }], name: { family: 'Doe', given: ['Jane'] }, ...(address === undefined ? {} : { address }) });

describe('addressLabel', () => {
  // Interface analyst: PID-11 `1 Elm St^Apt 2^Boston^MA^02110^USA` showed "1 Elm St, Apt 2, 02110 Boston, USA" (no MA).
  it('shows the state or province after the town: "02110 Boston MA"', () => {
    expect(addressLabel(patient({ street: '1 Elm St, Apt 2', city: 'Boston', state: 'MA', postalCode: '02110', country: 'USA' }))).toBe('1 Elm St, Apt 2, 02110 Boston MA, USA');
    expect(addressLabel(patient({ street: '12 Main St', city: 'Springfield', state: 'IL', postalCode: '62701' }))).toBe('12 Main St, 62701 Springfield IL');
    expect(addressLabel(patient({ state: 'IL' }))).toBe('IL');
  });

  it('reads as before without one', () => {
    expect(addressLabel(patient({ street: 'Hauptstrasse 5', city: 'Bern', postalCode: '3011', country: 'CH' }))).toBe('Hauptstrasse 5, 3011 Bern, CH');
    expect(addressLabel(patient(undefined))).toBe('');
  });
});
