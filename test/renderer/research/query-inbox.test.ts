import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Wallet } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import type { NetworkState } from '../../../shared/ipc/network-contract';
import { openMessage, type RelayEnvelope } from '../../../shared/network/relay';
import { decodePayload } from '../../../shared/network/relay-payload';
import type { KeywordQuery } from '../../../shared/research/keyword-query';
import type { QueryAnswerPayload, QueryDeclinedPayload } from '../../../shared/research/query-answer';
import { signKeywordQuery, type SignedKeywordQuery } from '../../../shared/research/search-api';
import { createVaultService } from '../../../renderer/vault/create-vault-service';
import { ledgerKindOf } from '../../../renderer/ledger/ledger-details';
import { appendSealedRecord, createFakeBody, type FakeBody } from '../vault/support/fake-body';

/**
 * A clinic answering researchers' queries (issue 14 items 3 and 4; its Tests: consent gating, the
 * minimum cell size, KEY-list keys within and after the repeat window, budget and lockout). The
 * clinic's mind runs on a fake body whose network answers as a server would: the open queries of
 * the Data Search Service, the network map, and the relay taking the sealed answers, which the test
 * opens with the researcher's message key as the research node would.
 */
const CHAIN_ID = 31337;
const DAY = 24 * 3600_000;
const hba1c: NormalizedIntake['records'][number] = { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 9.5, unit: '%' }, status: 'F', time: '2025-06-01T08:00:00Z' };

async function admit(body: FakeBody, i: number): Promise<void> {
  const patient: Patient = { identifiers: [{ value: `MRN-${1000 + i}`, authority: 'CLINIC', type: 'MR' }], name: { family: `Qatest${String.fromCharCode(97 + (i % 26))}${i}`, given: ['Test'] }, birthDate: '1970-05-05', sex: i % 2 === 0 ? 'F' : 'M' };
  const normalized: NormalizedIntake = {
    channel: 'hl7-mllp',
    messageId: `LAB${i}`,
    messageType: 'ORU^R01',
    patient,
    records: [hba1c],
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: `LAB${i}`.padEnd(64, '0'), payloadSha256: 'b'.repeat(64) },
  };
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-06-01T08:20:00.000Z', rawBytes: 100, normalized } });
}

