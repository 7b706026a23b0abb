import { syncDir } from '../storage/durable-files';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SerialQueue } from '../async/serial-queue';
import type { Logger } from '../logging/logger';
import { NetworkRefusal } from './server-url';

/** Saves open at once (the mind saves one dataset at a time; a few more for a retry after a crash of the window). */
export const DATASET_SAVES_MAX_OPEN = 4;
/** A save untouched this long is dropped and what it wrote removed. */
export const DATASET_SAVE_IDLE_MS = 10 * 60_000;
const MAX_SEGMENTS = 8;
const MAX_PATH_CHARS = 512;
/** Names Windows gives to devices in every folder (with any extension): a file there would not be a file. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
// Windows has no O_NOFOLLOW; there the inode check after opening is what catches a swapped file.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface DatasetSavesOptions {
  readonly log: Logger;
  /** A folder no save may go into (the node's data folder). */
  readonly protectedDir?: string;
  readonly maxOpen?: number;
  readonly idleMs?: number;
}

interface SavedFile {
  readonly dev: bigint;
  readonly ino: bigint;
  size: number;
}

interface Save {
  /** The folder as the operator named it (resolved), which the answers repeat. */
  readonly folder: string;
  /** Its real path: every file's folder must resolve to exactly this joined with the file's own segments. */
  readonly root: string;
  /** Folders begin created to reach the folder, the folder first, then its new parents. */
  readonly createdAbove: readonly string[];
  /** Folders this save created inside the folder ('a', 'a/b'), in creation order. */
  readonly folders: Set<string>;
  /** Files this save created ('a/b/c.ndjson'), in creation order. */
  readonly files: Map<string, SavedFile>;
  /** The file written last, kept open while the mind writes it chunk by chunk. */
  current: { readonly relative: string; readonly handle: FileHandle } | null;
  bytes: number;
  /** A write or fsync failed (a full disk, a share gone): what is on disk no longer matches the counts. */
  broken: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  readonly queue: SerialQueue;
}

/**
 * `network.datasetSave*` (issue 15 item 7): writes the files of a dataset the mind opened (NDJSON,
 * DICOM, CSV; de-identified) into a folder the operator named. The folder must be new or empty, so
 * a save never overwrites anything; every file is created exclusively, and only inside folders
 * this save created, whose real path is checked before each file is touched: a link put into the
 * folder during the save leads nowhere. Abort, idleness and stopping remove what the save wrote.
 * Logs carry counts only: file names can name a study.
 */
export class DatasetSaves {
  private readonly saves = new Map<string, Save>();
  private readonly log: Logger;
  private readonly protectedDir: string | null;
  private readonly maxOpen: number;
  private readonly idleMs: number;
  /** Begins run one at a time, so two cannot both find the same folder empty. */
  private readonly beginQueue = new SerialQueue();

  constructor(options: DatasetSavesOptions) {
    this.log = options.log;
    this.protectedDir = options.protectedDir ?? null;
    this.maxOpen = options.maxOpen ?? DATASET_SAVES_MAX_OPEN;
    this.idleMs = options.idleMs ?? DATASET_SAVE_IDLE_MS;
  }

  get open(): number {
    return this.saves.size;
  }

  async begin(folder: string): Promise<{ handle: string; folder: string }> {
    if (folder.includes('\0') || !path.isAbsolute(folder)) throw new NetworkRefusal('E_BAD_REQUEST', 'folder: give the full path of a folder.');
    return this.beginQueue.run(async () => {
      if (this.saves.size >= this.maxOpen) throw new NetworkRefusal('E_CONFLICT', `${this.maxOpen} saves are open already; finish or abort one first.`);
      const wanted = path.resolve(folder);
      let created: string | undefined;
      try {
        created = await mkdir(wanted, { recursive: true });
      } catch (error) {
        if (codeOf(error) === 'EEXIST' || codeOf(error) === 'ENOTDIR') throw new NetworkRefusal('E_CONFLICT', 'folder: that path is a file, not a folder.');
        throw fsRefusal(error);
      }
      const createdAbove = created === undefined ? [] : foldersUpTo(created, wanted);
      try {
        const root = await realpath(wanted);
        await this.checkPlace(root, createdAbove.length > 0);
        const handle = randomBytes(16).toString('hex');
        const save: Save = { folder: wanted, root, createdAbove, folders: new Set(), files: new Map(), current: null, bytes: 0, broken: false, timer: null, queue: new SerialQueue() };
        this.saves.set(handle, save);
        this.touch(handle, save);
        this.log.info({ open: this.saves.size }, 'dataset save begun');
        return { handle, folder: wanted };
      } catch (error) {
        await removeFolders(createdAbove);
        throw fsRefusal(error);
      }
    });
  }

