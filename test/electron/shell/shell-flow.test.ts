import net, { type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { CallContext } from '../../../electron/ipc/contract-router';
import { SHELL_FLOW_LIMITS, startShellServer, type ShellFlowLimits, type ShellServer } from '../../../electron/shell/shell-server';
import type { Body } from '../../../electron/body';
import { useShellNodes } from '../../support/shell-node';

const startNode = useShellNodes();

/** A second shell server over a test node's body, with the limits given; closed before the node stops. */
async function shellWith(limits: Partial<ShellFlowLimits> = {}): Promise<{ server: ShellServer; body: Body }> {
  const started: { server?: ShellServer } = {};
  const { body, rendererDir } = await startNode(async () => started.server?.close());
  const server = await startShellServer({ body, rendererDir, port: 0, limits });
  started.server = server;
  return { server, body };
}

function open(server: ShellServer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, ['hdms.v1', `hdms.token.${server.token}`]);
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.on('error', reject);
  });
}

function status(server: ShellServer): Promise<number | 'open'> {
  return open(server).then(
    (ws) => {
      ws.close();
      return 'open' as const;
    },
    (error: Error) => Number(/HTTP (\d+)/.exec(error.message)?.[1] ?? 0),
  );
}

/** Collects the ids of the results a connection receives (events are skipped). */
function resultsOf(ws: WebSocket): Map<number, number> {
  const seen = new Map<number, number>();
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; id?: number };
    if (frame.type === 'result' && frame.id !== undefined) seen.set(frame.id, (seen.get(frame.id) ?? 0) + 1);
  });
  return seen;
}

function appInfo(id: number): string {
  return JSON.stringify({ type: 'call', id, method: 'app.info', payload: {} });
}

/** One call on a fresh connection; resolves with its result frame. */
async function callOnce(server: ShellServer): Promise<Record<string, unknown>> {
  const ws = await open(server);
  const answer = await new Promise<Record<string, unknown>>((resolve) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      if (frame['type'] === 'result') resolve(frame);
    });
    ws.send(appInfo(1));
  });
  ws.close();
  return answer;
}

/** A raw TCP client of the shell that sends `text` and keeps quiet; `closed` resolves with what it got back. */
function rawClient(server: ShellServer, text = ''): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.on('connect', () => {
      if (text !== '') socket.write(text);
      resolve({ socket, closed });
    });
  });
}

function pageStatus(server: ShellServer): Promise<number> {
  return fetch(`http://127.0.0.1:${server.port}/`).then((response) => response.status);
}

type Dispatch = (method: unknown, payload: unknown, context: CallContext) => ReturnType<Body['router']['dispatch']>;

/** Wraps the body's router: counts (and may hold) the calls of the first connection that calls. */
function watchFirstCaller(body: Body, hold: boolean) {
  const original: Dispatch = body.router.dispatch.bind(body.router);
  const watched = { connectionId: null as string | null, dispatched: 0, running: 0, peak: 0, held: [] as Array<() => void> };
  body.router.dispatch = async (method, payload, context) => {
    watched.connectionId ??= context.connectionId;
    if (context.connectionId !== watched.connectionId) return original(method, payload, context);
    watched.dispatched += 1;
    watched.running += 1;
    watched.peak = Math.max(watched.peak, watched.running);
    if (hold) await new Promise<void>((resolve) => watched.held.push(resolve));
    watched.running -= 1;
    return original(method, payload, context);
  };
  return watched;
}

