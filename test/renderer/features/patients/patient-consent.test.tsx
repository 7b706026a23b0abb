// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { NO_RESEARCH_POLICY, type ConsentState, type ResearchPolicy } from '../../../../shared/research/consent';
import type { QueryPurpose } from '../../../../shared/research/keyword-query';
import type { ConsentEntry, ResearchConsent } from '../../../../renderer/research/research-consent';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';
import { ledgerTime } from '../../../../renderer/features/ledger/ledger-format';

/** A research consent that keeps its records in memory, as the mind's does in its views. */
function fakeResearch(policy: ResearchPolicy) {
  let current = policy;
  const history: ConsentEntry[] = [];
  const calls: unknown[] = [];
  const research: ResearchConsent = {
    policy: async () => current,
    setPolicy: async (next) => {
      calls.push(['setPolicy', next]);
      current = { v: 1, ...next };
    },
    history: async () => [...history].sort((a, b) => b.seq - a.seq),
    record: async (input) => {
      calls.push(['record', input]);
      history.push({ seq: history.length + 1, purpose: input.purpose, state: input.state, decidedOn: input.decidedOn, operator: 'op', operatorName: 'Someone', recordedAt: '2026-12-04T10:00:00.000Z' });
    },
    allowed: async () => new Set(),
    evaluate: async () => {
      throw new Error('The patient page does not evaluate queries.');
    },
  };
  return { research, calls };
}

function open(role: OperatorRole, research: ResearchConsent, hash: string) {
  const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7)], operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }] });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, vault, undefined, undefined, research);
}

