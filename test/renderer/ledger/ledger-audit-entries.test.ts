import { describe, expect, it } from 'vitest';
import { deriveOperatorId } from '../../../shared/crypto/vault-keys';
import { AUDIT_KINDS, BACKUP_KINDS, MIND_KINDS, QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { bytes32ToPseudonym, ledgerKindOf, summaryOf } from '../../../renderer/ledger/ledger-details';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { appendSealedRecord } from '../vault/support/fake-body';
import { ledgerVaultFixture, signedLedgerEntries } from './support/ledger-fixture';
import type { LedgerRecordMeta } from '../../../shared/journal/ledger-meta';
import type { NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import { patientSubject } from '../../../renderer/ledger/ledger-details';
import { patientIdOf } from '../../../renderer/vault/views/intake-rows';

/** Issue 11: sign-in, lock, failed unlocks, quarantine views and actions, and exports become entries. */

const ACTOR = 'c'.repeat(43);
const AT = '2026-12-04T10:00:00.000Z';

describe('ledger entries for the audit trail', () => {
  it('maps the journal kinds: body audit records, quarantine views and actions apart from intake batches', () => {
    expect(ledgerKindOf(AUDIT_KINDS.session)).toBe('SESSION');
    expect(ledgerKindOf(AUDIT_KINDS.exported)).toBe('EXPORT');
    expect(ledgerKindOf(MIND_KINDS.quarantineAccess)).toBe('ACCESS');
    expect(ledgerKindOf(QUARANTINE_KINDS.reprocessed)).toBe('QUARANTINE');
    expect(ledgerKindOf(QUARANTINE_KINDS.discarded)).toBe('QUARANTINE');
    expect(ledgerKindOf(QUARANTINE_KINDS.quarantined)).toBe('INTAKE_BATCH');
    expect(ledgerKindOf('intake.hl7')).toBe('INTAKE_BATCH');
    expect(ledgerKindOf(BACKUP_KINDS.scheduled)).toBe('EXPORT');
  });

  it('signs a sign-in with its failed unlocks, a lock, a quarantine view, a discard and an access report export, each under the operator who acted', async () => {
    const f = await ledgerVaultFixture();
    const { body, keys, sealer } = f;
    const bodyRecord = async (kind: string, operator: string | null, meta: unknown) =>
      body.journal.push({ seq: body.journal.length + 1, at: AT, kind, operator, objects: [], meta: await sealJson(sealer, meta) });
    const session = { role: 'auditor', slot: 'passphrase', workstation: 'ward-pc (browser shell)', at: AT } as const;
    await bodyRecord(AUDIT_KINDS.session, null, { v: 1, event: 'signedIn', operatorId: 'op_audit-1', failedAttempts: 3, ...session });
    await bodyRecord(AUDIT_KINDS.exported, null, { v: 1, what: 'accessReport', operatorId: 'op_audit-1', role: 'auditor', bytes: 512, entries: 4, file: 'access-report-20261204T100000Z.csv', workstation: session.workstation, at: AT });
    await bodyRecord(AUDIT_KINDS.session, null, { v: 1, event: 'locked', operatorId: 'op_audit-1', failedAttempts: 0, ...session });
    // A failed unlock on its own (no sign-in followed it), signed under the account whose slot was tried.
    await bodyRecord(AUDIT_KINDS.session, null, { v: 1, event: 'unlockFailed', operatorId: 'op_audit-1', failedAttempts: 1, ...session });
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.quarantineAccess, operator: ACTOR, meta: { v: 1, quarantineSeq: 7, at: AT } });
    await bodyRecord(QUARANTINE_KINDS.discarded, ACTOR, { v: 1, type: 'discarded', quarantineSeq: 7, at: AT });
    await bodyRecord(BACKUP_KINDS.scheduled, null, { v: 1, act: 'scheduled', at: AT, bytes: 4096, pruned: 0 });

    const entries = await signedLedgerEntries(f);
    const auditor = await deriveOperatorId(keys.ledgerKey, 'op_audit-1');
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([
      ['SESSION', auditor],
      ['EXPORT', auditor],
      ['SESSION', auditor],
      ['SESSION', auditor],
      ['ACCESS', ACTOR],
      ['QUARANTINE', ACTOR],
      ['EXPORT', ''],
    ]);
    const summaries = entries.map(({ entry, details }) => summaryOf(String(entry['kind']), details));
    expect(summaries[0]).toMatchObject({ event: 'signed in', 'failed unlocks before': 3, role: 'auditor', workstation: 'ward-pc (browser shell)', at: AT });
    expect(summaries[1]).toMatchObject({ export: 'accessReport', entries: 4, file: 'access-report-20261204T100000Z.csv', workstation: 'ward-pc (browser shell)' });
    expect(summaries[2]).toMatchObject({ event: 'locked' });
    expect(summaries[3]).toMatchObject({ event: 'unlock failed', 'failed unlocks before': 1, 'tried with': 'passphrase', workstation: 'ward-pc (browser shell)', at: AT });
    // A failure unlocked nothing (QA11 D4).
    expect(summaries[3]).not.toHaveProperty('unlocked with');
    expect(summaries[0]).toMatchObject({ 'unlocked with': 'passphrase' });
    expect(summaries[4]).toMatchObject({ opened: 'quarantined input', 'quarantine record': 7 });
    expect(summaries[5]).toMatchObject({ action: 'discarded', 'quarantine record': 7 });
    expect(summaries[6]).toMatchObject({ export: 'backup', scheduled: 'on', bytes: 4096, at: AT });
    // The account id is the body's name for the operator; the signed details never carry it.
    for (const { details } of entries) expect(JSON.stringify(details)).not.toContain('op_audit-1');
  });

  it("pins an exported access report's file digest in its EXPORT entry's inputs, after the record it covers (tester T2 S35 F2)", async () => {
    const f = await ledgerVaultFixture();
    const { body, sealer } = f;
    const sha256 = 'ab'.repeat(32);
    const meta = { v: 1, what: 'accessReport', operatorId: 'op_audit-1', role: 'auditor', bytes: 512, entries: 4, file: 'access-report-20261204T100000Z.csv', workstation: 'ward-pc (browser shell)', at: AT };
    body.journal.push({ seq: 1, at: AT, kind: AUDIT_KINDS.exported, operator: null, objects: [], meta: await sealJson(sealer, { ...meta, sha256 }) });
    // A report exported before the digest was recorded keeps the one input it had.
    body.journal.push({ seq: 2, at: AT, kind: AUDIT_KINDS.exported, operator: null, objects: [], meta: await sealJson(sealer, meta) });
    const [pinned, older] = await signedLedgerEntries(f);
    expect(pinned!.entry['inputs']).toEqual([expect.stringMatching(/^0x[0-9a-f]{64}$/), `0x${sha256}`]);
    expect(older!.entry['inputs']).toHaveLength(1);
    expect((pinned!.entry['inputs'] as string[])[0]).not.toBe(`0x${sha256}`);
  });

  it('signs a quarantine act and a reprocess the body journaled as a session\'s operator under that operator\'s pseudonym (tester finding 1)', async () => {
    const f = await ledgerVaultFixture();
    const { body, keys, sealer } = f;
    const bodyRecord = async (kind: string, meta: unknown) =>
      body.journal.push({ seq: body.journal.length + 1, at: AT, kind, operator: null, objects: [], meta: await sealJson(sealer, meta) });
    // What the body writes now: the record's operator is null, the sealed meta names the session's account.
    await bodyRecord(QUARANTINE_KINDS.discarded, { v: 1, type: 'discarded', quarantineSeq: 7, at: AT, operatorId: 'op_cleo-1' });
    await bodyRecord(QUARANTINE_KINDS.reprocessed, { v: 1, type: 'reprocessed', quarantineSeq: 8, resolved: false, at: AT, results: [], operatorId: 'op_cleo-1' });

    const entries = await signedLedgerEntries(f);
    const cleo = await deriveOperatorId(keys.ledgerKey, 'op_cleo-1');
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([
      ['QUARANTINE', cleo],
      ['QUARANTINE', cleo],
    ]);
    // The account id is the body's name for the operator; the signed details never carry it.
    for (const { details } of entries) expect(JSON.stringify(details)).not.toContain('op_cleo-1');
  });

  it('signs the opening of a raw message as such (which message), not as an opening of the patient page', async () => {
    const f = await ledgerVaultFixture();
    await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.access, operator: ACTOR, meta: { v: 1, patientId: 'p'.repeat(22), recordId: null, messageSeq: 45, at: AT } });
    await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.access, operator: ACTOR, meta: { v: 1, patientId: 'q'.repeat(22), recordId: null, at: AT } });
    const entries = await signedLedgerEntries(f);
    expect(entries.map(({ entry }) => entry['kind'])).toEqual(['ACCESS', 'ACCESS']);
    expect(entries[0]!.details).toMatchObject({ messageSeq: 45 });
    expect(summaryOf('ACCESS', entries[0]!.details)).toMatchObject({ opened: 'raw message', message: 45 });
    expect(summaryOf('ACCESS', entries[1]!.details)).toMatchObject({ opened: 'patient page' });
  });

  it("signs the opening of a quarantined input that names a known patient as an access of that patient's subject; one naming no one stays without (H8 F1)", async () => {
    const f = await ledgerVaultFixture();
    const patientId = 'p'.repeat(22);
    await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.quarantineAccess, operator: ACTOR, meta: { v: 1, quarantineSeq: 22, patientId, at: AT } });
    await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.quarantineAccess, operator: ACTOR, meta: { v: 1, quarantineSeq: 23, at: AT } });
    const entries = await signedLedgerEntries(f);
    expect(entries.map(({ entry }) => entry['kind'])).toEqual(['ACCESS', 'ACCESS']);
    expect(entries[0]!.entry['subject']).toBe(await patientSubject(f.keys.ledgerKey, patientId));
    expect(summaryOf('ACCESS', entries[0]!.details)).toMatchObject({ opened: 'quarantined input', 'quarantine record': 22 });
    expect(bytes32ToPseudonym(entries[1]!.entry['subject'])).toBe('');
    expect(summaryOf('ACCESS', entries[1]!.details)).toMatchObject({ opened: 'quarantined input', 'quarantine record': 23 });
  });

  it('names the patient a reprocessed quarantined input filed under (QA11 D9), from the copy the reprocess stored', async () => {
    const f = await ledgerVaultFixture();
    const { body, keys } = f;
    const zwiebelmann: Patient = { identifiers: [{ value: 'MRN-7788', authority: 'CLINIC', type: 'MR' }], name: { family: 'Zwiebelmann', given: ['Zora'] } };
    const other: Patient = { identifiers: [{ value: 'MRN-1200', authority: 'CLINIC', type: 'MR' }], name: { family: 'Lindqvist', given: ['Sven'] } };
    const intake = (patient: Patient, controlId: string, channel: NormalizedIntake['channel'], reprocessOf?: { quarantineSeq: number; edited: boolean }): Record<string, unknown> => ({
      v: 1,
      channel,
      receivedAt: AT,
      rawBytes: 100,
      normalized: {
        channel,
        messageId: controlId,
        messageType: 'ADT^A01',
        patient,
        records: [],
        hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), ...(reprocessOf === undefined ? {} : { reprocessOf }) },
      } satisfies NormalizedIntake,
    });
    const quarantine = async (controlId: string) =>
      (
        await appendSealedRecord(body, {
          kind: 'intake.quarantine',
          raw: `MSH|^~\\&|LAB|CLINIC|||20261204||ORU^R01|${controlId}|P|2.5.1\r`,
          meta: { v: 1, channel: 'hl7-mllp', receivedAt: AT, rawBytes: 60, quarantine: { type: 'quarantine', channel: 'hl7-mllp', disposition: 'held', reason: 'No PID segment: no patient to file it under.', acks: ['AA'], messageType: 'ORU^R01', sendingApplication: 'LAB', sendingFacility: 'CLINIC' } },
        })
      ).seq;
    const act = async (quarantineSeq: number, results: readonly Record<string, unknown>[], resolved: boolean) =>
      body.journal.push({ seq: body.journal.length + 1, at: AT, kind: QUARANTINE_KINDS.reprocessed, operator: ACTOR, objects: [], meta: await sealJson(f.sealer, { v: 1, type: 'reprocessed', quarantineSeq, resolved, at: AT, edited: true, results }) });
    const filedOk = { file: 0, index: 0, messageType: 'ORU^R01', controlId: 'QA11-NOPID-1', ack: 'AA', mapping: 'mapped' };

    const first = await quarantine('QA11-NOPID-1');
    const second = await quarantine('QA11-NOPID-2');
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: intake(other, 'MLLP-1', 'hl7-mllp') });
    // The edited copy of the first, with a PID added, filed under Zwiebelmann; a sender's message arrives during the run.
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: intake(zwiebelmann, 'QA11-NOPID-1', 'hl7-reprocess', { quarantineSeq: first, edited: true }) });
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: intake(other, 'MLLP-2', 'hl7-mllp') });
    await act(first, [filedOk], true);
    // The second, reprocessed without a PID: held again, filed under nobody.
    await act(second, [{ ...filedOk, controlId: 'QA11-NOPID-2', quarantined: true }], true);

    const entries = (await signedLedgerEntries(f)).filter(({ entry }) => entry['kind'] === 'QUARANTINE');
    expect(entries).toHaveLength(2);
    const hers = await patientSubject(keys.ledgerKey, await patientIdOf(keys.ledgerKey, zwiebelmann));
    expect(entries[0]!.entry['subject']).toBe(hers);
    expect(summaryOf('QUARANTINE', entries[0]!.details)).toMatchObject({ action: 'reprocessed', 'quarantine record': first });
    expect(bytes32ToPseudonym(entries[1]!.entry['subject'])).toBe('');
    // Pseudonyms only: no name or MRN in what is signed.
    for (const { entry, details } of entries) expect(JSON.stringify({ entry, details })).not.toMatch(/Zwiebelmann|MRN-7788|Lindqvist/);
  });

  // Issue 11, patient safety: the chart a message is filed on is the one holding any of its identifiers.
  it('names the chart the reprocessed copy was filed on when its PID-3 lists the chart\'s identifiers in another order', async () => {
    const f = await ledgerVaultFixture();
    const { body, keys } = f;
    const mrn = { value: 'MRN-7790', authority: 'CLINIC', type: 'MR' };
    const national = { value: '756.9000.0103.11', authority: 'CH', type: 'NI' };
    const registered: Patient = { identifiers: [mrn, national], name: { family: 'Zwiebelmann', given: ['Zora'] } };
    const normalized = (patient: Patient, controlId: string, channel: NormalizedIntake['channel'], reprocessOf?: { quarantineSeq: number; edited: boolean }): NormalizedIntake => ({
      channel,
      messageId: controlId,
      messageType: 'ORU^R01',
      patient,
      records: [],
      hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), ...(reprocessOf === undefined ? {} : { reprocessOf }) },
    });
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: AT, rawBytes: 100, normalized: { ...normalized(registered, 'ADT-1', 'hl7-mllp'), messageType: 'ADT^A04' } } });
    const { seq: held } = await appendSealedRecord(body, {
      kind: 'intake.quarantine',
      raw: 'MSH|^~\\&|LAB|CLINIC|||20261204||ORU^R01|QA11-REV-1|P|2.5.1\r',
      meta: { v: 1, channel: 'hl7-mllp', receivedAt: AT, rawBytes: 60, quarantine: { type: 'quarantine', channel: 'hl7-mllp', disposition: 'held', reason: 'No PID segment: no patient to file it under.', acks: ['AA'], messageType: 'ORU^R01', sendingApplication: 'LAB', sendingFacility: 'CLINIC' } },
    });
    const reversed: Patient = { ...registered, identifiers: [national, mrn] };
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-reprocess', receivedAt: AT, rawBytes: 100, normalized: normalized(reversed, 'QA11-REV-1', 'hl7-reprocess', { quarantineSeq: held, edited: true }) } });
    const results = [{ file: 0, index: 0, messageType: 'ORU^R01', controlId: 'QA11-REV-1', ack: 'AA', mapping: 'mapped' }];
    body.journal.push({ seq: body.journal.length + 1, at: AT, kind: QUARANTINE_KINDS.reprocessed, operator: ACTOR, objects: [], meta: await sealJson(f.sealer, { v: 1, type: 'reprocessed', quarantineSeq: held, resolved: true, at: AT, edited: true, results }) });

    const entries = (await signedLedgerEntries(f)).filter(({ entry }) => entry['kind'] === 'QUARANTINE');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.entry['subject']).toBe(await patientSubject(keys.ledgerKey, await patientIdOf(keys.ledgerKey, registered)));
  });

  it('signs a restore from a backup (backup.restored, journaled by the body) as a RESTORE entry of the node, with the erasures it re-applied', async () => {
    expect(ledgerKindOf(BACKUP_KINDS.restored)).toBe('RESTORE');
    const f = await ledgerVaultFixture();
    const { body, sealer } = f;
    body.journal.push({ seq: 1, at: AT, kind: BACKUP_KINDS.restored, operator: null, objects: [], meta: await sealJson(sealer, { v: 1, act: 'restored', at: AT, erasures: 1, records: 5, objects: 2 }) });
    const entries = await signedLedgerEntries(f);
    expect(entries).toHaveLength(1);
    const [{ entry, details }] = entries as [(typeof entries)[number]];
    expect(entry['kind']).toBe('RESTORE');
    // The body restored it before anyone could sign in: no operator.
    expect(bytes32ToPseudonym(entry['operator'])).toBe('');
    expect(details).toMatchObject({ from: 1, to: 1, at: AT, erasuresReapplied: 1, recordsErased: 5, objectsErased: 2 });
    expect(summaryOf('RESTORE', details)).toMatchObject({ 'erasures re-applied': 1, 'records erased again': 5, 'objects erased again': 2, at: AT });
  });

  it('signs a failed backup (backup.failed, journaled by the body) as an EXPORT entry of the node with its reason in words (tester T2 F10)', async () => {
    expect(ledgerKindOf(BACKUP_KINDS.failed)).toBe('EXPORT');
    const f = await ledgerVaultFixture();
    const reason = 'The backup destination folder is not available (a network share offline, a drive not connected?).';
    f.body.journal.push({ seq: 1, at: AT, kind: BACKUP_KINDS.failed, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, act: 'failed', at: AT, scheduled: 1, reason }) });
    f.body.journal.push({ seq: 2, at: AT, kind: BACKUP_KINDS.failed, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, act: 'failed', at: AT, scheduled: 0, reason: 'The backup destination is full.' }) });
    const entries = await signedLedgerEntries(f);
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([
      ['EXPORT', ''],
      ['EXPORT', ''],
    ]);
    expect(entries[0]!.details).toMatchObject({ what: 'backup', result: 'failed', scheduled: true, reason, at: AT });
    expect(summaryOf('EXPORT', entries[0]!.details)).toMatchObject({ export: 'backup', result: 'failed', scheduled: 'on', reason, at: AT });
    expect(summaryOf('EXPORT', entries[1]!.details)).toMatchObject({ export: 'backup', result: 'failed', scheduled: 'off', reason: 'The backup destination is full.' });
  });

  it("signs a failed backup by hand under the pseudonym of the administrator who clicked (the body's sealed operatorId), never the account id in the details (H8)", async () => {
    const f = await ledgerVaultFixture();
    const reason = 'The backup destination is full.';
    f.body.journal.push({ seq: 1, at: AT, kind: BACKUP_KINDS.failed, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, act: 'failed', at: AT, scheduled: 0, reason, operatorId: 'op_admin-7' }) });
    const entries = await signedLedgerEntries(f);
    const admin = await deriveOperatorId(f.keys.ledgerKey, 'op_admin-7');
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([['EXPORT', admin]]);
    expect(entries[0]!.details).toMatchObject({ what: 'backup', result: 'failed', scheduled: false, reason });
    expect(JSON.stringify(entries[0]!.details)).not.toContain('op_admin-7');
  });

  it("says in a RESTORE entry when the backup was made, where its ledger ended, that later entries are not in this vault, and that the chain may fork from there (tester T2 S35 F3)", async () => {
    const f = await ledgerVaultFixture();
    const made = '2026-12-07T08:48:31.000Z';
    f.body.journal.push({ seq: 1, at: AT, kind: BACKUP_KINDS.restored, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, act: 'restored', at: AT, erasures: 0, records: 0, objects: 0, backupCreatedAt: made, ledgerSeq: 0 }) });
    const [{ details }] = (await signedLedgerEntries(f)) as [LedgerRecordMeta];
    // Nothing was fetched back from a network's log: the node cannot know how far the earlier copy signed.
    expect(details).toMatchObject({ backupMadeAt: made, backupLastEntry: 0, rewound: true });
    const summary = summaryOf('RESTORE', details);
    expect(summary).toMatchObject({ 'backup made': made, "backup's last ledger entry": 0 });
    expect(String(summary['entries signed after the backup'])).toMatch(/not in this vault.*ledger exports.*notary/);
    expect(String(summary['ledger rewound'])).toMatch(/from entry 1 on.*second branch/);
  });

  it('signs a session an administrator ended under its operator, naming the administrator by pseudonym, never by account id; a record journaled before `by` still signs', async () => {
    const f = await ledgerVaultFixture();
    const revoked = { v: 1, event: 'revoked', cause: 'disabled', operatorId: 'op_cleo-1', role: 'clinician', slot: 'passphrase', failedAttempts: 0, workstation: 'ward-pc (browser shell)', at: AT };
    f.body.journal.push({ seq: 1, at: AT, kind: AUDIT_KINDS.session, operator: null, objects: [], meta: await sealJson(f.sealer, { ...revoked, by: 'op_admin-7' }) });
    f.body.journal.push({ seq: 2, at: AT, kind: AUDIT_KINDS.session, operator: null, objects: [], meta: await sealJson(f.sealer, revoked) });
    const entries = await signedLedgerEntries(f);
    const [cleo, admin] = await Promise.all([deriveOperatorId(f.keys.ledgerKey, 'op_cleo-1'), deriveOperatorId(f.keys.ledgerKey, 'op_admin-7')]);
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([['SESSION', cleo], ['SESSION', cleo]]);
    expect(summaryOf('SESSION', entries[0]!.details)).toMatchObject({ event: 'signed out: account disabled', 'signed out by': admin });
    expect(summaryOf('SESSION', entries[1]!.details)).toMatchObject({ event: 'signed out: account disabled' });
    expect(summaryOf('SESSION', entries[1]!.details)).not.toHaveProperty('signed out by');
    expect(JSON.stringify(entries.map(({ details }) => details))).not.toContain('op_admin-7');
  });

  it('signs a RESTORE journaled before its backup date was recorded as before, without claims it cannot make', async () => {
    const f = await ledgerVaultFixture();
    f.body.journal.push({ seq: 1, at: AT, kind: BACKUP_KINDS.restored, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, act: 'restored', at: AT, erasures: 0, records: 0, objects: 0 }) });
    const [{ details }] = (await signedLedgerEntries(f)) as [LedgerRecordMeta];
    expect(details).not.toHaveProperty('backupMadeAt');
    expect(details).not.toHaveProperty('rewound');
  });

  it('signs a damaged audit record as unreadable, under nobody, rather than skipping it', async () => {
    const f = await ledgerVaultFixture();
    f.body.journal.push({ seq: 1, at: AT, kind: AUDIT_KINDS.session, operator: null, objects: [], meta: await sealJson(f.sealer, { v: 1, event: 'signedIn' }) });
    const [entry] = await signedLedgerEntries(f);
    expect(entry?.entry['kind']).toBe('SESSION');
    expect(entry?.details['unreadable']).toBe(true);
    expect(bytes32ToPseudonym(entry?.entry['operator'])).toBe('');
  });
});
