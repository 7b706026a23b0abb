// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { describeBackupStatus } from '../../../../renderer/features/settings/backup-settings-block';
import { VaultError } from '../../../../renderer/vault/vault-service';
import type { BackupSettings } from '../../../../shared/ipc/vault-contract';
import { createFakeNode, FakeRefusal } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { emitEvent, renderApp } from '../../support/render-app';

const LAST = { at: '2026-03-04T02:30:00.000Z', bytes: 1_234_567, scheduled: true };

function nodeWithBackups(vaultState: 'unlocked' | 'locked') {
  const node = createFakeNode({ vault: { state: vaultState } });
  let settings: BackupSettings = { destination: null, schedule: { kind: 'off' }, keep: 7 };
  node.handle('backup.getSettings', () => ({ settings, folder: '/data/backups', defaultFolder: '/data/backups', dialogs: false }));
  node.handle('backup.updateSettings', (change) => {
    const next = { ...settings, ...(change as Partial<BackupSettings>) };
    if (next.destination === '/mnt/missing') throw new FakeRefusal('destination: there is no folder at that path; create it first.');
    settings = next;
    return { settings, folder: settings.destination ?? '/data/backups', defaultFolder: '/data/backups', dialogs: false };
  });
  node.handle('backup.status', () => ({ last: LAST, failure: { at: '2026-03-05T02:30:00.000Z', reason: 'The backup destination is full.' }, nextAt: '2026-03-05T02:45:00.000Z', erasureRecord: null }));
  return node;
}

