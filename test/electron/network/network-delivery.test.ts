import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import { CONTENT_SHA256_HEADER } from '../../../shared/network/delivery';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call } from '../vault/vault-test-support';
import { b64, delegate, deliveryNetwork, flipped, refusal, sha256Hex, type Tampered } from './delivery-test-support';

/**
 * `network.delivery*` in the body (issue 15 item 5, the node's half): two joined nodes against the
 * real server (through a pass-through proxy that can be told to answer garbage). The sender creates
 * a delivery with the IPC chunk size, uploads its chunks out of order (a retry answered as a
 * duplicate), completes it; the recipient lists it and reads every chunk back byte-identical, each
 * checked against the hash the server declares. Refusals: a chunk of the wrong size or other bytes
 * for a held chunk, completing with a chunk missing, reading as the sender, a node without its
 * delegation; answers the node does not understand or that do not hash are not passed on.
 */

const tempDir = useTempDirs();
const cleanup = useCleanups();

describe('network: deliveries through the body', () => {
  it('the sender uploads out of order, retries, completes; the recipient lists and reads every chunk byte-identical; refusals and garbage are not passed on', { timeout: 120_000 }, async () => {
    const { server, proxy, clinic, research } = await deliveryNetwork({ tempDir, cleanup });
    await delegate(clinic, server);
    // Without its delegation the body cannot speak for its member: it says so and sends nothing.
    expect(await refusal(call(research.body, 'network.deliveries', {}))).toEqual({ code: 'E_CONFLICT', message: expect.stringMatching(/^Unlock the node/) });
    await delegate(research, server);

    const CHUNK = DELIVERY_IPC_CHUNK_SIZE;
    const blob = new Uint8Array(randomBytes(2 * CHUNK + 1000));
    const chunks = [blob.subarray(0, CHUNK), blob.subarray(CHUNK, 2 * CHUNK), blob.subarray(2 * CHUNK)];
    const create = { id: randomBytes(16).toString('hex'), recipient: research.identity.address, purchaseId: `0x${randomBytes(16).toString('hex')}`, size: blob.length, sha256: sha256Hex(blob) };
    const created = await call(clinic.body, 'network.deliveryCreate', create);
    expect(created).toMatchObject({ ...create, sender: clinic.identity.address, chunkSize: CHUNK, chunkCount: 3, state: 'uploading', received: [], receivedBytes: 0, completedAt: null });
    // A retried create answers the stored delivery; the same id with other fields is a conflict.
    await expect(call(clinic.body, 'network.deliveryCreate', create)).resolves.toEqual(created);
    expect(await refusal(call(clinic.body, 'network.deliveryCreate', { ...create, size: create.size + 1 }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(delivery_conflict)') });

    // Out of order: the short last chunk first, then the first; a retry of the first is a duplicate.
    await expect(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 2, data: b64(chunks[2]!) })).resolves.toEqual({ index: 2, sha256: sha256Hex(chunks[2]!), duplicate: false });
    await expect(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 0, data: b64(chunks[0]!) })).resolves.toEqual({ index: 0, sha256: sha256Hex(chunks[0]!), duplicate: false });
    await expect(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 0, data: b64(chunks[0]!) })).resolves.toEqual({ index: 0, sha256: sha256Hex(chunks[0]!), duplicate: true });
    // Refused: other bytes for a held chunk, a chunk of the wrong size, a spelling that is not canonical base64url.
    expect(await refusal(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 0, data: b64(chunks[1]!) }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(delivery_conflict)') });
    expect(await refusal(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 1, data: b64(chunks[2]!) }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(invalid_request)') });
    expect(await refusal(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 1, data: 'AAB' }))).toMatchObject({ code: 'E_BAD_REQUEST' });
    // A chunk missing: not complete, and nothing waits for the recipient yet.
    expect(await refusal(call(clinic.body, 'network.deliveryComplete', { id: create.id }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(delivery_incomplete)') });
    await expect(call(research.body, 'network.deliveries', {})).resolves.toEqual({ deliveries: [] });

    await expect(call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 1, data: b64(chunks[1]!) })).resolves.toMatchObject({ index: 1, duplicate: false });
    const completed = await call(clinic.body, 'network.deliveryComplete', { id: create.id });
    expect(completed).toMatchObject({ ...create, state: 'complete', received: [[0, 3]], receivedBytes: blob.length, completedAt: expect.any(Number) });

    // The recipient: listed, then read back chunk by chunk (in another order), byte-identical.
    await expect(call(research.body, 'network.deliveries', {})).resolves.toEqual({ deliveries: [completed] });
    const read: Uint8Array[] = [];
    for (const index of [1, 0, 2]) {
      const { data, sha256 } = await call(research.body, 'network.deliveryRead', { id: create.id, index });
      expect(sha256).toBe(sha256Hex(chunks[index]!));
      read[index] = Buffer.from(data, 'base64url');
    }
    expect(Buffer.concat(read).equals(Buffer.from(blob))).toBe(true);
    expect(await refusal(call(research.body, 'network.deliveryRead', { id: create.id, index: 3 }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(invalid_request)') });
    // The sender is not the recipient: it may not read the delivery, nor does it wait for it.
    expect(await refusal(call(clinic.body, 'network.deliveryRead', { id: create.id, index: 0 }))).toEqual({ code: 'E_CONFLICT', message: expect.stringContaining('(not_delivery_recipient)') });
    await expect(call(clinic.body, 'network.deliveries', {})).resolves.toEqual({ deliveries: [] });

    // Answers the node does not understand, or bytes that do not hash to what the server declares.
    const delivery = (path: string): boolean => path.startsWith('/v1/deliveries');
    const json = (body: unknown, status = 200): Tampered => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const garbage: [string, (method: string, path: string) => Tampered | null, () => Promise<unknown>, RegExp][] = [
      ['a list of something else', (_m, path) => (delivery(path) ? json({ deliveries: [{ id: create.id }] }) : null), () => call(research.body, 'network.deliveries', {}), /does not understand/],
      ['a create answered with another delivery', (_m, path) => (delivery(path) ? json({ ...created, id: '0'.repeat(32) }, 201) : null), () => call(clinic.body, 'network.deliveryCreate', create), /another delivery/],
      ['a create answered with text', (_m, path) => (delivery(path) ? { status: 201, headers: { 'content-type': 'text/plain' }, body: 'created!' } : null), () => call(clinic.body, 'network.deliveryCreate', create), /not JSON/],
      ['a chunk stored under another hash', (_m, path) => (delivery(path) ? json({ index: 1, sha256: sha256Hex(chunks[0]!), duplicate: true }) : null), () => call(clinic.body, 'network.deliveryChunk', { id: create.id, index: 1, data: b64(chunks[1]!) }), /does not understand/],
      ['a completion still uploading', (_m, path) => (delivery(path) ? json({ ...completed, state: 'uploading', completedAt: null }) : null), () => call(clinic.body, 'network.deliveryComplete', { id: create.id }), /another delivery/],
      [
        'a chunk whose bytes were changed',
        (_m, path) => (delivery(path) ? { status: 200, headers: { 'content-type': 'application/octet-stream', [CONTENT_SHA256_HEADER]: sha256Hex(chunks[2]!) }, body: flipped(chunks[2]!) } : null),
        () => call(research.body, 'network.deliveryRead', { id: create.id, index: 2 }),
        /does not hash/,
      ],
      ['a chunk without its hash', (_m, path) => (delivery(path) ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: chunks[2]! } : null), () => call(research.body, 'network.deliveryRead', { id: create.id, index: 2 }), /does not hash/],
      [
        'a chunk longer than a chunk',
        (_m, path) => (delivery(path) ? { status: 200, headers: { 'content-type': 'application/octet-stream', [CONTENT_SHA256_HEADER]: sha256Hex(new Uint8Array(CHUNK + 1)) }, body: new Uint8Array(CHUNK + 1) } : null),
        () => call(research.body, 'network.deliveryRead', { id: create.id, index: 0 }),
        /more than the node accepts/,
      ],
    ];
    for (const [what, tamper, attempt, message] of garbage) {
      proxy.tamper = tamper;
      const refused = await refusal(attempt());
      expect({ what, ...refused }).toEqual({ what, code: 'E_UNAVAILABLE', message: expect.stringMatching(message) });
    }
    proxy.tamper = null;
    // The same reads go through again once the server answers truly.
    await expect(call(research.body, 'network.deliveryRead', { id: create.id, index: 2 })).resolves.toEqual({ data: b64(chunks[2]!), sha256: sha256Hex(chunks[2]!) });
  });
});
