// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { AccessReport } from '../../../../renderer/ledger/ledger-service';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, type FakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

const DIGEST = `0x${'ab'.repeat(32)}`;
const NOTARY_NOT_YET = 'signed on this node and in its chain, not yet countersigned by a network’s notary (this node is in no network, or the notary’s receipt comes with the next sync).';
const REPORT: AccessReport = {
  truncated: false,
  rows: [
    { seq: 12, kind: 'ACCESS', at: '2025-03-01T09:30:00.000Z', operator: 'op-pseudo-carl', operatorName: 'Carl Clinician', action: 'Opened the patient', subject: `0x${'11'.repeat(32)}`, subjectName: 'Brunner, Lea', workstation: 'ward-3 (desktop app)', entryHash: DIGEST, notary: { leafIndex: 40, treeSize: 90, integratedAt: '2025-03-01T09:31:00.000Z' } },
    { seq: 11, kind: 'SESSION', at: '2025-03-01T09:29:00.000Z', operator: 'op-pseudo-carl', operatorName: 'Carl Clinician', action: 'Signed in after 2 failed unlocks', subject: '', subjectName: '', workstation: 'ward-3 (desktop app)', entryHash: DIGEST },
  ],
};

async function openReport(ledger: FakeLedger = createFakeLedger({ report: REPORT })): Promise<FakeLedger> {
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger/access', createFakeVault({ phase: 'unlocked' }), ledger);
  await screen.findByRole('heading', { name: 'Access report' });
  return ledger;
}

