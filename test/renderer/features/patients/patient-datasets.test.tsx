// @vitest-environment happy-dom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DataSearch } from '../../../../renderer/app/research-context';
import type { PatientDataset, Purchases } from '../../../../renderer/research/purchases';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/** Patient page › Datasets that included this patient (issue 15 item 8): the clinic's record of what left, per patient. */
const DATASET: PatientDataset = {
  purchaseId: `0x${'7a'.repeat(16)}`,
  researcher: `0x${'33'.repeat(20)}`,
  institution: 'North Research Institute',
  deliveryId: 'cd'.repeat(16),
  pseudonym: 'ab'.repeat(16),
  purpose: 'research-sale',
  consentMode: 'opt-out',
  profile: 'safe-harbor',
  k: 5,
  l: 2,
  released: 76,
  at: Date.parse('2026-12-05T10:00:00.000Z'),
};

function open(datasets: PatientDataset[], asked: string[]) {
  const purchases = { datasetsOfPatient: async (patientId: string) => (asked.push(patientId), datasets) } as unknown as Purchases;
  const search = { inbox: {}, queries: {}, purchases } as unknown as DataSearch;
  const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], operators: [{ name: 'Someone', role: 'clinician', passphrase: ADMIN_PASSPHRASE }] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault, undefined, undefined, undefined, search);
}

describe('Patient page › Datasets that included this patient', () => {
  it('lists each delivered dataset: when, to whom, the pseudonym, the purpose, the profile with k and ℓ', async () => {
    const asked: string[] = [];
    open([DATASET], asked);
    const section = await screen.findByRole('region', { name: 'Datasets that included this patient' });
    const rows = within(within(section).getByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(2);
    expect(rows[1]!.textContent).toMatch(/North Research Institute \(purchase 0x7a7a7a7a…, 76 records\)/);
    expect(rows[1]!.textContent).toContain('ab'.repeat(16));
    expect(rows[1]!.textContent).toMatch(/Research, with sale of anonymized data.*Safe Harbor, k = 5, ℓ = 2/);
    expect(asked).toEqual(['p-7']);
  });

  it('shows nothing for a patient no dataset included', async () => {
    const asked: string[] = [];
    open([], asked);
    await screen.findByRole('heading', { name: 'Records' });
    await waitFor(() => expect(asked).toEqual(['p-7']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('region', { name: 'Datasets that included this patient' })).toBeNull();
  });
});
