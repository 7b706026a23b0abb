import { mkdirSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import pinoRoll from 'pino-roll';
import { logFilesToPrune } from '../shared/logging/log-retention';

/**
 * The server's log: pino JSON lines. What is logged is chosen here, not left to defaults: a request's
 * method, matched route pattern and id, a response's status and time, and refusals by their
 * code. Never headers, bodies or signatures. The network server holds no patient data, and its log
 * holds no request content either (design §9).
 */
export type ServerLogger = pino.Logger;

export const LOG_SERIALIZERS = {
  // The matched route's pattern ("/v1/join/:address"), never the raw target: a client chooses that.
  req: (request: { id?: unknown; method?: string; routeOptions?: { url?: string } }) => ({ id: request.id, method: request.method, route: request.routeOptions?.url ?? '(no route)' }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  err: pino.stdSerializers.err,
};

export function createServerLogger(options: { readonly level?: pino.LevelWithSilent; readonly destination?: pino.DestinationStream }): ServerLogger {
  return pino({ level: options.level ?? 'info', base: { service: 'hdms-server' }, serializers: LOG_SERIALIZERS }, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** Rotated server logs kept: 10 MiB each, the newest this many (also across restarts). */
export const SERVER_LOG_FILES_KEPT = 7;

/**
 * `<data-dir>/logs/server.<n>.log`, rotated at 10 MiB with the newest SERVER_LOG_FILES_KEPT kept: a
 * flood of refused requests (each one a log line) cannot fill the disk. pino-roll prunes only its
 * own run's files, so pruning is done here, at open and after each rotation.
 */
export async function openServerLogFile(dataDir: string): Promise<{ stream: pino.DestinationStream; close(): Promise<void> }> {
  const dir = path.join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const prune = async (): Promise<void> => {
    const names = await readdir(dir).catch(() => []);
    await Promise.allSettled(logFilesToPrune(names, { base: 'server', extension: 'log', keep: SERVER_LOG_FILES_KEPT }).map((name) => unlink(path.join(dir, name))));
  };
  await prune();
  const stream = await pinoRoll({ file: path.join(dir, 'server.log'), size: '10m', mkdir: true, mode: 0o600 });
  stream.on('ready', () => void prune());
  return {
    stream,
    close: () =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      }),
  };
}
