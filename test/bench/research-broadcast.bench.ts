import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { openMessage, sealBroadcast, sealMessage, type RelayEnvelope } from '../../shared/network/relay';
import { decodePayload, encodePayload } from '../../shared/network/relay-payload';
import { DEFAULT_MIN_CELL_SIZE, keyList, type CohortMember } from '../../shared/research/cohort-answer';
import type { QueryAnswerPayload } from '../../shared/research/query-answer';
import { SEARCH_ROUTES, signKeywordQuery, verifyKeywordQuery } from '../../shared/research/search-api';
import { signedFetch } from '../server/support/member-client';
import { openStream, relayMember, send, startRelayServer, type RelayNode, type RelayTestServer, type StreamClient } from '../server/relay/support/relay-fixtures';
import { openBenchDatabase } from './bench-database';
import { median, percentile, type BenchModule } from './bench-report';

/**
 * A keyword query broadcast to CLINICS simulated clinic members (issue 14's benchmark): one relay,
 * real WebSockets, every message sealed and opened as nodes do. Per run, the researcher signs the
 * query (EIP-712), posts it to the Data Search Service, seals it to each clinic and posts the
 * broadcast; each clinic, holding an open relay stream, opens the envelope, checks the query's
 * signature, builds an answer of KEY_LIST entries (generalization and suppression of a synthetic
 * cohort: the evaluation over a clinic's own views is the research-answer bench), seals it to the
 * researcher and posts it; the researcher's stream receives them. Measured: from the start of the
 * researcher's signing to the last answer opened, p50 and p95 over RUNS queries.
 *
 * Baseline, same process and run: a bare `ws` hub forwarding a frame of the query's size from the
 * researcher to CLINICS clients and their answer frames (of the answers' size) back (no
 * authentication, database or cryptography).
 *
 * Server, clinics and researcher share this process (and its 2 cores).
 */
const CLINICS = Number(process.env['HDMS_BENCH_SEARCH_CLINICS'] ?? 50);
const RUNS = Number(process.env['HDMS_BENCH_SEARCH_RUNS'] ?? 20);
const KEY_LIST = 200;

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

/** A clinic: its stream answers every keyword query it receives. */
async function simulatedClinic(server: RelayTestServer, clinic: RelayNode, researcher: RelayNode, cohort: readonly CohortMember[]): Promise<StreamClient> {
  const stream = await openStream(server, clinic);
  const chainId = server.network.parameters.chainId;
  stream.ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; envelope?: RelayEnvelope };
    if (frame.type !== 'message') return;
    void (async () => {
      const opened = await openMessage(frame.envelope, clinic.messagePrivateKey, clinic.wallet.address, { resolveSender: () => true });
      const payload = decodePayload(opened.payload);
      if (payload?.type !== 'keyword-query') return;
      const signed = verifyKeywordQuery({ chainId }, payload.signed);
      if (signed === null) throw new Error('a query did not verify');
      const answer: QueryAnswerPayload = {
        type: 'query-answer',
        queryId: signed.query.queryId,
        bucket: { kind: 'count', roundedUp: Math.ceil(cohort.length / 10) * 10 },
        keyList: keyList(cohort, { today: '2026-12-05', minCellSize: DEFAULT_MIN_CELL_SIZE, randomKey: () => randomHex(16) }).map((entry) => ({ ...entry, dataTypes: [...entry.dataTypes] })),
        keyListTruncated: false,
        offer: { offerId: `0x${randomHex(32)}`, currency: 'PHD', pricePerRecord: '1', profile: 'hipaa-safe-harbor-k', k: 5, records: cohort.length, validUntil: signed.query.expiresAt },
        repeat: false,
        answeredAt: new Date().toISOString(),
      };
      const envelope = await sealMessage({ signer: clinic.signer, recipient: researcher.wallet.address, recipientMessageKey: signed.query.answerKey, payload: encodePayload(answer), ttlMs: 3600_000 });
      const response = await send(server, clinic, [envelope]);
      if (response.status !== 201) throw new Error(`an answer was refused: ${response.status}`);
    })().catch((error: unknown) => console.error(error));
  });
  return stream;
}

