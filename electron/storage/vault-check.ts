import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeEnvelopeHeader, ENVELOPE_HEADER_LENGTH, EnvelopeError, GCM_TAG_LENGTH } from '../../shared/crypto/envelope-format';
import { inlineObjectProblem, REPAIRED_KIND, scanJournal, type JournalRecord } from './journal-format';
import { pathExists } from './durable-files';
import { MIN_SEALED_OBJECT_BYTES } from './object-store';
import { osCodeOf, toStorageError } from './storage-errors';
import { nodeStorageFs, readFully, type StorageFile } from './storage-fs';
import { vaultLayout } from './vault-layout';

/** What `npm run vault:check` prints, as one JSON line. Counts, kinds, ids and offsets only. */
export interface VaultCheckReport {
  readonly journal: {
    readonly records: number;
    readonly byKind: Record<string, number>;
    /** The file ends in a torn tail now (the body repairs it at its next start). */
    readonly tornTail: boolean;
    /** The `journal.repaired` records: earlier torn tails that were cut off at open. */
    readonly repairs: ReadonlyArray<{ readonly seq: number; readonly truncatedBytes: number }>;
  };
  /** Objects checked: object files plus objects carried inline by journal records. */
  readonly objects: number;
  /** Of `objects`, those carried inline by journal records. */
  readonly inlineObjects: number;
  readonly errors: readonly string[];
}

const MAX_ERRORS = 1000;
const HASH_WORKERS = 4;
const HASH_BUFFER_BYTES = 1024 * 1024;
const FAN_OUT_DIR = /^[0-9a-f]{2}$/;
const FAN_OUT_REST = /^[0-9a-f]{62}$/;

class ErrorList {
  readonly items: string[] = [];
  private dropped = 0;
  add(message: string): void {
    if (this.items.length < MAX_ERRORS) this.items.push(message);
    else this.dropped++;
  }
  done(): string[] {
    return this.dropped === 0 ? this.items : [...this.items, `… and ${this.dropped} more errors`];
  }
}

/** 0 when the vault is consistent, 1 otherwise. */
export function vaultCheckExitCode(report: VaultCheckReport): 0 | 1 {
  return report.errors.length === 0 && !report.journal.tornTail ? 0 : 1;
}

/**
 * Verifies a vault without its passphrase and without changing a byte: every journal record
 * (framing, CRC, schema, seq continuity, sealed metadata header) and every object (its name is the
 * SHA-256 of its bytes, its envelope header decodes, it is long enough, every referenced object
 * exists). Objects carried inline by journal records get the same checks as object files.
 */
export async function checkVault(dataDir: string): Promise<VaultCheckReport> {
  const layout = vaultLayout(dataDir);
  const errors = new ErrorList();
  const byKind: Record<string, number> = {};
  const repairs: Array<{ seq: number; truncatedBytes: number }> = [];
  let records = 0;
  let tornTail = false;
  if (!(await isDirectory(layout.vaultDir))) {
    return { journal: { records, byKind, tornTail, repairs }, objects: 0, inlineObjects: 0, errors: [`no vault in ${dataDir}`] };
  }
  if (!(await pathExists(layout.keysFile))) errors.add('vault/keys.json is missing: the vault cannot be unlocked');

  /** Object id → seq of the first record that refers to it. */
  const referenced = new Map<string, number>();
  /** Objects carried inline by a record (checked as the journal is scanned). */
  const inline = new Set<string>();
  let journal: StorageFile | null = null;
  try {
    journal = await nodeStorageFs.open(layout.journalFile, 'read');
  } catch (error) {
    errors.add(osCodeOf(error) === 'ENOENT' ? 'journal: vault/journal/journal.hdj is missing' : `journal: ${toStorageError(error, layout.journalDir, 'reading the journal').message}`);
  }
  if (journal !== null) {
    try {
      const visit = (record: JournalRecord, offset: number): void => {
        records++;
        byKind[record.kind] = (byKind[record.kind] ?? 0) + 1;
        if (record.kind === REPAIRED_KIND) repairs.push({ seq: record.seq, truncatedBytes: record.note?.['truncatedBytes'] ?? 0 });
        for (const id of record.objects) if (!referenced.has(id)) referenced.set(id, record.seq);
        for (const [id, text] of Object.entries(record.inline ?? {})) {
          if (inline.has(id)) errors.add(`object ${id}: carried inline by more than one record (again by seq ${record.seq})`);
          inline.add(id);
          const problem = inlineObjectProblem(id, Buffer.from(text, 'base64url'));
          if (problem !== null) errors.add(`object ${id}: inline in journal record seq ${record.seq} at offset ${offset}: ${problem}`);
        }
        if (record.meta !== null) {
          const problem = sealedMetadataProblem(Buffer.from(record.meta, 'base64url'));
          if (problem !== null) errors.add(`journal: record seq ${record.seq} at offset ${offset}: metadata ${problem}`);
        }
        if (record.actor !== undefined) {
          const problem = sealedMetadataProblem(Buffer.from(record.actor, 'base64url'));
          if (problem !== null) errors.add(`journal: record seq ${record.seq} at offset ${offset}: actor ${problem}`);
        }
      };
      const scan = await scanJournal(journal, await journal.size(), visit);
      if (scan.verdict === 'torn') tornTail = true;
      if (scan.verdict === 'corrupt') {
        errors.add(
          `journal: damaged at byte offset ${scan.problem!.offset} (${scan.problem!.kind}) after record seq ${scan.lastSeq}; ` +
            'not a torn tail, the body will refuse to open it; records after it were not checked',
        );
      }
    } catch (error) {
      errors.add(`journal: ${toStorageError(error, layout.journalDir, 'reading the journal').message}`);
    } finally {
      await journal.close().catch(() => undefined);
    }
  }

  const files = await checkObjects(layout.objectsDir, referenced, errors);
  for (const id of inline) referenced.delete(id);
  for (const [id, seq] of referenced) errors.add(`object ${id}: referenced by journal record seq ${seq} but missing`);
  return { journal: { records, byKind, tornTail, repairs }, objects: files + inline.size, inlineObjects: inline.size, errors: errors.done() };
}

