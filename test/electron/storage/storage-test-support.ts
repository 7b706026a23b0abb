import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { encodeEnvelopeHeader, type EnvelopeKind } from '../../../shared/crypto/envelope-format';
import type { Logger } from '../../../electron/logging/logger';
import { nodeStorageFs, type OpenMode, type StorageFile, type StorageFs } from '../../../electron/storage/storage-fs';

/** Bytes shaped like a sealed envelope (a valid header, then `bodyBytes` random bytes); nothing real is sealed. */
export function fakeEnvelope(kind: EnvelopeKind = 'object', bodyBytes = 64): Buffer {
  const header = encodeEnvelopeHeader({
    kind,
    chunkSize: 65536,
    ephemeralPublicKey: new Uint8Array([0x04, ...randomBytes(64)]),
    salt: randomBytes(16),
    noncePrefix: randomBytes(7),
    wrappedKey: randomBytes(40),
  });
  return Buffer.concat([header, randomBytes(bodyBytes)]);
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

function fsError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

/**
 * The real filesystem with a switchboard for failures and counters: a disk that fills up after
 * `spaceLeft` more bytes, opens that fail with a code, fdatasyncs that fail, and a record of which
 * bytes of each file were made durable by a completed fdatasync.
 */
export class FaultyFs implements StorageFs {
  spaceLeft = Number.POSITIVE_INFINITY;
  failOpen: ((file: string, mode: OpenMode) => string | null) | null = null;
  /** Fail the next `times` fdatasyncs with `code`. */
  failDatasync: { code: string; times: number } | null = null;
  datasyncs = 0;
  writes = 0;
  /** Per file: the end of the data a completed fdatasync covered. */
  readonly durableEnd = new Map<string, number>();
  private readonly writtenEnd = new Map<string, number>();

  async open(file: string, mode: OpenMode, permissions?: number): Promise<StorageFile> {
    const code = this.failOpen?.(file, mode) ?? null;
    if (code !== null) throw fsError(code, 'open');
    const inner = await nodeStorageFs.open(file, mode, permissions);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const outer = this;
    return {
      read: (buffer, offset, length, position) => inner.read(buffer, offset, length, position),
      async write(buffer, offset, length, position) {
        outer.writes++;
        if (outer.spaceLeft <= 0) throw fsError('ENOSPC', 'write');
        const allowed = Math.min(length, outer.spaceLeft);
        const written = await inner.write(buffer, offset, allowed, position);
        outer.spaceLeft -= written;
        outer.writtenEnd.set(file, Math.max(outer.writtenEnd.get(file) ?? 0, position + written));
        return written;
      },
      async datasync() {
        const covered = outer.writtenEnd.get(file) ?? 0;
        if (outer.failDatasync !== null && outer.failDatasync.times > 0) {
          outer.failDatasync.times--;
          throw fsError(outer.failDatasync.code, 'fdatasync');
        }
        await inner.datasync();
        outer.datasyncs++;
        outer.durableEnd.set(file, Math.max(outer.durableEnd.get(file) ?? 0, covered));
      },
      async truncate(length) {
        await inner.truncate(length);
        outer.writtenEnd.set(file, Math.min(outer.writtenEnd.get(file) ?? 0, length));
        outer.durableEnd.set(file, Math.min(outer.durableEnd.get(file) ?? 0, length));
      },
      size: () => inner.size(),
      close: () => inner.close(),
    };
  }

  rename(from: string, to: string): Promise<void> {
    return nodeStorageFs.rename(from, to);
  }

  unlink(file: string): Promise<void> {
    return nodeStorageFs.unlink(file);
  }

  mkdir(dir: string): Promise<void> {
    return nodeStorageFs.mkdir(dir);
  }

  syncDir(dir: string): Promise<void> {
    return nodeStorageFs.syncDir(dir);
  }
}
