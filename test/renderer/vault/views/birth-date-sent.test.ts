import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientDetail, patientHits } from '../../../../renderer/vault/views/view-reads';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/**
 * Security audit (issue 11): a PID-7 that is no valid HL7 date ("1945XX17") is kept as sent and
 * shown so, but nothing reads it as a date: through the body's mapper and the views, the patient
 * carries it apart from the birth date, the search index holds no word of it, and a later valid
 * PID-7 takes it away.
 */

function mapped(pid7: string, controlId: string): NormalizedIntake {
  const text = `MSH|^~\\&|REG|CLINIC|HDMS|NODE|20250301081500+0100||ADT^A08|${controlId}|P|2.5.1\rPID|1||MRN-4711^^^CLINIC^MR||Brunner^Lea||${pid7}|F\r`;
  const item = parseHl7(Buffer.from(text)).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, { channel: 'hl7-mllp', receivedAt: new Date('2025-03-01T08:20:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false });
  if (result.kind !== 'patient') throw new Error(result.reason);
  return result.normalized;
}

describe('an invalid PID-7 through the views', () => {
  it('is kept apart from the birth date, never indexed as a word, and a valid PID-7 later takes its place', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('birth-date-sent-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized } });

    await append(mapped('1945XX17', 'A08-1'));
    await replayJournal(context);
    const [id] = await searchPatientIds(db, keys.indexKey, 'MRN-4711', 'chart-and-studies');
    expect(id).toBeDefined();
    const shown = (await patientDetail(db, keys.viewKey, id!)).patient;
    expect(shown.birthDate).toBeUndefined();
    expect(shown.birthDateSent).toBe('1945XX17');
    expect((await patientHits(db, keys.viewKey, [id!]))[0]).toMatchObject({ birthDate: '', birthDateSent: '1945XX17' });
    expect(await searchPatientIds(db, keys.indexKey, '1945XX17', 'chart-and-studies')).toEqual([]);

    await append(mapped('19450317', 'A08-2'));
    await replayJournal(context);
    const fixed = (await patientDetail(db, keys.viewKey, id!)).patient;
    expect(fixed.birthDate).toBe('1945-03-17');
    expect(fixed).not.toHaveProperty('birthDateSent');
  });
});