async function setup(patients: number) {
  const researcher = Wallet.createRandom();
  const keyPair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits', 'deriveKey'])) as CryptoKeyPair;
  const answerKey = `0x${Buffer.from(await crypto.subtle.exportKey('raw', keyPair.publicKey)).toString('hex')}`;
  const clock = { now: Date.parse('2026-12-01T09:00:00.000Z') };
  const open: SignedKeywordQuery[] = [];
  const sent: RelayEnvelope[] = [];
  const state: NetworkState = {
    url: 'https://hdms.example.org',
    network: { name: 'Example Network', address: '0x2222222222222222222222222222222222222222', chainId: CHAIN_ID, fingerprint: 'AAAA' },
    node: '0x1111111111111111111111111111111111111111',
    roles: ['clinic'],
    status: 'approved',
    certificate: null,
    map: { epoch: 1, members: [{ address: researcher.address, legalName: 'North Research Institute', country: 'DE', roles: ['research'], messageKey: answerKey }], witnessQuorum: 0, minAppVersion: '0.1.0', logKey: '' },
    joinedAt: '2026-12-01T08:00:00.000Z',
    lastContactAt: '2026-12-01T08:00:00.000Z',
    problem: null,
    sync: null,
  };
  const body = createFakeBody({
    now: new Date(clock.now),
    handlers: {
      'network.status': () => ({ state }),
      'network.openQueries': ({ after }: { after: number }) => ({ queries: open.map((signed, i) => ({ seq: i + 1, signed })).filter((entry) => entry.seq > after), next: open.length }),
      'network.send': ({ envelopes }: { envelopes: RelayEnvelope[] }) => {
        sent.push(...envelopes);
        return { stored: envelopes.length, duplicates: [] };
      },
    },
  });
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false }, searchClock: () => clock.now });
  await vault.ready();
  await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
  for (let i = 0; i < patients; i++) await admit(body, i);
  await vault.sync();
  await vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review', pricePerRecord: '3' });

  let n = 0;
  /** The researcher posts a query; the clinic takes it from the search service and answers (or declines); the answer as the researcher opens it. */
  const ask = async (terms: readonly string[] = ['Hemoglobin A1c'], how: 'answer' | 'decline' = 'answer'): Promise<QueryAnswerPayload | QueryDeclinedPayload> => {
    clock.now += 11 * 60_000;
    body.now = clock.now;
    const query: KeywordQuery = { queryId: `0x${(++n).toString(16).padStart(64, '0')}`, terms: [...terms], filters: {}, purpose: 'research-sale', researcher: researcher.address, answerKey, expiresAt: new Date(clock.now + DAY).toISOString() };
    open.push(await signKeywordQuery(researcher, CHAIN_ID, query));
    await vi.waitFor(
      async () => {
        await vault.sync();
        expect((await vault.dataSearch.inbox.incoming()).some((q) => q.queryId === query.queryId)).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );
    const before = sent.length;
    await (how === 'answer' ? vault.dataSearch.inbox.answer(query.queryId) : vault.dataSearch.inbox.decline(query.queryId));
    await vault.sync();
    expect(sent).toHaveLength(before + 1);
    const opened = await openMessage(sent.at(-1)!, keyPair.privateKey, researcher.address, { resolveSender: () => true });
    const payload = decodePayload(opened.payload);
    if (payload === null || (payload.type !== 'query-answer' && payload.type !== 'query-declined')) throw new Error('not an answer');
    expect(payload.queryId).toBe(query.queryId);
    return payload;
  };
  const later = (ms: number) => {
    clock.now += ms;
    body.now = clock.now;
  };
  return { vault, body, ask, later };
}

