import pino from 'pino';
import type { Logger } from '../../electron/logging/logger';

/** A real pino logger that records lines in memory, so tests can check what would reach the log file. */
export function memoryLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const log = pino({ level: 'trace' }, { write: (chunk: string) => chunks.push(chunk) });
  return { log, lines: () => chunks.map((chunk) => JSON.parse(chunk) as Record<string, unknown>) };
}
