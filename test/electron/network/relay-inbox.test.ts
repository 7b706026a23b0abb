import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { RelayInbox, type RelayConnection } from '../../../electron/network/relay-inbox';
import type { RelayEnvelope } from '../../../shared/network/relay';
import pino from 'pino';

/**
 * The body's relay inbox against a stand-in relay (a ws server on loopback): it journals each
 * message before acknowledging it, ignores frames it does not understand without dropping the
 * stream, journals a message delivered twice once, and when journaling fails it acknowledges
 * nothing and reconnects, so the relay delivers the message again.
 */

const FROM = '0x1111111111111111111111111111111111111111';
const TO = '0x2222222222222222222222222222222222222222';

function envelope(id: string): RelayEnvelope {
  const now = Date.now();
  return { v: 1, id, from: FROM, to: TO, role: null, createdAt: now, expiresAt: now + 60_000, epk: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64'), iv: Buffer.alloc(12, 2).toString('base64'), ct: Buffer.alloc(100, 3).toString('base64') };
}

interface FakeRelay {
  readonly url: string;
  /** What each new connection is sent after `ready` (mutable). */
  pending: string[];
  connections: number;
  readonly server: Server;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function fakeRelay(pending: string[]): Promise<FakeRelay> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const relay: FakeRelay = { url: '', pending, connections: 0, server };
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    relay.connections += 1;
    socket.send(JSON.stringify({ type: 'ready', member: TO }));
    for (const frame of relay.pending) socket.send(frame);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (relay as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(async () => {
    for (const socket of sockets) socket.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return relay;
}

function inbox(relay: FakeRelay, journal: (envelope: RelayEnvelope) => Promise<void>) {
  const acked: string[] = [];
  const connection: RelayConnection = { url: relay.url, sign: async () => ({}) };
  const box = new RelayInbox({
    log: pino({ level: 'silent' }),
    connection: async () => connection,
    journal: (e) => journal(e),
    ack: async (_c, ids) => {
      acked.push(...ids);
      relay.pending = relay.pending.filter((frame) => !ids.some((id) => frame.includes(id)));
    },
    changed: () => undefined,
  });
  closers.push(() => box.stop());
  return { box, acked };
}

const frame = (id: string, seq: number): string => JSON.stringify({ type: 'message', seq, envelope: envelope(id) });

describe('RelayInbox', () => {
  it('journals, then acknowledges, each message; garbage frames are ignored and the stream stays up', async () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const relay = await fakeRelay(['not json', JSON.stringify({ type: 'message', seq: 1, envelope: { id: 'x' } }), frame(a, 2), '{"type":"surprise"}', frame(b, 3)]);
    const order: string[] = [];
    const { box, acked } = inbox(relay, async (e) => {
      order.push(`journal ${e.id}`);
    });
    box.start();
    await vi.waitFor(() => expect(acked).toEqual([a, b]), { timeout: 10_000 });
    expect(order).toEqual([`journal ${a}`, `journal ${b}`]);
    expect(box.status()).toMatchObject({ state: 'connected', received: 2 });
    expect(relay.connections).toBe(1);
  });

  it('journals a message delivered twice once, and acknowledges both deliveries', async () => {
    const a = 'c'.repeat(32);
    const relay = await fakeRelay([frame(a, 1), frame(a, 2)]);
    const journaled: string[] = [];
    const { box, acked } = inbox(relay, async (e) => {
      journaled.push(e.id);
    });
    box.start();
    await vi.waitFor(() => expect(acked).toEqual([a, a]), { timeout: 10_000 });
    expect(journaled).toEqual([a]);
  });

  it('when journaling fails it acknowledges nothing, reconnects, and the message comes again', async () => {
    const a = 'd'.repeat(32);
    const relay = await fakeRelay([frame(a, 1)]);
    let failures = 1;
    const journaled: string[] = [];
    const { box, acked } = inbox(relay, async (e) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('disk full');
      }
      journaled.push(e.id);
    });
    box.start();
    await vi.waitFor(() => expect(acked).toEqual([a]), { timeout: 15_000 });
    expect(journaled).toEqual([a]);
    expect(relay.connections).toBeGreaterThanOrEqual(2);
  });

  it('waits, without connecting, while it has no connection to use', async () => {
    const relay = await fakeRelay([]);
    const box = new RelayInbox({
      log: pino({ level: 'silent' }),
      connection: async () => ({ waiting: 'Unlock the node to renew its network delegation.' }),
      journal: async () => undefined,
      ack: async () => undefined,
      changed: () => undefined,
    });
    closers.push(() => box.stop());
    box.start();
    await vi.waitFor(() => expect(box.status()).toMatchObject({ state: 'waiting', detail: 'Unlock the node to renew its network delegation.' }));
    expect(relay.connections).toBe(0);
  });
});
