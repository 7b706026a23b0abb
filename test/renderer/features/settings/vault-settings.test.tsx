// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../../renderer/features/settings/data-section';
import { VaultError, type OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const NEW_PASSPHRASE = 'purple elephant under seven bridges';

async function openSettings(role: OperatorRole = 'admin', vault = vaultAs(role)) {
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault);
  await screen.findByRole('heading', { level: 1, name: 'Settings' });
  return vault;
}

function vaultAs(role: OperatorRole) {
  return createFakeVault({
    phase: 'unlocked',
    operators: [
      { name: role === 'admin' ? 'Ada Admin' : 'Rita Researcher', role, passphrase: ADMIN_PASSPHRASE },
      { name: 'Carl Clinician', role: 'clinician', passphrase: 'clinician passphrase one two' },
      { name: 'Old Account', role: 'researcher', passphrase: 'x'.repeat(20), disabled: true },
    ],
    patients: [makePatient(1), makePatient(2)],
  });
}

function change(label: string, value: string, scope: HTMLElement): void {
  fireEvent.change(within(scope).getByLabelText(label), { target: { value } });
}

/** Types into a field and leaves it (a field's problem shows once it was left). */
function fill(label: string, value: string, scope: HTMLElement): void {
  change(label, value, scope);
  fireEvent.blur(within(scope).getByLabelText(label));
}

/** The problem under a field, read out with it (aria-describedby), or null when it is not invalid. */
function problemAt(label: string, scope: HTMLElement): string | null {
  const input = within(scope).getByLabelText(label);
  if (input.getAttribute('aria-invalid') !== 'true') return null;
  const texts = (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id));
  return texts.find((element) => element?.classList.contains('field__problem'))?.textContent ?? null;
}

describe('Settings › Security', () => {
  it('sets the auto-lock time from a select with Never, 5, 10, 15, 30 and 60 minutes', async () => {
    const vault = await openSettings();
    const security = screen.getByRole('region', { name: 'Security' });
    const select = within(security).getByRole('combobox', { name: 'Lock automatically after' }) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['Never', '5 minutes', '10 minutes', '15 minutes', '30 minutes', '60 minutes']);
    expect(select.value).toBe('15');

    fireEvent.change(select, { target: { value: '0' } });
    await waitFor(() => expect(vault.callsTo('setAutoLockMinutes')).toEqual([[0]]));
    expect(vault.autoLockMinutes()).toBe(0);
    expect(await within(security).findByText('Saved.')).toBeTruthy();
  });

  it('shows a clinician the workstation\'s auto-lock without a control to change it (tester defect 1: only an administrator sets it)', async () => {
    const vault = await openSettings('clinician');
    const security = screen.getByRole('region', { name: 'Security' });
    expect(within(security).queryByRole('combobox', { name: 'Lock automatically after' })).toBeNull();
    expect(within(security).getByText('Lock automatically after: 15 minutes')).toBeTruthy();
    expect(within(security).getByText(/set by an administrator for every operator of this workstation/)).toBeTruthy();
    expect(vault.callsTo('setAutoLockMinutes')).toEqual([]);
  });

  it('puts the auto-lock time back when the vault refuses it', async () => {
    const vault = vaultAs('admin');
    vault.failWith('setAutoLockMinutes', new VaultError('E_NODE', 'Could not save.'));
    await openSettings('admin', vault);
    const security = screen.getByRole('region', { name: 'Security' });
    const select = within(security).getByRole('combobox', { name: 'Lock automatically after' }) as HTMLSelectElement;
    fireEvent.change(select, { target: { value: '60' } });
    expect((await within(security).findByRole('alert')).textContent).toBe('Could not save.');
    expect(select.value).toBe('15');
  });

  it('changes the passphrase: current, new and confirmation, with the policy', async () => {
    const vault = await openSettings();
    const form = screen.getByRole('form', { name: 'Change passphrase' });
    const button = within(form).getByRole('button', { name: 'Change passphrase' }) as HTMLButtonElement;
    // Untouched, the button is there to try: trying shows what is missing and sends nothing.
    expect(button.disabled).toBe(false);

    change('Current passphrase', 'wrong one', form);
    change('New passphrase', 'short', form);
    change('Confirm new passphrase', 'short', form);
    fireEvent.click(button);
    expect(button.disabled).toBe(true);
    expect(vault.callsTo('changePassphrase')).toEqual([]);
    change('New passphrase', NEW_PASSPHRASE, form);
    change('Confirm new passphrase', NEW_PASSPHRASE, form);
    expect(button.disabled).toBe(false);

    fireEvent.click(button);
    expect((await within(form).findByRole('alert')).textContent).toBe('Current passphrase: is not right.');

    change('Current passphrase', ADMIN_PASSPHRASE, form);
    fireEvent.click(button);
    expect(await within(form).findByText(/Your passphrase was changed/)).toBeTruthy();
    expect(vault.callsTo('changePassphrase').at(-1)).toEqual([{ current: ADMIN_PASSPHRASE, next: NEW_PASSPHRASE }]);
    expect((within(form).getByLabelText('Current passphrase') as HTMLInputElement).value).toBe('');
  });
});

