import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { verifyAccessReport } from '../../../electron/ledger/access-report-verify';
import { accessReportCsv, type AccessReportRow } from '../../../renderer/ledger/access-report';
import { bytes32ToPseudonym } from '../../../renderer/ledger/ledger-details';
import { exportHeader, exportLine } from '../../../shared/ledger/ledger-export-format';
import { EntryHasher, GENESIS_PREV_HASH, ZERO_HASH, type LedgerEntry, type LedgerEntryKind } from '../../../shared/ledger/ledger-schema';
import { signEntry } from '../../../shared/ledger/ledger-sign';
import { runTsxCommand } from '../../support/tsx-command';
import { useTempDirs } from '../../support/temp-dir';
import { domain, TEST_KEY } from '../../shared/ledger/ledger-fixture';

/**
 * `npm run access-report:verify`: an access report is written by the mind, so a session allowed to
 * export one could add rows no signed entry holds (carried security finding). Every row names its
 * ledger entry; the verifier checks each against the verified ledger export.
 */

const wallet = new Wallet(TEST_KEY);
const hash = (text: string): string => sha256(new TextEncoder().encode(text));
const ALICE = hash('operator alice');
const BOB = hash('operator bob');
const PATIENT_A = hash('patient a');
const PATIENT_B = hash('patient b');
const T0 = Date.parse('2026-12-01T09:00:00.000Z');

interface Spec {
  readonly kind: LedgerEntryKind;
  readonly operator: string;
  readonly subject: string;
}

/** 1 Alice signs in · 2 Alice opens A · 3 Bob opens A · 4 Alice exports a report naming A · 5 Bob opens B · 6 Alice reprocesses a quarantined input. */
const SPECS: readonly Spec[] = [
  { kind: 'SESSION', operator: ALICE, subject: ZERO_HASH },
  { kind: 'ACCESS', operator: ALICE, subject: PATIENT_A },
  { kind: 'ACCESS', operator: BOB, subject: PATIENT_A },
  { kind: 'EXPORT', operator: ALICE, subject: ZERO_HASH },
  { kind: 'ACCESS', operator: BOB, subject: PATIENT_B },
  { kind: 'QUARANTINE', operator: ALICE, subject: ZERO_HASH },
];

async function signedChain(): Promise<{ entry: LedgerEntry; signature: string }[]> {
  const hasher = new EntryHasher(domain);
  const out: { entry: LedgerEntry; signature: string }[] = [];
  let prevHash = GENESIS_PREV_HASH;
  for (const [i, spec] of SPECS.entries()) {
    const seq = i + 1;
    const value = { seq, prevHash, kind: spec.kind, subject: spec.subject, operator: spec.operator, payloadHash: hash(`payload ${seq}`), inputs: [], createdAt: T0 + seq * 60_000, node: wallet.address };
    const signed = await signEntry(wallet, domain, value);
    out.push(signed);
    prevHash = hasher.hash(signed.entry);
  }
  return out;
}

const ACTIONS: Record<string, string> = { SESSION: 'Signed in', ACCESS: 'Opened the patient', EXPORT: 'Exported an access report (3 rows)', QUARANTINE: 'Reprocessed a quarantined input (record 12)' };

/** The row the mind writes for entry `seq` (as renderer/ledger/access-report.ts builds it), about `about`. */
function rowOf(chain: readonly { entry: LedgerEntry }[], seq: number, about?: string): AccessReportRow {
  const entry = chain[seq - 1]!.entry;
  const subject = about ?? (entry.subject === ZERO_HASH ? '' : entry.subject);
  return {
    seq,
    kind: entry.kind,
    at: new Date(entry.createdAt - 30_000).toISOString(),
    operator: bytes32ToPseudonym(entry.operator),
    operatorName: entry.operator === ALICE ? 'Dr Alice Brügger' : 'Bob Näf',
    action: ACTIONS[entry.kind]!,
    subject,
    subjectName: subject === '' ? '' : 'Élodie Lefèvre',
    workstation: 'WS-12',
    entryHash: new EntryHasher(domain).hash(entry),
  };
}

