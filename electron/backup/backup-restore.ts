import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { openStreamWithDataKey } from '../../shared/crypto/envelope';
import { EnvelopeError } from '../../shared/crypto/envelope-format';
import { KeyringSchema, type Keyring } from '../../shared/ipc';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../shared/ipc/ledger-contract';

import type { Logger } from '../logging/logger';
import { inlineObjectProblem, scanJournal } from '../storage/journal-format';
import { nodeStorageFs } from '../storage/storage-fs';
import { vaultLayout } from '../storage/vault-layout';
import { pathExists, syncDir } from '../storage/durable-files';
import { writeDedupeKey } from '../intake/hl7/hl7-duplicates';
import { Journal } from '../storage/journal';
import { ReapplicationPlanner, type ErasureRegister } from './erasure-register';
import { BACKUP_LABEL_ALTERED } from '../../shared/ipc/vault-contract';
import { BackupRefusal, CREATED_AT_ENTRY, DEDUPE_KEY_BYTES, MAX_CREATED_AT_BYTES, MAX_PATH_BYTES, malformed, parseContainerPath, readBackupHead, sameKeyring } from './backup-format';

export interface BackupRestoreOptions {
  readonly dataDir: string;
  readonly file: string;
  /** The backup envelope's data key (32 bytes), unwrapped by the mind with the intake key. */
  readonly dataKey: Uint8Array;
  /** The HL7 duplicate index's folder: the backup's key is put back there (the index rebuilds from the journal). */
  readonly dedupeDir: string;
  /** The DICOM duplicate index's folder: emptied, then its key put back when the backup has one. */
  readonly dicomDedupeDir: string;
  /** The device readings' duplicate index's folder: emptied, then its key put back when the backup has one. */
  readonly deviceDedupeDir: string;
  /** Erasures made since (erasure-register.ts): applied again to the restored journal before the vault exists. */
  readonly register: ErasureRegister;
  /** The user was told the file's clear date differs from its sealed one and restores it anyway. */
  readonly acceptAlteredLabel?: boolean;
  readonly log: Logger;
}

export interface BackupRestoreResult {
  readonly records: number;
  readonly objects: number;
  readonly keyring: Keyring;
  /** What the erasure register made the restore erase again. */
  readonly reapplied: { readonly erasures: number; readonly records: number; readonly objects: number };
  /** When the backup was made: its sealed date, or its preamble's for a backup made before that was sealed. */
  readonly backupCreatedAt: string;
  /** The last ledger entry the backup's journal holds (0: none): entries this node signed after it are not in the restored vault. */
  readonly ledgerSeq: number;
}

/** Small entries are written in the background, this many at once (each is fsynced). */
const WRITE_CONCURRENCY = 32;
const IN_MEMORY_ENTRY_BYTES = 1024 * 1024;
const MAX_KEYS_BYTES = 16 * 1024 * 1024;

/**
 * Restores a backup into a data folder that holds no vault (the caller checks, under the body's
 * vault lock). Decrypts the envelope with its data key into `vault/tmp/restore-*`, checking as it
 * goes (every object's bytes hash to its name, paths fit the layout) and at the end (the keyring
 * equals the preamble's, the journal scans clean, the container's entry count matches), then moves
 * journal and objects into place, then the HL7 duplicate key (when the backup has one), and the
 * keyring last: a vault exists only once all of it is there. On any failure everything it created
 * is removed. A wrong key fails at the first chunk.
 */
