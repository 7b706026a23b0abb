import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import type { DeviceIntakeMetadataV1 } from '../../../../shared/journal/device-meta';
import { patientDeviceReports, recentDeviceReports } from '../../../../renderer/vault/views/device-reports';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';
import { dumpAllDatabases } from '../support/idb-dump';

/** Issue 13: intake.device records become deviceReports rows (views version 7), readings encrypted. */

const SYSTEM_ID = '001c05fffe123456';

function report(at: string, systolic: number, approval: 'approved' | 'pending' = 'approved'): DeviceIntakeMetadataV1 {
  return {
    v: 1,
    channel: 'devices',
    receivedAt: at,
    objectId: 'o'.repeat(64),
    rawBytes: 70,
    session: 'session-1',
    port: 'serial:/dev/ttyUSB0',
    device: { systemId: SYSTEM_ID, devConfigId: 0x02bc, manufacturer: 'Acme', model: 'BP-100' },
    approval,
    report: { invokeId: 1, eventType: 0x0d1d, confirmed: true, notes: [] },
    readings: [
      { code: 0x4a05, kind: 'systolic', status: 'value', value: systolic, unit: 'mm[Hg]', unitCode: 0x0f20, normalizedValue: systolic, normalizedUnit: 'mm[Hg]', deviceTime: '2026-11-21T08:52:35.50', time: at, flags: [], quality: 1, dedupeKey: `k${systolic}` },
      { code: 0x4a06, kind: 'diastolic', status: 'NaN', time: at, flags: ['no-value'], quality: 0, dedupeKey: `d${systolic}` },
    ],
  };
}

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const factory = new IDBFactory();
  const db = openVaultDb('devices-0001', { indexedDB: factory, IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, factory, context };
}

describe('device reports view', () => {
  it('projects each intake.device record into one row; readings come back opened, newest first, special values without a number', async () => {
    const { body, keys, db, context } = await setup();
    await appendSealedRecord(body, { kind: 'intake.device', meta: report('2026-11-21T08:52:40.000Z', 128) as never, raw: Uint8Array.of(0xe7, 0, 0, 0) });
    await appendSealedRecord(body, { kind: 'intake.device', meta: report('2026-11-21T09:10:00.000Z', 131, 'pending') as never, raw: Uint8Array.of(0xe7, 0, 0, 1) });
    // A record that does not fit the schema is counted as a problem, not projected.
    await appendSealedRecord(body, { kind: 'intake.device', meta: { ...report('2026-11-21T09:11:00.000Z', 1), readings: [{ code: 1, status: 'value', value: Number.MAX_VALUE * 2 }] } as never });
    await replayJournal(context);
    const reports = await recentDeviceReports(db, keys.viewKey);
    expect(reports.map((r) => [r.seq, r.approval, r.readings[0]!.value, r.readings[1]!.status, r.readings[1]!.value])).toEqual([
      [2, 'pending', 131, 'NaN', undefined],
      [1, 'approved', 128, 'NaN', undefined],
    ]);
    expect(reports[0]!.device.model).toBe('BP-100');
    expect((await recentDeviceReports(db, keys.viewKey, { systemId: SYSTEM_ID, limit: 1 })).map((r) => r.seq)).toEqual([2]);
    expect(await db.table('meta').get('problems')).toMatchObject({ value: 1 });
  });

  it('a device.assigned event puts a session on a patient: approved readings only; a later assignment replaces it; an MP person can be assigned apart', async () => {
    const { body, keys, db, context } = await setup();
    const mp = (at: string, personId: number, value: number): DeviceIntakeMetadataV1 => {
      const base = report(at, value);
      return { ...base, session: 'session-2', readings: [{ ...base.readings[0]!, personId, dedupeKey: `p${personId}${value}` }] };
    };
    await appendSealedRecord(body, { kind: 'intake.device', meta: report('2026-11-21T08:52:40.000Z', 128) as never });
    await appendSealedRecord(body, { kind: 'intake.device', meta: { ...report('2026-11-21T08:53:40.000Z', 150, 'pending'), session: 'session-1' } as never });
    await appendSealedRecord(body, { kind: 'intake.device', meta: mp('2026-11-21T09:00:00.000Z', 1, 111) as never });
    await appendSealedRecord(body, { kind: 'intake.device', meta: mp('2026-11-21T09:00:01.000Z', 2, 122) as never });
    await appendSealedRecord(body, { kind: 'device.assigned', meta: { v: 1, session: 'session-1', patientId: 'patient-a', at: '2026-11-21T08:55:00.000Z' } });
    await appendSealedRecord(body, { kind: 'device.assigned', meta: { v: 1, session: 'session-2', personId: 2, patientId: 'patient-b', at: '2026-11-21T09:01:00.000Z' } });
    await replayJournal(context);
    // The pending device's reading (150) stays off the chart.
    expect((await patientDeviceReports(db, keys.viewKey, 'patient-a')).map((r) => r.readings.map((x) => x.value ?? x.status))).toEqual([[128, 'NaN']]);
    expect((await patientDeviceReports(db, keys.viewKey, 'patient-b')).flatMap((r) => r.readings.map((x) => x.value))).toEqual([122]);
    expect((await recentDeviceReports(db, keys.viewKey)).map((r) => [r.readings[0]!.value, r.patientId])).toEqual([
      [122, 'patient-b'],
      [111, null],
      [150, 'patient-a'],
      [128, 'patient-a'],
    ]);
    // Approved since: the held reading joins the chart; rejected now: none of the device's readings do.
    const decided = (decision: 'approved' | 'rejected') => (systemId: string) => (systemId.startsWith('001c05') ? decision : 'pending');
    expect((await patientDeviceReports(db, keys.viewKey, 'patient-a', decided('approved'))).map((r) => r.readings[0]!.value)).toEqual([128, 150]);
    expect(await patientDeviceReports(db, keys.viewKey, 'patient-a', decided('rejected'))).toEqual([]);
    await appendSealedRecord(body, { kind: 'device.assigned', meta: { v: 1, session: 'session-1', patientId: 'patient-c', at: '2026-11-21T10:00:00.000Z' } });
    await replayJournal(context);
    expect(await patientDeviceReports(db, keys.viewKey, 'patient-a')).toEqual([]);
    expect((await patientDeviceReports(db, keys.viewKey, 'patient-c')).map((r) => r.seq)).toEqual([1]);
  });

  it('keeps no reading value in clear in IndexedDB', async () => {
    const { body, db, factory, context } = await setup();
    await appendSealedRecord(body, { kind: 'intake.device', meta: report('2026-11-21T08:52:40.000Z', 173) as never });
    await replayJournal(context);
    expect(await db.table('deviceReports').count()).toBe(1);
    const dump = await dumpAllDatabases(factory);
    // 173 as a number of its own: timestamps in the dump (Unix ms) may hold those digits by chance.
    expect(dump).not.toMatch(/BP-100|mm\[Hg\]|(?<![0-9])173(?![0-9])/);
  });
});