  /** Appends `data` (base64url) to the file at `relative`, creating it and its folders at its first write; answers that file's size. */
  async write(handle: string, relative: string, data: string): Promise<{ bytes: number }> {
    const segments = datasetFilePath(relative);
    const bytes = Buffer.from(data, 'base64url');
    // Buffer decodes leniently: only the canonical spelling is taken.
    if (bytes.toString('base64url') !== data) throw new NetworkRefusal('E_BAD_REQUEST', 'data: not canonical base64url.');
    const save = this.get(handle);
    return save.queue.run(async () => {
      if (this.saves.get(handle) !== save) throw noSuchSave();
      if (save.broken) throw brokenSave();
      this.touch(handle, save);
      const key = segments.join('/');
      try {
        const target = await this.openFor(save, key, segments);
        if (bytes.length > 0) await target.writeFile(bytes);
      } catch (error) {
        // A refusal wrote nothing; any other failure may have written part of a chunk.
        if (!(error instanceof NetworkRefusal)) save.broken = true;
        throw fsRefusal(error);
      }
      const file = save.files.get(key)!;
      file.size += bytes.length;
      save.bytes += bytes.length;
      this.touch(handle, save);
      return { bytes: file.size };
    });
  }

  /** Makes every file durable and closes the save. */
  async finish(handle: string): Promise<{ folder: string; files: number; bytes: number }> {
    const save = this.get(handle);
    return save.queue.run(async () => {
      if (this.saves.get(handle) !== save) throw noSuchSave();
      if (save.broken) throw brokenSave();
      try {
        await closeCurrent(save, true);
        // The files' directory entries too (POSIX); folders cannot be fsynced on Windows.
        for (const relative of [...save.folders].reverse()) await syncDir(path.join(save.root, ...relative.split('/')));
        await syncDir(save.root);
      } catch (error) {
        save.broken = true;
        throw fsRefusal(error);
      }
      this.forget(handle, save);
      this.log.info({ files: save.files.size, bytes: save.bytes }, 'dataset saved');
      return { folder: save.folder, files: save.files.size, bytes: save.bytes };
    });
  }

  /** Removes what the save wrote; an unknown (finished, expired) handle is nothing to do. */
  async abort(handle: string): Promise<void> {
    const save = this.saves.get(handle);
    if (save === undefined) return;
    this.forget(handle, save);
    await save.queue.run(() => this.remove(save, 'aborted'));
  }

  /** At the body's stop: unfinished saves are removed rather than left half-written. */
  async stop(): Promise<void> {
    const open = [...this.saves.entries()];
    for (const [handle, save] of open) this.forget(handle, save);
    await Promise.all(open.map(([, save]) => save.queue.run(() => this.remove(save, 'stopped'))));
  }

  private get(handle: string): Save {
    const save = this.saves.get(handle);
    if (save === undefined) throw noSuchSave();
    return save;
  }

  private touch(handle: string, save: Save): void {
    if (save.timer !== null) clearTimeout(save.timer);
    save.timer = setTimeout(() => {
      if (this.saves.get(handle) !== save) return;
      this.forget(handle, save);
      void save.queue.run(() => this.remove(save, 'idle'));
    }, this.idleMs);
    save.timer.unref();
  }

  private forget(handle: string, save: Save): void {
    if (save.timer !== null) clearTimeout(save.timer);
    save.timer = null;
    this.saves.delete(handle);
  }

