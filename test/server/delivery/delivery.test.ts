import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import nodePath from 'node:path';
import { SigningKey, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema } from '../../../shared/network/api';
import { chunkPath, CONTENT_SHA256_HEADER, contentPath, DeliveryStatusSchema, type DeliveryCreate } from '../../../shared/network/delivery';
import { DeliveryError } from '../../../shared/network/delivery-client';
import { signRequest, walletRequestSigner } from '../../../shared/network/signed-request';
import { signDelegatedRequest, signDelegation } from '../../../shared/network/transport-delegation';
import { signedFetch } from '../support/member-client';
import { useTestDatabases } from '../support/test-databases';
import { deliveryMember, filesOnDisk, memberClient, newDeliveryId, newPurchaseId, sha256Hex, startDeliveryServer, type DeliveryMember, type DeliveryTestServer } from './support/delivery-fixtures';

/**
 * The delivery blob store (issue 15 item 5) over HTTP, on PGlite and on a real PostgreSQL: chunks
 * out of order, retried and resumed; the whole hash checked at completion and a mismatch deleted;
 * downloads whole, by range and by chunk, for the recipient only; TTL expiry; per-sender quotas;
 * garbage and lying bodies refused with nothing kept; a client that stalls mid-chunk cut off by
 * the request timeout with nothing kept.
 */
const databases = useTestDatabases();
const CHUNK = 64 * 1024;
const TTL_MS = 3600_000;
const MAX_BLOB = 1024 * 1024;
const PER_DAY = 2 * 1024 * 1024;

async function problem(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ApiErrorSchema.parse(await response.json()).error.code };
}

