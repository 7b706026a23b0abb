import pino from 'pino';

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
