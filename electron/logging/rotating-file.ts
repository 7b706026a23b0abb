import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  readonly dir: string;
  /** Files are named `<base>.<n>.<extension>`, n growing by one at each rotation (and across restarts). */
  readonly base: string;
  readonly extension: string;
  /** No file grows past this many bytes (a single line longer than that gets a file of its own). */
  readonly maxFileBytes: number;
  /** Bytes waiting for the next write at most; a line beyond is dropped and counted, so a burst cannot grow memory. */
  readonly maxBufferedBytes: number;
  /** Called once each new file is open (the caller prunes old files then); close() waits for what it returns. */
  readonly onRotated?: () => Promise<unknown>;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lines handed over and not yet written, for one file. */
interface Segment {
  readonly number: number;
  lines: string[];
  /** Bytes counted against this file: what it held when opened plus every line given to it. */
  size: number;
}

/**
 * An append-only log file that rotates by size as lines are handed over, not when the disk catches
 * up: pino-roll counted bytes once written and rotated on the stream's next 'drain', which a steady
 * burst never lets come, so one file grew to 78 MB. Here the line that would take the file past
 * `maxFileBytes` starts the next file; lines are written in order, in batches, with synchronous
 * writes once per turn of the event loop (pino's own default destination writes synchronously too).
 * Lines beyond `maxBufferedBytes` waiting for one turn are dropped and counted in a notice line.
 */
export class RotatingLogFile {
  private readonly segments: Segment[] = [];
  private fd: number | null = null;
  private fdNumber = 0;
  private buffered = 0;
  private droppedLines = 0;
  private scheduled = false;
  private closed = false;
  private rotated: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RotatingFileOptions) {
    const pattern = new RegExp(`^${escape(options.base)}\\.(\\d+)\\.${escape(options.extension)}$`);
    const numbers = readdirSync(options.dir).map((name) => Number(pattern.exec(name)?.[1] ?? Number.NaN)).filter((n) => Number.isSafeInteger(n));
    // Continue in the newest file of an earlier run, as it was left.
    const number = Math.max(1, ...numbers);
    this.segments.push({ number, lines: [], size: fileSize(this.fileOf(number)) });
  }

  /** The file lines go to now. */
  get currentFile(): string {
    return this.fileOf(this.segments.at(-1)!.number);
  }

  /** Lines dropped so far (the disk fell more than `maxBufferedBytes` behind, or refused a write). */
  get dropped(): number {
    return this.droppedLines;
  }

  write(line: string): boolean {
    if (this.closed) return false;
    const bytes = Buffer.byteLength(line);
    if (this.buffered + bytes > this.options.maxBufferedBytes) {
      this.droppedLines += 1;
      return false;
    }
    let segment = this.segments.at(-1)!;
    if (segment.size > 0 && segment.size + bytes > this.options.maxFileBytes) {
      segment = { number: segment.number + 1, lines: [], size: 0 };
      this.segments.push(segment);
    }
    segment.lines.push(line);
    segment.size += bytes;
    this.buffered += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushSync());
    }
    return true;
  }

  /** Writes every waiting line now, each to its file, in order. */
  flushSync(): void {
    this.scheduled = false;
    if (this.droppedLines > 0 && !this.closed) {
      const notice = `${JSON.stringify({ level: 40, time: new Date().toISOString(), msg: 'log lines dropped: more were written at once than the log buffers', dropped: this.droppedLines })}\n`;
      this.droppedLines = 0;
      this.write(notice);
      this.scheduled = false;
    }
    while (this.segments.length > 0) {
      const segment = this.segments[0]!;
      const last = this.segments.length === 1;
      if (segment.lines.length > 0) {
        const text = segment.lines.join('');
        segment.lines = [];
        this.buffered -= Buffer.byteLength(text);
        try {
          writeSync(this.open(segment.number), text);
        } catch {
          // The disk refused (full, too many open files): these lines are lost, later ones try again.
          this.closeFd();
        }
      }
      if (last) break;
      this.segments.shift();
      this.closeFd();
      this.open(this.segments[0]!.number);
      const onRotated = this.options.onRotated;
      if (onRotated !== undefined) this.rotated = this.rotated.then(onRotated, onRotated);
    }
  }

  /** Writes what waits, closes the file and waits for the last rotation's follow-up. */
  async close(): Promise<void> {
    this.flushSync();
    this.closed = true;
    this.closeFd();
    await this.rotated.catch(() => undefined);
  }

  private fileOf(number: number): string {
    return path.join(this.options.dir, `${this.options.base}.${number}.${this.options.extension}`);
  }

  private open(number: number): number {
    if (this.fd !== null && this.fdNumber === number) return this.fd;
    this.closeFd();
    this.fd = openSync(this.fileOf(number), 'a', 0o600);
    this.fdNumber = number;
    return this.fd;
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone.
    }
    this.fd = null;
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
