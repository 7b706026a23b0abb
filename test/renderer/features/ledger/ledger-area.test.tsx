// @vitest-environment happy-dom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LEDGER_PAGE_SIZE } from '../../../../renderer/features/ledger/use-ledger-timeline';
import { LEDGER_KINDS } from '../../../../renderer/ledger/ledger-service';
import { VaultError } from '../../../../renderer/vault/vault-service';
import { createFakeLedger, makeEntries, makeEntry, type FakeLedger, type FakeLedgerOptions } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

async function openLedger(options: FakeLedgerOptions = { entries: makeEntries(60) }, hash = '#/ledger'): Promise<FakeLedger> {
  const ledger = createFakeLedger(options);
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), hash, createFakeVault({ phase: 'unlocked' }), ledger);
  await screen.findByRole('heading', { level: 1, name: 'Ledger' });
  return ledger;
}

function entryTable(): HTMLElement {
  return screen.getByRole('table', { name: 'Entries' });
}

async function findEntryTable(): Promise<HTMLElement> {
  return screen.findByRole('table', { name: 'Entries' });
}

/** The seq of each row, top to bottom. */
function shownSeqs(): number[] {
  return within(entryTable())
    .getAllByRole('link')
    .map((link) => Number(link.textContent));
}

function rowOf(seq: number): HTMLElement {
  return within(entryTable()).getByRole('link', { name: `Entry ${seq}` }).closest('tr')!;
}

function lastEntriesFilter(ledger: FakeLedger): unknown {
  return ledger.callsTo('entries').at(-1)?.[0];
}