/** Checks every object file; removes each found id from `referenced`. Returns how many files it checked. */
async function checkObjects(objectsDir: string, referenced: Map<string, number>, errors: ErrorList): Promise<number> {
  const files: Array<{ id: string; file: string }> = [];
  for (const dir of await listDir(objectsDir, errors)) {
    const dirPath = path.join(objectsDir, dir);
    if (!FAN_OUT_DIR.test(dir) || !(await isDirectory(dirPath))) {
      errors.add('objects: an entry in vault/objects is not a fan-out folder (two hex digits)');
      continue;
    }
    let unexpected = 0;
    for (const name of await listDir(dirPath, errors)) {
      if (FAN_OUT_REST.test(name)) files.push({ id: dir + name, file: path.join(dirPath, name) });
      else unexpected++;
    }
    if (unexpected > 0) errors.add(`objects: ${unexpected} file(s) in vault/objects/${dir} are not named by an object id`);
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(HASH_BUFFER_BYTES);
    while (next < files.length) {
      const { id, file } = files[next++]!;
      referenced.delete(id);
      const problem = await objectProblem(file, id, buffer);
      if (problem !== null) errors.add(`object ${id}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: HASH_WORKERS }, worker));
  return files.length;
}

async function objectProblem(file: string, id: string, buffer: Buffer): Promise<string | null> {
  let handle: StorageFile;
  try {
    handle = await nodeStorageFs.open(file, 'read');
  } catch (error) {
    return `cannot be opened (${osCodeOf(error) ?? 'error'})`;
  }
  try {
    const hash = createHash('sha256');
    let size = 0;
    let header: Buffer | null = null;
    for (;;) {
      const got = await readFully(handle, buffer, 0, buffer.length, size);
      if (got === 0) break;
      if (size === 0) header = Buffer.from(buffer.subarray(0, Math.min(got, ENVELOPE_HEADER_LENGTH)));
      hash.update(buffer.subarray(0, got));
      size += got;
      if (got < buffer.length) break;
    }
    const digest = hash.digest('hex');
    if (digest !== id) return `content does not match its name (SHA-256 is ${digest}): damaged or altered`;
    if (header === null) return 'is empty';
    try {
      decodeEnvelopeHeader(header);
    } catch (error) {
      if (error instanceof EnvelopeError) return `not a sealed envelope (${error.code})`;
      throw error;
    }
    if (size < MIN_SEALED_OBJECT_BYTES) return `${size} bytes, shorter than the smallest sealed envelope (${MIN_SEALED_OBJECT_BYTES})`;
    return null;
  } catch (error) {
    return `cannot be read (${osCodeOf(error) ?? 'error'})`;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function sealedMetadataProblem(bytes: Buffer): string | null {
  try {
    const header = decodeEnvelopeHeader(bytes);
    if (header.kind !== 'journalMetadata') return `is a sealed envelope of kind ${header.kind}, not journalMetadata`;
    if (bytes.length < header.headerLength + GCM_TAG_LENGTH) return 'is shorter than the smallest sealed envelope';
    return null;
  } catch (error) {
    if (error instanceof EnvelopeError) return `is not a sealed envelope (${error.code})`;
    throw error;
  }
}

async function listDir(dir: string, errors: ErrorList): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if (osCodeOf(error) !== 'ENOENT') errors.add(`objects: ${toStorageError(error, dir, 'listing objects').message}`);
    return [];
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}


/** Arguments of the CLI: `--data-dir DIR` (or `--data-dir=DIR`), `--help`. */
export function parseVaultCheckArgs(argv: readonly string[]): { dataDir: string } | { help: true } | { error: string } {
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--data-dir') {
      const value = argv[++i];
      if (value === undefined || value === '') return { error: '--data-dir needs a folder' };
      dataDir = value;
    } else if (arg.startsWith('--data-dir=')) {
      dataDir = arg.slice('--data-dir='.length);
      if (dataDir === '') return { error: '--data-dir needs a folder' };
    } else {
      return { error: `unknown argument ${JSON.stringify(arg)}` };
    }
  }
  return dataDir === undefined ? { error: '--data-dir is required' } : { dataDir };
}
