// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKUP_REFUSALS } from '../../../../renderer/vault/backup/backup-keyring';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, TEST_RECOVERY_KEY } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';
import { ledgerTime } from '../../../../renderer/features/ledger/ledger-format';

const GOOD = 'correct horse battery staple';

function type(label: string, value: string, scope: HTMLElement = document.body): void {
  fireEvent.change(within(scope).getByLabelText(label), { target: { value } });
}

/** The problem under a field, read out with it (aria-describedby), or null when it is not invalid. */
function problemAt(label: string, scope: HTMLElement): string | null {
  const input = within(scope).getByLabelText(label);
  if (input.getAttribute('aria-invalid') !== 'true') return null;
  const texts = (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id));
  return texts.find((element) => element?.classList.contains('field__problem'))?.textContent ?? null;
}

async function openSetup() {
  const vault = createFakeVault();
  renderApp(createFakeNode(), '', vault);
  const section = await screen.findByRole('region', { name: 'Create the vault' });
  return { vault, section, createButton: () => within(section).getByRole('button', { name: 'Create vault' }) as HTMLButtonElement };
}

afterEach(() => {
  vi.restoreAllMocks();
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
});

describe('Create the vault', () => {
  it('keeps "Create vault" disabled with the reason until the name and passphrases meet the policy', async () => {
    const { section, createButton } = await openSetup();
    const reason = (): string => document.getElementById(createButton().getAttribute('aria-describedby') ?? '')?.textContent ?? '';

    expect(createButton().disabled).toBe(true);
    expect(reason()).toBe('Enter your name.');

    type('Your name', 'Ada Lovelace', section);
    expect(reason()).toBe('Choose a passphrase.');

    type('Passphrase', 'Tr0ub4dor&3', section);
    expect(reason()).toMatch(/at least 12 characters/);

    type('Passphrase', 'aaaaaaaaaaaaaaaaa', section);
    expect(reason()).toMatch(/too easy to guess/);
    expect(section.textContent).toContain('Strength: Very weak');

    type('Passphrase', GOOD, section);
    expect(section.textContent).toContain('Strength: Very strong');
    expect(reason()).toMatch(/again to confirm/);

    type('Confirm passphrase', `${GOOD}!`, section);
    expect(reason()).toBe('The two passphrases do not match.');
    expect(createButton().disabled).toBe(true);

    type('Confirm passphrase', GOOD, section);
    expect(createButton().disabled).toBe(false);
    expect(createButton().getAttribute('aria-describedby')).toBeNull();
  });

  it('describes the passphrase field with the live strength meter', async () => {
    const { section } = await openSetup();
    const field = within(section).getByLabelText('Passphrase');
    type('Passphrase', 'abcd1234abcd', section);
    const described = (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '');
    expect(described.join(' ')).toMatch(/Strength: (Very weak|Weak|Fair)/);
    expect(within(section).getByRole('meter', { name: 'Passphrase strength' })).toBeTruthy();
  });

  it('creates the vault, shows the recovery key once, and opens the app only after "I have stored the recovery key"', async () => {
    const { vault, section, createButton } = await openSetup();
    const print = vi.fn();
    Object.defineProperty(window, 'print', { value: print, configurable: true });
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

    type('Your name', 'Ada Lovelace', section);
    type('Passphrase', GOOD, section);
    type('Confirm passphrase', GOOD, section);
    fireEvent.click(createButton());

    const heading = await screen.findByRole('heading', { level: 1, name: 'Save your recovery key' });
    expect(vault.callsTo('create')).toEqual([[{ operatorName: 'Ada Lovelace', passphrase: GOOD }]]);
    await waitFor(() => expect(document.activeElement).toBe(heading));
    // The vault is open, but the frame waits for the key to be stored.
    expect(vault.phase()).toBe('unlocked');
    expect(screen.queryByRole('navigation', { name: 'Areas' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Lock' })).toBeNull();

    const groups = [...document.querySelectorAll('.recovery-key__group')].map((g) => g.textContent);
    expect(groups.join('-')).toBe(TEST_RECOVERY_KEY);
    expect(screen.getByText(/only way back into the vault/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(TEST_RECOVERY_KEY));
    fireEvent.click(screen.getByRole('button', { name: 'Print' }));
    expect(print).toHaveBeenCalledOnce();

    const continueButton = screen.getByRole('button', { name: 'Continue' }) as HTMLButtonElement;
    expect(continueButton.disabled).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'I have stored the recovery key' }));
    expect(continueButton.disabled).toBe(false);
    fireEvent.click(continueButton);

    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(window.location.hash).toBe('#/intake/first-feed');
    // Setup ends with "Connect your first feed" (issue 11).
    expect(screen.getByRole('heading', { level: 1, name: 'Intake' })).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'Connect your first feed' })).toBeTruthy();
    expect(screen.queryByText(TEST_RECOVERY_KEY)).toBeNull();
    // The empty vault offers demo data right away (to the administrator who created it).
    expect(await screen.findByRole('button', { name: 'Import demo data' })).toBeTruthy();
    expect(screen.getByRole('banner').textContent).toContain('Ada Lovelace');
    expect(screen.getByRole('banner').textContent).toContain('Administrator');
  });

  it('stays on the form and says why when the vault refuses', async () => {
    const { vault, section, createButton } = await openSetup();
    vault.failWith('create', new VaultError('E_NODE', 'The disk is full.'));
    type('Your name', 'Ada', section);
    type('Passphrase', GOOD, section);
    type('Confirm passphrase', GOOD, section);
    fireEvent.click(createButton());
    expect((await within(section).findByRole('alert')).textContent).toBe('The disk is full.');
    expect(screen.getByRole('heading', { level: 1, name: 'Welcome to HDMS Node' })).toBeTruthy();
  });

  it('marks the form busy while the vault is being created', async () => {
    const { vault, section, createButton } = await openSetup();
    vault.hold('create');
    type('Your name', 'Ada', section);
    type('Passphrase', GOOD, section);
    type('Confirm passphrase', GOOD, section);
    fireEvent.click(createButton());
    expect(await within(section).findByText('Creating the vault…')).toBeTruthy();
    expect(createButton().disabled).toBe(true);
    await act(async () => vault.release('create'));
    expect(await screen.findByRole('heading', { name: 'Save your recovery key' })).toBeTruthy();
  });
});

