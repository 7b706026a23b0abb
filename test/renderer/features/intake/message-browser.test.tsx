// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { describeFilters, NO_FILTERS, queryOf, shownSentence } from '../../../../renderer/features/intake/message-browser';
import type { MessageQuery, MessageSummary } from '../../../../renderer/vault/vault-service';
import { createFakeLedger } from '../../support/fake-ledger-service';
import { createFakeNode } from '../../support/fake-transport';
import { createFakeVault, makePatient } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';
import { lab, row } from '../../support/clinical-fixtures';

const ACK = 'MSH|^~\\&|HDMS|NODE|LAB|NORTH|20250301080000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|LAB-60';

function message(seq: number, overrides: Partial<MessageSummary> = {}): MessageSummary {
  const at = new Date(Date.UTC(2025, 2, 1, 8, 0, seq)).toISOString();
  return {
    seq,
    at,
    receivedAt: at,
    kind: 'intake.hl7',
    channel: 'hl7-mllp',
    status: 'accepted',
    sender: 'LAB|NORTH',
    controlId: `LAB-${seq}`,
    messageType: 'ORU^R01^ORU_R01',
    version: '2.5.1',
    acks: ['AA'],
    ackTexts: [ACK],
    mapping: 'mapped',
    objectId: 'a'.repeat(64),
    records: 3,
    patientId: 'p-1',
    ...overrides,
  };
}

const MESSAGES: MessageSummary[] = [
  ...Array.from({ length: 60 }, (_, i) => message(i + 1)),
  message(61, {
    kind: 'intake.quarantine',
    status: 'rejected',
    sender: 'ADT|EAST',
    controlId: 'BAD-1',
    messageType: 'ADT^A01',
    acks: ['AR'],
    ackTexts: ['MSH|^~\\&|HDMS|NODE|ADT|EAST|20250301080101||ACK^A01^ACK|A2|P|2.5.1\rMSA|AR|BAD-1'],
    reason: 'MSH-12 (version) is not supported.',
    errorCode: 203,
    patientId: '',
    records: undefined,
  }),
];

function tableRows(): string[][] {
  const table = screen.getByRole('table', { name: 'Messages' });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? ''));
}

function setup(hash = '#/intake/messages') {
  const vault = createFakeVault({ phase: 'unlocked', messages: MESSAGES, patients: [makePatient(1)], raw: { 'm:60': 'MSH|^~\\&|LAB|NORTH|HDMS|NODE|20250301080000||ORU^R01|LAB-60|P|2.5.1\rPID|||MRN1' } });
  const node = createFakeNode({ vault: { state: 'unlocked' } });
  renderApp(node, hash, vault);
  return vault;
}

