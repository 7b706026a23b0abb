// @vitest-environment happy-dom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { VaultError, type JournalIssues, type OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, type FakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const APPLIED = 'Every journal record was applied.';

async function openData(role: OperatorRole, issues?: JournalIssues, prepare?: (vault: FakeVault) => void) {
  const vault = createFakeVault({
    phase: 'unlocked',
    operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }],
    ...(issues === undefined ? {} : { journalIssues: issues }),
  });
  prepare?.(vault);
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault);
  await screen.findByRole('heading', { level: 1, name: 'Settings' });
  return { vault, data: screen.getByRole('region', { name: 'Data' }) };
}

describe('Settings › Data › Journal records', () => {
  it('says quietly that every record was applied when nothing was skipped or rejected', async () => {
    const { vault, data } = await openData('admin');
    const block = within(data).getByRole('group', { name: 'Journal records' });
    expect(await within(block).findByText(APPLIED)).toBeTruthy();
    expect(block.querySelector('.note')).toBeNull();
    expect(vault.callsTo('journalIssues')).toHaveLength(1);
  });

  it('warns with both counts, possible tampering and what to do', async () => {
    const { data } = await openData('admin', { problems: 2, rejected: 1 });
    const block = within(data).getByRole('group', { name: 'Journal records' });
    const note = await waitFor(() => {
      const found = block.querySelector('.note--warn');
      expect(found).not.toBeNull();
      return found as HTMLElement;
    });
    const text = note.textContent ?? '';
    expect(text).toContain('2 journal records were skipped as unreadable');
    expect(text).toContain('1 journal record was rejected as not written by this vault’s operators');
    expect(text).toContain('possible tampering');
    expect(text).toContain('Keep the vault folder');
    expect(text).toContain('Rebuilding the index does not remove these records');
    expect(text).toContain('The ledger lists the rejected ones in its entries’ summaries');
    expect(within(block).queryByText(APPLIED)).toBeNull();
  });

  it('gives a zero count too when only one kind occurred', async () => {
    const { data } = await openData('admin', { problems: 0, rejected: 3 });
    const block = within(data).getByRole('group', { name: 'Journal records' });
    expect(await within(block).findByText(/3 journal records were rejected/)).toBeTruthy();
    expect(within(block).getByText(/0 journal records were skipped as unreadable/)).toBeTruthy();
  });

  // Issue 11 (patient safety): a message whose identifiers named two charts was filed on the first, not merged.
  it('says how many messages named identifiers of two patients, where they were filed and that nothing was merged', async () => {
    const { data } = await openData('admin', { problems: 0, rejected: 0, identityConflicts: 2 });
    const block = within(data).getByRole('group', { name: 'Journal records' });
    const note = await waitFor(() => {
      const found = block.querySelector('.note--warn');
      expect(found).not.toBeNull();
      return found as HTMLElement;
    });
    const text = note.textContent ?? '';
    expect(text).toContain('2 messages named identifiers held by two different patients');
    expect(text).toContain('filed on the patient of the first such identifier');
    expect(text).toContain('not merged');
    expect(text).not.toContain('skipped as unreadable');
    expect(within(block).queryByText(APPLIED)).toBeNull();
  });

  it('is shown to auditors as well', async () => {
    const { data } = await openData('auditor', { problems: 1, rejected: 0 });
    const block = within(data).getByRole('group', { name: 'Journal records' });
    expect(await within(block).findByText(/1 journal record was skipped as unreadable/)).toBeTruthy();
  });

  it('shows an auditor the journal counts and nothing else of Data (their key slot opens no vault data)', async () => {
    const { data } = await openData('auditor', { problems: 1, rejected: 0 });
    expect(within(data).queryByRole('group', { name: 'Search index' })).toBeNull();
    expect(within(data).queryByRole('button', { name: /backup/i })).toBeNull();
  });

  it('shows a researcher no Data section at all and never asks', async () => {
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role: 'researcher', passphrase: ADMIN_PASSPHRASE }], journalIssues: { problems: 4, rejected: 4 } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault);
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    expect(screen.queryByRole('region', { name: 'Data' })).toBeNull();
    expect(document.body.textContent).not.toMatch(/rejected|unreadable/);
    expect(vault.callsTo('journalIssues')).toEqual([]);
  });

  it.each(['clinician'] as const)('shows a %s nothing and never asks', async (role) => {
    const { vault, data } = await openData(role, { problems: 4, rejected: 4 });
    expect(within(data).getByRole('group', { name: 'Search index' })).toBeTruthy();
    expect(within(data).queryByRole('group', { name: 'Journal records' })).toBeNull();
    expect(data.textContent).not.toMatch(/rejected|unreadable/);
    expect(vault.callsTo('journalIssues')).toEqual([]);
  });

  it('reads the counts again once a sync or rebuild has finished', async () => {
    const { vault, data } = await openData('admin');
    const block = within(data).getByRole('group', { name: 'Journal records' });
    expect(await within(block).findByText(APPLIED)).toBeTruthy();

    act(() => vault.setIndexing({ busy: true, applied: 10 }));
    vault.journalIssueCounts = { problems: 0, rejected: 2 };
    // Not while the replay runs: its counts would be partial.
    expect(vault.callsTo('journalIssues')).toHaveLength(1);
    act(() => vault.setIndexing({ busy: false }));

    expect(await within(block).findByText(/2 journal records were rejected/)).toBeTruthy();
    expect(within(block).queryByText(APPLIED)).toBeNull();
    expect(vault.callsTo('journalIssues')).toHaveLength(2);
  });

  it('says why when the counts cannot be read', async () => {
    const { data } = await openData('admin', undefined, (vault) => vault.failWith('journalIssues', new VaultError('E_NODE', 'The views could not be read.')));
    const block = within(data).getByRole('group', { name: 'Journal records' });
    expect((await within(block).findByRole('alert')).textContent).toBe('The views could not be read.');
    expect(within(block).queryByText(APPLIED)).toBeNull();
  });
});
