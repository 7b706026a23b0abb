import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutgoingDeliveries } from '../../../electron/network/outgoing-deliveries';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call } from '../vault/vault-test-support';
import { b64, delegate, deliveryNetwork, flipped, refusal, sha256Hex } from './delivery-test-support';

/**
 * Staged outgoing deliveries (`network.deliveryStage*`, issue 15 item 5, the clinic's side): the
 * mind hands the sealed package over chunk by chunk, the body keeps each chunk under
 * <data>/outgoing-deliveries/<id>/ and, at finish, checks size and hash from disk, creates the
 * delivery on the real server, uploads what the server lacks (resuming) and completes it.
 */

const tempDir = useTempDirs();
const cleanup = useCleanups();
const CHUNK = DELIVERY_IPC_CHUNK_SIZE;
const newId = (): string => randomBytes(16).toString('hex');
const purchase = (): string => `0x${randomBytes(16).toString('hex')}`;
const exists = (file: string): Promise<boolean> => readFile(file).then(
  () => true,
  () => false,
);

describe('network: staged outgoing deliveries', () => {
  it('stages in order, refuses a wrong size or hash, finishes against the server resuming what it holds, aborts', { timeout: 120_000 }, async () => {
    const { server, proxy, clinic, research } = await deliveryNetwork({ tempDir, cleanup });
    await delegate(clinic, server);
    await delegate(research, server);
    const root = path.join(clinic.body.config.dataDir, 'outgoing-deliveries');

    const blob = new Uint8Array(randomBytes(3 * CHUNK + 777));
    const chunks = [0, 1, 2, 3].map((i) => blob.subarray(i * CHUNK, Math.min(blob.length, (i + 1) * CHUNK)));
    const id = newId();
    const create = { id, recipient: research.identity.address, purchaseId: purchase(), size: blob.length, sha256: sha256Hex(blob) };

    // In order from 0; a chunk out of order, a short chunk before the last, bad base64url are refused.
    expect(await refusal(call(clinic.body, 'network.deliveryStage', { id, index: 1, data: b64(chunks[1]!) }))).toMatchObject({ code: 'E_CONFLICT' });
    await expect(call(clinic.body, 'network.deliveryStage', { id, index: 0, data: b64(chunks[0]!) })).resolves.toEqual({ index: 0, staged: CHUNK });
    // The last index again replaces it.
    await expect(call(clinic.body, 'network.deliveryStage', { id, index: 0, data: b64(chunks[0]!) })).resolves.toEqual({ index: 0, staged: CHUNK });
    expect(await refusal(call(clinic.body, 'network.deliveryStage', { id, index: 2, data: b64(chunks[2]!) }))).toMatchObject({ code: 'E_CONFLICT' });
    expect(await refusal(call(clinic.body, 'network.deliveryStage', { id, index: 1, data: 'AAB' }))).toMatchObject({ code: 'E_BAD_REQUEST' });
    await call(clinic.body, 'network.deliveryStage', { id, index: 1, data: b64(chunks[3]!) });
    expect(await refusal(call(clinic.body, 'network.deliveryStage', { id, index: 2, data: b64(chunks[2]!) }))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/short chunk/) });
    await call(clinic.body, 'network.deliveryStage', { id, index: 1, data: b64(chunks[1]!) });
    await call(clinic.body, 'network.deliveryStage', { id, index: 2, data: b64(chunks[2]!) });
    await expect(call(clinic.body, 'network.deliveryStage', { id, index: 3, data: b64(chunks[3]!) })).resolves.toEqual({ index: 3, staged: blob.length });
    // Each staged file is the chunk's SHA-256 then the chunk, still the sealed bytes.
    expect((await readdir(path.join(root, id))).sort()).toEqual(['0.chunk', '1.chunk', '2.chunk', '3.chunk']);
    const file = await readFile(path.join(root, id, '3.chunk'));
    expect(file.subarray(0, 32).toString('hex')).toBe(sha256Hex(chunks[3]!));
    expect(file.subarray(32).equals(Buffer.from(chunks[3]!))).toBe(true);

    // A wrong size or hash is refused before anything reaches the server; the staged chunks stay.
    expect(await refusal(call(clinic.body, 'network.deliveryStageFinish', { ...create, size: blob.length + 1 }))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/^size:/) });
    expect(await refusal(call(clinic.body, 'network.deliveryStageFinish', { ...create, sha256: sha256Hex(flipped(blob)) }))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/^sha256:/) });
    // The server already holds chunks 0 and 2 (an upload cut off earlier): only 1 and 3 are sent.
    await call(clinic.body, 'network.deliveryCreate', create);
    await call(clinic.body, 'network.deliveryChunk', { id, index: 0, data: b64(chunks[0]!) });
    await call(clinic.body, 'network.deliveryChunk', { id, index: 2, data: b64(chunks[2]!) });
    const puts: string[] = [];
    proxy.tamper = (method, p) => {
      if (method === 'PUT') puts.push(p);
      return null;
    };
    const done = await call(clinic.body, 'network.deliveryStageFinish', create);
    proxy.tamper = null;
    expect(done).toMatchObject({ ...create, sender: clinic.identity.address, chunkSize: CHUNK, chunkCount: 4, state: 'complete', received: [[0, 4]], receivedBytes: blob.length });
    expect(puts).toEqual([`/v1/deliveries/${id}/chunks/1`, `/v1/deliveries/${id}/chunks/3`]);
    expect(await exists(path.join(root, id, '0.chunk'))).toBe(false);
    // The recipient reads it back byte-identical.
    const read: Buffer[] = [];
    for (let index = 0; index < 4; index++) read.push(Buffer.from((await call(research.body, 'network.deliveryRead', { id, index })).data, 'base64url'));
    expect(Buffer.concat(read).equals(Buffer.from(blob))).toBe(true);
    // Nothing is staged any more: finishing again is refused.
    expect(await refusal(call(clinic.body, 'network.deliveryStageFinish', create))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/Nothing is staged/) });

    // A whole upload from disk, one chunk, no earlier create.
    const small = new Uint8Array(randomBytes(1234));
    const smallId = newId();
    await call(clinic.body, 'network.deliveryStage', { id: smallId, index: 0, data: b64(small) });
    await expect(call(clinic.body, 'network.deliveryStageFinish', { id: smallId, recipient: research.identity.address, purchaseId: purchase(), size: small.length, sha256: sha256Hex(small) })).resolves.toMatchObject({ state: 'complete', chunkCount: 1 });

    // Abort removes the staged folder.
    const aborted = newId();
    await call(clinic.body, 'network.deliveryStage', { id: aborted, index: 0, data: b64(chunks[0]!) });
    expect(await exists(path.join(root, aborted, '0.chunk'))).toBe(true);
    await expect(call(clinic.body, 'network.deliveryStageAbort', { id: aborted })).resolves.toEqual({});
    expect(await readdir(root)).not.toContain(aborted);

    // At most 4 deliveries are staged at once.
    const staged = [newId(), newId(), newId(), newId()];
    for (const one of staged) await call(clinic.body, 'network.deliveryStage', { id: one, index: 0, data: b64(chunks[3]!) });
    expect(await refusal(call(clinic.body, 'network.deliveryStage', { id: newId(), index: 0, data: b64(chunks[3]!) }))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/4 deliveries are staged/) });
    await call(clinic.body, 'network.deliveryStageAbort', { id: staged[0]! });
    await expect(call(clinic.body, 'network.deliveryStage', { id: newId(), index: 0, data: b64(chunks[3]!) })).resolves.toMatchObject({ index: 0 });
  });

  it('waits out the server’s rate limit (429 with Retry-After) on each chunk of a staged upload and of a download, instead of failing the delivery', { timeout: 120_000 }, async () => {
    const { server, proxy, clinic, research } = await deliveryNetwork({ tempDir, cleanup });
    await delegate(clinic, server);
    await delegate(research, server);
    const blob = new Uint8Array(randomBytes(2 * CHUNK + 99));
    const id = newId();
    for (let index = 0; index < 3; index++) await call(clinic.body, 'network.deliveryStage', { id, index, data: b64(blob.subarray(index * CHUNK, Math.min(blob.length, (index + 1) * CHUNK))) });
    const create = { id, recipient: research.identity.address, purchaseId: purchase(), size: blob.length, sha256: sha256Hex(blob) };

    // Each chunk request is refused once with 429 (as the server's per-member limit does after 600 a minute), then let through.
    const limited = new Set<string>();
    const seen: string[] = [];
    proxy.tamper = (method, p) => {
      if (!p.includes('/chunks/') && !p.endsWith('/complete')) return null;
      const key = `${method} ${p}`;
      seen.push(key);
      if (limited.has(key)) return null;
      limited.add(key);
      return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests; slow down and retry later.' } }) };
    };
    await expect(call(clinic.body, 'network.deliveryStageFinish', create)).resolves.toMatchObject({ state: 'complete', chunkCount: 3 });
    const read: Buffer[] = [];
    for (let index = 0; index < 3; index++) read.push(Buffer.from((await call(research.body, 'network.deliveryRead', { id, index, keep: true })).data, 'base64url'));
    proxy.tamper = null;
    expect(Buffer.concat(read).equals(Buffer.from(blob))).toBe(true);
    // Every chunk PUT, the completion and every chunk GET were refused once and sent again.
    const twice = (key: string) => seen.filter((entry) => entry === key).length;
    for (let index = 0; index < 3; index++) {
      expect(twice(`PUT /v1/deliveries/${id}/chunks/${index}`)).toBe(2);
      expect(twice(`GET /v1/deliveries/${id}/chunks/${index}`)).toBe(2);
    }
    expect(twice(`POST /v1/deliveries/${id}/complete`)).toBe(2);
  });

  it('removes staged deliveries older than a day, refuses on a nearly full disk, and resumes what is on disk after a restart', async () => {
    const dataDir = await tempDir();
    const root = path.join(dataDir, 'outgoing-deliveries');
    const old = newId();
    const fresh = newId();
    const bytes = new Uint8Array(randomBytes(100));
    const first = new OutgoingDeliveries(dataDir, { chunkSize: 64 });
    await first.stage(old, 0, bytes.subarray(0, 64));
    await first.stage(fresh, 0, bytes.subarray(0, 64));
    const dayAgo = new Date(Date.now() - 25 * 60 * 60 * 1000);
    await utimes(path.join(root, old), dayAgo, dayAgo);
    await writeFile(path.join(root, 'stray.txt'), 'x');
    // A new body (after a restart) continues the staged delivery where it stopped.
    const second = new OutgoingDeliveries(dataDir, { chunkSize: 64 });
    expect(await second.sweep()).toBe(2);
    expect((await readdir(root)).sort()).toEqual([fresh]);
    await expect(second.stage(fresh, 1, bytes.subarray(64))).resolves.toEqual({ index: 1, staged: 100 });
    // A damaged staged chunk is found at finish, before the server is asked.
    await mkdir(path.join(root, fresh), { recursive: true });
    const damaged = await readFile(path.join(root, fresh, '0.chunk'));
    damaged[40] = damaged[40]! ^ 0xff;
    await writeFile(path.join(root, fresh, '0.chunk'), damaged);
    const never = { create: () => Promise.reject(new Error('not asked')), chunk: () => Promise.reject(new Error('not asked')), complete: () => Promise.reject(new Error('not asked')) };
    expect(await refusal(second.finish({ id: fresh, recipient: `0x${'02'.repeat(20)}`, purchaseId: purchase(), size: 100, sha256: sha256Hex(bytes) }, never))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/damaged/) });
    // The disk-space sanity limit.
    const full = new OutgoingDeliveries(dataDir, { chunkSize: 64, minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(await refusal(full.stage(newId(), 0, bytes.subarray(0, 64)))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/nearly full/) });
  });
});