describe('Message browser', () => {
  it('lists every message newest first, 50 at a time, and says what it shows', async () => {
    setup();
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    expect(tableRows()).toHaveLength(50);
    expect(tableRows()[0]!.slice(1)).toEqual(['BAD-1', 'ADT|EAST', 'ADT^A01', 'AR (rejected)', 'Rejected, in quarantine']);
    fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await screen.findByText('Showing all 61 messages received, newest first.');
    expect(tableRows()).toHaveLength(61);
    expect(tableRows()[60]![1]).toBe('LAB-1');
  });

  it('opened while the vault is indexing: says so instead of "No message has been received yet", and shows the messages once indexing ends', async () => {
    const vault = createFakeVault({ phase: 'unlocked', messages: [], patients: [makePatient(1)] });
    vault.setIndexing({ busy: true, applied: 0 });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages', vault);
    await screen.findByText('No message is indexed yet: the vault is still being indexed, and this list fills in when it is done.');
    expect(screen.queryByText('No message has been received yet.')).toBeNull();
    // The index catches up: the list reads again by itself.
    vault.messageRows.push(...MESSAGES);
    act(() => vault.setIndexing({ busy: false }));
    await screen.findByText('Showing the newest 50 of 61 messages received.');
  });

  it('searches by sender (from the senders seen), status and dates, and names the filters in its sentence', async () => {
    const vault = setup();
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    const sender = screen.getByLabelText('Sender (MSH-3 | MSH-4)');
    await within(sender).findByRole('option', { name: 'ADT|EAST' });
    expect([...sender.querySelectorAll('option')].map((option) => option.textContent)).toEqual(['Any sender', 'ADT|EAST', 'LAB|NORTH']);
    fireEvent.change(sender, { target: { value: 'ADT|EAST' } });
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'rejected' } });
    fireEvent.change(screen.getByLabelText('Received from'), { target: { value: '2025-03-01' } });
    fireEvent.change(screen.getByLabelText('Received to (inclusive)'), { target: { value: '2025-03-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText('Showing the one message matching from ADT|EAST, status “Rejected, in quarantine”, received 2025-03-01 to 2025-03-01.');
    expect(tableRows().map((row) => row[1])).toEqual(['BAD-1']);
    const query = vault.calls.filter((call) => call.method === 'messages').at(-1)!.args[0] as MessageQuery;
    expect(query).toEqual({ sender: 'ADT|EAST', status: 'rejected', from: new Date(2025, 2, 1).toISOString(), to: new Date(2025, 2, 2).toISOString() });

    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    fireEvent.change(screen.getByLabelText('Control id (MSH-10)'), { target: { value: 'NOPE' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText('No message matches control id NOPE.');
  });

  it('says so when the received dates are reversed, and searches the range they meant (D7)', async () => {
    const vault = setup();
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    fireEvent.change(screen.getByLabelText('Received from'), { target: { value: '2025-03-02' } });
    fireEvent.change(screen.getByLabelText('Received to (inclusive)'), { target: { value: '2025-03-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    const status = await screen.findByText(/The dates were in reverse order/);
    expect(status.textContent).toBe('Showing the newest 50 of 61 messages matching received 2025-03-01 to 2025-03-02. The dates were in reverse order (from 2025-03-02 to 2025-03-01), so they were swapped.');
    const query = vault.calls.filter((call) => call.method === 'messages').at(-1)!.args[0] as MessageQuery;
    expect(query).toEqual({ from: new Date(2025, 2, 1).toISOString(), to: new Date(2025, 2, 3).toISOString() });
    expect((screen.getByLabelText('Received from') as HTMLInputElement).value).toBe('2025-03-01');
    expect((screen.getByLabelText('Received to (inclusive)') as HTMLInputElement).value).toBe('2025-03-02');
  });

  it('F17: the received dates are typed as YYYY-MM-DD (never the browser locale\'s order); a date that is not one gets an error at its field and no search', async () => {
    const vault = setup();
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    const from = screen.getByLabelText('Received from') as HTMLInputElement;
    const to = screen.getByLabelText('Received to (inclusive)') as HTMLInputElement;
    // A date input shows mm/dd/yyyy or dd/mm/yyyy by the browser's locale: these are text fields.
    expect([from.type, to.type]).toEqual(['text', 'text']);
    expect(from.placeholder).toBe('YYYY-MM-DD');
    const searches = (): number => vault.calls.filter((call) => call.method === 'messages').length;
    const before = searches();
    fireEvent.change(from, { target: { value: '12/01/2025' } });
    fireEvent.change(to, { target: { value: '2025-02-30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByText('Received from: enter the date as YYYY-MM-DD, e.g. 2025-12-01.').getAttribute('role')).toBe('alert');
    expect(screen.getByText('Received to (inclusive): 2025-02-30 is not a date.')).toBeTruthy();
    expect(from.getAttribute('aria-invalid')).toBe('true');
    expect(searches()).toBe(before);
    fireEvent.change(from, { target: { value: ' 2025-03-01 ' } });
    fireEvent.change(to, { target: { value: '2025-03-01' } });
    expect(screen.queryByText(/enter the date as YYYY-MM-DD|is not a date/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText(/received 2025-03-01 to 2025-03-01\./);
    const query = vault.calls.filter((call) => call.method === 'messages').at(-1)!.args[0] as MessageQuery;
    expect(query).toEqual({ from: new Date(2025, 2, 1).toISOString(), to: new Date(2025, 2, 2).toISOString() });
  });

  it('opens a message: what it was, the ACK sent, the patient it was filed under, and the raw message on request', async () => {
    const vault = setup('#/intake/messages/60');
    await screen.findByRole('heading', { name: 'Message LAB-60' });
    expect(screen.getByLabelText('Acknowledgment 1 as sent').textContent).toBe('MSH|^~\\&|HDMS|NODE|LAB|NORTH|20250301080000||ACK^R01^ACK|A1|P|2.5.1\nMSA|AA|LAB-60');
    const produced = screen.getByRole('region', { name: 'What it produced' });
    const link = within(produced).getAllByRole('link')[0]!;
    expect(link.getAttribute('href')).toBe('#/patients/p-1');
    // One pair of parentheses: "Name (MRN…, authority)", not "Name (MRN… (authority))" (H8 F18).
    expect(link.textContent).toMatch(/ \(MRN[^()]+\)$/);
    expect(screen.getByText(/3 records filed under/)).toBeTruthy();
    // The raw bytes are opened (and journaled) only when asked for.
    expect(vault.calls.some((call) => call.method === 'openMessageRaw')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Show the raw message' }));
    await screen.findByRole('heading', { name: 'Raw message (journal sequence 60)' });
    expect(vault.calls.filter((call) => call.method === 'openMessageRaw')).toHaveLength(1);
  });

  it('D3: a message an operator reprocessed from the quarantine says so, not "File import"', async () => {
    const reprocessed = message(62, { channel: 'hl7-reprocess', controlId: 'NOPID-1', acks: ['AA'], ackTexts: undefined, reprocessOf: { quarantineSeq: 61, edited: true } });
    const vault = createFakeVault({ phase: 'unlocked', messages: [...MESSAGES, reprocessed], patients: [makePatient(1)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/62', vault);
    await screen.findByRole('heading', { name: 'Message NOPID-1' });
    expect(screen.getByText('Via').nextElementSibling?.textContent).toBe('Reprocessed from the quarantine by an operator');
    const from = screen.getByText('Reprocessed from').nextElementSibling!;
    expect(from.textContent).toBe('Quarantined message 61, edited by the operator before it was reprocessed');
    expect(from.querySelector('a')?.getAttribute('href')).toBe('#/intake/messages/61');
    expect(screen.getByText('Status').nextElementSibling?.textContent).toBe('Accepted');
    expect(screen.getByText(/No acknowledgment goes to the sender when an operator reprocesses a message/)).toBeTruthy();
    expect(screen.queryByText(/file import/i)).toBeNull();
  });

  it('F12: an edited reprocess names who edited it: by name for an administrator, as "another operator" for a session that may not know the name', async () => {
    const fixed = message(61, { ...MESSAGES[60]!, status: 'reprocessed' });
    const copy = message(62, { channel: 'hl7-reprocess', controlId: 'BAD-1', acks: ['AA'], ackTexts: undefined, reprocessOf: { quarantineSeq: 61, edited: true } });
    const asIs = message(63, { channel: 'hl7-reprocess', controlId: 'BAD-2', acks: ['AA'], ackTexts: undefined, reprocessOf: { quarantineSeq: 61, edited: false } });
    const options = {
      phase: 'unlocked' as const,
      messages: [...MESSAGES.slice(0, 60), fixed, copy, asIs],
      patients: [makePatient(1)],
      resolutions: { 61: { status: 'reprocessed' as const, at: '2025-03-02T09:00:00.000Z', heldAgainAs: [] } },
      reprocessedBy: { 62: 'op-pseudo-carl', 63: 'op-pseudo-carl' },
    };
    // An administrator's ledger names every operator.
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/62', createFakeVault(options), createFakeLedger());
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    await waitFor(() => expect(screen.getByText('Reprocessed from').nextElementSibling!.textContent).toBe('Quarantined message 61, edited by Carl Clinician before it was reprocessed'));
    cleanup();

    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/61', createFakeVault(options), createFakeLedger());
    const produced = await screen.findByRole('region', { name: 'What it produced' });
    await within(produced).findByRole('link', { name: 'Message 62 (BAD-1), edited by Carl Clinician' });
    within(produced).getByRole('link', { name: 'Message 63 (BAD-2), reprocessed as it was by Carl Clinician' });
    cleanup();

    // A clinician's ledger names only themself: another operator's edit says so without a name.
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/62', createFakeVault(options), createFakeLedger({ operators: { 'op-pseudo-ada': 'Ada Admin' } }));
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    await waitFor(() => expect(screen.getByText('Reprocessed from').nextElementSibling!.textContent).toBe('Quarantined message 61, edited by another operator before it was reprocessed'));
    expect(screen.queryByText(/op-pseudo-carl/)).toBeNull();
  });

  it('issue 11 tester #5: a conflict links to the other messages that carried its control id', async () => {
    const conflict = message(62, { status: 'conflict', controlId: 'LAB-5', messageType: 'ADT^A08' });
    const again = message(63, { kind: 'intake.quarantine', status: 'rejected', controlId: 'LAB-5', acks: ['AR'], patientId: '', records: undefined });
    const vault = createFakeVault({ phase: 'unlocked', messages: [...MESSAGES, conflict, again], patients: [makePatient(1)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/62', vault);
    await screen.findByRole('heading', { name: 'Message LAB-5' });
    const others = await screen.findByRole('list', { name: 'Other messages with control id LAB-5' });
    const links = within(others).getAllByRole('link');
    expect(links.map((link) => [link.textContent, link.getAttribute('href')])).toEqual([
      ['Message 63', '#/intake/messages/63'],
      ['Message 5', '#/intake/messages/5'],
    ]);
    expect(others.textContent).toContain('Rejected, in quarantine');
    expect(others.textContent).toContain('Accepted');
  });

  it('a quarantined message says why and that it produced nothing', async () => {
    setup('#/intake/messages/61');
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    expect(screen.getByText('MSH-12 (version) is not supported. (HL7 error 203)')).toBeTruthy();
    expect(screen.getByText(/Nothing was filed: the message is in the quarantine/)).toBeTruthy();
  });

  it('QA s33 D5: an MFN or inbound ACK kept "not mapped" says so: nothing to file, not in the quarantine; an ACK was not answered', async () => {
    const unmapped = (seq: number, messageType: string, acks: string[]) =>
      message(seq, { kind: 'intake.quarantine', status: 'not-mapped', sender: 'HR|EAST', controlId: `NM-${seq}`, messageType, mapping: 'not-mapped', acks, ackTexts: acks.length === 0 ? [] : [ACK], patientId: '', records: undefined });
    const vault = createFakeVault({ phase: 'unlocked', messages: [unmapped(70, 'MFN^M02', ['AA']), unmapped(71, 'ACK^A01', [])], patients: [makePatient(1)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/70', vault);
    await screen.findByRole('heading', { name: 'Message NM-70' });
    expect(screen.getByText('Stored, type not mapped')).toBeTruthy();
    expect(screen.getByText(/Nothing to file: MFN messages name no patient/)).toBeTruthy();
    expect(screen.queryByText(/the message is in the quarantine/)).toBeNull();
    expect(screen.queryByText('Why it was quarantined')).toBeNull();
    cleanup();
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/71', vault);
    await screen.findByRole('heading', { name: 'Message NM-71' });
    expect(screen.getByText(/No acknowledgment was sent: HL7 does not acknowledge an acknowledgment/)).toBeTruthy();
    expect(screen.queryByText(/the message is in the quarantine/)).toBeNull();
    expect(screen.queryByText('Why it was quarantined')).toBeNull();
  });

  it('QA round 4 #8: a quarantined message reprocessed since says so and links to the copy that filed records, and to one held again', async () => {
    const fixed = message(61, { ...MESSAGES[60]!, status: 'reprocessed' });
    const copy = message(62, { channel: 'hl7-reprocess', controlId: 'BAD-1', acks: ['AA'], ackTexts: undefined, reprocessOf: { quarantineSeq: 61, edited: true } });
    const vault = createFakeVault({ phase: 'unlocked', messages: [...MESSAGES.slice(0, 60), fixed, copy], patients: [makePatient(1)], resolutions: { 61: { status: 'reprocessed', at: '2025-03-02T09:00:00.000Z', heldAgainAs: [] } } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/61', vault);
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    const produced = screen.getByRole('region', { name: 'What it produced' });
    expect(produced.textContent).not.toMatch(/Nothing was filed/);
    expect(produced.textContent).toMatch(/^What it producedIt was reprocessed from the quarantine on .+\. The copy that filed its records:/);
    expect(produced.querySelector('time')?.getAttribute('datetime')).toBe('2025-03-02T09:00:00.000Z');
    const link = within(produced).getByRole('link', { name: 'Message 62 (BAD-1), edited by the operator' });
    expect(link.getAttribute('href')).toBe('#/intake/messages/62');
  });

  it('QA round 4 #8: a reprocess held again links to the new quarantine entry; a discarded message says it was discarded', async () => {
    const heldAgain = message(61, { ...MESSAGES[60]!, status: 'reprocessed' });
    const entry = message(63, { ...MESSAGES[60]!, seq: 63, controlId: 'BAD-1', status: 'held' });
    const vault = createFakeVault({ phase: 'unlocked', messages: [...MESSAGES.slice(0, 60), heldAgain, entry], patients: [makePatient(1)], resolutions: { 61: { status: 'reprocessed', heldAgainAs: [63] } } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/61', vault);
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    const produced = screen.getByRole('region', { name: 'What it produced' });
    expect(produced.textContent).toMatch(/It was reprocessed from the quarantine, and held in the quarantine again/);
    expect(within(produced).getByRole('link', { name: 'Quarantined message 63' }).getAttribute('href')).toBe('#/intake/messages/63');
    cleanup();

    const discarded = message(61, { ...MESSAGES[60]!, status: 'discarded' });
    const again = createFakeVault({ phase: 'unlocked', messages: [...MESSAGES.slice(0, 60), discarded], patients: [makePatient(1)], resolutions: { 61: { status: 'discarded', at: '2025-03-02T09:00:00.000Z', heldAgainAs: [] } } });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/61', again);
    await screen.findByRole('heading', { name: 'Message BAD-1' });
    const gone = screen.getByRole('region', { name: 'What it produced' });
    expect(gone.textContent).toMatch(/Nothing was filed: the message was discarded from the quarantine on .+\./);
    expect(gone.querySelector('time')?.getAttribute('datetime')).toBe('2025-03-02T09:00:00.000Z');
  });

  it('QA round 4 #13: a 1–2 letter patient query gets the patient search hint, under the field and in the line above the results', async () => {
    setup();
    await screen.findByText('Showing the newest 50 of 61 messages received.');
    const field = screen.getByLabelText('Patient identifier or name');
    fireEvent.change(field, { target: { value: 'zw' } });
    const hint = document.getElementById(field.getAttribute('aria-describedby') ?? '')!;
    expect(hint.textContent).toBe('Type at least 3 letters to search by the start of a name or number.');
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText('Type at least 3 letters to search by the start of a name or number. No message matches patient “zw” as a whole name, number or word.');
    // Three letters: no hint; one or two Chinese, Japanese or Korean characters are a whole word (as in patient search).
    fireEvent.change(field, { target: { value: 'zwi' } });
    expect(field.getAttribute('aria-describedby')).toBeNull();
    fireEvent.change(field, { target: { value: '王' } });
    expect(field.getAttribute('aria-describedby')).toBeNull();
    expect(shownSentence(2, 2, false, { ...NO_FILTERS, patient: 'li' })).toBe('Showing all 2 messages matching patient “li”, newest first. “li” was matched as a whole name, number or word: type at least 3 letters to search by the start of a name or number.');
    expect(shownSentence(0, 0, false, { ...NO_FILTERS, patient: '王' })).toBe('No message matches patient “王”.');
  });

  it('turns the form into a query and words (dates are whole local days, the end included)', () => {
    expect(queryOf(NO_FILTERS)).toEqual({});
    expect(queryOf({ ...NO_FILTERS, controlId: ' X1 ', type: 'oru', patient: ' MRN0 ' })).toEqual({ controlId: 'X1', types: ['oru'], patient: 'MRN0' });
    expect(describeFilters({ ...NO_FILTERS, type: 'oru', to: '2025-03-02' })).toBe('type ORU, received on or before 2025-03-02');
    // QA round 4 #11: a total that is not counted says why.
    expect(shownSentence(50, null, true, { ...NO_FILTERS, sender: 'A|B', status: 'accepted' })).toBe(
      'Showing the newest 50 messages matching from A|B, status “Accepted”; more match (the total is not counted for these filters together: that would mean reading every message they could match).',
    );
    expect(shownSentence(0, 0, false, NO_FILTERS)).toBe('No message has been received yet.');
    expect(shownSentence(50, 10_000, true, { ...NO_FILTERS, status: 'accepted' }, true)).toBe('Showing the newest 50 of more than 10,000 messages matching status “Accepted”.');
    // D7: one "matching", not two.
    expect(shownSentence(4, 4, false, { ...NO_FILTERS, patient: 'QA1100' })).toBe('Showing all 4 messages matching patient “QA1100”, newest first.');
    expect(shownSentence(0, 0, false, { ...NO_FILTERS, patient: 'QA1100' })).toBe('No message matches patient “QA1100”.');
  });
  it('QA s34 D6: the message page lists the records it produced, each a link; an update that filed none says what it did', async () => {
    const glucose = row('p-1.00000028.0', lab('2345-7', 'Glucose', 5.4, 'mmol/L', '2025-03-01T08:00:00Z'));
    const potassium = row('p-1.00000028.1', lab('2823-3', 'Potassium', 4.1, 'mmol/L', '2025-03-01T08:00:00Z'));
    const ofMessage = (r: typeof glucose) => ({ ...r, source: { ...r.source, channel: 'hl7-mllp', seq: 80, messageId: 'LAB-80' } });
    const messages = [...MESSAGES, message(80, { controlId: 'LAB-80', records: 2 }), message(81, { controlId: 'ADT-81', messageType: 'ADT^A08^ADT_A01', records: 0 })];
    const vault = createFakeVault({ phase: 'unlocked', messages, patients: [makePatient(1, {}, [ofMessage(glucose), ofMessage(potassium)])] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/80', vault);
    await screen.findByRole('heading', { name: 'Message LAB-80' });
    const produced = await screen.findByRole('list', { name: 'Records it produced' });
    const links = within(produced).getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['#/patients/p-1/records/p-1.00000028.0', '#/patients/p-1/records/p-1.00000028.1']);
    expect(links[0]!.textContent).toContain('Glucose');
    expect(links[1]!.textContent).toContain('Potassium');

    window.location.hash = '#/intake/messages/81';
    await screen.findByRole('heading', { name: 'Message ADT-81' });
    const region = screen.getByRole('region', { name: 'What it produced' });
    expect(region.textContent).not.toMatch(/0 records/);
    expect(region.textContent).toMatch(/It updated the patient’s registration \(ADT\^A08\) of .+; it filed no records\./);
    expect(within(region).getAllByRole('link')[0]!.getAttribute('href')).toBe('#/patients/p-1');
  });

  it('T2 S35 F1: a page that names the patient says that seeing it is recorded as an access of the patient; a quarantined one does not', async () => {
    const messages = [...MESSAGES, message(80, { controlId: 'LAB-80', records: 2 })];
    const vault = createFakeVault({ phase: 'unlocked', messages, patients: [makePatient(1)] });
    renderApp(createFakeNode({ vault: { state: 'unlocked' } }), '#/intake/messages/80', vault);
    await screen.findByRole('heading', { name: 'Message LAB-80' });
    const region = screen.getByRole('region', { name: 'What it produced' });
    expect(region.textContent).toContain('Seeing the patient and the records here is recorded in the audit trail as an access of the patient');
    window.location.hash = `#/intake/messages/${MESSAGES.find((m) => m.kind === 'intake.quarantine')!.seq}`;
    await waitFor(() => expect(screen.getByRole('region', { name: 'What it produced' }).textContent).not.toContain('as an access of the patient'));
  });
});
