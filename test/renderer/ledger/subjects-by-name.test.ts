import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { encryptField } from '../../../shared/crypto/field-cipher';
import { subjectsByName } from '../../../renderer/ledger/ledger-reader';
import { openVaultDb, type DirectoryName } from '../../../renderer/vault/views/vault-db';

/**
 * QA s35 T2 F4: the access report's Patient filter takes a name as the report itself prints it
 * ("Brügger, Anna": family, comma, given), and the words in any order.
 */

const ANNA = `0xdf1548${'0'.repeat(54)}c40f`;
const OTHER = `0xfaced0${'2'.repeat(54)}abcd`;

async function directoryWith(names: Readonly<Record<string, DirectoryName>>) {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const db = openVaultDb(`subjects-by-name-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  for (const [id, name] of Object.entries(names)) {
    await db.directory.put({ id, kind: 'patient', name: await encryptField(key, { table: 'directory', id }, name) });
  }
  return { db, key };
}

describe('patients by name (the access report’s Patient filter)', () => {
  it('the report’s own "Family, Given" form, the words in any order, accents and case ignored', async () => {
    const { db, key } = await directoryWith({ [ANNA]: { family: 'Brügger', given: ['Anna'] }, [OTHER]: { family: 'Müller', given: ['Hans'] } });
    for (const query of ['Brügger, Anna', 'brugger,anna', 'Anna, Brügger', 'Anna Brügger', 'Brügger Anna', 'brug', ' Brügger , ']) {
      expect([...(await subjectsByName(db, key, query))], query).toEqual([ANNA]);
    }
    expect([...(await subjectsByName(db, key, 'Brügger, Hans'))]).toEqual([]);
    expect([...(await subjectsByName(db, key, ','))]).toEqual([]);
  });
});
