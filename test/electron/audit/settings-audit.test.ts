import { describe, expect, it } from 'vitest';
import { type Body } from '../../../electron/body';
import { SettingsAuditMetaSchema, type SettingsAuditMeta } from '../../../shared/journal/audit-meta';
import { AUDIT_KINDS, MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { useTempDirs } from '../../support/temp-dir';
import { openSealedMeta, type TestVault } from '../../support/vault-keyring';
import { call, readJournal } from '../vault/vault-test-support';
import { callAs, CLEO, refused, useAdaAndCleo } from '../vault/two-operators';

/**
 * Tester's defect 2 (audit): an administrator's change of a body setting (the HL7 listener, the
 * DICOM receiver, the backup destination and schedule) left no journal record, so no ledger entry.
 * Each change is now an `audit.settings` record naming the session's operator and what changed
 * (old → new, never a path); a clinician's call is refused and records nothing. Defect 1: the
 * workstation's auto-lock (`settings.autoLock`) is an administrator's; the body refuses a
 * clinician's journal.append of it.
 */

const tempDir = useTempDirs();
/** A vault whose admin (Ada) is signed in on the test connection and a clinician (Cleo) on another. */
const withAdaAndCleo = useAdaAndCleo(tempDir);

/** The `audit.settings` records, opened (and checked against their schema). */
async function settingsRecords(b: Body, vault: TestVault): Promise<Array<{ operator: string | null; meta: SettingsAuditMeta; raw: string }>> {
  const out = [];
  for (const record of (await readJournal(b)).filter((r) => r.kind === AUDIT_KINDS.settings)) {
    const raw = Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8');
    out.push({ operator: record.operator, meta: SettingsAuditMetaSchema.parse(JSON.parse(raw)), raw });
  }
  return out;
}

describe('body: settings changes are journaled with the operator who made them (tester defect 2)', () => {
  it('hl7.updateSettings: the administrator\'s change names them and the bind address and peers old → new; a clinician is refused', async () => {
    const { b, vault, cleo } = await withAdaAndCleo();
    const forbidden = await refused(callAs(b, CLEO, 'hl7.updateSettings', { bindAddress: '0.0.0.0', allowedPeers: ['192.0.2.10'] }));
    expect(forbidden.code).toBe('E_FORBIDDEN');
    expect(await settingsRecords(b, vault)).toEqual([]);

    await call(b, 'hl7.updateSettings', { bindAddress: '0.0.0.0', allowedPeers: ['192.0.2.10', '192.0.2.11'] });
    const [record, ...more] = await settingsRecords(b, vault);
    expect(more).toEqual([]);
    expect(record!.operator).toBeNull();
    expect(record!.meta).toMatchObject({ setting: 'hl7Listener', operatorId: vault.operatorId, role: 'admin' });
    expect(record!.meta.changes).toEqual([
      { field: 'bindAddress', from: '127.0.0.1', to: '0.0.0.0' },
      { field: 'allowedPeers', from: '(none)', to: '192.0.2.10, 192.0.2.11' },
    ]);
    expect(record!.raw).not.toContain(cleo);

    // A save that changes nothing records nothing.
    await call(b, 'hl7.updateSettings', { bindAddress: '0.0.0.0' });
    expect(await settingsRecords(b, vault)).toHaveLength(1);
  });

  it('dicom.updateSettings: the AE title and port old → new, as the administrator; a clinician is refused', async () => {
    const { b, vault } = await withAdaAndCleo();
    expect((await refused(callAs(b, CLEO, 'dicom.updateSettings', { aeTitle: 'CLEO' }))).code).toBe('E_FORBIDDEN');
    const before = (await call(b, 'dicom.getSettings', {})).settings;
    await call(b, 'dicom.updateSettings', { aeTitle: 'RADIOLOGY', port: 11113 });
    const records = await settingsRecords(b, vault);
    expect(records).toHaveLength(1);
    expect(records[0]!.meta).toMatchObject({ setting: 'dicomReceiver', operatorId: vault.operatorId, role: 'admin' });
    expect(records[0]!.meta.changes).toEqual([
      { field: 'aeTitle', from: before.aeTitle, to: 'RADIOLOGY' },
      { field: 'port', from: String(before.port), to: '11113' },
    ]);
  });

  it('backup.updateSettings: destination (never its path), schedule and keep old → new; a clinician is refused', async () => {
    const { b, vault } = await withAdaAndCleo();
    const folder = await tempDir();
    expect((await refused(callAs(b, CLEO, 'backup.updateSettings', { schedule: { kind: 'off' } }))).code).toBe('E_FORBIDDEN');
    await call(b, 'backup.updateSettings', { destination: folder, schedule: { kind: 'daily', at: '02:30' }, keep: 9 });
    const records = await settingsRecords(b, vault);
    expect(records).toHaveLength(1);
    expect(records[0]!.meta).toMatchObject({ setting: 'backup', operatorId: vault.operatorId, role: 'admin' });
    expect(records[0]!.meta.changes).toEqual([
      { field: 'destination', from: 'default folder', to: 'chosen folder' },
      { field: 'schedule', from: 'off', to: 'daily at 02:30' },
      { field: 'keep', from: '7', to: '9' },
    ]);
    expect(records[0]!.raw).not.toContain(folder);
  });
});

describe('body: the workstation auto-lock is an administrator\'s setting (tester defect 1)', () => {
  it('refuses a clinician\'s journal.append of settings.autoLock before reading it', async () => {
    const { b } = await withAdaAndCleo();
    const before = (await readJournal(b)).length;
    const answer = await refused(callAs(b, CLEO, 'journal.append', { kind: MIND_KINDS.autoLockSetting, operator: null, objects: [], meta: null }));
    expect(answer.code).toBe('E_FORBIDDEN');
    expect(answer.message).toContain('administrator');
    expect(await readJournal(b)).toHaveLength(before);
  });
});