export async function restoreBackup(options: BackupRestoreOptions): Promise<BackupRestoreResult> {
  const { dataDir, file, dataKey, dedupeDir, dicomDedupeDir, deviceDedupeDir, register, acceptAlteredLabel = false, log } = options;
  const head = await readBackupHead(file);
  const layout = vaultLayout(dataDir);
  const vaultDirExisted = await pathExists(layout.vaultDir);
  await mkdir(layout.tmpDir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(layout.tmpDir, 'restore-'));
  let moved = false;
  const movedParts: string[] = [];
  try {
    // Checked as soon as the sealed date is read (the container's first entry), before anything
    // else is unpacked. A differing clear date blocks the restore only until the user confirms:
    // what is restored is the sealed contents, intact whatever the clear label says, so the risk
    // is the user's choice of this backup for a date it does not hold, and the words give the true one.
    const unpacked = await unpack(head.envelopeOffset, file, dataKey, work, (sealedAt) => {
      if (!acceptAlteredLabel) checkLabel(head.preamble.createdAt, sealedAt);
    });
    if (!sameKeyring(unpacked.keyring, head.preamble.keyring)) throw malformed('its keyring differs from the one in its preamble');
    const journalFile = path.join(work, 'journal', 'journal.hdj');
    const handle = await nodeStorageFs.open(journalFile, 'read');
    let records: number;
    let inlineObjects = 0;
    let badInline = 0;
    let ledgerSeq = 0;
    const planner = new ReapplicationPlanner(register);
    try {
      // Inline objects (small sealed payloads carried by their records) are checked like object
      // files: their bytes must hash to their names.
      const scan = await scanJournal(handle, await handle.size(), (record) => {
        planner.visit(record);
        // The body reads a ledger entry's seq from its plaintext note (ledger-appender.ts); the entry stays sealed.
        const noted = record.kind === LEDGER_ENTRY_JOURNAL_KIND ? record.note?.['ledgerSeq'] : undefined;
        if (typeof noted === 'number' && noted > ledgerSeq) ledgerSeq = noted;
        for (const [id, text] of Object.entries(record.inline ?? {})) {
          inlineObjects++;
          if (inlineObjectProblem(id, Buffer.from(text, 'base64url')) !== null) badInline++;
        }
      });
      if (scan.verdict !== 'clean') throw malformed(`its journal is damaged at byte offset ${scan.problem?.offset ?? 0}`);
      if (badInline > 0) throw malformed('an object inside its journal does not match its name');
      records = scan.records;
    } finally {
      await handle.close();
    }
    // Erasures made after this backup: its journal gets the same tombstones and its objects go,
    // here in the work folder, so no vault with the erased records ever exists in the data folder.
    const reapplied = await reapplyErasures(work, planner, log);
    inlineObjects -= reapplied.droppedInline;
    await clearEmptyLeftovers(layout.journalDir);
    await clearEmptyLeftovers(layout.objectsDir);
    await rename(path.join(work, 'journal'), layout.journalDir);
    movedParts.push(layout.journalDir);
    await rename(path.join(work, 'objects'), layout.objectsDir);
    movedParts.push(layout.objectsDir);
    // The index is derived and belongs to no vault here: it starts over from the journal's tags,
    // under the backup's key when it has one (else the channel makes a new key, as before).
    await rm(dedupeDir, { recursive: true, force: true });
    if (unpacked.dedupeKey !== null) {
      movedParts.push(dedupeDir);
      await mkdir(dedupeDir, { recursive: true, mode: 0o700 });
      await writeDedupeKey(dedupeDir, unpacked.dedupeKey);
    }
    await rm(dicomDedupeDir, { recursive: true, force: true });
    if (unpacked.dicomDedupeKey !== null) {
      movedParts.push(dicomDedupeDir);
      await mkdir(dicomDedupeDir, { recursive: true, mode: 0o700 });
      await writeDedupeKey(dicomDedupeDir, unpacked.dicomDedupeKey);
    }
    await rm(deviceDedupeDir, { recursive: true, force: true });
    if (unpacked.deviceDedupeKey !== null) {
      movedParts.push(deviceDedupeDir);
      await mkdir(deviceDedupeDir, { recursive: true, mode: 0o700 });
      await writeDedupeKey(deviceDedupeDir, unpacked.deviceDedupeKey);
    }
    await syncDir(layout.vaultDir);
    await rename(path.join(work, 'keys.json'), layout.keysFile);
    moved = true;
    await syncDir(layout.vaultDir);
    await rm(work, { recursive: true, force: true });
    log.info({ records, objects: unpacked.objects - reapplied.objectFiles, inlineObjects, dedupeKey: unpacked.dedupeKey !== null, dicomDedupeKey: unpacked.dicomDedupeKey !== null, deviceDedupeKey: unpacked.deviceDedupeKey !== null, erasuresReapplied: reapplied.erasures, erasedRecords: reapplied.records, ledgerSeq }, 'backup restored');
    if (unpacked.dedupeKey === null) {
      log.warn({}, 'backup holds no HL7 duplicate key (made by an earlier version): resends of messages received before it will be stored as new');
    }
    return {
      records,
      objects: unpacked.objects - reapplied.objectFiles + inlineObjects,
      keyring: unpacked.keyring,
      reapplied: { erasures: reapplied.erasures, records: reapplied.records, objects: reapplied.objectFiles + reapplied.droppedInline },
      backupCreatedAt: unpacked.createdAt ?? head.preamble.createdAt,
      ledgerSeq,
    };
  } catch (error) {
    if (!moved) {
      await rm(work, { recursive: true, force: true });
      // Journal or objects may have moved already; the keyring never did, so no vault exists.
      if (!vaultDirExisted) await rm(layout.vaultDir, { recursive: true, force: true });
      else for (const part of movedParts) await rm(part, { recursive: true, force: true }).catch(() => undefined);
    }
    throw translate(error);
  }
}

