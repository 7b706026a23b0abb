import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createOpener, createSealer } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { sealJson } from '../../../../shared/journal/sealed-json';
import { combineSteps, replayJournal } from '../../../../renderer/vault/views/journal-replay';
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
  it('lets a kind feed several projectors, in registry order, but refuses two projectors of one name', () => {
    const registry = new ProjectorRegistry([...JOURNAL_PROJECTORS, { ...readingProjector, kinds: ['intake.reading', 'view.access'] }]);
    expect(registry.projectorsOf('view.access').map((projector) => projector.name)).toEqual(['access', 'readings']);
    expect(registry.projectorsOf('intake.reading').map((projector) => projector.name)).toEqual(['readings']);
    expect(registry.projectorsOf('no.such')).toEqual([]);
    expect(() => new ProjectorRegistry([...JOURNAL_PROJECTORS, readingProjector, readingProjector])).toThrow(/Two projectors are named readings/);
  });

  it('combines the steps of one record: a problem counts once, every apply runs, all skips skip', () => {
    const ran: string[] = [];
    expect(combineSteps(['skip', 'skip'])).toBe('skip');
    expect(combineSteps([{ apply: () => ran.push('a') }, 'problem'])).toBe('problem');
    const step = combineSteps([{ apply: () => ran.push('a') }, 'skip', { apply: () => ran.push('b') }]);
    expect(step).not.toBe('skip');
    if (typeof step !== 'string') step.apply();
    expect(ran).toEqual(['a', 'b']);
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
