import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createOpener } from '../../../../shared/crypto/envelope';
import { decryptField } from '../../../../shared/crypto/field-cipher';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { CURSOR_KEY, openVaultDb, readCursor, viewDbName } from '../../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION } from '../support/fake-body';

/**
 * Tester S35 #1 and #2, through the real views: a name with an umlaut is found by its German
 * transliteration ("Müller" by "mueller"), and a birth date typed day first with dots
 * ("03.02.1980") finds its patient as the ISO form does.
 */

const transliterate = (text: string) => text.normalize('NFD').replace(/([aouAOU])\u0308/gu, '$1e').normalize('NFC');

describe('transliterated names and day-first dates in patient search', () => {
  it('finds demo patients by the ue/oe/ae spelling of their umlauts and by dd.mm.yyyy / d.m.yyyy birth dates', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    await body.api.demo.import({ patients: 40 });
    const db = openVaultDb('transliteration-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    await replayJournal({ api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true });
    let umlauts = 0;
    for (const row of await db.patients.toArray()) {
      const { patient } = await decryptField<{ patient: { name?: { family?: string; given?: string[] }; birthDate?: string } }>(keys.viewKey, { table: 'patients', id: row.id }, row.enc);
      for (const word of [patient.name?.family ?? '', ...(patient.name?.given ?? [])].flatMap((name) => name.split(/\s+/u))) {
        if (transliterate(word) === word.normalize('NFC') || word.length < 2) continue;
        umlauts++;
        expect(await searchPatientIds(db, keys.indexKey, `${transliterate(word)} `, 'chart-and-studies'), word).toContain(row.id);
        expect(await searchPatientIds(db, keys.indexKey, `${word} `, 'chart-and-studies'), word).toContain(row.id);
      }
      const date = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(patient.birthDate ?? '');
      if (date === null) continue;
      expect(await searchPatientIds(db, keys.indexKey, `${date[3]!}.${date[2]!}.${date[1]!}`, 'chart-and-studies')).toContain(row.id);
      expect(await searchPatientIds(db, keys.indexKey, `${Number(date[3])}.${Number(date[2])}.${date[1]!}`, 'chart-and-studies')).toContain(row.id);
    }
    // The demo's names have umlauts (Müller, Jörg, Köhler…): the loop above checked some.
    expect(umlauts).toBeGreaterThan(0);
    db.close();
  });

  it('views built before the transliteration tokens are replayed on upgrade (no manual "Rebuild index")', async () => {
    // The tables as they are now (the transliteration added no store), declared at version 29, the one before it.
    const probe = openVaultDb('v-probe', { indexedDB: new IDBFactory(), IDBKeyRange });
    await probe.open();
    const stores = Object.fromEntries(probe.tables.map((table) => [table.name, [table.schema.primKey.src, ...table.schema.indexes.map((index) => index.src)].join(', ')]));
    probe.close();
    const indexedDB = new IDBFactory();
    const old = new Dexie(viewDbName('v-before-transliteration'), { indexedDB, IDBKeyRange });
    old.version(29).stores(stores);
    await old.open();
    await old.table('postings').put({ id: 'muller-token|00000001', ids: ['p1'] });
    await old.table('patients').put({ id: 'p1', tokens: ['muller-token'], enc: new Uint8Array(1) });
    await old.table('meta').put({ key: CURSOR_KEY, value: 42 });
    old.close();
    const db = openVaultDb('v-before-transliteration', { indexedDB, IDBKeyRange });
    await db.open();
    expect(await db.postings.count()).toBe(0);
    expect(await db.patients.count()).toBe(0);
    expect(await readCursor(db)).toBe(0);
    db.close();
  });
});
