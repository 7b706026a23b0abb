// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, INTAKE_PUBLIC_KEY, NODE_ADDRESS, type FakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

function setClipboard(value: unknown): void {
  Object.defineProperty(navigator, 'clipboard', { value, configurable: true });
}

afterEach(() => {
  vi.restoreAllMocks();
  setClipboard(undefined);
});

async function openNodeIdentity(role: OperatorRole = 'admin', ledger: FakeLedger = createFakeLedger()) {
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: role === 'admin' ? 'Ada Admin' : 'Carl Clinician', role, passphrase: 'x'.repeat(20) }] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', vault, ledger);
  const section = await screen.findByRole('region', { name: 'Node identity' });
  await within(section).findByText(NODE_ADDRESS);
  return { section, ledger };
}

function describedBy(input: HTMLElement): (string | null | undefined)[] {
  return (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
}

function facts(region: HTMLElement): Record<string, string> {
  return Object.fromEntries(
    [...region.querySelectorAll('.facts__row')].map((row) => [row.querySelector('dt')!.textContent, row.querySelector('dd')!.textContent ?? '']),
  );
}

describe('Settings › Node identity', () => {
  it('shows the node id, shortened intake key, institution, role and chain id', async () => {
    const { section } = await openNodeIdentity('clinician');
    const shown = facts(section);
    expect(shown['Node id']).toContain(NODE_ADDRESS);
    expect(shown['Intake public key']).not.toContain(INTAKE_PUBLIC_KEY);
    expect(within(section).getByTitle(INTAKE_PUBLIC_KEY).textContent).toContain('…');
    expect(shown.Institution).toBe('Brno Heart Clinic');
    expect(shown['Institution role']).toBe('Clinic');
    expect(shown['Chain id']).toBe('31337');
  });

  it('copies the node id', async () => {
    const writeText = vi.fn(async () => undefined);
    setClipboard({ writeText });
    const { section } = await openNodeIdentity('clinician');
    fireEvent.click(within(section).getByRole('button', { name: 'Copy node id' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(NODE_ADDRESS));
    expect(await within(section).findByText('Copied')).toBeTruthy();
  });

  it('does not offer the institution form to non-admins', async () => {
    const { section } = await openNodeIdentity('clinician');
    expect(within(section).queryByRole('textbox', { name: 'Institution name' })).toBeNull();
    expect(within(section).queryByRole('radiogroup', { name: 'Institution role' })).toBeNull();
    expect(within(section).queryByRole('button', { name: 'Save institution' })).toBeNull();
    // Exporting the signed node info is an administrator's act too.
    expect(within(section).queryByRole('button', { name: 'Export node info' })).toBeNull();
  });

  it('lets an admin change the institution name and role', async () => {
    const { section, ledger } = await openNodeIdentity('admin');
    const name = within(section).getByRole('textbox', { name: 'Institution name' }) as HTMLInputElement;
    const save = within(section).getByRole('button', { name: 'Save institution' }) as HTMLButtonElement;
    expect(name.value).toBe('Brno Heart Clinic');
    const roles = within(section).getByRole('radiogroup', { name: 'Institution role' });
    expect((within(roles).getByRole('radio', { name: 'Clinic' }) as HTMLInputElement).checked).toBe(true);
    expect(save.disabled).toBe(true);

    fireEvent.change(name, { target: { value: '  Brno Research Institute ' } });
    fireEvent.click(within(roles).getByRole('radio', { name: 'Research' }));
    expect(save.disabled).toBe(false);
    fireEvent.click(save);

    await waitFor(() => expect(ledger.callsTo('setInstitution')).toEqual([[{ name: 'Brno Research Institute', role: 'research' }]]));
    expect(await within(section).findByText('Institution saved.')).toBeTruthy();
    await waitFor(() => expect(facts(section).Institution).toBe('Brno Research Institute'));
    expect(facts(section)['Institution role']).toBe('Research');
  });

  it('refuses an empty institution name and shows a refused save', async () => {
    const ledger = createFakeLedger();
    const { section } = await openNodeIdentity('admin', ledger);
    const name = within(section).getByRole('textbox', { name: 'Institution name' });
    const save = within(section).getByRole('button', { name: 'Save institution' }) as HTMLButtonElement;
    fireEvent.change(name, { target: { value: '   ' } });
    // Sending is refused with the reason next to the button, which it then disables (QA2-11 Q4).
    expect(save.disabled).toBe(false);
    fireEvent.click(save);
    expect(save.disabled).toBe(true);
    // Under the field, read out with it (and next to the disabled button).
    expect(describedBy(name)).toContain('Institution name: must not be empty.');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(name, { target: { value: 'A'.repeat(201) } });
    expect(describedBy(name)).toContain('Institution name: takes at most 200 characters.');
    expect(save.disabled).toBe(true);

    ledger.failWith('setInstitution', new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.'));
    fireEvent.change(name, { target: { value: 'Other Clinic' } });
    fireEvent.click(save);
    expect((await within(section).findByRole('alert')).textContent).toBe('Only an administrator may do this.');
  });

  it('does not greet an unnamed node with "Institution name: must not be empty."; leaving the field empty or trying to save shows it (QA explore-11 D18)', async () => {
    const { section } = await openNodeIdentity('admin', createFakeLedger({ identity: { institutionName: '' } }));
    const form = within(section).getByRole('form', { name: 'Institution' });
    const name = within(section).getByRole('textbox', { name: 'Institution name' });
    const shown = (): string[] => [...form.querySelectorAll('.field__problem, .form-actions__reason')].map((element) => element.textContent ?? '');
    expect(name.getAttribute('aria-invalid')).toBeNull();
    expect(shown()).toEqual(['Nothing has changed.']);
    // Choosing another role makes the form sendable in principle; sending it shows the name's problem.
    fireEvent.click(within(section).getByRole('radio', { name: 'Research' }));
    expect(shown()).toEqual([]);
    fireEvent.click(within(section).getByRole('button', { name: 'Save institution' }));
    expect(describedBy(name)).toContain('Institution name: must not be empty.');
    expect(shown()).toEqual(['Institution name: must not be empty.', 'Institution name: must not be empty.']);
  });

  it('shows the empty name once the field was left', async () => {
    const { section, ledger } = await openNodeIdentity('admin', createFakeLedger({ identity: { institutionName: '' } }));
    const name = within(section).getByRole('textbox', { name: 'Institution name' });
    fireEvent.blur(name);
    expect(describedBy(name)).toContain('Institution name: must not be empty.');
    expect(ledger.callsTo('setInstitution')).toEqual([]);
  });

  it('exports the node info and shows where', async () => {
    const { section, ledger } = await openNodeIdentity('admin');
    fireEvent.click(within(section).getByRole('button', { name: 'Export node info' }));
    const done = await within(section).findByText(/^Node info written to/);
    expect(done.textContent).toBe('Node info written to /data/exports/node-info-2025-03-01.json');
    expect(done.getAttribute('role')).toBe('status');
    expect(within(section).getByRole('button', { name: 'Copy node info path' })).toBeTruthy();
    expect(ledger.callsTo('exportNodeInfo')).toHaveLength(1);
  });

  it('shows a failed load with Retry', async () => {
    const ledger = createFakeLedger();
    ledger.failWith('identity', new Error('The identity key is sealed.'));
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings', createFakeVault({ phase: 'unlocked' }), ledger);
    const section = await screen.findByRole('region', { name: 'Node identity' });
    expect((await within(section).findByRole('alert')).textContent).toBe('The node identity could not be loaded: The identity key is sealed.');
    ledger.failWith('identity', undefined);
    fireEvent.click(within(section).getByRole('button', { name: 'Retry' }));
    expect(await within(section).findByText(NODE_ADDRESS)).toBeTruthy();
  });

  it('is absent without a ledger', async () => {
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/settings');
    await screen.findByRole('region', { name: 'Security' });
    expect(screen.queryByRole('region', { name: 'Node identity' })).toBeNull();
  });
});
