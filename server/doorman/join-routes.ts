import { AddressSchema } from '../../shared/ledger/ledger-schema';
import { NetworkDocumentError, verifyJoinRequest, type VerifiedJoinRequest } from '../../shared/network/membership';
import { isWithinRequestWindow } from '../../shared/network/signed-request';
import { ApiProblem } from '../http/api-problem';
import type { RouteServices } from '../http/server-app';

/**
 * The doorman's public routes (issue 10 item 2):
 *
 *   POST /v1/join           a SignedJoinRequest → 202 pending (200 with the certificate when the
 *                           network approves automatically); rate limited per IP.
 *   GET  /v1/join/:address  the request's status, with the certificate once approved.
 *
 * A join request must be signed by the node it names, for this network (its key and chain id), and
 * within ±5 minutes of the server's clock.
 */
export function registerJoinRoutes(services: RouteServices): void {
  const { app, network, membership, now, limits } = services;

  app.post('/v1/join', { config: { rateLimit: { max: limits.joinRateLimit.max, timeWindow: limits.joinRateLimit.windowMs } } }, async (request, reply) => {
    let verified: VerifiedJoinRequest;
    try {
      verified = verifyJoinRequest(network.pinned, request.body);
    } catch (error) {
      if (!(error instanceof NetworkDocumentError)) throw error;
      if (error.problem === 'network') throw new ApiProblem('wrong_network', 'The join request is for another network.');
      if (error.problem === 'signature') throw new ApiProblem('bad_signature', 'The join request is not signed by the node it names.');
      throw new ApiProblem('invalid_request', 'The join request does not match the JoinRequest schema.');
    }
    if (!isWithinRequestWindow(verified.request.createdAt, now())) throw new ApiProblem('timestamp_out_of_window', 'The join request was signed more than 5 minutes from the server\'s clock.');
    const status = await membership.submitJoin(verified);
    request.log.info({ member: status.address, status: status.status }, 'join request');
    return reply.code(status.status === 'approved' ? 200 : 202).send(status);
  });

  app.get<{ Params: { address: string } }>('/v1/join/:address', async (request) => {
    const address = AddressSchema.safeParse(request.params.address);
    if (!address.success) throw new ApiProblem('invalid_request', 'The address must be a checksummed (EIP-55) address.');
    const status = await membership.status(address.data);
    if (status === null) throw new ApiProblem('not_found', 'No join request from this address.');
    return status;
  });
}