describe('Ledger › timeline', () => {
  it('lists the newest page first and loads older entries on demand', { timeout: 60_000 }, async () => {
    const ledger = await openLedger();
    await findEntryTable();
    expect(shownSeqs()).toEqual(Array.from({ length: LEDGER_PAGE_SIZE }, (_, i) => 60 - i));
    expect(ledger.callsTo('entries')).toEqual([[{}, { limit: LEDGER_PAGE_SIZE }]]);

    fireEvent.click(screen.getByRole('button', { name: 'Load older entries' }));
    // Sixty rows in happy-dom take a while on a loaded machine (over 10 s once at load 10, 0.8 s
    // quiet): wait up to 25 s, inside the unit project's 30 s test timeout.
    await waitFor(() => expect(shownSeqs()).toHaveLength(60), { timeout: 25_000 });
    expect(shownSeqs().slice(-3)).toEqual([3, 2, 1]);
    expect(ledger.callsTo('entries')[1]).toEqual([{}, { beforeSeq: 11, limit: LEDGER_PAGE_SIZE }]);
    // Reading continues at the first entry loaded; nothing older remains.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('link', { name: 'Entry 10' })), { timeout: 25_000 });
    expect(screen.queryByRole('button', { name: 'Load older entries' })).toBeNull();
    expect(screen.getByText('No older entries.')).toBeTruthy();
  });

  it('shows kind (label and raw), time, operator name or Node, shortened subject and verification', async () => {
    await openLedger({ entries: makeEntries(10) });
    await findEntryTable();
    const consent = rowOf(2);
    expect(consent.textContent).toContain('Consent');
    expect(consent.textContent).toContain('CONSENT');
    expect(consent.textContent).toContain('Ada Admin');
    expect(rowOf(3).textContent).toContain('Carl Clinician');
    const subject = makeEntry(2).subject;
    const subjectCell = within(consent).getByTitle(subject);
    expect(subjectCell.textContent).not.toBe(subject);
    expect(subjectCell.textContent).toContain('…');
    expect(consent.querySelector('time')!.getAttribute('datetime')).toBe(makeEntry(2).createdAt);
    expect(consent.textContent).toContain('Not verified yet');

    const intake = rowOf(5);
    expect(intake.textContent).toContain('Intake batch');
    expect(intake.textContent).toContain('INTAKE_BATCH');
    expect(intake.textContent).toContain('Node');
    expect(within(entryTable()).getByRole('link', { name: 'Entry 5' }).getAttribute('href')).toBe('#/ledger/5');
  });

  it('shows an operator without a name by pseudonym, shortened, whole on one line with the full value in its title (QA s32 finding 5: "Utf0wX…" / "4duU")', async () => {
    const operator = 'Utf0wX' + 'a'.repeat(33) + '4duU';
    await openLedger({ entries: [makeEntry(1, { operator }), makeEntry(2, { operator: '' })] });
    await findEntryTable();
    const cell = rowOf(1).querySelectorAll('td')[2]!;
    const code = cell.querySelector('code.hash');
    expect(code?.textContent).toBe('Utf0wX…4duU');
    expect(code?.getAttribute('title')).toBe(operator);
    // No break inside it (ledger.css), as for the subject's pseudonym beside it.
    expect(code?.classList.contains('nowrap')).toBe(true);
    expect(rowOf(1).querySelector('td:nth-child(5) code.hash')?.classList.contains('nowrap')).toBe(true);
    // Names and the node's own acts stay words.
    expect(rowOf(2).querySelectorAll('td')[2]!.textContent).toBe('Node');
    expect(rowOf(2).querySelectorAll('td')[2]!.querySelector('code')).toBeNull();
  });

  it('shows when an act happened, and when it was signed if that was later (an auditor’s sign-in is signed at the next clinical session; QA D11)', async () => {
    const signed = '2025-03-01T10:00:00.000Z';
    const happened = '2025-03-01T08:30:00.000Z';
    await openLedger({ entries: [makeEntry(1, { createdAt: signed, summary: { event: 'signed in', at: happened } }), makeEntry(2, { createdAt: signed, summary: { event: 'locked', at: '2025-03-01T09:59:50.000Z' } })] });
    await findEntryTable();
    const late = rowOf(1).querySelector('td')!;
    expect(late.querySelector('time')!.getAttribute('datetime')).toBe(happened);
    expect(late.textContent).toMatch(/signed /);
    expect(late.querySelectorAll('time')[1]!.getAttribute('datetime')).toBe(signed);
    // Signed within a minute: one time, still the time of the act (QA issue 11: locks at 09:59:50 read 10:00:00).
    expect(rowOf(2).querySelector('td')!.querySelectorAll('time')).toHaveLength(1);
    expect(rowOf(2).querySelector('td time')!.getAttribute('datetime')).toBe('2025-03-01T09:59:50.000Z');
  });

  it('says the list is in signing order when the times shown are not (H8 F19: an intake batch signed after a quarantine action of the second before)', async () => {
    const batch = makeEntry(10, { createdAt: '2025-03-01T15:58:04.000Z', summary: { at: '2025-03-01T15:58:04.000Z' } });
    const action = makeEntry(11, { createdAt: '2025-03-01T15:58:04.500Z', summary: { at: '2025-03-01T15:58:03.000Z' } });
    await openLedger({ entries: [batch, action] });
    await findEntryTable();
    expect(shownSeqs()).toEqual([11, 10]);
    expect(screen.getByText(/^Listed in signing order/).textContent).toBe(
      'Listed in signing order, newest first (the ledger’s sequence, what verification checks); a row’s time is when the act happened, so a row may show a time a moment earlier than the row listed below it.',
    );
  });

  it('needs no such note while the times shown are in order', async () => {
    await openLedger({ entries: makeEntries(5) });
    await findEntryTable();
    expect(screen.queryByText(/signing order/)).toBeNull();
  });

  it('labels each session entry by its event, not "Sign-in and lock": signed in, locked, locked automatically (idle), failed unlock (QA issue 11)', async () => {
    await openLedger({
      entries: [
        makeEntry(1, { kind: 'SESSION', summary: { event: 'signed in' } }),
        makeEntry(2, { kind: 'SESSION', summary: { event: 'locked' } }),
        makeEntry(3, { kind: 'SESSION', summary: { event: 'locked automatically (idle)' } }),
        makeEntry(4, { kind: 'SESSION', summary: { event: 'unlock failed' } }),
        makeEntry(5, { kind: 'SESSION', summary: { event: 'window closed' } }),
      ],
    });
    await findEntryTable();
    const label = (seq: number): string => rowOf(seq).querySelector('.ledger-kind__label')!.textContent!;
    expect([1, 2, 3, 4, 5].map(label)).toEqual(['Signed in', 'Locked', 'Locked automatically (idle)', 'Failed unlock', 'Window closed']);
    // (The kind filter keeps "Sign-in and lock" as the name of the whole kind.)
    expect(within(await findEntryTable()).queryByText('Sign-in and lock')).toBeNull();
  });

  it('a session an administrator ended names the administrator in its row, as its page does: the name where this session knows it, else "another operator" (issue 11)', async () => {
    const revoked = (seq: number, by?: string) => makeEntry(seq, { kind: 'SESSION', operator: 'op-pseudo-carl', summary: { event: 'signed out: account disabled', ...(by === undefined ? {} : { 'signed out by': by }) } });
    const entries = [revoked(1), revoked(2, 'op-pseudo-ada'), revoked(3, 'op-pseudo-gone')];
    await openLedger({ entries });
    await findEntryTable();
    const label = (seq: number): string => rowOf(seq).querySelector('.ledger-kind__label')!.textContent!;
    expect([1, 2, 3].map(label)).toEqual([
      'Signed out by an administrator: account disabled',
      'Signed out by Ada Admin: account disabled',
      'Signed out by another operator (administrator): account disabled',
    ]);
  });

  it('says when the ledger is empty', async () => {
    await openLedger({ entries: [] });
    expect(await screen.findByText('The ledger has no entries yet.')).toBeTruthy();
    expect(screen.queryByRole('table', { name: 'Entries' })).toBeNull();
  });

  it('shows a failed load in an alert and retries', async () => {
    const ledger = createFakeLedger({ entries: makeEntries(3) });
    ledger.failWith('entries', new VaultError('E_NODE', 'The ledger view is unreadable.'));
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger', createFakeVault({ phase: 'unlocked' }), ledger);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The entries could not be loaded: The ledger view is unreadable.');
    ledger.failWith('entries', undefined);
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await findEntryTable();
    expect(shownSeqs()).toEqual([3, 2, 1]);
  });
});

