import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../shared/network/delivery-client';
import { buildDatasetPackage, openPackage } from '../../../shared/research/package/dataset-package';
import type { HashFactory } from '../../../shared/research/package/package-seal';
import { deliveryMember, memberClient, newDeliveryId, newPurchaseId, startDeliveryServer, type DeliveryTestServer } from '../../server/delivery/support/delivery-fixtures';
import { useTestDatabases } from '../../server/support/test-databases';

/**
 * The delivery client (shared/network/delivery-client.ts) against the real server app on PGlite: a
 * 72 MiB sealed dataset package goes from the clinic's disk to the buyer's disk through the blob
 * store, in 1 MiB chunks, with a chunk PUT failing once, the upload stopped midway and resumed by a
 * new call, and the download cut after 8 MiB and resumed by range; the buyer opens the package
 * with its key and the notarized hash. Memory is checked by accounting, not timing: while
 * uploading, the client never has read more than its two chunks in flight (and the source's piece)
 * beyond what the server acknowledged; while downloading, the server never has read from disk more than a bounded
 * amount beyond what the sink received (socket buffers), far below the package's size.
 */
const databases = useTestDatabases();
const MIB = 1024 * 1024;
const CHUNK = MIB;
const PIECE = 64 * 1024;
const PLAINTEXT = 72 * MIB;

const nodeSha256: HashFactory = () => {
  const hash = createHash('sha256');
  return { update: (data) => void hash.update(data), digest: () => new Uint8Array(hash.digest()) };
};

