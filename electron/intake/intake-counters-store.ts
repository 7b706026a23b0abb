import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * An intake channel's counters kept across restarts (issue 11 for HL7, T1 F4 for DICOM):
 * `<data>/vault/intake/<channel>-counters.json`, next to the duplicate indexes. What a channel
 * keeps (its CountersChannel: the snapshot's schema, its log lines and how they add up) is what
 * the intake monitor shows and no more: figures, system names (MSH-3|MSH-4, AE titles, addresses:
 * not patient data), and since when it counts. Written whole to a temporary file, then renamed, at
 * most once a second while data arrives; one write at a time, the latest snapshot wins.
 *
 * A crash must not lose what was counted since the last write-out (QA s34 D3: ten messages
 * acknowledged CA within a second of a `kill -KILL` were never counted). So every change is also
 * written, as it is made and before the message's ACK goes out, to a write-ahead log beside the
 * file: `<channel>-counters.<n>.log`, one JSON line per change (a sender's name and figures, no patient
 * data), with a plain write(2): in the kernel's hands when the process dies. Each snapshot names
 * the last log it covers (`log`); taking it starts the next log, so whatever is counted after it
 * goes there, and once it is on disk the logs it covers are removed. At start the logs after the
 * snapshot's are added back in.
 *
 * A power cut loses what is still in the page cache, so the log is also fdatasynced: one sync at a
 * time, the first line after a quiet spell starting one at once, and the lines written meanwhile
 * waiting for the next, at most one per SYNC_INTERVAL_MS (a burst of messages, which the journal
 * commits in a few fsyncs, costs one or two here). The ACK does not wait for it (that would put a
 * second fsync in series on every message's path): a power cut loses at most the counts of the
 * last SYNC_INTERVAL_MS and one sync, where it lost up to the kernel's write-back delay (seconds)
 * before. Cost measured with the hl7-mllp bench: README, HL7 intake monitor.
 * Each snapshot is fdatasynced before its rename, since the logs it covers are removed after it.
 */
/**
 * What one channel keeps: its files' names, the snapshot's schema and its write-ahead log lines.
 * HL7's (hl7/hl7-counters.ts) reads the files written before the store was made generic as they are.
 */
export interface CountersChannel<S, C> {
  /** The files' stem: `<name>-counters.json` and `<name>-counters.<n>.log` in `vault/intake/`. */
  readonly name: string;
  /** How the log messages name the counters ("HL7 counters"). */
  readonly label: string;
  /** The snapshot's fields (the file holds them beside `v` and `log`). */
  readonly snapshot: z.ZodType<S>;
  /** One change as a log line (JSON; figures and system names only). */
  line(change: C): unknown;
  /** One log's lines added to `into` (a line that does not read is counted in `skipped`). */
  replay(into: S | null, lines: readonly unknown[]): { readonly snapshot: S | null; readonly skipped: number };
}

/** The counters file of a channel, under the data folder. */
export function countersFile(name: string): readonly string[] {
  return ['vault', 'intake', `${name}-counters.json`];
}

const EnvelopeSchema = z.looseObject({
  v: z.literal(1),
  /** The last write-ahead log this snapshot covers (absent in files written before there was one). */
  log: z.number().int().nonnegative().optional(),
});

export interface CountersStoreLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface CountersStoreOptions {
  /** Syncs a log's data to disk (fdatasync; a test counts the calls). */
  readonly sync?: (fd: number) => Promise<void>;
  /** The least time between two syncs of the log (default SYNC_INTERVAL_MS). */
  readonly syncIntervalMs?: number;
}

/** A power cut loses at most the counts of about this long (plus one sync) while messages arrive. */
export const SYNC_INTERVAL_MS = 200;

const fdatasyncOf = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));

export class CountersStore<S extends object, C> {
  private writing: Promise<void> | null = null;
  private next: { readonly snapshot: S; readonly log: number } | null = null;
  private readonly logName: RegExp;
  /** The write-ahead log being written (its file is made at its first line). */
  private logNumber = 0;
  private fd: number | null = null;
  private appendFailed = false;
  /** Lines written since the last sync began. */
  private dirty = false;
  /** The sync under way (at most one), and the log it syncs. */
  private syncing: Promise<void> | null = null;
  private syncingFd: number | null = null;
  private syncFailed = false;
  private readonly sync: (fd: number) => Promise<void>;
  private readonly syncIntervalMs: number;

  constructor(
    private readonly channel: CountersChannel<S, C>,
    private readonly file: string,
    private readonly log: CountersStoreLog,
    options: CountersStoreOptions = {},
  ) {
    this.sync = options.sync ?? fdatasyncOf;
    this.syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS;
    this.logName = new RegExp(`^${channel.name}-counters\\.(\\d{1,15})\\.log$`);
  }

  /**
   * What an earlier run counted: its last snapshot with the changes its write-ahead logs hold after
   * it; null when nothing was (or the file is unreadable: logged, counting starts again with what
   * the logs hold). The logs of this run are numbered after every one found.
   */
  async load(): Promise<S | null> {
    const saved = await this.loadSnapshot();
    const logs = await this.logsOnDisk();
    this.logNumber = Math.max(this.logNumber, saved?.log ?? 0, ...logs) + 1;
    const after = logs.filter((number) => saved?.log === undefined || number > saved.log).sort((a, b) => a - b);
    let snapshot: S | null = saved?.snapshot ?? null;
    for (const number of after) snapshot = await this.replay(number, snapshot);
    return snapshot;
  }

