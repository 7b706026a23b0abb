// @vitest-environment happy-dom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { LedgerVerification } from '../../../../renderer/ledger/ledger-service';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, makeEntries, type FakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const BROKEN: LedgerVerification = {
  ok: false,
  entries: 5,
  checkedAt: '2025-03-02T09:00:00.000Z',
  firstBreak: { seq: 4, problem: 'the signature was not made by this node’s key' },
};

/** The Ledger page as the one operator of the given role, its verification panel found. */
async function openAs(role: OperatorRole, lastVerification: LedgerVerification | null = null): Promise<{ ledger: FakeLedger; panel: HTMLElement }> {
  const ledger = createFakeLedger({ entries: makeEntries(5), lastVerification });
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger', vault, ledger);
  await screen.findByRole('heading', { level: 1, name: 'Ledger' });
  return { ledger, panel: await screen.findByRole('region', { name: 'Verification' }) };
}

describe('Ledger › verification panel by role', () => {
  it('shows a researcher no "Export ledger" (their role does not export it) but still "Verify ledger"', async () => {
    const { ledger, panel } = await openAs('researcher');
    expect(within(panel).getByRole('button', { name: 'Verify ledger' })).toBeTruthy();
    expect(within(panel).queryByRole('button', { name: 'Export ledger' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Export ledger' })).toBeNull();
    expect(ledger.callsTo('exportLedger')).toEqual([]);
  });

  it('does not tell a researcher to export a broken ledger, but who can', async () => {
    const { panel } = await openAs('researcher', BROKEN);
    const alert = within(panel).getByRole('alert');
    expect(alert.textContent).toContain('Entry 4: the signature was not made by this node’s key');
    expect(alert.textContent).not.toContain('Export the ledger and keep the file');
    expect(alert.textContent).toContain('not trusted. Tell an administrator, a clinician or an auditor: they can export the ledger and keep the file for the investigation.');
  });

  it.each(['auditor', 'admin', 'clinician'] as const)('shows a %s "Export ledger", which exports', async (role) => {
    const { ledger, panel } = await openAs(role);
    fireEvent.click(within(panel).getByRole('button', { name: 'Export ledger' }));
    expect((await within(panel).findByText(/^Exported 5 entries to/)).getAttribute('role')).toBe('status');
    expect(ledger.callsTo('exportLedger')).toHaveLength(1);
  });

  it('tells an auditor to export a broken ledger', async () => {
    const { panel } = await openAs('auditor', BROKEN);
    expect(within(panel).getByRole('alert').textContent).toContain('Export the ledger and keep the file for the investigation.');
  });
});
