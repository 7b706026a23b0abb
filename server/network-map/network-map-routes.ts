import type { RouteServices } from '../http/server-app';
import { NetworkMapReader } from './network-map-store';

/**
 * `GET /v1/network-map` (issue 10 item 3): the newest signed map, exactly as stored, with a strong
 * ETag; `If-None-Match` with that tag (or `*`) answers 304 without a body. Public: the map is what a
 * node verifies against the key it pinned, and what a joining node shows its admin first.
 */
export function registerNetworkMapRoutes(services: RouteServices): void {
  const { app, db } = services;
  const maps = new NetworkMapReader(db);

  app.get('/v1/network-map', async (request, reply) => {
    const map = await maps.latest();
    void reply.header('etag', map.etag).header('cache-control', 'no-cache');
    if (ifNoneMatchMatches(request.headers['if-none-match'], map.etag)) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(map.body);
  });
}

/** RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (a W/ prefix is ignored). */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  return trimmed.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
