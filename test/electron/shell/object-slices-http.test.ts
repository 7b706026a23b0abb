import http from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Body } from '../../../electron/body';
import { MAX_SLICES_IN_FLIGHT, ObjectTickets } from '../../../electron/shell/object-slices-http';
import type { ShellServer } from '../../../electron/shell/shell-server';
import { fromBase64Url, toBase64Url } from '../../../shared/crypto/bytes';
import { signSessionProof } from '../../../shared/crypto/operator-signing';
import { OBJECT_SIZE_HEADER, OBJECT_SLICE_PATH, OBJECT_TICKET_HEADER, OBJECT_TICKET_METHOD } from '../../../shared/ipc/ws-protocol';
import { useShellNodes } from '../../support/shell-node';
import type { TestVault } from '../vault/vault-test-support';
import { vaultWithObject } from './shell-test-support';

/**
 * objects.readBinary over HTTP in the browser shell: a GET with the read ticket of an open
 * WebSocket connection is answered as that connection's call would be (same access rule), and
 * nothing else reads an object.
 */
const startNode = useShellNodes();

async function startWithObject(): Promise<{ server: ShellServer; body: Body; vault: TestVault; objectId: string; expected: Buffer }> {
  const { server, body } = await startNode();
  return { server, body, ...(await vaultWithObject(body)) };
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

function get(server: ShellServer, urlPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, method, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

const slicePath = (id: string, offset: number | string, length: number | string) => `${OBJECT_SLICE_PATH}?id=${encodeURIComponent(id)}&offset=${offset}&length=${length}`;

async function open(server: ShellServer): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, ['hdms.v1', `hdms.token.${server.token}`]);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** One call over the socket; resolves with its result (events skipped). */
function callOver(ws: WebSocket, id: number, method: string, payload: unknown): Promise<{ ok: boolean; value?: Record<string, unknown>; error?: { code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as { type: string; id?: number; result?: never };
      if (frame.type !== 'result' || frame.id !== id) return;
      ws.off('message', onMessage);
      resolve(frame.result!);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, method, payload }));
  });
}

