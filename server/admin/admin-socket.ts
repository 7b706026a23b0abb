import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { AddressSchema } from '../../shared/ledger/ledger-schema';
import type { MembersAction } from '../cli/server-args';
import type { MembersResult } from './members-output';

/**
 * The running server's admin socket: a Unix domain socket `<data-dir>/admin.sock`, mode 0600 in a
 * 0700 folder, so only the operator's account reaches it. The members CLI uses it when the server has
 * the embedded database open (PGlite allows one process); on PostgreSQL the CLI goes to the database.
 * One JSON line in (`{"action":"approve","address":"0x…"}`), one JSON line out (a MembersResult).
 */
export const ADMIN_SOCKET_FILE = 'admin.sock';
const MAX_LINE = 4096;

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_SOCKET_FILE);
}

const AdminRequestSchema = z.strictObject({ action: z.enum(['list', 'approve', 'reject', 'revoke']), address: AddressSchema.nullable() });

export async function startAdminSocket(dataDir: string, handle: (action: MembersAction, address: string | null) => Promise<MembersResult>): Promise<{ close(): Promise<void> }> {
  const file = adminSocketPath(dataDir);
  // Only the holder of the data folder's lock starts this socket, so a file left here is stale.
  rmSync(file, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE) {
        socket.destroy();
        return;
      }
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      socket.pause();
      void answer(line).then((result) => socket.end(`${JSON.stringify(result)}\n`));
    });
  });
  const answer = async (line: string): Promise<MembersResult> => {
    let request: z.infer<typeof AdminRequestSchema>;
    try {
      request = AdminRequestSchema.parse(JSON.parse(line));
    } catch {
      return { ok: false, message: 'malformed admin request' };
    }
    try {
      return await handle(request.action, request.address);
    } catch {
      return { ok: false, message: 'the server could not run the command (see its log)' };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') chmodSync(file, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(file, { force: true });
          resolve();
        });
      }),
  };
}

/** Sends one command to a running server's admin socket. */
export async function sendAdminCommand(dataDir: string, action: MembersAction, address: string | null, timeoutMs = 30_000): Promise<MembersResult> {
  return new Promise<MembersResult>((resolve, reject) => {
    const socket = net.createConnection(adminSocketPath(dataDir));
    let buffer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('the server did not answer on its admin socket')));
    socket.on('connect', () => socket.write(`${JSON.stringify({ action, address })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(JSON.parse(buffer) as MembersResult);
      } catch {
        reject(new Error('the server gave no answer on its admin socket'));
      }
    });
  });
}