/**
 * Reads the whole sealed part with its data key, authenticating every chunk to the one sealed as
 * last, and writes nothing: a copy cut short or altered is refused as damaged in the restore's
 * words. Only the key can tell a cut at a chunk boundary (the header declares no length), so this
 * is the first check that sees the whole file. Then, for an intact file, its clear date is compared
 * with its sealed one as a restore compares them (the same refusal, unless `acceptAlteredLabel`).
 */
export async function verifyBackup(file: string, dataKey: Uint8Array, acceptAlteredLabel = false): Promise<void> {
  const head = await readBackupHead(file);
  let sealedAt: string | null = null;
  try {
    const opened = await openStreamWithDataKey(dataKey, createReadStream(file, { start: head.envelopeOffset, highWaterMark: 256 * 1024 }));
    if (opened.kind !== 'backup') {
      await opened.cancel();
      throw malformed('its envelope is not a backup');
    }
    const reader = new ByteReader(opened.plaintext[Symbol.asyncIterator]());
    try {
      sealedAt = await readLeadingSealedDate(reader);
      await reader.discardRest();
    } finally {
      await reader.close();
    }
  } catch (error) {
    throw translate(error);
  }
  // After the whole file: damage is reported first, as no answer about the date would make it restorable.
  if (sealedAt !== null && !acceptAlteredLabel) checkLabel(head.preamble.createdAt, sealedAt);
}

/** The sealed date when the container starts with it (null for a backup made before it was sealed); the rest is left to read. */
async function readLeadingSealedDate(reader: ByteReader): Promise<string | null> {
  const pathLength = (await reader.exact(2)).readUInt16BE(0);
  if (pathLength === 0 || pathLength > MAX_PATH_BYTES) return null;
  const name = (await reader.exact(pathLength)).toString('utf8');
  if (name !== CREATED_AT_ENTRY) return null;
  return readSealedDate(reader, Number((await reader.exact(8)).readBigUInt64BE(0)));
}

async function readSealedDate(reader: ByteReader, size: number): Promise<string> {
  if (size > MAX_CREATED_AT_BYTES) throw malformed('its sealed date is too long');
  const parsed = SealedDateSchema.safeParse((await reader.exact(size)).toString('utf8'));
  if (!parsed.success) throw malformed('its sealed date is not a date');
  return parsed.data;
}

/** Refuses (E_CONFLICT, BACKUP_LABEL_ALTERED) a clear date that is not the sealed one; compared as instants. */
function checkLabel(labelAt: string, sealedAt: string): void {
  if (Date.parse(sealedAt) !== Date.parse(labelAt)) throw new BackupRefusal('E_CONFLICT', alteredLabelMessage(labelAt, sealedAt));
}

/**
 * Applies the planned erasures to the unpacked journal (the same rewrite a live erasure uses:
 * tombstones with the same seq) and deletes the erased objects' files from the unpacked objects.
 * Objects a kept record still refers to stay (the rewrite refuses to orphan a reference); that
 * cannot happen for a backup of this vault, whose records at erasure time were checked the same way.
 */
