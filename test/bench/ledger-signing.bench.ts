import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, Wallet } from 'ethers';
import { verifyLedgerFile } from '../../electron/ledger/ledger-file-verify';
import { exportHeader, exportLine } from '../../shared/ledger/ledger-export-format';
import { EntryHasher, GENESIS_PREV_HASH, LEDGER_ENTRY_KINDS, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { signEntry } from '../../shared/ledger/ledger-sign';
import { verifyLedger } from '../../shared/ledger/ledger-verify';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * The signed ledger's crypto (the ledger issue's benchmarks):
 *
 *   ledger_sign_entries_per_s    what the mind's writer does per entry: strict zod validation +
 *                                ethers signTypedData (EIP-712 hash + secp256k1 sign, RFC 6979).
 *   ledger_verify_entries_per_s  what "Verify ledger" and the CLI do per entry: strict schema, the
 *                                EIP-712 hash for the chain, ethers.verifyTypedData (public-key
 *                                recovery) compared with the node address.
 *     Baseline for both, same run, same digests: raw @noble/curves 2 secp256k1 sign / verify of the
 *     32-byte EIP-712 digests (prehash off, low-S), i.e. the curve arithmetic alone with nothing
 *     around it. Rounds alternate ethers / noble so drift hits both alike.
 *   ledger_verify_export_100k_s  wall time of the CLI's verifier (electron/ledger/ledger-file-verify.ts:
 *                                streaming read, JSON parse, schema, chain, verifyTypedData) over an
 *                                export of 100,000 entries. Generating and verifying 100k entries
 *                                takes minutes on a 2-core VM, so by default the bench measures
 *                                10,000 and multiplies by 10 (verification is linear: one pass, no
 *                                state but the previous hash); HDMS_BENCH_LEDGER_ENTRIES=100000
 *                                measures the real thing. Baseline: noble verify of the same count,
 *                                scaled the same way.
 */

const ROUNDS = Number(process.env['HDMS_BENCH_RUNS'] ?? 7);
const PER_ROUND = 200;
const EXPORT_ENTRIES = Number(process.env['HDMS_BENCH_LEDGER_ENTRIES'] ?? 10_000);
const EXPORT_TARGET = 100_000;

const domain = ledgerDomain();
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.slice(2), 'hex'));

function entryAt(seq: number, prevHash: string, node: string): LedgerEntry {
  const tag = new TextEncoder().encode(`bench ${seq}`);
  return {
    seq,
    prevHash,
    kind: LEDGER_ENTRY_KINDS[seq % LEDGER_ENTRY_KINDS.length]!,
    subject: sha256(tag),
    operator: ZERO_HASH,
    payloadHash: sha256(Uint8Array.of(...tag, 1)),
    inputs: [sha256(Uint8Array.of(...tag, 2))],
    createdAt: 1_750_000_000_000 + seq,
    node,
  };
}

/** A valid chain of n signed entries (signed with the raw key via ethers' SigningKey: the same bytes, faster to make). */
function buildChain(wallet: Wallet, n: number): { entry: LedgerEntry; signature: string; digest: string }[] {
  const hasher = new EntryHasher(domain);
  const out: { entry: LedgerEntry; signature: string; digest: string }[] = [];
  let prev = GENESIS_PREV_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const entry = entryAt(seq, prev, wallet.address);
    const digest = hasher.hash(entry);
    out.push({ entry, signature: wallet.signingKey.sign(digest).serialized.toLowerCase(), digest });
    prev = digest;
  }
  return out;
}

