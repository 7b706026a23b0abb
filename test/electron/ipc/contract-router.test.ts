import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_DICOM_SETTINGS, DEFAULT_INTAKE_SETTINGS, DEFAULT_PREFS, METHOD_NAMES, methods, type MethodName } from '../../../shared/ipc';
import { Refusal } from '../../../electron/errors/refusal';
import { createContractRouter, type Handlers } from '../../../electron/ipc/contract-router';
import { memoryLogger } from '../../support/silent-logger';

const context = { transport: 'in-process', connectionId: 'test' } as const;
const deliveryStatusMock = {
  id: '0f'.repeat(16),
  sender: '0x0000000000000000000000000000000000000001',
  recipient: '0x0000000000000000000000000000000000000002',
  purchaseId: `0x${'12'.repeat(16)}`,
  size: 10,
  sha256: 'ef'.repeat(32),
  chunkSize: 512 * 1024,
  chunkCount: 1,
  state: 'uploading' as const,
  received: [] as [number, number][],
  receivedBytes: 0,
  createdAt: 1,
  completedAt: null,
  expiresAt: 3,
};

/** Valid answers for every method, so the router's response check passes. */
function fakeHandlers(): Handlers {
  return {
    'app.info': vi.fn(async () => ({
      productName: 'HDMS Node', version: '1.0.0', host: 'shell' as const, platform: 'linux', dataDir: '/data', startedAt: new Date().toISOString(),
    })),
    'prefs.get': vi.fn(async () => DEFAULT_PREFS),
    'prefs.update': vi.fn(async (change) => ({ ...DEFAULT_PREFS, ...change })),
    'vault.status': vi.fn(async () => ({ state: 'absent' as const })),
    'intake.status': vi.fn(async () => ({ listeners: [] })),
    'hl7.monitor': vi.fn(async () => ({
      listener: { channel: 'hl7-mllp' as const, state: 'closed' as const, reason: 'No vault exists yet.' },
      totals: { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0 },
      senders: [], recent: [], throughput: [], connections: [],
    })),
    'intake.uploadBegin': vi.fn(async () => ({ handle: '0'.repeat(32) })),
    'intake.uploadAppend': vi.fn(async () => ({ bytes: 0 })),
    'intake.uploadAbort': vi.fn(async () => ({})),
    'hl7.importFiles': vi.fn(async () => ({ results: [], emptyFiles: [] })),
    'hl7.reprocess': vi.fn(async () => ({ seq: 2, resolved: true, results: [] })),
    'hl7.resetCounters': vi.fn(async () => ({ seq: 3, since: '2026-01-01T00:00:00.000Z' })),
    'intake.discard': vi.fn(async () => ({ seq: 2 })),
    'hl7.getSettings': vi.fn(async () => ({ settings: DEFAULT_INTAKE_SETTINGS, portOverride: null, listener: { channel: 'hl7-mllp' as const, state: 'closed' as const } })),
    'hl7.updateSettings': vi.fn(async (change) => ({ settings: { ...DEFAULT_INTAKE_SETTINGS, ...change }, portOverride: null, listener: { channel: 'hl7-mllp' as const, state: 'closed' as const } })),
    'devices.status': vi.fn(async () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] })),
    'devices.listPorts': vi.fn(async () => ({ ports: [] })),
    'devices.openPort': vi.fn(async () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] })),
    'devices.closePort': vi.fn(async () => ({ ports: [], connections: [], tcp: null, awaitingApproval: [] })),
    'devices.approvals': vi.fn(async () => ({ devices: [] })),
    'devices.decide': vi.fn(async () => ({ devices: [] })),
    'devices.forget': vi.fn(async () => ({ devices: [] })),
    'dicom.status': vi.fn(async () => ({ listener: { channel: 'dicom' as const, state: 'closed' as const }, aeTitle: 'HDMS', portOverride: null, counters: { associations: 0, rejectedAssociations: 0, echoes: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, protocolErrors: 0, bytes: 0 }, callers: [], open: [] })),
    'dicom.resetCounters': vi.fn(async () => ({ seq: 4, since: '2026-01-01T00:00:00.000Z' })),
    'dicom.getSettings': vi.fn(async () => ({ settings: DEFAULT_DICOM_SETTINGS, portOverride: null, listener: { channel: 'dicom' as const, state: 'closed' as const } })),
    'dicom.importFiles': vi.fn(async () => ({ results: [] })),
    'dicom.reprocess': vi.fn(async () => ({ seq: 2, resolved: true, result: { outcome: 'stored' as const, seq: 3 } })),
    'dicom.streamBegin': vi.fn(async () => ({ handle: 'a'.repeat(32) })),
    'dicom.streamAppend': vi.fn(async () => ({ bytes: 0 })),
    'dicom.streamAbort': vi.fn(async () => ({})),
    'dicom.updateSettings': vi.fn(async (change) => ({ settings: { ...DEFAULT_DICOM_SETTINGS, ...change }, portOverride: null, listener: { channel: 'dicom' as const, state: 'closed' as const } })),
    'vault.directory': vi.fn(async () => ({ directory: null })),
    'vault.keyring': vi.fn(async () => ({ keyring: null })),
    'vault.create': vi.fn(async () => ({ state: 'locked' as const })),
    'vault.updateKeyring': vi.fn(async () => ({ revision: 2 })),
    'vault.unlockBegin': vi.fn(async () => ({ state: 'wait' as const, retryAfterMs: 1000 })),
    'vault.unlockFinish': vi.fn(async () => ({ operatorId: 'op', role: 'admin' as const, slotId: 'slot' })),
    'vault.unlockFailed': vi.fn(async () => ({})),
    'vault.lock': vi.fn(async () => ({})),
    'vault.session': vi.fn(async () => ({ session: null })),
    'vault.activity': vi.fn(async () => ({})),
    'vault.keychainStatus': vi.fn(async () => ({ available: false })),
    'vault.keychainStore': vi.fn(async () => ({})),
    'vault.keychainLoad': vi.fn(async () => ({ entry: null })),
    'vault.keychainClear': vi.fn(async () => ({})),
    'vault.erase': vi.fn(async () => ({ erasedRecords: 0, deletedObjects: 0 })),
    'vault.erasureReports': vi.fn(async () => ({ reports: 0 })),
    'backup.export': vi.fn(async () => ({ path: '/data/backups/hdms-backup-20250101T000000Z.hdmsbak', bytes: 1234 })),
    'backup.inspect': vi.fn(async () => {
      throw new Refusal('E_BAD_REQUEST', 'No backup file at that path.');
    }),
    'backup.verify': vi.fn(async () => ({})),
    'backup.restore': vi.fn(async () => ({ records: 0, objects: 0, erasuresReapplied: 0, erasureRegister: 'beside' as const, backupCreatedAt: '2025-01-01T00:00:00.000Z', ledgerSeq: 0 })),
    'backup.getSettings': vi.fn(async () => ({ settings: { destination: null, schedule: { kind: 'off' as const }, keep: 7 }, folder: '/data/backups', defaultFolder: '/data/backups', dialogs: false })),
    'backup.updateSettings': vi.fn(async () => ({ settings: { destination: null, schedule: { kind: 'off' as const }, keep: 7 }, folder: '/data/backups', defaultFolder: '/data/backups', dialogs: false })),
    'backup.status': vi.fn(async () => ({ last: null, failure: null, nextAt: null, erasureRecord: null })),
    'backup.checkDestination': vi.fn(async () => ({ available: true, reason: null, checkedAt: '2026-03-05T09:15:00.000Z' })),
    'backup.list': vi.fn(async () => ({ backups: [] })),
    'backup.choose': vi.fn(async () => ({ path: null })),
    'journal.read': vi.fn(async () => ({ records: [], nextCursor: 0, end: true })),
    'journal.append': vi.fn(async () => ({ seq: 1 })),
    'objects.read': vi.fn(async () => ({ bytes: '', size: 0 })),
    'objects.readBinary': vi.fn(async () => ({ bytes: new Uint8Array(0), size: 0 })),
    'demo.import': vi.fn(async () => ({ messages: 0, patients: 0, lastSeq: 0 })),
    'ledger.append': vi.fn(async () => ({ seq: 1 })),
    'ledger.exportBegin': vi.fn(async () => ({ handle: '0'.repeat(32) })),
    'ledger.exportAppend': vi.fn(async () => ({ bytes: 0 })),
    'ledger.exportFinish': vi.fn(async () => ({ path: '/data/exports/ledger-20250101T000000Z.jsonl', bytes: 0 })),
    'ledger.exportAbort': vi.fn(async () => ({})),
    'ledger.exportAccessReport': vi.fn(async () => ({ path: '/data/exports/access-report-20250101T000000Z.csv', bytes: 0, text: '' })),
    'ledger.saveExportAs': vi.fn(async () => ({ path: null })),
    'ledger.publish': vi.fn(async () => ({ lastSeq: 0 })),
    'ledger.outboxStatus': vi.fn(async () => ({ outboxLastSeq: 0, journalLastSeq: 0 })),
    'network.status': vi.fn(async () => ({ state: null })),
    'network.inspect': vi.fn(async () => {
      throw new Error('not in these tests');
    }),
    'network.join': vi.fn(async () => {
      throw new Error('not in these tests');
    }),
    'network.refresh': vi.fn(async () => ({ state: null })),
    'network.transport': vi.fn(async () => ({ transportKey: `0x04${'11'.repeat(64)}`, expiresAt: null, witnessVkey: null, witnessEndorsed: false })),
    'network.delegate': vi.fn(async () => ({ state: null })),
    'network.send': vi.fn(async () => ({ stored: 0, duplicates: [] })),
    'network.recover': vi.fn(async () => ({ entries: [], more: false })),
    'network.postQuery': vi.fn(async () => ({ seq: 1 })),
    'network.openQueries': vi.fn(async () => ({ queries: [], next: 0 })),
    'network.claim': vi.fn(async () => ({ status: 'claimed' as const })),
    'network.chain': vi.fn(async () => ({ result: '0x539' })),
    'network.faucet': vi.fn(async () => ({ funded: true, gasWei: '1', phd: '1' })),
    'network.deliveryCreate': vi.fn(async () => deliveryStatusMock),
    'network.deliveryChunk': vi.fn(async () => ({ index: 0, sha256: 'ab'.repeat(32), duplicate: false })),
    'network.deliveryComplete': vi.fn(async () => ({ ...deliveryStatusMock, state: 'complete' as const, received: [[0, 1]] as [number, number][], receivedBytes: 10, completedAt: 2 })),
    'network.deliveries': vi.fn(async () => ({ deliveries: [] })),
    'network.deliveryStage': vi.fn(async () => ({ index: 0, staged: 10 })),
    'network.deliveryStageFinish': vi.fn(async () => ({ ...deliveryStatusMock, state: 'complete' as const, received: [[0, 1]] as [number, number][], receivedBytes: 10, completedAt: 2 })),
    'network.deliveryStageAbort': vi.fn(async () => ({})),
    'network.deliveryRead': vi.fn(async () => ({ data: 'AAEC', sha256: 'cd'.repeat(32) })),
    'network.datasetSaveBegin': vi.fn(async () => ({ handle: 'b'.repeat(32), folder: '/data/dataset' })),
    'network.datasetSaveWrite': vi.fn(async () => ({ bytes: 3 })),
    'network.datasetSaveFinish': vi.fn(async () => ({ folder: '/data/dataset', files: 1, bytes: 3 })),
    'network.datasetSaveAbort': vi.fn(async () => ({})),
    'network.chooseFolder': vi.fn(async () => ({ path: null })),
  };
}