describe('shell flow control: a flooding or slow client slows only itself', () => {
  it('works on at most callsInFlight calls of one connection at once, stops reading it meanwhile, answers every call once, and serves another connection', async () => {
    const { server, body } = await shellWith();
    const watched = watchFirstCaller(body, true);
    const flooder = await open(server);
    const answered = resultsOf(flooder);
    const calls = 5_000;
    for (let id = 1; id <= calls; id++) flooder.send(appInfo(id));

    await vi.waitFor(() => expect(watched.dispatched).toBeGreaterThanOrEqual(SHELL_FLOW_LIMITS.callsInFlight), { timeout: 20_000 });
    // While the first connection's calls are all held, another connection is answered.
    expect(await callOnce(server)).toMatchObject({ type: 'result', id: 1, result: { ok: true } });
    expect(watched.dispatched).toBe(SHELL_FLOW_LIMITS.callsInFlight);
    const [flow] = server.connectionFlows().filter((each) => each.inFlight > 0);
    expect(flow).toMatchObject({ inFlight: SHELL_FLOW_LIMITS.callsInFlight, peakInFlight: SHELL_FLOW_LIMITS.callsInFlight, paused: true });

    await vi.waitFor(() => {
      for (const release of watched.held.splice(0)) release();
      expect(answered.size).toBe(calls);
    }, { timeout: 60_000, interval: 5 });
    expect(watched.peak).toBe(SHELL_FLOW_LIMITS.callsInFlight);
    expect([...answered.values()].every((times) => times === 1)).toBe(true);
    expect(server.connectionFlows().find((each) => each.paused)).toBeUndefined();
    flooder.close();
  }, 90_000);

  it('stops reading a connection that does not read its answers once they pass unsentBytes, and goes on when it reads again', async () => {
    const unsentBytes = 64 * 1024;
    const { server, body } = await shellWith({ unsentBytes });
    const watched = watchFirstCaller(body, false);
    const slow = await open(server);
    const answered = resultsOf(slow);
    const socket = (slow as unknown as { _socket: Socket })._socket;
    socket.pause(); // reads nothing: the kernel's buffers fill, then the shell's

    let sent = 0;
    const sendBatch = (n: number): void => {
      for (let i = 0; i < n; i++) slow.send(appInfo(++sent));
    };
    const pausedForAnswers = () => server.connectionFlows().some((flow) => flow.paused && flow.inFlight === 0 && flow.unsentBytes > unsentBytes);
    for (let batch = 0; batch < 400 && !pausedForAnswers(); batch++) {
      sendBatch(500);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pausedForAnswers()).toBe(true);
    const dispatchedAtPause = watched.dispatched;
    sendBatch(2_000);
    await vi.waitFor(() => expect(slow.bufferedAmount).toBe(0));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing more was worked on; what waits is bounded by a socket chunk, what is unsent by the bound plus one round of calls.
    expect(watched.dispatched).toBe(dispatchedAtPause);
    expect(watched.dispatched).toBeLessThan(sent);
    const [flow] = server.connectionFlows().filter((each) => each.paused);
    expect(flow!.unsentBytes).toBeLessThan(unsentBytes + SHELL_FLOW_LIMITS.callsInFlight * 1024);
    expect(flow!.waitingBytes).toBeLessThan(1024 * 1024 + 64 * 1024);
    expect(await callOnce(server)).toMatchObject({ type: 'result', id: 1, result: { ok: true } });

    socket.resume();
    await vi.waitFor(() => expect(answered.size).toBe(sent), { timeout: 60_000 });
    expect([...answered.values()].every((times) => times === 1)).toBe(true);
    slow.close();
  }, 90_000);

  it('refuses a connection beyond the cap with 503 and admits one again when a slot frees', async () => {
    const { server } = await shellWith({ connections: 2 });
    const first = await open(server);
    const second = await open(server);
    expect(await status(server)).toBe(503);
    const closed = new Promise((resolve) => first.on('close', resolve));
    first.close();
    await closed;
    await vi.waitFor(() => expect(server.connectionFlows()).toHaveLength(1));
    expect(await status(server)).toBe('open');
    second.close();
  });
  it('closes a client that sends its headers or its body too slowly, and serves others meanwhile (slowloris)', async () => {
    const { server } = await shellWith({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const host = `127.0.0.1:${server.port}`;
    const noHeadersEnd = await rawClient(server, `GET / HTTP/1.1\r\nHost: ${host}\r\n`);
    const slowBody = await rawClient(server, `POST /access HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{"co`);
    expect(await pageStatus(server)).toBe(200);
    // Each is answered 408 and closed by the shell; neither ever finished its request.
    expect(await noHeadersEnd.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(await slowBody.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(await pageStatus(server)).toBe(200);
  });

  it('closes idle HTTP sockets only: a WebSocket quiet for longer than idleSocketMs still answers', async () => {
    const { server } = await shellWith({ idleSocketMs: 200 });
    const idleHttp = await rawClient(server);
    const ws = await open(server);
    // The HTTP socket is closed unanswered; the WebSocket (ws clears the socket timeout on upgrade) is not.
    expect(await idleHttp.closed).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const answer = new Promise<Record<string, unknown>>((resolve) =>
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        if (frame['type'] === 'result') resolve(frame);
      }),
    );
    ws.send(appInfo(1));
    expect(await answer).toMatchObject({ type: 'result', id: 1, result: { ok: true } });
    ws.close();
  });

  it('holds at most httpSockets sockets: one more is closed unanswered, and a page is served again once one frees', async () => {
    const { server } = await shellWith({ httpSockets: 4 });
    const idle = [];
    for (let i = 0; i < 4; i += 1) idle.push(await rawClient(server));
    const extra = await rawClient(server, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    expect(await extra.closed).toBe('');
    idle[0]!.socket.destroy();
    await idle[0]!.closed;
    await vi.waitFor(async () => expect(await pageStatus(server)).toBe(200));
    for (const client of idle) client.socket.destroy();
  });
});
