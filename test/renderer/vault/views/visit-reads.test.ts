import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient, Visit } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientDetail } from '../../../../renderer/vault/views/view-reads';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { CURSOR_KEY, openVaultDb, POSTINGS_THROUGH_KEY, readCursor } from '../../../../renderer/vault/views/vault-db';
import { openedAfterUpgrade } from '../support/old-views';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/**
 * Tester T1 D5, for messages stored before the fix: the body mapped a "visit" at MSH-7 from every
 * lab message's PV1 without PV1-44, and that record is in the journal. The mind reads it: a visit of
 * a message that is not an ADT and does not say where its start came from (no `startFrom`) is no
 * encounter the chart lists; one that says PV1-44, and any ADT's, is.
 */

const PATIENT: Patient = { identifiers: [{ value: 'MRN-1', authority: 'CLINIC', type: 'MR' }], name: { family: 'Keller', given: ['Anna'] } };

function message(messageType: string, messageId: string, visit: Visit): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient: PATIENT,
    records: [visit],
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) },
  };
}

describe('T1 D5: visits the body stored from lab messages at their message time', () => {
  it('the chart lists the ADT\'s visit and an ORU visit with PV1-44, not an ORU visit stored without saying where its start came from', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('visit-vault-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    await append(message('ADT^A04', 'M-1', { type: 'visit', patientClass: 'O', location: 'PRAXIS', start: '2026-11-02T09:00:00+01:00' }));
    // Stored before: the lab message's PV1 without PV1-44, dated at MSH-7.
    await append(message('ORU^R01', 'M-2', { type: 'visit', patientClass: 'O', location: 'PRAXIS', start: '2026-12-07T06:20:00+01:00' }));
    await append(message('ORU^R01', 'M-3', { type: 'visit', patientClass: 'O', location: 'PRAXIS', start: '2026-11-20T10:00:00+01:00', startFrom: 'PV1-44' }));
    await replayJournal(context);
    const [row] = await db.patients.toArray();
    const detail = await patientDetail(db, keys.viewKey, row!.id);
    const starts = detail.records.filter((r) => r.record.type === 'visit').map((r) => [r.source.messageType, r.time]);
    expect(starts).toEqual([
      ['ORU^R01', '2026-11-20T10:00:00+01:00'],
      ['ADT^A04', '2026-11-02T09:00:00+01:00'],
    ]);
  });

  it('the keyword search does not find a patient by the location or reason of such a visit, but by those of the visits the chart lists', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('visit-vault-0002', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    await append(message('ADT^A04', 'M-1', { type: 'visit', patientClass: 'O', location: 'Admitward', start: '2026-11-02T09:00:00+01:00' }));
    await append(message('ORU^R01', 'M-2', { type: 'visit', patientClass: 'O', location: 'Labpraxis', reason: 'Labreason', start: '2026-12-07T06:20:00+01:00' }));
    await append(message('ORU^R01', 'M-3', { type: 'visit', patientClass: 'O', location: 'Stationseven', start: '2026-11-20T10:00:00+01:00', startFrom: 'PV1-44' }));
    await replayJournal(context);
    const [row] = await db.patients.toArray();
    expect(await searchPatientIds(db, keys.indexKey, 'Keller', 'chart-and-studies')).toEqual([row!.id]);
    expect(await searchPatientIds(db, keys.indexKey, 'Admitward', 'chart-and-studies')).toEqual([row!.id]);
    expect(await searchPatientIds(db, keys.indexKey, 'Stationseven', 'chart-and-studies')).toEqual([row!.id]);
    expect(await searchPatientIds(db, keys.indexKey, 'Labpraxis', 'chart-and-studies')).toEqual([]);
    expect(await searchPatientIds(db, keys.indexKey, 'Labreason', 'chart-and-studies')).toEqual([]);
  });

  it('views schema version 29 rebuilds the patient rows and postings, which held such a visit\'s words', async () => {
    const db = await openedAfterUpgrade('pseudo-visit-words-0001', 28, { meta: 'key', patients: 'id', postings: 'id', records: 'id' }, {
      meta: [{ key: CURSOR_KEY, value: 42 }, { key: POSTINGS_THROUGH_KEY, value: 7 }],
      patients: [{ id: 'p', tokens: ['t'], enc: new Uint8Array(1) }],
      postings: [{ id: 't|0', ids: ['p'] }],
    });
    expect(await readCursor(db)).toBe(0);
    expect([await db.patients.count(), await db.postings.count()]).toEqual([0, 0]);
    expect((await db.meta.get(POSTINGS_THROUGH_KEY))?.value).toBe(0);
    db.close();
  });
});
