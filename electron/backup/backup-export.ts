import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Sealer } from '../../shared/crypto/envelope';
import type { Keyring } from '../../shared/ipc';
import type { Logger } from '../logging/logger';
import type { JournalSnapshot } from '../storage/journal';
import type { VaultStorage } from '../storage/vault-storage';
import { pathExists, syncDir } from '../storage/durable-files';
import { readDedupeKey } from '../intake/hl7/hl7-duplicates';
import { BACKUP_EXTENSION, BACKUP_FORMAT, BackupRefusal, containerEnd, CREATED_AT_ENTRY, DEDUPE_KEY_ENTRY, DEVICE_DEDUPE_KEY_ENTRY, DICOM_DEDUPE_KEY_ENTRY, encodePreamble, entryHeader, JOURNAL_ENTRY, KEYS_ENTRY, keyringDigest } from './backup-format';

export interface BackupExportOptions {
  readonly dataDir: string;
  readonly storage: Pick<VaultStorage, 'journal' | 'objects'>;
  /** The process's Sealer for the vault's intake key: the backup is sealed like any intake. */
  readonly sealer: Sealer;
  readonly keyring: Keyring;
  /** The HL7 duplicate index's folder: its key goes into the sealed container (never the preamble). */
  readonly dedupeDir: string;
  /** The DICOM duplicate index's folder: its key travels the same way. */
  readonly dicomDedupeDir: string;
  /** The device readings' duplicate index's folder: its key travels the same way. */
  readonly deviceDedupeDir: string;
  readonly log: Logger;
  readonly now?: Date;
  /** Where the file goes (the destination setting); `<data>/backups/` when absent. */
  readonly folder?: string;
  /** The file's name for a time and a collision suffix (scheduled backups are named apart: retention deletes only those). */
  readonly fileName?: (at: Date, suffix: number) => string;
}

const COPY_CHUNK_BYTES = 256 * 1024;

/** `hdms-backup-20250102T030405Z.hdmsbak` */
export function backupFileName(at: Date, suffix = 0): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `hdms-backup-${stamp}${suffix === 0 ? '' : `-${suffix}`}${BACKUP_EXTENSION}`;
}

/**
 * Writes one backup file of the whole vault into the backup folder (mode 0600; see
 * backup-format.ts), streaming: no file is ever held whole in memory. Intake goes on meanwhile:
 * the journal is copied up to its durable length at the start (it is append-only, and a rewrite
 * waits for the copy), and the object files are listed after that, so every record copied finds its
 * object in the backup (small objects are inline in the journal records, so copied with them). The file appears under its final name only once complete and fsynced.
 */
