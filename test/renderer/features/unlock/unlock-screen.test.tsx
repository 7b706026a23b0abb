// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, TEST_RECOVERY_KEY } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const NEW_PASSPHRASE = 'purple elephant under seven bridges';

function lockedVault(options: Parameters<typeof createFakeVault>[0] = {}) {
  return createFakeVault({
    phase: 'locked',
    operators: [
      { name: 'Ada Admin', role: 'admin', passphrase: ADMIN_PASSPHRASE },
      { name: 'Carl Clinician', role: 'clinician', passphrase: 'clinician passphrase one two' },
      { name: 'Gone Operator', role: 'researcher', passphrase: 'whatever whatever', disabled: true },
    ],
    ...options,
  });
}

/** A fresh start (nobody locked in this window): with several operators, one must be chosen; `choose` picks one (op-1 is Ada). */
async function openUnlock(vault = lockedVault(), choose: string | null = 'op-1') {
  renderApp(createFakeNode({ vault: { state: 'locked' } }), '#/intake', vault);
  await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
  const operator = (await screen.findByRole('combobox', { name: 'Operator' })) as HTMLSelectElement;
  if (choose !== null) fireEvent.change(operator, { target: { value: choose } });
  return { vault, operator };
}

function operatorSelect(): HTMLSelectElement {
  return screen.getByRole('combobox', { name: 'Operator' }) as HTMLSelectElement;
}

function selectedName(): string {
  const select = operatorSelect();
  return select.options[select.selectedIndex]?.textContent ?? '';
}

/** Unlocks through the screen as `operatorId`, then locks with the header's Lock button (or the idle auto-lock). */
async function unlockThenLock(vault: ReturnType<typeof lockedVault>, operatorId: string, passphrase: string, how: 'button' | 'idle') {
  fireEvent.change(operatorSelect(), { target: { value: operatorId } });
  typePassphrase(passphrase);
  fireEvent.click(unlockButton());
  await screen.findByRole('navigation', { name: 'Areas' });
  const lock = within(screen.getByRole('banner')).getByRole('button', { name: 'Lock' });
  if (how === 'button') fireEvent.click(lock);
  else act(() => vault.autoLock());
  await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' });
  await screen.findByRole('combobox', { name: 'Operator' });
}

function unlockButton(): HTMLButtonElement {
  return screen.getByRole('button', { name: 'Unlock' }) as HTMLButtonElement;
}

function typePassphrase(value: string): void {
  fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value } });
}

