import { Wallet } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { entryHash, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../../shared/ledger/ledger-schema';
import { ACCESS_REPORT_SCOPE } from '../../../shared/ipc/ledger-contract';
import { ACCESS_REPORT_CSV_HEADER, accessReportCsv, accessReportScope, actionOf, buildAccessReport, csvCell, patientAccessList } from '../../../renderer/ledger/access-report';
import { bytes32ToPseudonym, pseudonymToBytes32, summaryOf } from '../../../renderer/ledger/ledger-details';
import type { LedgerReader } from '../../../renderer/ledger/ledger-reader';
import type { LedgerRow } from '../../../renderer/ledger/ledger-rows';
import Dexie from 'dexie';
import { CURSOR_KEY, openVaultDb, readCursor, viewDbName } from '../../../renderer/vault/views/vault-db';

const NODE = Wallet.createRandom().address;
const DOMAIN = ledgerDomain();
const ADA = bytes32ToPseudonym(`0x${'ad'.repeat(32)}`);
// A pseudonym may start with '-': kept as signed, never taken for a formula.
const CARL = bytes32ToPseudonym(`0xfb${'c1'.repeat(31)}`);
const PATIENT = `0x${'11'.repeat(32)}`;
const OTHER = `0x${'22'.repeat(32)}`;

function row(seq: number, kind: string, operator: string, subject: string, summary: Record<string, string | number>, notary?: LedgerRow['notary']): LedgerRow {
  const entry: LedgerEntry = { seq, prevHash: ZERO_HASH, kind: kind as LedgerEntry['kind'], subject, operator: pseudonymToBytes32(operator), payloadHash: ZERO_HASH, inputs: [], createdAt: Date.parse('2026-12-04T12:00:00Z') + seq, node: NODE };
  return { seq, journalSeq: seq * 2, kind, subject, operator: entry.operator, createdAt: entry.createdAt, coversTo: seq * 2, entry, signature: '0x', summary, ...(notary === undefined ? {} : { notary }) };
}

async function readerWith(rows: readonly LedgerRow[], names: { operators?: Record<string, string>; subjects?: Record<string, string> } = {}): Promise<LedgerReader> {
  const db = openVaultDb(`access-report-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.open();
  await db.ledger.bulkPut([...rows]);
  return {
    domain: DOMAIN,
    address: NODE,
    intakePublicKey: '',
    last: null,
    db: () => db,
    verify: () => Promise.reject(new Error('not here')),
    operatorNames: async () => names.operators ?? {},
    subjectNames: async (subjects) => Object.fromEntries(subjects.filter((s) => names.subjects?.[s] !== undefined).map((s) => [s, names.subjects![s]!])),
    subjectsNamed: async () => new Set(),
  };
}

const AT = (minute: number) => `2026-12-04T10:${String(minute).padStart(2, '0')}:00.000Z`;

const LEDGER: readonly LedgerRow[] = [
  row(1, 'SESSION', ADA, ZERO_HASH, { event: 'signed in', 'failed unlocks before': 2, role: 'admin', 'unlocked with': 'passphrase', workstation: 'ward-3 (desktop app)', at: AT(0) }),
  row(2, 'INTAKE_BATCH', '', ZERO_HASH, { records: 4 }),
  row(3, 'ACCESS', ADA, PATIENT, { opened: 'patient page', at: AT(5) }, { leafIndex: 41, treeSize: 90, receiptSeq: 77, integratedAt: Date.parse(AT(7)) }),
  row(4, 'SESSION', CARL, ZERO_HASH, { event: 'signed in', 'failed unlocks before': 0, role: 'clinician', workstation: 'lab-pc (browser shell)', at: AT(10) }),
  row(5, 'ACCESS', CARL, PATIENT, { opened: 'one record', at: AT(12) }),
  row(6, 'ACCESS', CARL, OTHER, { opened: 'patient page', at: AT(13) }),
  row(7, 'QUARANTINE', CARL, ZERO_HASH, { action: 'discarded', 'quarantine record': 9, at: AT(14) }),
  row(8, 'EXPORT', ADA, ZERO_HASH, { export: 'accessReport', entries: 3, workstation: 'ward-3 (desktop app)', at: AT(20) }),
  row(9, 'SESSION', ADA, ZERO_HASH, { event: 'locked', workstation: 'ward-3 (desktop app)', at: AT(21) }),
];

describe('access report', () => {
  it('one patient: who, what, when, where, with the entry digest and the notary leaf, newest first', async () => {
    const reader = await readerWith(LEDGER, { operators: { [ADA]: 'Ada Admin', [CARL]: 'Carl Clinician' }, subjects: { [PATIENT]: 'Brunner, Lea' } });
    const report = await buildAccessReport(reader, { subjects: new Set([PATIENT]) });
    expect(report.truncated).toBe(false);
    expect(report.rows.map((r) => [r.seq, r.operatorName, r.action, r.subjectName, r.workstation, r.at])).toEqual([
      [5, 'Carl Clinician', 'Opened a record', 'Brunner, Lea', 'lab-pc (browser shell)', AT(12)],
      [3, 'Ada Admin', 'Opened the patient', 'Brunner, Lea', 'ward-3 (desktop app)', AT(5)],
    ]);
    // The role each signed in with (the sign-in entry's, public in the ledger): words for an operator whose name this session may not know (QA s35 T2 F6).
    expect(report.rows.map((r) => r.operatorRole)).toEqual(['clinician', 'admin']);
    expect(report.rows[1]!.entryHash).toBe(entryHash(DOMAIN, LEDGER[2]!.entry as LedgerEntry));
    expect(report.rows[1]!.notary).toEqual({ leafIndex: 41, treeSize: 90, integratedAt: AT(7) });
    expect(report.rows[0]!.notary).toBeUndefined();
  });

  it('says which patients the Patient filter matched, named and by pseudonym, even those with no row (QA s35 T2 F4, F5)', async () => {
    const reader = await readerWith(LEDGER, { subjects: { [PATIENT]: 'Brunner, Lea', [OTHER]: 'Aebi, Max' } });
    const both = await buildAccessReport(reader, { subjects: new Set([PATIENT, OTHER]), from: Date.parse(AT(13)) });
    expect(both.matched).toEqual({ count: 2, patients: [{ subject: OTHER, name: 'Aebi, Max' }, { subject: PATIENT, name: 'Brunner, Lea' }] });
    expect(both.rows.map((r) => r.seq)).toEqual([6]);
    // A patient with no access in the range is still a patient the filter found: not "no such patient".
    const none = await buildAccessReport(reader, { subjects: new Set([PATIENT]), from: Date.parse(AT(50)) });
    expect(none.rows).toEqual([]);
    expect(none.matched).toEqual({ count: 1, patients: [{ subject: PATIENT, name: 'Brunner, Lea' }] });
    expect((await buildAccessReport(reader, { subjects: new Set() })).matched).toEqual({ count: 0, patients: [] });
    // No patient filter: nothing to say.
    expect((await buildAccessReport(reader, {})).matched).toBeUndefined();
  });

  it('one patient: the export of an access report that names them is a row of theirs (namedExports, by the journal record its entry covers); one that does not name them is not', async () => {
    const reader = await readerWith(
      [...LEDGER, row(10, 'EXPORT', CARL, ZERO_HASH, { export: 'accessReport', entries: 1, at: AT(30) }), row(11, 'EXPORT', ADA, ZERO_HASH, { export: 'ledger', entries: 11, at: AT(31) })],
      { operators: { [ADA]: 'Ada Admin', [CARL]: 'Carl Clinician' } },
    );
    // Entry 8 covers journal record 16 (a report naming both), entry 10 record 20 (naming the other
    // patient only); record 22 (entry 11, a ledger export) names no one.
    await reader.db().namedExports.bulkPut([
      { seq: 16, subjects: [PATIENT, OTHER] },
      { seq: 20, subjects: [OTHER] },
    ]);
    const mine = await buildAccessReport(reader, { subjects: new Set([PATIENT]) });
    expect(mine.rows.map((r) => [r.seq, r.kind, r.action, r.subject])).toEqual([
      [8, 'EXPORT', 'Exported an access report (3 rows)', PATIENT],
      [5, 'ACCESS', 'Opened a record', PATIENT],
      [3, 'ACCESS', 'Opened the patient', PATIENT],
    ]);
    expect(mine.rows[0]!.workstation).toBe('ward-3 (desktop app)');
    const theirs = await buildAccessReport(reader, { subjects: new Set([OTHER]) });
    expect(theirs.rows.map((r) => r.seq)).toEqual([10, 8, 6]);
    expect(theirs.rows.map((r) => r.subject)).toEqual([OTHER, OTHER, OTHER]);
    // Both at once: a report that names both is a row of each.
    expect((await buildAccessReport(reader, { subjects: new Set([PATIENT, OTHER]) })).rows.map((r) => [r.seq, r.subject])).toEqual([
      [10, OTHER],
      [8, PATIENT],
      [8, OTHER],
      [6, OTHER],
      [5, PATIENT],
      [3, PATIENT],
    ]);
    // Everyone's report: a report naming several is one row, of no patient; one naming one patient
    // is that patient's row, as in that patient's own report (H8 F3).
    const everyone = await buildAccessReport(reader, {});
    expect(everyone.rows.filter((r) => r.seq === 8).map((r) => r.subject)).toEqual(['']);
    expect(everyone.rows.filter((r) => r.seq === 10).map((r) => r.subject)).toEqual([OTHER]);
    expect(everyone.rows.filter((r) => r.seq === 11).map((r) => r.subject)).toEqual(['']);
    // A date range still applies to them.
    expect((await buildAccessReport(reader, { subjects: new Set([OTHER]), from: Date.parse(AT(25)) })).rows.map((r) => r.seq)).toEqual([10]);
  });

  it('views schema version 27: a view database of version 26 opens with its ledger rows found by the record they cover, and namedExports', async () => {
    const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
    const old = new Dexie(viewDbName('named-exports-0001'), deps);
    old.version(26).stores({ meta: 'key', ledger: 'seq, kind, subject, operator, createdAt' });
    await old.open();
    await old.table('ledger').bulkPut([LEDGER[7]!, LEDGER[8]!]);
    await old.table('meta').put({ key: CURSOR_KEY, value: 42 });
    old.close();
    const db = openVaultDb('named-exports-0001', deps);
    expect((await db.ledger.where('coversTo').equals(16).toArray()).map((r) => r.seq)).toEqual([8]);
    expect(await db.namedExports.count()).toBe(0);
    // Version 27 itself replays nothing (no record before it named anyone); version 28, applied in
    // the same open, rebuilds instance rows from the start (imaging copies keep their own payload).
    expect(await readCursor(db)).toBe(0);
    expect(await db.ledger.count()).toBe(2);
    db.close();
  });

  it('an operator and a date range: sign-ins with failed unlocks, accesses, quarantine acts and exports, never intake batches', async () => {
    const reader = await readerWith(LEDGER);
    const carl = await buildAccessReport(reader, { operator: CARL });
    expect(carl.rows.map((r) => [r.seq, r.kind, r.action])).toEqual([
      [7, 'QUARANTINE', 'Discarded a quarantined input (record 9)'],
      [6, 'ACCESS', 'Opened the patient'],
      [5, 'ACCESS', 'Opened a record'],
      [4, 'SESSION', 'Signed in'],
    ]);
    // Names this session may not know stay empty: the pseudonym is always there.
    expect(carl.rows.every((r) => r.operatorName === '' && r.operator === CARL)).toBe(true);
    const range = await buildAccessReport(reader, { from: Date.parse(AT(0)), to: Date.parse(AT(5)) });
    expect(range.rows.map((r) => [r.seq, r.action])).toEqual([
      [3, 'Opened the patient'],
      [1, 'Signed in after 2 failed unlocks'],
    ]);
    const ada = await buildAccessReport(reader, { operator: ADA, from: Date.parse(AT(20)) });
    expect(ada.rows.map((r) => r.action)).toEqual(['Locked', 'Exported an access report (3 rows)']);
  });

  it('names the file by its scope: pseudonym starts, a count and dates, never a name (QA s35 T2 F5)', () => {
    expect(accessReportScope({ subjects: new Set([PATIENT]) }, {})).toBe('patient-0x111111');
    expect(accessReportScope({ subjects: new Set([PATIENT, OTHER]), operator: CARL }, { from: '2026-12-01', to: '2026-12-07' })).toBe('patients-2-operator-0xfbc1c1-from-20261201-to-20261207');
    expect(accessReportScope({ subjects: new Set() }, { to: '2026-12-07' })).toBe('patients-0-to-20261207');
    expect(accessReportScope({}, {})).toBe('');
    for (const scope of ['patient-0x111111', 'patients-2-operator-0xfbc1c1-from-20261201-to-20261207', 'from-20261201']) expect(ACCESS_REPORT_SCOPE.test(scope)).toBe(true);
    for (const scope of ['', 'patient-brugger', 'Brügger', 'patient-0x111111-anna']) expect(ACCESS_REPORT_SCOPE.test(scope)).toBe(false);
  });

  it('writes CSV by RFC 4180, defuses formulas in names, keeps pseudonyms and digests exactly', async () => {
    const reader = await readerWith(LEDGER, { operators: { [ADA]: 'Ada "the" Admin', [CARL]: '=HYPERLINK("x")' }, subjects: { [PATIENT]: 'Brunner, Lea' } });
    const { rows } = await buildAccessReport(reader, { subjects: new Set([PATIENT]) });
    const csv = accessReportCsv(rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(ACCESS_REPORT_CSV_HEADER.join(','));
    expect(lines[1]).toBe(`${AT(12)},"'=HYPERLINK(""x"")",${pseudonymToBytes32(CARL)},Opened a record,"Brunner, Lea",${PATIENT},lab-pc (browser shell),5,${rows[0]!.entryHash},,`);
    expect(lines[2]).toBe(`${AT(5)},"Ada ""the"" Admin",${pseudonymToBytes32(ADA)},Opened the patient,"Brunner, Lea",${PATIENT},ward-3 (desktop app),3,${rows[1]!.entryHash},41,90`);
    expect(lines.slice(3)).toEqual(['']);
    // The node's own act (no operator, no workstation) reads as on the screen: "Node", "not recorded" (QA11 D4).
    const nodeRow = { seq: 9, kind: 'EXPORT' as const, at: AT(20), operator: '', operatorName: '', action: 'Scheduled backup made by the node', subject: '', subjectName: '', workstation: '', entryHash: '0xabc' };
    expect(accessReportCsv([nodeRow]).split('\r\n')[1]).toBe(`${AT(20)},Node,,Scheduled backup made by the node,,,not recorded,9,0xabc,,`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('a\nb')).toBe('"a\nb"');
  });

  it('carries each pseudonym in the form the ledger export signs it (QA s32 finding 3: operator was base64url, the export 0x-hex)', async () => {
    const reader = await readerWith(LEDGER);
    const { rows } = await buildAccessReport(reader, {});
    const lines = accessReportCsv(rows).trimEnd().split('\r\n');
    const header = lines[0]!.split(',');
    const operatorAt = header.indexOf('operator_pseudonym');
    const subjectAt = header.indexOf('subject_pseudonym');
    const seqAt = header.indexOf('ledger_seq');
    expect(lines.length - 1).toBe(rows.length);
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const signed = LEDGER.find((r) => r.seq === Number(cells[seqAt]))!.entry as LedgerEntry;
      // What a text match against the exported JSONL finds: `operator` and `subject` as signed, zero meaning none.
      expect(cells[operatorAt]).toBe(signed.operator === ZERO_HASH ? '' : signed.operator);
      expect(cells[subjectAt]).toBe(signed.subject === ZERO_HASH ? '' : signed.subject);
    }
    expect(lines.some((line) => line.split(',')[operatorAt] === `0xfb${'c1'.repeat(31)}`)).toBe(true);
  });

  it('words every kind of act', () => {
    expect(actionOf('SESSION', { event: 'signed in', 'unlocked with': 'recovery', 'failed unlocks before': 1 })).toBe('Signed in with the recovery key after 1 failed unlock');
    expect(actionOf('SESSION', { event: 'window closed' })).toBe('Closed the window (session ended)');
    expect(actionOf('SESSION', { event: 'signed out: account disabled' })).toBe('Signed out by an administrator: account disabled');
    expect(actionOf('SESSION', { event: 'signed out: recovery key removed' })).toBe('Signed out by an administrator: recovery key removed');
    // The administrator named as operators are (by name where this session may know it), else by pseudonym.
    expect(actionOf('SESSION', { event: 'signed out: account disabled', 'signed out by': 'adaPseudonym' }, { adaPseudonym: 'Ada Admin' })).toBe('Signed out by Ada Admin: account disabled');
    expect(actionOf('SESSION', { event: 'signed out: account disabled', 'signed out by': 'adaPseudonym' })).toBe('Signed out by adaPseudonym: account disabled');
    expect(actionOf('SESSION', { event: 'unlock failed', 'tried with': 'passphrase', 'failed unlocks before': 0 })).toBe('Failed unlock');
    expect(actionOf('SESSION', { event: 'unlock failed', 'tried with': 'recovery', 'failed unlocks before': 2 })).toBe('Failed unlock with the recovery key (3 in a row)');
    expect(actionOf('ACCESS', { opened: 'quarantined input', 'quarantine record': 4 })).toBe('Opened a quarantined input (record 4)');
    // QA4-12 D5: a study is not 'a record'.
    expect(actionOf('ACCESS', { opened: 'imaging study' })).toBe('Opened an imaging study');
    // QA4-12 D4: a document saved from the viewer.
    expect(actionOf('EXPORT', { export: 'document', bytes: 1234 })).toBe('Exported an imaging document (saved from the viewer)');
    expect(summaryOf('ACCESS', { patientId: 'p', recordId: 'study-a', what: 'imaging study', at: '2026-12-06T10:00:00.000Z' })).toMatchObject({ opened: 'imaging study' });
    expect(actionOf('ACCESS', { opened: 'raw message', message: 45 })).toBe('Opened a raw message (journal record 45)');
    expect(actionOf('EXPORT', { export: 'backup', scheduled: 'on' })).toBe('Scheduled backup made by the node');
    // Tester T2 F10: a failed backup is an entry too, with its reason.
    expect(actionOf('EXPORT', { export: 'backup', result: 'failed', scheduled: 'on', reason: 'The backup destination is full.' })).toBe('Scheduled backup failed: The backup destination is full.');
    expect(actionOf('EXPORT', { export: 'backup', result: 'failed', scheduled: 'off', reason: 'The backup destination is full.' })).toBe('Backup by hand failed: The backup destination is full.');
    expect(actionOf('EXPORT', { export: 'ledger', entries: 12 })).toBe('Exported the ledger (12 rows)');
    // As "Who accessed this record" shows a one-row report of the patient exported.
    expect(actionOf('EXPORT', { export: 'accessReport', entries: 1 })).toBe('Exported an access report (1 row)');
    expect(actionOf('ERASURE', {})).toBe('Erased the patient');
  });

  it("a patient's Who accessed list holds every row their exported CSV holds, a quarantine act on their message too (H8 F3)", async () => {
    const reader = await readerWith([
      ...LEDGER,
      row(10, 'QUARANTINE', CARL, PATIENT, { action: 'reprocessed', 'quarantine record': 22, at: AT(30) }),
      row(11, 'ACCESS', CARL, PATIENT, { opened: 'quarantined input', 'quarantine record': 22, at: AT(29) }),
    ]);
    const report = await buildAccessReport(reader, { subjects: new Set([PATIENT]) });
    const listed = patientAccessList(report.rows);
    const csvSeqs = accessReportCsv(report.rows).trim().split('\r\n').slice(1).map((line) => Number(line.split(',')[7]));
    expect(listed.map((item) => item.seq)).toEqual(csvSeqs);
    expect(listed.map((item) => item.what)).toEqual(['Opened a quarantined input (record 22)', 'Reprocessed a quarantined input (record 22)', 'Opened a record', 'Opened the patient']);
  });
});
