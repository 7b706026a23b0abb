// @vitest-environment happy-dom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Patient } from '../../../../shared/domain/clinical';
import { ageSexLabel } from '../../../../renderer/features/patients/patient-banner';
import { mergeDemographics } from '../../../../renderer/vault/views/patient-demographics';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Security audit (issue 11): a PID-7 "1945XX17" was silently left out (the banner read "Age not
 * recorded"). It is kept as sent beside the birth date, never as it: the record reads "not a valid
 * date (sent: …)", and no age, search word or match comes from it.
 */

function openPatient(patient: Partial<Patient>) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }], patients: [makePatient(7, patient)] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
}

describe('a birth date that is not a valid HL7 date', () => {
  it('the age reads unknown and the date "not a valid date (sent: …)"; beside a valid one sent earlier, both are said', () => {
    expect(ageSexLabel(undefined, 'F', '2025-07-14', '1945XX17')).toBe('Age unknown, Female (birth date: not a valid date (sent: 1945XX17))');
    expect(ageSexLabel('1945-03-17', 'F', '2025-07-14', '1945XX17')).toBe('80 y, Female (born 1945-03-17; a later message sent a birth date that is not a valid date (sent: 1945XX17))');
    expect(ageSexLabel('1945-03-17', 'F', '2025-07-14')).toBe('80 y, Female (born 1945-03-17)');
  });

  it('the patient banner shows it', async () => {
    openPatient({ birthDate: undefined, birthDateSent: '1945XX17' });
    expect((await screen.findByText(/not a valid date \(sent: 1945XX17\)/)).textContent).toMatch(/^Age unknown, Female/);
  });

  it('across messages: a valid birth date takes its place, `""` clears both, a later invalid one is said beside the valid one', () => {
    const base: Patient = { identifiers: [{ value: 'M1', authority: 'A', type: 'MR' }], name: { family: 'Doe', given: ['Jane'] } };
    const invalid = mergeDemographics(undefined, { ...base, birthDateSent: '1945XX17' });
    expect(invalid).toMatchObject({ birthDateSent: '1945XX17' });
    expect(invalid.birthDate).toBeUndefined();
    const fixed = mergeDemographics(invalid, { ...base, birthDate: '1945-03-17' });
    expect(fixed.birthDate).toBe('1945-03-17');
    expect(fixed).not.toHaveProperty('birthDateSent');
    const both = mergeDemographics(fixed, { ...base, birthDateSent: '1945XX17' });
    expect(both).toMatchObject({ birthDate: '1945-03-17', birthDateSent: '1945XX17' });
    expect(mergeDemographics(both, base)).toMatchObject({ birthDate: '1945-03-17', birthDateSent: '1945XX17' });
    const cleared = mergeDemographics(both, { ...base, cleared: ['birthDate'] });
    expect(cleared).not.toHaveProperty('birthDate');
    expect(cleared).not.toHaveProperty('birthDateSent');
  });
});
