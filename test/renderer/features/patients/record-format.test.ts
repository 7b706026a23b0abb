import { describe, expect, it } from 'vitest';
import type { Patient } from '../../../../shared/domain/clinical';
import { addressLabel, patientClassLabel, recordName, visitClassLabel } from '../../../../renderer/features/patients/record-format';

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

// Interface analyst (QA s33 D2): a PV1-2 that was no patient class read "Last visit 2007-12-19, Outpatient".
describe('the patient class of a visit (HL7 table 0004)', () => {
  const visit = (patientClass?: string) => ({ type: 'visit', ...(patientClass === undefined ? {} : { patientClass }), start: '2007-12-19T10:00:00Z' }) as Parameters<typeof recordName>[0];
  it('names every class as itself and a visit without one "class not recorded", never Outpatient', () => {
    expect(['I', 'O', 'E'].map((c) => recordName(visit(c)))).toEqual(['Inpatient visit', 'Outpatient visit', 'Emergency visit']);
    expect(['P', 'R', 'B', 'C', 'N', 'U'].map((c) => recordName(visit(c)))).toEqual([
      'Visit (preadmit)',
      'Visit (recurring patient)',
      'Visit (obstetrics)',
      'Visit (commercial account)',
      'Visit (class not applicable)',
      'Visit (class unknown)',
    ]);
    expect(recordName(visit())).toBe('Visit (class not recorded)');
    expect(visitClassLabel(undefined)).toBe('class not recorded');
    expect(visitClassLabel('E')).toBe('Emergency');
    expect(visitClassLabel('R')).toBe('recurring patient');
    expect(patientClassLabel(undefined)).toBe('Not recorded');
    expect(patientClassLabel('U')).toBe('Unknown');
    expect(patientClassLabel('P')).toBe('Preadmit');
  });
});