describe('Settings › Security › Change passphrase: field-level messages (issue 11, Errors)', () => {
  it('shows each field’s problem under it with its label once the field was left, and the vault’s refusal at the current passphrase', async () => {
    const vault = await openSettings();
    const form = screen.getByRole('form', { name: 'Change passphrase' });
    // An untouched form greets nobody with errors.
    expect(problemAt('Current passphrase', form)).toBeNull();
    expect(problemAt('New passphrase', form)).toBeNull();
    fireEvent.blur(within(form).getByLabelText('Current passphrase'));
    expect(problemAt('Current passphrase', form)).toBe('Current passphrase: must not be empty.');
    fill('New passphrase', 'short', form);
    expect(problemAt('New passphrase', form)).toBe('New passphrase: needs at least 12 characters.');
    fill('New passphrase', 'aaaaaaaaaaaaaaaa', form);
    expect(problemAt('New passphrase', form)).toBe('New passphrase: is too easy to guess; make it longer or less predictable.');
    fill('New passphrase', NEW_PASSPHRASE, form);
    expect(problemAt('New passphrase', form)).toBeNull();
    fill('Confirm new passphrase', `${NEW_PASSPHRASE}!`, form);
    expect(problemAt('Confirm new passphrase', form)).toBe('Confirm new passphrase: does not match the new passphrase.');
    fill('Confirm new passphrase', NEW_PASSPHRASE, form);
    fill('Current passphrase', NEW_PASSPHRASE, form);
    expect(problemAt('New passphrase', form)).toBe('New passphrase: is the same as the current one.');
    fill('Current passphrase', 'not my passphrase at all', form);
    fireEvent.click(within(form).getByRole('button', { name: 'Change passphrase' }));
    await waitFor(() => expect(problemAt('Current passphrase', form)).toBe('Current passphrase: is not right.'));
    // Typing again clears the refusal.
    change('Current passphrase', ADMIN_PASSPHRASE, form);
    expect(problemAt('Current passphrase', form)).toBeNull();
    expect(vault.callsTo('changePassphrase')).toHaveLength(1);
  });

  it('shows the vault’s refusal of a weak passphrase under the new passphrase', async () => {
    const vault = vaultAs('admin');
    vault.failWith('changePassphrase', new VaultError('E_WEAK_PASSPHRASE', 'The passphrase is below the vault’s policy.'));
    await openSettings('admin', vault);
    const form = screen.getByRole('form', { name: 'Change passphrase' });
    change('Current passphrase', ADMIN_PASSPHRASE, form);
    change('New passphrase', NEW_PASSPHRASE, form);
    change('Confirm new passphrase', NEW_PASSPHRASE, form);
    fireEvent.click(within(form).getByRole('button', { name: 'Change passphrase' }));
    await waitFor(() => expect(problemAt('New passphrase', form)).toBe('New passphrase: the passphrase is below the vault’s policy.'));
  });
});