describe('Ledger › Access report', () => {
  it('shows every access at first: who, what, patient, workstation, entry with digest and notary leaf', async () => {
    const ledger = await openReport();
    const table = await screen.findByRole('table', { name: 'Access report' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent));
    expect(rows).toEqual([
      [expect.any(String), 'Carl Clinician', 'Opened the patient', 'Brunner, Lea', 'ward-3 (desktop app)', '12 0xababab…abab', 'leaf 40'],
      [expect.any(String), 'Carl Clinician', 'Signed in after 2 failed unlocks', '—', 'ward-3 (desktop app)', '11 0xababab…abab', 'not yet'],
    ]);
    expect(ledger.callsTo('accessReport')).toEqual([[{}]]);
  });

  it('asks for one patient, an operator and dates, and exports what it shows as CSV', async () => {
    const ledger = await openReport();
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'brun' } });
    fireEvent.change(within(form).getByLabelText('Operator'), { target: { value: 'op-pseudo-carl' } });
    fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2025-03-01' } });
    fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2025-03-02' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    const query = { subject: 'brun', operator: 'op-pseudo-carl', from: '2025-03-01', to: '2025-03-02' };
    await waitFor(() => expect(ledger.callsTo('accessReport').at(-1)).toEqual([query]));
    await screen.findByRole('table', { name: 'Access report' });
    fireEvent.click(within(form).getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText(/Exported 2 rows to/)).toBeTruthy();
    expect(ledger.callsTo('exportAccessReport')).toEqual([[query]]);
  });

  it('offers the written file as a download, byte for byte as the body wrote it (issue 11 F4: the data folder may be out of reach)', async () => {
    await openReport();
    const form = screen.getByRole('form', { name: 'Which accesses' });
    await screen.findByRole('table', { name: 'Access report' });
    fireEvent.click(within(form).getByRole('button', { name: 'Export CSV' }));
    const download = await screen.findByRole('button', { name: 'Download report (CSV)' });
    const blobs: Blob[] = [];
    const created = vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:report';
    });
    const clicked: { href: string; download: string }[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    try {
      fireEvent.click(download);
      expect(clicked).toEqual([{ href: 'blob:report', download: 'access-report-20250301T080000Z.csv' }]);
      expect(blobs).toHaveLength(1);
      expect([...new Uint8Array(await blobs[0]!.arrayBuffer())]).toEqual([...new TextEncoder().encode('\uFEFFtime_utc\r\n')]);
      // The path stays for IT, who may reach the folder.
      expect(screen.getByRole('button', { name: 'Copy report path' })).toBeTruthy();
    } finally {
      created.mockRestore();
      click.mockRestore();
    }
  });

  it('offers no Export CSV and no Print or save as PDF to a researcher, and says who exports (tester finding 2, QA s32); the report still shows', async () => {
    const ledger = createFakeLedger({ report: REPORT });
    const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Rita Researcher', role: 'researcher', passphrase: 'a long enough passphrase' }] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger/access', vault, ledger);
    await screen.findByRole('table', { name: 'Access report' });
    const form = screen.getByRole('form', { name: 'Which accesses' });
    expect(within(form).queryByRole('button', { name: 'Export CSV' })).toBeNull();
    expect(within(form).getByText('Your role (researcher) does not export access reports: an administrator, a clinician or an auditor does.')).toBeTruthy();
    // Printing or saving as PDF takes the report out as surely as a CSV: the same roles, the same sentence (QA s32).
    expect(within(form).queryByRole('button', { name: 'Print or save as PDF' })).toBeNull();
    expect(within(form).getAllByText(/does not export access reports/)).toHaveLength(1);
    // Ctrl+P prints no rows either: the section is marked screen-only (ledger.css hides it in print).
    expect(screen.getByRole('table', { name: 'Access report' }).closest('.access-report')?.classList.contains('access-report--screen-only')).toBe(true);
    expect(ledger.callsTo('exportAccessReport')).toEqual([]);
  });

  it('swaps reversed dates as the message browser does, and says so (QA11 D14)', async () => {
    const ledger = await openReport(createFakeLedger({ report: { truncated: false, rows: [] } }));
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2026-12-07' } });
    fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2026-12-01' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    // The range meant is the one asked for, and the form shows it.
    await waitFor(() => expect(ledger.callsTo('accessReport').at(-1)).toEqual([{ from: '2026-12-01', to: '2026-12-07' }]));
    expect((within(form).getByLabelText('From') as HTMLInputElement).value).toBe('2026-12-01');
    expect((within(form).getByLabelText('To') as HTMLInputElement).value).toBe('2026-12-07');
    const status = await screen.findByText(/The dates were in reverse order/);
    expect(status.textContent).toBe('No signed entry records such an access. The dates were in reverse order (from 2026-12-07 to 2026-12-01), so they were swapped.');
    expect(within(form).queryByText(/no access can match/)).toBeNull();
  });

  it('says the rows are in signing order and their times are the acts\' times, so a later time below an earlier one is not a tampering sign (H8 F19)', async () => {
    // Seq 11 happened a second after seq 12 was signed before it: listed by sequence, as the chain is.
    const report: AccessReport = { truncated: false, rows: [{ ...REPORT.rows[0]!, at: '2025-03-01T09:30:03.000Z' }, { ...REPORT.rows[1]!, at: '2025-03-01T09:30:04.000Z' }] };
    await openReport(createFakeLedger({ report }));
    await screen.findByRole('table', { name: 'Access report' });
    expect(screen.getByText(/^Listed in signing order/).textContent).toBe(
      'Listed in signing order, newest first (the ledger’s sequence, what verification checks); a row’s time is when the act happened, so a row may show a time a moment earlier than the row listed below it.',
    );
  });

  it('says what a Notary "not yet" means, on screen and in print, only while a row has one (H8 F4)', async () => {
    await openReport();
    const table = await screen.findByRole('table', { name: 'Access report' });
    expect(within(table).getByText('not yet').getAttribute('title')).toBe(NOTARY_NOT_YET);
    expect(screen.getByText(/^Notary “not yet”/).textContent).toBe(`Notary “not yet”: ${NOTARY_NOT_YET}`);
  });

  it('needs no Notary note when every row is countersigned', async () => {
    await openReport(createFakeLedger({ report: { truncated: false, rows: [REPORT.rows[0]!] } }));
    await screen.findByRole('table', { name: 'Access report' });
    expect(screen.queryByText(/^Notary “not yet”/)).toBeNull();
  });

  it('says the swap beside the rows found too', async () => {
    const ledger = await openReport();
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2025-03-02' } });
    fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2025-03-01' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    await waitFor(() => expect(ledger.callsTo('accessReport').at(-1)).toEqual([{ from: '2025-03-01', to: '2025-03-02' }]));
    const status = await screen.findByText(/The dates were in reverse order/);
    expect(status.textContent).toBe('2 rows, newest first. The dates were in reverse order (from 2025-03-02 to 2025-03-01), so they were swapped.');
    // A later report in order says nothing of it.
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    await waitFor(() => expect(ledger.callsTo('accessReport')).toHaveLength(3));
    await screen.findByText('2 rows, newest first.');
    expect(screen.queryByText(/The dates were in reverse order/)).toBeNull();
  });

  it('prints the report alone (the print dialog also saves it as PDF), saying what it covers', async () => {
    await openReport();
    await screen.findByRole('table', { name: 'Access report' });
    // happy-dom has no print dialog: a stand-in records the call.
    const print = vi.fn();
    vi.stubGlobal('print', print);
    try {
      fireEvent.click(screen.getByRole('button', { name: 'Print or save as PDF' }));
      expect(print).toHaveBeenCalledOnce();
      expect(document.querySelector('.access-report__print-title')?.textContent).toMatch(/every patient and act, all operators, all dates · times and dates in local time: \S.*$/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('prints which time zone its times and dates are in, and each patient’s pseudonym beside the name (QA s32 findings 1 and 6)', async () => {
    const saved = process.env['TZ'];
    process.env['TZ'] = 'Pacific/Auckland';
    try {
      const ledger = await openReport();
      const form = screen.getByRole('form', { name: 'Which accesses' });
      fireEvent.change(within(form).getByLabelText('From'), { target: { value: '2025-03-01' } });
      fireEvent.change(within(form).getByLabelText('To'), { target: { value: '2025-03-01' } });
      fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
      await waitFor(() => expect(ledger.callsTo('accessReport').at(-1)).toEqual([{ from: '2025-03-01', to: '2025-03-01' }]));
      const table = await screen.findByRole('table', { name: 'Access report' });
      const title = document.querySelector('.access-report__print-title')?.textContent ?? '';
      expect(title).toMatch(/every patient and act, all operators, 2025-03-01 to 2025-03-01 \(local days\) · times and dates in local time: Pacific\/Auckland, UTC\+1[23]:00$/);
      // The row's time is the Auckland clock (09:30 UTC is 22:30 NZDT), as the title says.
      expect(within(table).getAllByRole('row')[1]!.querySelector('time')?.textContent).toBe('2025-03-01 22:30:00');
      // Printed, the patient's whole pseudonym stands below the name (print CSS shows data-full, as for digests).
      const patient = within(table).getAllByRole('row')[1]!.querySelectorAll('td')[2]!;
      const pseudonym = patient.querySelector('code.hash.access-report__print-only');
      expect(pseudonym?.getAttribute('data-full')).toBe(`0x${'11'.repeat(32)}`);
      expect(patient.textContent).toBe('Brunner, Lea');
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });

  it('prints whom a patient report covers (the patients matched, name and pseudonym) and who printed it, not the text typed (QA s35 T2 F5)', async () => {
    const matched = { count: 1, patients: [{ subject: `0xdf1548${'0'.repeat(54)}c40f`, name: 'Brügger, Anna' }] };
    const ledger = await openReport(createFakeLedger({ report: { ...REPORT, matched } }));
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'brug' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    await waitFor(() => expect(ledger.callsTo('accessReport').at(-1)).toEqual([{ subject: 'brug' }]));
    await screen.findByRole('table', { name: 'Access report' });
    const title = document.querySelector('.access-report__print-title')?.textContent ?? '';
    expect(title).toMatch(/^Printed \S+ \S+ by Ada Admin · patient Brügger, Anna \(0xdf1548…c40f\), all operators, all dates · times/);
    expect(title).not.toContain('brug');
  });

  it('names at most a few of many patients matched, and says how many more', async () => {
    const patients = ['Aebi, Max', 'Brunner, Lea', 'Brügger, Anna'].map((name, i) => ({ subject: `0x${String(i + 1).repeat(64)}`, name }));
    await openReport(createFakeLedger({ report: { ...REPORT, matched: { count: 8, patients } } }));
    await screen.findByRole('table', { name: 'Access report' });
    const title = document.querySelector('.access-report__print-title')?.textContent ?? '';
    expect(title).toContain('8 patients: Aebi, Max (0x111111…1111); Brunner, Lea (0x222222…2222); Brügger, Anna (0x333333…3333) and 5 more,');
  });

  it('tells "no patient of that name on this node" from "that patient has no recorded access" (QA s35 T2 F4)', async () => {
    const ledger = createFakeLedger({ report: { truncated: false, rows: [], matched: { count: 0, patients: [] } } });
    await openReport(ledger);
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'xyz' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    expect((await screen.findByText(/No patient on this node/)).textContent).toBe('No patient on this node matches “xyz” (a name, or a pseudonym the ledger holds).');
  });

  it('says a matched patient has no recorded access in the range asked', async () => {
    const matched = { count: 1, patients: [{ subject: `0xdf1548${'0'.repeat(54)}c40f`, name: 'Müller, Hans' }] };
    const ledger = createFakeLedger({ report: { truncated: false, rows: [], matched } });
    await openReport(ledger);
    const form = screen.getByRole('form', { name: 'Which accesses' });
    fireEvent.change(within(form).getByLabelText('Patient'), { target: { value: 'Mül' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show report' }));
    expect((await screen.findByText(/has no recorded access/)).textContent).toBe('Müller, Hans (0xdf1548…c40f) has no recorded access for these filters.');
  });

  it('words an operator whose name this session may not know with the role, the ledger pseudonym on hover and in print (QA s35 T2 F6)', async () => {
    const operator = 'orKisqKyorKisqKyorKisqKyorKisqKyorKisqKyorI';
    const hidden = { ...REPORT.rows[0]!, operator, operatorName: '', operatorRole: 'auditor' };
    await openReport(createFakeLedger({ report: { truncated: false, rows: [hidden] } }));
    const table = await screen.findByRole('table', { name: 'Access report' });
    const cell = within(table).getAllByRole('row')[1]!.querySelector('th')!;
    expect(cell.textContent).toBe('Another operator (auditor)');
    const bytes32 = `0x${'a2b2'.repeat(16)}`;
    expect(cell.querySelector('[title]')?.getAttribute('title')).toBe(`Ledger pseudonym ${bytes32}`);
    expect(cell.querySelector('code.access-report__print-only')?.getAttribute('data-full')).toBe(bytes32);
  });

  it('says why a report could not be made, and an empty one plainly', async () => {
    const failing = createFakeLedger();
    failing.failWith('accessReport', new VaultError('E_NODE', 'The ledger view is unreadable.'));
    await openReport(failing);
    expect((await screen.findByRole('alert')).textContent).toContain('The report could not be made: The ledger view is unreadable.');
  });
});

describe('Patient page › Who accessed this record: export', () => {
  it('exports this patient’s access report', async () => {
    const ledger = createFakeLedger({ report: REPORT, accesses: { 'p-7': [{ operatorName: 'Carl Clinician', operator: 'op-pseudo-carl', at: REPORT.rows[0]!.at, seq: 12, what: 'Opened the patient', workstation: 'ward-3 (desktop app)' }] } });
    const { makePatient } = await import('../../support/fake-vault-service');
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7)] }), ledger);
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    const table = await within(section).findByRole('table');
    expect([...within(table).getAllByRole('row')[1]!.querySelectorAll('td')].map((cell) => cell.textContent).slice(1, 3)).toEqual(['Opened the patient', 'ward-3 (desktop app)']);
    fireEvent.click(within(section).getByRole('button', { name: 'Export access report (CSV)' }));
    expect(await within(section).findByText(/Exported 2 rows to/)).toBeTruthy();
    expect(ledger.callsTo('exportAccessReport')).toEqual([[{ patientId: 'p-7' }]]);
  });

  it('shows a new access as soon as the ledger signs it, without leaving the page', async () => {
    const accesses: { operatorName: string; operator: string; at: string; seq: number }[] = [];
    const ledger = createFakeLedger({ accesses: { 'p-7': accesses } });
    const { makePatient } = await import('../../support/fake-vault-service');
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/patients/p-7', createFakeVault({ phase: 'unlocked', patients: [makePatient(7)] }), ledger);
    const section = await screen.findByRole('region', { name: 'Who accessed this record' });
    expect(await within(section).findByText('The ledger records no access to this patient yet.')).toBeTruthy();
    // The writer signs this visit's access and tells the ledger's listeners.
    accesses.push({ operatorName: 'Carl Clinician', operator: 'op-pseudo-carl', at: REPORT.rows[0]!.at, seq: 12 });
    act(() => ledger.setWriterProblem(null));
    const table = await within(section).findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(2);
    expect(ledger.callsTo('accessesOf').length).toBeGreaterThanOrEqual(2);
  });
});
