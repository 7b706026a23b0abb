import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Body } from '../../../electron/body';
import type { ShellServer } from '../../../electron/shell/shell-server';
import { fromBase64Url, toBase64Url } from '../../../shared/crypto/bytes';
import { signSessionProof } from '../../../shared/crypto/operator-signing';
import { decodeBinaryFrame } from '../../../shared/ipc/ws-protocol';
import { useShellNodes } from '../../support/shell-node';
import { vaultWithObject } from './shell-test-support';

const startNode = useShellNodes();

async function start(): Promise<ShellServer> {
  return (await startWithBody()).server;
}

async function startWithBody(): Promise<{ server: ShellServer; body: Body; release: () => void }> {
  const { dataDir, rendererDir, server, body, release } = await startNode();
  // The shell reads files per request: an asset, and a file beside the renderer it must never serve.
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dataDir, 'secret.txt'), 'not for the web');
  return { server, body, release };
}

function get(server: ShellServer, urlPath: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function post(server: ShellServer, urlPath: string, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function codeOf(link: string): string {
  return /#code=([0-9a-f]{64})$/.exec(link)![1]!;
}

function connect(server: ShellServer, protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<{ ws?: WebSocket; status?: number }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, protocols, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode }));
    ws.on('error', () => resolve({}));
  });
}

function authorised(server: ShellServer) {
  return connect(server, ['hdms.v1', `hdms.token.${server.token}`]);
}

/** Sends raw text frames and collects the next n server frames. */
function exchange(ws: WebSocket, frames: Array<string | Buffer>, n: number): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve) => {
    const received: Array<Record<string, unknown>> = [];
    const onMessage = (data: WebSocket.RawData) => {
      received.push(JSON.parse(data.toString()) as Record<string, unknown>);
      if (received.length === n) {
        ws.off('message', onMessage);
        resolve(received);
      }
    };
    ws.on('message', onMessage);
    for (const frame of frames) ws.send(frame);
  });
}

/** Sends one text frame; resolves with the next frame that is not an event, text or binary (the body broadcasts events, e.g. after demo.import, at any time). */
function nextRaw(ws: WebSocket, frame: string): Promise<{ isBinary: boolean; data: Buffer }> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      if (!isBinary && (JSON.parse(data.toString()) as { type?: unknown }).type === 'event') return;
      ws.off('message', onMessage);
      resolve({ isBinary, data });
    };
    ws.on('message', onMessage);
    ws.send(frame);
  });
}

const asArrayBuffer = (data: Buffer): ArrayBuffer => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;

