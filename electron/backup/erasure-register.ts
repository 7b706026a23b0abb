import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ErasureRegisterSource } from '../../shared/ipc/vault-contract';
import type { JournalRecord } from '../storage/journal-format';
import type { Journal } from '../storage/journal';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import { BackupRefusal } from './backup-format';

/**
 * The erasure register: what every erasure removed, kept OUTSIDE the vault (`<data>/`, and a copy
 * beside the backups) so that a restore of a backup made before an erasure can apply it again.
 * The journal cannot be that memory: the backup's journal predates the erasure, and the current
 * one is what the restore replaces.
 *
 * It holds no PHI and nothing that opens anything: per erasure its time, the seq of the mind's
 * `erasure.patient` record, the seqs of the records erased, each with a digest of the record as it
 * was (SHA-256 over its seq, kind, time, operator pseudonym, object ids and sealed meta, all of
 * which are ciphertext, hashes or pseudonyms), and the ids of the sealed objects deleted (hashes of
 * ciphertext). The digest is what makes re-application safe: after a restore of an older backup the
 * journal continues from the backup's last seq, so a seq alone would later name a different
 * record; a record is erased again only when its digest matches.
 */
export const ERASURE_REGISTER_FILE = 'erasure-register.json';
/** The copy written beside the backups in the destination folder. */
export const ERASURE_REGISTER_COPY = 'hdms-erasure-register.json';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const ErasureSchema = z.strictObject({
  at: z.iso.datetime(),
  erasureSeq: z.number().int().positive(),
  records: z.array(z.strictObject({ seq: z.number().int().positive(), digest: hex64 })),
  objects: z.array(hex64),
});
const RegisterSchema = z.strictObject({
  format: z.literal('hdms-erasure-register'),
  version: z.literal(1),
  erasures: z.array(ErasureSchema),
});
export type ErasureRegister = z.infer<typeof RegisterSchema>;
export type RegisteredErasure = z.infer<typeof ErasureSchema>;

const EMPTY: ErasureRegister = { format: 'hdms-erasure-register', version: 1, erasures: [] };

/** The identity of a journal record as stored (its inline bytes are covered by their ids in `objects`). */
export function recordDigest(record: Pick<JournalRecord, 'seq' | 'kind' | 'at' | 'operator' | 'objects' | 'meta'>): string {
  const canonical = JSON.stringify([record.seq, record.kind, record.at, record.operator, record.objects, record.meta]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function registerPath(dataDir: string): string {
  return path.join(dataDir, ERASURE_REGISTER_FILE);
}

/**
 * Reads a register; a missing file is an empty register. A damaged one is refused: a restore must
 * not go on as if no erasure had happened.
 */
export async function readErasureRegister(file: string): Promise<ErasureRegister> {
  const text = await readTextIfExists(file);
  if (text === null) return EMPTY;
  try {
    return RegisterSchema.parse(JSON.parse(text));
  } catch {
    throw new BackupRefusal(
      'E_CONFLICT',
      `The erasure register (${path.basename(file)}) is damaged, so erasures made after the backup could not be applied again; nothing was restored. Put back a good copy (one is kept beside the backups as ${ERASURE_REGISTER_COPY}).`,
    );
  }
}

/** Writes a register atomically (mode 0600). */
export async function writeErasureRegister(file: string, register: ErasureRegister): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(register)}\n`);
}

/** The digests of these records in the live journal (read in seq order). */
async function digestsOf(journal: Journal, seqs: readonly number[]): Promise<{ seq: number; digest: string }[]> {
  const wanted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: { seq: number; digest: string }[] = [];
  let i = 0;
  while (i < wanted.length) {
    const from = wanted[i]!;
    const to = wanted[wanted.length - 1]!;
    const { records } = await journal.read({ after: from - 1, limit: Math.min(10_000, to - from + 1) });
    if (records.length === 0) break;
    for (const record of records) {
      while (i < wanted.length && wanted[i]! < record.seq) i++;
      if (i < wanted.length && wanted[i] === record.seq) {
        out.push({ seq: record.seq, digest: recordDigest(record) });
        i++;
      }
    }
    // Past the last record read, the next wanted seq starts the next read.
    while (i < wanted.length && wanted[i]! <= records[records.length - 1]!.seq) i++;
  }
  return out;
}

/**
 * Adds an erasure to `<data>/erasure-register.json` BEFORE the journal is rewritten: a crash in
 * between leaves a register entry for records still present (the erasure is repeated by the mind,
 * and a restore erases them, which is what was asked), never an erasure the register lacks.
 */
export async function registerErasure(
  dataDir: string,
  journal: Journal,
  erasure: { readonly erasureSeq: number; readonly seqs: readonly number[]; readonly objects: readonly string[] },
  at = new Date(),
): Promise<{ undo(): Promise<void> }> {
  const file = registerPath(dataDir);
  const register = await readErasureRegister(file);
  const records = await digestsOf(journal, erasure.seqs);
  const entry: RegisteredErasure = { at: at.toISOString(), erasureSeq: erasure.erasureSeq, records, objects: [...new Set(erasure.objects)].sort() };
  await writeErasureRegister(file, { ...register, erasures: [...register.erasures, entry] });
  return {
    // The rewrite refused and changed nothing: this erasure did not happen, so no restore may apply it.
    undo: async () => {
      const now = await readErasureRegister(file);
      await writeErasureRegister(file, { ...now, erasures: now.erasures.filter((e) => !(e.at === entry.at && e.erasureSeq === entry.erasureSeq)) });
    },
  };
}

/** Both registers' erasures, each once (an erasure is known by its time and its record's seq). */
export function mergeRegisters(...registers: readonly ErasureRegister[]): ErasureRegister {
  const seen = new Set<string>();
  const erasures: RegisteredErasure[] = [];
  for (const erasure of registers.flatMap((register) => register.erasures)) {
    const key = `${erasure.at}/${erasure.erasureSeq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    erasures.push(erasure);
  }
  erasures.sort((a, b) => a.at.localeCompare(b.at) || a.erasureSeq - b.erasureSeq);
  return { ...EMPTY, erasures };
}