async function reapplyErasures(
  work: string,
  planner: ReapplicationPlanner,
  log: Logger,
): Promise<{ erasures: number; records: number; objectFiles: number; droppedInline: number }> {
  const plan = planner.plan();
  if (plan.seqs.size === 0) return { erasures: 0, records: 0, objectFiles: 0, droppedInline: 0 };
  const journal = await Journal.open(path.join(work, 'journal'), log);
  let toDelete = new Set(plan.objects);
  let result;
  try {
    result = await journal.rewrite(plan.seqs, toDelete);
    if (result.stillReferenced.length > 0) {
      log.warn({ stillReferenced: result.stillReferenced.length }, 'objects of a re-applied erasure are referred to by kept records; those objects are kept');
      const kept = new Set(result.stillReferenced);
      toDelete = new Set([...toDelete].filter((id) => !kept.has(id)));
      result = await journal.rewrite(plan.seqs, toDelete);
    }
  } finally {
    await journal.close();
  }
  let objectFiles = 0;
  for (const id of toDelete) {
    try {
      await rm(path.join(work, 'objects', id.slice(0, 2), id.slice(2)));
      objectFiles++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { erasures: plan.erasures, records: result.erased, objectFiles, droppedInline: result.droppedInline.length };
}

const labelTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** The refusal's words: both dates as the restore form writes them (this computer's time). */
export function alteredLabelMessage(labelAt: string, sealedAt: string): string {
  return `This file’s label says ${labelTime.format(new Date(labelAt))} but its sealed contents were made on ${labelTime.format(new Date(sealedAt))}: ${BACKUP_LABEL_ALTERED}`;
}

function translate(error: unknown): unknown {
  if (error instanceof EnvelopeError) {
    // The mind unwrapped this key from this file's own header (AES key wrap checks it), so an
    // authentication failure means changed bytes, or a file that ends inside a chunk (a copy cut
    // short fails the last chunk's check before the envelope can tell it is missing its end).
    if (error.code === 'E_ENVELOPE_AUTH') {
      return new BackupRefusal('E_BAD_REQUEST', 'The backup file is damaged: part of its sealed content fails its check (a copy cut short, or bytes changed). Nothing was restored.');
    }
    return new BackupRefusal('E_BAD_REQUEST', `The backup file is damaged or incomplete (${error.code === 'E_ENVELOPE_TRUNCATED' ? 'it ends early: a copy cut short?' : error.code}).`);
  }
  return error;
}

interface Unpacked {
  /** The sealed date (CREATED_AT_ENTRY); null for backups made before it was sealed. */
  readonly createdAt: string | null;
  readonly keyring: Keyring;
  readonly objects: number;
  /** Null for backups made before the key was carried. */
  readonly dedupeKey: Buffer | null;
  readonly dicomDedupeKey: Buffer | null;
  readonly deviceDedupeKey: Buffer | null;
}

const SealedDateSchema = z.iso.datetime();

async function unpack(envelopeOffset: number, file: string, dataKey: Uint8Array, work: string, checkCreatedAt: (sealedAt: string) => void): Promise<Unpacked> {
  const stream = createReadStream(file, { start: envelopeOffset, highWaterMark: 256 * 1024 });
  const opened = await openStreamWithDataKey(dataKey, stream);
  if (opened.kind !== 'backup') {
    await opened.cancel();
    throw malformed('its envelope is not a backup');
  }
  const reader = new ByteReader(opened.plaintext[Symbol.asyncIterator]());
  const writes = new WritePool(WRITE_CONCURRENCY);
  const madeDirs = new Set<string>();
  const ensureDir = async (dir: string): Promise<void> => {
    if (madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
  };
  await ensureDir(path.join(work, 'objects'));
  let createdAt: string | null = null;
  let keyring: Keyring | null = null;
  let dedupeKey: Buffer | null = null;
  let dicomDedupeKey: Buffer | null = null;
  let deviceDedupeKey: Buffer | null = null;
  let journal = false;
  let objects = 0;
  let entries = 0;
  const seen = new Set<string>();
  try {
    for (;;) {
      const pathLength = (await reader.exact(2)).readUInt16BE(0);
      if (pathLength === 0) break;
      if (pathLength > MAX_PATH_BYTES) throw malformed('an entry path is too long');
      const name = (await reader.exact(pathLength)).toString('utf8');
      const entry = parseContainerPath(name);
      if (seen.has(name)) throw malformed('an entry appears twice');
      seen.add(name);
      const size = Number((await reader.exact(8)).readBigUInt64BE(0));
      if (!Number.isSafeInteger(size)) throw malformed('an entry size is out of range');
      entries++;
      if (entry.kind === 'createdAt') {
        if (entries !== 1) throw malformed('its sealed date is not its first entry');
        createdAt = await readSealedDate(reader, size);
        checkCreatedAt(createdAt);
        continue;
      }
      if (entry.kind === 'keys') {
        if (size > MAX_KEYS_BYTES) throw malformed('its keyring is too large');
        const bytes = await reader.exact(size);
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw malformed('its keyring is not JSON');
        }
        const parsed = KeyringSchema.safeParse(json);
        if (!parsed.success) throw malformed('its keyring breaks the schema');
        keyring = parsed.data;
        await writes.run(() => writeWhole(path.join(work, 'keys.json'), [bytes]));
        continue;
      }
      if (entry.kind === 'dedupeKey') {
        if (size !== DEDUPE_KEY_BYTES) throw malformed('its HL7 duplicate key is not 32 bytes');
        dedupeKey = await reader.exact(size);
        continue;
      }
      if (entry.kind === 'dicomDedupeKey') {
        if (size !== DEDUPE_KEY_BYTES) throw malformed('its DICOM duplicate key is not 32 bytes');
        dicomDedupeKey = await reader.exact(size);
        continue;
      }
      if (entry.kind === 'deviceDedupeKey') {
        if (size !== DEDUPE_KEY_BYTES) throw malformed('its device duplicate key is not 32 bytes');
        deviceDedupeKey = await reader.exact(size);
        continue;
      }
      const target =
        entry.kind === 'journal' ? path.join(work, 'journal', 'journal.hdj') : path.join(work, 'objects', entry.id.slice(0, 2), entry.id.slice(2));
      await ensureDir(path.dirname(target));
      const hash = entry.kind === 'object' ? createHash('sha256') : null;
      const check = (): void => {
        if (hash !== null && entry.kind === 'object' && hash.digest('hex') !== entry.id) throw malformed('an object does not match its name');
      };
      if (size <= IN_MEMORY_ENTRY_BYTES) {
        const bytes = await reader.exact(size);
        hash?.update(bytes);
        check();
        await writes.run(() => writeWhole(target, [bytes]));
      } else {
        await writes.drain();
        const handle = await open(target, 'wx', 0o600);
        try {
          let position = 0;
          for await (const piece of reader.take(size)) {
            hash?.update(piece);
            await writeAll(handle, piece, position);
            position += piece.length;
          }
          check();
          await handle.datasync();
        } finally {
          await handle.close();
        }
      }
      if (entry.kind === 'journal') journal = true;
      else objects++;
    }
    const count = (await reader.exact(4)).readUInt32BE(0);
    if (count !== entries) throw malformed('its entry count does not match');
    if (!(await reader.atEnd())) throw malformed('bytes follow its last entry');
  } finally {
    await writes.drain().catch(() => undefined);
    await reader.close();
  }
  await writes.drain();
  if (keyring === null) throw malformed('it holds no keyring');
  if (!journal) throw malformed('it holds no journal');
  for (const dir of madeDirs) await syncDir(dir);
  return { createdAt, keyring, objects, dedupeKey, dicomDedupeKey, deviceDedupeKey };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
}

async function writeWhole(file: string, pieces: readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    let position = 0;
    for (const piece of pieces) {
      await writeAll(handle, piece, position);
      position += piece.length;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Runs up to `limit` writes at once; the first failure is rethrown by the next run or drain. */
class WritePool {
  private readonly active = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    this.rethrow();
    while (this.active.size >= this.limit) await Promise.race(this.active);
    this.rethrow();
    const promise: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.active.delete(promise));
    this.active.add(promise);
  }

  async drain(): Promise<void> {
    await Promise.all(this.active);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure.error;
  }
}

/** Exact-length reads over an async iterator of byte pieces. */
class ByteReader {
  private pieces: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      const piece = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      this.pieces.push(piece);
      this.buffered += piece.length;
    }
    return this.buffered >= n;
  }

  async exact(n: number): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    if (!(await this.fill(n))) throw malformed('it ends in the middle of an entry');
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.pieces[0]!;
      const take = Math.min(piece.length, n - filled);
      piece.copy(out, filled, 0, take);
      filled += take;
      if (take === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(take);
    }
    this.buffered -= n;
    return out;
  }

  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) throw malformed('it ends in the middle of an entry');
      const piece = this.pieces[0]!;
      const take = Math.min(piece.length, left);
      if (take === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(take);
      this.buffered -= take;
      left -= take;
      yield Buffer.from(piece.subarray(0, take));
    }
  }

  /** Reads to the end, wiping each piece: the whole-file check authenticates every chunk and keeps nothing. */
  async discardRest(): Promise<void> {
    for (const piece of this.pieces) piece.fill(0);
    this.pieces = [];
    this.buffered = 0;
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) this.ended = true;
      else next.value.fill(0);
    }
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  async close(): Promise<void> {
    if (!this.ended) await this.iterator.return?.();
  }
}

/** Removes a journal or objects folder that holds no file at all (the empty fan-out of a fresh open). */
async function clearEmptyLeftovers(dir: string): Promise<void> {
  if (!(await pathExists(dir))) return;
  if (await holdsFiles(dir)) throw new BackupRefusal('E_CONFLICT', 'This data folder holds vault files already; restore into an empty data folder.');
  await rm(dir, { recursive: true, force: true });
}

async function holdsFiles(dir: string): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (await holdsFiles(path.join(dir, entry.name))) return true;
    } else if (!(entry.name === 'journal.hdj' && (await stat(path.join(dir, entry.name))).size <= 8)) {
      return true;
    }
  }
  return false;
}

