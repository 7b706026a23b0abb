import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Hl7SenderCountersSchema, IntakeTotalsSchema } from '../../shared/ipc';
import type { CountersSnapshot } from './intake-monitor';

/**
 * The HL7 intake counters kept across restarts (issue 11): `<data>/vault/intake/hl7-counters.json`,
 * next to the duplicate index. What it holds is what the intake monitor shows and no more: totals,
 * per sender (MSH-3|MSH-4, the sending systems' names, not patient data) its counts and last
 * message time, and since when it counts. Written whole to a temporary file, then renamed, at
 * most once a second while messages arrive; one write at a time, the latest snapshot wins.
 */
export const HL7_COUNTERS_FILE = ['vault', 'intake', 'hl7-counters.json'] as const;

const SnapshotSchema = z.strictObject({
  v: z.literal(1),
  since: z.iso.datetime(),
  totals: IntakeTotalsSchema,
  senders: z.array(Hl7SenderCountersSchema).max(10_000),
});

export interface CountersStoreLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export class CountersStore {
  private writing: Promise<void> | null = null;
  private next: CountersSnapshot | null = null;

  constructor(
    private readonly file: string,
    private readonly log: CountersStoreLog,
  ) {}

  /** What an earlier run saved; null when nothing was (or the file is unreadable: logged, counting starts again). */
  async load(): Promise<CountersSnapshot | null> {
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
    const { since, totals, senders } = parsed.data;
    return { since, totals, senders };
  }

  /** Saves a snapshot (after the write under way, if any; snapshots queued meanwhile collapse into the latest). */
  save(snapshot: CountersSnapshot): Promise<void> {
    this.next = snapshot;
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
        await writeFile(temp, `${JSON.stringify({ v: 1, ...snapshot })}\n`, { mode: 0o600 });
        await rename(temp, this.file);
      } catch (error) {
        this.log.warn({ code: (error as NodeJS.ErrnoException).code ?? 'unknown' }, 'HL7 counters: could not be saved; they are kept in memory');
      }
    }
  }
}