  /** Writes one change to the current log as it is made (before the ACK goes out). */
  append(change: C): void {
    this.appendAll([change]);
  }

  /** Writes changes to the current log in one write (a channel that counts after its answer batches them). */
  appendAll(changes: readonly C[]): void {
    if (changes.length === 0) return;
    const lines = changes.map((change) => `${JSON.stringify(this.channel.line(change))}\n`).join('');
    try {
      this.fd ??= openSync(this.logPath(this.logNumber), 'a', 0o600);
      writeSync(this.fd, lines);
      this.dirty = true;
      this.syncing ??= this.syncLoop();
    } catch (error) {
      if (!this.appendFailed) this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, `${this.channel.label}: the write-ahead log could not be written; a crash before the next save loses the latest counts`);
      this.appendFailed = true;
    }
  }

  /** Resolves when every line appended so far is synced (or its sync failed: logged). */
  async durable(): Promise<void> {
    while (this.syncing !== null) await this.syncing;
  }

  /** Syncs the current log until no line is waiting (one sync at a time; lines written during one wait for the next). */
  private async syncLoop(): Promise<void> {
    try {
      let first = true;
      while (this.dirty && this.fd !== null) {
        // At most one sync per SYNC_INTERVAL_MS under load: each competes with the journal's own fsyncs.
        if (!first) await new Promise((resolve) => setTimeout(resolve, this.syncIntervalMs));
        first = false;
        if (!this.dirty || this.fd === null) break;
        this.dirty = false;
        this.syncingFd = this.fd;
        try {
          await this.sync(this.fd);
        } catch (error) {
          if (!this.syncFailed) this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, `${this.channel.label}: the write-ahead log could not be synced; a power cut before the next save may lose the latest counts`);
          this.syncFailed = true;
        }
      }
    } finally {
      this.syncing = null;
      this.syncingFd = null;
    }
  }

  /** Closes the current log (at stop, after the last save; and when a snapshot starts the next log): after its sync, if one is under way. */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    const closeNow = () => {
      try {
        closeSync(fd);
      } catch {
        // Nothing more is written to it; a failed close loses nothing.
      }
    };
    if (this.syncing !== null && this.syncingFd === fd) void this.syncing.then(closeNow);
    else closeNow();
  }

  private logPath(number: number): string {
    return path.join(path.dirname(this.file), `${this.channel.name}-counters.${number}.log`);
  }

  private async logsOnDisk(): Promise<number[]> {
    try {
      return (await readdir(path.dirname(this.file))).flatMap((name) => {
        const match = this.logName.exec(name);
        return match === null ? [] : [Number(match[1])];
      });
    } catch {
      return [];
    }
  }

  /** Adds one log's changes to `into` (a line that does not read, e.g. cut by a crash, is skipped and logged). */
  private async replay(number: number, into: S | null): Promise<S | null> {
    let text: string;
    try {
      text = await readFile(this.logPath(number), 'utf8');
    } catch (error) {
      this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, `${this.channel.label}: a write-ahead log could not be read; its counts are lost`);
      return into;
    }
    const lines = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line): unknown => {
        try {
          return JSON.parse(line);
        } catch {
          return null;
        }
      });
    const { snapshot, skipped } = this.channel.replay(into, lines);
    if (skipped > 0) this.log.warn({ lines: skipped }, `${this.channel.label}: write-ahead log lines that do not read were skipped`);
    return snapshot;
  }

  private async loadSnapshot(): Promise<{ readonly snapshot: S; readonly log?: number } | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, `${this.channel.label}: the saved counters could not be read; counting starts again`);
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const envelope = EnvelopeSchema.safeParse(json);
    const body = envelope.success ? this.channel.snapshot.safeParse(withoutEnvelope(envelope.data)) : null;
    if (!envelope.success || body === null || !body.success) {
      this.log.warn({ bytes: text.length }, `${this.channel.label}: the saved counters do not fit their schema; counting starts again`);
      return null;
    }
    const log = envelope.data.log;
    return { snapshot: body.data, ...(log !== undefined ? { log } : {}) };
  }

  /**
   * Saves a snapshot (after the write under way, if any; snapshots queued meanwhile collapse into
   * the latest). Called in the same turn the snapshot was taken: the log written so far is the
   * last it covers, and the changes counted after it go to the next one.
   */
  save(snapshot: S): Promise<void> {
    const covers = this.logNumber;
    this.close();
    this.logNumber++;
    this.next = { snapshot, log: covers };
    this.writing ??= this.drain().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /** Resolves when every snapshot given so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.next !== null) {
      const next = this.next;
      this.next = null;
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        const temp = `${this.file}.tmp`;
        const handle = await open(temp, 'w', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify({ v: 1, ...next.snapshot, log: next.log })}\n`);
          await handle.datasync();
        } finally {
          await handle.close();
        }
        await rename(temp, this.file);
        // The logs it covers are no longer needed.
        for (const number of await this.logsOnDisk()) if (number <= next.log) await unlink(this.logPath(number)).catch(() => undefined);
      } catch (error) {
        this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, `${this.channel.label}: could not be saved; they are kept in memory`);
      }
    }
  }
}

function withoutEnvelope(data: Record<string, unknown>): Record<string, unknown> {
  const { v: _v, log: _log, ...body } = data;
  return body;
}
