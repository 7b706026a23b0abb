import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientDetail } from '../../../../renderer/vault/views/view-reads';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';

/**
 * Issue 11 (the analyst): two messages with the same sender and control id and other bytes are
 * both stored, the later flagged as a conflict (hl7.conflict). Which one's PID the patient page
 * shows was not written down. The rule: the views fold a patient's messages in journal order, so
 * the copy received later sets the demographics, conflict or not, whether both are indexed in one
 * replay or in two, and a rebuild gives the same.
 */

const MRN = { value: 'MRN-5150', authority: 'CLINIC', type: 'MR' };
const FIRST: Patient = { identifiers: [MRN], name: { family: 'Keller', given: ['Anna'] }, birthDate: '1970-05-06', address: { street: 'Old Road 1', city: 'Oldtown' } };
const SECOND: Patient = { identifiers: [MRN], name: { family: 'Keller', given: ['Anna'] }, birthDate: '1970-05-06', address: { street: 'New Road 2', city: 'Newtown' } };

function copy(patient: Patient, conflict: boolean, payloadSha256: string): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId: 'A08-7',
    messageType: 'ADT^A08',
    patient,
    records: [],
    hl7: { version: '2.5.1', sendingApplication: 'REG', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256, ...(conflict ? { conflict: true } : {}) },
  };
}

async function setup(name: string) {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = openVaultDb(name, { indexedDB: new IDBFactory(), IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, context };
}

async function append(body: FakeBody, normalized: NormalizedIntake, receivedAt: string): Promise<void> {
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt, rawBytes: 100, normalized } });
}

async function shownAddress(views: Awaited<ReturnType<typeof setup>>): Promise<Patient['address']> {
  const [id] = await searchPatientIds(views.db, views.keys.indexKey, 'MRN-5150', 'chart-and-studies');
  return (await patientDetail(views.db, views.keys.viewKey, id!)).patient.address;
}

describe('two conflicting copies of one message (same control id, other bytes): the later received sets the demographics', () => {
  it('in one replay', async () => {
    const views = await setup('conflict-demographics-1');
    await append(views.body, copy(FIRST, false, 'b'.repeat(64)), '2025-03-01T08:00:00.000Z');
    await append(views.body, copy(SECOND, true, 'c'.repeat(64)), '2025-03-01T09:00:00.000Z');
    await replayJournal(views.context);
    expect(await shownAddress(views)).toEqual(SECOND.address);
  });

  it('in two replays, and the same the other way round (the first received wins nothing by being first)', async () => {
    const views = await setup('conflict-demographics-2');
    await append(views.body, copy(SECOND, false, 'c'.repeat(64)), '2025-03-01T08:00:00.000Z');
    await replayJournal(views.context);
    expect(await shownAddress(views)).toEqual(SECOND.address);
    await append(views.body, copy(FIRST, true, 'b'.repeat(64)), '2025-03-01T09:00:00.000Z');
    await replayJournal(views.context);
    expect(await shownAddress(views)).toEqual(FIRST.address);
  });
});