/** The texts an input is described by (its hint and its problem), as a screen reader reads them with it. */
function describedBy(input: HTMLElement): (string | null | undefined)[] {
  return (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
}

function vaultWith(phase: 'unlocked' | 'locked', role: 'admin' | 'clinician') {
  return createFakeVault({
    phase,
    operators: [
      { name: role === 'admin' ? 'Ada Admin' : 'Carl Clinician', role, passphrase: ADMIN_PASSPHRASE },
      { name: 'Rita Researcher', role: 'researcher', passphrase: 'researcher passphrase one two' },
    ],
  });
}

describe('Settings › Data › Backup', () => {
  it('shows the last backup and the failure after it, and saves a destination, a daily schedule and retention', async () => {
    const node = nodeWithBackups('unlocked');
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    const text = describeBackupStatus({ last: LAST, failure: null, nextAt: null, erasureRecord: null });
    await within(group).findByText((content) => content.startsWith(text.last));
    expect(within(group).getByRole('alert').textContent).toMatch(/failed: The backup destination is full\./);
    const form = await within(group).findByRole('form', { name: 'Backup settings' });
    fireEvent.change(within(form).getByLabelText('Destination folder'), { target: { value: 'relative/path' } });
    const save = within(form).getByRole('button', { name: 'Save backup settings' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    expect(describedBy(within(form).getByLabelText('Destination folder'))).toContain('Destination folder: give a full folder path, or leave it empty.');
    fireEvent.change(within(form).getByLabelText('Destination folder'), { target: { value: '/mnt/missing' } });
    fireEvent.click(within(form).getByRole('radio', { name: 'Daily at a time' }));
    fireEvent.change(within(form).getByLabelText('Time of day'), { target: { value: '02:30' } });
    fireEvent.change(within(form).getByLabelText('Scheduled backups to keep'), { target: { value: '14' } });
    fireEvent.click(save);
    // The body's refusal of the folder, under the field with its label.
    await waitFor(() => expect(describedBy(within(form).getByLabelText('Destination folder'))).toContain('Destination folder: there is no folder at that path; create it first.'));
    expect(within(form).getByLabelText('Destination folder').getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(within(form).getByLabelText('Destination folder'), { target: { value: '/srv/backups' } });
    fireEvent.click(save);
    await within(form).findByText('Backup settings saved.');
    // The hint names the folder an empty field means, before and after a destination is saved (QA11 D4).
    expect(describedBy(within(form).getByLabelText('Destination folder')).some((text) => text?.includes('Empty: /data/backups.'))).toBe(true);
    expect(node.calls.filter((c) => c.method === 'backup.updateSettings').at(-1)?.payload).toEqual({ destination: '/srv/backups', schedule: { kind: 'daily', at: '02:30' }, keep: 14 });
    // No native dialog in the shell.
    expect(within(form).queryByRole('button', { name: 'Choose folder…' })).toBeNull();
  });

  it('warns an administrator while no schedule is set (a restored node makes none: QA s32 #3), and not once one is', async () => {
    const node = nodeWithBackups('unlocked');
    let nextAt: string | null = null;
    node.handle('backup.status', () => ({ last: null, failure: null, nextAt, erasureRecord: null }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const warning = await screen.findByRole('note', { name: 'Scheduled backups' });
    expect(warning.textContent).toMatch(/^Scheduled backups are not set on this computer/);
    const form = await screen.findByRole('form', { name: 'Backup settings' });
    fireEvent.click(within(form).getByRole('radio', { name: 'Daily at a time' }));
    nextAt = '2026-03-05T02:30:00.000Z';
    fireEvent.click(within(form).getByRole('button', { name: 'Save backup settings' }));
    await within(form).findByText('Backup settings saved.');
    // The body pushes its status after every save (backup-feature.ts announce()).
    emitEvent(node, 'backup.statusChanged', { last: null, failure: null, nextAt, erasureRecord: null });
    await waitFor(() => expect(screen.queryByRole('note', { name: 'Scheduled backups' })).toBeNull());
  });

  it('shows no schedule warning to a clinician (only an administrator can set one)', async () => {
    const node = nodeWithBackups('unlocked');
    node.handle('backup.status', () => ({ last: null, failure: null, nextAt: null, erasureRecord: null }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'clinician'));
    await screen.findByRole('heading', { name: 'Data' });
    expect(screen.queryByRole('note', { name: 'Scheduled backups' })).toBeNull();
  });

  it('"Check again" checks the destination now, not only the stored status (QA s32 #6)', async () => {
    const node = nodeWithBackups('unlocked');
    let available = false;
    node.handle('backup.checkDestination', () => ({
      available,
      reason: available ? null : 'The backup destination folder is not available (a network share offline, a drive not connected?).',
      checkedAt: '2026-03-05T09:15:00.000Z',
    }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    fireEvent.click(await within(group).findByRole('button', { name: 'Check again' }));
    // The reason is a sentence of its own, not a capital after a colon (H6 F3).
    expect((await within(group).findByText(/^Checked the destination at /)).textContent).toMatch(/: not available\. The backup destination folder is not available/);
    // The share is mounted again.
    available = true;
    fireEvent.click(within(group).getByRole('button', { name: 'Check again' }));
    expect((await within(group).findByText(/^Checked the destination at .*: available/)).textContent).toMatch(/the next backup goes there/);
    expect(node.calls.filter((c) => c.method === 'backup.checkDestination')).toHaveLength(2);
  });

  it('says when an erasure’s record could not be copied beside the backups (QA11 D1)', async () => {
    const node = nodeWithBackups('unlocked');
    node.handle('backup.status', () => ({
      last: LAST,
      failure: null,
      nextAt: null,
      erasureRecord: { at: '2026-03-05T09:00:00.000Z', reason: 'The record of an erasure could not be copied beside the backups: the backup destination folder is not there.' },
    }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    await waitFor(() => expect(within(group).getByRole('alert').textContent).toMatch(/^Since .*: The record of an erasure could not be copied beside the backups/));
  });

  it('shows each field’s problem under it with the field’s label, and a schema refusal from the body at its field (issue 11, Errors)', async () => {
    const node = nodeWithBackups('unlocked');
    node.handle('backup.updateSettings', () => {
      throw new FakeRefusal('Invalid request for backup.updateSettings: schedule.every: too_big; keep: too_small.');
    });
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const form = await screen.findByRole('form', { name: 'Backup settings' });
    const save = within(form).getByRole('button', { name: 'Save backup settings' }) as HTMLButtonElement;
    fireEvent.click(within(form).getByRole('radio', { name: 'Daily at a time' }));
    fireEvent.change(within(form).getByLabelText('Time of day'), { target: { value: '25:00' } });
    fireEvent.change(within(form).getByLabelText('Scheduled backups to keep'), { target: { value: '0' } });
    expect(describedBy(within(form).getByLabelText('Time of day'))).toContain('Time of day: give it as HH:MM, e.g. 02:30.');
    expect(describedBy(within(form).getByLabelText('Scheduled backups to keep'))).toContain('Scheduled backups to keep: a whole number from 1 to 1000.');
    expect(within(form).getByLabelText('Time of day').getAttribute('aria-invalid')).toBe('true');
    // The first one also says why the form cannot be sent.
    expect(save.disabled).toBe(true);
    expect(within(form).getAllByText('Time of day: give it as HH:MM, e.g. 02:30.')).toHaveLength(2);

    fireEvent.click(within(form).getByRole('radio', { name: 'Every N hours' }));
    fireEvent.change(within(form).getByLabelText('Hours between backups'), { target: { value: '200' } });
    expect(describedBy(within(form).getByLabelText('Hours between backups'))).toContain('Hours between backups: a whole number from 1 to 168.');
    fireEvent.change(within(form).getByLabelText('Hours between backups'), { target: { value: '12' } });
    fireEvent.change(within(form).getByLabelText('Scheduled backups to keep'), { target: { value: '7' } });
    expect(within(form).getByLabelText('Hours between backups').getAttribute('aria-invalid')).toBeNull();
    expect(save.disabled).toBe(false);
    // A body that still refuses: its schema's words go to the fields, never the raw text.
    fireEvent.click(save);
    await waitFor(() => expect(describedBy(within(form).getByLabelText('Hours between backups'))).toContain('Hours between backups: is too large (or too long).'));
    expect(describedBy(within(form).getByLabelText('Scheduled backups to keep'))).toContain('Scheduled backups to keep: is too small (or too short).');
    expect(form.textContent).not.toMatch(/Invalid request|too_big|schedule\.every/);
  });

  it('shows a failed Export backup in the status line at once, as the body pushes it (QA11 D2)', async () => {
    const node = nodeWithBackups('unlocked');
    node.handle('backup.status', () => ({ last: LAST, failure: null, nextAt: null, erasureRecord: null }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    await within(group).findByText((content) => content.startsWith('Last backup:'));
    expect(within(group).queryByText(/^The backup of .* failed/)).toBeNull();
    act(() => emitEvent(node, 'backup.statusChanged', { last: LAST, failure: { at: '2026-03-05T02:30:00.000Z', reason: 'The backup destination folder is not available.' }, nextAt: null, erasureRecord: null }));
    expect(await within(group).findByText(/^The backup of .* failed: The backup destination folder is not available\./)).toBeTruthy();
  });

  it('after a failed Export backup says the reason once, by the button, and the status box warns while the destination is unavailable (H6 F3)', async () => {
    const reason = 'The backup destination folder is not available (a network share offline, a drive not connected?).';
    const node = nodeWithBackups('unlocked');
    const nextAt = '2026-03-05T03:30:00.000Z';
    let failure: { at: string; reason: string } | null = null;
    node.handle('backup.status', () => ({ last: LAST, failure, nextAt, erasureRecord: null }));
    node.handle('backup.checkDestination', () => ({ available: false, reason, checkedAt: '2026-03-05T02:20:00.000Z' }));
    const vault = vaultWith('unlocked', 'admin');
    vault.failWith('exportBackup', new VaultError('E_BACKUP', reason));
    renderApp(node, '#/settings', vault);
    const group = await screen.findByRole('group', { name: 'Backup' });
    const statusBox = await within(group).findByText((content) => content.startsWith('Last backup:'));
    const timesSaid = (): number => (group.textContent ?? '').split('The backup destination folder is not available').length - 1;
    expect(statusBox.className).toContain('note--ok');

    // Check again finds the share offline: the last backup is no longer good news.
    fireEvent.click(within(group).getByRole('button', { name: 'Check again' }));
    await within(group).findByText(/^Checked the destination at /);
    expect(statusBox.className).toContain('note--warn');
    expect(timesSaid()).toBe(1);

    // Export backup fails: the body records the failure and pushes it, the button says why.
    fireEvent.click(within(group).getByRole('button', { name: 'Export backup' }));
    failure = { at: '2026-03-05T02:30:00.000Z', reason };
    act(() => emitEvent(node, 'backup.statusChanged', { last: LAST, failure, nextAt, erasureRecord: null }));
    await waitFor(() => expect(within(group).getAllByRole('alert').map((alert) => alert.textContent)).toEqual([reason]));
    expect(timesSaid()).toBe(1);
    expect(statusBox.className).toContain('note--warn');

    // Check again after it: the failure above says why, the check line that it still holds.
    fireEvent.click(within(group).getByRole('button', { name: 'Check again' }));
    expect((await within(group).findByText(/^Checked the destination at /)).textContent).toMatch(/: still not available\.$/);
    expect(within(group).getByText(/^The backup of .* failed: The backup destination folder is not available/)).toBeTruthy();
    expect(timesSaid()).toBe(1);
  });

  it('does not say "No backup has been made" of a vault that may come from a backup (H6 F4)', async () => {
    const node = nodeWithBackups('unlocked');
    node.handle('backup.status', () => ({ last: null, failure: null, nextAt: null, erasureRecord: null }));
    renderApp(node, '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    expect((await within(group).findByText(/^No backup made/)).textContent).toBe('No backup made on this computer yet.');
    expect(describeBackupStatus({ last: null, failure: null, nextAt: null, erasureRecord: null }).last).toBe('No backup made on this computer yet.');
  });

  it('sets Export backup apart from the settings form, under its own heading (H6 F6)', async () => {
    renderApp(nodeWithBackups('unlocked'), '#/settings', vaultWith('unlocked', 'admin'));
    const group = await screen.findByRole('group', { name: 'Backup' });
    const save = await within(group).findByRole('button', { name: 'Save backup settings' });
    const heading = within(group).getByRole('heading', { name: 'Back up now' });
    const exportButton = within(group).getByRole('button', { name: 'Export backup' });
    expect(save.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(heading.compareDocumentPosition(exportButton) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('is not offered to a clinician (backups are the administrator’s)', async () => {
    renderApp(nodeWithBackups('unlocked'), '#/settings', vaultWith('unlocked', 'clinician'));
    await screen.findByRole('region', { name: 'Data' });
    expect(screen.queryByRole('group', { name: 'Backup' })).toBeNull();
  });
});

/** A fresh start with several operators preselects nobody (the unlock screen asks): choose one by name. */
async function chooseOperator(name: RegExp): Promise<void> {
  const select = await screen.findByRole('combobox', { name: 'Operator' });
  fireEvent.change(select, { target: { value: screen.getByRole('option', { name }).getAttribute('value') } });
}

describe('the unlock screen', () => {
  it('tells an administrator when the last backup was made, and says nothing of it for other operators', async () => {
    renderApp(nodeWithBackups('locked'), '', vaultWith('locked', 'admin'));
    await screen.findByRole('heading', { name: 'Unlock the vault' });
    await chooseOperator(/Ada Admin/);
    const backups = await screen.findByLabelText('Backups');
    expect(backups.textContent).toContain('Last backup:');
    expect(backups.textContent).toContain('scheduled, 1.2 MB');
    expect(backups.textContent).toContain('The backup destination is full.');
    await chooseOperator(/Rita Researcher/);
    await waitFor(() => expect(screen.queryByLabelText('Backups')).toBeNull());
  });

  it('follows the body’s backup status while it stays open: a scheduled backup failing while locked shows at once (QA11 D2)', async () => {
    const node = nodeWithBackups('locked');
    node.handle('backup.status', () => ({ last: LAST, failure: null, nextAt: null, erasureRecord: null }));
    renderApp(node, '', vaultWith('locked', 'admin'));
    await chooseOperator(/Ada Admin/);
    const backups = await screen.findByLabelText('Backups');
    await waitFor(() => expect(backups.textContent).toContain('Last backup:'));
    expect(within(backups).queryByRole('alert')).toBeNull();
    act(() => emitEvent(node, 'backup.statusChanged', { last: LAST, failure: { at: '2026-03-05T02:30:00.000Z', reason: 'The backup destination is full.' }, nextAt: null, erasureRecord: null }));
    expect((await within(backups).findByRole('alert')).textContent).toMatch(/failed: The backup destination is full\./);
    act(() => emitEvent(node, 'backup.statusChanged', { last: { ...LAST, at: '2026-03-05T03:30:00.000Z' }, failure: null, nextAt: null, erasureRecord: null }));
    await waitFor(() => expect(within(backups).queryByRole('alert')).toBeNull());
  });
});
