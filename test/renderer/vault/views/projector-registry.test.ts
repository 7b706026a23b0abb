import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createOpener, createSealer } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { sealJson } from '../../../../shared/journal/sealed-json';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import type { JournalProjector } from '../../../../renderer/vault/views/projectors/journal-projector';
import { JOURNAL_PROJECTORS, ProjectorRegistry } from '../../../../renderer/vault/views/projectors/projector-registry';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb, readCursor } from '../../../../renderer/vault/views/vault-db';

/** A projector of a kind the app does not have: what a DICOM or device projector adds. */
const readingProjector: JournalProjector = {
  name: 'readings',
  kinds: ['intake.reading'],
  tables: (db) => [db.meta],
  startPage() {
    const seen: number[] = [];
    return {
      async decode(record, meta) {
        return typeof (meta as { value?: unknown }).value === 'number' ? { apply: () => seen.push(record.seq) } : 'problem';
      },
      async write(db) {
        if (seen.length > 0) await db.meta.put({ key: 'readings', value: seen.join(',') });
      },
    };
  },
};

describe('view projectors', () => {
  it('gives every journal kind one projector', () => {
    const kinds = JOURNAL_PROJECTORS.flatMap((projector) => projector.kinds);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(() => new ProjectorRegistry([...JOURNAL_PROJECTORS, { ...readingProjector, kinds: ['view.access'] }])).toThrow(/two projectors/);
  });

  it('replays a new kind through an added projector, in the same page transaction as the cursor', async () => {
    const master = generateMasterSecret();
    const keys = await deriveVaultKeys(master);
    const sealer = await createSealer(keys.intakeKeyPair.publicKeyRaw);
    const at = '2025-01-01T00:00:00.000Z';
    const records: JournalRecord[] = [
      { seq: 1, kind: 'intake.reading', at, operator: null, objects: [], meta: await sealJson(sealer, { value: 1 }) },
      { seq: 2, kind: 'intake.reading', at, operator: null, objects: [], meta: await sealJson(sealer, { value: 'x' }) },
      { seq: 3, kind: 'intake.reading', at, operator: null, objects: [], meta: await sealJson(sealer, { value: 3 }) },
    ];
    const db = openVaultDb('projector-test', { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.open();
    const api = { journal: { read: async () => ({ records, nextCursor: 3, end: true }), append: async () => ({ seq: 4 }) } };
    const context = { api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };

    // Without its projector the kind is skipped; with it, its rows are written and a bad meta is a problem.
    await replayJournal(context);
    expect(await db.meta.get('readings')).toBeUndefined();
    await db.meta.put({ key: 'cursor', value: 0 });
    await replayJournal({ ...context, projectors: new ProjectorRegistry([...JOURNAL_PROJECTORS, readingProjector]) });
    expect((await db.meta.get('readings'))?.value).toBe('1,3');
    expect((await db.meta.get('problems'))?.value).toBe(1);
    expect(await readCursor(db)).toBe(3);
    db.close();
  });
});