  /** Refuses a folder that is not empty, lies in the node's data folder, or overlaps another open save's. */
  private async checkPlace(root: string, createdNow: boolean): Promise<void> {
    const info = await lstat(root);
    if (!info.isDirectory()) throw new NetworkRefusal('E_CONFLICT', 'folder: that path is not a folder.');
    if (this.protectedDir !== null) {
      const protectedRoot = await realpath(this.protectedDir).catch(() => path.resolve(this.protectedDir!));
      if (within(root, protectedRoot)) throw new NetworkRefusal('E_CONFLICT', 'folder: that is inside the node\'s data folder; choose another.');
    }
    for (const other of this.saves.values()) {
      if (within(root, other.root) || within(other.root, root)) throw new NetworkRefusal('E_CONFLICT', 'folder: another save is writing into that folder.');
    }
    if (!createdNow && (await readdir(root)).length > 0) throw new NetworkRefusal('E_CONFLICT', 'folder: it holds files already; choose an empty or a new folder.');
  }

  /** The open file to append to: the current one, one of this save's reopened, or a new one created exclusively. */
  private async openFor(save: Save, key: string, segments: readonly string[]): Promise<FileHandle> {
    if (save.current?.relative === key) return save.current.handle;
    await closeCurrent(save, true);
    const full = await this.folderOf(save, segments);
    const known = save.files.get(key);
    let handle: FileHandle;
    if (known === undefined) {
      try {
        // Exclusive: never an existing file, nor a link planted where the file goes.
        handle = await open(full, 'wx');
      } catch (error) {
        if (codeOf(error) === 'EEXIST' || codeOf(error) === 'EISDIR') throw new NetworkRefusal('E_CONFLICT', 'path: something is there already (another file of this save under another letter case, or written by something else).');
        throw error;
      }
      try {
        const info = await handle.stat({ bigint: true });
        save.files.set(key, { dev: info.dev, ino: info.ino, size: 0 });
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
    } else {
      try {
        handle = await open(full, constants.O_WRONLY | constants.O_APPEND | NOFOLLOW);
      } catch (error) {
        if (codeOf(error) === 'ELOOP') throw replaced();
        throw error;
      }
      const info = await handle.stat({ bigint: true }).catch(async (error: unknown) => {
        await handle.close().catch(() => undefined);
        throw error;
      });
      if (info.dev !== known.dev || info.ino !== known.ino) {
        await handle.close().catch(() => undefined);
        throw replaced();
      }
    }
    save.current = { relative: key, handle };
    return handle;
  }

  /** Creates the file's folders (only ones this save made may be reused) and answers the file's full path, once its folder is checked to hold no link. */
  private async folderOf(save: Save, segments: readonly string[]): Promise<string> {
    let relative = '';
    for (const segment of segments.slice(0, -1)) {
      relative = relative === '' ? segment : `${relative}/${segment}`;
      if (save.folders.has(relative)) continue;
      try {
        await mkdir(path.join(save.root, ...relative.split('/')));
      } catch (error) {
        if (codeOf(error) === 'EEXIST') throw new NetworkRefusal('E_CONFLICT', 'path: something the save did not create is there (a link, a file, or a folder under another letter case).');
        throw error;
      }
      save.folders.add(relative);
    }
    const parent = path.join(save.root, ...segments.slice(0, -1));
    if (!(await staysInside(save.root, segments.slice(0, -1)))) throw new NetworkRefusal('E_CONFLICT', 'path: a folder of the save was replaced by a link; nothing was written there.');
    return path.join(parent, segments.at(-1)!);
  }

  /** Removes this save's files (only those still the very files it created) and its folders, deepest first. */
  private async remove(save: Save, why: 'aborted' | 'idle' | 'stopped'): Promise<void> {
    await closeCurrent(save, false).catch(() => undefined);
    let removed = 0;
    for (const [key, file] of [...save.files].reverse()) {
      const segments = key.split('/');
      try {
        if (!(await staysInside(save.root, segments.slice(0, -1)))) continue;
        const full = path.join(save.root, ...segments);
        const info = await lstat(full, { bigint: true });
        // Still the very file it created (a link planted in its place may even reuse its inode number).
        if (!info.isFile() || info.dev !== file.dev || info.ino !== file.ino) continue;
        await unlink(full);
        removed += 1;
      } catch {
        // Gone already, or the disk is: what is left is the operator's to remove.
      }
    }
    const folders = [...save.folders].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const relative of folders) {
      const segments = relative.split('/');
      try {
        // rmdir removes only an empty folder and never follows a link at the last step; the folders above are checked.
        if (await staysInside(save.root, segments.slice(0, -1))) await rmdir(path.join(save.root, ...segments));
      } catch {
        // Not empty (something else wrote there) or gone: left as it is.
      }
    }
    await removeFolders(save.createdAbove);
    this.log.info({ files: removed, of: save.files.size, why }, 'dataset save removed');
  }
}