describe('access-report:verify', () => {
  const tempDir = useTempDirs();
  /**
   * The report as the body writes it (a byte-order mark first) and a ledger export made after it.
   * `exported` (default): the ledger ends with the EXPORT entry the export was signed under, whose
   * inputs hold the file's SHA-256 (as renderer/ledger/ledger-writer.ts signs `audit.exported`);
   * `changedTo`: the file was then rewritten with this text (the ledger keeps the original's digest).
   */
  async function files(
    rows: readonly AccessReportRow[],
    chain: readonly { entry: LedgerEntry; signature: string }[],
    csv?: string,
    { exported = true, changedTo }: { exported?: boolean; changedTo?: string } = {},
  ): Promise<[string, string]> {
    const dir = await tempDir();
    const report = path.join(dir, 'access-report-20261201T100000Z.csv');
    const ledger = path.join(dir, 'ledger-20261201T100000Z.jsonl');
    const bytes = Buffer.from(`\uFEFF${csv ?? accessReportCsv(rows)}`, 'utf8');
    await writeFile(report, changedTo === undefined ? bytes : Buffer.from(`\uFEFF${changedTo}`, 'utf8'));
    const all = exported ? [...chain, await exportEntryOf(chain, bytes)] : chain;
    await writeFile(ledger, [JSON.stringify(exportHeader(domain, wallet.address, all.length, new Date(T0 + 3_600_000))), ...all.map(exportLine)].join('\n') + '\n');
    return [report, ledger];
  }

  /** The EXPORT entry signed for the report's `audit.exported` record: its inputs are the record's hash and the file's SHA-256. */
  async function exportEntryOf(chain: readonly { entry: LedgerEntry }[], bytes: Buffer): Promise<{ entry: LedgerEntry; signature: string }> {
    const last = chain[chain.length - 1]!.entry;
    const fileDigest = `0x${createHash('sha256').update(bytes).digest('hex')}`;
    const value = { seq: last.seq + 1, prevHash: new EntryHasher(domain).hash(last), kind: 'EXPORT' as const, subject: ZERO_HASH, operator: ALICE, payloadHash: hash('export payload'), inputs: [hash('audit.exported record'), fileDigest], createdAt: last.createdAt + 60_000, node: wallet.address };
    return signEntry(wallet, domain, value);
  }

  it('accepts a report whose every row agrees with its signed entry, and lists what it leaves out', async () => {
    const chain = await signedChain();
    // Patient A's report as Alice's filter gave it: her acts only (Bob's opening, entry 3, left out).
    const rows = [rowOf(chain, 4, PATIENT_A), rowOf(chain, 2), rowOf(chain, 1)];
    const result = await verifyAccessReport(...(await files(rows, chain)));
    expect(result).toEqual({ ok: true, rows: 3, entries: 7, node: wallet.address, exportedIn: 7, patientsNotCheckable: 1, unlisted: [3], unlistedCount: 1 });
  });

  it('refuses a report changed after it was exported: a row removed, a name, time or workstation edited (tester T2 S35 F2)', async () => {
    const chain = await signedChain();
    const rows = [rowOf(chain, 4, PATIENT_A), rowOf(chain, 2), rowOf(chain, 1)];
    const changes = [
      accessReportCsv([rows[0]!, rows[2]!]),
      accessReportCsv([{ ...rows[0]!, operatorName: 'Bob Näf' }, rows[1]!, rows[2]!]),
      accessReportCsv([rows[0]!, { ...rows[1]!, at: new Date(T0 - 6 * 86_400_000).toISOString() }, rows[2]!]),
      accessReportCsv([rows[0]!, { ...rows[1]!, workstation: 'WS-99' }, rows[2]!]),
    ];
    for (const changedTo of changes) {
      const result = await verifyAccessReport(...(await files(rows, chain, undefined, { changedTo })));
      expect(result).toMatchObject({ ok: false, problems: [{ line: 0, problem: expect.stringMatching(/^no signed EXPORT entry holds this file's SHA-256/) }] });
    }
    // Not (yet) signed: an auditor's export is signed by the next clinical session.
    const unsigned = await verifyAccessReport(...(await files(rows, chain, undefined, { exported: false })));
    expect(unsigned).toMatchObject({ ok: false, problemCount: 1, problems: [{ line: 0, problem: expect.stringMatching(/not signed yet/) }] });
  });

  it('refuses made-up rows: another operator, another patient, another act, no such entry, a wrong digest, a time after signing', async () => {
    const chain = await signedChain();
    const honest = rowOf(chain, 2);
    const rows: AccessReportRow[] = [
      // Bob never opened patient A in entry 2: Alice did.
      { ...honest, operator: bytes32ToPseudonym(BOB) },
      // Entry 2 is about patient A, not B.
      { ...honest, subject: PATIENT_B },
      // Entry 2 is an ACCESS, not an erasure.
      { ...honest, action: 'Erased the patient' },
      // The ledger holds 6 entries.
      { ...honest, seq: 99 },
      { ...honest, entryHash: hash('not the entry') },
      { ...honest, at: new Date(chain[1]!.entry.createdAt + 3_600_000).toISOString() },
      { ...honest, action: 'Looked over the shoulder' },
    ];
    const result = await verifyAccessReport(...(await files(rows, chain)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { line: 2, problem: 'operator_pseudonym is not the operator ledger entry 2 names' },
      { line: 3, problem: 'subject_pseudonym is not the patient ledger entry 2 names' },
      { line: 4, problem: 'the action stands for an ERASURE entry, but ledger entry 2 is ACCESS' },
      { line: 5, problem: 'ledger_seq 99: the ledger has no entry 99 (it holds 7)' },
      { line: 6, problem: 'entry_digest is not the digest of ledger entry 2' },
      { line: 7, problem: 'time_utc is after ledger entry 2 was signed (2026-12-01T09:02:00.000Z)' },
      { line: 8, problem: 'the action is not one this app writes in an access report' },
    ]);
    expect(result.problemCount).toBe(7);
  });

  it('checks nothing against a ledger that does not verify, and says where it breaks', async () => {
    const chain = await signedChain();
    const tampered = chain.map((s, i) => (i === 2 ? { ...s, entry: { ...s.entry, operator: ALICE } } : s));
    const result = await verifyAccessReport(...(await files([rowOf(chain, 2)], tampered)));
    expect(result).toMatchObject({ ok: false, ledger: { firstBreak: { seq: 3, problem: expect.stringMatching(/^entry 3 was changed after it was signed/) } } });
  });

  it('accepts a study opening with the study named (as the patient\'s page words it) and without (reports from before), and refuses the words edited', async () => {
    const chain = await signedChain();
    const opened = (action: string): AccessReportRow[] => [{ ...rowOf(chain, 2), action }, rowOf(chain, 1)];
    const named = opened('Opened an imaging study (2026-01-14, CT, CT HEAD)');
    // A description with a comma, a quote and a formula sign: one quoted cell, read back whole.
    for (const rows of [named, opened('Opened an imaging study'), opened('Opened an imaging study (MR, =KNEE "LEFT", 2)')]) {
      expect(await verifyAccessReport(...(await files(rows, chain)))).toMatchObject({ ok: true, rows: 2 });
    }
    const edited = await verifyAccessReport(...(await files(named, chain, undefined, { changedTo: accessReportCsv(opened('Opened an imaging study (2026-01-14, CT, CT CHEST)')) })));
    expect(edited).toMatchObject({ ok: false, problems: [{ line: 0, problem: expect.stringMatching(/^no signed EXPORT entry holds this file's SHA-256/) }] });
  });

  it('refuses a file that is not an access report, a row that names no entry, and a row listed twice', async () => {
    const chain = await signedChain();
    await expect(verifyAccessReport(...(await files([], chain, 'a,b\r\n1,2\r\n')))).rejects.toThrow(/the first line is not the access report's header/);
    const noDigest = await verifyAccessReport(...(await files([{ ...rowOf(chain, 2), entryHash: '' }], chain)));
    expect(noDigest).toMatchObject({ ok: false, problems: [{ line: 2, problem: 'entry_digest is not a 0x-prefixed 32-byte value, so row 2 names no verifiable entry' }] });
    const twice = await verifyAccessReport(...(await files([rowOf(chain, 2), rowOf(chain, 2)], chain)));
    expect(twice).toMatchObject({ ok: false, problems: [{ line: 3, problem: 'lists ledger entry 2 for the same patient a second time' }] });
  });

  it('runs as a command: one JSON line, exit 0 / 1 / 2, and never repeats a name from the report', { timeout: 60_000 }, async () => {
    const cli = (...args: string[]) => runTsxCommand('electron/ledger/access-report-verify-main.ts', ...args);
    const chain = await signedChain();
    const good = await cli(...(await files([rowOf(chain, 2)], chain)));
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, rows: 1, unlisted: [] });
    const bad = await cli(...(await files([{ ...rowOf(chain, 2), operator: bytes32ToPseudonym(BOB) }], chain)));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, problemCount: 1 });
    for (const output of [good.stdout, bad.stdout]) expect(output).not.toMatch(/Brügger|Lefèvre|Näf|WS-12/);
    expect((await cli('only-one.csv')).code).toBe(2);
    expect(JSON.parse((await cli(path.join(await tempDir(), 'none.csv'), path.join(await tempDir(), 'none.jsonl'))).stdout)).toMatchObject({ ok: false, problems: [{ problem: 'no such file' }] });
  });
});