/**
 * Copies the register beside the backups (so it survives the loss of the data folder with them),
 * merged with the copy already there (another installation restored from these backups may have
 * written erasures this data folder never saw); nothing when both are empty. A damaged copy there
 * is replaced by this data folder's register.
 */
export async function copyErasureRegister(dataDir: string, folder: string, { evenEmpty = false }: { readonly evenEmpty?: boolean } = {}): Promise<void> {
  const own = await readErasureRegister(registerPath(dataDir));
  const copyFile = path.join(folder, ERASURE_REGISTER_COPY);
  const present = (await readTextIfExists(copyFile)) !== null;
  const there = await readErasureRegister(copyFile).catch(() => EMPTY);
  const merged = mergeRegisters(there, own);
  // Beside a backup (evenEmpty), a register is written even with no erasure yet: a restore that
  // finds none beside its file then knows the file left its folder, and says it could not check.
  const needed = merged.erasures.length > there.erasures.length || (evenEmpty && !present);
  if (!needed) return;
  // The folder must be there already: a destination that is gone (a share offline, a disk
  // removed) is reported, not made anew somewhere the backups are not.
  if (!(await stat(folder)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  await writeErasureRegister(copyFile, merged);
}

/** Where a restore found the erasures made after its backup (ErasureRegisterSourceSchema). */
export type RegisterSource = ErasureRegisterSource;

/** Registers larger than this are refused (one erasure is well under a kilobyte per record). */
const MAX_REGISTER_BYTES = 64 * 1024 * 1024;

/**
 * A register file the admin chose (typed or picked): an absolute path to a regular `.json` file,
 * links followed. Refused when it is not there: a restore must not go on as if it had been read.
 */
export async function resolveRegisterPath(file: string): Promise<string> {
  if (!path.isAbsolute(file)) throw new BackupRefusal('E_BAD_REQUEST', 'erasureRegister: give the full path of the erasure register file (hdms-erasure-register.json).');
  let real: string;
  try {
    real = await realpath(path.normalize(file));
  } catch {
    throw new BackupRefusal('E_BAD_REQUEST', `No erasure register at that path (it is kept beside the backups as ${ERASURE_REGISTER_COPY}).`);
  }
  if (path.extname(real).toLowerCase() !== '.json') throw new BackupRefusal('E_BAD_REQUEST', 'erasureRegister: an erasure register is a .json file.');
  const info = await stat(real).catch(() => null);
  if (info === null || !info.isFile()) throw new BackupRefusal('E_BAD_REQUEST', 'erasureRegister: an erasure register is a regular file.');
  if (info.size > MAX_REGISTER_BYTES) throw new BackupRefusal('E_BAD_REQUEST', 'erasureRegister: that file is too large to be an erasure register.');
  return real;
}

/** Which register a restore of `backupFile` would find without one chosen (backup.inspect tells the mind before it asks). */
export async function registerSourceFor(dataDir: string, backupFile: string): Promise<Exclude<RegisterSource, 'chosen'>> {
  const beside = path.join(path.dirname(backupFile), ERASURE_REGISTER_COPY);
  if (path.resolve(beside) !== path.resolve(registerPath(dataDir)) && (await stat(beside).catch(() => null))?.isFile() === true) return 'beside';
  return (await stat(registerPath(dataDir)).catch(() => null))?.isFile() === true ? 'data-folder' : 'none';
}

/**
 * The registers a restore of `backupFile` consults, merged: the data folder's, the copy beside the
 * file, and the one the admin chose (when the file was moved away from its register); and where
 * the erasures were looked up.
 */
export async function registersForRestore(dataDir: string, backupFile: string, chosen?: string): Promise<{ register: ErasureRegister; source: RegisterSource }> {
  const own = await readErasureRegister(registerPath(dataDir));
  const beside = path.join(path.dirname(backupFile), ERASURE_REGISTER_COPY);
  const copy = path.resolve(beside) === path.resolve(registerPath(dataDir)) ? EMPTY : await readErasureRegister(beside);
  const picked = chosen === undefined ? EMPTY : await readErasureRegister(await resolveRegisterPath(chosen));
  const source = chosen !== undefined ? 'chosen' : await registerSourceFor(dataDir, backupFile);
  return { register: mergeRegisters(own, copy, picked), source };
}

/**
 * After a restore: the data folder keeps every erasure the restore consulted, so its later backups
 * and restores carry them on (a restore into a new data folder starts its register from the copy).
 */
export async function keepRegister(dataDir: string, register: ErasureRegister): Promise<void> {
  const file = registerPath(dataDir);
  const own = await readErasureRegister(file);
  const merged = mergeRegisters(own, register);
  if (merged.erasures.length === own.erasures.length) return;
  await writeErasureRegister(file, merged);
}

/** What a restore erases again: the records whose digest matches, and the objects of those erasures. */
export interface Reapplication {
  readonly seqs: ReadonlySet<number>;
  readonly objects: ReadonlySet<string>;
  /** Erasures that matched at least one record of the restored journal. */
  readonly erasures: number;
}

/**
 * Matches a journal against a register, record by record (feed it every record of the restored
 * journal, in any order), then says what to erase again.
 */
export class ReapplicationPlanner {
  private readonly wanted = new Map<number, { digest: string; erasure: number }[]>();
  private readonly matchedSeqs = new Set<number>();
  private readonly matchedErasures = new Set<number>();

  constructor(private readonly register: ErasureRegister) {
    register.erasures.forEach((erasure, index) => {
      for (const { seq, digest } of erasure.records) {
        const list = this.wanted.get(seq) ?? [];
        list.push({ digest, erasure: index });
        this.wanted.set(seq, list);
      }
    });
  }

  get empty(): boolean {
    return this.wanted.size === 0;
  }

  visit(record: JournalRecord): void {
    const candidates = this.wanted.get(record.seq);
    if (candidates === undefined) return;
    const digest = recordDigest(record);
    for (const candidate of candidates) {
      if (candidate.digest !== digest) continue;
      this.matchedSeqs.add(record.seq);
      this.matchedErasures.add(candidate.erasure);
    }
  }

  plan(): Reapplication {
    const objects = new Set<string>();
    for (const index of this.matchedErasures) for (const id of this.register.erasures[index]!.objects) objects.add(id);
    return { seqs: this.matchedSeqs, objects, erasures: this.matchedErasures.size };
  }
}