const bench: BenchModule = {
  title: 'signed ledger: entries signed/s and verified/s (ethers vs raw @noble/curves), verifying a 100k-entry export',
  async run(log) {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const secret = hex(wallet.privateKey);
    const publicKey = hex(wallet.signingKey.compressedPublicKey);
    const node = wallet.address;
    const hasher = new EntryHasher(domain);

    // Sign: ethers (as the writer) vs noble on the same digests.
    const signSamples: number[] = [];
    const nobleSignSamples: number[] = [];
    const verifySamples: number[] = [];
    const nobleVerifySamples: number[] = [];
    let seqBase = 0;
    for (let round = 0; round < ROUNDS + 1; round++) {
      const entries = Array.from({ length: PER_ROUND }, (_, i) => entryAt(seqBase + i + 1, GENESIS_PREV_HASH, node));
      seqBase += PER_ROUND;
      const digests = entries.map((entry) => hex(hasher.hash(entry)));

      let started = performance.now();
      const signed: { entry: LedgerEntry; signature: string }[] = [];
      for (const entry of entries) signed.push(await signEntry(wallet, domain, entry));
      const signRate = PER_ROUND / ((performance.now() - started) / 1000);

      started = performance.now();
      const nobleSigs = digests.map((digest) => secp256k1.sign(digest, secret, { prehash: false }));
      const nobleSignRate = PER_ROUND / ((performance.now() - started) / 1000);

      // Verify: a valid chain of the same entries (re-linked), through the shared verifier.
      const chain = buildChain(wallet, PER_ROUND);
      started = performance.now();
      const result = await verifyLedger(chain, { domain, node });
      const verifyRate = PER_ROUND / ((performance.now() - started) / 1000);
      if (!result.ok) throw new Error(`bench chain did not verify: ${result.firstBreak.problem}`);

      started = performance.now();
      let good = 0;
      for (let i = 0; i < PER_ROUND; i++) if (secp256k1.verify(nobleSigs[i]!, digests[i]!, publicKey, { prehash: false })) good++;
      const nobleVerifyRate = PER_ROUND / ((performance.now() - started) / 1000);
      if (good !== PER_ROUND || signed.length !== PER_ROUND) throw new Error('bench signatures did not verify');

      if (round === 0) continue; // warm-up
      signSamples.push(signRate);
      nobleSignSamples.push(nobleSignRate);
      verifySamples.push(verifyRate);
      nobleVerifySamples.push(nobleVerifyRate);
      log(`  round ${round}: sign ${signRate.toFixed(0)}/s (noble ${nobleSignRate.toFixed(0)}/s), verify ${verifyRate.toFixed(0)}/s (noble ${nobleVerifyRate.toFixed(0)}/s)`);
    }

    // The export: build EXPORT_ENTRIES entries, write the file, time the CLI's verifier over it.
    log(`  building an export of ${EXPORT_ENTRIES} entries…`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-ledger-bench-'));
    let exportSeconds: number;
    let nobleSeconds: number;
    try {
      const chain = buildChain(wallet, EXPORT_ENTRIES);
      const file = path.join(dir, 'ledger.jsonl');
      const lines = [JSON.stringify(exportHeader(domain, node, chain.length, new Date())), ...chain.map(exportLine)];
      await writeFile(file, `${lines.join('\n')}\n`);
      let started = performance.now();
      const checked = await verifyLedgerFile(file);
      exportSeconds = (performance.now() - started) / 1000;
      if (!checked.ok) throw new Error(`bench export did not verify: ${checked.firstBreak.problem}`);
      const sigs = chain.map((item) => secp256k1.Signature.fromHex(item.signature.slice(2, 130), 'compact'));
      started = performance.now();
      for (let i = 0; i < chain.length; i++) secp256k1.verify(sigs[i]!.toBytes('compact'), hex(chain[i]!.digest), publicKey, { prehash: false });
      nobleSeconds = (performance.now() - started) / 1000;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const scale = EXPORT_TARGET / EXPORT_ENTRIES;
    log(`  verified ${EXPORT_ENTRIES} entries in ${exportSeconds.toFixed(1)} s (noble alone ${nobleSeconds.toFixed(1)} s)${scale === 1 ? '' : `; ×${scale} for 100k`}`);

    const figures: FigureInput[] = [
      {
        figure: 'ledger_sign_entries_per_s',
        value: median(signSamples),
        p95: percentile(signSamples, 5),
        runs: signSamples.length,
        target: { min: 500 },
        baseline: { name: `raw @noble/curves secp256k1.sign of the same EIP-712 digests (${PER_ROUND} per round)`, value: median(nobleSignSamples) },
        unit: 'entries/s',
        samples: signSamples,
        baselineSamples: nobleSignSamples,
        notes: 'p95 is the 5th percentile of throughput (the slow end). Intake signs one entry per batch (≤ 500 messages), never per message.',
      },
      {
        figure: 'ledger_verify_entries_per_s',
        value: median(verifySamples),
        p95: percentile(verifySamples, 5),
        runs: verifySamples.length,
        target: { min: 250 },
        baseline: { name: `raw @noble/curves secp256k1.verify of the same digests with the known public key (${PER_ROUND} per round)`, value: median(nobleVerifySamples) },
        unit: 'entries/s',
        samples: verifySamples,
        baselineSamples: nobleVerifySamples,
        notes: 'Ours = shared/ledger/ledger-verify.ts per entry (strict zod schema, EIP-712 hash, ethers.verifyTypedData = recovery + address compare).',
      },
      {
        figure: 'ledger_verify_export_100k_s',
        value: exportSeconds * scale,
        runs: 1,
        target: { max: 600 },
        baseline: { name: `raw @noble/curves secp256k1.verify of the same ${EXPORT_ENTRIES} digests${scale === 1 ? '' : `, ×${scale}`}`, value: nobleSeconds * scale },
        unit: 's',
        notes:
          scale === 1
            ? `Measured on a real ${EXPORT_ENTRIES}-entry export (CLI verifier, one core).`
            : `Extrapolated: measured ${EXPORT_ENTRIES} entries in ${exportSeconds.toFixed(2)} s and multiplied by ${scale} (linear, single pass). HDMS_BENCH_LEDGER_ENTRIES=100000 measures 100k directly.`,
      },
    ];
    return figures;
  },
};

export default bench;