describe('a clinic answering keyword queries', () => {
  it('answers within the minimum cell size at 10, 11 and 12 matches: "fewer than 11", then 20 with a KEY list and an offer', async () => {
    const { vault, body, ask, later } = await setup(12);
    const ids = (await vault.search('Hemoglobin')).patientIds;
    expect(ids).toHaveLength(12);
    const twelve = (await ask()) as QueryAnswerPayload;
    expect(twelve.bucket).toEqual({ kind: 'count', roundedUp: 20 });
    expect(twelve.keyList).toHaveLength(12);
    expect(twelve.offer).toMatchObject({ pricePerRecord: '3', records: 12, k: 5 });
    // One refuses: 11 — after the repeat window, so it is a new answer.
    await vault.research.record({ patientId: ids[0]!, purpose: 'research-sale', state: 'refused', decidedOn: '2026-11-01' });
    later(8 * DAY);
    const eleven = (await ask()) as QueryAnswerPayload;
    expect(eleven.repeat).toBe(false);
    expect(eleven.bucket).toEqual({ kind: 'count', roundedUp: 20 });
    expect(eleven.keyList).toHaveLength(11);
    // Another: 10, "fewer than 11", no list, no offer.
    await vault.research.record({ patientId: ids[1]!, purpose: 'research-sale', state: 'withdrawn', decidedOn: '2026-11-02' });
    later(8 * DAY);
    const ten = (await ask()) as QueryAnswerPayload;
    expect(ten.bucket).toEqual({ kind: 'fewer', than: 11 });
    expect(ten.keyList).toEqual([]);
    expect(ten.offer).toBeNull();
    // The clinic's list says what each got; the ledger signs each as QUERY_ANSWERED.
    const incoming = await vault.dataSearch.inbox.incoming();
    expect(incoming.map((q) => [q.state, q.answered?.bucket])).toEqual([
      ['answered', 'fewer than 11'],
      ['answered', '20 (rounded up to the next 10)'],
      ['answered', '20 (rounded up to the next 10)'],
    ]);
    expect(incoming[0]!.institution).toBe('North Research Institute');
    // Each answer is a `query.answered` mind event, which the ledger signs as QUERY_ANSWERED (the
    // real body's round trip: test/integration/network-search.test.ts); its plaintext names no patient.
    const answered = body.journal.filter((record) => record.kind === 'query.answered');
    expect(answered).toHaveLength(3);
    expect(ledgerKindOf('query.answered')).toBe('QUERY_ANSWERED');
    for (const record of answered) expect(JSON.stringify(record)).not.toMatch(/Qatest|MRN-10/);
  });

  it('serves the same keys within the repeat window and new ones after it; a withdrawn patient leaves even a repeated answer', async () => {
    const { vault, ask, later } = await setup(14);
    const first = (await ask()) as QueryAnswerPayload;
    expect(first.keyList).toHaveLength(14);
    later(DAY);
    // The same query in other words (case, spacing, order): the first answer again.
    const again = (await ask(['  hemoglobin   a1c '])) as QueryAnswerPayload;
    expect(again.repeat).toBe(true);
    expect(again.keyList.map((e) => e.key)).toEqual(first.keyList.map((e) => e.key));
    // A patient withdraws: the repeat leaves their entry out (13 keys, all from the first answer).
    const ids = (await vault.search('Hemoglobin')).patientIds;
    await vault.research.record({ patientId: ids[3]!, purpose: 'research-sale', state: 'withdrawn', decidedOn: '2026-12-01' });
    const afterWithdrawal = (await ask()) as QueryAnswerPayload;
    expect(afterWithdrawal.repeat).toBe(true);
    expect(afterWithdrawal.keyList).toHaveLength(13);
    for (const entry of afterWithdrawal.keyList) expect(first.keyList.map((e) => e.key)).toContain(entry.key);
    expect(afterWithdrawal.offer?.records).toBe(13);
    // After the 7-day window: a new answer, with new keys.
    later(8 * DAY);
    const fresh = (await ask()) as QueryAnswerPayload;
    expect(fresh.repeat).toBe(false);
    expect(fresh.keyList).toHaveLength(13);
    const old = new Set(first.keyList.map((e) => e.key));
    expect(fresh.keyList.filter((e) => old.has(e.key))).toEqual([]);
  });

  it('locks out a researcher at the 7th repeat within 30 days, shows the lockout, and declines when an administrator says so', async () => {
    const { vault, ask } = await setup(3);
    const first = (await ask()) as QueryAnswerPayload;
    expect(first.bucket).toEqual({ kind: 'fewer', than: 11 });
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++) outcomes.push(((await ask()) as QueryAnswerPayload | QueryDeclinedPayload).type);
    // Six repeats served, the 7th locks out.
    expect(outcomes).toEqual(['query-answer', 'query-answer', 'query-answer', 'query-answer', 'query-answer', 'query-answer', 'query-declined']);
    // Locked: even a new query is declined.
    expect(await ask(['Other words'])).toEqual(expect.objectContaining({ type: 'query-declined', reason: 'locked-out' }));
    const newest = (await vault.dataSearch.inbox.incoming())[0]!;
    expect(newest.state).toBe('declined');
    expect(newest.declined?.reason).toMatch(/locked out/);
    expect(newest.declined?.lockedUntil).not.toBeNull();
  });

  it('an administrator declines a query: the researcher is told, and it cannot be answered afterwards', async () => {
    const { vault, ask } = await setup(3);
    expect(await ask(['Hemoglobin A1c'], 'decline')).toEqual(expect.objectContaining({ type: 'query-declined', reason: 'declined' }));
    const [query] = await vault.dataSearch.inbox.incoming();
    expect(query!.state).toBe('declined');
    await expect(vault.dataSearch.inbox.answer(query!.queryId)).rejects.toThrow(/answered or declined already/);
  });
});
