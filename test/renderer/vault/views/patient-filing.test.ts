import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { ClinicalRecord, NormalizedIntake, PatientIdentifier } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { RECORDS_PER_PAGE, replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { identifierPseudonym } from '../../../../renderer/vault/views/intake-rows';
import { PatientFiling } from '../../../../renderer/vault/views/patient-filing';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb, type VaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';

/**
 * The replay's chart filing (patient-filing.ts) reads each identifier's row from the views at most
 * once per replay, a page's reads in one batch before the previous page's write starts, and still
 * files every message where a rebuild does: rows a page decided stay known after it commits, an
 * erasure hides the erased chart's rows (read or cached), several replays agree with one rebuild.
 */

const id = (value: string, authority = 'CITYHOSP', type = 'MR'): PatientIdentifier => ({ value, authority, type });
const MRN = id('MRN900102');
const AHV = id('756.9000.0102.11', 'CH', 'NI');
const NEW = id('MRN900777');

function observation(value: number): ClinicalRecord {
  return { type: 'observation', category: 'laboratory', code: { code: '2823-3', system: 'LN', display: 'Potassium' }, value: { kind: 'numeric', value, unit: 'mmol/L' }, status: 'F', time: '2025-03-02T07:40:00Z' };
}

function intake(identifiers: PatientIdentifier[], messageId: string, value = 4.2): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType: 'ORU^R01',
    patient: { identifiers, name: { family: 'Okafor', given: ['Chidi'] } },
    records: [observation(value)],
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CITYHOSP', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
  };
}