async function refusedWith(promise: Promise<unknown>): Promise<{ status: number | null; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeliveryError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** A signed PUT of a chunk with fetch; `sha` is what the header declares (and the signature covers). */
async function putChunk(server: DeliveryTestServer, member: DeliveryMember, id: string, index: number, body: Uint8Array, options: { sha?: string | null; contentType?: string } = {}): Promise<Response> {
  const path = chunkPath(id, index);
  const sha = options.sha === undefined ? sha256Hex(body) : options.sha;
  const headers = await signRequest(walletRequestSigner(member.wallet), { network: server.network.pinned.address, method: 'PUT', path, bodySha256: sha ?? sha256Hex(body), now: server.now() });
  return fetch(`${server.url}${path}`, { method: 'PUT', headers: { ...headers, 'content-type': options.contentType ?? 'application/octet-stream', ...(sha === null ? {} : { [CONTENT_SHA256_HEADER]: sha }) }, body: body as Uint8Array<ArrayBuffer> });
}

async function getSigned(server: DeliveryTestServer, member: DeliveryMember, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const signed = await signRequest(walletRequestSigner(member.wallet), { network: server.network.pinned.address, method: 'GET', path, now: server.now() });
  return fetch(`${server.url}${path}`, { headers: { ...signed, ...headers } });
}

async function chunkRows(server: DeliveryTestServer): Promise<number> {
  return (await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_chunks')).rows[0]!.n;
}

function blob(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

function createFor(recipient: DeliveryMember, bytes: Uint8Array, overrides: Partial<DeliveryCreate> = {}): DeliveryCreate {
  return { id: newDeliveryId(), recipient: recipient.wallet.address, purchaseId: newPurchaseId(), size: bytes.length, sha256: sha256Hex(bytes), chunkSize: CHUNK, ...overrides };
}

const chunkOf = (bytes: Uint8Array, index: number): Uint8Array => bytes.subarray(index * CHUNK, Math.min(bytes.length, (index + 1) * CHUNK));

describe.each(databases.variants)('delivery blob store $label', (variant) => {
  let server: DeliveryTestServer;
  let offset = 0;
  const clock = (): number => Date.now() + offset;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startDeliveryServer(await databases.open(variant.kind), {
      now: clock,
      delivery: { ttlMs: TTL_MS, maxBlobBytes: MAX_BLOB, bytesPerDay: PER_DAY, sweepMs: 3600_000 },
      // A whole request must arrive within 2 s (checked every 100 ms): the stalled client below.
      limits: { requestTimeoutMs: 2_000, headersTimeoutMs: 2_000, connectionsCheckingIntervalMs: 100 },
    });
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('chunks out of order, a retried chunk and a resumed upload; the server says what it holds; the recipient downloads whole, by range and by chunk', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server, ['research'])];
    const bytes = blob(3 * CHUNK + 1234);
    const create = createFor(buyer, bytes);
    const created = await clinic.client.create(create);
    expect(created).toMatchObject({ state: 'uploading', chunkCount: 4, received: [], receivedBytes: 0, sender: clinic.wallet.address, recipient: buyer.wallet.address });
    // A retried create answers the same delivery; the same id with other fields is a conflict.
    expect(await clinic.client.create(create)).toEqual(created);
    expect(await refusedWith(clinic.client.create({ ...create, size: create.size + 1 }))).toEqual({ status: 409, code: 'delivery_conflict' });

    expect((await putChunk(server, clinic, create.id, 3, chunkOf(bytes, 3))).status).toBe(201);
    expect((await putChunk(server, clinic, create.id, 1, chunkOf(bytes, 1))).status).toBe(201);
    const retried = await putChunk(server, clinic, create.id, 1, chunkOf(bytes, 1));
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ index: 1, sha256: sha256Hex(chunkOf(bytes, 1)), duplicate: true });
    expect(await problem(await putChunk(server, clinic, create.id, 1, chunkOf(bytes, 2)))).toEqual({ status: 409, code: 'delivery_conflict' });
    const status = await clinic.client.status(create.id);
    expect(status).toMatchObject({ received: [[1, 2], [3, 4]], receivedBytes: CHUNK + 1234 });
    // Not complete yet: the server refuses to finish, and the recipient cannot read it nor list it.
    expect(await refusedWith(clinic.client.complete(create.id))).toEqual({ status: 409, code: 'delivery_incomplete' });
    expect(await problem(await getSigned(server, buyer, contentPath(create.id)))).toEqual({ status: 409, code: 'delivery_incomplete' });
    expect(await buyer.client.list('recipient')).toEqual([]);

    // Resume: the client reads the source from the first missing chunk and sends only what is missing.
    const opened: number[] = [];
    const sent: number[] = [];
    const done = await clinic.client.upload({
      ...create,
      open: (from) => {
        opened.push(from);
        return [bytes.subarray(from)];
      },
      onChunk: (stored) => sent.push(stored.index),
    });
    expect(opened).toEqual([0]);
    expect([...sent].sort()).toEqual([0, 2]);
    expect(done).toMatchObject({ state: 'complete', received: [[0, 4]], receivedBytes: bytes.length });
    expect(await clinic.client.complete(create.id)).toMatchObject({ state: 'complete' });
    expect((await buyer.client.list('recipient')).map((d) => d.id)).toEqual([create.id]);
    expect((await clinic.client.list('sender')).map((d) => d.id)).toEqual([create.id]);

    const whole = await getSigned(server, buyer, contentPath(create.id));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
    const range = await getSigned(server, buyer, contentPath(create.id), { range: `bytes=${CHUNK - 10}-${2 * CHUNK + 9}` });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes ${CHUNK - 10}-${2 * CHUNK + 9}/${bytes.length}`);
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(bytes.subarray(CHUNK - 10, 2 * CHUNK + 10));
    const suffix = await getSigned(server, buyer, contentPath(create.id), { range: 'bytes=-100' });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 100));
    expect(await problem(await getSigned(server, buyer, contentPath(create.id), { range: `bytes=${bytes.length}-` }))).toEqual({ status: 416, code: 'range_not_satisfiable' });
    const chunk = await getSigned(server, buyer, chunkPath(create.id, 3));
    expect(chunk.headers.get(CONTENT_SHA256_HEADER)).toBe(sha256Hex(chunkOf(bytes, 3)));
    expect(new Uint8Array(await chunk.arrayBuffer())).toEqual(chunkOf(bytes, 3));

    const received: Uint8Array[] = [];
    expect(await buyer.client.download({ id: create.id, sink: (piece) => void received.push(piece), expectedSha256: create.sha256 })).toEqual({ size: bytes.length, sha256: create.sha256 });
    expect(Buffer.concat(received)).toEqual(Buffer.from(bytes));

    // The recipient deletes it once it has it: rows and files are gone.
    await buyer.client.remove(create.id);
    expect(await refusedWith(buyer.client.status(create.id))).toEqual({ status: 404, code: 'not_found' });
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toEqual([]);
  });

  it.skipIf(variant.skip)('the same chunk sent twice at once: with other bytes one wins and the other is a conflict; with the same bytes both succeed; one file either way', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(2 * CHUNK);
    const create = createFor(buyer, bytes);
    await clinic.client.create(create);
    const rival = blob(CHUNK);
    const statuses = await Promise.all([putChunk(server, clinic, create.id, 0, chunkOf(bytes, 0)), putChunk(server, clinic, create.id, 0, rival)]);
    expect(statuses.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = statuses[0]!.status === 201 ? chunkOf(bytes, 0) : rival;
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toEqual([`${create.id}/0-${sha256Hex(winner)}.chunk`]);
    const same = await Promise.all([putChunk(server, clinic, create.id, 1, chunkOf(bytes, 1)), putChunk(server, clinic, create.id, 1, chunkOf(bytes, 1))]);
    expect(same.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(`${create.id}/1-`))).toEqual([`${create.id}/1-${sha256Hex(chunkOf(bytes, 1))}.chunk`]);
    expect((await clinic.client.status(create.id)).received).toEqual([[0, 2]]);
  });

  it.skipIf(variant.skip)('the body uploads on the clinic\'s behalf with its transport key and the delegation, as it does for every request while the vault is locked', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const transport = new SigningKey(Wallet.createRandom().privateKey);
    const now = server.now();
    const delegation = await signDelegation(walletRequestSigner(clinic.wallet), { network: server.network.pinned.address, transportKey: transport.publicKey.toLowerCase(), notBefore: now - 1_000, notAfter: now + 3_600_000 });
    const body = memberClient(server, clinic, { sign: (input) => signDelegatedRequest(transport, delegation, { ...input, now: server.now() }) });
    const bytes = blob(2 * CHUNK + 5);
    const create = createFor(buyer, bytes);
    expect(await body.upload({ ...create, open: (from) => [bytes.subarray(from)] })).toMatchObject({ state: 'complete', sender: clinic.wallet.address });
    // A transport key without a delegation is nobody.
    const bare = memberClient(server, clinic, { sign: (input) => signRequest({ address: clinic.wallet.address, signDigest: (digest) => transport.sign(digest) }, { ...input, now: server.now() }) });
    expect(await refusedWith(bare.create(createFor(buyer, bytes)))).toEqual({ status: 401, code: 'bad_signature' });
  });

  it.skipIf(variant.skip)('a blob that does not hash to the declared SHA-256 is refused at completion and deleted', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(2 * CHUNK);
    const create = createFor(buyer, bytes, { sha256: sha256Hex(blob(16)) });
    await clinic.client.create(create);
    for (const index of [0, 1]) expect((await putChunk(server, clinic, create.id, index, chunkOf(bytes, index))).status).toBe(201);
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toHaveLength(2);
    expect(await refusedWith(clinic.client.complete(create.id))).toEqual({ status: 422, code: 'delivery_hash_mismatch' });
    expect(await refusedWith(clinic.client.status(create.id))).toEqual({ status: 404, code: 'not_found' });
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toEqual([]);
    // And the client's download refuses bytes that do not hash to what the notary holds.
    const honest = createFor(buyer, bytes);
    await clinic.client.upload({ ...honest, open: (from) => [bytes.subarray(from)] });
    expect(await refusedWith(buyer.client.download({ id: honest.id, sink: () => undefined, expectedSha256: sha256Hex(blob(8)) }))).toEqual({ status: null, code: 'hash_mismatch' });
  });

  it.skipIf(variant.skip)('only the sender uploads and only the recipient downloads; anyone else is told the delivery does not exist', async () => {
    const [clinic, buyer, stranger] = [await deliveryMember(server), await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(CHUNK);
    const create = createFor(buyer, bytes);
    await clinic.client.create(create);
    const before = await chunkRows(server);
    expect(await problem(await putChunk(server, stranger, create.id, 0, bytes))).toEqual({ status: 404, code: 'not_found' });
    expect(await problem(await putChunk(server, buyer, create.id, 0, bytes))).toEqual({ status: 404, code: 'not_found' });
    expect(await chunkRows(server)).toBe(before);
    await clinic.client.upload({ ...create, open: () => [bytes] });
    expect(await refusedWith(stranger.client.status(create.id))).toEqual({ status: 404, code: 'not_found' });
    expect(await problem(await getSigned(server, stranger, contentPath(create.id)))).toEqual({ status: 404, code: 'not_found' });
    expect(await problem(await getSigned(server, stranger, chunkPath(create.id, 0)))).toEqual({ status: 404, code: 'not_found' });
    expect(await problem(await getSigned(server, clinic, contentPath(create.id)))).toEqual({ status: 403, code: 'not_delivery_recipient' });
    expect(await refusedWith(stranger.client.remove(create.id))).toEqual({ status: 404, code: 'not_found' });
    expect(await refusedWith(stranger.client.complete(create.id))).toEqual({ status: 404, code: 'not_found' });
    expect(await stranger.client.list('recipient')).toEqual([]);
    // Unsigned, and signed by someone who is not a member.
    expect(await problem(await fetch(`${server.url}${contentPath(create.id)}`))).toEqual({ status: 401, code: 'missing_signature' });
    // A delivery goes to an approved member other than the sender.
    expect(await refusedWith(clinic.client.create({ ...createFor(buyer, bytes), recipient: clinic.wallet.address }))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await refusedWith(clinic.client.create({ ...createFor(buyer, bytes), recipient: '0x000000000000000000000000000000000000dEaD' }))).toEqual({ status: 400, code: 'invalid_request' });
    // The recipient reads it as many times as it likes until it deletes it.
    const again: Uint8Array[] = [];
    await buyer.client.download({ id: create.id, sink: (piece) => void again.push(piece) });
    expect(Buffer.concat(again)).toEqual(Buffer.from(bytes));
  });

  it.skipIf(variant.skip)('a delivery expires after the TTL: refused at once, deleted with its chunks by the sweep', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(CHUNK + 1);
    const create = createFor(buyer, bytes);
    const done = await clinic.client.upload({ ...create, open: (from) => [bytes.subarray(from)] });
    expect(done.expiresAt - done.createdAt).toBe(TTL_MS);
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toHaveLength(2);
    // In a live delivery's folder, a temporary chunk file an hour old is a crash's and goes; a fresh one stays.
    const live = createFor(buyer, bytes);
    await clinic.client.create(live);
    expect((await putChunk(server, clinic, live.id, 0, chunkOf(bytes, 0))).status).toBe(201);
    const stale = nodePath.join(server.dir, live.id, '.1-0000000000000000.part');
    const fresh = nodePath.join(server.dir, live.id, '.1-1111111111111111.part');
    writeFileSync(stale, 'half a chunk');
    writeFileSync(fresh, 'half a chunk');
    utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    await server.delivery.sweep();
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(live.id))).toEqual([`${live.id}/${nodePath.basename(fresh)}`, `${live.id}/0-${sha256Hex(chunkOf(bytes, 0))}.chunk`].sort());
    // A folder whose row is gone (a crash between the row's delete and the folder's) goes too.
    const orphan = newDeliveryId();
    mkdirSync(nodePath.join(server.dir, orphan));
    writeFileSync(nodePath.join(server.dir, orphan, '0-x.chunk'), 'left behind');
    offset += TTL_MS + 1;
    try {
      expect(await refusedWith(buyer.client.status(create.id))).toEqual({ status: 404, code: 'not_found' });
      expect(await problem(await getSigned(server, buyer, contentPath(create.id)))).toEqual({ status: 404, code: 'not_found' });
      expect(await server.delivery.sweep()).toBeGreaterThanOrEqual(1);
      expect((await server.db.query('SELECT id FROM deliveries WHERE id = $1', [create.id])).rowCount).toBe(0);
      expect((await server.db.query('SELECT 1 FROM delivery_chunks WHERE delivery_id = $1', [create.id])).rowCount).toBe(0);
      expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id) || file.startsWith(orphan))).toEqual([]);
    } finally {
      offset = 0;
    }
  });

  it.skipIf(variant.skip)('quotas: a blob over the size limit is 413, bytes over the sender\'s day are 429, and a refused create stores nothing', async () => {
    const [clinic, other, buyer] = [await deliveryMember(server), await deliveryMember(server), await deliveryMember(server)];
    const big = { ...createFor(buyer, blob(1)), size: MAX_BLOB + 1 };
    expect(await refusedWith(clinic.client.create(big))).toEqual({ status: 413, code: 'delivery_too_large' });
    const near = { ...createFor(buyer, blob(1)), size: MAX_BLOB };
    await clinic.client.create(near);
    await clinic.client.create({ ...near, id: newDeliveryId() });
    const over = { ...near, id: newDeliveryId(), size: 1 };
    expect(await refusedWith(clinic.client.create(over))).toEqual({ status: 429, code: 'delivery_quota_exceeded' });
    expect((await server.db.query('SELECT 1 FROM deliveries WHERE id = ANY($1::text[])', [`{${big.id},${over.id}}`])).rowCount).toBe(0);
    // The quota is the sender's: another member still has its day.
    expect((await other.client.create({ ...near, id: newDeliveryId() })).state).toBe('uploading');
    // A chunk size over the server's 4 MiB, or not a multiple of 64 KiB, is not a delivery.
    expect(await refusedWith(clinic.client.create({ ...over, chunkSize: 8 * 1024 * 1024 }))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await refusedWith(clinic.client.create({ ...over, chunkSize: CHUNK + 1 }))).toEqual({ status: 400, code: 'invalid_request' });
  });

  it.skipIf(variant.skip)('garbage and lying chunk bodies are refused with a typed error and leave no row and no file', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(2 * CHUNK);
    const create = createFor(buyer, bytes);
    await clinic.client.create(create);
    const rowsBefore = await chunkRows(server);
    const chunk0 = chunkOf(bytes, 0);
    // Bytes that do not hash to the signed header.
    expect(await problem(await putChunk(server, clinic, create.id, 0, chunk0, { sha: sha256Hex(chunkOf(bytes, 1)) }))).toEqual({ status: 400, code: 'chunk_hash_mismatch' });
    // Longer and shorter than the chunk (with Content-Length).
    expect(await problem(await putChunk(server, clinic, create.id, 0, blob(CHUNK + 1)))).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await problem(await putChunk(server, clinic, create.id, 0, blob(CHUNK - 1)))).toEqual({ status: 400, code: 'invalid_request' });
    // No hash header; a JSON body; an index past the end; an id that is not one.
    expect(await problem(await putChunk(server, clinic, create.id, 0, chunk0, { sha: null }))).toEqual({ status: 400, code: 'invalid_request' });
    expect((await putChunk(server, clinic, create.id, 0, chunk0, { contentType: 'application/json' })).status).toBeGreaterThanOrEqual(400);
    expect(await problem(await putChunk(server, clinic, create.id, 2, chunk0))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await problem(await putChunk(server, clinic, 'nothex', 0, chunk0))).toEqual({ status: 400, code: 'invalid_request' });
    // A signature over other bytes than the declared hash.
    const path = chunkPath(create.id, 0);
    const forged = await signRequest(walletRequestSigner(clinic.wallet), { network: server.network.pinned.address, method: 'PUT', path, bodySha256: sha256Hex(chunkOf(bytes, 1)) });
    const response = await fetch(`${server.url}${path}`, { method: 'PUT', headers: { ...forged, 'content-type': 'application/octet-stream', [CONTENT_SHA256_HEADER]: sha256Hex(chunk0) }, body: chunk0 as Uint8Array<ArrayBuffer> });
    expect(await problem(response)).toEqual({ status: 401, code: 'bad_signature' });
    // Malformed and invalid JSON on the create route.
    expect(await problem(await signedFetch(server.url, clinic, server.network.pinned, '/v1/deliveries', { method: 'POST', body: '{"id":' }))).toEqual({ status: 400, code: 'malformed_json' });
    expect(await problem(await signedFetch(server.url, clinic, server.network.pinned, '/v1/deliveries', { method: 'POST', body: JSON.stringify({ ...create, extra: 1 }) }))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await chunkRows(server)).toBe(rowsBefore);
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toEqual([]);

    // A body longer than the chunk with no Content-Length (chunked transfer): cut at the limit.
    const streamed = await rawPut(server, clinic, create.id, 0, sha256Hex(chunk0), async (request) => {
      for (let i = 0; i < 8; i++) if (!request.write(randomBytes(CHUNK / 2))) await new Promise((resolve) => request.once('drain', resolve));
      request.end();
    });
    expect(streamed).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await chunkRows(server)).toBe(rowsBefore);
    expect(filesOnDisk(server.dir).filter((file) => file.startsWith(create.id))).toEqual([]);
    // The chunk itself still goes in afterwards.
    expect((await putChunk(server, clinic, create.id, 0, chunk0)).status).toBe(201);
  });

  it.skipIf(variant.skip)('a client that stalls mid-chunk is cut off by the request timeout; nothing of it is kept and the chunk goes in on a retry', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server)];
    const bytes = blob(CHUNK);
    const create = createFor(buyer, bytes);
    await clinic.client.create(create);
    const outcome = await rawPut(server, clinic, create.id, 0, sha256Hex(bytes), async (request) => {
      request.write(bytes.subarray(0, CHUNK / 2));
      // …and never the rest: the server's request timeout ends it.
    });
    expect(outcome.status === null || outcome.status === 408).toBe(true);
    expect((await server.db.query('SELECT 1 FROM delivery_chunks WHERE delivery_id = $1', [create.id])).rowCount).toBe(0);
    await waitFor(() => filesOnDisk(server.dir).filter((file) => file.startsWith(create.id)).length === 0);
    expect((await putChunk(server, clinic, create.id, 0, bytes)).status).toBe(201);
    expect(await clinic.client.complete(create.id)).toMatchObject({ state: 'complete' });
    expect(DeliveryStatusSchema.parse(await (await signedFetch(server.url, buyer, server.network.pinned, `/v1/deliveries/${create.id}`)).json()).state).toBe('complete');
    // Nothing in this suite was a server error: cut, stalled and lying requests are refusals.
    expect(server.logLines().filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  it.skipIf(variant.skip)('a chunk download reads that chunk’s row only: a delivery of n chunks is downloaded in n row reads, not n² (3 GiB are 6,144 chunks)', async () => {
    const [clinic, buyer] = [await deliveryMember(server), await deliveryMember(server, ['research'])];
    const bytes = blob(16 * CHUNK);
    const create = createFor(buyer, bytes);
    await clinic.client.upload({ ...create, open: (from) => [bytes.subarray(from)] });
    const db = server.db;
    const query = db.query.bind(db);
    let chunkRowsRead = 0;
    db.query = (async (sql: string, params?: never) => {
      const result = await query(sql, params);
      if (/\bdelivery_chunks\b/.test(sql)) chunkRowsRead += result.rows.length;
      return result;
    }) as typeof db.query;
    try {
      for (const index of [0, 5, 15]) {
        const before = chunkRowsRead;
        const response = await getSigned(server, buyer, chunkPath(create.id, index));
        expect(response.status).toBe(200);
        expect(new Uint8Array(await response.arrayBuffer())).toEqual(chunkOf(bytes, index));
        expect(chunkRowsRead - before).toBeLessThanOrEqual(1);
      }
    } finally {
      db.query = query;
    }
  });
});

/** Polls a condition that becomes true once the server has cleaned up after a cut request. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(condition()).toBe(true);
}

/**
 * A signed chunk PUT through node:http with chunked transfer (no Content-Length), whose body
 * `send` writes; answers the status and error code, or a null status when the server closed the
 * connection without an answer.
 */
async function rawPut(server: DeliveryTestServer, member: DeliveryMember, id: string, index: number, sha: string, send: (request: http.ClientRequest) => Promise<void>): Promise<{ status: number | null; code: string | null }> {
  const path = chunkPath(id, index);
  const headers = await signRequest(walletRequestSigner(member.wallet), { network: server.network.pinned.address, method: 'PUT', path, bodySha256: sha });
  return new Promise((resolve) => {
    const request = http.request(`${server.url}${path}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream', [CONTENT_SHA256_HEADER]: sha } });
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const parsed = ApiErrorSchema.safeParse(JSON.parse(Buffer.concat(parts).toString('utf8') || 'null'));
        resolve({ status: response.statusCode ?? null, code: parsed.success ? parsed.data.error.code : null });
      });
      response.on('error', () => resolve({ status: response.statusCode ?? null, code: null }));
    });
    request.on('error', () => resolve({ status: null, code: null }));
    send(request).catch(() => undefined);
  });
}
