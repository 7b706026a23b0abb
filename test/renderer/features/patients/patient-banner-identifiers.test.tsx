// @vitest-environment happy-dom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { bannerIdentifierLabel } from '../../../../renderer/features/patients/record-format';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Tester H8 F7: the banner, on every patient view, showed the social security number in full. */

describe('national identifiers in the patient banner', () => {
  it('an identifier of type SS is masked to its last characters; others are shown as sent', () => {
    expect(bannerIdentifierLabel({ value: 'SSN123', authority: 'USSSA', type: 'SS' })).toBe('SSN •••123 (USSSA)');
    expect(bannerIdentifierLabel({ value: '123456789', authority: '', type: 'ss' })).toBe('SSN •••6789');
    expect(bannerIdentifierLabel({ value: 'MRN100234', authority: 'CLINIC1', type: 'MR' })).toBe('MRN100234 (CLINIC1, MR)');
  });

  it('the banner masks it; the patient details list it in full', async () => {
    const vault = createFakeVault({
      phase: 'unlocked',
      operators: [{ name: 'Carl Clinician', role: 'clinician', passphrase: 'x'.repeat(20) }],
      patients: [
        makePatient(7, {
          identifiers: [
            { value: 'MRN100234', authority: 'CLINIC1', type: 'MR' },
            { value: 'SSN123', authority: 'USSSA', type: 'SS' },
          ],
        }),
      ],
    });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    const ids = await screen.findByRole('list', { name: 'Identifiers' });
    expect(ids.textContent).toContain('SSN •••123 (USSSA)');
    expect(ids.textContent).not.toContain('SSN123');
    const details = screen.getByText('National identifiers').parentElement!;
    expect(details.textContent).toContain('SSN123 (USSSA, SS)');
  });
});
