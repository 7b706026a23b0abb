import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MllpDeframer, mllpFrame } from '../../../../electron/intake/hl7/mllp-framer';
import { startMllpServer, type MllpServer, type MllpServerOptions } from '../../../../electron/intake/hl7/mllp-server';
import { hl7, memoryLog, msh, segment } from './hl7-test-support';

/**
 * Issue 9 §3: what one sender (or many) can make the listener hold. Memory: 8 connections of
 * 15 MiB frames reached 6.6 GiB. Slots: 64 idle or trickling connections locked every real sender
 * out. These tests wait on events and conditions, never on elapsed time.
 */

const servers: MllpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<MllpServerOptions> & Pick<MllpServerOptions, 'handler'>): Promise<MllpServer> {
  const server = await startMllpServer({ port: 0, log: memoryLog(), ...options });
  servers.push(server);
  return server;
}

/** Resolves when `condition` holds, checking after each turn of the event loop (no timing assumed). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function ackFor(frame: Buffer): Buffer {
  const id = frame.subarray(0, 200).toString('latin1').split('|')[9] ?? '';
  return Buffer.from(`MSH|^~\\&|||||||ACK|A-${id}|P|2.5\rMSA|AA|${id}\r`);
}

/** An MLLP client that counts ACKs and close. */
async function connect(port: number, localAddress?: string) {
  const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress !== undefined ? { localAddress } : {}) });
  sockets.push(socket);
  const state = { acks: [] as Buffer[], closed: false, connected: false };
  const deframer = new MllpDeframer();
  socket.on('data', (chunk: Buffer) => {
    for (const event of deframer.push(chunk)) if (event.type === 'frame') state.acks.push(event.frame);
  });
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('connect', () => {
      state.connected = true;
      resolve();
    });
    socket.once('close', () => resolve());
  });
  return { socket, state };
}

const MIB = 1024 * 1024;

describe('MLLP memory is bounded in bytes', () => {
  it('8 connections sending 15 MiB frames: the bytes held stay under the stated bound, every frame is answered, and memory is released at close', async () => {
    const maxQueuedBytes = 64 * MIB;
    let open = false;
    const waiting: (() => void)[] = [];
    const server = await start({
      maxQueuedBytes,
      handler: async (frame) => {
        if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
        return ackFor(frame);
      },
    });
    // One 15 MiB frame shared by every write (the senders' own memory stays one frame).
    const payload = Buffer.alloc(15 * MIB, 0x41);
    const frames = [0, 1, 2].map((k) => mllpFrame(Buffer.concat([hl7(msh('ORU^R01', `BIG-${k}`)), payload])));
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
    const flushed = clients.map(() => 0);
    clients.forEach((client, c) => {
      for (const frame of frames) client.socket.write(frame, () => flushed[c]!++);
    });
    // The first frame is held in the handler. Wait until every connection either got all its
    // bytes in (nothing bounds the listener) or was paused by it (backpressure).
    await until(() => {
      const paused = server.connections().filter((connection) => connection.paused).length;
      return waiting.length > 0 && flushed.filter((count) => count === frames.length).length + paused >= clients.length;
    });
    const external = process.memoryUsage().arrayBuffers;
    // The stated bound: maxQueuedBytes + maxLargeFrames (2) frames of 16 MiB + 128 KiB per connection.
    const bound = maxQueuedBytes + 2 * 16 * MIB + clients.length * 128 * 1024;
    // Independent of the server's accounting: all Buffers in this process (the senders' frames,
    // the socket buffers, and what the listener holds).
    expect(external).toBeLessThanOrEqual(bound + 3 * 16 * MIB + 32 * MIB);
    expect(server.memory().heldBytes).toBeLessThanOrEqual(bound);
    expect(server.memory().peakHeldBytes).toBeLessThanOrEqual(bound);
    open = true;
    for (const resume of waiting.splice(0)) resume();
    await until(() => clients.every((client) => client.state.acks.length === frames.length));
    expect(clients.map((client) => client.state.acks.map((ack) => segment(ack, 'MSA')[2]))).toEqual(clients.map(() => ['BIG-0', 'BIG-1', 'BIG-2']));
    expect(server.memory().peakHeldBytes).toBeLessThanOrEqual(bound);
    for (const client of clients) client.socket.destroy();
    await until(() => server.connections().length === 0);
    expect(server.memory().heldBytes).toBe(0);
  }, 60_000);

  it('a connection closed with frames queued and a partial frame releases what it held', async () => {
    const waiting: (() => void)[] = [];
    const server = await start({ handler: async (frame) => new Promise<Buffer>((resolve) => waiting.push(() => resolve(ackFor(frame)))) });
    const client = await connect(server.port);
    const frame = mllpFrame(hl7(msh('ADT^A04', 'Q-1'), `PID|1||${'9'.repeat(100_000)}`));
    client.socket.write(Buffer.concat([frame, frame, frame, frame.subarray(0, 50_000)]));
    await until(() => waiting.length === 1 && server.memory().heldBytes >= 3 * (frame.length - 3));
    client.socket.destroy();
    // The listener finishes the frame in hand (its write then fails) and closes the connection.
    await until(() => {
      for (const resume of waiting.splice(0)) resume();
      return server.connections().length === 0;
    });
    expect(server.memory().heldBytes).toBe(0);
  });
});

