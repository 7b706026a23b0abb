import { createPublicKey, createHash, verify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Signature, type Wallet } from 'ethers';
import { EntryHasher, GENESIS_PREV_HASH, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { exportLine } from '../../shared/ledger/ledger-export-format';
import { NotaryResultsSchema, verifyEntrySignature } from '../../shared/network/notary';
import { ENTRY_SIGNATURE_CHECKER } from '../../server/notary/entry-check-pool';
import { nativeEntrySignatureCheck } from '../../server/notary/native-secp256k1';
import { toBase64, utf8 } from '../../shared/transparency/bytes';
import { leafHash } from '../../shared/transparency/hash';
import type { Database } from '../../server/storage/database';
import { openBenchDatabase } from './bench-database';
import { startNotaryServer, type NotaryTestServer } from '../server/notary/support/notary-fixtures';
import { join, newTestNode } from '../server/support/member-client';
import { DEFAULT_PARAMETERS } from '../../server/network-map/network-parameters';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * The notary (issue 10 benchmarks), on a real PostgreSQL when its binaries are installed (a
 * throwaway cluster started here, fsync off as in the tests), else on PGlite — said in the output.
 *
 *   notary_entries_per_s              entries notarized per second over HTTP by SUBMITTERS concurrent
 *                                     nodes posting batches of BATCH signed entries and waiting for the
 *                                     answer: every check, queueing, integration by the sequencer
 *                                     (leaves, subtree rows, an Ed25519 receipt each, a signed
 *                                     checkpoint per integration) and the receipts with inclusion
 *                                     proofs. Target ≥ 2,000/s. Baseline, same run, same database:
 *                                     raw INSERTs of the same leaf rows (same columns, bulk, BATCH per
 *                                     statement) into a scratch table.
 *   notary_submit_to_integrated_p99_ms  p99 of one submission's answer time (post → receipts back).
 *                                     Target ≤ 2 s. Baseline: p99 of the raw INSERT statements.
 *   notary_entry_verify_per_s         the notary's per-entry signature check (libsecp256k1 where its
 *                                     addon loads: one recovery compared with the known key; else
 *                                     verifyEntrySignature with @noble/curves, also measured).
 *                                     Baseline: raw node:crypto (OpenSSL) secp256k1 verifies of
 *                                     SHA-256 digests with a known key — what node:crypto can do; it
 *                                     cannot check an EIP-712 (Keccak) digest.
 *   notary_inclusion_proofs_per_s     GET /v1/log/proof/inclusion answered per second (8 concurrent
 *                                     clients, random leaves). Baseline: GET /healthz per second.
 */
const SUBMITTERS = Number(process.env['HDMS_BENCH_NOTARY_SUBMITTERS'] ?? 4);
const BATCH = Number(process.env['HDMS_BENCH_NOTARY_BATCH'] ?? 250);
const BATCHES = Number(process.env['HDMS_BENCH_NOTARY_BATCHES'] ?? 8);
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 2);
const PROOF_MS = 3000;

interface Signed {
  readonly entry: LedgerEntry;
  readonly signature: string;
}

function signChain(wallet: Wallet, chainId: number, count: number, from: { seq: number; prev: string }): Signed[] {
  const hasher = new EntryHasher(ledgerDomain(chainId));
  const out: Signed[] = [];
  let prev = from.prev;
  for (let i = 0; i < count; i++) {
    const seq = from.seq + i + 1;
    const entry: LedgerEntry = { seq, prevHash: prev, kind: 'ACCESS', subject: ZERO_HASH, operator: ZERO_HASH, payloadHash: `0x${createHash('sha256').update(`${wallet.address}:${seq}`).digest('hex')}`, inputs: [], createdAt: Date.now(), node: wallet.address };
    const digest = hasher.hash(entry);
    const signature = Signature.from(wallet.signingKey.sign(digest)).serialized.toLowerCase();
    out.push({ entry, signature });
    prev = digest;
  }
  from.seq += count;
  from.prev = prev;
  return out;
}