/**
 * The segments of a file's path inside a save's folder, by the contract's rules: relative,
 * '/'-separated, no '.', '..' or empty segment, at most 8 deep and 512 characters; and what any
 * of the desktop systems would read otherwise: no backslash, colon (drive letters, NTFS streams),
 * control character, device name, or name ending in a dot or space (Windows drops those).
 */
export function datasetFilePath(relative: string): string[] {
  if (relative.length === 0 || relative.length > MAX_PATH_CHARS) throw new NetworkRefusal('E_BAD_REQUEST', `path: 1 to ${MAX_PATH_CHARS} characters.`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\:\u0000-\u001f\u007f]/.test(relative)) throw new NetworkRefusal('E_BAD_REQUEST', 'path: no backslash, colon or control character; separate folders with /.');
  if (relative.startsWith('/')) throw new NetworkRefusal('E_BAD_REQUEST', 'path: must be relative to the save\'s folder.');
  const segments = relative.split('/');
  if (segments.length > MAX_SEGMENTS) throw new NetworkRefusal('E_BAD_REQUEST', `path: at most ${MAX_SEGMENTS} segments.`);
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw new NetworkRefusal('E_BAD_REQUEST', 'path: no empty, \'.\' or \'..\' segment.');
    if (segment.endsWith('.') || segment.endsWith(' ')) throw new NetworkRefusal('E_BAD_REQUEST', 'path: no name may end with a dot or a space.');
    if (WINDOWS_DEVICE.test(segment)) throw new NetworkRefusal('E_BAD_REQUEST', 'path: a name is reserved for a device on Windows.');
  }
  return segments;
}

function replaced(): NetworkRefusal {
  return new NetworkRefusal('E_CONFLICT', 'path: a file of this save was replaced during the save; nothing was written to it.');
}

function brokenSave(): NetworkRefusal {
  return new NetworkRefusal('E_CONFLICT', 'An earlier write of this save failed; abort it and save again.');
}

function noSuchSave(): NetworkRefusal {
  return new NetworkRefusal('E_CONFLICT', 'No such save (it was finished, aborted, or dropped after 10 minutes unused); start again.');
}

/** True when the real path of root joined with `segments` is exactly that: no link on the way. */
async function staysInside(root: string, segments: readonly string[]): Promise<boolean> {
  const expected = path.join(root, ...segments);
  try {
    return (await realpath(expected)) === expected;
  } catch {
    return false;
  }
}

/** `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** The folders from `wanted` up to `first` (the first one mkdir created), deepest first. */
function foldersUpTo(first: string, wanted: string): string[] {
  const folders: string[] = [];
  for (let folder = wanted; within(folder, first); folder = path.dirname(folder)) {
    folders.push(folder);
    if (folder === first) break;
  }
  return folders;
}

/** Removes folders, deepest first, while they are empty. */
async function removeFolders(folders: readonly string[]): Promise<void> {
  for (const folder of folders) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
  }
}

async function closeCurrent(save: Save, durable: boolean): Promise<void> {
  const current = save.current;
  if (current === null) return;
  save.current = null;
  try {
    if (durable) await current.handle.sync();
  } finally {
    await current.handle.close();
  }
}


/** File system failures as refusals that name the rule, never the path; anything else stays a bug. */
function fsRefusal(error: unknown): unknown {
  if (error instanceof NetworkRefusal) return error;
  switch (codeOf(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new NetworkRefusal('E_UNAVAILABLE', 'The disk is full; the dataset could not be saved.', { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new NetworkRefusal('E_CONFLICT', 'This node may not write there (permissions, or a read-only disk).', { cause: error });
    case 'ENAMETOOLONG':
      return new NetworkRefusal('E_BAD_REQUEST', 'path: a name is too long for this disk.', { cause: error });
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EIO':
      return new NetworkRefusal('E_UNAVAILABLE', 'The folder is gone or cannot be reached (a disk or a share offline?).', { cause: error });
    default:
      return error;
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
