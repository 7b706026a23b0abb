import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { CURSOR_KEY, openVaultDb, readCursor, VIEW_SCHEMA_VERSION, viewDbName } from '../../../../renderer/vault/views/vault-db';

// H6 (session 38) finding 6: instance rows put before version 33 do not name an unknown character set.
describe('views schema version 33', () => {
  it('an older view database has its instance rows cleared and replays from 0; other rows stay', async () => {
    expect(VIEW_SCHEMA_VERSION).toBeGreaterThanOrEqual(33);
    const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
    const v32 = new Dexie(viewDbName('upgrade-0033'), deps);
    v32.version(32).stores({
      meta: 'key',
      patients: 'id',
      records: 'id',
      postings: 'id',
      access: 'seq, patientId, operator',
      ledger: 'seq, kind, subject, operator, createdAt, coversTo',
      merges: 'merged, survivor',
      quarantine: 'seq',
      directory: 'id, patientId',
      deviceReports: 'seq, at, systemId, session',
      deviceSessions: 'key, session, patientId',
      studies: 'id, patientId, uid, *tokens',
      series: 'id, studyId, patientId',
      instances: 'id, seriesId, studyId, patientId',
      messages: 'seq, at, *control, [status+seq], [sender+seq], [type+seq], [sender+type+seq], [patientId+seq]',
      relayMessages: 'key, seq, at',
      consents: 'seq, patientId',
      incomingQueries: 'queryId, at',
      queryOutcomes: 'seq, queryId, researcher, at',
      myQueries: 'queryId, at',
      queryAnswers: 'key, queryId',
      aliases: 'id, patientId',
      namedExports: 'seq, *subjects',
    });
    await v32.open();
    await v32.table('meta').bulkPut([{ key: CURSOR_KEY, value: 42 }, { key: 'problems', value: 3 }]);
    await v32.table('instances').put({ id: 'i', seriesId: 's', studyId: 't', patientId: 'p', seq: 1, objectId: 'o', enc: new Uint8Array(1) });
    await v32.table('patients').put({ id: 'p', tokens: ['t'], enc: 'x' });
    v32.close();

    const db = openVaultDb('upgrade-0033', deps);
    expect(await readCursor(db)).toBe(0);
    expect(await db.instances.count()).toBe(0);
    expect(await db.patients.count()).toBe(1);
    expect(await db.meta.get('problems')).toBeUndefined();
    db.close();
  });
});
