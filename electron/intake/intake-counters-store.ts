import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Hl7SenderCountersSchema, IntakeTotalsSchema, type Hl7SenderCounters, type IntakeTotals } from '../../shared/ipc';
import type { Hl7CountedChange } from './hl7/hl7-intake';
import { add, mergeCounters, type CountersSnapshot } from './intake-monitor';

/**
 * The HL7 intake counters kept across restarts (issue 11): `<data>/vault/intake/hl7-counters.json`,
 * next to the duplicate index. What it holds is what the intake monitor shows and no more: totals,
 * per sender (MSH-3|MSH-4, the sending systems' names, not patient data) its counts and last
 * message time, and since when it counts. Written whole to a temporary file, then renamed, at
 * most once a second while messages arrive; one write at a time, the latest snapshot wins.
 *
 * A crash must not lose what was counted since the last write-out (QA s34 D3: ten messages
 * acknowledged CA within a second of a `kill -KILL` were never counted). So every change is also
 * written, as it is made and before the message's ACK goes out, to a write-ahead log beside the
 * file: `hl7-counters.<n>.log`, one JSON line per change (a sender's name and figures, no patient
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
export const HL7_COUNTERS_FILE = ['vault', 'intake', 'hl7-counters.json'] as const;

const LOG_NAME = /^hl7-counters\.(\d{1,15})\.log$/;

const SnapshotSchema = z.strictObject({
  v: z.literal(1),
  since: z.iso.datetime(),
  totals: IntakeTotalsSchema,
  senders: z.array(Hl7SenderCountersSchema).max(10_000),
  /** The last write-ahead log this snapshot covers (absent in files written before there was one). */
  log: z.number().int().nonnegative().optional(),
});

const n = z.number().int().nonnegative().max(1_000_000);
/** One log line: [sender or null, received, accepted, errored, duplicates, conflicts, reprocessed, oversize, lastAt]. */
const LogLineSchema = z.tuple([z.string().max(200).nullable(), n, n, n, n, n, n, n, z.union([z.literal(''), z.iso.datetime()])]);

const ZERO_TOTALS: IntakeTotals = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 };

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

export class CountersStore {
  private writing: Promise<void> | null = null;
  private next: (CountersSnapshot & { readonly log: number }) | null = null;
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
    private readonly file: string,
    private readonly log: CountersStoreLog,
    options: CountersStoreOptions = {},
  ) {
    this.sync = options.sync ?? fdatasyncOf;
    this.syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS;
  }

  /**
   * What an earlier run counted: its last snapshot with the changes its write-ahead logs hold after
   * it; null when nothing was (or the file is unreadable: logged, counting starts again with what
   * the logs hold). The logs of this run are numbered after every one found.
   */
  async load(): Promise<CountersSnapshot | null> {
    const saved = await this.loadSnapshot();
    const logs = await this.logsOnDisk();
    this.logNumber = Math.max(this.logNumber, saved?.log ?? 0, ...logs) + 1;
    const after = logs.filter((number) => saved?.log === undefined || number > saved.log).sort((a, b) => a - b);
    let snapshot: CountersSnapshot | null = saved === null ? null : { since: saved.since, totals: saved.totals, senders: saved.senders };
    for (const number of after) snapshot = await this.replay(number, snapshot);
    return snapshot;
  }

  /** Writes one change to the current log as it is made (before the ACK goes out). */
  append(change: Hl7CountedChange): void {
    const line = JSON.stringify([change.sender, change.received, change.accepted, change.errored, change.duplicates, change.conflicts, change.reprocessed, change.oversize, change.lastAt]);
    try {
      this.fd ??= openSync(this.logPath(this.logNumber), 'a', 0o600);
      writeSync(this.fd, `${line}\n`);
      this.dirty = true;
      this.syncing ??= this.syncLoop();
    } catch (error) {
      if (!this.appendFailed) this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: the write-ahead log could not be written; a crash before the next save loses the latest counts');
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
          if (!this.syncFailed) this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: the write-ahead log could not be synced; a power cut before the next save may lose the latest counts');
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
    return path.join(path.dirname(this.file), `hl7-counters.${number}.log`);
  }

  private async logsOnDisk(): Promise<number[]> {
    try {
      return (await readdir(path.dirname(this.file))).flatMap((name) => {
        const match = LOG_NAME.exec(name);
        return match === null ? [] : [Number(match[1])];
      });
    } catch {
      return [];
    }
  }

  /** Adds one log's changes to `into` (a line that does not read, e.g. cut by a crash, is skipped and logged). */
  private async replay(number: number, into: CountersSnapshot | null): Promise<CountersSnapshot | null> {
    let text: string;
    try {
      text = await readFile(this.logPath(number), 'utf8');
    } catch (error) {
      this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: a write-ahead log could not be read; its counts are lost');
      return into;
    }
    let totals = { ...(into?.totals ?? ZERO_TOTALS) };
    const senders = new Map<string, Hl7SenderCounters>((into?.senders ?? []).map((counters) => [counters.sender, { ...counters }]));
    let since = into?.since ?? null;
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        json = null;
      }
      const parsed = LogLineSchema.safeParse(json);
      if (!parsed.success) {
        skipped++;
        continue;
      }
      const [sender, received, accepted, errored, duplicates, conflicts, reprocessed, oversize, lastAt] = parsed.data;
      totals = add(totals, { received, accepted, errored, duplicates, conflicts, oversize, reprocessed });
      if (since === null && lastAt !== '') since = lastAt;
      if (sender === null) continue;
      const before = senders.get(sender) ?? { sender, received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, lastAt: '' };
      senders.set(sender, mergeCounters(before, { sender, received, accepted, errored, duplicates, conflicts, reprocessed, lastAt }));
    }
    if (skipped > 0) this.log.warn({ lines: skipped }, 'HL7 counters: write-ahead log lines that do not read were skipped');
    return { since: since ?? new Date().toISOString(), totals, senders: [...senders.values()].slice(0, 10_000) };
  }

  private async loadSnapshot(): Promise<(CountersSnapshot & { readonly log?: number }) | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: the saved counters could not be read; counting starts again');
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const parsed = SnapshotSchema.safeParse(json);
    if (!parsed.success) {
      this.log.warn({ bytes: text.length }, 'HL7 counters: the saved counters do not fit their schema; counting starts again');
      return null;
    }
    const { since, totals, senders, log } = parsed.data;
    return { since, totals, senders, ...(log !== undefined ? { log } : {}) };
  }

  /**
   * Saves a snapshot (after the write under way, if any; snapshots queued meanwhile collapse into
   * the latest). Called in the same turn the snapshot was taken: the log written so far is the
   * last it covers, and the changes counted after it go to the next one.
   */
  save(snapshot: CountersSnapshot): Promise<void> {
    const covers = this.logNumber;
    this.close();
    this.logNumber++;
    this.next = { ...snapshot, log: covers };
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
      const snapshot = this.next;
      this.next = null;
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        const temp = `${this.file}.tmp`;
        const handle = await open(temp, 'w', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify({ v: 1, ...snapshot })}\n`);
          await handle.datasync();
        } finally {
          await handle.close();
        }
        await rename(temp, this.file);
        // The logs it covers are no longer needed.
        for (const number of await this.logsOnDisk()) if (number <= snapshot.log) await unlink(this.logPath(number)).catch(() => undefined);
      } catch (error) {
        this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: could not be saved; they are kept in memory');
      }
    }
  }
}