describe('delivery client', () => {
  let server: DeliveryTestServer;
  let dir: string;

  beforeAll(async () => {
    server = await startDeliveryServer(await databases.open('pglite'));
    dir = mkdtempSync(path.join(os.tmpdir(), 'hdms-delivery-client-'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('streams a 72 MiB sealed package from disk to disk with resumed upload and download, never holding more than a chunk ahead, and the buyer opens it', async () => {
    // The clinic seals a package with one 72 MiB file to its disk (as it would before the upload).
    const block = new Uint8Array(randomBytes(PIECE));
    const plainHash = createHash('sha256');
    function* series(): Generator<Uint8Array> {
      for (let i = 0; i < PLAINTEXT / PIECE; i++) {
        const piece = new Uint8Array(block);
        new DataView(piece.buffer).setUint32(0, i);
        plainHash.update(piece);
        yield piece;
      }
    }
    const release = { reportJson: '{}', reportSha256: createHash('sha256').update('{}').digest('hex'), report: { profile: 'safe-harbor' as const } };
    const purchaseId = newPurchaseId();
    const built = buildDatasetPackage({ release, purchaseId, offerIds: [], files: [{ path: 'dicom/series.dcm', mediaType: 'application/dicom', data: series() }], counts: () => ({ dicom: 1 }), hasher: nodeSha256 });
    const sealedFile = path.join(dir, 'package.sealed');
    const out = await open(sealedFile, 'w');
    for await (const piece of built.stream) await out.write(piece);
    await out.close();
    const summary = await built.summary;
    const size = statSync(sealedFile).size;
    expect(size).toBe(summary.sealedLength);
    expect(size).toBeGreaterThan(PLAINTEXT);

    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server, ['research'])];
    const id = newDeliveryId();
    const expectedChunks = Math.ceil(size / CHUNK);

    // A network failure on chunk 5's first PUT (retried by the client).
    let failedOnce = false;
    const flaky: typeof fetch = async (input, init) => {
      if (!failedOnce && init?.method === 'PUT' && String(input).endsWith('/chunks/5')) {
        failedOnce = true;
        throw new TypeError('fetch failed');
      }
      return fetch(input, init);
    };
    const uploader = memberClient(server, clinic, { fetch: flaky });

    // Accounting: where the source is, and the end of the last chunk the server acknowledged.
    let sourceAt = 0;
    let ackedTo = 0;
    let maxAhead = 0;
    const opens: number[] = [];
    const acked: number[] = [];
    const openSource = (from: number): AsyncIterable<Uint8Array> => {
      opens.push(from);
      sourceAt = from;
      ackedTo = from;
      return (async function* () {
        for await (const piece of createReadStream(sealedFile, { start: from, highWaterMark: PIECE }) as AsyncIterable<Buffer>) {
          sourceAt += piece.length;
          maxAhead = Math.max(maxAhead, sourceAt - ackedTo);
          yield new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
        }
      })();
    };
    const input = { id, recipient: buyer.wallet.address, purchaseId, size, sha256: summary.ciphertextSha256, chunkSize: CHUNK, open: openSource };

    // The first upload stops after 20 chunks (the clinic's process going away).
    const stop = new Error('stopped');
    const first = uploader.upload({
      ...input,
      onChunk: (stored) => {
        acked.push(stored.index);
        ackedTo = Math.max(ackedTo, (stored.index + 1) * CHUNK);
        if (acked.length === 20) throw stop;
      },
    });
    await expect(first).rejects.toBe(stop);
    // What was in flight when it stopped (2 chunks at a time) was stored too: a run from chunk 0.
    const stopped = (await clinic.client.status(id)).received;
    expect(stopped).toHaveLength(1);
    const [from, to] = stopped[0]!;
    expect(from).toBe(0);
    expect(to === 20 || to === 21).toBe(true);

    // A new call resumes from the first missing chunk and sends only the rest.
    const done = await uploader.upload({
      ...input,
      onChunk: (stored) => {
        acked.push(stored.index);
        ackedTo = Math.max(ackedTo, (stored.index + 1) * CHUNK);
      },
    });
    expect(done).toMatchObject({ state: 'complete', chunkCount: expectedChunks, receivedBytes: size, sha256: summary.ciphertextSha256 });
    expect(opens).toEqual([0, to * CHUNK]);
    // Each chunk acknowledged once over both calls (two in flight may be acknowledged out of order).
    expect([...acked].sort((a, b) => a - b)).toEqual(Array.from({ length: expectedChunks }, (_, i) => i));
    expect(failedOnce).toBe(true);
    // Never more than the two chunks in flight and one source piece beyond the server's acknowledgements.
    expect(maxAhead).toBeLessThanOrEqual(2 * CHUNK + PIECE);
    expect(maxAhead).toBeGreaterThanOrEqual(CHUNK);

    // The buyer finds it waiting and downloads it; the first response is cut after 8 MiB.
    expect((await buyer.client.list()).map((d) => d.id)).toEqual([id]);
    const ranges: string[] = [];
    let cut = false;
    const cutting: typeof fetch = async (request, init) => {
      const response = await fetch(request, init);
      if (!String(request).endsWith('/content')) return response;
      ranges.push(new Headers(init?.headers).get('range') ?? '');
      if (cut || response.body === null) return response;
      cut = true;
      const reader = response.body.getReader();
      let passed = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done: ended, value } = await reader.read();
          if (ended) return controller.close();
          passed += value.length;
          if (passed > 8 * MIB) {
            await reader.cancel();
            return controller.error(new TypeError('terminated'));
          }
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const downloader = memberClient(server, buyer, { fetch: cutting });
    const downloaded = path.join(dir, 'package.received');
    const sink = await open(downloaded, 'w');
    const readBefore = server.delivery.files.bytesRead;
    let received = 0;
    let maxServedAhead = 0;
    const result = await downloader.download({
      id,
      expectedSha256: summary.ciphertextSha256,
      hasher: nodeSha256,
      sink: async (piece) => {
        maxServedAhead = Math.max(maxServedAhead, server.delivery.files.bytesRead - readBefore - received);
        await sink.write(piece);
        received += piece.length;
      },
    });
    await sink.close();
    expect(result).toEqual({ size, sha256: summary.ciphertextSha256 });
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBe('bytes=0-');
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1]!)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(8 * MIB);
    // Bounded by socket and stream buffers (plus what the cut response had read), not the package.
    expect(maxServedAhead).toBeLessThan(24 * MIB);

    // The buyer opens what arrived with the key and the notarized hash.
    let openedHash = '';
    for await (const entry of openPackage(createReadStream(downloaded) as AsyncIterable<Uint8Array>, built.key, summary.ciphertextSha256, { commitment: summary.keyCommitment, hasher: nodeSha256 })) {
      if (entry.name !== 'dicom/series.dcm') continue;
      const hash = createHash('sha256');
      for await (const piece of entry.data) hash.update(piece);
      openedHash = hash.digest('hex');
    }
    expect(openedHash).toBe(plainHash.digest('hex'));
  }, 180_000);

  it('refuses a source that is shorter or longer than the declared size, and a delivery the server declares with another hash', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = new Uint8Array(randomBytes(3 * 64 * 1024));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const base = { recipient: buyer.wallet.address, purchaseId: newPurchaseId(), sha256, chunkSize: 64 * 1024 };
    const short = clinic.client.upload({ ...base, id: newDeliveryId(), size: bytes.length + 1, open: (from) => [bytes.subarray(from)] });
    await expect(short).rejects.toMatchObject({ code: 'source_size_mismatch' });
    const long = clinic.client.upload({ ...base, id: newDeliveryId(), size: bytes.length - 1, open: (from) => [bytes.subarray(from)] });
    await expect(long).rejects.toBeInstanceOf(DeliveryError);
    await expect(long).rejects.toMatchObject({ code: 'source_size_mismatch' });
    // A ReadableStream source works as well as an iterable.
    const id = newDeliveryId();
    const done = await clinic.client.upload({
      ...base,
      id,
      size: bytes.length,
      open: (from) =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = from; at < bytes.length; at += 1000) controller.enqueue(bytes.slice(at, Math.min(bytes.length, at + 1000)));
            controller.close();
          },
        }),
    });
    expect(done.state).toBe('complete');
    await expect(buyer.client.download({ id, sink: () => undefined, expectedSha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'hash_mismatch' });

    // A chunk refused for good stops the upload with the server's refusal, whenever it comes back,
    // and is not sent again: here the last of three chunks, with room for four in flight.
    let refusedPuts = 0;
    const refusing: typeof fetch = async (request, init) => {
      if (init?.method === 'PUT' && String(request).endsWith('/chunks/2')) {
        refusedPuts++;
        return new Response(JSON.stringify({ error: { code: 'delivery_conflict', message: 'The server holds other bytes for this chunk.' } }), { status: 409, headers: { 'content-type': 'application/json' } });
      }
      return fetch(request, init);
    };
    const refused = memberClient(server, clinic, { fetch: refusing, chunksInFlight: 4 }).upload({ ...base, id: newDeliveryId(), size: bytes.length, open: (from) => [bytes.subarray(from)] });
    await expect(refused).rejects.toMatchObject({ code: 'delivery_conflict', status: 409 });
    expect(refusedPuts).toBe(1);
  });
});