describe('Ledger › filters', () => {
  it('filters by kinds, ticked in a fieldset "Kinds", as soon as they change', async () => {
    const ledger = await openLedger();
    await findEntryTable();
    const kinds = screen.getByRole('group', { name: 'Kinds' });
    expect(within(kinds).getAllByRole('checkbox')).toHaveLength(LEDGER_KINDS.length);

    fireEvent.click(within(kinds).getByRole('checkbox', { name: 'Settings change' }));
    fireEvent.click(within(kinds).getByRole('checkbox', { name: 'Consent' }));
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ kinds: ['CONSENT', 'SETTINGS_CHANGE'] }));
    await waitFor(() => expect(rowOf(58).textContent).toContain('CONSENT'));
    for (const seq of shownSeqs()) expect(['CONSENT', 'SETTINGS_CHANGE']).toContain(makeEntries(60)[seq - 1]!.kind);

    fireEvent.click(within(kinds).getByRole('checkbox', { name: 'Consent' }));
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ kinds: ['SETTINGS_CHANGE'] }));
  });

  it('filters by operator, offering their names', async () => {
    const ledger = await openLedger();
    await findEntryTable();
    const select = screen.getByRole('combobox', { name: 'Operator' }) as HTMLSelectElement;
    await waitFor(() => expect([...select.options].map((o) => o.textContent)).toEqual(['All operators', 'Ada Admin', 'Carl Clinician']));
    fireEvent.change(select, { target: { value: 'op-pseudo-carl' } });
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ operator: 'op-pseudo-carl' }));
    await waitFor(() => expect(shownSeqs()[0]).toBe(59));
    for (const seq of shownSeqs()) expect(rowOf(seq).textContent).toContain('Carl Clinician');
  });

  it('filters by date range (From, To) and by subject pseudonym, and clears', async () => {
    const entries = [
      makeEntry(1, { createdAt: '2025-02-27T10:00:00.000Z' }),
      makeEntry(2, { createdAt: '2025-03-01T10:00:00.000Z' }),
      makeEntry(3, { createdAt: '2025-03-03T10:00:00.000Z' }),
      makeEntry(4, { createdAt: '2025-03-05T10:00:00.000Z' }),
    ];
    const ledger = await openLedger({ entries });
    await findEntryTable();

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2025-03-01' } });
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ from: '2025-03-01' }));
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2025-03-04' } });
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ from: '2025-03-01', to: '2025-03-04' }));
    await waitFor(() => expect(shownSeqs()).toEqual([3, 2]));

    const subject = entries[2]!.subject;
    fireEvent.change(screen.getByRole('searchbox', { name: 'Subject' }), { target: { value: ` ${subject} ` } });
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({ from: '2025-03-01', to: '2025-03-04', subject }));
    await waitFor(() => expect(shownSeqs()).toEqual([3]));

    fireEvent.change(screen.getByRole('searchbox', { name: 'Subject' }), { target: { value: 'subj-nobody' } });
    expect(await screen.findByText('No entries match these filters.')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(lastEntriesFilter(ledger)).toEqual({}));
    await waitFor(() => expect(shownSeqs()).toEqual([4, 3, 2, 1]));
  });

  it('says when From is after To', async () => {
    await openLedger();
    await findEntryTable();
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2025-03-05' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2025-03-01' } });
    expect(screen.getByText('“From” is after “To”: no entry can match.')).toBeTruthy();
    expect(screen.getByLabelText('From').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('Ledger › verification and export', () => {
  it('shows the verification from unlock on entering the area', async () => {
    await openLedger({ entries: makeEntries(3), lastVerification: { ok: true, entries: 3, checkedAt: '2025-03-02T09:00:00.000Z' } });
    const status = await screen.findByText('All 3 entries verified.');
    expect(status.getAttribute('role')).toBe('status');
    await findEntryTable();
    expect(rowOf(3).textContent).toContain('Verified');
  });

  it('says when the ledger was not verified since unlock, then picks up the verification when it finishes', async () => {
    const ledger = await openLedger({ entries: makeEntries(3) });
    expect(await screen.findByText('The ledger has not been verified since the vault was unlocked.')).toBeTruthy();
    act(() => ledger.setLastVerification({ ok: true, entries: 3, checkedAt: '2025-03-02T09:00:00.000Z' }));
    expect(screen.getByText('All 3 entries verified.')).toBeTruthy();
    expect(rowOf(3).textContent).toContain('Verified');
  });

  it('follows the verification: entries signed after the list loaded show when the header counts them, without Refresh (QA s32: "All 28 entries verified" over a list ending at 25)', async () => {
    const ledger = await openLedger({ entries: makeEntries(25) });
    await findEntryTable();
    expect(shownSeqs()[0]).toBe(25);
    // The unlock's entries (a failed unlock, the sign-in…) are signed, then the verification at unlock counts them.
    act(() => {
      ledger.entryList.unshift(makeEntry(28), makeEntry(27, { kind: 'SESSION' }), makeEntry(26));
      ledger.setLastVerification({ ok: true, entries: 28, checkedAt: '2025-03-02T09:00:00.000Z' });
    });
    expect(screen.getByText('All 28 entries verified.')).toBeTruthy();
    await waitFor(() => expect(shownSeqs().slice(0, 4)).toEqual([28, 27, 26, 25]));
    // A verification counting no more entries does not reload the list: the rows shown stay (the
    // change signal may look for new entries, it finds none).
    const row = rowOf(25);
    act(() => ledger.setLastVerification({ ok: true, entries: 28, checkedAt: '2025-03-02T09:05:00.000Z' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByText('Loading entries…')).toBeNull();
    expect(rowOf(25)).toBe(row);
    expect(shownSeqs().slice(0, 4)).toEqual([28, 27, 26, 25]);
  });

  it('shows entries signed while the page is open without Refresh, keeping the rows, focus and an entry\'s page as they were (like a log view)', async () => {
    const ledger = await openLedger({ entries: makeEntries(25) });
    await findEntryTable();
    const link = within(entryTable()).getByRole('link', { name: 'Entry 20' });
    link.focus();
    act(() => ledger.sign(makeEntry(26)));
    await waitFor(() => expect(shownSeqs().slice(0, 2)).toEqual([26, 25]));
    // The rows shown were kept, not rendered anew: the same element still has focus.
    expect(within(entryTable()).getByRole('link', { name: 'Entry 20' })).toBe(link);
    expect(document.activeElement).toBe(link);
    // Within a second of the last update: it comes once the second is over (coalesced), so wait longer.
    act(() => ledger.sign(makeEntry(27), makeEntry(28)));
    await waitFor(() => expect(shownSeqs().slice(0, 4)).toEqual([28, 27, 26, 25]), { timeout: 5000 });
    expect(screen.queryByText('Loading entries…')).toBeNull();

    // An entry's page stays open as entries are signed; back on the list, they are there.
    act(() => {
      window.location.hash = '#/ledger/20';
    });
    const region = await screen.findByRole('region', { name: 'Entry 20' });
    act(() => ledger.sign(makeEntry(29)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(screen.getByRole('region', { name: 'Entry 20' })).toBe(region);
    act(() => {
      window.location.hash = '#/ledger';
    });
    await waitFor(() => expect(shownSeqs()[0]).toBe(29), { timeout: 5000 });
    // Refresh still reloads from the newest.
    const loads = ledger.callsTo('entries').length;
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(ledger.callsTo('entries').length).toBeGreaterThan(loads));
    await waitFor(() => expect(shownSeqs()[0]).toBe(29));
  });

  it('an entry signed while the list is still loading comes into it once loaded, without Refresh (fresh-clone CI of b384e5c: "Backup failed" never showed)', async () => {
    const ledger = createFakeLedger({ entries: makeEntries(25) });
    ledger.hold('entries');
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/ledger', createFakeVault({ phase: 'unlocked' }), ledger);
    await screen.findByRole('heading', { level: 1, name: 'Ledger' });
    await waitFor(() => expect(ledger.callsTo('entries')).toHaveLength(1));
    // Signed after the body read the page, before the page reached the list.
    act(() => ledger.sign(makeEntry(26)));
    act(() => ledger.release('entries'));
    await findEntryTable();
    await waitFor(() => expect(shownSeqs().slice(0, 2)).toEqual([26, 25]), { timeout: 5000 });
  });

  it('with a filter set, entries signed while the page is open wait behind "N new entries — show" instead of moving the list', async () => {
    const ledger = await openLedger({ entries: makeEntries(25) });
    await findEntryTable();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Consent' }));
    await waitFor(() => expect(shownSeqs().every((seq) => ledger.entryList.find((e) => e.seq === seq)!.kind === 'CONSENT')).toBe(true));
    const before = shownSeqs();
    act(() => ledger.sign(makeEntry(26, { kind: 'CONSENT' }), makeEntry(27, { kind: 'ACCESS' }), makeEntry(28, { kind: 'CONSENT' })));
    const show = await screen.findByRole('button', { name: '2 new entries — show' });
    expect(shownSeqs()).toEqual(before);
    fireEvent.click(show);
    await waitFor(() => expect(shownSeqs()).toEqual([28, 26, ...before]));
    expect(screen.queryByRole('button', { name: /new entr/ })).toBeNull();
    // The filter stayed.
    expect((screen.getByRole('checkbox', { name: 'Consent' }) as HTMLInputElement).checked).toBe(true);
  });

  it('scrolled down the list, entries signed wait behind "N new entries — show", so the rows being read do not move', async () => {
    const ledger = await openLedger({ entries: makeEntries(25) });
    await findEntryTable();
    const body = entryTable().querySelector('tbody')!;
    // The first rows are above the top of the window.
    body.getBoundingClientRect = () => ({ top: -600, bottom: 400, left: 0, right: 800, width: 800, height: 1000, x: 0, y: -600, toJSON: () => ({}) }) as DOMRect;
    act(() => ledger.sign(makeEntry(26)));
    const show = await screen.findByRole('button', { name: '1 new entry — show' });
    expect(shownSeqs()[0]).toBe(25);
    act(() => ledger.sign(makeEntry(27)));
    await screen.findByRole('button', { name: '2 new entries — show' }, { timeout: 5000 });
    fireEvent.click(screen.getByRole('button', { name: '2 new entries — show' }));
    await waitFor(() => expect(shownSeqs().slice(0, 3)).toEqual([27, 26, 25]));
    expect(show.isConnected).toBe(false);
  });

  it('following the verification, more than a page of new entries reloads the list from the newest (no gap between them and the rows shown)', async () => {
    const ledger = await openLedger({ entries: makeEntries(25) });
    await findEntryTable();
    const newest = 25 + LEDGER_PAGE_SIZE + 5;
    act(() => {
      for (let seq = 26; seq <= newest; seq++) ledger.entryList.unshift(makeEntry(seq));
      ledger.setLastVerification({ ok: true, entries: newest, checkedAt: '2025-03-02T09:00:00.000Z' });
    });
    await waitFor(() => expect(shownSeqs()[0]).toBe(newest));
    const seqs = shownSeqs();
    expect(seqs).toHaveLength(LEDGER_PAGE_SIZE);
    expect(seqs.every((seq, i) => seq === newest - i)).toBe(true);
  });

  it('looks again for the verification when the service has no change signal', async () => {
    const ledger = await openLedger({ entries: makeEntries(3), withoutSignals: true });
    expect(await screen.findByText('The ledger has not been verified since the vault was unlocked.')).toBeTruthy();
    ledger.setLastVerification({ ok: true, entries: 3, checkedAt: '2025-03-02T09:00:00.000Z' });
    expect(await screen.findByText('All 3 entries verified.', {}, { timeout: 3000 })).toBeTruthy();
  });

  it('says when new acts are not being signed', async () => {
    const ledger = await openLedger({ entries: makeEntries(3) });
    await findEntryTable();
    act(() => ledger.setWriterProblem('The last ledger entry (12) is malformed.'));
    expect(screen.getByRole('alert').textContent).toBe('New acts are not being signed into the ledger: The last ledger entry (12) is malformed.');
  });

  it('"Verify ledger" reports all entries verified', async () => {
    const ledger = await openLedger({ entries: makeEntries(12) });
    await findEntryTable();
    ledger.hold('verify');
    fireEvent.click(screen.getByRole('button', { name: 'Verify ledger' }));
    expect(await screen.findByText('Verifying every entry’s signature and the hash chain…')).toBeTruthy();
    act(() => ledger.release('verify'));
    expect((await screen.findByText('All 12 entries verified.')).getAttribute('role')).toBe('status');
    expect(rowOf(12).textContent).toContain('Verified');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('"Verify ledger" shows the first break in an alert and marks the entries after it', async () => {
    await openLedger({
      entries: makeEntries(20),
      verifyResult: {
        ok: false,
        entries: 20,
        checkedAt: '2025-03-02T09:00:00.000Z',
        firstBreak: { seq: 17, problem: 'the signature was not made by this node’s key' },
      },
    });
    await findEntryTable();
    fireEvent.click(screen.getByRole('button', { name: 'Verify ledger' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Entry 17: the signature was not made by this node’s key');
    expect(rowOf(16).textContent).toContain('Verified');
    expect(rowOf(17).textContent).toContain('First break');
    expect(rowOf(18).textContent).toContain('Not trusted');
  });

  it('shows a failed verification next to the button', async () => {
    const ledger = await openLedger({ entries: makeEntries(2) });
    await findEntryTable();
    ledger.failWith('verify', new VaultError('E_LOCKED', 'locked'));
    fireEvent.click(screen.getByRole('button', { name: 'Verify ledger' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The vault is locked. Unlock it and try again.');
  });

  it('"Export ledger" shows where the file went and how many entries it holds', async () => {
    const ledger = await openLedger({ entries: makeEntries(7) });
    await findEntryTable();
    fireEvent.click(screen.getByRole('button', { name: 'Export ledger' }));
    const done = await screen.findByText(/^Exported 7 entries to/);
    expect(done.getAttribute('role')).toBe('status');
    expect(done.textContent).toBe('Exported 7 entries to /data/exports/ledger-2025-03-01.jsonl');
    expect(screen.getByRole('button', { name: 'Copy export path' })).toBeTruthy();
    expect(ledger.callsTo('exportLedger')).toHaveLength(1);
  });

  it('shows a failed export in an alert', async () => {
    const ledger = await openLedger({ entries: makeEntries(1) });
    await findEntryTable();
    ledger.failWith('exportLedger', new Error('The disk is full.'));
    fireEvent.click(screen.getByRole('button', { name: 'Export ledger' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The disk is full.');
  });
});

describe('Ledger › availability', () => {
  it('explains the ledger when there is no vault yet', async () => {
    const node = createFakeNode({ vault: { state: 'absent' } });
    renderApp(node, '#/ledger', createFakeVault({ phase: 'absent' }), createFakeLedger());
    // Explore the app from first-run.
    fireEvent.click(await screen.findByRole('button', { name: /Explore/ }));
    await screen.findByRole('heading', { level: 1, name: 'Ledger' });
    expect(screen.getByRole('main').textContent).toContain('The ledger opens with the vault');
  });

  it('shows "Page not found" for a path that is not an entry number', async () => {
    await openLedger({ entries: makeEntries(1) }, '#/ledger/abc');
    expect(screen.getByRole('main').textContent).toContain('There is no page at this address');
  });
});