/** Payloads no method of the contract accepts: every request schema is a strict object. */
const MALFORMED: readonly unknown[] = [undefined, null, 'text', 42, [], { unexpectedField: 'Jane Doe' }];

describe('contract router', () => {
  it('has a handler for every method of the contract', () => {
    expect(Object.keys(fakeHandlers()).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it.each(METHOD_NAMES)('%s validates its payload before the handler runs', async (method: MethodName) => {
    const handlers = fakeHandlers();
    const router = createContractRouter(handlers, memoryLogger().log);
    for (const payload of MALFORMED) {
      const result = await router.dispatch(method, payload, context);
      expect(result).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    }
    expect(handlers[method]).not.toHaveBeenCalled();
  });

  it('answers a valid call with the handler value, checked against the response schema', async () => {
    const router = createContractRouter(fakeHandlers(), memoryLogger().log);
    await expect(router.dispatch('prefs.update', { theme: 'dark' }, context)).resolves.toEqual({
      ok: true,
      value: { theme: 'dark', density: 'compact' },
    });
  });

  it('never echoes the values of a refused payload, in the answer or in the log', async () => {
    const { log, lines } = memoryLogger();
    const router = createContractRouter(fakeHandlers(), log);
    const result = await router.dispatch('prefs.update', { theme: 'Jane Doe 1970-01-01', patient: 'MRN-12345' }, context);
    expect(result.ok).toBe(false);
    const everything = JSON.stringify(result) + JSON.stringify(lines());
    expect(everything).not.toContain('Jane Doe');
    expect(everything).not.toContain('MRN-12345');
    expect(everything).toContain('theme');
  });

  it('refuses unknown methods without reflecting odd names', async () => {
    const router = createContractRouter(fakeHandlers(), memoryLogger().log);
    await expect(router.dispatch('vault.destroy', {}, context)).resolves.toMatchObject({
      ok: false, error: { code: 'E_UNKNOWN_METHOD', message: 'No method named vault.destroy.' },
    });
    const odd = await router.dispatch('<script>alert(1)</script>', {}, context);
    expect(odd).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD', message: 'No such method.' } });
    for (const name of [undefined, 7, {}, '__proto__', 'toString', 'constructor']) {
      await expect(router.dispatch(name, {}, context)).resolves.toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_METHOD' } });
    }
  });

  it('turns a throwing handler into E_INTERNAL with an incident id and no details', async () => {
    const handlers = { ...fakeHandlers(), 'app.info': vi.fn(async () => { throw new Error('disk /patients/Jane.txt failed'); }) };
    const { log, lines } = memoryLogger();
    const result = await createContractRouter(handlers, log).dispatch('app.info', {}, context);
    expect(result).toMatchObject({ ok: false, error: { code: 'E_INTERNAL' } });
    if (result.ok) throw new Error('unreachable');
    expect(result.error.message).not.toContain('Jane');
    expect(result.error.incident).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines().some((line) => line.incident === result.error.incident)).toBe(true);
    expect(JSON.stringify(lines())).not.toContain('Jane');
  });

  it('answers an expected refusal (Refusal) with its own code and message, and no incident', async () => {
    const { log, lines } = memoryLogger();
    const router = createContractRouter(fakeHandlers(), log);
    const result = await router.dispatch('backup.inspect', { path: '/nowhere.hdmsbak' }, context);
    expect(result).toEqual({ ok: false, error: { code: 'E_BAD_REQUEST', message: 'No backup file at that path.' } });
    expect(lines().some((line) => line.msg === 'request refused' && line.code === 'E_BAD_REQUEST')).toBe(true);
    const conflict = { ...fakeHandlers(), 'vault.create': vi.fn(async () => { throw new Refusal('E_CONFLICT', 'A vault exists already.'); }) };
    await expect(createContractRouter(conflict, log).dispatch('vault.create', { keyring: {} }, context)).resolves.toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
  });

  it('refuses journal appends of kinds the mind may not write, before any handler runs', async () => {
    const handlers = fakeHandlers();
    const router = createContractRouter(handlers, memoryLogger().log);
    for (const kind of ['intake.demo', 'journal.repaired', 'erased', 'ledger.entry', 'vault', 'view.access.extra', 'view.acc ess']) {
      const result = await router.dispatch('journal.append', { kind, operator: null, objects: [], meta: null }, context);
      expect(result, kind).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    }
    expect(handlers['journal.append']).not.toHaveBeenCalled();
    await expect(router.dispatch('journal.append', { kind: 'view.access', operator: 'op_1', objects: [], meta: null }, context)).resolves.toEqual({ ok: true, value: { seq: 1 } });
  });

  it('refuses a handler answer that breaks the response schema', async () => {
    const handlers = { ...fakeHandlers(), 'vault.status': vi.fn(async () => ({ state: 'open-to-all' })) } as unknown as Handlers;
    const result = await createContractRouter(handlers, memoryLogger().log).dispatch('vault.status', {}, context);
    expect(result).toMatchObject({ ok: false, error: { code: 'E_INTERNAL' } });
  });

  it('answers E_UNAVAILABLE while the body is stopping', async () => {
    const router = createContractRouter(fakeHandlers(), memoryLogger().log, { isAvailable: () => false });
    await expect(router.dispatch('app.info', {}, context)).resolves.toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
  });

  it('every request schema in the contract is strict', () => {
    for (const name of METHOD_NAMES) {
      expect(methods[name].request.safeParse({ surplus: true }).success, name).toBe(false);
    }
  });
});
