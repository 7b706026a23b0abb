import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { pruneLogFiles } from './log-retention';
import { RepeatLimit } from './repeat-limit';
import { RotatingLogFile } from './rotating-file';

export type Logger = pino.Logger;

/** The longest log line written (characters, newline included). */
export const MAX_LOG_LINE_CHARS = 8192;

/**
 * Caps one serialized log line (pino's streamWrite hook): a longer line is written again with
 * every string clipped to 256 characters, and if still too long (too many fields) as a short
 * notice keeping level, time and the message's start. Always one valid JSON line.
 */
export function capLogLine(line: string): string {
  if (line.length <= MAX_LOG_LINE_CHARS) return line;
  const clip = (value: unknown): unknown =>
    typeof value === 'string' ? (value.length > 256 ? `${value.slice(0, 256)}…` : value) : Array.isArray(value) ? value.map(clip) : typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.slice(0, 64), clip(inner)])) : value;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${JSON.stringify({ msg: 'log line dropped (not JSON)', truncated: true, chars: line.length })}\n`;
  }
  const clipped = `${JSON.stringify(clip(record))}\n`;
  if (clipped.length <= MAX_LOG_LINE_CHARS) return clipped;
  const { level, time, pid, msg } = record;
  return `${JSON.stringify({ level, time, pid, msg: typeof msg === 'string' ? msg.slice(0, 256) : '', truncated: true, chars: line.length })}\n`;
}

/** Log files kept across rotations and restarts (10 MiB each). */
export const LOG_FILES_KEPT = 7;
/** No log file grows past this, however fast lines come. */
export const LOG_FILE_BYTES = 10 * 1024 * 1024;
/** Warnings and errors of one kind (level, message, method, error class, code) written per minute; the rest are summarised. */
export const REPEATED_LINES_PER_MINUTE = 20;

export interface LoggerOptions {
  readonly dataDir: string;
  readonly level?: pino.LevelWithSilent;
  /** Also write to stderr (the shell and tests); the desktop app logs to the file only. */
  readonly alsoStderr?: boolean;
  /** Tests may lower the file size (LOG_FILE_BYTES otherwise). */
  readonly maxFileBytes?: number;
  /** Tests may drive the repeat limit's clock. */
  readonly now?: () => number;
}

export interface LogSink {
  readonly logger: Logger;
  /** The file lines go to now. */
  readonly file: string;
  /** Flushes and closes the file; the body calls it last on shutdown. */
  close(): Promise<void>;
}

/**
 * Structured, PHI-free logs: callers log ids, counts, codes and hashes, never field values.
 * The file rotates by size (10 MiB × 7 files, across restarts too) under `<data>/logs/`.
 */
export async function openLogSink(options: LoggerOptions): Promise<LogSink> {
  const dir = path.join(options.dataDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Retention is ours: at open (what earlier runs left), then after every rotation once the new file is open.
  const retention = { dir, base: 'hdms-node', extension: 'log', keep: LOG_FILES_KEPT };
  await pruneLogFiles(retention);
  const fileStream = new RotatingLogFile({
    dir,
    base: retention.base,
    extension: retention.extension,
    maxFileBytes: options.maxFileBytes ?? LOG_FILE_BYTES,
    maxBufferedBytes: 16 * 1024 * 1024,
    onRotated: () => pruneLogFiles(retention),
  });
  const streams: pino.StreamEntry[] = [{ stream: fileStream }];
  if (options.alsoStderr === true) streams.push({ stream: pino.destination({ fd: 2, sync: true }) });

  interface Kind { readonly level: number; readonly msg: string; readonly fields: Record<string, unknown> }
  /** The fields that tell one failure from another; ids, incidents, stacks and times do not. */
  const KIND_FIELDS = ['method', 'errorClass', 'code', 'reason', 'transport'] as const;
  let summarising = false;
  const repeats = new RepeatLimit<Kind>(
    { perWindow: REPEATED_LINES_PER_MINUTE, windowMs: 60_000, maxKinds: 1000 },
    ({ sample, suppressed }) => {
      summarising = true;
      try {
        logger[pino.levels.labels[sample.level] as pino.Level]({ ...sample.fields, repeated: suppressed }, `${sample.msg} … and ${suppressed.toLocaleString('en-US')} more like this in the last minute`);
      } finally {
        summarising = false;
      }
    },
    options.now,
  );
  const logger: Logger = pino(
    {
      level: options.level ?? 'info',
      base: { app: 'hdms-node', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        streamWrite: capLogLine,
        // Warnings and errors of one kind beyond REPEATED_LINES_PER_MINUTE a minute are counted, not written.
        logMethod(args, method, level) {
          if (summarising || level < pino.levels.values['warn']!) return method.apply(this, args);
          const [first, second] = args as unknown[];
          const object = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
          const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
          const fields = Object.fromEntries(KIND_FIELDS.filter((key) => ['string', 'number'].includes(typeof object[key])).map((key) => [key, object[key]]));
          const key = JSON.stringify([level, msg, fields]);
          if (repeats.admit(key, () => ({ level, msg, fields }))) method.apply(this, args);
        },
      },
      // Defence in depth: should a payload ever be logged by mistake, these keys are censored.
      redact: { paths: ['payload', '*.payload', 'request', '*.request', 'token', '*.token'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
  const sweeper = setInterval(() => repeats.sweep(), 15_000);
  sweeper.unref();
  return {
    logger,
    get file() {
      return fileStream.currentFile;
    },
    close: async () => {
      clearInterval(sweeper);
      repeats.sweep(true);
      logger.flush();
      await fileStream.close();
    },
  };
}