describe('MLLP connection slots', () => {
  const frame = (id: string) => mllpFrame(hl7(msh('ADT^A04', id), 'PID|1||123^^^H^MR'));

  it('64 idle connections from one address do not lock out a sender from another: at most maxConnectionsPerPeer are kept', async () => {
    const server = await start({ maxConnections: 64, maxConnectionsPerPeer: 4, handler: async (bytes) => ackFor(bytes) });
    const idle = await Promise.all(Array.from({ length: 64 }, () => connect(server.port, '127.0.0.2')));
    await until(() => idle.filter((client) => client.state.closed).length >= 60);
    expect(server.connections().filter((connection) => connection.peer.startsWith('127.0.0.2:'))).toHaveLength(4);
    const sender = await connect(server.port, '127.0.0.1');
    sender.socket.write(frame('REAL-1'));
    await until(() => sender.state.acks.length === 1 || sender.state.closed);
    expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['REAL-1']);
  });

  it('idle and trickling connections (no complete frame) are closed at the frame timeout, and a real sender gets in', async () => {
    const server = await start({ maxConnections: 16, maxConnectionsPerPeer: 16, frameTimeoutMs: 300, handler: async (bytes) => ackFor(bytes) });
    const idle = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
    const trickling = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
    // A slow loris: a start byte, then one byte at a time, never the trailer.
    const timers = trickling.map((client) => {
      client.socket.write(Buffer.from([0x0b]));
      const timer = setInterval(() => client.socket.write('M'), 20);
      client.socket.once('close', () => clearInterval(timer));
      return timer;
    });
    try {
      // Every slot is taken: a sender connecting now is turned away.
      const early = await connect(server.port);
      await until(() => early.state.closed);
      await until(() => [...idle, ...trickling].every((client) => client.state.closed));
      const sender = await connect(server.port);
      sender.socket.write(frame('REAL-2'));
      await until(() => sender.state.acks.length === 1 || sender.state.closed);
      expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['REAL-2']);
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  });

  it('a sender that completed a frame keeps its connection between frames', async () => {
    const server = await start({ frameTimeoutMs: 100, handler: async (bytes) => ackFor(bytes) });
    const sender = await connect(server.port);
    sender.socket.write(frame('KEEP-1'));
    await until(() => sender.state.acks.length === 1);
    // An idle newcomer on the same listener is closed by the frame timeout…
    const newcomer = await connect(server.port);
    await until(() => newcomer.state.closed);
    // …while the sender that completed a frame, idle as long, is still served.
    expect(sender.state.closed).toBe(false);
    sender.socket.write(frame('KEEP-2'));
    await until(() => sender.state.acks.length === 2 || sender.state.closed);
    expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['KEEP-1', 'KEEP-2']);
  });
});

describe('MLLP log volume (security audit finding 7)', () => {
  const frame = (id: string) => mllpFrame(hl7(msh('ADT^A04', id), 'PID|1||123^^^H^MR'));

  it('garbage full of start bytes logs a few warnings and then counts, not one line per abandoned frame', async () => {
    const log = memoryLog();
    const server = await start({ log, handler: async (bytes) => ackFor(bytes) });
    const client = await connect(server.port);
    // 2,000 start bytes, each followed by a little text: 2,000 frames abandoned by the next start byte.
    const garbage = Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`\x0bjunk ${i} `, 'latin1')));
    client.socket.write(garbage);
    client.socket.write(frame('AFTER-1'));
    await until(() => client.state.acks.length === 1 || client.state.closed);
    expect(client.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['AFTER-1']);
    client.socket.end();
    await until(() => log.lines.some((line) => line.message === 'MLLP: connection closed'));
    const warnings = log.lines.filter((line) => line.level === 'warn');
    expect(warnings.length).toBeLessThanOrEqual(10);
    // What was not logged line by line is counted in a summary, so the operator still sees it.
    const summary = warnings.find((line) => /not logged one by one/.test(line.message));
    expect(summary?.object).toMatchObject({ abandoned: 2000 });
  });
});

