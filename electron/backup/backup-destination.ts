import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';
import { BACKUP_EXTENSION, BackupRefusal, readBackupHead } from './backup-format';
import { ERASURE_REGISTER_COPY, readErasureRegister, registerPath } from './erasure-register';

/**
 * A chosen backup destination carries a marker, written when it is saved: which vault it belongs
 * to and when it was chosen (no path, no patient data). An offline network share on Linux or macOS
 * leaves its mount point behind as an empty local folder; without the marker, backups and the
 * erasure register copy would be written there, onto the local disk, while the administrator
 * believes they are on the share. Before every backup and every register copy into the
 * destination the marker must be there and name this vault; `<data>/backups/` (the default,
 * local) needs none.
 */
export const DESTINATION_MARKER = 'hdms-backup-destination.json';
/** `<data>/backup-destination.json`: the destination this data folder marked (so a missing marker reads as a share not mounted, not as a destination saved by an earlier version). */
export const MARKED_DESTINATION_FILE = 'backup-destination.json';

const vaultId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const MarkerSchema = z.strictObject({ format: z.literal('hdms-backup-destination'), version: z.literal(1), vaultId, chosenAt: z.iso.datetime() });
type Marker = z.infer<typeof MarkerSchema>;
const MarkedSchema = z.strictObject({ destination: z.string(), vaultId, chosenAt: z.iso.datetime() });

/** Backup heads read at most when deciding whether an unmarked destination holds this vault's backups. */
const MAX_HEADS_READ = 100;

/**
 * The destination cannot be written to now: the backup fails with `message`; an erasure's register
 * copy reports `brief` (a clause, lower case) in the backup status.
 */
export class DestinationUnavailable extends BackupRefusal {
  constructor(
    message: string,
    readonly brief: string,
  ) {
    super('E_UNAVAILABLE', message);
  }
}

const notThere = () =>
  new DestinationUnavailable('The backup destination folder is not available (a network share offline, a drive not connected?).', 'the backup destination folder is not there (a share offline, a disk removed?)');
const notMounted = () =>
  new DestinationUnavailable(
    'The backup destination is not available: its folder is there, but without the marker this node left in it when it was chosen, so it looks like a network share that is not mounted (an empty local folder in its place). Nothing was written there. Mount the share or connect the drive. (If it is mounted and its marker file was deleted, clear the destination in Settings → Backup, save, then enter it again and save.)',
    'the backup destination folder lacks the marker this node left in it, so it looks like a network share that is not mounted',
  );
const unmarkedSinceBefore = () =>
  new DestinationUnavailable(
    'The backup destination was chosen before this version marked its folders, and the folder holds no backup of this node, so it cannot be told from a network share that is not mounted (an empty local folder in its place). Nothing was written there. Once the share is mounted, save the destination again in Settings → Backup.',
    'the destination, chosen before this version, has no marker and no backup of this node (a share not mounted? save it again in Settings once it is)',
  );
const markedByAnother = () =>
  new DestinationUnavailable(
    'The backup destination is marked as another HDMS Node’s (another installation chose this folder); nothing was written there. Choose a folder of this node’s own in Settings → Backup.',
    'the backup destination is marked as another HDMS Node’s',
  );
const damagedMarker = () =>
  new DestinationUnavailable(
    `The backup destination’s marker file (${DESTINATION_MARKER}) cannot be read; nothing was written there. Save the destination again in Settings → Backup.`,
    'the backup destination’s marker file cannot be read',
  );

