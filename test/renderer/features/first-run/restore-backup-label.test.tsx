// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, TEST_RECOVERY_KEY } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * H6 F5: a backup's date in clear (what the list shows and sorts by) is covered by no check; its
 * sealed date is compared with it once the file is opened. A file whose clear date was changed is
 * restored only once the user has read both dates and says so.
 */

const ALTERED = 'This file’s label says 7 Dec 2026, 08:48 but its sealed contents were made on 3 Jan 2025, 10:00: the file may have been altered.';

async function openRestore(node = createFakeNode()) {
  const vault = createFakeVault();
  renderApp(node, '', vault);
  const section = await screen.findByRole('region', { name: 'Create the vault' });
  fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
  return { vault, restore: await screen.findByRole('region', { name: 'Restore from a backup' }) };
}

function fill(restore: HTMLElement, file: string): void {
  fireEvent.change(within(restore).getByLabelText('Backup file'), { target: { value: file } });
  fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
  fireEvent.change(within(restore).getByLabelText('Recovery key'), { target: { value: TEST_RECOVERY_KEY } });
}

describe('restore: a backup whose clear date differs from its sealed one (H6 F5)', () => {
  it('says so with both dates before anything is restored, and restores only once the user accepts', async () => {
    const { vault, restore } = await openRestore();
    vault.restoreLabelAltered = ALTERED;
    fill(restore, '/media/stick/copy.hdmsbak');
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));

    const warning = await within(restore).findByRole('region', { name: 'The backup’s date differs from its label' });
    expect(within(warning).getByRole('alert').textContent).toBe(ALTERED);
    expect(screen.queryByRole('heading', { name: 'Backup restored' })).toBeNull();
    const accept = within(warning).getByRole('checkbox', { name: /Restore it anyway/ }) as HTMLInputElement;
    // Pressed again without the box ticked: asked again, still nothing restored.
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(vault.callsTo('restoreBackup')).toHaveLength(2));
    expect(vault.callsTo('restoreBackup').every(([input]) => (input as { acceptAlteredLabel?: true }).acceptAlteredLabel === undefined)).toBe(true);

    fireEvent.click(accept);
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    expect(await screen.findByRole('heading', { name: 'Backup restored' })).toBeTruthy();
    expect(vault.callsTo('restoreBackup').at(-1)).toEqual([{ path: '/media/stick/copy.hdmsbak', secret: { recoveryKey: TEST_RECOVERY_KEY }, acceptAlteredLabel: true }]);
  });

  it('asks again for another file: the acceptance was for the file it named', async () => {
    const { vault, restore } = await openRestore();
    vault.restoreLabelAltered = ALTERED;
    fill(restore, '/media/stick/copy.hdmsbak');
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    fireEvent.click(within(await within(restore).findByRole('region', { name: 'The backup’s date differs from its label' })).getByRole('checkbox', { name: /Restore it anyway/ }));
    fireEvent.change(within(restore).getByLabelText('Backup file'), { target: { value: '/media/stick/other.hdmsbak' } });
    expect(within(restore).queryByRole('region', { name: 'The backup’s date differs from its label' })).toBeNull();
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await within(restore).findByRole('region', { name: 'The backup’s date differs from its label' });
    expect(vault.callsTo('restoreBackup').at(-1)).toEqual([{ path: '/media/stick/other.hdmsbak', secret: { recoveryKey: TEST_RECOVERY_KEY } }]);
  });

  it('labels the dates of the list as what each file says', async () => {
    const node = createFakeNode();
    node.handle('backup.list', () => ({ backups: [{ path: '/b/x.hdmsbak', name: 'x.hdmsbak', bytes: 1000, createdAt: '2026-12-06T08:00:00.000Z' }] }));
    const { restore } = await openRestore(node);
    await within(restore).findByLabelText('Backups found');
    expect(within(restore).getByText(/newest first\. Dates as written in each file; checked when you open one\.$/)).toBeTruthy();
  });
});