async function unlockOver(ws: WebSocket, vault: TestVault): Promise<void> {
  const begun = await callOver(ws, 900, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
  const value = begun.value as { attempt: string; challenge: string; slot: { id: string } };
  const signature = await signSessionProof(vault.signingKey, fromBase64Url(value.challenge), value.slot.id);
  const finished = await callOver(ws, 901, 'vault.unlockFinish', { attempt: value.attempt, signature: toBase64Url(signature) });
  expect(finished.ok).toBe(true);
}

async function ticketOf(ws: WebSocket): Promise<string> {
  const answer = await callOver(ws, 1, OBJECT_TICKET_METHOD, null);
  expect(answer.ok).toBe(true);
  return (answer.value as { ticket: string }).ticket;
}

describe('object slices over HTTP (browser shell)', () => {
  it('answers a GET with the ticket of a signed-in connection with the same bytes as objects.read, slice by slice', async () => {
    const { server, vault, objectId, expected } = await startWithObject();
    const ws = await open(server);
    const ticket = await ticketOf(ws);
    expect(ticket).toMatch(/^[0-9a-f]{64}$/);
    // The same connection asks again: the same ticket.
    expect(await ticketOf(ws)).toBe(ticket);

    // No session on this connection yet: the body's access rule refuses, as JSON.
    const refused = await get(server, slicePath(objectId, 0, 100), { [OBJECT_TICKET_HEADER]: ticket });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });

    await unlockOver(ws, vault);
    const whole = await get(server, slicePath(objectId, 0, 4 * 1024 * 1024), { [OBJECT_TICKET_HEADER]: ticket });
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('application/octet-stream');
    expect(whole.headers['cache-control']).toBe('no-store');
    expect(Number(whole.headers[OBJECT_SIZE_HEADER])).toBe(expected.length);
    expect(whole.body.equals(expected)).toBe(true);
    const part = await get(server, slicePath(objectId, 10, 100), { [OBJECT_TICKET_HEADER]: ticket });
    expect(part.body.equals(expected.subarray(10, 110))).toBe(true);
    expect(Number(part.headers[OBJECT_SIZE_HEADER])).toBe(expected.length);
    ws.close();
  });

  it('refuses a GET without a ticket, with a wrong one, with one of a closed connection, from another origin or host, and other methods', async () => {
    const { server, vault, objectId } = await startWithObject();
    const ws = await open(server);
    const ticket = await ticketOf(ws);
    await unlockOver(ws, vault);

    expect((await get(server, slicePath(objectId, 0, 10))).status).toBe(401);
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: 'f'.repeat(64) })).status).toBe(401);
    // The server token is not a read ticket.
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: server.token })).status).toBe(401);
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket, origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket, host: 'evil.example' })).status).toBe(421);
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket }, 'POST')).status).toBe(405);
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket }, 'HEAD')).status).toBe(405);
    // Still good for the connection that owns it.
    expect((await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket })).status).toBe(200);

    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
    // The server learns of the close a moment later.
    await expect.poll(async () => (await get(server, slicePath(objectId, 0, 10), { [OBJECT_TICKET_HEADER]: ticket })).status).toBe(401);
  });

  it('answers garbage queries with a clear error and keeps serving; bounds the reads in flight per connection', async () => {
    const { server, vault, objectId, expected } = await startWithObject();
    const ws = await open(server);
    const ticket = await ticketOf(ws);
    await unlockOver(ws, vault);
    const withTicket = { [OBJECT_TICKET_HEADER]: ticket };
    for (const query of [`${OBJECT_SLICE_PATH}`, slicePath(objectId, -1, 10), slicePath(objectId, '1e3', 10), slicePath(objectId, 0, 'x'), slicePath(objectId, 0, '9'.repeat(40)), `${OBJECT_SLICE_PATH}?id=&offset=0&length=1`]) {
      const answer = await get(server, query, withTicket);
      expect(answer.status, query).toBe(400);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
    }
    // Over the largest slice: the contract refuses it.
    const tooLong = await get(server, slicePath(objectId, 0, 4 * 1024 * 1024 + 1), withTicket);
    expect(tooLong.status).toBe(400);
    const missing = await get(server, slicePath('0'.repeat(64), 0, 10), withTicket);
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body.toString())).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });

    // Many at once: each is answered, in full or with 429 beyond the bound, and none is lost.
    const answers = await Promise.all(Array.from({ length: MAX_SLICES_IN_FLIGHT * 4 }, () => get(server, slicePath(objectId, 0, 4 * 1024 * 1024), withTicket)));
    for (const answer of answers) {
      expect([200, 429]).toContain(answer.status);
      if (answer.status === 200) expect(answer.body.equals(expected)).toBe(true);
    }
    expect(answers.some((answer) => answer.status === 200)).toBe(true);
    expect((await get(server, slicePath(objectId, 0, 10), withTicket)).status).toBe(200);
    ws.close();
  });

  it('counts reads in flight per connection up to the bound, and forgets a closed connection', () => {
    const tickets = new ObjectTickets();
    const a = tickets.ticketFor('conn-a');
    expect(tickets.ticketFor('conn-b')).not.toBe(a);
    for (let i = 0; i < MAX_SLICES_IN_FLIGHT; i++) expect(tickets.enter('conn-a')).toBe(true);
    expect(tickets.enter('conn-a')).toBe(false);
    // Another connection has its own count.
    expect(tickets.enter('conn-b')).toBe(true);
    tickets.leave('conn-a');
    expect(tickets.enter('conn-a')).toBe(true);
    expect(tickets.connectionOf(a)).toBe('conn-a');
    tickets.revoke('conn-a');
    expect(tickets.connectionOf(a)).toBeNull();
    expect(tickets.ticketFor('conn-a')).not.toBe(a);
  });
});
