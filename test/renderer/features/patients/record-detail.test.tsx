// @vitest-environment happy-dom
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordRow } from '../../../../renderer/vault/vault-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const source = { messageType: 'ORU^R01', channel: 'hl7-mllp', seq: 9, messageId: 'ORU-2003', mapping: 'mapped' as const, hasRaw: true };
const POTASSIUM: RecordRow = {
  recordId: 'p-7.01.0',
  patientId: '',
  time: '2026-11-24T08:00:00+01:00',
  record: {
    type: 'observation',
    category: 'laboratory',
    code: { code: '2823-3', system: 'LN', display: 'Potassium' },
    value: { kind: 'numeric', value: 6.9, unit: 'mmol/L' },
    referenceRange: '3.5-5.1',
    abnormalFlags: ['HH'],
    comments: ['Critical value called to Dr. Weiss at 08:25.'],
    status: 'F',
    time: '2026-11-24T08:00:00+01:00',
  },
  source,
};

afterEach(() => {
  document.title = 'HDMS Node';
});

// QA (nurse, s32 #3): the record page of Potassium 6.9 HH named no patient, kept the title "HDMS Node" and left out the result's NTE.
describe('QA s32 #3: the record and raw message pages say whose record it is', () => {
  it('the record page names the patient as the banner does (name, age, sex, birth date, MRN), shows the result\'s comments, and its title names the page', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, { name: { family: 'Müller', given: ['José'] }, birthDate: '1958-03-12', sex: 'M' }, [POTASSIUM])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.01.0', vault);
    await screen.findByRole('heading', { name: /Potassium/ });
    const who = await screen.findByRole('region', { name: 'Patient' });
    await waitFor(() => expect(who.textContent).toContain('Müller, José'));
    expect(who.textContent).toMatch(/\d+ y, Male \(born 1958-03-12\)/);
    expect(who.textContent).toContain('MRN00000007');
    expect(screen.getByText('Critical value called to Dr. Weiss at 08:25.')).toBeTruthy();
    // The title names the page, not the patient (no name or MRN in window lists, task switchers or OS activity logs).
    await waitFor(() => expect(document.title).toBe('Lab: Potassium – Patient record – HDMS Node'));
    expect(document.title).not.toContain('Müller');
  });

  it('the raw message page names the patient too, and its title names the page', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, { name: { family: 'Müller', given: ['José'] }, birthDate: '1958-03-12', sex: 'M' }, [POTASSIUM])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.01.0/raw', vault);
    const who = await screen.findByRole('region', { name: 'Patient' });
    await waitFor(() => expect(who.textContent).toContain('Müller, José'));
    expect(within(who).getByText(/MRN00000007/)).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Raw message – Patient record – HDMS Node'));
  });

  // Issue 11: the banner highlights allergies; the record page (a result ordered against them, a message about them) named the patient but not what to be careful of.
  const allergy = (recordId: string, display: string, severity: string | undefined, reactions: string[], time: string): RecordRow => ({
    recordId,
    patientId: '',
    time,
    record: { type: 'allergy', allergen: { code: recordId, system: 'L', display }, ...(severity === undefined ? {} : { severity }), reactions },
    source: { ...source, messageType: 'ADT^A08' },
  });
  const ALLERGIES = [allergy('p-7.02.0', 'ASPIRIN', 'MI', [], '2026-11-20T08:00:00+01:00'), allergy('p-7.02.1', 'PENICILLIN G', 'SV', ['Urticaria'], '2026-11-20T08:00:00+01:00')];

  it('the record page and the raw message page show the patient\'s allergies as the banner does (highlighted, most severe first, each linked to its record), without opening the patient', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, { name: { family: 'Müller', given: ['José'] } }, [POTASSIUM, ...ALLERGIES])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.01.0', vault);
    const who = await screen.findByRole('region', { name: 'Patient' });
    const allergies = await within(who).findByRole('group', { name: 'Allergies' });
    expect(allergies.classList.contains('patient-banner__allergies--present')).toBe(true);
    await waitFor(() => expect(allergies.textContent).toBe('Allergies PENICILLIN G (Severe, Urticaria)ASPIRIN (Mild)'));
    expect(within(allergies).getByRole('link', { name: 'PENICILLIN G' }).getAttribute('href')).toBe('#/patients/p-7/records/p-7.02.1');
    // Read beside the record's own access, not journaled again as an opening of the whole chart.
    expect(vault.callsTo('openPatient')).toEqual([]);

    window.location.hash = '#/patients/p-7/records/p-7.01.0/raw';
    await waitFor(() => expect(document.title).toBe('Raw message – Patient record – HDMS Node'));
    const rawWho = await screen.findByRole('region', { name: 'Patient' });
    await waitFor(() => expect(within(rawWho).getByRole('group', { name: 'Allergies' }).textContent).toContain('PENICILLIN G (Severe, Urticaria)'));
  });

  it('the record page of a patient with no allergy recorded says "None recorded", not "no known allergies"', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [POTASSIUM])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.01.0', vault);
    const who = await screen.findByRole('region', { name: 'Patient' });
    const allergies = await within(who).findByRole('group', { name: 'Allergies' });
    expect(allergies.textContent).toBe('Allergies None recorded');
    expect(allergies.classList.contains('patient-banner__allergies--present')).toBe(false);
  });

  it('the patient page\'s title names the page, not the patient', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, { name: { family: 'Müller', given: ['José'] } }, [POTASSIUM])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', vault);
    await screen.findByRole('heading', { name: 'Müller, José' });
    await waitFor(() => expect(document.title).toBe('Patient chart – HDMS Node'));
  });
});

describe('issue 11 (analyst): a coded result the lab repeated (OBX-5 CWE `~`)', () => {
  const ORGANISMS: RecordRow = {
    recordId: 'p-7.02.0',
    patientId: '',
    time: '2026-11-24T09:00:00+01:00',
    record: {
      type: 'observation',
      category: 'laboratory',
      code: { code: '6463-4', system: 'LN', display: 'Organism identified' },
      value: { kind: 'coded', value: { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' } },
      valueType: 'CWE',
      valueDetail: {
        kind: 'coded-list',
        values: [
          { code: '3092008', display: 'Staphylococcus aureus', system: 'SCT' },
          { code: '40886007', display: 'Klebsiella oxytoca', system: 'SCT' },
        ],
      },
      status: 'F',
      time: '2026-11-24T09:00:00+01:00',
    },
    source,
  };

  it('the record page shows every code, not only the first', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: [makePatient(7, {}, [ORGANISMS])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7/records/p-7.02.0', vault);
    await screen.findByRole('heading', { name: /Organism identified/ });
    const value = screen.getByText('Value').nextElementSibling;
    expect(value?.textContent).toBe('Staphylococcus aureus; Klebsiella oxytoca');
    const codes = screen.getByText('Value codes').nextElementSibling;
    expect(codes?.textContent).toBe('3092008 (SCT); 40886007 (SCT)');
  });
});
