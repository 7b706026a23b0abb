import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hexlify, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { startNetworkServer, type RunningServer } from '../../../server/server-process';
import { generateOperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import { CONTENT_SHA256_HEADER } from '../../../shared/network/delivery';
import { signJoinRequest } from '../../../shared/network/membership';
import { walletRequestSigner } from '../../../shared/network/signed-request';
import { signDelegation } from '../../../shared/network/transport-delegation';
import { randomWallet } from '../../support/fake-network-server';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call, makeTestVault, signIn } from '../vault/vault-test-support';

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

type Tampered = { readonly status: number; readonly headers: Record<string, string>; readonly body: string | Uint8Array };

/** Forwards every request to the server unchanged, unless `tamper` answers for it. */
interface Proxy {
  readonly url: string;
  tamper: ((method: string, path: string) => Tampered | null) | null;
}

async function startProxy(target: string): Promise<Proxy> {
  const proxy: { url: string; tamper: Proxy['tamper'] } = { url: '', tamper: null };
  const server = http.createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (piece: Buffer) => pieces.push(piece));
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET';
        const path = req.url ?? '/';
        const tampered = proxy.tamper?.(method, path) ?? null;
        if (tampered !== null) {
          res.writeHead(tampered.status, tampered.headers);
          res.end(tampered.body);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
        }
        const body = Buffer.concat(pieces);
        const answer = await fetch(`${target}${path}`, { method, headers, ...(body.length > 0 ? { body } : {}) });
        const forwarded: Record<string, string> = {};
        for (const name of ['content-type', 'etag', CONTENT_SHA256_HEADER]) {
          const value = answer.headers.get(name);
          if (value !== null) forwarded[name] = value;
        }
        res.writeHead(answer.status, forwarded);
        res.end(Buffer.from(await answer.arrayBuffer()));
      })().catch(() => {
        res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

interface Node {
  readonly body: Body;
  readonly identity: Wallet;
}

/** A body with an open vault that joined the network (approved at once) under a new identity key. */
async function joinedNode(server: RunningServer, url: string, legalName: string, roles: ('clinic' | 'research')[]): Promise<Node> {
  const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
  cleanup(() => body.stop('quit'));
  const vault = await makeTestVault();
  await call(body, 'vault.create', { keyring: vault.keyring });
  await signIn(body, vault);
  const identity = randomWallet();
  const { preview } = await call(body, 'network.inspect', { url });
  const request = await signJoinRequest(identity, preview.chainId, {
    network: server.network.pinned.address,
    node: identity.address,
    legalName,
    country: 'CH',
    roles,
    messageKey: hexlify((await generateOperatorSigningKey()).publicKey),
    appVersion: '0.1.0',
    nonce: hexlify(randomBytes(32)),
    createdAt: Date.now(),
  });
  await call(body, 'network.join', { url, fingerprint: preview.fingerprint, request });
  const { state } = await call(body, 'network.refresh', {});
  expect(state).toMatchObject({ status: 'approved', node: identity.address });
  return { body, identity };
}

/** What the mind does at unlock: a delegation of the node's requests to the body's transport key. */
async function delegate({ body, identity }: Node, server: RunningServer): Promise<void> {
  const { transportKey } = await call(body, 'network.transport', {});
  const now = Date.now();
  const delegation = await signDelegation(walletRequestSigner(identity), { network: server.network.pinned.address, transportKey, notBefore: now - 1_000, notAfter: now + 3_600_000 });
  await call(body, 'network.delegate', { delegation });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as { code?: string; message: string },
  );
  return { code: error.code, message: error.message };
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
/** A copy with its first byte changed. */
function flipped(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0] = copy[0]! ^ 0xff;
  return copy;
}

describe('network: deliveries through the body', () => {
  it('the sender uploads out of order, retries, completes; the recipient lists and reads every chunk byte-identical; refusals and garbage are not passed on', { timeout: 120_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent', anchorIntervalMs: 0 });
    cleanup(() => server.close());
    const proxy = await startProxy(server.url);
    const clinic = await joinedNode(server, proxy.url, 'Example Clinic', ['clinic']);
    const research = await joinedNode(server, proxy.url, 'Example Research Institute', ['research']);
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
