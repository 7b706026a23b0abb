import { sha256, Wallet } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { verifyLedgerView } from '../../renderer/ledger/ledger-reader';
import type { LedgerRow } from '../../renderer/ledger/ledger-rows';
import { readVerifiedHead, storeVerifiedHead } from '../../renderer/ledger/verified-head';
import { openVaultDb } from '../../renderer/vault/views/vault-db';
import { EntryHasher, GENESIS_PREV_HASH, LEDGER_ENTRY_KINDS, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { median, type BenchModule, type FigureInput } from './bench-report';

/**
 * Unlocking a node with a 100,000-entry ledger (issue 10 item 8: "verifies in under a second"): what
 * the unlock now does — read the last verified head (its HMAC and the hash of that entry) and verify
 * only the entries after it — over a ledger view of 100,000 rows with 100 new entries, against the
 * same-run baseline of verifying every entry (measured on 1,000 entries and multiplied by 100: the
 * verification is linear). Runs the mind's own code in Node over fake-indexeddb (Chromium's
 * IndexedDB reads a row faster than fake-indexeddb does, so the figure is conservative); the rows
 * before the head are never read by a resumed verification, so they are cheap fillers here.
 */

const TOTAL = 100_000;
const NEW_ENTRIES = 100;
const FULL_SAMPLE = 1_000;
const ROUNDS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const domain = ledgerDomain();

function entryAt(seq: number, prevHash: string, node: string): LedgerEntry {
  const tag = new TextEncoder().encode(`unlock bench ${seq}`);
  return { seq, prevHash, kind: LEDGER_ENTRY_KINDS[seq % LEDGER_ENTRY_KINDS.length]!, subject: sha256(tag), operator: ZERO_HASH, payloadHash: sha256(Uint8Array.of(...tag, 1)), inputs: [], createdAt: 1_750_000_000_000 + seq, node };
}

function row(entry: LedgerEntry, signature: string): LedgerRow {
  return { seq: entry.seq, journalSeq: entry.seq, kind: entry.kind, subject: entry.subject, operator: entry.operator, createdAt: entry.createdAt, coversTo: entry.seq, entry, signature, summary: {} };
}

/** Signed entries from..to continuing from prevHash (signed with the raw key: the same bytes as ethers' signTypedData, faster to make). */
function signedRun(wallet: Wallet, from: number, to: number, prevHash: string): { rows: LedgerRow[]; head: string } {
  const hasher = new EntryHasher(domain);
  const rows: LedgerRow[] = [];
  let prev = prevHash;
  for (let seq = from; seq <= to; seq++) {
    const entry = entryAt(seq, prev, wallet.address);
    const digest = hasher.hash(entry);
    rows.push(row(entry, wallet.signingKey.sign(digest).serialized.toLowerCase()));
    prev = digest;
  }
  return { rows, head: prev };
}

const bench: BenchModule = {
  title: 'ledger verification at unlock: resumed after the verified head vs every entry (100k-entry ledger)',
  async run(log) {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const key = await globalThis.crypto.subtle.importKey('raw', globalThis.crypto.getRandomValues(new Uint8Array(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const db = openVaultDb('bench_unlock_verify', { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.open();
    // Rows 1…TOTAL − NEW_ENTRIES − 1: fillers (never read by a resumed check); then the verified
    // head and the new entries, a real signed chain.
    const headSeq = TOTAL - NEW_ENTRIES;
    log(`  filling a ledger view of ${TOTAL} rows…`);
    const fillerPrev = sha256(new TextEncoder().encode('filler'));
    for (let start = 1; start < headSeq; start += 10_000) {
      const end = Math.min(headSeq - 1, start + 9_999);
      await db.ledger.bulkPut(Array.from({ length: end - start + 1 }, (_, i) => row(entryAt(start + i, fillerPrev, wallet.address), `0x${'00'.repeat(65)}`)));
    }
    const tail = signedRun(wallet, headSeq, TOTAL, fillerPrev);
    await db.ledger.bulkPut(tail.rows);
    const headHash = new EntryHasher(domain).hash(tail.rows[0]!.entry as LedgerEntry);
    await storeVerifiedHead(db, key, { seq: headSeq, head: headHash, at: new Date().toISOString() });

    const resumed: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const started = performance.now();
      const from = await readVerifiedHead(db, key, domain);
      if (from === null) throw new Error('the verified head did not hold');
      const result = await verifyLedgerView(() => db, domain, wallet.address, from);
      const ms = performance.now() - started;
      if (!result.ok || result.entries !== TOTAL) throw new Error(`resumed verification failed: ${JSON.stringify(result)}`);
      if (round > 0) resumed.push(ms);
      log(`  round ${round}: resumed verification of ${NEW_ENTRIES} new entries in a ${TOTAL}-entry ledger: ${ms.toFixed(0)} ms`);
    }
    db.close();

    // Baseline: every entry, as before (a 1,000-entry chain, ×100).
    const fullDb = openVaultDb('bench_full_verify', { indexedDB: new IDBFactory(), IDBKeyRange });
    await fullDb.open();
    await fullDb.ledger.bulkPut(signedRun(wallet, 1, FULL_SAMPLE, GENESIS_PREV_HASH).rows);
    const fullSamples: number[] = [];
    for (let round = 0; round < 2; round++) {
      const started = performance.now();
      const result = await verifyLedgerView(() => fullDb, domain, wallet.address);
      if (!result.ok) throw new Error('full verification failed');
      fullSamples.push(((performance.now() - started) * TOTAL) / FULL_SAMPLE);
    }
    fullDb.close();
    log(`  every entry: ${(median(fullSamples) / 1000).toFixed(1)} s for ${TOTAL} (from ${FULL_SAMPLE}, ×${TOTAL / FULL_SAMPLE})`);

    const figures: FigureInput[] = [
      {
        figure: 'ledger_unlock_verify_100k_ms',
        value: median(resumed),
        runs: resumed.length,
        target: { max: 1000 },
        baseline: { name: `verifying every entry of a ${TOTAL}-entry ledger at unlock, as before (measured on ${FULL_SAMPLE} entries, ×${TOTAL / FULL_SAMPLE})`, value: median(fullSamples) },
        unit: 'ms',
        samples: resumed,
        baselineSamples: fullSamples,
        notes: `Resumed after the verified head with ${NEW_ENTRIES} new entries: read and check the head's HMAC and hash, then verify the new entries (ethers verifyTypedData each). Node + fake-indexeddb.`,
      },
    ];
    return figures;
  },
};

export default bench;
