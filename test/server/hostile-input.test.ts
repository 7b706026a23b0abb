import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema, type ApiErrorCode } from '../../shared/network/api';
import { REQUEST_HEADERS } from '../../shared/network/signed-request';
import { join, newTestNode, postJson, signedFetch, signedJoin, type TestNode } from './support/member-client';
import { useTestDatabases } from './support/test-databases';
import { rowCounts, startTestServer, type TestServer } from './support/test-server';

/**
 * Bad input gets a typed 4xx, writes nothing, and the server keeps serving (issue 10, scale and
 * faults): malformed JSON, schema violations, wrong media type, oversized bodies, every kind of bad
 * signed request, a slow client holding a connection, a member flooding. On PGlite and PostgreSQL.
 */
const databases = useTestDatabases();
const MARKER = 'Zyxwv-Private-Marker-4242';

describe.each(databases.variants)('hostile input $label', (variant) => {
  let server: TestServer;
  let member: TestNode;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startTestServer(await databases.open(variant.kind), {
      limits: {
        bodyLimit: 4096,
        headersTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
        connectionsCheckingIntervalMs: 100,
        joinRateLimit: { max: 1_000, windowMs: 60_000 },
        memberRateLimit: { max: 8, windowMs: 60_000 },
      },
    });
    member = newTestNode();
    await join(server.url, member, server.network.pinned);
    await server.membership.approve(member.wallet.address);
  }, 60_000);
  afterAll(async () => server?.close());

  /** Expects a typed refusal that writes nothing, and the server still answering afterwards. */
  async function expectRefused(send: () => Promise<Response>, status: number, code: ApiErrorCode): Promise<void> {
    const before = await rowCounts(server.db);
    const response = await send();
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status });
    const body = ApiErrorSchema.parse(JSON.parse(text));
    expect(body.error.code).toBe(code);
    expect(text).not.toContain(MARKER);
    expect(await rowCounts(server.db)).toEqual(before);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }

  const rawPost = (body: string | Uint8Array<ArrayBuffer>, contentType = 'application/json') => () => fetch(`${server.url}/v1/join`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it.skipIf(variant.skip)('malformed JSON, invalid UTF-8 and an empty body are malformed_json', async () => {
    await expectRefused(rawPost(`{"request": {"legalName": "${MARKER}"`), 400, 'malformed_json');
    await expectRefused(rawPost(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, 'malformed_json');
    await expectRefused(rawPost(''), 400, 'malformed_json');
  });

  it.skipIf(variant.skip)('a join request off the schema is invalid_request and its content is not echoed', async () => {
    const node = newTestNode();
    const signed = await signedJoin(node, server.network.pinned);
    await expectRefused(() => postJson(`${server.url}/v1/join`, { ...signed, extra: MARKER }), 400, 'invalid_request');
    await expectRefused(() => postJson(`${server.url}/v1/join`, { ...signed, request: { ...signed.request, legalName: `${MARKER}\u0000` } }), 400, 'invalid_request');
    await expectRefused(() => postJson(`${server.url}/v1/join`, { ...signed, request: { ...signed.request, country: 'XK' } }), 400, 'invalid_request');
    await expectRefused(() => postJson(`${server.url}/v1/join`, { ...signed, request: { ...signed.request, legalName: 'Another Name' } }), 401, 'bad_signature');
  });

  it.skipIf(variant.skip)('another media type is unsupported_media_type; an oversized body is payload_too_large', async () => {
    await expectRefused(rawPost(MARKER, 'text/plain'), 415, 'unsupported_media_type');
    await expectRefused(rawPost(JSON.stringify({ pad: MARKER.repeat(1000) })), 413, 'payload_too_large');
  });

  it.skipIf(variant.skip)('unknown routes are not_found; bad addresses in paths are invalid_request', async () => {
    await expectRefused(() => fetch(`${server.url}/v1/${MARKER}`), 404, 'not_found');
    await expectRefused(() => fetch(`${server.url}/v1/join/0x${'ab'.repeat(20)}`), 400, 'invalid_request');
    await expectRefused(() => fetch(`${server.url}/v1/join/${newTestNode().wallet.address}`), 404, 'not_found');
  });

  it.skipIf(variant.skip)('signed requests: missing, malformed, wrong signature, wrong path, expired, unknown member', async () => {
    const me = '/v1/members/me';
    const pinned = server.network.pinned;
    await expectRefused(() => fetch(`${server.url}${me}`), 401, 'missing_signature');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { tamper: (h) => delete h[REQUEST_HEADERS.nonce] }), 400, 'invalid_signature_headers');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { tamper: (h) => (h[REQUEST_HEADERS.address] = h[REQUEST_HEADERS.address]!.toLowerCase()) }), 400, 'invalid_signature_headers');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { tamper: (h) => (h[REQUEST_HEADERS.signature] = `0x${'ff'.repeat(64)}`) }), 400, 'invalid_signature_headers');
    const impostor = newTestNode();
    await expectRefused(() => signedFetch(server.url, impostor, pinned, me, { tamper: (h) => (h[REQUEST_HEADERS.address] = member.wallet.address) }), 401, 'bad_signature');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { tamper: (h) => (h[REQUEST_HEADERS.timestamp] = String(Number(h[REQUEST_HEADERS.timestamp]) + 1)) }), 401, 'bad_signature');
    await expectRefused(() => signedFetch(server.url, member, { ...pinned, address: impostor.wallet.address }, me), 401, 'bad_signature');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { now: Date.now() - 6 * 60_000 }), 401, 'timestamp_out_of_window');
    await expectRefused(() => signedFetch(server.url, member, pinned, me, { now: Date.now() + 6 * 60_000 }), 401, 'timestamp_out_of_window');
    await expectRefused(() => signedFetch(server.url, impostor, pinned, me), 403, 'unknown_member');
  });

  it.skipIf(variant.skip)('a replayed nonce is refused; the first use is remembered once', async () => {
    const nonce = '0123456789abcdef0123456789abcdef';
    const now = Date.now();
    const first = await signedFetch(server.url, member, server.network.pinned, '/v1/members/me', { nonce, now });
    expect(first.status).toBe(200);
    await expectRefused(() => signedFetch(server.url, member, server.network.pinned, '/v1/members/me', { nonce, now }), 401, 'replayed_nonce');
    await expectRefused(() => signedFetch(server.url, member, server.network.pinned, '/v1/members/me', { nonce, now: now + 1 }), 401, 'replayed_nonce');
  });

  it.skipIf(variant.skip)('a slow client (one header byte at a time) is cut off while others are served', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = Date.now();
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const request = 'GET /v1/network-map HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (socket.destroyed || i >= request.length) return;
      socket.write(request[i++]!);
    }, 100);
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const lasted = await closed;
      expect(lasted).toBeLessThan(5_000);
      expect(i).toBeLessThan(request.length);
      expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it.skipIf(variant.skip)('a flooding member gets 429 rate_limited; another member is still served', async () => {
    const flooder = newTestNode();
    await join(server.url, flooder, server.network.pinned);
    await server.membership.approve(flooder.wallet.address);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await signedFetch(server.url, flooder, server.network.pinned, '/v1/members/me')).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(200));
    expect(statuses.slice(8)).toEqual(Array(4).fill(429));
    const limited = await signedFetch(server.url, flooder, server.network.pinned, '/v1/members/me');
    expect(ApiErrorSchema.parse(await limited.json()).error.code).toBe('rate_limited');
    const other = newTestNode();
    await join(server.url, other, server.network.pinned);
    await server.membership.approve(other.wallet.address);
    expect((await signedFetch(server.url, other, server.network.pinned, '/v1/members/me')).status).toBe(200);
  });

  it.skipIf(variant.skip)('the log holds no request content: no bodies, names, signatures or markers', async () => {
    const log = server.logLines().join('');
    expect(log).not.toContain(MARKER);
    expect(log).not.toContain('Clinique des Tests');
    expect(log).not.toMatch(/0x[0-9a-f]{128}/);
    expect(log).toContain('request refused');
  });
});
