// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketTransport } from '../../../renderer/transport/ws-transport';

/** Just enough of a browser WebSocket to drive the transport by hand. */
class FakeSocket {
  static last: FakeSocket | undefined;
  readonly sent: unknown[] = [];
  private readonly handlers = new Map<string, ((event: { data?: unknown; code?: number }) => void)[]>();
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.last = this;
  }
  addEventListener(type: string, handler: (event: { data?: unknown; code?: number }) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  fire(type: string, data?: unknown, code?: number): void {
    for (const handler of this.handlers.get(type) ?? []) handler({ data: data === undefined ? undefined : JSON.stringify(data), code });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  FakeSocket.last = undefined;
  vi.stubGlobal('WebSocket', FakeSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('WebSocket transport', () => {
  it('connects to the shell with the token as a subprotocol and matches answers to calls', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const answer = transport.call('vault.status', {});
    const socket = FakeSocket.last!;
    expect(socket.url).toBe(`ws://${window.location.host}/ws`);
    expect(socket.protocols).toEqual(['hdms.v1', 'hdms.token.feedfacefeedface']);

    socket.fire('open');
    await tick();
    expect(socket.sent).toEqual([{ type: 'call', id: 1, method: 'vault.status', payload: {} }]);
    socket.fire('message', { type: 'result', id: 1, result: { ok: true, value: { state: 'absent' } } });
    expect(await answer).toEqual({ ok: true, value: { state: 'absent' } });
  });

  it('delivers events to subscribers until they unsubscribe', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const heard: unknown[] = [];
    const off = transport.subscribe('app.stopping', (payload) => heard.push(payload));
    const socket = FakeSocket.last!;
    socket.fire('open');
    socket.fire('message', { type: 'event', name: 'app.stopping', payload: { reason: 'quit' } });
    socket.fire('message', { type: 'event', name: 'no.such.event', payload: {} });
    off();
    socket.fire('message', { type: 'event', name: 'app.stopping', payload: { reason: 'signal' } });
    expect(heard).toEqual([{ reason: 'quit' }]);
  });

  it('after the body announces it is stopping, fails calls at once without reconnecting', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    transport.subscribe('app.stopping', () => undefined);
    const socket = FakeSocket.last!;
    socket.fire('open');
    socket.fire('message', { type: 'event', name: 'app.stopping', payload: { reason: 'signal' } });
    socket.fire('close');
    FakeSocket.last = undefined;
    const answer = await transport.call('vault.status', {});
    expect(answer).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    expect(FakeSocket.last).toBeUndefined();
  });

  it('treats a close with 1001 (the shell going away) as a stop', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    transport.subscribe('app.stopping', () => undefined);
    const socket = FakeSocket.last!;
    socket.fire('open');
    socket.fire('close', undefined, 1001);
    FakeSocket.last = undefined;
    expect(await transport.call('vault.status', {})).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    expect(FakeSocket.last).toBeUndefined();
  });

  it('answers pending calls with E_UNAVAILABLE when the connection drops', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const answer = transport.call('app.info', {});
    const socket = FakeSocket.last!;
    socket.fire('open');
    await tick();
    socket.fire('close');
    expect(await answer).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
  });

  it('answers E_UNAVAILABLE when the shell cannot be reached at all', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const answer = transport.call('app.info', {});
    FakeSocket.last!.fire('close');
    expect(await answer).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
  });
});