describe('Restore from a backup', () => {
  it('moves the focus to the form it switches to, both ways, not to the page (QA s32 #9)', async () => {
    const { section } = await openSetup();
    const toRestore = within(section).getByRole('button', { name: 'Restore from a backup' });
    toRestore.focus();
    fireEvent.click(toRestore);
    await screen.findByRole('region', { name: 'Restore from a backup' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Restore from a backup' })));
    const back = screen.getByRole('button', { name: 'Back' });
    back.focus();
    fireEvent.click(back);
    await screen.findByRole('region', { name: 'Create the vault' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Create the vault' })));
  });

  it('switches to its own form (one "Passphrase" field on screen) and back', async () => {
    const { section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    expect(screen.getAllByLabelText('Passphrase')).toHaveLength(1);
    expect(screen.queryByLabelText('Confirm passphrase')).toBeNull();
    expect(within(restore).getByLabelText('Backup file')).toBeTruthy();
    fireEvent.click(within(restore).getByRole('button', { name: 'Back' }));
    expect(await screen.findByRole('region', { name: 'Create the vault' })).toBeTruthy();
  });

  it('"Back" works at the first click from an empty field: leaving the field for Back shows no problem that would move the button mid-click (QA s32 #5)', async () => {
    const { section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    const passphrase = within(restore).getByLabelText('Passphrase');
    const back = within(restore).getByRole('button', { name: 'Back' });
    passphrase.focus();
    // Pressing the mouse on Back blurs the field first, towards Back.
    fireEvent.blur(passphrase, { relatedTarget: back });
    expect(problemAt('Passphrase', restore)).toBeNull();
    expect(within(restore).queryByText('Passphrase: must not be empty.')).toBeNull();
    // Leaving the form for the rest of the page says nothing either.
    fireEvent.blur(within(restore).getByLabelText('Operator name'), { relatedTarget: screen.getByRole('button', { name: 'Explore the app' }) });
    expect(problemAt('Operator name', restore)).toBeNull();
    // Leaving for another field of the form still says what the field needs.
    fireEvent.blur(passphrase, { relatedTarget: within(restore).getByLabelText('Backup file') });
    expect(problemAt('Passphrase', restore)).toBe('Passphrase: must not be empty.');
    fireEvent.click(back);
    expect(await screen.findByRole('region', { name: 'Create the vault' })).toBeTruthy();
  });

  it('restores with the recovery key and opens the app', async () => {
    const { vault, section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    const button = within(restore).getByRole('button', { name: 'Restore' }) as HTMLButtonElement;
    // Pressed on the empty form, it shows the problems and stays disabled until they are fixed (H8 F16).
    fireEvent.click(button);
    expect(button.disabled).toBe(true);
    expect(vault.callsTo('restoreBackup')).toEqual([]);

    type('Backup file', 'D:\\backups\\node.hdmsbak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    expect(within(restore).queryByLabelText('Passphrase')).toBeNull();
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    expect(button.disabled).toBe(false);
    vault.restoreErasuresReapplied = 2;
    fireEvent.click(button);

    // What the restore did, before the app opens (QA11 D1: the erasures it applied again).
    expect(await screen.findByRole('heading', { name: 'Backup restored' })).toBeTruthy();
    expect(screen.getByText(/^2 erasures made after this backup were applied again/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(vault.callsTo('restoreBackup')).toEqual([[{ path: 'D:\\backups\\node.hdmsbak', secret: { recoveryKey: TEST_RECOVERY_KEY } }]]);
  });

  it('says when the backup was made, where its ledger ends, and that entries signed after it are not in this vault (tester T2 S35 F3)', async () => {
    const { vault, section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    type('Backup file', 'D:\\backups\\node.hdmsbak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    vault.restoreLedgerSeq = 10;
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    const done = await screen.findByRole('region', { name: 'What the restore did' });
    const made = within(done).getByText(/^This backup was made /);
    expect(made.textContent).toContain(`made ${ledgerTime('2026-12-07T08:48:31.000Z')}`);
    expect(made.textContent).toContain('its ledger ends at entry 10');
    const missing = within(done).getByText(/^Ledger entries this node signed after the backup/);
    expect(missing.textContent).toMatch(/are not in this vault/);
    expect(missing.textContent).toMatch(/ledger exports/);
    expect(missing.textContent).toMatch(/notary/);
  });

  it('says that scheduled backups are not set on this computer and links to Settings, where an administrator sees it too (QA s32 #3)', async () => {
    const { vault, section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    type('Backup file', 'D:\\backups\\node.hdmsbak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    const done = await screen.findByRole('region', { name: 'What the restore did' });
    // backup-settings.json stays with each computer: the restored node makes no scheduled backup.
    expect((await within(done).findByText(/^Scheduled backups are not set on this computer/)).textContent).toMatch(/backup settings are not part of a backup/i);
    fireEvent.click(within(done).getByRole('link', { name: 'Set them in Settings › Data › Backup' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    expect(vault.callsTo('restoreBackup')).toHaveLength(1);
    const warning = await screen.findByRole('note', { name: 'Scheduled backups' });
    expect(warning.textContent).toMatch(/^Scheduled backups are not set on this computer/);
    fireEvent.click(within(warning).getByRole('button', { name: 'Go to Backup' }));
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Backup'));
  });

  it('a backup with no erasure register beside it: the form says erasures made after it cannot be checked and takes the register, typed (QA issue 11)', async () => {
    const { vault, section } = await openSetup();
    vault.restoreRegisterBeside = false;
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    type('Backup file', '/media/usb/hdms-backup-20260101T000000Z.hdmsbak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));

    // Nothing restored yet: the form says plainly what it cannot check and asks for the register.
    const register = (await within(restore).findByLabelText('Erasure register')) as HTMLInputElement;
    expect(within(restore).getByText(/No erasure register is beside this backup file, so erasures made after the backup cannot be checked/)).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Backup restored' })).toBeNull();
    // The browser shell has no file dialog: the path is typed.
    expect(within(restore).queryByRole('button', { name: 'Choose register…' })).toBeNull();
    fireEvent.change(register, { target: { value: '/srv/backups/hdms-erasure-register.json' } });
    vault.restoreErasuresReapplied = 1;
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    expect(await screen.findByRole('heading', { name: 'Backup restored' })).toBeTruthy();
    expect(screen.getByText(/^1 erasure made after this backup was applied again/)).toBeTruthy();
    expect(vault.callsTo('restoreBackup').at(-1)).toEqual([
      { path: '/media/usb/hdms-backup-20260101T000000Z.hdmsbak', secret: { recoveryKey: TEST_RECOVERY_KEY }, erasureRegister: '/srv/backups/hdms-erasure-register.json' },
    ]);
  });

  it('a backup restored without its erasure register: the restored screen says erasures could not be checked, never that none had to be applied again', async () => {
    const { vault, section } = await openSetup();
    vault.restoreRegisterBeside = false;
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    type('Backup file', '/media/usb/old.hdmsbak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    fireEvent.click(await within(restore).findByRole('checkbox', { name: /Restore without the erasure register/ }));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    expect(await screen.findByRole('heading', { name: 'Backup restored' })).toBeTruthy();
    expect(screen.getByText(/Erasures made after this backup could not be checked: no erasure register was beside the backup file/)).toBeTruthy();
    expect(screen.queryByText(/had to be applied again/)).toBeNull();
    expect(vault.callsTo('restoreBackup').at(-1)).toEqual([{ path: '/media/usb/old.hdmsbak', secret: { recoveryKey: TEST_RECOVERY_KEY }, withoutErasureRegister: true }]);
  });

  it('lists the backups the node found (newest first) and fills the path from the list; a name without .hdmsbak is not refused (the node reads the content)', async () => {
    const vault = createFakeVault();
    const node = createFakeNode();
    node.handle('backup.list', () => ({
      backups: [
        { path: '/srv/backups/hdms-scheduled-20260305T023000Z.hdmsbak', name: 'hdms-scheduled-20260305T023000Z.hdmsbak', bytes: 2_000_000, createdAt: '2026-03-05T02:30:00.000Z' },
        { path: '/srv/backups/broken.hdmsbak', name: 'broken.hdmsbak', bytes: 10, createdAt: null },
      ],
    }));
    renderApp(node, '', vault);
    const section = await screen.findByRole('region', { name: 'Create the vault' });
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    const list = (await within(restore).findByLabelText('Backups found')) as HTMLSelectElement;
    const options = [...list.options];
    expect(options.map((o) => o.textContent)).toEqual([
      'Pick a backup, or give its path below',
      expect.stringMatching(/^\d{1,2} \w{3} 2026, \d{2}:\d{2}, 2\.0 MB — hdms-scheduled-20260305T023000Z\.hdmsbak$/),
      'Damaged or not a backup, 10 bytes — broken.hdmsbak',
    ]);
    expect(options[2]!.disabled).toBe(true);
    fireEvent.change(list, { target: { value: '/srv/backups/hdms-scheduled-20260305T023000Z.hdmsbak' } });
    expect((within(restore).getByLabelText('Backup file') as HTMLInputElement).value).toBe('/srv/backups/hdms-scheduled-20260305T023000Z.hdmsbak');
    // No native dialog in the browser shell.
    expect(within(restore).queryByRole('button', { name: 'Choose file…' })).toBeNull();
    // A copy renamed on the way (mail gateway, USB tool) is not refused by its name: the node reads
    // its content (tester T2 S35 F7), and the hint says so.
    type('Backup file', '/media/usb/hdms-backup-20261207T084831Z.bak', restore);
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', TEST_RECOVERY_KEY, restore);
    const button = within(restore).getByRole('button', { name: 'Restore' }) as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    expect(problemAt('Backup file', restore)).toBeNull();
    expect(within(restore).getByText(/The full path of the \.hdmsbak file/).textContent).toContain('a copy under another name is read by its content');
  });

  it('shows each restore field’s problem under it with its label, and a refusal that concerns one field at that field (issue 11, Errors)', async () => {
    const { vault, section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    // Nothing is wrong with a field nobody has left yet.
    expect(problemAt('Backup file', restore)).toBeNull();
    for (const label of ['Backup file', 'Operator name', 'Passphrase']) fireEvent.blur(within(restore).getByLabelText(label));
    expect(problemAt('Backup file', restore)).toBe('Backup file: must not be empty.');
    expect(problemAt('Operator name', restore)).toBe('Operator name: needed with a passphrase (the operator it belongs to).');
    expect(problemAt('Passphrase', restore)).toBe('Passphrase: must not be empty.');
    type('Backup file', '/backups/node.hdmsbak', restore);
    type('Operator name', 'Nobody', restore);
    type('Passphrase', GOOD, restore);
    vault.failWith('restoreBackup', new VaultError('E_BACKUP', BACKUP_REFUSALS.noOperator));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(problemAt('Operator name', restore)).toBe('Operator name: no enabled operator of that name is in the backup.'));
    type('Operator name', 'Ada', restore);
    expect(problemAt('Operator name', restore)).toBeNull();
    vault.failWith('restoreBackup', new VaultError('E_BACKUP', BACKUP_REFUSALS.passphrase));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(problemAt('Passphrase', restore)).toBe('Passphrase: did not open the backup.'));
    fireEvent.click(within(restore).getByRole('radio', { name: 'With the recovery key' }));
    type('Recovery key', 'not-a-key', restore);
    vault.failWith('restoreBackup', new VaultError('E_RECOVERY_KEY_FORMAT', 'Bad checksum.'));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(problemAt('Recovery key', restore)).toBe('Recovery key: is not a recovery key; check it for typing mistakes.'));
    // The body's refusal of the path, at the Backup file field in the form's words (QA s32 #10).
    type('Recovery key', 'also-not-a-key', restore);
    vault.failWith('restoreBackup', new VaultError('E_BACKUP', 'path: a backup is a regular file.'));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(problemAt('Backup file', restore)).toBe('Backup file: a backup is a regular file.'));
    vault.failWith('restoreBackup', new VaultError('E_BACKUP', 'No backup file at that path.'));
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(problemAt('Backup file', restore)).toBe('Backup file: there is no backup file at that path.'));
  });

  it('restores with an operator passphrase, and reports a backup that does not open', async () => {
    const { vault, section } = await openSetup();
    vault.failWith('restoreBackup', new VaultError('E_BACKUP', 'The backup file is unreadable.'));
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    type('Backup file', '/backups/node.hdmsbak', restore);
    type('Operator name', 'Ada', restore);
    type('Passphrase', GOOD, restore);
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    expect((await within(restore).findByRole('alert')).textContent).toBe('The backup file is unreadable.');
    expect(vault.callsTo('restoreBackup')[0]).toEqual([{ path: '/backups/node.hdmsbak', operatorName: 'Ada', secret: { passphrase: GOOD } }]);
  });
});

describe('the restore form of a new installation (H8 F16)', () => {
  it('names the section backups are made in, and shows no problem before the person leaves a field or presses Restore', async () => {
    const { section } = await openSetup();
    fireEvent.click(within(section).getByRole('button', { name: 'Restore from a backup' }));
    const restore = await screen.findByRole('region', { name: 'Restore from a backup' });
    expect(restore.textContent).toContain('Settings › Data › Backup');
    expect(restore.textContent).not.toContain('Settings → Data');
    expect(restore.textContent).not.toContain('must not be empty');
    fireEvent.click(within(restore).getByRole('button', { name: 'Restore' }));
    expect(problemAt('Backup file', restore)).toBe('Backup file: must not be empty.');
  });
});