async function postBatch(url: string, entries: readonly Signed[]): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/notary/entries`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ entries }) }).catch((error: Error) => {
    throw new Error(`the submission failed: ${String((error.cause as Error | undefined)?.message ?? error.message)}`);
  });
  const answer = NotaryResultsSchema.parse(await response.json());
  if (!answer.results.every((r) => r.status === 'notarized')) throw new Error(`a bench entry was not notarized: ${JSON.stringify(answer.results.find((r) => r.status !== 'notarized'))}`);
  return performance.now() - started;
}

async function rawInserts(db: Database, rows: readonly Signed[]): Promise<{ perSecond: number; latencies: number[] }> {
  await db.exec('DROP TABLE IF EXISTS bench_raw_leaves; CREATE TABLE bench_raw_leaves (leaf_index bigint PRIMARY KEY, leaf_hash bytea NOT NULL UNIQUE, line text NOT NULL, node text NOT NULL, seq bigint NOT NULL, entry_digest text NOT NULL, integrated_at bigint NOT NULL, receipt_signature bytea NOT NULL, UNIQUE (node, seq))');
  const latencies: number[] = [];
  const started = performance.now();
  for (let offset = 0; offset < rows.length; offset += BATCH) {
    const batch = rows.slice(offset, offset + BATCH).map((signed, i) => {
      const line = exportLine(signed);
      return { i: offset + i, h: Buffer.from(leafHash(utf8(line))).toString('hex'), line, node: signed.entry.node, seq: signed.entry.seq, d: signed.entry.prevHash, s: '00'.repeat(64) };
    });
    const t0 = performance.now();
    await db.query(
      `INSERT INTO bench_raw_leaves SELECT x.i, decode(x.h, 'hex'), x.line, x.node, x.seq, x.d, 0, decode(x.s, 'hex') FROM jsonb_to_recordset($1::jsonb) AS x(i bigint, h text, line text, node text, seq bigint, d text, s text)`,
      [JSON.stringify(batch)],
    );
    latencies.push(performance.now() - t0);
  }
  const perSecond = rows.length / ((performance.now() - started) / 1000);
  await db.exec('DROP TABLE bench_raw_leaves');
  return { perSecond, latencies };
}

async function requestsPerSecond(makeUrl: () => string, ms: number): Promise<number> {
  let count = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < deadline) {
        const response = await fetch(makeUrl());
        if (!response.ok) throw new Error(`${makeUrl()} answered ${response.status}`);
        await response.arrayBuffer();
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const bench: BenchModule = {
  title: 'notary: entries notarized/s with receipts and proofs (vs raw INSERTs), submit→integrated p99, entry verifies/s (vs raw node:crypto), inclusion proofs served/s',
  async run(log) {
    const { db, where, close } = await openBenchDatabase('notary_bench');
    log(`  database: ${where}`);
    let server: NotaryTestServer | null = null;
    try {
      const big = { max: 1_000_000, windowMs: 60_000 };
      // Every chain is signed before the server starts: signing blocks the event loop for seconds,
      // and a client that blocked past the server's keep-alive timeout reuses a closed socket.
      const chainId = DEFAULT_PARAMETERS.chainId;
      const nodes = Array.from({ length: SUBMITTERS }, () => ({ node: newTestNode(), head: { seq: 0, prev: GENESIS_PREV_HASH } }));
      const runs = Array.from({ length: RUNS }, () => nodes.map(({ node, head }) => signChain(node.wallet, chainId, BATCH * BATCHES, head)));
      const sample = signChain(nodes[0]!.node.wallet, chainId, 400, { seq: 0, prev: GENESIS_PREV_HASH });
      server = await startNotaryServer(db, { sequencer: { intervalMs: 250, minIntervalMs: 20 } }, undefined, { ipRateLimit: big, memberRateLimit: big, bodyLimit: 1024 * 1024 });
      if (server.network.parameters.chainId !== chainId) throw new Error('the bench network has another chain id than it signed for');
      for (const { node } of nodes) {
        await join(server.url, node, server.network.pinned);
        await server.membership.approve(node.wallet.address);
      }

      const rates: number[] = [];
      const rawRates: number[] = [];
      const latencies: number[] = [];
      const rawLatencies: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const chains = runs[run]!;
        const started = performance.now();
        await Promise.all(
          chains.map(async (chain) => {
            for (let b = 0; b < BATCHES; b++) latencies.push(await postBatch(server!.url, chain.slice(b * BATCH, (b + 1) * BATCH)));
          }),
        );
        const rate = (SUBMITTERS * BATCH * BATCHES) / ((performance.now() - started) / 1000);
        const raw = await rawInserts(db, chains.flat());
        rates.push(rate);
        rawRates.push(raw.perSecond);
        rawLatencies.push(...raw.latencies);
        log(`  run ${run + 1}: notarized ${rate.toFixed(0)} entries/s (raw INSERT ${raw.perSecond.toFixed(0)} rows/s), batch answer p99 ${percentile(latencies, 99).toFixed(0)} ms`);
      }

      // Signature checks: ours vs raw OpenSSL.
      const hasher0 = new EntryHasher(ledgerDomain(chainId));
      const wallet = nodes[0]!.node.wallet;
      verifyEntrySignature(hasher0.hash(sample[0]!.entry), sample[0]!.signature, new Uint8Array(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'))); // the key's table, as a member's first entry makes it
      const publicKey = new Uint8Array(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'));
      const hasher = hasher0;
      const digests = sample.map((s) => hasher.hash(s.entry));
      const notaryCheck = nativeEntrySignatureCheck ?? verifyEntrySignature;
      let t0 = performance.now();
      for (let i = 0; i < sample.length; i++) if (!notaryCheck(digests[i]!, sample[i]!.signature, publicKey)) throw new Error('bench signature did not verify');
      const ourVerifies = sample.length / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      for (let i = 0; i < sample.length; i++) if (!verifyEntrySignature(digests[i]!, sample[i]!.signature, publicKey)) throw new Error('bench signature did not verify');
      const nobleVerifies = sample.length / ((performance.now() - t0) / 1000);
      const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
      const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64(publicKey.subarray(1, 33)), y: b64(publicKey.subarray(33)) }, format: 'jwk' });
      const messages = digests.map((d) => Buffer.from(d.slice(2), 'hex'));
      const sigs = messages.map((m) => secp256k1.sign(createHash('sha256').update(m).digest(), Buffer.from(wallet.privateKey.slice(2), 'hex'), { prehash: false }));
      t0 = performance.now();
      for (let i = 0; i < messages.length; i++) if (!verify('sha256', messages[i]!, { key, dsaEncoding: 'ieee-p1363' }, sigs[i]!)) throw new Error('raw verify failed');
      const rawVerifies = messages.length / ((performance.now() - t0) / 1000);
      log(`  entry signature checks ${ourVerifies.toFixed(0)}/s with ${ENTRY_SIGNATURE_CHECKER} (@noble/curves ${nobleVerifies.toFixed(0)}/s; raw node:crypto verify ${rawVerifies.toFixed(0)}/s)`);

      // Inclusion proofs served.
      const size = (await db.query<{ size: number }>('SELECT size FROM log_state WHERE id = 1')).rows[0]!.size;
      const hashes = (await db.query<{ leaf_hash: Uint8Array }>('SELECT leaf_hash FROM log_leaves ORDER BY random() LIMIT 1000')).rows.map((row) => encodeURIComponent(toBase64(row.leaf_hash)));
      let pick = 0;
      const proofs = await requestsPerSecond(() => `${server!.url}/v1/log/proof/inclusion?leafHash=${hashes[pick++ % hashes.length]!}&treeSize=${size}`, PROOF_MS);
      const health = await requestsPerSecond(() => `${server!.url}/healthz`, PROOF_MS);
      log(`  inclusion proofs ${proofs.toFixed(0)}/s in a tree of ${size} (GET /healthz ${health.toFixed(0)}/s)`);

      const notes = `On ${where}. ${SUBMITTERS} submitters × ${BATCHES} batches of ${BATCH} per run; server, database and clients share this machine's ${(await import('node:os')).cpus().length} cores.`;
      const figures: FigureInput[] = [
        {
          figure: 'notary_entries_per_s',
          value: median(rates),
          runs: rates.length,
          target: { min: 2000 },
          baseline: { name: `raw bulk INSERTs of the same leaf rows (${BATCH} per statement), same database`, value: median(rawRates) },
          unit: 'entries/s',
          samples: rates,
          baselineSamples: rawRates,
          notes,
        },
        {
          figure: 'notary_submit_to_integrated_p99_ms',
          value: percentile(latencies, 99),
          p95: percentile(latencies, 95),
          runs: latencies.length,
          target: { max: 2000 },
          baseline: { name: `p99 of one raw INSERT statement of ${BATCH} rows`, value: percentile(rawLatencies, 99) },
          unit: 'ms',
          samples: latencies,
          notes: `${notes} One submission = one batch of ${BATCH}; its answer carries every receipt and inclusion proof.`,
        },
        {
          figure: 'notary_entry_verify_per_s',
          value: ourVerifies,
          runs: 1,
          target: { min: 2000 },
          baseline: { name: 'raw node:crypto (OpenSSL) secp256k1 verify with a known key, SHA-256 digests', value: rawVerifies },
          unit: 'verifies/s',
          notes: `Ours: the notary's check, ${ENTRY_SIGNATURE_CHECKER} (libsecp256k1: a recovery with the recovery bit compared with the key stored at join; the @noble/curves check nodes and auditors use did ${nobleVerifies.toFixed(0)}/s in the same run). node:crypto cannot verify a Keccak/EIP-712 digest: OpenSSL 3.0 has no Keccak-256 and always hashes the message.`,
        },
        {
          figure: 'notary_inclusion_proofs_per_s',
          value: proofs,
          runs: 1,
          target: { min: 1000 },
          baseline: { name: 'GET /healthz per second, same server and clients', value: health },
          unit: 'proofs/s',
          notes: `${notes} Tree of ${size} leaves; each proof is one batched read of subtree rows.`,
        },
      ];
      return figures;
    } finally {
      await server?.close();
      await close();
    }
  },
};

export default bench;