export async function exportBackup(options: BackupExportOptions): Promise<{ path: string; bytes: number }> {
  const { dataDir, storage, sealer, keyring, dedupeDir, dicomDedupeDir, deviceDedupeDir, log } = options;
  const createdAt = options.now ?? new Date();
  const backupsDir = options.folder ?? path.join(dataDir, 'backups');
  const nameOf = options.fileName ?? backupFileName;
  if (options.folder === undefined) await mkdir(backupsDir, { recursive: true, mode: 0o700 });
  // A chosen destination is never created: an unmounted share would otherwise fill the local disk.
  else if (!(await stat(backupsDir).then((info) => info.isDirectory(), () => false))) {
    throw new BackupRefusal('E_UNAVAILABLE', 'The backup destination folder is not available (a network share offline, a drive not connected?).');
  }
  const keysBytes = Buffer.from(`${JSON.stringify(keyring, null, 1)}\n`, 'utf8');
  const temp = path.join(backupsDir, `.backup-${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  let position = 0;
  let done = false;
  let objects = 0;
  let records = 0;
  let dedupeKey = false;
  let dicomDedupeKey = false;
  let deviceDedupeKey = false;
  try {
    const write = async (bytes: Uint8Array): Promise<void> => {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position);
        offset += bytesWritten;
        position += bytesWritten;
      }
    };
    await write(encodePreamble({ format: BACKUP_FORMAT, version: 1, createdAt: createdAt.toISOString(), keyring, keyringSha256: keyringDigest(keyring) }));
    await storage.journal.withSnapshot(async (snapshot) => {
      records = snapshot.lastSeq;
      // Read after the snapshot is taken: every tag in it was made with a key already on disk.
      const key = await readDedupeKey(dedupeDir);
      dedupeKey = key !== null;
      const dicomKey = await readDedupeKey(dicomDedupeDir);
      dicomDedupeKey = dicomKey !== null;
      const deviceKey = await readDedupeKey(deviceDedupeDir);
      deviceDedupeKey = deviceKey !== null;
      const ids: string[] = [];
      // Object files only: inline objects travel inside the journal records that carry them.
      for await (const id of storage.objects.files.list()) ids.push(id);
      const container = containerStream(Buffer.from(createdAt.toISOString(), 'utf8'), keysBytes, key, dicomKey, deviceKey, snapshot, ids, storage.objects.files.pathOf.bind(storage.objects.files), () => objects++);
      for await (const piece of sealer.sealStream('backup', container)) await write(piece);
    });
    await handle.datasync();
    done = true;
  } finally {
    await handle.close();
    if (!done) await unlink(temp).catch(() => undefined);
  }
  let name = '';
  for (let suffix = 0; ; suffix++) {
    name = path.join(backupsDir, nameOf(createdAt, suffix));
    if (!(await pathExists(name))) break;
  }
  await rename(temp, name);
  await syncDir(backupsDir);
  log.info({ bytes: position, records, objects, dedupeKey, dicomDedupeKey, deviceDedupeKey }, 'backup exported');
  return { path: name, bytes: position };
}

async function* containerStream(
  createdAtBytes: Buffer,
  keysBytes: Buffer,
  dedupeKey: Buffer | null,
  dicomDedupeKey: Buffer | null,
  deviceDedupeKey: Buffer | null,
  snapshot: JournalSnapshot,
  objectIds: readonly string[],
  objectPath: (id: string) => string,
  countObject: () => void,
): AsyncGenerator<Uint8Array> {
  let entries = 0;
  // First, so a restore compares it with the preamble's before it writes anything (CREATED_AT_ENTRY).
  yield entryHeader(CREATED_AT_ENTRY, createdAtBytes.length);
  yield createdAtBytes;
  entries++;

  yield entryHeader(KEYS_ENTRY, keysBytes.length);
  yield keysBytes;
  entries++;

  if (dedupeKey !== null) {
    yield entryHeader(DEDUPE_KEY_ENTRY, dedupeKey.length);
    yield dedupeKey;
    entries++;
  }

  if (dicomDedupeKey !== null) {
    yield entryHeader(DICOM_DEDUPE_KEY_ENTRY, dicomDedupeKey.length);
    yield dicomDedupeKey;
    entries++;
  }

  if (deviceDedupeKey !== null) {
    yield entryHeader(DEVICE_DEDUPE_KEY_ENTRY, deviceDedupeKey.length);
    yield deviceDedupeKey;
    entries++;
  }

  yield entryHeader(JOURNAL_ENTRY, snapshot.size);
  for (let position = 0; position < snapshot.size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, snapshot.size - position));
    const got = await snapshot.read(buffer, 0, buffer.length, position);
    if (got <= 0) throw new Error('The journal ended before its snapshot length.');
    position += got;
    yield buffer.subarray(0, got);
  }
  entries++;

  for (const id of objectIds) {
    let handle;
    try {
      handle = await open(objectPath(id), 'r');
    } catch (error) {
      // Listed, then gone: only an erasure removes objects, and it waits for the export.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      yield entryHeader(`objects/${id.slice(0, 2)}/${id.slice(2)}`, size);
      for (let position = 0; position < size; ) {
        const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, size - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead <= 0) throw new Error('An object ended before its size.');
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
    entries++;
    countObject();
  }
  yield containerEnd(entries);
}

