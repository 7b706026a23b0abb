import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Refusal } from '../errors/refusal';
import { pathExists, syncDir } from '../storage/durable-files';

/** A refusal of export work (the router turns it into a wire error). */
export class ExportRefusal extends Refusal {}

/**
 * Export files the mind composes (the signed ledger as JSON Lines, the signed node-info document)
 * and the body writes into `<data>/exports/` (folder 0700, files 0600). A large ledger arrives in
 * chunks: begin → append… → finish. The text goes to a temp file (`.export-<hex>.tmp`, created
 * exclusively); finish fsyncs it and renames it to `ledger-<UTC>.jsonl` / `node-info-<UTC>.json`
 * (a `-1`, `-2`… suffix if that name exists), then fsyncs the folder, so a file under its final
 * name is always complete. abort, an idle timeout (10 minutes without a chunk), the close of the
 * connection that began it and the body's stop delete the temp file; temp files a crash left are
 * deleted when the vault opens (removeLeftovers).
 *
 * The ledger and node info are PHI-free by construction (hashes, pseudonyms, addresses,
 * signatures); an access report (accessReport) names patients, on purpose. The body parses none.
 */

export type ExportKind = 'ledger' | 'nodeInfo' | 'accessReport';

const NAMES: Readonly<Record<ExportKind, { readonly prefix: string; readonly extension: string }>> = {
  ledger: { prefix: 'ledger', extension: '.jsonl' },
  nodeInfo: { prefix: 'node-info', extension: '.json' },
  // The one export that names people (patients and operators, resolved on this computer): a
  // compliance officer's report, written only when one asks for it.
  accessReport: { prefix: 'access-report', extension: '.csv' },
};
export const MAX_OPEN_EXPORTS = 4;
export const EXPORT_IDLE_MS = 10 * 60 * 1000;

interface OpenExport<T> {
  readonly kind: ExportKind;
  /** Put into the file's name (exportFileName); '' for none. */
  readonly scope: string;
  /** What the caller gave at begin (e.g. who asked), handed back at finish and dropped with the export. */
  readonly tag: T | undefined;
  /** Newline characters written. */
  lines: number;
  readonly temp: string;
  readonly handle: FileHandle;
  readonly startedAt: Date;
  bytes: number;
  timer: NodeJS.Timeout;
  /** The connection that began it (its export goes when it closes), if known. */
  readonly owner: string | undefined;
  /** Serializes the export's own calls (appends must land in order). */
  tail: Promise<unknown>;
}

/**
 * `ledger-20250102T030405Z.jsonl`; with a scope (an access report's filter: ACCESS_REPORT_SCOPE),
 * `access-report-20250102T030405Z-patient-0xdf1548.csv`, so a reader sees from the name that a file
 * is an extract (QA s35 T2 F5); the file's content (pinned by its signed digest) is unchanged.
 */
export function exportFileName(kind: ExportKind, at: Date, suffix = 0, scope = ''): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const { prefix, extension } = NAMES[kind];
  return `${prefix}-${stamp}${scope === '' ? '' : `-${scope}`}${suffix === 0 ? '' : `-${suffix}`}${extension}`;
}

export class ExportFiles<T = undefined> {
  private readonly open = new Map<string, OpenExport<T>>();
  readonly dir: string;

  constructor(dataDir: string, private readonly now: () => Date = () => new Date()) {
    this.dir = path.join(dataDir, 'exports');
  }

  async begin(kind: ExportKind, tag?: T, owner?: string, scope = ''): Promise<{ handle: string }> {
    if (this.open.size >= MAX_OPEN_EXPORTS) throw new ExportRefusal('E_CONFLICT', `${MAX_OPEN_EXPORTS} exports are being written already; finish or abort one first.`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = randomBytes(16).toString('hex');
    const temp = path.join(this.dir, `.export-${id}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    const entry: OpenExport<T> = { kind, scope, tag, lines: 0, temp, handle, startedAt: this.now(), bytes: 0, timer: this.idleTimer(id), owner, tail: Promise.resolve() };
    this.open.set(id, entry);
    return { handle: id };
  }

  append(id: string, text: string): Promise<{ bytes: number }> {
    return this.run(id, async (entry) => {
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await entry.handle.write(bytes, offset, bytes.length - offset, entry.bytes + offset);
        offset += bytesWritten;
      }
      entry.bytes += bytes.length;
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) entry.lines++;
      return { bytes: entry.bytes };
    });
  }

  finish(id: string): Promise<{ path: string; bytes: number; lines: number; tag: T | undefined }> {
    return this.run(id, async (entry) => {
      this.forget(id, entry);
      let renamed = false;
      try {
        await entry.handle.datasync();
        await entry.handle.close();
        let target = '';
        for (let suffix = 0; ; suffix++) {
          target = path.join(this.dir, exportFileName(entry.kind, entry.startedAt, suffix, entry.scope));
          if (!(await pathExists(target))) break;
        }
        await rename(entry.temp, target);
        renamed = true;
        await syncDir(this.dir);
        return { path: target, bytes: entry.bytes, lines: entry.lines, tag: entry.tag };
      } finally {
        if (!renamed) await unlink(entry.temp).catch(() => undefined);
      }
    });
  }

  abort(id: string): Promise<Record<string, never>> {
    return this.run(id, async (entry) => {
      this.forget(id, entry);
      await entry.handle.close().catch(() => undefined);
      await unlink(entry.temp).catch(() => undefined);
      return {};
    });
  }

  /** Deletes the unfinished exports the connection began (it closed or its session ended). */
  async abortOwnedBy(owner: string): Promise<void> {
    const ids = [...this.open].filter(([, entry]) => entry.owner === owner).map(([id]) => id);
    await Promise.all(ids.map((id) => this.abort(id).catch(() => undefined)));
  }

  /**
   * Deletes the temp files of exports no one is writing (a crash or kill left them): every
   * `.export-<hex>.tmp` in the folder but those of this process's open exports. Returns how many.
   */
  async removeLeftovers(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const open = new Set([...this.open.values()].map((entry) => path.basename(entry.temp)));
    const leftovers = names.filter((name) => /^\.export-[0-9a-f]+\.tmp$/.test(name) && !open.has(name));
    for (const name of leftovers) await unlink(path.join(this.dir, name)).catch(() => undefined);
    return leftovers.length;
  }

  /** Deletes every unfinished export (the body is stopping). */
  async abortAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.abort(id).catch(() => undefined)));
  }

  private run<R>(id: string, task: (entry: OpenExport<T>) => Promise<R>): Promise<R> {
    const entry = this.open.get(id);
    if (entry === undefined) return Promise.reject(new ExportRefusal('E_CONFLICT', 'No export is open under that handle (it was finished, aborted or timed out).'));
    entry.timer.refresh();
    const next = entry.tail.then(() => {
      if (this.open.get(id) !== entry) throw new ExportRefusal('E_CONFLICT', 'No export is open under that handle (it was finished, aborted or timed out).');
      return task(entry);
    });
    entry.tail = next.catch(() => undefined);
    return next;
  }

  private forget(id: string, entry: OpenExport<T>): void {
    clearTimeout(entry.timer);
    this.open.delete(id);
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => void this.abort(id).catch(() => undefined), EXPORT_IDLE_MS);
    timer.unref();
    return timer;
  }
}