async function searchRuns(server: RelayTestServer, researcher: RelayNode, clinics: readonly RelayNode[], log: (line: string) => void): Promise<{ samples: number[]; queryBytes: number; answerBytes: number }> {
  const cohort: CohortMember[] = Array.from({ length: KEY_LIST }, (_, i) => ({ birthDate: `${1950 + (i % 40)}-05-05`, sex: i % 2 === 0 ? 'F' : 'M', dataTypes: new Set(i % 3 === 0 ? ['labs', 'vitals'] : ['labs']), years: { first: 2019, last: 2024 } }));
  const streams: StreamClient[] = [];
  for (const clinic of clinics) streams.push(await simulatedClinic(server, clinic, researcher, cohort));
  const inbox = await openStream(server, researcher);
  const chainId = server.network.parameters.chainId;
  const answerKey = researcher.messageKey;
  let waiting: { queryId: string; left: Set<string>; done: () => void } | null = null;
  let answerBytes = 0;
  inbox.ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; envelope?: RelayEnvelope };
    if (frame.type !== 'message') return;
    void (async () => {
      const opened = await openMessage(frame.envelope, researcher.messagePrivateKey, researcher.wallet.address, { resolveSender: () => true });
      const payload = decodePayload(opened.payload);
      if (payload?.type !== 'query-answer' || waiting === null || payload.queryId !== waiting.queryId) return;
      answerBytes = opened.payload.length;
      waiting.left.delete(opened.from);
      if (waiting.left.size === 0) waiting.done();
    })();
  });
  const samples: number[] = [];
  let queryBytes = 0;
  try {
    for (let run = -1; run < RUNS; run++) {
      const started = performance.now();
      const query = { queryId: `0x${randomHex(32)}`, terms: ['E11', '4548-4'], filters: { ageFrom: 40, ageTo: 65 }, purpose: 'research-sale' as const, researcher: researcher.wallet.address, answerKey, expiresAt: new Date(Date.now() + 86_400_000).toISOString() };
      const signed = await signKeywordQuery(researcher.wallet, chainId, query);
      const posted = await signedFetch(server.url, researcher, server.network.pinned, SEARCH_ROUTES.queries, { method: 'POST', body: JSON.stringify(signed) });
      if (posted.status !== 201) throw new Error(`the search service answered ${posted.status}`);
      const payload = encodePayload({ type: 'keyword-query', signed });
      queryBytes = payload.length;
      const envelopes = await sealBroadcast({ signer: researcher.signer, role: 'clinic', recipients: clinics.map((c) => ({ address: c.wallet.address, messageKey: c.messageKey })), payload, ttlMs: 86_400_000 });
      const all = new Promise<void>((resolve) => {
        waiting = { queryId: query.queryId, left: new Set(clinics.map((c) => c.wallet.address)), done: resolve };
      });
      const response = await send(server, researcher, envelopes);
      if (response.status !== 201) throw new Error(`the broadcast was refused: ${response.status}`);
      await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${clinics.length - (waiting?.left.size ?? 0)} of ${clinics.length} answers within 60 s`)), 60_000))]);
      const ms = performance.now() - started;
      // Run -1 warms up (JIT, connections, plans) and is not counted.
      if (run >= 0) {
        samples.push(ms);
        log(`  query ${run + 1}/${RUNS}: all ${clinics.length} answers after ${ms.toFixed(0)} ms`);
      }
    }
  } finally {
    for (const stream of [...streams, inbox]) stream.ws.terminate();
  }
  return { samples, queryBytes, answerBytes };
}

/** The yardstick: a bare ws hub forwarding one frame out to every clinic and each answer back. */
async function rawRoundTrips(queryBytes: number, answerBytes: number): Promise<number[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  let researcherSocket: WebSocket | null = null;
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('R')) {
        researcherSocket = socket;
        if (text.length > 1) for (const client of wss.clients) if (client !== socket) client.send(text);
      } else researcherSocket?.send(text);
    });
  });
  const connect = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return ws;
  };
  const answer = `A${'x'.repeat(Math.ceil((answerBytes * 4) / 3))}`;
  const clients: WebSocket[] = [];
  for (let i = 0; i < CLINICS; i++) {
    const ws = await connect();
    ws.on('message', () => ws.send(answer));
    clients.push(ws);
  }
  const researcher = await connect();
  researcher.send('R');
  while (wss.clients.size < CLINICS + 1 || researcherSocket === null) await new Promise((resolve) => setTimeout(resolve, 10));
  const samples: number[] = [];
  try {
    for (let run = -1; run < RUNS; run++) {
      let left = CLINICS;
      const all = new Promise<void>((resolve) => {
        const onAnswer = () => {
          if (--left === 0) {
            researcher.off('message', onAnswer);
            resolve();
          }
        };
        researcher.on('message', onAnswer);
      });
      const started = performance.now();
      researcher.send(`R${'q'.repeat(Math.ceil((queryBytes * 4) / 3))}`);
      await all;
      if (run >= 0) samples.push(performance.now() - started);
    }
  } finally {
    for (const ws of [...clients, researcher]) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  return samples;
}

const bench: BenchModule = {
  title: `data search: a keyword query broadcast to ${CLINICS} simulated clinics through one relay, time to all answers (vs a bare ws hub round trip)`,
  async run(log) {
    const { db, where, close } = await openBenchDatabase('search_bench');
    log(`  database: ${where}`);
    let server: RelayTestServer | null = null;
    try {
      server = await startRelayServer(db, { limits: { memberRateLimit: { max: 1_000_000, windowMs: 60_000 }, ipRateLimit: { max: 1_000_000, windowMs: 60_000 }, joinRateLimit: { max: 1_000_000, windowMs: 60_000 } } });
      const researcher = await relayMember(server, ['research']);
      const clinics: RelayNode[] = [];
      for (let i = 0; i < CLINICS; i++) clinics.push(await relayMember(server, ['clinic']));
      log(`  ${CLINICS} clinics and a research institute joined and approved`);
      const search = await searchRuns(server, researcher, clinics, log);
      const raw = await rawRoundTrips(search.queryBytes, search.answerBytes);
      return [
        {
          figure: 'search_broadcast_all_answers_ms',
          value: median(search.samples),
          p95: percentile(search.samples, 95),
          runs: RUNS,
          // The issue names no target: measured against the bare round trip.
          target: {},
          baseline: { name: `bare ws hub: one ${search.queryBytes}-byte frame out to ${CLINICS} clients and a ${search.answerBytes}-byte frame back from each, same process`, value: median(raw), p95: percentile(raw, 95) },
          unit: 'ms',
          samples: search.samples,
          baselineSamples: raw,
          notes: `${where}. ${CLINICS} clinics, each answering with a ${KEY_LIST}-entry KEY list (${search.answerBytes}-byte answers, ${search.queryBytes}-byte queries); ${RUNS} queries. Includes the researcher's EIP-712 signing, the search-service POST, sealing ${CLINICS} envelopes, each clinic's opening, signature check, answer building and sealing, and the researcher opening every answer.`,
        },
      ];
    } finally {
      await server?.close();
      await close();
    }
  },
};

export default bench;
