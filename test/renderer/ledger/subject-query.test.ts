import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { ZERO_HASH } from '../../../shared/ledger/ledger-schema';
import { pseudonymPattern, subjectsMatching } from '../../../renderer/ledger/subject-query';
import { openVaultDb, type VaultDb } from '../../../renderer/vault/views/vault-db';

/**
 * QA11 D3: the Ledger's Subject filter and the access report's Patient filter take a pseudonym as
 * an entry shows it (0x3c6896…43e3), its hex start with or without 0x, or the whole value; an
 * erased patient has no name left to look up, only the pseudonym.
 */

const ERASED = `0x3c6896${'0'.repeat(54)}43e3`;
const SAME_START = `0x3c6896${'1'.repeat(54)}9999`;
const OTHER = `0xfaced0${'2'.repeat(54)}abcd`;
const NAMED = `0xbeef00${'3'.repeat(54)}0001`;

async function ledgerWith(subjects: readonly string[]): Promise<VaultDb> {
  const db = openVaultDb(`subject-query-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.ledger.bulkPut(subjects.map((subject, index) => ({ seq: index + 1, kind: 'ACCESS', subject, operator: ZERO_HASH, createdAt: index }) as never));
  return db;
}

function readerOf(db: VaultDb, names: Readonly<Record<string, string>> = {}) {
  const asked: string[] = [];
  return {
    asked,
    reader: {
      db: () => db,
      subjectsNamed: async (query: string) => {
        asked.push(query);
        return new Set(Object.entries(names).filter(([, name]) => name.toLowerCase().startsWith(query.toLowerCase())).map(([subject]) => subject));
      },
    },
  };
}

describe('subjects matching a filter text', () => {
  it('a hex start with or without 0x, the shown prefix…suffix, "..." for the ellipsis, any case, or the whole value', async () => {
    const db = await ledgerWith([ERASED, SAME_START, OTHER, NAMED, ZERO_HASH, ERASED]);
    const { reader } = readerOf(db);
    const match = async (text: string) => [...(await subjectsMatching(reader, text))].sort();
    expect(await match('0x3c6896')).toEqual([ERASED, SAME_START].sort());
    expect(await match('3c6896')).toEqual([ERASED, SAME_START].sort());
    expect(await match('0x3c6896…43e3')).toEqual([ERASED]);
    expect(await match(' 0X3C6896…43E3 ')).toEqual([ERASED]);
    expect(await match('0x3c6896...43e3')).toEqual([ERASED]);
    expect(await match('3c6896…43e3')).toEqual([ERASED]);
    expect(await match(ERASED)).toEqual([ERASED]);
    expect(await match(ERASED.toUpperCase().replace('0X', '0x'))).toEqual([ERASED]);
    expect(await match('0x3c6896…ffff')).toEqual([]);
    expect(await match('0x3c6897')).toEqual([]);
    // The zero subject (acts about no patient) is never a match.
    expect(await match('0x0000')).toEqual([]);
  });

  it('a name is looked up by name; hex letters alone may be either, so both are asked; a digit or 0x makes it a pseudonym', async () => {
    const db = await ledgerWith([ERASED, OTHER, NAMED]);
    const { reader, asked } = readerOf(db, { [NAMED]: 'Brunner, Lea', [OTHER]: 'Face, Ada' });
    expect([...(await subjectsMatching(reader, 'brun'))]).toEqual([NAMED]);
    // "face" is a name and the start of OTHER's pseudonym (0xfaced0…): the same subject either way.
    expect([...(await subjectsMatching(reader, 'face'))]).toEqual([OTHER]);
    // "beef" names nobody but starts NAMED's pseudonym.
    expect([...(await subjectsMatching(reader, 'beef'))]).toEqual([NAMED]);
    // Three hex letters are too short to be taken for a pseudonym ("Ada", "Bea"): names only.
    expect([...(await subjectsMatching(reader, 'bee'))]).toEqual([]);
    asked.length = 0;
    expect([...(await subjectsMatching(reader, '3c68'))]).toEqual([ERASED]);
    expect([...(await subjectsMatching(reader, '0xbeef'))]).toEqual([NAMED]);
    expect(asked).toEqual([]);
  });

  it('pseudonymPattern: what counts as a pseudonym form', () => {
    expect(pseudonymPattern('0x3c6896…43e3')).toEqual({ prefix: '3c6896', suffix: '43e3', mayBeName: false });
    expect(pseudonymPattern('3c6896')).toEqual({ prefix: '3c6896', suffix: '', mayBeName: false });
    expect(pseudonymPattern('cafe')).toEqual({ prefix: 'cafe', suffix: '', mayBeName: true });
    expect(pseudonymPattern('0x')).toBeNull();
    expect(pseudonymPattern('…43e3')).toBeNull();
    expect(pseudonymPattern('abc')).toBeNull();
    expect(pseudonymPattern('Brunner')).toBeNull();
    expect(pseudonymPattern(`0x${'a'.repeat(65)}`)).toBeNull();
  });
});