describe('Settings › Operators: field-level messages (issue 11, Errors)', () => {
  it('names the field of each problem when adding an operator: an empty or taken name, a short passphrase, a confirmation that differs', async () => {
    const vault = await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    await within(section).findByRole('row', { name: /Carl Clinician/ });
    const form = within(section).getByRole('form', { name: 'Add operator' });
    fireEvent.blur(within(form).getByLabelText('Name'));
    expect(problemAt('Name', form)).toBe('Name: must not be empty.');
    // A name in use is said at once, in any case.
    change('Name', 'carl clinician', form);
    expect(problemAt('Name', form)).toBe('Name: an operator of this name exists already; choose another.');
    fill('Name', 'N'.repeat(81), form);
    expect(problemAt('Name', form)).toBe('Name: takes at most 80 characters.');
    fill('Name', 'Nora Nurse', form);
    expect(problemAt('Name', form)).toBeNull();
    fill('Initial passphrase', 'short', form);
    expect(problemAt('Initial passphrase', form)).toBe('Initial passphrase: needs at least 12 characters.');
    fill('Initial passphrase', NEW_PASSPHRASE, form);
    fill('Confirm initial passphrase', 'purple elephant', form);
    expect(problemAt('Confirm initial passphrase', form)).toBe('Confirm initial passphrase: does not match the initial passphrase.');
    // Sending is refused with the reason next to the button, which it then disables (QA2-11 Q4).
    const button = within(form).getByRole('button', { name: 'Add operator' }) as HTMLButtonElement;
    fireEvent.click(button);
    expect(button.disabled).toBe(true);
    expect(problemsShown(form)).toContain('Confirm initial passphrase: does not match the initial passphrase.');
    expect(vault.callsTo('addOperator')).toEqual([]);
  });

  it('puts the vault’s refusal of a name (added meanwhile in another window) under the Name field', async () => {
    const vault = vaultAs('admin');
    vault.failWith('addOperator', new VaultError('E_EXISTS', 'An operator with this name exists already.'));
    await openSettings('admin', vault);
    const form = within(screen.getByRole('region', { name: 'Operators' })).getByRole('form', { name: 'Add operator' });
    change('Name', 'Nora Nurse', form);
    change('Initial passphrase', NEW_PASSPHRASE, form);
    change('Confirm initial passphrase', NEW_PASSPHRASE, form);
    fireEvent.click(within(form).getByRole('button', { name: 'Add operator' }));
    await waitFor(() => expect(problemAt('Name', form)).toBe('Name: an operator of this name exists already; choose another.'));
    expect(within(form).getAllByRole('alert').map((alert) => alert.textContent)).toEqual(['Name: an operator of this name exists already; choose another.']);
  });

  it('tells how the operator changes the temporary passphrase by role: a researcher or auditor cannot, an administrator sets it (QA s32 #7)', async () => {
    await openSettings('admin');
    const section = screen.getByRole('region', { name: 'Operators' });
    const hintOf = (form: HTMLElement, label: string): string =>
      (within(form).getByLabelText(label).getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
    fireEvent.click(await within(section).findByRole('button', { name: 'Reset passphrase for Carl Clinician' }));
    let form = within(section).getByRole('form', { name: 'Reset the passphrase of Carl Clinician' });
    expect(hintOf(form, 'Temporary passphrase for Carl Clinician')).toContain('They can change it in Settings → Security after unlocking.');
    fireEvent.click(within(section).getByRole('button', { name: 'Reset passphrase for Old Account' }));
    form = within(section).getByRole('form', { name: 'Reset the passphrase of Old Account' });
    const hint = hintOf(form, 'Temporary passphrase for Old Account');
    expect(hint).not.toContain('They can change it');
    expect(hint).toContain('A researcher cannot change their own passphrase: an administrator sets it here');
  });

  it('the inline Reset passphrase form takes the focus and closes with Escape, the focus back on its button (QA s32 #9)', async () => {
    await openSettings('admin');
    const section = screen.getByRole('region', { name: 'Operators' });
    const button = await within(section).findByRole('button', { name: 'Reset passphrase for Carl Clinician' });
    button.focus();
    fireEvent.click(button);
    const form = within(section).getByRole('form', { name: 'Reset the passphrase of Carl Clinician' });
    const field = within(form).getByLabelText('Temporary passphrase for Carl Clinician');
    await waitFor(() => expect(document.activeElement).toBe(field));
    fireEvent.keyDown(field, { key: 'Escape' });
    await waitFor(() => expect(within(section).queryByRole('form', { name: 'Reset the passphrase of Carl Clinician' })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(within(section).getByRole('button', { name: 'Reset passphrase for Carl Clinician' })));
    // Cancel does the same.
    fireEvent.click(within(section).getByRole('button', { name: 'Reset passphrase for Carl Clinician' }));
    fireEvent.click(within(section).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(document.activeElement).toBe(within(section).getByRole('button', { name: 'Reset passphrase for Carl Clinician' })));
  });

  it('names the temporary passphrase field when a reset passphrase is too short or refused', async () => {
    const vault = vaultAs('admin');
    vault.failWith('resetOperatorPassphrase', new VaultError('E_WEAK_PASSPHRASE', 'The passphrase is below the vault’s policy.'));
    await openSettings('admin', vault);
    const section = screen.getByRole('region', { name: 'Operators' });
    fireEvent.click(await within(section).findByRole('button', { name: 'Reset passphrase for Carl Clinician' }));
    const form = within(section).getByRole('form', { name: 'Reset the passphrase of Carl Clinician' });
    const label = 'Temporary passphrase for Carl Clinician';
    fill(label, 'short', form);
    expect(problemAt(label, form)).toBe('Temporary passphrase for Carl Clinician: needs at least 12 characters.');
    fill(label, NEW_PASSPHRASE, form);
    expect(problemAt(label, form)).toBeNull();
    fireEvent.click(within(form).getByRole('button', { name: 'Set passphrase' }));
    await waitFor(() => expect(problemAt(label, form)).toBe('Temporary passphrase for Carl Clinician: the passphrase is below the vault’s policy.'));
  });
});

/** Every text an untouched form shows as a problem: under its fields and next to its button. */
function problemsShown(form: HTMLElement): string[] {
  return [...form.querySelectorAll('.field__problem, .form-actions__reason')].map((element) => element.textContent ?? '');
}

describe('Settings: untouched forms show no problems (QA explore-11 D18)', () => {
  it('greets nobody with "must not be empty" in Change passphrase and Add operator; trying to send the empty form shows each field’s problem', async () => {
    const vault = await openSettings();
    const change = screen.getByRole('form', { name: 'Change passphrase' });
    const operators = screen.getByRole('region', { name: 'Operators' });
    await within(operators).findByRole('row', { name: /Carl Clinician/ });
    const add = within(operators).getByRole('form', { name: 'Add operator' });
    expect(problemsShown(change)).toEqual([]);
    expect(problemsShown(add)).toEqual([]);

    fireEvent.click(within(change).getByRole('button', { name: 'Change passphrase' }));
    expect(problemAt('Current passphrase', change)).toBe('Current passphrase: must not be empty.');
    expect(problemAt('New passphrase', change)).toBe('New passphrase: must not be empty.');
    expect(problemsShown(change)).toContain('Current passphrase: must not be empty.');
    expect((within(change).getByRole('button', { name: 'Change passphrase' }) as HTMLButtonElement).disabled).toBe(true);
    // The other form stays quiet.
    expect(problemsShown(add)).toEqual([]);

    fireEvent.click(within(add).getByRole('button', { name: 'Add operator' }));
    expect(problemAt('Name', add)).toBe('Name: must not be empty.');
    expect(problemsShown(add)).toContain('Name: must not be empty.');
    expect(vault.callsTo('changePassphrase')).toEqual([]);
    expect(vault.callsTo('addOperator')).toEqual([]);
  });

  // QA2-11 Q4: once one field showed its problem, the button was disabled and sending showed only that one.
  it('keeps the button for a form with one field left in error; sending shows every field’s problem', async () => {
    const vault = await openSettings();
    const operators = screen.getByRole('region', { name: 'Operators' });
    await within(operators).findByRole('row', { name: /Carl Clinician/ });
    const add = within(operators).getByRole('form', { name: 'Add operator' });
    fireEvent.blur(within(add).getByLabelText('Name'));
    expect(problemAt('Name', add)).toBe('Name: must not be empty.');
    expect(problemAt('Initial passphrase', add)).toBeNull();
    const button = within(add).getByRole('button', { name: 'Add operator' }) as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    expect(problemAt('Initial passphrase', add)).not.toBeNull();
    expect(problemsShown(add)).toContain('Name: must not be empty.');
    expect(button.disabled).toBe(true);
    expect(vault.callsTo('addOperator')).toEqual([]);
  });

  it('greets nobody in the temporary passphrase form of a reset', async () => {
    await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    fireEvent.click(await within(section).findByRole('button', { name: 'Reset passphrase for Carl Clinician' }));
    const form = within(section).getByRole('form', { name: 'Reset the passphrase of Carl Clinician' });
    expect(problemsShown(form)).toEqual([]);
    fireEvent.click(within(form).getByRole('button', { name: 'Set passphrase' }));
    expect(problemAt('Temporary passphrase for Carl Clinician', form)).toBe('Temporary passphrase for Carl Clinician: must not be empty.');
  });
});

describe('Settings › Operators', () => {
  it('is shown to administrators only', async () => {
    await openSettings('clinician');
    expect(screen.getByRole('region', { name: 'Security' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Data' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Operators' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Reset passphrase/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add operator' })).toBeNull();
  });

  it("shows a researcher no vault data, keys or passphrase form: their role slot opens none of it", async () => {
    await openSettings('researcher');
    const security = screen.getByRole('region', { name: 'Security' });
    expect(security.textContent).toMatch(/administrator sets your passphrase/);
    expect(within(security).queryByLabelText(/Current passphrase/)).toBeNull();
    expect(screen.queryByRole('region', { name: 'Data' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Operators' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Reset passphrase/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add operator' })).toBeNull();
  });

  it('lists the operators with role and state; the admin cannot disable themself', async () => {
    await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    const table = await within(section).findByRole('table', { name: 'Operators' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
    expect(rows).toEqual([
      ['Ada Admin (you)', 'Administrator', 'Active', 'Reset passphrase'],
      ['Carl Clinician', 'Clinician', 'Active', 'DisableReset passphrase'],
      ['Old Account', 'Researcher', 'Disabled', 'EnableReset passphrase'],
    ]);
  });

  it('disables and enables an operator', async () => {
    const vault = await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    fireEvent.click(await within(section).findByRole('button', { name: 'Disable Carl Clinician' }));
    expect(await within(section).findByRole('button', { name: 'Enable Carl Clinician' })).toBeTruthy();
    expect(vault.callsTo('setOperatorDisabled')).toEqual([['op-2', true]]);
    fireEvent.click(within(section).getByRole('button', { name: 'Enable Old Account' }));
    expect(await within(section).findByRole('button', { name: 'Disable Old Account' })).toBeTruthy();
  });

  it('resets another operator’s passphrase', async () => {
    const vault = await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    fireEvent.click(await within(section).findByRole('button', { name: 'Reset passphrase for Carl Clinician' }));
    const form = within(section).getByRole('form', { name: 'Reset the passphrase of Carl Clinician' });
    const set = within(form).getByRole('button', { name: 'Set passphrase' }) as HTMLButtonElement;
    fireEvent.click(set);
    expect(set.disabled).toBe(true);
    expect(vault.callsTo('resetOperatorPassphrase')).toEqual([]);
    change('Temporary passphrase for Carl Clinician', NEW_PASSPHRASE, form);
    expect(set.disabled).toBe(false);
    fireEvent.click(set);
    expect(await within(section).findByText(/The passphrase of Carl Clinician was reset/)).toBeTruthy();
    expect(vault.callsTo('resetOperatorPassphrase')).toEqual([['op-2', NEW_PASSPHRASE]]);
  });

  it('adds an operator with a role and an initial passphrase', async () => {
    const vault = await openSettings();
    const section = screen.getByRole('region', { name: 'Operators' });
    const form = within(section).getByRole('form', { name: 'Add operator' });
    const add = within(form).getByRole('button', { name: 'Add operator' }) as HTMLButtonElement;
    change('Name', 'Nora Nurse', form);
    fireEvent.change(within(form).getByRole('combobox', { name: 'Role' }), { target: { value: 'researcher' } });
    change('Initial passphrase', NEW_PASSPHRASE, form);
    fireEvent.click(add);
    expect(problemAt('Confirm initial passphrase', form)).toBe('Confirm initial passphrase: type the passphrase again to confirm it.');
    expect(add.disabled).toBe(true);
    change('Confirm initial passphrase', NEW_PASSPHRASE, form);
    fireEvent.click(add);
    expect(await within(section).findByText('Nora Nurse was added as researcher.')).toBeTruthy();
    expect(vault.callsTo('addOperator')).toEqual([[{ name: 'Nora Nurse', role: 'researcher', passphrase: NEW_PASSPHRASE }]]);
    expect(await within(section).findByRole('row', { name: /Nora Nurse/ })).toBeTruthy();
  });
});

describe('Settings › Data', () => {
  it('imports demo data with progress (into an empty vault: demo data never mixes with real patients)', async () => {
    const vault = await openSettings('admin', createFakeVault({ phase: 'unlocked' }));
    const data = screen.getByRole('region', { name: 'Data' });
    // Offered once Settings knows the vault is empty (demo data never mixes with real patients).
    await within(data).findByLabelText('Number of patients');
    change('Number of patients', '40', data);
    vault.hold('sync');
    fireEvent.click(within(data).getByRole('button', { name: 'Import demo data' }));
    expect(await within(data).findByRole('progressbar', { name: 'Indexing' })).toBeTruthy();
    await act(async () => vault.release('sync'));
    expect(await within(data).findByText(/^Imported 40 demo patients \(120 messages\)/)).toBeTruthy();
    expect(vault.callsTo('importDemoData')).toEqual([[40]]);
  });

  it('rebuilds the index with progress and says how many records it holds', async () => {
    const vault = await openSettings();
    const data = screen.getByRole('region', { name: 'Data' });
    vault.hold('rebuildIndex');
    fireEvent.click(within(data).getByRole('button', { name: 'Rebuild index' }));
    expect(await within(data).findByText(/^Rebuilding: 0 journal records applied/)).toBeTruthy();
    expect((within(data).getByRole('button', { name: 'Rebuild index' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => vault.release('rebuildIndex'));
    expect(await within(data).findByText('Index rebuilt from 6 journal records.')).toBeTruthy();
  });

  it('exports a backup and shows where it went and how big it is', async () => {
    const vault = await openSettings();
    const data = screen.getByRole('region', { name: 'Data' });
    fireEvent.click(within(data).getByRole('button', { name: 'Export backup' }));
    const note = await within(data).findByText(/^Backup written/);
    expect(note.textContent).toBe('Backup written (1.2 MB) to C:\\Backups\\hdms-2025-01-01.hdmsbak');
    expect(within(data).getByRole('button', { name: 'Copy backup path' })).toBeTruthy();
    expect(vault.callsTo('exportBackup')).toHaveLength(1);
  });

  it('shows a failed export next to its button', async () => {
    const vault = vaultAs('admin');
    vault.failWith('exportBackup', new VaultError('E_NODE', 'The disk is full.'));
    await openSettings('admin', vault);
    const data = screen.getByRole('region', { name: 'Data' });
    fireEvent.click(within(data).getByRole('button', { name: 'Export backup' }));
    expect((await within(data).findByRole('alert')).textContent).toBe('The disk is full.');
  });

  it('formats sizes in decimal units', () => {
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(45_600_000_000)).toBe('46 GB');
  });
});

describe('Settings without a vault', () => {
  it('shows only Appearance and About while exploring before setup', async () => {
    renderApp(createFakeNode(), '#/settings');
    fireEvent.click(await screen.findByRole('button', { name: 'Explore the app' }));
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    expect(screen.getByRole('region', { name: 'Appearance' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'About this node' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Security' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Data' })).toBeNull();
  });
});
