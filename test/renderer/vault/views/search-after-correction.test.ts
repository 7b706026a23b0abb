import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { CURSOR_KEY, openVaultDb, POSTINGS_THROUGH_KEY, readCursor, viewDbName } from '../../../../renderer/vault/views/vault-db';
import Dexie from 'dexie';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';

/**
 * QA11 D2: search finds a patient by what the chart shows. An ADT^A08 that corrects or clears a
 * birth date, or renames, takes the earlier words out of the index (the postings and the row's
 * token list), in the same replay page or a later one, and a rebuild from the journal agrees.
 */

const MRN = { value: 'MRN-5150', authority: 'CLINIC', type: 'MR' };
const REGISTERED: Patient = { identifiers: [MRN], name: { family: 'Obermeier', given: ['Karl'] }, birthDate: '1958-03-12', sex: 'M' };

function adt(patient: Patient, messageType: string, messageId: string, records: NormalizedIntake['records'] = []): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient,
    records,
    hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) },
  };
}

async function setup(name: string) {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = openVaultDb(name, { indexedDB: new IDBFactory(), IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  const found = async (query: string) => (await searchPatientIds(db, keys.indexKey, query, 'chart-and-studies')).length;
  return { body, db, context, found };
}

async function append(body: FakeBody, normalized: NormalizedIntake): Promise<void> {
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized } });
}

type Views = Awaited<ReturnType<typeof setup>>;

/** The same expectations after a replay from 0 over the kept rows, and after a rebuild (rows and postings gone). */
async function andAfterRebuild(views: Views, check: () => Promise<void>): Promise<void> {
  await check();
  await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
  await replayJournal(views.context);
  await check();
  await views.db.patients.clear();
  await views.db.postings.clear();
  await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
  await replayJournal(views.context);
  await check();
}

for (const pages of ['same replay page', 'a later replay'] as const) {
  describe(`search after an ADT^A08 corrects the chart (${pages})`, () => {
    async function registeredThen(name: string, ...updates: NormalizedIntake[]): Promise<Views> {
      const views = await setup(name);
      await append(views.body, adt(REGISTERED, 'ADT^A04', 'ADT-1'));
      if (pages === 'a later replay') await replayJournal(views.context);
      for (const update of updates) await append(views.body, update);
      await replayJournal(views.context);
      return views;
    }

    it('a corrected birth date finds her; the earlier one no longer does', async () => {
      const views = await registeredThen(`dob-fix-${pages}`, adt({ identifiers: [MRN], name: REGISTERED.name, birthDate: '1958-03-13' }, 'ADT^A08', 'ADT-2'));
      await andAfterRebuild(views, async () => {
        expect(await views.found('1958-03-13')).toBe(1);
        expect(await views.found('1958-03-12')).toBe(0);
        expect(await views.found('Karl')).toBe(1);
      });
    });

    it('a birth date cleared with "" finds her by no date', async () => {
      const views = await registeredThen(`dob-null-${pages}`, adt({ identifiers: [MRN], name: REGISTERED.name, cleared: ['birthDate'] }, 'ADT^A08', 'ADT-2'));
      await andAfterRebuild(views, async () => {
        expect(await views.found('1958-03-12')).toBe(0);
        expect(await views.found('MRN-5150')).toBe(1);
      });
    });

    it('a renamed patient is found by the name the chart shows, not by the earlier one or its own prefixes', async () => {
      const views = await registeredThen(
        `rename-${pages}`,
        adt({ identifiers: [MRN], name: { family: 'Obermaier', given: ['Karl'] } }, 'ADT^A08', 'ADT-2'),
        adt({ identifiers: [MRN], name: { family: 'Obermayr', given: ['Karl'] } }, 'ADT^A08', 'ADT-3'),
      );
      await andAfterRebuild(views, async () => {
        expect(await views.found('Obermayr')).toBe(1);
        expect(await views.found('Oberma')).toBe(1);
        expect(await views.found('Obermeier')).toBe(0);
        expect(await views.found('Obermei')).toBe(0);
        expect(await views.found('Obermaier')).toBe(0);
        expect(await views.found('Obermai')).toBe(0);
        expect(await views.found('Karl 1958-03-12')).toBe(1);
      });
    });

    it('a name given back is found again; a later message of the patient keeps its own words', async () => {
      const views = await registeredThen(
        `back-${pages}`,
        adt({ identifiers: [MRN], name: { family: 'Obermaier', given: ['Karl'] } }, 'ADT^A08', 'ADT-2'),
        adt({ identifiers: [MRN], name: { family: 'Obermeier', given: ['Karl'] }, birthDate: '1958-03-12' }, 'ADT^A08', 'ADT-3'),
      );
      await andAfterRebuild(views, async () => {
        expect(await views.found('Obermeier 1958-03-12')).toBe(1);
        expect(await views.found('Obermaier')).toBe(0);
      });
    });
  });
}

describe('views schema version 21', () => {
  it('clears the postings and patient rows and replays from 0, so words of earlier values indexed before go', async () => {
    const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
    const old = new Dexie(viewDbName('stale-words-0001'), deps);
    old.version(20).stores({ meta: 'key', patients: 'id', postings: 'id', records: 'id' });
    await old.open();
    await old.table('meta').bulkPut([{ key: CURSOR_KEY, value: 42 }, { key: POSTINGS_THROUGH_KEY, value: 7 }]);
    await old.table('patients').put({ id: 'p', tokens: ['t'], enc: new Uint8Array(1) });
    await old.table('postings').put({ id: 't|0', ids: ['p'] });
    await old.table('records').put({ id: 'r', patientId: 'p' });
    old.close();
    const db = openVaultDb('stale-words-0001', deps);
    expect(await readCursor(db)).toBe(0);
    // Message rows go too since version 23 (a message is filed on the chart holding any of its identifiers).
    expect([await db.patients.count(), await db.postings.count(), await db.records.count()]).toEqual([0, 0, 0]);
    expect((await db.meta.get(POSTINGS_THROUGH_KEY))?.value).toBe(0);
    db.close();
  });
});
