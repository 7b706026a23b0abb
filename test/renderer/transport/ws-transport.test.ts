// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketTransport } from '../../../renderer/transport/ws-transport';
import { encodeResultFrame, MAX_BINARY_PAYLOAD_BYTES, OBJECT_SIZE_HEADER, OBJECT_SLICE_PATH, OBJECT_TICKET_HEADER, OBJECT_TICKET_METHOD } from '../../../shared/ipc/ws-protocol';

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
  binaryType = 'blob';
  /** A frame as the browser hands it over: an ArrayBuffer once binaryType is 'arraybuffer'. */
  fireBinary(data: ArrayBuffer): void {
    if (this.binaryType !== 'arraybuffer') throw new Error('the transport must ask for ArrayBuffers');
    for (const handler of this.handlers.get('message') ?? []) handler({ data });
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

/** A transport whose open socket just dropped unannounced (1006), and what its lost-connection listener heard. */
function droppedConnection() {
  const transport = createWebSocketTransport('feedfacefeedface', window.location);
  const heard: boolean[] = [];
  transport.onConnectionLost!((reachable) => heard.push(reachable));
  transport.subscribe('app.stopping', () => undefined);
  const first = FakeSocket.last!;
  first.fire('open');
  first.fire('close', undefined, 1006);
  return { transport, heard, first };
}

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

  it('when an open connection drops (a crash: 1006), dials once more and says whether the node could be reached; unreachable counts as a stop', async () => {
    const { transport, heard, first } = droppedConnection();
    const probe = FakeSocket.last!;
    expect(probe).not.toBe(first);
    probe.fire('close', undefined, 1006); // refused: nothing listens any more
    await tick();
    expect(heard).toEqual([false]);
    FakeSocket.last = undefined;
    expect(await transport.call('vault.status', {})).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringMatching(/shut down|not reachable/) } });
    expect(FakeSocket.last).toBeUndefined();
  });

  it('when the node answers again after a drop, says so (the body ended the old connection’s sessions) and goes on over the new socket', async () => {
    const { transport, heard } = droppedConnection();
    const probe = FakeSocket.last!;
    probe.fire('open');
    await tick();
    expect(heard).toEqual([true]);
    const answer = transport.call('vault.status', {});
    await tick();
    expect(probe.sent).toEqual([{ type: 'call', id: 1, method: 'vault.status', payload: {} }]);
    probe.fire('message', { type: 'result', id: 1, result: { ok: true, value: { state: 'locked' } } });
    expect(await answer).toEqual({ ok: true, value: { state: 'locked' } });
  });

  it('does not report a lost connection for a stop the body announced, nor for a connection that never opened', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const heard: boolean[] = [];
    transport.onConnectionLost!((reachable) => heard.push(reachable));
    transport.subscribe('app.stopping', () => undefined);
    FakeSocket.last!.fire('close', undefined, 1006); // never opened: the shell was not there to begin with
    await tick();
    expect(heard).toEqual([]);
    void transport.call('vault.status', {});
    const socket = FakeSocket.last!;
    socket.fire('open');
    socket.fire('close', undefined, 1001);
    await tick();
    expect(heard).toEqual([]);
  });

  it('answers E_UNAVAILABLE when the shell cannot be reached at all', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const answer = transport.call('app.info', {});
    FakeSocket.last!.fire('close');
    expect(await answer).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
  });

  it('reads a binary result into a Uint8Array; a garbage or oversized binary frame fails its own call only, and the socket goes on', async () => {
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const id = 'a'.repeat(64);
    const first = transport.call('objects.readBinary', { id, offset: 0, length: 16 });
    const second = transport.call('objects.readBinary', { id, offset: 16, length: 16 });
    const socket = FakeSocket.last!;
    socket.fire('open');
    await tick();
    // It asks for the connection's HTTP read ticket first; a shell without one: the reads go over the socket.
    expect(socket.sent).toEqual([{ type: 'call', id: 1, method: OBJECT_TICKET_METHOD, payload: null }]);
    socket.fire('message', { type: 'result', id: 1, result: { ok: false, error: { code: 'E_UNKNOWN_METHOD', message: 'No such method.' } } });
    await tick();
    expect(socket.sent.slice(1)).toEqual([
      { type: 'call', id: 2, method: 'objects.readBinary', payload: { id, offset: 0, length: 16 } },
      { type: 'call', id: 3, method: 'objects.readBinary', payload: { id, offset: 16, length: 16 } },
    ]);
    const frame = (callId: number, bytes: Uint8Array): ArrayBuffer => {
      const encoded = encodeResultFrame({ type: 'result', id: callId, result: { ok: true, value: { bytes, size: 32 } } });
      if (typeof encoded === 'string') throw new Error('expected binary');
      const out = new Uint8Array(encoded.header.byteLength + encoded.bytes.byteLength);
      out.set(encoded.header);
      out.set(encoded.bytes, encoded.header.byteLength);
      return out.buffer;
    };
    socket.fireBinary(frame(2, new Uint8Array(16).fill(7)));
    const answer = await first;
    if (!answer.ok) throw new Error(answer.error.message);
    const value = answer.value as { bytes: Uint8Array; size: number };
    expect(value.bytes).toBeInstanceOf(Uint8Array);
    expect([...value.bytes]).toEqual(new Array(16).fill(7));
    expect(value.size).toBe(32);

    // Unreadable headers name no call: ignored. An oversized answer fails call 2 with a clear error.
    socket.fireBinary(new Uint8Array([1, 2]).buffer);
    socket.fireBinary(new Uint8Array([0, 0, 0, 4, 0x7b, 0x7b, 0x7b, 0x7b]).buffer);
    const oversized = new Uint8Array(frame(3, new Uint8Array(0)).byteLength + MAX_BINARY_PAYLOAD_BYTES + 1);
    oversized.set(new Uint8Array(frame(3, new Uint8Array(0))));
    socket.fireBinary(oversized.buffer);
    expect(await second).toEqual({ ok: false, error: { code: 'E_INTERNAL', message: "The node's answer could not be read: The node sent more bytes than one answer may carry." } });

    // The same socket still carries later calls.
    const third = transport.call('app.info', {});
    await tick();
    expect(FakeSocket.last).toBe(socket);
    socket.fire('message', { type: 'result', id: 4, result: { ok: true, value: { productName: 'HDMS Node' } } });
    expect(await third).toEqual({ ok: true, value: { productName: 'HDMS Node' } });
  });

  it('reads object slices over HTTP with the connection ticket; the contract error comes back as sent; a refused ticket falls back to the socket', async () => {
    const requests: Array<{ url: string; ticket: string | null }> = [];
    const answers: Response[] = [
      new Response(new Uint8Array(16).fill(9), { status: 200, headers: { [OBJECT_SIZE_HEADER]: '40' } }),
      new Response(JSON.stringify({ ok: false, error: { code: 'E_FORBIDDEN', message: 'Sign in first.' } }), { status: 403, headers: { 'content-type': 'application/json' } }),
      new Response(JSON.stringify({ ok: false, error: { code: 'E_FORBIDDEN', message: 'no ticket' } }), { status: 401 }),
      new Response('<html>proxy error</html>', { status: 502 }),
    ];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, ticket: new Headers(init.headers).get(OBJECT_TICKET_HEADER) });
      return answers.shift()!;
    });
    const transport = createWebSocketTransport('feedfacefeedface', window.location);
    const id = 'b'.repeat(64);
    const first = transport.call('objects.readBinary', { id, offset: 8, length: 16 });
    const socket = FakeSocket.last!;
    socket.fire('open');
    await tick();
    expect(socket.sent).toEqual([{ type: 'call', id: 1, method: OBJECT_TICKET_METHOD, payload: null }]);
    socket.fire('message', { type: 'result', id: 1, result: { ok: true, value: { ticket: 'c'.repeat(64) } } });
    const answer = await first;
    if (!answer.ok) throw new Error(answer.error.message);
    expect([...(answer.value as { bytes: Uint8Array }).bytes]).toEqual(new Array(16).fill(9));
    expect((answer.value as { size: number }).size).toBe(40);
    expect(requests[0]).toEqual({ url: `${OBJECT_SLICE_PATH}?id=${id}&offset=8&length=16`, ticket: 'c'.repeat(64) });

    // The body's refusal, as the socket would have given it; the ticket is asked for once per connection.
    expect(await transport.call('objects.readBinary', { id, offset: 0, length: 4 })).toEqual({ ok: false, error: { code: 'E_FORBIDDEN', message: 'Sign in first.' } });
    // 401 (a ticket the shell no longer knows): the same call goes over the socket.
    const third = transport.call('objects.readBinary', { id, offset: 0, length: 4 });
    await vi.waitFor(() => expect(socket.sent).toHaveLength(2));
    expect(socket.sent[1]).toEqual({ type: 'call', id: 2, method: 'objects.readBinary', payload: { id, offset: 0, length: 4 } });
    socket.fire('message', { type: 'result', id: 2, result: { ok: false, error: { code: 'E_FORBIDDEN', message: 'Locked.' } } });
    expect(await third).toEqual({ ok: false, error: { code: 'E_FORBIDDEN', message: 'Locked.' } });
    // An answer that is neither bytes nor the contract's JSON is a clear error, not a crash.
    expect(await transport.call('objects.readBinary', { id, offset: 0, length: 4 })).toEqual({ ok: false, error: { code: 'E_INTERNAL', message: "The node's answer could not be read (HTTP 502)." } });
    expect(requests).toHaveLength(4);
  });
});
