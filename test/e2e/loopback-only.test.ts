import { readFile, readdir, readlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useShell } from '../support/e2e-fixture';

const TCP_LISTEN = '0A';
const IPV4_LOOPBACK = '0100007F'; // 127.0.0.1 as /proc/net/tcp writes it (little-endian)
const IPV6_LOOPBACK = '00000000000000000000000001000000'; // ::1
const IPV4_MAPPED_LOOPBACK = '0000000000000000FFFF00000100007F'; // ::ffff:127.0.0.1

interface ListeningSocket {
  readonly file: 'tcp' | 'tcp6';
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** The listening sockets of /proc/net/tcp and tcp6: local address (hex), port and inode. */
async function listeningSockets(): Promise<ListeningSocket[]> {
  const sockets: ListeningSocket[] = [];
  for (const file of ['tcp', 'tcp6'] as const) {
    const text = await readFile(`/proc/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
      const [address, portHex] = fields[1]!.split(':') as [string, string];
      sockets.push({ file, address: address.toUpperCase(), port: Number.parseInt(portHex, 16), inode: fields[9]! });
    }
  }
  return sockets;
}

/** The socket inodes a process holds open. */
async function socketInodesOf(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match !== null) inodes.add(match[1]!);
  }
  return inodes;
}

function isLoopback(socket: ListeningSocket): boolean {
  return socket.file === 'tcp'
    ? socket.address === IPV4_LOOPBACK
    : socket.address === IPV6_LOOPBACK || socket.address === IPV4_MAPPED_LOOPBACK;
}

describe('the shell listens on 127.0.0.1 only', () => {
  const e2e = useShell();

  it('prints a link to 127.0.0.1', () => {
    const url = new URL(e2e.shell.readyUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.protocol).toBe('http:');
  });

  it.skipIf(process.platform !== 'linux')(
    'has no listening socket on any address but 127.0.0.1 (from /proc/net/tcp and tcp6; Linux only)',
    async () => {
      const { shell } = e2e;
      const all = await listeningSockets();
      const onShellPort = all.filter((socket) => socket.port === shell.port);
      expect(onShellPort.length, `a LISTEN entry for port ${shell.port}`).toBeGreaterThan(0);
      for (const socket of onShellPort) {
        expect(socket, `port ${shell.port} in /proc/net/${socket.file}`).toMatchObject({ file: 'tcp', address: IPV4_LOOPBACK });
      }
      // Every listening socket the shell process owns, whatever its port (intake listeners later), is loopback.
      const own = await socketInodesOf(shell.pid);
      const ownListening = all.filter((socket) => own.has(socket.inode));
      expect(ownListening.map((socket) => socket.port)).toContain(shell.port);
      for (const socket of ownListening) {
        expect(isLoopback(socket), `the shell listens on ${socket.address}:${socket.port} (/proc/net/${socket.file})`).toBe(true);
      }
    },
  );
});