describe('Unlock', () => {
  it('offers the enabled operators only, and needs a passphrase', async () => {
    const { operator } = await openUnlock();
    expect([...operator.options].filter((o) => o.value !== '').map((o) => o.textContent)).toEqual(['Ada Admin (Administrator)', 'Carl Clinician (Clinician)']);
    expect(unlockButton().disabled).toBe(true);
    typePassphrase('x');
    expect(unlockButton().disabled).toBe(false);
    expect(screen.queryByRole('navigation', { name: 'Areas' })).toBeNull();
  });

  it('says so when the passphrase is wrong, and counts down before the next attempt', async () => {
    const { vault } = await openUnlock(lockedVault({ wrongPassphraseDelays: [1200] }));
    typePassphrase('not the passphrase');
    fireEvent.click(unlockButton());

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('That passphrase did not open the vault for Ada Admin. Check the operator selected.');
    expect(unlockButton().disabled).toBe(true);
    const reason = document.getElementById(unlockButton().getAttribute('aria-describedby') ?? '');
    expect(reason?.textContent).toMatch(/^You can try again in [12] s\.$/);
    // The field is cleared and focused for the next try.
    expect((screen.getByLabelText('Passphrase') as HTMLInputElement).value).toBe('');
    expect(document.activeElement).toBe(screen.getByLabelText('Passphrase'));

    typePassphrase(ADMIN_PASSPHRASE);
    expect(unlockButton().disabled).toBe(true);
    await waitFor(() => expect(unlockButton().disabled).toBe(false), { timeout: 3000 });
    fireEvent.click(unlockButton());
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(vault.callsTo('unlock')).toHaveLength(2);
  });

  it('after a wrong passphrase shows that alone, not also "Enter your passphrase." (QA11 D4)', async () => {
    await openUnlock(lockedVault({ wrongPassphraseDelays: [0] }));
    typePassphrase('not the passphrase');
    fireEvent.click(unlockButton());
    expect((await screen.findByRole('alert')).textContent).toBe('That passphrase did not open the vault for Ada Admin. Check the operator selected.');
    expect(screen.queryByText('Enter your passphrase.')).toBeNull();
    // Still not sendable empty; typing clears the failure and the button is enabled again.
    expect(unlockButton().disabled).toBe(true);
    typePassphrase(ADMIN_PASSPHRASE);
    expect(unlockButton().disabled).toBe(false);
  });

  it('explains a throttled attempt', async () => {
    const vault = lockedVault();
    vault.failWith('unlock', new VaultError('E_THROTTLED', 'Wait.', 5000));
    await openUnlock(vault);
    typePassphrase(ADMIN_PASSPHRASE);
    fireEvent.click(unlockButton());
    expect((await screen.findByRole('alert')).textContent).toMatch(/Too many wrong attempts/);
    expect(unlockButton().disabled).toBe(true);
  });

  it('opens the app frame as the chosen operator with the right passphrase', async () => {
    const { vault } = await openUnlock(lockedVault(), 'op-2');
    typePassphrase('clinician passphrase one two');
    fireEvent.click(unlockButton());

    // A clinician starts on Patients (H8 F18).
    const heading = await screen.findByRole('heading', { level: 1, name: 'Patients' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(vault.callsTo('unlock')).toEqual([[{ operatorId: 'op-2', passphrase: 'clinician passphrase one two' }]]);
    const banner = screen.getByRole('banner');
    expect(banner.textContent).toContain('Carl Clinician');
    expect(banner.textContent).toContain('(Clinician)');
    expect(within(banner).getByRole('button', { name: 'Lock' })).toBeTruthy();
  });

  it('recovers with the recovery key and a new passphrase', async () => {
    const { vault } = await openUnlock();
    fireEvent.click(screen.getByRole('button', { name: 'Use the recovery key' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Recover with the recovery key' })).toBeTruthy();
    expect(screen.queryByLabelText('Passphrase')).toBeNull();
    const recover = screen.getByRole('button', { name: 'Recover' }) as HTMLButtonElement;

    fireEvent.change(screen.getByLabelText('Recovery key'), { target: { value: 'WRONG-KEY0-0000-0000' } });
    fireEvent.change(screen.getByLabelText('New passphrase'), { target: { value: NEW_PASSPHRASE } });
    expect(recover.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Confirm new passphrase'), { target: { value: NEW_PASSPHRASE } });
    expect(recover.disabled).toBe(false);
    fireEvent.click(recover);
    expect((await screen.findByRole('alert')).textContent).toBe('That recovery key did not open the vault.');

    fireEvent.change(screen.getByLabelText('Recovery key'), { target: { value: TEST_RECOVERY_KEY.toLowerCase() } });
    fireEvent.click(recover);
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(vault.callsTo('recover')[1]).toEqual([{ operatorId: 'op-1', recoveryKey: TEST_RECOVERY_KEY.toLowerCase(), newPassphrase: NEW_PASSPHRASE }]);
  });

  it('returns from the recovery form to the unlock form', async () => {
    await openUnlock();
    fireEvent.click(screen.getByRole('button', { name: 'Use the recovery key' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Back to unlock' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Unlock the vault' })).toBeTruthy();
    expect(screen.getByLabelText('Passphrase')).toBeTruthy();
  });

  it('reports operators that cannot be loaded, and retries', async () => {
    const vault = lockedVault();
    vault.failWith('operators', new VaultError('E_NODE', 'The keyring is unreadable.'));
    renderApp(createFakeNode({ vault: { state: 'locked' } }), '', vault);
    expect((await screen.findByRole('alert')).textContent).toContain('The keyring is unreadable.');
    vault.failWith('operators', undefined);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('combobox', { name: 'Operator' })).toBeTruthy();
  });
});

describe('Unlock: who is preselected (QA: a nurse’s failed unlocks were recorded under the admin)', () => {
  it('after a lock by hand, preselects the operator who locked and puts the caret in the passphrase field', async () => {
    const { vault } = await openUnlock();
    await unlockThenLock(vault, 'op-2', 'clinician passphrase one two', 'button');
    expect(operatorSelect().value).toBe('op-2');
    expect(selectedName()).toBe('Carl Clinician (Clinician)');
    expect(document.activeElement).toBe(screen.getByLabelText('Passphrase'));

    // The same clinician types their passphrase and presses Enter: they are back, nobody else was tried.
    typePassphrase('clinician passphrase one two');
    fireEvent.submit(screen.getByRole('form', { name: 'Unlock the vault' }));
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(vault.callsTo('unlock').map(([input]) => (input as { operatorId: string }).operatorId)).toEqual(['op-2', 'op-2']);
  });

  it('after the idle auto-lock, preselects the operator whose session it locked', async () => {
    const { vault } = await openUnlock();
    await unlockThenLock(vault, 'op-2', 'clinician passphrase one two', 'idle');
    expect(operatorSelect().value).toBe('op-2');
    expect(document.activeElement).toBe(screen.getByLabelText('Passphrase'));
  });

  it('on a fresh start with several operators preselects nobody: the Operator select has the focus and asks for a choice', async () => {
    const { operator } = await openUnlock(lockedVault(), null);
    expect(operator.value).toBe('');
    expect(selectedName()).toBe('Choose an operator…');
    expect(document.activeElement).toBe(operator);
    typePassphrase(ADMIN_PASSPHRASE);
    expect(unlockButton().disabled).toBe(true);
    const reason = document.getElementById(unlockButton().getAttribute('aria-describedby') ?? '');
    expect(reason?.textContent).toBe('Choose an operator.');
    // The placeholder cannot be chosen back, and goes once someone is chosen.
    expect(operator.options[0]?.disabled).toBe(true);
    fireEvent.change(operator, { target: { value: 'op-2' } });
    expect(unlockButton().disabled).toBe(false);
    expect([...operator.options].map((o) => o.value)).toEqual(['op-1', 'op-2']);
  });

  it('on a fresh start with a single enabled operator preselects them', async () => {
    const vault = createFakeVault({
      phase: 'locked',
      operators: [
        { name: 'Ada Admin', role: 'admin', passphrase: ADMIN_PASSPHRASE },
        { name: 'Gone Operator', role: 'clinician', passphrase: 'whatever whatever', disabled: true },
      ],
    });
    const { operator } = await openUnlock(vault, null);
    expect(operator.value).toBe('op-1');
    expect(document.activeElement).toBe(screen.getByLabelText('Passphrase'));
  });

  it('a wrong passphrase names the operator tried, and only that operator waits', async () => {
    const { vault } = await openUnlock(lockedVault({ wrongPassphraseDelays: [5000] }));
    await unlockThenLock(vault, 'op-2', 'clinician passphrase one two', 'button');
    // Someone else picks the admin by mistake and types the clinician's passphrase.
    fireEvent.change(operatorSelect(), { target: { value: 'op-1' } });
    typePassphrase('clinician passphrase one two');
    fireEvent.click(unlockButton());
    expect((await screen.findByRole('alert')).textContent).toBe('That passphrase did not open the vault for Ada Admin. Check the operator selected.');
    typePassphrase('clinician passphrase one two');
    expect(unlockButton().disabled).toBe(true);
    // The admin's delay is the admin's: choosing the right operator can be tried at once.
    fireEvent.change(operatorSelect(), { target: { value: 'op-2' } });
    expect(unlockButton().disabled).toBe(false);
    fireEvent.click(unlockButton());
    expect(await screen.findByRole('navigation', { name: 'Areas' })).toBeTruthy();
    expect(screen.getByRole('banner').textContent).toContain('Carl Clinician');
  });
});