function freshDb(): VaultDb {
  return openVaultDb(`filing-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
}

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const db = freshDb();
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, context };
}
type Views = Awaited<ReturnType<typeof setup>>;

let messages = 0;
async function append(body: FakeBody, identifiers: PatientIdentifier[], value?: number): Promise<number> {
  const normalized = intake(identifiers, `MSG-${++messages}`, value);
  return (await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: '2025-03-02T08:00:00.000Z', rawBytes: 100, normalized } })).seq;
}

async function erase(views: Views, identifier: PatientIdentifier): Promise<void> {
  const patientId = await identifierPseudonym(views.keys.ledgerKey, identifier);
  await appendSealedRecord(views.body, { kind: 'erasure.patient', meta: { v: 1, patientId, messages: 1, records: 1, objects: 0 } });
}

/** Records no projector reads (skipped without opening), up to the first seq of the next write page. */
function fillToNextPage(body: FakeBody): void {
  const next = Math.ceil((body.journal.length + 1) / RECORDS_PER_PAGE) * RECORDS_PER_PAGE + 1;
  while (body.journal.length + 1 < next) body.journal.push({ seq: body.journal.length + 1, at: new Date(body.now).toISOString(), kind: 'test.filler', operator: null, objects: [], meta: null });
}

/** Every read of the aliases table: single gets and batches, with the identifiers each asked for. */
function countReads(db: VaultDb) {
  const reads = { gets: 0, batches: 0, ids: [] as string[] };
  const get = db.aliases.get.bind(db.aliases);
  const bulkGet = db.aliases.bulkGet.bind(db.aliases);
  vi.spyOn(db.aliases, 'get').mockImplementation(((key: string) => {
    reads.gets++;
    reads.ids.push(key);
    return get(key);
  }) as never);
  vi.spyOn(db.aliases, 'bulkGet').mockImplementation(((keys: string[]) => {
    reads.batches++;
    reads.ids.push(...keys);
    return bulkGet(keys);
  }) as never);
  return reads;
}

/** Which chart each message is filed on, and which chart holds which identifier. */
async function filed(db: VaultDb) {
  const rows = await db.messages.toArray();
  const aliases = await db.aliases.toArray();
  return {
    messages: rows.map((row) => [row.seq, row.patientId] as const).sort((a, b) => a[0] - b[0]),
    aliases: aliases.map((row) => [row.id, row.patientId, row.seq] as const).sort((a, b) => a[0].localeCompare(b[0])),
  };
}

/** The same journal replayed from 0 into fresh views. */
async function rebuilt(views: Views) {
  const db = freshDb();
  await replayJournal({ ...views.context, db });
  return filed(db);
}

const chart = (views: Views, identifier: PatientIdentifier) => identifierPseudonym(views.keys.ledgerKey, identifier);

describe('the replay reads each identifier once, in one batch per page', () => {
  it('40 messages of 10 patients (two identifiers each, either order): one batch, each identifier asked for once, no single reads', async () => {
    const views = await setup();
    const patients = Array.from({ length: 10 }, (_, p) => [id(`MRN${1000 + p}`), id(`NI${1000 + p}`, 'CH', 'NI')] as const);
    const named = (k: number) => {
      const [mrn, ni] = patients[k % 10]!;
      return k % 3 === 2 ? [ni] : k % 2 === 0 ? [mrn, ni] : [ni, mrn];
    };
    for (let k = 0; k < 40; k++) await append(views.body, named(k));
    const reads = countReads(views.db);
    await replayJournal(views.context);
    expect(reads.gets).toBe(0);
    expect(reads.batches).toBe(1);
    expect(reads.ids).toHaveLength(20);
    expect(new Set(reads.ids).size).toBe(20);
    // Every message of a patient on one chart, keyed by the identifier its first message listed first.
    const { messages: rows } = await filed(views.db);
    expect(new Set(rows.map(([, patientId]) => patientId)).size).toBe(10);
    for (let p = 0; p < 10; p++) {
      const first = await chart(views, named(p)[0]!);
      expect(rows.filter(([seq]) => (seq - 1) % 10 === p).map(([, patientId]) => patientId)).toEqual([first, first, first, first]);
    }
  });

  it("reads a page's rows before the previous page's write transaction starts (a read after it would wait for that write)", async () => {
    const views = await setup();
    await append(views.body, [MRN, AHV]);
    fillToNextPage(views.body);
    await append(views.body, [NEW]);
    fillToNextPage(views.body);
    await append(views.body, [AHV]);
    const events: string[] = [];
    const bulkGet = views.db.aliases.bulkGet.bind(views.db.aliases);
    vi.spyOn(views.db.aliases, 'bulkGet').mockImplementation(((keys: string[]) => {
      events.push(`read ${keys.length}`);
      return bulkGet(keys);
    }) as never);
    const transaction = views.db.transaction.bind(views.db) as (...args: unknown[]) => unknown;
    vi.spyOn(views.db, 'transaction').mockImplementation(((...args: unknown[]) => {
      if (args[0] === 'rw') events.push('write');
      return transaction(...args);
    }) as never);
    await replayJournal(views.context);
    // Page 3 names only AHV, known since page 1: nothing to read.
    expect(events).toEqual(['read 2', 'read 1', 'write', 'write', 'write']);
  });
});

describe('filing across page commits, erasures and replays', () => {
  it('a page commit between two messages of one patient: both on one chart, the identifiers decided before the commit not read again; a rebuild agrees', async () => {
    const views = await setup();
    await append(views.body, [MRN, AHV], 5.0);
    fillToNextPage(views.body);
    await append(views.body, [AHV], 6.0);
    fillToNextPage(views.body);
    await append(views.body, [NEW, MRN], 7.1);
    const reads = countReads(views.db);
    await replayJournal(views.context);
    const chartId = await chart(views, MRN);
    const result = await filed(views.db);
    expect(result.messages.map(([, patientId]) => patientId)).toEqual([chartId, chartId, chartId]);
    expect(result.aliases.map(([, patientId]) => patientId)).toEqual([chartId, chartId, chartId]);
    // Page 1 read MRN and AHV, page 3 only NEW: page 2 asked for nothing it did not know.
    expect(reads.gets).toBe(0);
    expect(reads.ids.sort()).toEqual([await chart(views, MRN), await chart(views, AHV), await chart(views, NEW)].sort());
    expect(await rebuilt(views)).toEqual(result);
  });

  for (const pages of ['one page', 'a page commit between them'] as const) {
    it(`an erasure between two messages naming the erased chart's identifier: the later one opens a chart anew, also when the identifier's row was read before (${pages}); a rebuild agrees`, async () => {
      const views = await setup();
      await append(views.body, [MRN, AHV], 5.0);
      await replayJournal(views.context);
      // This replay reads AHV's row (MRN's chart) for the first message, then meets the erasure.
      await append(views.body, [AHV], 6.0);
      await erase(views, MRN);
      if (pages === 'a page commit between them') fillToNextPage(views.body);
      const later = await append(views.body, [AHV], 7.1);
      if (pages === 'a page commit between them') fillToNextPage(views.body);
      const last = await append(views.body, [AHV, MRN], 3.9);
      await replayJournal(views.context);
      const anew = await chart(views, AHV);
      const result = await filed(views.db);
      expect(result.messages).toEqual([
        [later, anew],
        [last, anew],
      ]);
      expect(result.aliases).toEqual(
        [
          [anew, anew, later],
          [await chart(views, MRN), anew, last],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(await rebuilt(views)).toEqual(result);
    });
  }

  it('several replays give the charts one rebuild gives: identifiers added, reversed, shared by two charts, erased', async () => {
    const views = await setup();
    const OTHER = id('MRN555');
    const steps: (PatientIdentifier[] | 'replay' | 'erase-other' | 'page')[] = [
      [MRN],
      'replay',
      [OTHER],
      [AHV, MRN],
      'replay',
      [OTHER, AHV],
      'page',
      [NEW, OTHER],
      'replay',
      [AHV],
      'erase-other',
      [NEW],
      'replay',
      'page',
      [NEW, MRN],
      [OTHER],
    ];
    for (const step of steps) {
      if (step === 'replay') await replayJournal(views.context);
      else if (step === 'erase-other') await erase(views, OTHER);
      else if (step === 'page') fillToNextPage(views.body);
      else await append(views.body, step);
    }
    await replayJournal(views.context);
    const result = await filed(views.db);
    const [mrn, other, ahv, fresh] = await Promise.all([MRN, OTHER, AHV, NEW].map((identifier) => chart(views, identifier)));
    // OTHER's chart (its messages, the conflicting one and NEW's first) is erased: NEW then opens a chart
    // anew, a message naming NEW and MRN goes on NEW's (first in PID-3 order), and OTHER opens a chart anew.
    expect(result.messages.map(([, patientId]) => patientId)).toEqual([mrn, mrn, mrn, fresh, fresh, other]);
    expect(ahv).not.toBe(mrn);
    expect(await rebuilt(views)).toEqual(result);
  });
});

describe('PatientFiling keeps what it knows bounded', () => {
  it('past its limit it forgets what it read and reads again, deciding the same', async () => {
    const views = await setup();
    const db = views.db;
    const reads = countReads(db);
    const decide = async (limit: number) => {
      const filing = new PatientFiling(db, views.keys, views.context.tokens, limit);
      const charts: string[] = [];
      let seq = 100;
      for (let round = 0; round < 2; round++) {
        const page = [];
        for (let p = 0; p < 6; p++) page.push(await filing.fileOf(++seq, [id(`MRN${p}`), id(`NI${p}`, 'CH', 'NI')]));
        charts.push(...page.map((filing) => filing.patientId));
        // The page's write, as the replay does it: its rows in the views, then committed.
        await db.aliases.bulkPut(page.flatMap((filing) => filing.aliases));
        filing.committed(seq);
      }
      return charts;
    };
    const three = { id: await chart(views, id('NI3', 'CH', 'NI')), patientId: 'chart-of-three', seq: 1 };
    await db.aliases.put(three);
    const unbounded = await decide(1_000);
    const unboundedReads = reads.ids.length;
    await db.aliases.clear();
    await db.aliases.put(three);
    const bounded = await decide(2);
    expect(bounded).toEqual(unbounded);
    expect(unbounded[3]).toBe('chart-of-three');
    expect(unbounded[9]).toBe('chart-of-three');
    // Unbounded: each identifier read once (the rows it decided stay known after their commit).
    expect(unboundedReads).toBe(12);
    expect(reads.ids.length - unboundedReads).toBeGreaterThan(12);
  });
});