describe('MLLP slots held by idle allowed peers (security audit finding 4)', () => {
  const frame = (id: string) => mllpFrame(hl7(msh('ADT^A04', id), 'PID|1||123^^^H^MR'));

  async function sent(client: Awaited<ReturnType<typeof connect>>, id: string, acks: number) {
    client.socket.write(frame(id));
    await until(() => client.state.acks.length === acks || client.state.closed);
    expect(client.state.acks.map((ack) => segment(ack, 'MSA')[2]).at(-1)).toBe(id);
  }

  it('at the global cap a new sender takes the slot of the connection idle the longest, never one with a frame in progress', async () => {
    const server = await start({ maxConnections: 4, maxConnectionsPerPeer: 4, handler: async (bytes) => ackFor(bytes) });
    const idle: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await connect(server.port, '127.0.0.2');
      await sent(client, `IDLE-${i}`, 1);
      idle.push(client);
    }
    // The first one is the longest idle: it sends again, so the second is now.
    await sent(idle[0]!, 'IDLE-0-AGAIN', 2);
    const newcomer = await connect(server.port, '127.0.0.1');
    await sent(newcomer, 'NEW-1', 1);
    await until(() => idle[1]!.state.closed);
    expect(idle.map((client) => client.state.closed)).toEqual([false, true, false, false]);

    // Every connection with a frame in progress: nothing is evicted, the next one is turned away.
    for (const client of [idle[0]!, idle[2]!, idle[3]!, newcomer]) client.socket.write(Buffer.from('\x0bMSH|^~\\&|', 'latin1'));
    await until(() => server.connections().length === 4);
    const late = await connect(server.port, '127.0.0.3');
    await until(() => late.state.closed);
    expect([idle[0]!, idle[2]!, idle[3]!, newcomer].map((client) => client.state.closed)).toEqual([false, false, false, false]);
  });
});

describe('MLLP refusals at connect are not logged one by one in a flood', () => {
  it('a flood from an address not allowed logs a few refusals and then one summary with the count', async () => {
    const log = memoryLog();
    const server = await startMllpServer({ port: 0, log, allowedPeers: ['127.0.0.1'], handler: async (bytes) => ackFor(bytes) });
    const flood = await Promise.all(Array.from({ length: 40 }, () => connect(server.port, '127.0.0.9')));
    await until(() => flood.every((client) => client.state.closed));
    await server.close();
    const refusals = log.lines.filter((line) => line.level === 'warn' && /refused/.test(line.message));
    expect(refusals.length).toBeLessThanOrEqual(6);
    const summary = refusals.find((line) => /not logged one by one/.test(line.message));
    expect(summary?.object).toMatchObject({ notLogged: 40 - (refusals.length - 1), notAllowed: 40 });
  });
});

// Tester S35 #3: a sender turned away by the allow-list showed only in the log.
describe('MLLP refusals at connect are kept per address for the intake monitor', () => {
  it('counts refusals by address and reason, with the first and last time, and reads nothing the peer sends', async () => {
    const server = await start({ allowedPeers: ['127.0.0.1'], handler: async (bytes) => ackFor(bytes) });
    expect(server.refused()).toEqual({ peers: [], others: 0 });
    const refusedClients = await Promise.all(Array.from({ length: 3 }, () => connect(server.port, '127.0.0.9')));
    const other = await connect(server.port, '127.0.0.7');
    other.socket.write(mllpFrame(hl7(msh('ADT^A04', 'SECRET-1'), 'PID|1||MRN-1||Doe^Jane')));
    const allowed = await connect(server.port, '127.0.0.1');
    await until(() => [...refusedClients, other].every((client) => client.state.closed));
    expect(allowed.state.closed).toBe(false);
    const { peers, others } = server.refused();
    expect(others).toBe(0);
    expect(peers.map(({ address, reason, count }) => ({ address, reason, count }))).toEqual([
      { address: '127.0.0.7', reason: 'not-allowed', count: 1 },
      { address: '127.0.0.9', reason: 'not-allowed', count: 3 },
    ]);
    for (const peer of peers) {
      expect(Date.parse(peer.first)).not.toBeNaN();
      expect(peer.last >= peer.first).toBe(true);
    }
    expect(JSON.stringify(server.refused())).not.toMatch(/SECRET|Doe|MRN/);
  });

  it('keeps a bounded number of addresses and counts the rest together', async () => {
    const server = await start({ allowedPeers: ['127.0.0.1'], maxRefusedPeers: 2, handler: async (bytes) => ackFor(bytes) });
    for (const host of ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.13']) {
      const client = await connect(server.port, host);
      await until(() => client.state.closed);
    }
    const { peers, others } = server.refused();
    expect(peers.map((peer) => peer.address).sort()).toEqual(['127.0.0.11', '127.0.0.12']);
    expect(others).toBe(2);
  });
});