const OPT_IN: ResearchPolicy = { v: 1, mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review' };

describe('Patient page › Research consent', () => {
  it('says where the patient stands for each purpose, records a decision, and lists it', async () => {
    const { research, calls } = fakeResearch(OPT_IN);
    open('clinician', research, '#/patients/p-7');
    const section = await screen.findByRole('region', { name: 'Research consent' });
    await within(section).findByText(/not counted \(no consent granted\)/);
    expect(section.textContent).toContain('not offered by this institution');
    const form = within(section).getByRole('form', { name: 'Record a consent decision' });
    fireEvent.change(within(form).getByLabelText('Decided on'), { target: { value: '2026-11-30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Record the decision' }));
    await within(section).findByText('counted (consent granted)', { exact: false });
    expect(calls).toEqual([['record', { patientId: 'p-7', purpose: 'research-sale' as QueryPurpose, state: 'granted' as ConsentState, decidedOn: '2026-11-30' }]]);
    const table = within(section).getByRole('table', { name: 'Consent decisions' });
    expect(within(table).getAllByRole('row')[1]!.textContent).toMatch(/Research, with sale of anonymized data.*Granted.*2026-11-30.*Someone/);
  });

  it('refuses a date in the future before sending anything', async () => {
    const { research, calls } = fakeResearch(OPT_IN);
    open('admin', research, '#/patients/p-7');
    const section = await screen.findByRole('region', { name: 'Research consent' });
    const form = await within(section).findByRole('form', { name: 'Record a consent decision' });
    fireEvent.change(within(form).getByLabelText('Decided on'), { target: { value: '2999-01-01' } });
    expect((within(form).getByRole('button', { name: 'Record the decision' }) as HTMLButtonElement).disabled).toBe(true);
    expect(form.textContent).toContain('The date cannot be in the future.');
    expect(calls).toEqual([]);
  });
});

describe('QA round 4, #7: the date of a consent decision', () => {
  it('refuses a day no calendar has, at the field, saying it is not a date (not that it is in the future); nothing is sent', async () => {
    const { research, calls } = fakeResearch(OPT_IN);
    open('clinician', research, '#/patients/p-7');
    const section = await screen.findByRole('region', { name: 'Research consent' });
    const form = await within(section).findByRole('form', { name: 'Record a consent decision' });
    const field = within(form).getByLabelText('Decided on');
    for (const day of ['2026-02-30', '2025-13-01', '2026-13-45']) {
      fireEvent.change(field, { target: { value: day } });
      expect(field.getAttribute('aria-invalid')).toBe('true');
      const described = (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);
      expect(described).toContain(`Decided on: ${day} is not a date.`);
      expect(form.textContent).not.toContain('future');
      expect((within(form).getByRole('button', { name: 'Record the decision' }) as HTMLButtonElement).disabled).toBe(true);
      fireEvent.submit(form);
    }
    expect(calls).toEqual([]);
  });

  it('"Recorded at" reads as the app\'s other times (YYYY-MM-DD HH:MM:SS, as the ledger and the accesses), not the browser\'s US locale', async () => {
    const { research } = fakeResearch(OPT_IN);
    open('clinician', research, '#/patients/p-7');
    const section = await screen.findByRole('region', { name: 'Research consent' });
    const form = await within(section).findByRole('form', { name: 'Record a consent decision' });
    fireEvent.change(within(form).getByLabelText('Decided on'), { target: { value: '2026-11-30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Record the decision' }));
    const table = await within(section).findByRole('table', { name: 'Consent decisions' });
    const cells = within(table).getAllByRole('row')[1]!.querySelectorAll('td');
    const recordedAt = cells[4]!;
    expect(recordedAt.textContent).toBe(ledgerTime('2026-12-04T10:00:00.000Z'));
    expect(recordedAt.textContent).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(recordedAt.querySelector('time')?.getAttribute('dateTime')).toBe('2026-12-04T10:00:00.000Z');
  });
});

describe('Settings › Research', () => {
  it('lets an administrator set the policy and the offers’ price, refusing a minimum cell size under 5 and a price that is not an amount', async () => {
    const { research, calls } = fakeResearch(NO_RESEARCH_POLICY);
    open('admin', research, '#/settings');
    const form = await screen.findByRole('form', { name: 'Research policy' });
    fireEvent.click(within(form).getByRole('radio', { name: /^Opt-out with notice/ }));
    fireEvent.click(within(form).getByRole('checkbox', { name: 'Research, without sale' }));
    const cell = within(form).getByLabelText('Minimum cell size');
    fireEvent.change(cell, { target: { value: '4' } });
    expect(form.textContent).toContain('Minimum cell size: a whole number of at least 5.');
    fireEvent.change(cell, { target: { value: '15' } });
    const price = within(form).getByLabelText('Price per record (PHD)');
    fireEvent.change(price, { target: { value: '2,50' } });
    expect(form.textContent).toContain('Price per record: an amount of PHD such as 2 or 2.5');
    fireEvent.change(price, { target: { value: '2.5' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toEqual(['setPolicy', { mode: 'opt-out', purposes: { 'research-sale': false, 'research-no-sale': true }, minCellSize: 15, answering: 'review', pricePerRecord: '2.5' }]);
  });

  it('lets an administrator choose the release profile: Safe Harbor for an older policy, longitudinal with its largest shift (1 to 365 days)', async () => {
    const { research, calls } = fakeResearch(OPT_IN);
    open('admin', research, '#/settings');
    const form = await screen.findByRole('form', { name: 'Research policy' });
    const profile = within(form).getByRole('radiogroup', { name: 'Release profile' });
    expect((within(profile).getByRole('radio', { name: 'HIPAA Safe Harbor (dates to the year)' }) as HTMLInputElement).checked).toBe(true);
    expect(within(form).queryByLabelText('Largest date shift (days)')).toBeNull();
    fireEvent.click(within(profile).getByRole('radio', { name: 'Longitudinal (dates shifted per patient, up to 180 days)' }));
    const shift = within(form).getByLabelText('Largest date shift (days)');
    expect((shift as HTMLInputElement).value).toBe('180');
    fireEvent.change(shift, { target: { value: '366' } });
    expect(form.textContent).toContain('Largest date shift: a whole number of days from 1 to 365.');
    expect((within(form).getByRole('button', { name: 'Save the policy' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(shift, { target: { value: '90' } });
    expect(within(profile).getByRole('radio', { name: 'Longitudinal (dates shifted per patient, up to 90 days)' })).toBeTruthy();
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toEqual(['setPolicy', { mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review', pricePerRecord: '1', releaseProfile: 'longitudinal', maxShiftDays: 90 }]);
    // Back to Safe Harbor: the largest shift is not kept.
    fireEvent.click(within(profile).getByRole('radio', { name: 'HIPAA Safe Harbor (dates to the year)' }));
    expect(within(form).queryByLabelText('Largest date shift (days)')).toBeNull();
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]).toEqual(['setPolicy', { mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review', pricePerRecord: '1', releaseProfile: 'safe-harbor' }]);
  });

  it('lets an administrator add Annex E Options for released DICOM files; Retain Device Identity only under the longitudinal profile', async () => {
    const { research, calls } = fakeResearch(OPT_IN);
    open('admin', research, '#/settings');
    const form = await screen.findByRole('form', { name: 'Research policy' });
    const options = within(form).getByRole('group', { name: 'DICOM files: Annex E Options beyond the Basic Profile' });
    const box = (name: RegExp) => within(options).getByRole('checkbox', { name }) as HTMLInputElement;
    expect([box(/^Clean Descriptors/), box(/^Retain Institution Identity/), box(/^Retain Device Identity/)].map((input) => input.checked)).toEqual([false, false, false]);
    expect(box(/^Retain Device Identity/).disabled).toBe(true);
    fireEvent.click(box(/^Retain Institution Identity/));
    fireEvent.click(box(/^Clean Descriptors/));
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toEqual(['setPolicy', { mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review', pricePerRecord: '1', dicomOptions: ['cleanDescriptors', 'retainInstitutionIdentity'] }]);

    fireEvent.click(within(form).getByRole('radio', { name: /^Longitudinal/ }));
    expect(box(/^Retain Device Identity/).disabled).toBe(false);
    fireEvent.click(box(/^Retain Device Identity/));
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]).toEqual(['setPolicy', expect.objectContaining({ releaseProfile: 'longitudinal', dicomOptions: ['cleanDescriptors', 'retainInstitutionIdentity', 'retainDeviceIdentity'] })]);
    // Back to Safe Harbor: device identifiers are identifiers there, so the Option goes.
    fireEvent.click(within(form).getByRole('radio', { name: 'HIPAA Safe Harbor (dates to the year)' }));
    expect(box(/^Retain Device Identity/).checked).toBe(false);
    fireEvent.click(within(form).getByRole('button', { name: 'Save the policy' }));
    await waitFor(() => expect(calls).toHaveLength(3));
    expect(calls[2]).toEqual(['setPolicy', expect.objectContaining({ releaseProfile: 'safe-harbor', dicomOptions: ['cleanDescriptors', 'retainInstitutionIdentity'] })]);
  });

  it('shows a clinician the policy without letting them change it', async () => {
    const { research } = fakeResearch(OPT_IN);
    open('clinician', research, '#/settings');
    const form = await screen.findByRole('form', { name: 'Research policy' });
    expect(within(form).queryByRole('button', { name: 'Save the policy' })).toBeNull();
    expect((within(form).getByRole('checkbox', { name: 'Research, with sale of anonymized data' }) as HTMLInputElement).checked).toBe(true);
    expect(form.textContent).toContain('Only an administrator changes the research policy.');
  });
});
