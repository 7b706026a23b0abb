import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import pinoRoll from 'pino-roll';
import { pruneLogFiles } from './log-retention';

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

export interface LoggerOptions {
  readonly dataDir: string;
  readonly level?: pino.LevelWithSilent;
  /** Also write to stderr (the shell and tests); the desktop app logs to the file only. */
  readonly alsoStderr?: boolean;
}

export interface LogSink {
  readonly logger: Logger;
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
  const file = path.join(dir, 'hdms-node.log');
  // pino-roll's `limit` prunes only the files of its own run (and races the new file's creation),
  // so retention is ours: at open, then after every rotation once the new file is open ('ready').
  const retention = { dir, base: 'hdms-node', extension: 'log', keep: LOG_FILES_KEPT };
  await pruneLogFiles(retention);
  const fileStream = await pinoRoll({ file, size: '10m', mkdir: true, mode: 0o600 });
  fileStream.on('ready', () => void pruneLogFiles(retention));
  const streams: pino.StreamEntry[] = [{ stream: fileStream }];
  if (options.alsoStderr === true) streams.push({ stream: pino.destination({ fd: 2, sync: true }) });
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { app: 'hdms-node', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: capLogLine },
      // Defence in depth: should a payload ever be logged by mistake, these keys are censored.
      redact: { paths: ['payload', '*.payload', 'request', '*.request', 'token', '*.token'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
  return {
    logger,
    file,
    close: () =>
      new Promise<void>((resolve) => {
        logger.flush();
        fileStream.once('close', () => resolve());
        fileStream.once('error', () => resolve());
        fileStream.end();
      }),
  };
}