async function isFolder(folder: string): Promise<boolean> {
  return stat(folder).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** The marker in `folder`; null when there is none, 'damaged' when it does not read. */
async function readMarker(folder: string): Promise<Marker | null | 'damaged'> {
  const text = await readTextIfExists(path.join(folder, DESTINATION_MARKER));
  if (text === null) return null;
  try {
    return MarkerSchema.parse(JSON.parse(text));
  } catch {
    return 'damaged';
  }
}

/** Whether this data folder marked `folder` (an unreadable record counts as not). */
async function markedHere(dataDir: string, folder: string): Promise<boolean> {
  const text = await readTextIfExists(path.join(dataDir, MARKED_DESTINATION_FILE)).catch(() => null);
  if (text === null) return false;
  try {
    return path.resolve(MarkedSchema.parse(JSON.parse(text)).destination) === path.resolve(folder);
  } catch {
    return false;
  }
}

/**
 * Marks `folder` (an existing folder, checked by the caller) as this vault's backup destination,
 * and remembers in the data folder that it did. A folder another vault marked is refused: its
 * backups would be mixed with this node's, and retention would delete them.
 */
export async function markDestination(dataDir: string, folder: string, ownVaultId: string, at = new Date()): Promise<void> {
  const there = await readMarker(folder);
  if (there !== null && there !== 'damaged' && there.vaultId !== ownVaultId) {
    throw new BackupRefusal('E_BAD_REQUEST', 'destination: that folder holds the backups of another HDMS Node (its marker names another vault); choose a folder of this node’s own, for example a new folder inside it.');
  }
  const marker: Marker = { format: 'hdms-backup-destination', version: 1, vaultId: ownVaultId, chosenAt: at.toISOString() };
  await writeFileAtomic(path.join(folder, DESTINATION_MARKER), `${JSON.stringify(marker)}\n`);
  await writeFileAtomic(path.join(dataDir, MARKED_DESTINATION_FILE), `${JSON.stringify({ destination: folder, vaultId: ownVaultId, chosenAt: marker.chosenAt })}\n`);
}

/**
 * Whether saving the settings with `folder` as the (unchanged) destination should mark it: yes
 * when it has no readable marker of this vault, except when this data folder marked it before and
 * the marker is gone (a share not mounted: its empty mount point must not be marked by a save of
 * the schedule) or the folder is not there at all.
 */
export async function destinationNeedsMarking(dataDir: string, folder: string, ownVaultId: string): Promise<boolean> {
  if (!(await isFolder(folder))) return false;
  const there = await readMarker(folder);
  if (there === 'damaged') return true;
  if (there !== null) return there.vaultId !== ownVaultId;
  return !(await markedHere(dataDir, folder));
}

/**
 * Whether an unmarked folder already holds this vault's work: a backup whose keyring is this
 * vault's, or a register copy with an erasure of this data folder's register.
 */
async function holdsThisVaultsWork(dataDir: string, folder: string, ownVaultId: string): Promise<boolean> {
  const names = await readdir(folder);
  let read = 0;
  for (const name of names) {
    if (name.startsWith('.') || path.extname(name).toLowerCase() !== BACKUP_EXTENSION) continue;
    if (++read > MAX_HEADS_READ) break;
    const head = await readBackupHead(path.join(folder, name)).catch(() => null);
    if (head?.preamble.keyring.vaultId === ownVaultId) return true;
  }
  if (!names.includes(ERASURE_REGISTER_COPY)) return false;
  const copy = await readErasureRegister(path.join(folder, ERASURE_REGISTER_COPY)).catch(() => null);
  const own = await readErasureRegister(registerPath(dataDir)).catch(() => null);
  if (copy === null || own === null) return false;
  const ownErasures = new Set(own.erasures.map((erasure) => `${erasure.at}/${erasure.erasureSeq}`));
  return copy.erasures.some((erasure) => ownErasures.has(`${erasure.at}/${erasure.erasureSeq}`));
}

/**
 * Before a backup or a register copy into the chosen destination: its marker must be there and
 * name this vault. A destination saved by a version before the marker is adopted (marked now) when
 * it holds this vault's backups or register copy; an empty unmarked one cannot be told from an
 * unmounted share and is refused. Throws DestinationUnavailable.
 */
export async function ensureDestinationMarked(dataDir: string, folder: string, ownVaultId: string): Promise<void> {
  if (!(await isFolder(folder))) throw notThere();
  const there = await readMarker(folder);
  if (there === 'damaged') throw damagedMarker();
  if (there !== null) {
    if (there.vaultId === ownVaultId) return;
    throw markedByAnother();
  }
  if (await markedHere(dataDir, folder)) throw notMounted();
  if (!(await holdsThisVaultsWork(dataDir, folder, ownVaultId))) throw unmarkedSinceBefore();
  await markDestination(dataDir, folder, ownVaultId);
}
