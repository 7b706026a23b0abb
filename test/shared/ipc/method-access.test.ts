import { describe, expect, it } from 'vitest';
import { LEDGER_EXPORT_ROLES, ledgerExportersInWords, ledgerExportRefusal, mayExportLedger, METHOD_ACCESS, ROLES_OF_ACCESS, type MethodAccess } from '../../../shared/ipc/method-access';
import { OPERATOR_ROLES } from '../../../shared/ipc/vault-contract';

describe('who may export the ledger', () => {
  it('admits administrators, clinicians and auditors, not researchers', () => {
    expect(OPERATOR_ROLES.filter(mayExportLedger)).toEqual(['admin', 'clinician', 'auditor']);
    expect(LEDGER_EXPORT_ROLES.every(mayExportLedger)).toBe(true);
    expect(mayExportLedger('researcher')).toBe(false);
  });

  it('says who may in words, and refuses the others in one sentence', () => {
    expect(ledgerExportersInWords()).toBe('an administrator, a clinician or an auditor');
    expect(ledgerExportRefusal('researcher')).toBe('Your role (researcher) does not export the ledger: an administrator, a clinician or an auditor does.');
  });
});

/**
 * Every method's level, written out: a change to METHOD_ACCESS must change this table too, so that
 * opening a method to a weaker role is a deliberate, reviewed edit (security audit, H7).
 */
const EXPECTED_ACCESS: Readonly<Record<MethodAccess, readonly string[]>> = {
  // No session: the first-run and unlock screens, this installation's display prefs, its own lock.
  anyone: [
    'app.info',
    'prefs.get',
    'prefs.update',
    'vault.status',
    'vault.directory',
    'vault.unlockBegin',
    'vault.unlockFinish',
    'vault.unlockFailed',
    'vault.lock',
    'vault.session',
    'vault.keychainStatus',
    'vault.keychainLoad',
    'vault.keychainClear',
    'backup.status',
    'intake.status',
  ],
  // No session only while no vault exists; an administrator's afterwards.
  setup: [
    'vault.create',
    'backup.inspect',
    'backup.verify',
    'backup.restore',
    'backup.list',
    'backup.choose',
  ],
  // Any operator; the handler narrows what changes (keyring: own passphrase; exports: ACCESS_REPORT_EXPORT_ROLES, LEDGER_EXPORT_ROLES).
  session: [
    'vault.keyring',
    'vault.updateKeyring',
    'vault.activity',
    'hl7.getSettings',
    'devices.status',
    'devices.approvals',
    'dicom.status',
    'dicom.getSettings',
    'ledger.exportBegin',
    'ledger.exportAppend',
    'ledger.exportFinish',
    'ledger.exportAbort',
    'ledger.exportAccessReport',
    'ledger.saveExportAs',
    'network.status',
    'network.refresh',
  ],
  // Raw messages, intake, the quarantine, the journal and what the identity key signs.
  clinical: [
    'journal.read',
    'journal.append',
    'objects.read',
    'objects.readBinary',
    'intake.uploadBegin',
    'intake.uploadAppend',
    'intake.uploadAbort',
    'intake.discard',
    'hl7.monitor',
    'hl7.importFiles',
    'hl7.reprocess',
    'devices.listPorts',
    'devices.openPort',
    'devices.closePort',
    'dicom.importFiles',
    'dicom.reprocess',
    'dicom.streamBegin',
    'dicom.streamAppend',
    'dicom.streamAbort',
    'ledger.append',
    'ledger.publish',
    'ledger.outboxStatus',
    'network.transport',
    'network.delegate',
    'network.send',
    'network.recover',
    'network.postQuery',
    'network.openQueries',
    'network.claim',
    'network.chain',
    'network.faucet',
    'network.deliveryCreate',
    'network.deliveryChunk',
    'network.deliveryComplete',
    'network.deliveries',
    'network.deliveryStage',
    'network.deliveryStageFinish',
    'network.deliveryStageAbort',
    'network.deliveryRead',
    'network.datasetSaveBegin',
    'network.datasetSaveWrite',
    'network.datasetSaveFinish',
    'network.datasetSaveAbort',
    'network.chooseFolder',
  ],
  // Operators and keys, backups, listener and device settings, counters' resets, erasure, joining a network.
  admin: [
    'vault.keychainStore',
    'vault.erase',
    'vault.erasureReports',
    'backup.export',
    'backup.getSettings',
    'backup.updateSettings',
    'backup.checkDestination',
    'demo.import',
    'hl7.resetCounters',
    'hl7.updateSettings',
    'devices.decide',
    'devices.forget',
    'dicom.resetCounters',
    'dicom.updateSettings',
    'network.inspect',
    'network.join',
  ],
};

describe('who may call each method (METHOD_ACCESS)', () => {
  it('gives every method the level this table pins, and no method is left out', () => {
    const actual: Record<string, string[]> = {};
    for (const [method, access] of Object.entries(METHOD_ACCESS)) (actual[access] ??= []).push(method);
    for (const level of Object.keys(EXPECTED_ACCESS) as MethodAccess[]) {
      expect({ level, methods: [...(actual[level] ?? [])].sort() }).toEqual({ level, methods: [...EXPECTED_ACCESS[level]].sort() });
    }
    expect(Object.keys(actual).sort()).toEqual(Object.keys(EXPECTED_ACCESS).sort());
  });

  it('opens nothing that changes the vault, its settings or its counters to a caller without a session', () => {
    // What 'anyone' may change: this installation's display prefs, its own connection's unlock and
    // lock, and turning unattended unlock off. Nothing of the vault.
    const changes = /\.(update|create|append|import|reprocess|discard|reset|erase|export|restore|store|decide|forget|join|open|close|publish|send)/i;
    const open = Object.entries(METHOD_ACCESS).filter(([, access]) => access === 'anyone').map(([method]) => method);
    expect(open.filter((method) => changes.test(method))).toEqual(['prefs.update']);
  });

  it('admits administrators to every level, researchers and auditors only to session', () => {
    expect(ROLES_OF_ACCESS.admin).toEqual(['admin']);
    expect(ROLES_OF_ACCESS.clinical).toEqual(['admin', 'clinician']);
    expect([...ROLES_OF_ACCESS.session].sort()).toEqual(['admin', 'auditor', 'clinician', 'researcher']);
  });
});