describe('browser shell server', () => {
  it('listens on 127.0.0.1 only and prints a ready line with a one-time code, never the token', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.readyLine).toMatch(new RegExp(`^HDMS shell ready at http://127\\.0\\.0\\.1:${server.port}/#code=[0-9a-f]{64}$`));
    const link = server.newLink();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#code=[0-9a-f]{64}$`));
    for (const printed of [server.readyLine, link]) expect(printed).not.toContain(server.token);
  });

  it('trades a link code for the token once, by POST with the code in the body, never in a URL', async () => {
    const server = await start();
    const code = codeOf(server.readyLine);
    const own = { Host: `127.0.0.1:${server.port}`, Origin: `http://127.0.0.1:${server.port}` };
    const first = await post(server, '/access', JSON.stringify({ code }), own);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(first.body)).toEqual({ token: server.token });
    // A second tab opening the same link: refused, and told why.
    const second = await post(server, '/access', JSON.stringify({ code }), own);
    expect(second.status).toBe(410);
    expect(JSON.parse(second.body)).toEqual({ refused: 'used' });
    expect(second.body).not.toContain(server.token);
    const unknown = await post(server, '/access', JSON.stringify({ code: '0'.repeat(64) }), own);
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([401, { refused: 'unknown' }]);
    // The code as a query parameter is not a way in (it would land in History).
    expect((await post(server, `/access?code=${codeOf(server.newLink())}`, '', own)).status).toBe(400);
    expect((await get(server, '/access', own)).status).toBe(405);
  });

  it('answers a link code only to its own host and origin', async () => {
    const server = await start();
    const host = `127.0.0.1:${server.port}`;
    const foreign = await post(server, '/access', JSON.stringify({ code: codeOf(server.newLink()) }), { Host: host, Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await post(server, '/access', JSON.stringify({ code: codeOf(server.newLink()) }), { Host: 'rebound.example' })).status).toBe(421);
    // Both codes were refused before they were looked at: they still work.
    expect((await post(server, '/access', JSON.stringify({ code: codeOf(server.readyLine) }), { Host: host })).status).toBe(200);
  });

  it('serves the renderer with the CSP and security headers', async () => {
    const server = await start();
    const page = await get(server, '/', { host: `127.0.0.1:${server.port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}`);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await get(server, '/assets/app.js', { host: `localhost:${server.port}` })).headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('refuses other hosts, methods, unknown files and traversal', async () => {
    const server = await start();
    const host = { host: `127.0.0.1:${server.port}` };
    expect((await get(server, '/', { host: 'evil.example' })).status).toBe(421);
    expect((await get(server, '/', host, 'POST')).status).toBe(405);
    expect((await get(server, '/missing.js', host)).status).toBe(404);
    for (const attempt of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const response = await get(server, attempt, host);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('not for the web');
    }
  });

  it('refuses a WebSocket without the token, with a wrong token, from a foreign origin or host', async () => {
    const server = await start();
    expect(await connect(server, ['hdms.v1'])).toEqual({ status: 401 });
    expect(await connect(server, ['hdms.v1', `hdms.token.${'0'.repeat(64)}`])).toEqual({ status: 401 });
    expect(await connect(server, ['hdms.v1', 'hdms.token.short'])).toEqual({ status: 401 });
    expect(await connect(server, ['hdms.v1', `hdms.token.${server.token}`], { Origin: 'https://evil.example' })).toEqual({ status: 403 });
    expect(await connect(server, ['hdms.v1', `hdms.token.${server.token}`], { Host: 'rebound.example' })).toEqual({ status: 403 });
    expect(await connect(server, [`hdms.token.${server.token}`])).toEqual({ status: 400 });
    const ok = await connect(server, ['hdms.v1', `hdms.token.${server.token}`], { Origin: `http://127.0.0.1:${server.port}` });
    expect(ok.ws?.protocol).toBe('hdms.v1');
    ok.ws?.close();
  });

  it('carries the contract: results, typed errors and events', async () => {
    const server = await start();
    const { ws } = await authorised(server);
    if (!ws) throw new Error('no connection');
    const frames = await exchange(ws, [
      JSON.stringify({ type: 'call', id: 1, method: 'prefs.update', payload: { theme: 'light' } }),
    ], 2);
    expect(frames).toContainEqual({ type: 'event', name: 'prefs.changed', payload: { theme: 'light', density: 'compact' } });
    expect(frames).toContainEqual({ type: 'result', id: 1, result: { ok: true, value: { theme: 'light', density: 'compact' } } });
    const [bad] = await exchange(ws, [JSON.stringify({ type: 'call', id: 2, method: 'prefs.update', payload: { theme: 7 } })], 1);
    expect(bad).toMatchObject({ type: 'result', id: 2, result: { ok: false, error: { code: 'E_BAD_REQUEST' } } });
    ws.close();
  });

  it('survives garbage frames and keeps serving the same connection', async () => {
    const server = await start();
    const { ws } = await authorised(server);
    if (!ws) throw new Error('no connection');
    const garbage = ['not json', '{"type":"call"}', '[]', 'null', JSON.stringify({ type: 'call', id: -1, method: 'app.info', payload: {} }), Buffer.from([0, 1, 2])];
    const answers = await exchange(ws, garbage, garbage.length);
    for (const answer of answers) expect(answer).toMatchObject({ type: 'protocol-error', error: { code: 'E_BAD_REQUEST' } });
    const [info] = await exchange(ws, [JSON.stringify({ type: 'call', id: 9, method: 'app.info', payload: {} })], 1);
    expect(info).toMatchObject({ type: 'result', id: 9, result: { ok: true } });
    ws.close();
  });

  it('drops a connection that sends an oversize frame and still serves others', async () => {
    const server = await start();
    const { ws } = await authorised(server);
    if (!ws) throw new Error('no connection');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    const { ws: next } = await authorised(server);
    if (!next) throw new Error('no second connection');
    const [info] = await exchange(next, [JSON.stringify({ type: 'call', id: 1, method: 'app.info', payload: {} })], 1);
    expect(info).toMatchObject({ type: 'result', id: 1, result: { ok: true } });
    next.close();
  });

  it('tells clients the node is stopping, then closes their sockets', async () => {
    const { server, body, release } = await startWithBody();
    const { ws } = await authorised(server);
    if (!ws) throw new Error('no connection');
    const heard: unknown[] = [];
    ws.on('message', (data) => heard.push(JSON.parse(data.toString())));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    release();
    body.onStop(() => server.close());
    await body.stop('signal');
    expect(await closed).toBe(1001);
    expect(heard).toEqual([{ type: 'event', name: 'app.stopping', payload: { reason: 'signal' } }]);
  });

  it('answers objects.readBinary in one binary frame with the same bytes objects.read gives, to clinical sessions only, and keeps serving after garbage', async () => {
    const { server, body } = await startWithBody();
    const { vault, objectId: id, expected } = await vaultWithObject(body);

    const { ws } = await authorised(server);
    if (!ws) throw new Error('no connection');
    // No session on this connection yet: the access rule refuses it, as JSON.
    const refused = await nextRaw(ws, JSON.stringify({ type: 'call', id: 1, method: 'objects.readBinary', payload: { id, offset: 0, length: 100 } }));
    expect(refused.isBinary).toBe(false);
    expect(JSON.parse(refused.data.toString())).toMatchObject({ type: 'result', id: 1, result: { ok: false, error: { code: 'E_FORBIDDEN' } } });

    const begun = JSON.parse((await nextRaw(ws, JSON.stringify({ type: 'call', id: 2, method: 'vault.unlockBegin', payload: { operatorId: vault.operatorId, kind: 'passphrase' } }))).data.toString()) as {
      result: { value: { attempt: string; challenge: string; slot: { id: string } } };
    };
    const signature = await signSessionProof(vault.signingKey, fromBase64Url(begun.result.value.challenge), begun.result.value.slot.id);
    await nextRaw(ws, JSON.stringify({ type: 'call', id: 3, method: 'vault.unlockFinish', payload: { attempt: begun.result.value.attempt, signature: toBase64Url(signature) } }));

    const whole = await nextRaw(ws, JSON.stringify({ type: 'call', id: 4, method: 'objects.readBinary', payload: { id, offset: 0, length: 4 * 1024 * 1024 } }));
    expect(whole.isBinary).toBe(true);
    const decoded = decodeBinaryFrame(asArrayBuffer(whole.data));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.id).toBe(4);
    expect(decoded.result.value['size']).toBe(expected.length);
    expect(Buffer.from(decoded.result.value['bytes'] as Uint8Array).equals(expected)).toBe(true);
    // Only the slice travels: header + 100 bytes.
    const part = await nextRaw(ws, JSON.stringify({ type: 'call', id: 5, method: 'objects.readBinary', payload: { id, offset: 10, length: 100 } }));
    const slice = decodeBinaryFrame(asArrayBuffer(part.data));
    if (!slice.ok) throw new Error(slice.reason);
    expect(Buffer.from(slice.result.value['bytes'] as Uint8Array).equals(expected.subarray(10, 110))).toBe(true);
    expect(part.data.length).toBeLessThan(100 + 200);

    // Garbage binary frames from the page are refused with a clear error; the socket still serves.
    for (const garbage of [Buffer.from([0, 0, 0, 9, 1, 2]), Buffer.alloc(64 * 1024, 0xff)]) {
      const answer = await nextRaw(ws, garbage as unknown as string);
      expect(JSON.parse(answer.data.toString())).toEqual({ type: 'protocol-error', error: { code: 'E_BAD_REQUEST', message: 'Frames must be JSON text.' } });
    }
    const again = await nextRaw(ws, JSON.stringify({ type: 'call', id: 6, method: 'objects.readBinary', payload: { id, offset: 0, length: 5 } }));
    expect(again.isBinary).toBe(true);
    // A request over the largest slice is refused by the contract, as JSON.
    const tooLong = await nextRaw(ws, JSON.stringify({ type: 'call', id: 7, method: 'objects.readBinary', payload: { id, offset: 0, length: 4 * 1024 * 1024 + 1 } }));
    expect(JSON.parse(tooLong.data.toString())).toMatchObject({ type: 'result', id: 7, result: { ok: false, error: { code: 'E_BAD_REQUEST' } } });
    ws.close();
  });
});
