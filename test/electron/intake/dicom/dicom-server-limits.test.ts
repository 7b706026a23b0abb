import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startDicomServer, type DicomServer, type DicomServerEvent, type DicomServerOptions } from '../../../../electron/intake/dicom/dicom-server';
import { TestScu } from './dicom-test-support';

/**
 * Security audit finding 2: one host could take every transport slot of the receiver (a flood of
 * connections, or a slow loris reconnecting at each ARTIM expiry), so an allowed modality could
 * not associate. These tests wait on events and conditions, never on elapsed time.
 * 127.0.0.9 is a second loopback address (Linux routes all of 127.0.0.0/8 to lo).
 */

const silent = { info: () => undefined, warn: () => undefined };
const servers: DicomServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function start(overrides: Partial<DicomServerOptions> = {}): Promise<DicomServer> {
  const server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async () => 0, closeTimeoutMs: 200, ...overrides });
  servers.push(server);
  return server;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Opens `count` connections from `localAddress`, each sending one byte of an A-ASSOCIATE-RQ and then nothing. */
async function flood(port: number, localAddress: string, count: number) {
  const clients = await Promise.all(
    Array.from({ length: count }, () => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress });
      sockets.push(socket);
      const state = { closed: false };
      socket.on('close', () => (state.closed = true));
      socket.on('error', () => undefined);
      return new Promise<{ socket: net.Socket; state: { closed: boolean } }>((resolve) => {
        socket.once('connect', () => {
          socket.write(Buffer.from([0x01]));
          resolve({ socket, state });
        });
        socket.once('close', () => resolve({ socket, state }));
      });
    }),
  );
  return clients;
}

describe('DICOM receiver connection slots', () => {
  it('refuses at connect a host on no allow-list entry, so its flood holds no slot and an allowed modality associates', async () => {
    const events: DicomServerEvent[] = [];
    const server = await start({ allowedCallers: [{ aeTitle: 'MODALITY1', address: '127.0.0.1' }], onEvent: (event) => events.push(event) });
    const clients = await flood(server.port, '127.0.0.9', 40);
    await until(() => clients.every((client) => client.state.closed));
    expect(server.associations().filter((entry) => entry.peer === '127.0.0.9')).toHaveLength(0);
    expect(events.filter((event) => event.type === 'rejected' && event.reason === 'not-allowed' && event.address === '127.0.0.9').length).toBe(40);
    const { scu, answer } = await TestScu.associate({ port: server.port, callingAeTitle: 'MODALITY1' });
    expect(answer.type).toBe('ac');
    scu.echo();
    expect(await scu.next()).toMatchObject({ type: 'response', command: { commandField: 0x8030, status: 0 } });
    scu.close();
  });

  it('keeps at most maxAssociations + 4 connections from one address, so a flood from an allowed host leaves room for another', async () => {
    const server = await start({
      maxAssociations: 8,
      allowedCallers: [
        { aeTitle: 'MODALITY1', address: '127.0.0.1' },
        { aeTitle: 'FLOODER', address: '127.0.0.9' },
      ],
    });
    const clients = await flood(server.port, '127.0.0.9', 40);
    await until(() => clients.filter((client) => client.state.closed).length >= 28);
    expect(server.associations().filter((entry) => entry.peer === '127.0.0.9')).toHaveLength(12);
    expect(clients.filter((client) => !client.state.closed)).toHaveLength(12);
    // Four of the 16 connection slots stay free for the other hosts: the allowed modality associates four times over.
    const scus = [];
    for (let i = 0; i < 4; i++) {
      const { scu, answer } = await TestScu.associate({ port: server.port, callingAeTitle: 'MODALITY1' });
      expect(answer.type).toBe('ac');
      scus.push(scu);
    }
    for (const scu of scus) scu.close();
  });

  it('without an allow-list (loopback bind) the per-address cap still applies', async () => {
    const server = await start({ maxAssociations: 2 });
    const clients = await flood(server.port, '127.0.0.9', 20);
    await until(() => clients.filter((client) => client.state.closed).length >= 14);
    expect(server.associations().filter((entry) => entry.peer === '127.0.0.9')).toHaveLength(6);
    const { scu, answer } = await TestScu.associate({ port: server.port });
    expect(answer.type).toBe('ac');
    scu.close();
  });

  it('at the cap, a new connection evicts the oldest that has not sent a whole A-ASSOCIATE-RQ, never an association', async () => {
    // The QA's hold: silent connections from 2 addresses fill all 16 slots (8 associations + 8), under the per-address cap.
    const server = await start({ maxAssociations: 8 });
    const { scu: first, answer: firstAnswer } = await TestScu.associate({ port: server.port });
    expect(firstAnswer.type).toBe('ac');
    const older = await flood(server.port, '127.0.0.9', 7);
    const newer = await flood(server.port, '127.0.0.10', 8);
    await until(() => server.associations().length === 16);

    const { scu, answer } = await TestScu.associate({ port: server.port });
    expect(answer.type).toBe('ac');
    // The oldest silent connection made room; the others and the open association stay.
    await until(() => older.some((client) => client.state.closed));
    expect(older.map((client) => client.state.closed)).toEqual([true, false, false, false, false, false, false]);
    expect(newer.every((client) => !client.state.closed)).toBe(true);
    first.echo();
    expect(await first.next()).toMatchObject({ type: 'response', command: { commandField: 0x8030, status: 0 } });
    scu.echo();
    expect(await scu.next()).toMatchObject({ type: 'response', command: { commandField: 0x8030, status: 0 } });

    first.close();
    scu.close();
  });
});
