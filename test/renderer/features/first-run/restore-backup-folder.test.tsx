// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeNode, FakeRefusal } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Tester T2 F9: on a new computer the browser shell's restore screen had only a path field (the
 * desktop app has a file dialog). The user names the folder the backups are in (a stick, a share)
 * and picks one of the backups listed there, with date and size, newest first.
 */

async function openRestore(node: ReturnType<typeof createFakeNode>): Promise<HTMLElement> {
  renderApp(node, '', createFakeVault());
  const section = await screen.findByRole('region', { name: 'Create the vault' });
  fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
  return screen.findByRole('region', { name: 'Restore from a backup' });
}

describe('restore: the backups in a folder the user names (tester T2 F9)', () => {
  it('lists the backups of a typed folder (date and size, newest first) and fills the path from the pick', async () => {
    const node = createFakeNode();
    const asked: unknown[] = [];
    node.handle('backup.list', (payload) => {
      asked.push(payload);
      if ((payload as { folder?: string }).folder !== '/media/stick') return { backups: [] };
      return {
        backups: [
          { path: '/media/stick/hdms-backup-copy.bak', name: 'hdms-backup-copy.bak', bytes: 3_000_000, createdAt: '2026-12-06T08:00:00.000Z' },
          { path: '/media/stick/hdms-backup-20261201T080000Z.hdmsbak', name: 'hdms-backup-20261201T080000Z.hdmsbak', bytes: 2_000_000, createdAt: '2026-12-01T08:00:00.000Z' },
        ],
      };
    });
    const restore = await openRestore(node);
    fireEvent.change(within(restore).getByLabelText('Backup folder'), { target: { value: '/media/stick' } });
    fireEvent.click(within(restore).getByRole('button', { name: 'List backups' }));
    const list = (await within(restore).findByLabelText('Backups found')) as HTMLSelectElement;
    await waitFor(() => expect(list.options).toHaveLength(3));
    expect([...list.options].map((o) => o.textContent)).toEqual([
      'Pick a backup, or give its path below',
      // Date and size first: at 1,000 px the closed list shows about 40 characters, and a scheduled
      // backup's name alone is 39 (hdms-scheduled-….hdmsbak), so a date after it was never seen.
      expect.stringMatching(/^\d{1,2} \w{3} 2026, \d{2}:\d{2}, 3\.0 MB — hdms-backup-copy\.bak$/),
      expect.stringMatching(/^\d{1,2} \w{3} 2026, \d{2}:\d{2}, 2\.0 MB — hdms-backup-20261201T080000Z\.hdmsbak$/),
    ]);
    expect(asked).toContainEqual({ folder: '/media/stick' });
    expect(within(restore).getByText(/backups in \/media\/stick, newest first/)).toBeTruthy();
    fireEvent.change(list, { target: { value: '/media/stick/hdms-backup-copy.bak' } });
    expect((within(restore).getByLabelText('Backup file') as HTMLInputElement).value).toBe('/media/stick/hdms-backup-copy.bak');
  });

  it('says when the folder holds no backup, and gives the body’s refusal of a path that is no folder at the field', async () => {
    const node = createFakeNode();
    node.handle('backup.list', (payload) => {
      const folder = (payload as { folder?: string }).folder;
      if (folder === '/media/stick/old.hdmsbak') throw new FakeRefusal('folder: that path is a file, not a folder; give the folder that holds the backups (or the file’s path as the backup file).');
      return { backups: [] };
    });
    const restore = await openRestore(node);
    const field = within(restore).getByLabelText('Backup folder');
    fireEvent.change(field, { target: { value: '/media/empty' } });
    fireEvent.click(within(restore).getByRole('button', { name: 'List backups' }));
    expect(await within(restore).findByText('No backup in that folder (a backup is known by its first bytes, whatever its name).')).toBeTruthy();
    fireEvent.change(field, { target: { value: '/media/stick/old.hdmsbak' } });
    fireEvent.click(within(restore).getByRole('button', { name: 'List backups' }));
    expect(await within(restore).findByText(/Backup folder: that path is a file, not a folder/)).toBeTruthy();
  });
});
