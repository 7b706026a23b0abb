import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NormalizedIntake } from '../../../../../shared/domain/clinical';
import { createOpener } from '../../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../../shared/crypto/bytes';
import { IntakeMetaSchema } from '../../../../../shared/journal/intake-meta';
import { replayJournal } from '../../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../../renderer/vault/views/keyword-search';
import { messageBySeq } from '../../../../../renderer/vault/views/message-reads';
import { intakeMetaOf } from '../../../../../renderer/vault/views/projectors/intake-meta-parse';
import { TokenCache } from '../../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../../support/fake-body';

/**
 * Issue 11 (speed with the window open): an HL7 intake record feeds two projectors (patients and
 * messages), and each checked the same opened meta against IntakeMetaSchema, about 5 % of the
 * page's main thread during an ingest. The replay now checks it once per record.
 */

const ADMISSION: NormalizedIntake = {
  channel: 'hl7-mllp',
  messageId: 'A04-1',
  messageType: 'ADT^A04',
  patient: { identifiers: [{ value: 'MRN-7001', authority: 'CLINIC', type: 'MR' }], name: { family: 'Okafor', given: ['Ada'] }, birthDate: '1980-02-03' },
  records: [],
  hl7: { version: '2.5.1', sendingApplication: 'REG', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
};

afterEach(() => vi.restoreAllMocks());

describe('the intake meta, checked once per record', () => {
  it('replays an HL7 message into the patient and the message views with one schema check', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:00:00.000Z', rawBytes: 120, normalized: ADMISSION } });
    const db = openVaultDb('intake-meta-parse-1', { indexedDB: new IDBFactory(), IDBKeyRange });
    const checks = vi.spyOn(IntakeMetaSchema, 'safeParse');

    await replayJournal({ api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true });

    expect(checks).toHaveBeenCalledTimes(1);
    expect(await searchPatientIds(db, keys.indexKey, 'MRN-7001', 'chart-and-studies')).toHaveLength(1);
    expect((await messageBySeq(db, keys.viewKey, 1))?.controlId).toBe('A04-1');
    db.close();
  });

  it('gives the same answer for the same meta and null for one that does not fit', () => {
    const meta = { v: 1, receivedAt: '2025-03-01T08:00:00.000Z', normalized: ADMISSION };
    const first = intakeMetaOf(meta);
    expect(first?.normalized.messageId).toBe('A04-1');
    expect(intakeMetaOf(meta)).toBe(first);
    expect(intakeMetaOf({ v: 2, normalized: ADMISSION })).toBeNull();
    expect(intakeMetaOf('not an object')).toBeNull();
    expect(intakeMetaOf(null)).toBeNull();
  });
});
