import type { MemberSelf } from '../../shared/network/api';
import type { RouteServices } from '../http/server-app';
import { NetworkMapReader } from '../network-map/network-map-store';

/**
 * Routes for members, every one a signed request (issue 10 item 4). `GET /v1/members/me` is the
 * first: it proves the signature scheme end to end and tells a node how the server sees it.
 */
export function registerMemberRoutes(services: RouteServices): void {
  const { app, db, membership, authenticate, memberRateLimit } = services;
  const maps = new NetworkMapReader(db);

  app.get('/v1/members/me', { preHandler: [authenticate, memberRateLimit] }, async (request) => {
    const address = request.member!.address;
    const certificate = await membership.certificate(address);
    // Approved a moment ago (authentication checked it); revoked in between is refused on the next request.
    const map = await maps.latest();
    const self: MemberSelf = { address, status: 'approved', certificate: certificate!, epoch: map.epoch };
    return self;
  });
}
