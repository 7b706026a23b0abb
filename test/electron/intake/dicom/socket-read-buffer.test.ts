import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { readIntoBuffer } from '../../../../electron/intake/dicom/socket-read-buffer';

describe('readIntoBuffer: accepted sockets read into one given buffer', () => {
  it('hands every read of two connections to the callback in the shared buffer, emits no data events, and pauses and resumes', async () => {
    const shared = Buffer.alloc(4096);
    const received = new Map<string, Buffer[]>();
    const dataEvents: number[] = [];
    let paused: net.Socket | null = null;
    const closed: Array<Promise<void>> = [];
    const server = net.createServer((socket) => {
      const name = `${socket.remotePort}`;
      received.set(name, []);
      const reused = readIntoBuffer(socket, shared, (bytes, buffer) => {
        expect(buffer).toBe(shared);
        received.get(name)!.push(Buffer.from(shared.subarray(0, bytes)));
        // The first connection pauses after its first read; it is resumed below.
        if (paused === null) {
          paused = socket;
          socket.pause();
        }
        return true;
      });
      expect(reused).toBe(true);
      socket.on('data', (chunk: Buffer) => dataEvents.push(chunk.length));
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const send = (fill: number, length: number) =>
      new Promise<void>((resolve, reject) => {
        const client = net.connect(port, '127.0.0.1', () => client.end(Buffer.alloc(length, fill)));
        client.on('error', reject);
        client.on('close', () => resolve());
      });
    const first = send(1, 100_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = send(2, 50_000);
    await second;
    // The paused connection has read once; the other read everything.
    const lengths = [...received.values()].map((reads) => reads.reduce((sum, read) => sum + read.length, 0));
    expect(lengths).toContain(50_000);
    expect(paused).not.toBeNull();
    paused!.resume();
    await first;
    await Promise.all(closed);
    const bytes = [...received.values()].map((reads) => Buffer.concat(reads));
    expect(bytes.map((all) => all.length).sort()).toEqual([100_000, 50_000].sort());
    for (const all of bytes) expect(new Set(all).size).toBe(1);
    expect(dataEvents).toEqual([]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('changes nothing for a socket without a TCP handle', () => {
    const socket = new net.Socket();
    expect(readIntoBuffer(socket, Buffer.alloc(16), () => true)).toBe(false);
    socket.destroy();
  });
});
