import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HashFactory } from '../../shared/research/package/package-seal';
import { deliveryMember, newDeliveryId, newPurchaseId, startDeliveryServer } from '../server/delivery/support/delivery-fixtures';
import { openBenchDatabase } from './bench-database';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * Delivery of a sealed package through the server's blob store (issue 15 item 5), over loopback,
 * with the shared client (shared/network/delivery-client.ts) the body uses:
 *
 * - `delivery_round_trip_mb_per_s`: 64 MiB (a sealed package's bytes) uploaded by the clinic in
 *   4 MiB signed chunk PUTs, two in flight (each hashed with Web Crypto, streamed to disk by the
 *   server, fsynced before the ack), completed (the server hashes the blob from disk), then downloaded by the buyer
 *   with one ranged GET and hashed as it arrives (node:crypto SHA-256, as the body would pass): the
 *   payload over the time of all three. The notes give upload (with completion) and download alone.
 *   Baseline, same run, same bytes: raw Web Crypto AES-256-GCM of the same 64 KiB pieces under one
 *   key, one after another (as in dataset-package.bench.ts): what sealing the package costs at
 *   least, so the ratio says whether moving it is cheaper than making it. No target in the issue.
 *   Client, server and database driver share this one process (and its event loop), unlike a real
 *   clinic and server. The notes also give the disk's own rate for the upload's durable part: the
 *   same bytes as 4 MiB files written, fsynced and renamed, in the same run.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const MIB = 1024 * 1024;
const PAYLOAD = 64 * MIB;
const PIECE = 64 * 1024;

const nodeSha256: HashFactory = () => {
  const hash = createHash('sha256');
  return { update: (data) => void hash.update(data), digest: () => new Uint8Array(hash.digest()) };
};

const bench: BenchModule = {
  title: 'delivery: 64 MiB through the blob store (upload, complete, download) MB/s vs raw AES-256-GCM of the same bytes',
  async run(log) {
    const payload = new Uint8Array(randomBytes(PAYLOAD));
    const sha256 = createHash('sha256').update(payload).digest('hex');
    const database = await openBenchDatabase('delivery_bench');
    log(`  database: ${database.where}`);
    const server = await startDeliveryServer(database.db);
    let sink = 0;
    try {
      const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server, ['research'])];

      async function deliveryRun(): Promise<{ roundTrip: number; upload: number; download: number }> {
        const id = newDeliveryId();
        const started = performance.now();
        await clinic.client.upload({
          id,
          recipient: buyer.wallet.address,
          purchaseId: newPurchaseId(),
          size: PAYLOAD,
          sha256,
          open: async function* (from) {
            for (let at = from; at < PAYLOAD; at += PIECE) yield payload.subarray(at, Math.min(PAYLOAD, at + PIECE));
          },
        });
        const uploaded = performance.now();
        const result = await buyer.client.download({ id, expectedSha256: sha256, hasher: nodeSha256, sink: (piece) => void (sink += piece.length) });
        const finished = performance.now();
        if (result.sha256 !== sha256) throw new Error('the download does not hash to the upload');
        await buyer.client.remove(id);
        const mib = PAYLOAD / MIB;
        return { roundTrip: mib / ((finished - started) / 1000), upload: mib / ((uploaded - started) / 1000), download: mib / ((finished - uploaded) / 1000) };
      }

      const rawKey = await globalThis.crypto.subtle.importKey('raw', globalThis.crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt']);
      async function rawRun(): Promise<number> {
        const iv = new Uint8Array(12);
        const view = new DataView(iv.buffer);
        let counter = 0;
        const started = performance.now();
        for (let at = 0; at < PAYLOAD; at += PIECE) {
          view.setUint32(8, counter++);
          sink += (await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, rawKey, payload.subarray(at, at + PIECE))).byteLength;
        }
        return PAYLOAD / MIB / ((performance.now() - started) / 1000);
      }

      // The disk's part: the same 64 MiB as 4 MiB files, each written, fsynced and renamed (what
      // the server does per chunk, without HTTP, hashing or the database), for the notes.
      const diskDir = mkdtempSync(path.join(os.tmpdir(), 'hdms-delivery-disk-'));
      async function diskRun(): Promise<number> {
        const started = performance.now();
        for (let at = 0, n = 0; at < PAYLOAD; at += 4 * MIB, n++) {
          const temp = path.join(diskDir, `${n}.part`);
          const handle = await open(temp, 'w');
          await handle.write(payload.subarray(at, at + 4 * MIB), 0, 4 * MIB, 0);
          await handle.sync();
          await handle.close();
          await rename(temp, path.join(diskDir, `${n}.chunk`));
        }
        return PAYLOAD / MIB / ((performance.now() - started) / 1000);
      }

      await deliveryRun();
      await rawRun();
      const samples: number[] = [];
      const uploads: number[] = [];
      const downloads: number[] = [];
      const baselineSamples: number[] = [];
      const diskSamples: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const run = await deliveryRun();
        samples.push(run.roundTrip);
        uploads.push(run.upload);
        downloads.push(run.download);
        baselineSamples.push(await rawRun());
        diskSamples.push(await diskRun());
        log(`  run ${i + 1}/${RUNS}: delivery ${run.roundTrip.toFixed(0)} MiB/s (upload ${run.upload.toFixed(0)}, download ${run.download.toFixed(0)}), raw AES-GCM ${baselineSamples.at(-1)!.toFixed(0)} MiB/s, 4 MiB files written + fsynced ${diskSamples.at(-1)!.toFixed(0)} MiB/s`);
      }
      rmSync(diskDir, { recursive: true, force: true });
      if (sink === 0) throw new Error('nothing was moved');
      const figures: FigureInput[] = [
        {
          figure: 'delivery_round_trip_mb_per_s',
          value: median(samples),
          p95: percentile(samples, 5),
          runs: RUNS,
          unit: 'MiB/s',
          target: {},
          baseline: { name: 'raw Web Crypto AES-256-GCM of the same 64 KiB pieces, one key, sequential', value: median(baselineSamples) },
          samples,
          baselineSamples,
          notes: `64 MiB over loopback on ${database.where}; 4 MiB chunks (2 in flight), fsync before each ack, the blob hashed from disk at completion, one ranged GET hashed with node:crypto SHA-256. Upload with completion alone: median ${median(uploads).toFixed(0)} MiB/s (${uploads.map((v) => v.toFixed(0)).join(', ')}); download alone: median ${median(downloads).toFixed(0)} MiB/s (${downloads.map((v) => v.toFixed(0)).join(', ')}). The disk alone (the same bytes as 4 MiB files written, fsynced, renamed): median ${median(diskSamples).toFixed(0)} MiB/s (${diskSamples.map((v) => v.toFixed(0)).join(', ')}).`,
        },
      ];
      return figures;
    } finally {
      await server.close();
      await database.close();
    }
  },
};

export default bench;
