import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { patientHits } from '../../../../renderer/vault/views/view-reads';
import { openVaultDb, VIEW_SCHEMA_VERSION } from '../../../../renderer/vault/views/vault-db';
import { searchStatus } from '../../../../renderer/features/patients/patient-search-view';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/** QA12 D4: a Japanese name's ideographic and phonetic groups are shown and searchable; a one-character CJK surname is a whole word. */

function intake(of: Patient, messageId: string): NormalizedIntake {
  return { channel: 'demo', messageId, messageType: 'DICOM CT', patient: of, records: [] };
}

describe('CJK names in the views', () => {
  it('shows "Yamada, Tarou (山田 太郎 · やまだ たろう)" and finds it by 山田, 太郎, やまだ and Yamada; 王 finds 王 小明 by the whole word', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('cjk-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const people: Patient[] = [
      { identifiers: [{ value: 'QA12_JAPANESE', authority: '', type: '' }], name: { family: 'Yamada', given: ['Tarou'], ideographic: '山田 太郎', phonetic: 'やまだ たろう' } },
      { identifiers: [{ value: 'QA12_CHINESE', authority: '', type: '' }], name: { family: '王', given: ['小明'] } },
    ];
    for (const [index, person] of people.entries()) {
      await appendSealedRecord(body, { kind: 'intake.demo', meta: { v: 1, channel: 'demo', receivedAt: '2026-03-01T08:20:00.000Z', rawBytes: 10, normalized: intake(person, `M-${index}`) } });
    }
    await replayJournal(context);
    const names = async (query: string) => (await patientHits(db, keys.viewKey, await searchPatientIds(db, keys.indexKey, query, 'chart-and-studies'))).map((hit) => hit.name).sort();
    const yamada = 'Yamada, Tarou (山田 太郎 · やまだ たろう)';
    expect(await names('山田')).toEqual([yamada]);
    expect(await names('太郎')).toEqual([yamada]);
    expect(await names('やまだ')).toEqual([yamada]);
    expect(await names('Yamada')).toEqual([yamada]);
    expect(await names('王')).toEqual(['王, 小明']);
    expect(await names('小')).toEqual([]);
    // Old views are rebuilt so that one-character words already in the journal are indexed.
    expect(VIEW_SCHEMA_VERSION).toBeGreaterThanOrEqual(22);
    db.close();
  });

  it('a one- or two-character CJK query is a whole word, not too short: the status does not ask for 3 letters', () => {
    const outcome = (query: string, count: number) => ({ query, patientIds: Array.from({ length: count }, (_, i) => `p${i}`), tookMs: 3 });
    expect(searchStatus({ query: '王', total: 2, outcome: outcome('王', 1), searching: false })).toBe('1 patient found in 3 ms with the whole word “王”.');
    expect(searchStatus({ query: '山田', total: 2, outcome: outcome('山田', 0), searching: false })).toBe('No name, number or word is exactly “山田” (3 ms).');
    expect(searchStatus({ query: '王', total: 2, outcome: null, searching: false })).toBe('Press Enter to search.');
    // Latin short queries keep the hint.
    expect(searchStatus({ query: 'li', total: 2, outcome: outcome('li', 1), searching: false })).toMatch(/Type at least 3 letters/);
  });
});
