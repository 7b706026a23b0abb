// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ledgerTime } from '../../../../renderer/features/ledger/ledger-format';
import type { LedgerVerification } from '../../../../renderer/ledger/ledger-service';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, makeEntries, makeEntry, NODE_ADDRESS, type FakeLedger } from '../../support/fake-ledger-service';
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

const BATCH = makeEntry(5, {
  kind: 'INTAKE_BATCH',
  operator: '',
  subject: '',
  inputs: ['0xroot', '101', '102'],
  summary: { hl7: 12, dicom: 3, root: '0xroot' },
});

async function openEntry(hash: string, lastVerification: LedgerVerification | null = null): Promise<FakeLedger> {
  const entries = makeEntries(20).map((entry) => (entry.seq === 5 ? BATCH : entry));
  const ledger = createFakeLedger({ entries, lastVerification });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, createFakeVault({ phase: 'unlocked' }), ledger);
  await screen.findByRole('heading', { level: 1, name: 'Ledger' });
  return ledger;
}

function facts(region: HTMLElement): Record<string, string> {
  return Object.fromEntries(
    [...region.querySelectorAll('.facts__row')].map((row) => [row.querySelector('dt')!.textContent, row.querySelector('dd')!.textContent ?? '']),
  );
}

describe('Ledger › entry detail', () => {
  it('a session entry says its event and when it happened, and keeps when it was signed as a field of its own (QA issue 11)', async () => {
    const at = '2025-03-01T09:09:05.000Z';
    const signed = '2025-03-01T09:10:17.000Z';
    renderApp(
      createFakeNode({ vault: { state: 'unlocked' } }),
      '#/ledger/12',
      createFakeVault({ phase: 'unlocked' }),
      createFakeLedger({ entries: [makeEntry(12, { kind: 'SESSION', createdAt: signed, summary: { event: 'locked automatically (idle)', at } })] }),
    );
    const shown = facts(await screen.findByRole('region', { name: 'Entry 12' }));
    expect(shown.Kind).toContain('Locked automatically (idle)');
    expect(shown.Kind).toContain('SESSION');
    expect(shown.Happened).toContain(ledgerTime(at));
    expect(shown.Signed).toContain(ledgerTime(signed));
    expect(Object.keys(shown).slice(0, 4)).toEqual(['Sequence', 'Kind', 'Happened', 'Signed']);
  });

  it('a session an administrator ended names that administrator where this session knows the name, with the pseudonym', async () => {
    const summary = (by: string) => ({ event: 'signed out: account disabled', 'signed out by': by });
    renderApp(
      createFakeNode({ vault: { state: 'unlocked' } }),
      '#/ledger/12',
      createFakeVault({ phase: 'unlocked' }),
      createFakeLedger({ entries: [makeEntry(12, { kind: 'SESSION', operator: 'op-pseudo-carl', summary: summary('op-pseudo-ada') })] }),
    );
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    const row = within(within(region).getByRole('table', { name: 'Summary' })).getByRole('row', { name: /signed out by/ });
    expect(row.querySelector('td')!.textContent).toBe('Ada Admin (op-pseudo-ada)');
  });

  it('shows every field in a definition list, hashes monospaced and whole', async () => {
    const ledger = await openEntry('#/ledger/12');
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    const entry = makeEntry(12, { kind: 'ACCESS', operator: 'op-pseudo-ada' });
    const shown = facts(region);
    expect(Object.keys(shown)).toEqual([
      'Sequence',
      'Kind',
      'Signed',
      'Operator',
      'Subject',
      'Previous hash',
      'Payload hash',
      'Inputs',
      'Entry hash',
      'Signer',
      'Signature',
      'Network notary',
    ]);
    expect(shown.Sequence).toBe('12');
    expect(shown.Kind).toContain('Record viewed');
    expect(shown.Kind).toContain('ACCESS');
    expect(shown.Signed).toContain(ledgerTime(entry.createdAt));
    expect(shown.Signed).toContain(entry.createdAt);
    expect(shown.Operator).toContain('Ada Admin');
    expect(shown.Operator).toContain('op-pseudo-ada');
    expect(shown.Subject).toContain(entry.subject);
    expect(shown['Previous hash']).toContain(entry.prevHash);
    expect(shown['Payload hash']).toContain(entry.payloadHash);
    expect(shown.Inputs).toContain('120');
    expect(shown['Entry hash']).toContain(entry.entryHash);
    expect(shown.Signer).toContain(NODE_ADDRESS);
    expect(shown.Signature).toContain(entry.signature);
    for (const code of region.querySelectorAll('dd code.hash--full')) expect(code.className).toContain('hash');
    expect(within(region).getByText('This entry has no summary.')).toBeTruthy();
    expect(ledger.callsTo('entry')).toEqual([[12]]);
    expect(screen.getByRole('link', { name: '← All entries' }).getAttribute('href')).toBe('#/ledger');
  });

  it('shows the name behind the subject when the session resolved it (admins, clinicians, auditors), and in the timeline', async () => {
    const entries = makeEntries(20).map((entry) => (entry.seq === 12 ? { ...entry, subjectName: 'Müller, Zoë' } : entry));
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger/12', createFakeVault({ phase: 'unlocked' }), createFakeLedger({ entries }));
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(facts(region).Subject).toContain('Müller, Zoë (resolved on this computer; never signed or sent)');
    expect(facts(region).Subject).toContain(entries[11]!.subject);
  });

  it('shows a notarized entry, and checks its inclusion proof again on request', async () => {
    const entries = makeEntries(20).map((entry) => (entry.seq === 12 ? { ...entry, notary: { leafIndex: 41, treeSize: 60, integratedAt: '2026-12-04T10:00:00.000Z' } } : entry));
    const ledger = Object.assign(createFakeLedger({ entries }), { recheckNotary: vi.fn(async () => ({ ok: true as const, leafIndex: 41, treeSize: 60 })) });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger/12', createFakeVault({ phase: 'unlocked' }), ledger);
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(facts(region)['Network notary']).toContain('Notarized: leaf 41 of the network’s log (checked against a checkpoint of 60 leaves)');
    fireEvent.click(within(region).getByRole('button', { name: 'Check the inclusion proof again' }));
    expect(await within(region).findByText(/the proof leads from this entry to the root of 60 leaves/)).toBeTruthy();
    expect(ledger.recheckNotary).toHaveBeenCalledWith(12);
  });

  it('shows no name for a subject the session could not resolve (a researcher)', async () => {
    await openEntry('#/ledger/12');
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(facts(region).Subject).not.toMatch(/resolved on this computer/);
  });

  it('shows an intake batch: the node as operator, its inputs and the summary table', async () => {
    await openEntry('#/ledger/5');
    const region = await screen.findByRole('region', { name: 'Entry 5' });
    const shown = facts(region);
    expect(shown.Operator).toContain('Node');
    expect(shown.Subject).toBe('None');
    expect(within(region).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['0xroot', '101', '102']);
    const summary = within(region).getByRole('table', { name: 'Summary' });
    const rows = within(summary)
      .getAllByRole('row')
      .slice(1)
      .map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['hl7', '12'],
      ['dicom', '3'],
      ['root', '0xroot'],
    ]);
  });

  it('copies hashes and the signature with named Copy buttons', async () => {
    const writeText = vi.fn(async () => undefined);
    setClipboard({ writeText });
    await openEntry('#/ledger/12');
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    const entry = makeEntry(12);
    for (const name of ['Copy previous hash', 'Copy payload hash', 'Copy entry hash', 'Copy signer address', 'Copy signature', 'Copy subject pseudonym']) {
      expect(within(region).getByRole('button', { name }).textContent).toBe('Copy');
    }
    fireEvent.click(within(region).getByRole('button', { name: 'Copy entry hash' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(entry.entryHash));
    expect(await within(region).findByText('Copied')).toBeTruthy();
    fireEvent.click(within(region).getByRole('button', { name: 'Copy signature' }));
    await waitFor(() => expect(writeText).toHaveBeenLastCalledWith(entry.signature));
  });

  it('says so when the clipboard refuses', async () => {
    setClipboard({ writeText: vi.fn(async () => Promise.reject(new Error('denied'))) });
    await openEntry('#/ledger/12');
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    fireEvent.click(within(region).getByRole('button', { name: 'Copy entry hash' }));
    expect(await within(region).findByText('Could not copy: select the value and copy it by hand.')).toBeTruthy();
  });

  it('shows the verification state of the entry: verified', async () => {
    await openEntry('#/ledger/12', { ok: true, entries: 20, checkedAt: '2025-03-02T00:00:00.000Z' });
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(region.textContent).toContain('Verified: its signature and its link to the previous entry were checked.');
  });

  it('shows the verification state of the entry: the first break, and after it', async () => {
    const broken: LedgerVerification = {
      ok: false,
      entries: 20,
      checkedAt: '2025-03-02T00:00:00.000Z',
      firstBreak: { seq: 12, problem: 'prevHash does not match the hash of entry 11' },
    };
    await openEntry('#/ledger/12', broken);
    let region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(region.textContent).toContain('The first break in the chain: prevHash does not match the hash of entry 11');

    await act(async () => {
      window.location.hash = '#/ledger/13';
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    region = await screen.findByRole('region', { name: 'Entry 13' });
    expect(region.textContent).toContain('After the first break — not trusted.');
  });

  it('says when an entry was not verified yet', async () => {
    await openEntry('#/ledger/12');
    const region = await screen.findByRole('region', { name: 'Entry 12' });
    expect(region.textContent).toContain('Not verified yet');
  });

  it('opens from the timeline and returns to it with the same list', async () => {
    const ledger = await openEntry('#/ledger');
    const table = await screen.findByRole('table', { name: 'Entries' });
    const link = within(table).getByRole('link', { name: 'Entry 7' });
    expect(link.getAttribute('href')).toBe('#/ledger/7');
    await act(async () => {
      window.location.hash = '#/ledger/7';
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(await screen.findByRole('region', { name: 'Entry 7' })).toBeTruthy();
    await act(async () => {
      window.location.hash = '#/ledger';
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(await screen.findByRole('table', { name: 'Entries' })).toBeTruthy();
    // The list was kept above the pages: no second load.
    expect(ledger.callsTo('entries')).toHaveLength(1);
  });

  it('says when the entry does not exist, and shows a failed load with Retry', async () => {
    const ledger = await openEntry('#/ledger/99');
    expect(await screen.findByText('The ledger has no entry 99.')).toBeTruthy();

    ledger.failWith('entry', new VaultError('E_NODE', 'The ledger view is unreadable.'));
    await act(async () => {
      window.location.hash = '#/ledger/3';
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Entry 3 could not be loaded: The ledger view is unreadable.');
    ledger.failWith('entry', undefined);
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('region', { name: 'Entry 3' })).toBeTruthy();
  });
});
