import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReceivedDeliveries } from '../../../electron/network/received-deliveries';
import { startNetworkServer } from '../../../server/server-process';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import { CONTENT_SHA256_HEADER } from '../../../shared/network/delivery';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call } from '../vault/vault-test-support';
import { b64, delegate, flipped, joinedNode, refusal, sha256Hex, startProxy } from './delivery-test-support';

/**
 * Kept deliveries (`network.deliveryRead` with `keep`, issue 15 item 7): the researcher's node keeps
 * each chunk it read, still sealed, under <data>/received-deliveries/<id>/<index>.chunk and answers
 * from there once the server no longer can; a kept chunk that no longer hashes is removed and
 * fetched afresh. Against the real server, through the delivery tests' proxy.
 */

const tempDir = useTempDirs();
const cleanup = useCleanups();

const exists = (file: string): Promise<boolean> => readFile(file).then(
  () => true,
  () => false,
);

describe('network: kept deliveries', () => {
  it('a kept chunk is answered from disk after the server is gone; a damaged one is fetched again', { timeout: 120_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', anchorIntervalMs: 0 });
    let serverOpen = true;
    const closeServer = async (): Promise<void> => {
      if (!serverOpen) return;
      serverOpen = false;
      await server.close();
    };
    cleanup(closeServer);
    const proxy = await startProxy(server.url, cleanup);
    const clinic = await joinedNode({ tempDir, cleanup }, server, proxy.url, 'Example Clinic', ['clinic']);
    const research = await joinedNode({ tempDir, cleanup }, server, proxy.url, 'Example Research Institute', ['research']);
    await delegate(clinic, server);
    await delegate(research, server);

    const CHUNK = DELIVERY_IPC_CHUNK_SIZE;
    const blob = new Uint8Array(randomBytes(CHUNK + 777));
    const chunks = [blob.subarray(0, CHUNK), blob.subarray(CHUNK)];
    const id = randomBytes(16).toString('hex');
    await call(clinic.body, 'network.deliveryCreate', { id, recipient: research.identity.address, purchaseId: `0x${randomBytes(16).toString('hex')}`, size: blob.length, sha256: sha256Hex(blob) });
    for (const [index, chunk] of chunks.entries()) await call(clinic.body, 'network.deliveryChunk', { id, index, data: b64(chunk) });
    await call(clinic.body, 'network.deliveryComplete', { id });

    const kept = path.join(research.body.config.dataDir, 'received-deliveries', id);
    const answer = (index: number) => ({ data: b64(chunks[index]!), sha256: sha256Hex(chunks[index]!) });

    // Without `keep` nothing is written; a chunk that does not hash is neither passed on nor kept.
    await expect(call(research.body, 'network.deliveryRead', { id, index: 0 })).resolves.toEqual(answer(0));
    expect(await exists(path.join(kept, '0.chunk'))).toBe(false);
    proxy.tamper = (_m, p) => (p.startsWith('/v1/deliveries') ? { status: 200, headers: { 'content-type': 'application/octet-stream', [CONTENT_SHA256_HEADER]: sha256Hex(chunks[1]!) }, body: flipped(chunks[1]!) } : null);
    expect(await refusal(call(research.body, 'network.deliveryRead', { id, index: 1, keep: true }))).toEqual({ code: 'E_UNAVAILABLE', message: expect.stringMatching(/does not hash/) });
    expect(await exists(path.join(kept, '1.chunk'))).toBe(false);
    proxy.tamper = null;

    // With `keep`: fetched, checked, kept (no temporary file left behind).
    for (const index of [1, 0]) await expect(call(research.body, 'network.deliveryRead', { id, index, keep: true })).resolves.toEqual(answer(index));
    expect((await readdir(kept)).sort()).toEqual(['0.chunk', '1.chunk']);

    // A kept chunk damaged on disk: removed and fetched again from the server, then kept afresh.
    const file = path.join(kept, '1.chunk');
    const stored = await readFile(file);
    // One byte of the chunk changed (after the 32-byte hash that opens the file).
    await writeFile(file, Buffer.concat([stored.subarray(0, 40), flipped(stored.subarray(40))]));
    let fetched = 0;
    proxy.tamper = (_m, p) => {
      if (p.startsWith('/v1/deliveries')) fetched += 1;
      return null;
    };
    await expect(call(research.body, 'network.deliveryRead', { id, index: 1, keep: true })).resolves.toEqual(answer(1));
    expect(fetched).toBe(1);
    expect((await readFile(file)).equals(stored)).toBe(true);
    // A kept chunk cut short is damaged too.
    await writeFile(file, stored.subarray(0, 10));
    await expect(call(research.body, 'network.deliveryRead', { id, index: 1, keep: true })).resolves.toEqual(answer(1));
    expect(fetched).toBe(2);
    // An intact one asks nothing of the server.
    await expect(call(research.body, 'network.deliveryRead', { id, index: 0, keep: true })).resolves.toEqual(answer(0));
    expect(fetched).toBe(2);
    proxy.tamper = null;

    // The server is gone: kept chunks are still answered; one not kept cannot be, nor a damaged one.
    await closeServer();
    for (const index of [0, 1]) await expect(call(research.body, 'network.deliveryRead', { id, index, keep: true })).resolves.toEqual(answer(index));
    expect(await refusal(call(research.body, 'network.deliveryRead', { id, index: 0 }))).toMatchObject({ code: 'E_UNAVAILABLE' });
    await writeFile(path.join(kept, '0.chunk'), flipped(await readFile(path.join(kept, '0.chunk'))));
    expect(await refusal(call(research.body, 'network.deliveryRead', { id, index: 0, keep: true }))).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(await exists(path.join(kept, '0.chunk'))).toBe(false);
  });

  it('keeps chunks only under names built from a delivery id and an index', async () => {
    const store = new ReceivedDeliveries(await tempDir());
    for (const [id, index] of [['../'.repeat(10) + 'a'.repeat(2), 0], ['A'.repeat(32), 0], ['a'.repeat(32), -1], ['a'.repeat(32), 1.5]] as const) {
      await expect(store.keep(id, index, new Uint8Array(1))).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      await expect(store.read(id, index)).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    }
    const id = 'ab'.repeat(16);
    await store.keep(id, 3, new Uint8Array([1, 2, 3]));
    await expect(store.read(id, 3)).resolves.toEqual({ bytes: Buffer.from([1, 2, 3]), sha256: sha256Hex(new Uint8Array([1, 2, 3])) });
    await expect(store.read(id, 4)).resolves.toBeNull();
  });
});
