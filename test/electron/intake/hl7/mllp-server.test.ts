import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MllpDeframer, mllpFrame } from '../../../../electron/intake/hl7/mllp-framer';
import { startMllpServer, type MllpServer, type MllpServerOptions } from '../../../../electron/intake/hl7/mllp-server';
import { fixture, hl7, makeIntake, memoryLog, msh, segment } from './hl7-test-support';

const servers: MllpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<MllpServerOptions> & Pick<MllpServerOptions, 'handler'>): Promise<MllpServer> {
  const server = await startMllpServer({ port: 0, log: memoryLog(), ...options });
  servers.push(server);
  return server;
}

/** A test MLLP client: writes raw bytes, collects ACK frames. */
async function connect(port: number) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const deframer = new MllpDeframer();
  const acks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    for (const event of deframer.push(chunk)) if (event.type === 'frame') acks.push(event.frame);
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('close', () => {
    closed = true;
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('error', () => undefined);
  return {
    socket,
    acks,
    get closed() {
      return closed;
    },
    write: (bytes: Buffer) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())),
    async waitFor(count: number, timeoutMs = 5000): Promise<Buffer[]> {
      const deadline = Date.now() + timeoutMs;
      while (acks.length < count) {
        if (closed || Date.now() > deadline) throw new Error(`only ${acks.length} of ${count} ACKs (closed: ${closed})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return acks.slice(0, count);
    },
    async waitClosed(timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!closed) {
        if (Date.now() > deadline) throw new Error('not closed');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const msa = (ack: Buffer) => segment(ack, 'MSA');

describe('MLLP server over real sockets', () => {
  it('receives, stores through the intake, and ACKs; several frames in one write come back in order', async () => {
    const { intake, pipeline } = makeIntake();
    const server = await start({ handler: intake.handleFrame });
    expect(server.address).toBe('127.0.0.1');
    const client = await connect(server.port);
    await client.write(Buffer.concat([mllpFrame(fixture('adt_a01.hl7')), mllpFrame(fixture('oru_lab.hl7')), Buffer.from('\n'), mllpFrame(fixture('vxu_v04.hl7'))]));
    const acks = await client.waitFor(3);
    expect(acks.map((ack) => msa(ack).slice(1, 3))).toEqual([['AA', 'ADT-0001'], ['AA', 'LAB-0001'], ['AA', 'VXU-0001']]);
    expect(pipeline.ingested).toHaveLength(3);
    client.socket.destroy();
  });

  it('one frame over many writes; junk before the start byte is skipped', async () => {
    const { intake } = makeIntake();
    const server = await start({ handler: intake.handleFrame });
    const client = await connect(server.port);
    const bytes = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n\r\n'), mllpFrame(fixture('adt_a04.hl7'))]);
    for (let i = 0; i < bytes.length; i += 7) {
      await client.write(bytes.subarray(i, i + 7));
    }
    expect(msa((await client.waitFor(1))[0]!)[1]).toBe('AA');
    client.socket.destroy();
  });

  it('handles frames strictly in order per connection: the next waits for the previous ACK', async () => {
    const order: string[] = [];
    let active = 0;
    const server = await start({
      handler: async (frame) => {
        active++;
        expect(active).toBe(1);
        const id = frame.toString().split('|')[9]!;
        await new Promise((resolve) => setTimeout(resolve, id === 'A' ? 40 : 1));
        order.push(id);
        active--;
        return Buffer.from(`MSH|^~\\&|||||||ACK|X|P|2.5\rMSA|AA|${id}\r`);
      },
    });
    const client = await connect(server.port);
    await client.write(Buffer.concat(['A', 'B', 'C'].map((id) => mllpFrame(hl7(msh('ADT^A04', id))))));
    const acks = await client.waitFor(3);
    expect(order).toEqual(['A', 'B', 'C']);
    expect(acks.map((ack) => msa(ack)[2])).toEqual(['A', 'B', 'C']);
    client.socket.destroy();
  });

  it('serves many concurrent connections', async () => {
    const { intake, pipeline } = makeIntake();
    const server = await start({ handler: intake.handleFrame });
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
    await Promise.all(clients.map((client, c) => client.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => mllpFrame(hl7(msh('ADT^A04', `C${c}-${i}`), `PID|1||P${c}^^^A^MR||Doe^J`)))))));
    const all = await Promise.all(clients.map((client) => client.waitFor(10)));
    all.forEach((acks, c) => expect(acks.map((ack) => msa(ack)[2])).toEqual(Array.from({ length: 10 }, (_, i) => `C${c}-${i}`)));
    expect(pipeline.ingested).toHaveLength(80);
    for (const client of clients) client.socket.destroy();
  });

  it('a missing trailer: no ACK, the connection is closed at the idle timeout', async () => {
    const log = memoryLog();
    const { intake, pipeline } = makeIntake();
    const server = await start({ handler: intake.handleFrame, idleTimeoutMs: 150, log });
    const client = await connect(server.port);
    await client.write(Buffer.concat([Buffer.from([0x0b]), fixture('adt_a04.hl7')]));
    await client.waitClosed();
    expect(client.acks).toHaveLength(0);
    expect(pipeline.ingested).toHaveLength(0);
    expect(log.lines.some((line) => /incomplete frame/.test(line.message))).toBe(true);
  });

  it('an idle connection between frames stays open', async () => {
    const { intake } = makeIntake();
    const server = await start({ handler: intake.handleFrame, idleTimeoutMs: 80 });
    const client = await connect(server.port);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(client.closed).toBe(false);
    await client.write(mllpFrame(fixture('adt_a04.hl7')));
    expect(msa((await client.waitFor(1))[0]!)[1]).toBe('AA');
    client.socket.destroy();
  });

  it('an oversize frame: AR, then the next frame on the same connection is served', async () => {
    const { intake, pipeline } = makeIntake();
    const server = await start({ handler: intake.handleFrame, onOversize: intake.handleOversize, maxMessageBytes: 4096 });
    const client = await connect(server.port);
    const big = hl7(msh('ORU^R01', 'BIG-1'), 'PID|1||X^^^A^MR', `OBX|1|ED|x||${'A'.repeat(50_000)}`);
    await client.write(Buffer.concat([mllpFrame(big), mllpFrame(fixture('adt_a04.hl7'))]));
    const [ar, aa] = await client.waitFor(2);
    expect(msa(ar!).slice(1, 3)).toEqual(['AR', 'BIG-1']);
    expect(msa(aa!).slice(1, 3)).toEqual(['AA', 'ADT-0003']);
    expect(pipeline.ingested).toHaveLength(1);
    expect(pipeline.quarantined).toHaveLength(1);
    client.socket.destroy();
  });

  it('a handler that throws gets AE (ERR 207); the listener keeps serving', async () => {
    let calls = 0;
    const server = await start({
      handler: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return Buffer.from('MSH|^~\\&|||||||ACK|X|P|2.5\rMSA|AA|ok\r');
      },
    });
    const client = await connect(server.port);
    await client.write(mllpFrame(hl7(msh('ADT^A04', 'T-1'))));
    const [ae] = await client.waitFor(1);
    expect(msa(ae!).slice(1, 3)).toEqual(['AE', 'T-1']);
    expect(segment(ae!, 'ERR')[3]).toBe('207^Application internal error^HL70357');
    await client.write(mllpFrame(hl7(msh('ADT^A04', 'T-2'))));
    expect(msa((await client.waitFor(2))[1]!)[2]).toBe('ok');
    client.socket.destroy();
  });

  it('pauses a flooding connection (backpressure) and still answers every frame', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start({
      maxQueuedFrames: 4,
      handler: async (frame) => {
        await gate;
        return Buffer.from(`MSH|^~\\&|||||||ACK|X|P|2.5\rMSA|AA|${frame.toString().split('|')[9]}\r`);
      },
    });
    const client = await connect(server.port);
    await client.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => mllpFrame(hl7(msh('ADT^A04', `F${i}`))))));
    await vi.waitFor(() => expect(server.connections()[0]).toMatchObject({ paused: true }), { timeout: 10_000, interval: 5 });
    release();
    const acks = await client.waitFor(20);
    expect(acks.map((ack) => msa(ack)[2])).toEqual(Array.from({ length: 20 }, (_, i) => `F${i}`));
    client.socket.destroy();
  });

  it('requires an allow-list on a non-loopback address, and refuses peers not in it', async () => {
    await expect(startMllpServer({ port: 0, host: '0.0.0.0', log: memoryLog(), handler: async () => Buffer.alloc(0) })).rejects.toThrow(/allowed peer/);
    const log = memoryLog();
    const server = await start({ allowedPeers: ['10.9.9.9'], log, handler: async () => Buffer.from('x') });
    const client = await connect(server.port);
    await client.waitClosed();
    expect(log.lines.find((line) => /refused/.test(line.message))?.object).toEqual({ peer: '127.0.0.1' });
  });

  it('close() waits for the in-flight ACK', async () => {
    const { intake, pipeline } = makeIntake();
    // The handler holds the frame until close() has begun, so its ACK is in flight during close.
    let handling!: () => void;
    const inFlight = new Promise<void>((resolve) => (handling = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler: MllpServerOptions['handler'] = async (frame, peer) => {
      handling();
      await gate;
      return intake.handleFrame(frame, peer);
    };
    const server = await startMllpServer({ port: 0, log: memoryLog(), handler });
    const client = await connect(server.port);
    await client.write(mllpFrame(fixture('adt_a04.hl7')));
    await inFlight;
    const closed = server.close();
    release();
    await closed;
    await client.waitClosed();
    expect(client.acks).toHaveLength(1);
    expect(msa(client.acks[0]!)[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(1);
  });

  it('property-style: random garbage on a connection never stops the listener', async () => {
    const { intake } = makeIntake();
    const server = await start({ handler: intake.handleFrame, maxJunkBytes: 1 << 20 });
    for (let round = 0; round < 5; round++) {
      const client = await connect(server.port);
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + round * 31) % 256));
      await client.write(Buffer.concat([junk, Buffer.from([0x1c, 0x0d]), mllpFrame(fixture('adt_a04.hl7'))]));
      const acks = await client.waitFor(1).catch(() => client.acks);
      expect(acks.length).toBeGreaterThan(0);
      client.socket.destroy();
    }
    const last = await connect(server.port);
    await last.write(mllpFrame(fixture('oru_vitals.hl7')));
    expect(msa((await last.waitFor(1))[0]!)[1]).toBe('AA');
    last.socket.destroy();
  });
});