// Security finding H7: half-open frames (a start byte, a few bytes, then nothing) held every slot.
describe('MLLP half-open frames', () => {
  const frame = (id: string) => mllpFrame(hl7(msh('ADT^A04', id), 'PID|1||123^^^H^MR'));

  it('half-open peers that take every slot are closed at the frame timeout, counted per address, and a real sender then gets in', async () => {
    const server = await start({ maxConnections: 4, maxConnectionsPerPeer: 4, frameTimeoutMs: 300, handler: async (bytes) => ackFor(bytes) });
    const halfOpen = await Promise.all(Array.from({ length: 4 }, () => connect(server.port, '127.0.0.2')));
    for (const client of halfOpen) client.socket.write(Buffer.from('\x0bMSH|^~\\&|SENDER|', 'latin1'));
    await until(() => server.memory().heldBytes === 4 * 'MSH|^~\\&|SENDER|'.length);
    // Every slot holds a frame in progress: nothing can be evicted, a real sender is turned away.
    const early = await connect(server.port, '127.0.0.1');
    await until(() => early.state.closed);
    await until(() => halfOpen.every((client) => client.state.closed));
    expect(server.memory().heldBytes).toBe(0);
    const sender = await connect(server.port, '127.0.0.1');
    sender.socket.write(frame('REAL-H7'));
    await until(() => sender.state.acks.length === 1 || sender.state.closed);
    expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['REAL-H7']);
    // The monitor sees why: the half-open peers by address, beside the refusal of the early sender.
    const counted = server.refused().peers.map(({ address, reason, count }) => ({ address, reason, count }));
    expect(counted).toEqual(expect.arrayContaining([
      { address: '127.0.0.2', reason: 'frame-timeout', count: 4 },
      { address: '127.0.0.1', reason: 'full', count: 1 },
    ]));
    expect(counted).toHaveLength(2);
  });

  it('a large frame arriving at a slow WAN rate is not cut at the frame timeout: the time allowed grows with the bytes received', async () => {
    // 256 KiB in, at the default floor of 8 KiB/s, buys 32 s past the 300 ms frame timeout.
    const server = await start({ frameTimeoutMs: 300, handler: async (bytes) => ackFor(bytes) });
    const big = mllpFrame(hl7(msh('ORU^R01', 'SLOW-1'), `OBX|1|ED|PDF||${'A'.repeat(256 * 1024)}`));
    const sender = await connect(server.port);
    sender.socket.write(big.subarray(0, big.length - 2));
    await until(() => server.memory().heldBytes >= big.length - 3);
    // A half-open peer connected after the sender is closed by its frame timeout: the sender's own
    // 300 ms have passed too (no clock read here, only that event).
    const later = await connect(server.port);
    later.socket.write(Buffer.from('\x0bMSH|', 'latin1'));
    await until(() => later.state.closed);
    expect(sender.state.closed).toBe(false);
    sender.socket.write(big.subarray(big.length - 2));
    await until(() => sender.state.acks.length === 1 || sender.state.closed);
    expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['SLOW-1']);
  });

  it("a frame the listener stopped reading (other connections' frames fill its memory bound) is not cut by the frame timeout meanwhile", async () => {
    const waiting: (() => void)[] = [];
    const server = await start({
      frameTimeoutMs: 300,
      maxQueuedBytes: 1000,
      handler: async (bytes) => new Promise<Buffer>((resolve) => waiting.push(() => resolve(ackFor(bytes)))),
    });
    const busy = await connect(server.port);
    busy.socket.write(mllpFrame(hl7(msh('ADT^A04', 'BUSY-1'), `PID|1||${'1'.repeat(2000)}`)));
    await until(() => waiting.length === 1);
    // The listener holds more than its bound: the next frame's first bytes are read, then reading pauses.
    const sender = await connect(server.port);
    const frame = mllpFrame(hl7(msh('ADT^A04', 'WAITED-1'), 'PID|1||123^^^H^MR'));
    sender.socket.write(frame.subarray(0, 20));
    await until(() => server.connections().some((connection) => connection.paused));
    // A newcomer connected after it is closed by its frame timeout: the sender's 300 ms have passed too.
    const later = await connect(server.port);
    await until(() => later.state.closed);
    expect(sender.state.closed).toBe(false);
    for (const resume of waiting.splice(0)) resume();
    sender.socket.write(frame.subarray(20));
    await until(() => {
      for (const resume of waiting.splice(0)) resume();
      return sender.state.acks.length === 1 || sender.state.closed;
    });
    expect(sender.state.acks.map((ack) => segment(ack, 'MSA')[2])).toEqual(['WAITED-1']);
    expect(server.refused().peers.filter((peer) => peer.reason === 'frame-timeout').map((peer) => peer.count)).toEqual([1]);
  });
});
