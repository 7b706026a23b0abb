import { endorseWitnessKey } from '../../shared/network/notary';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { MAX_DELEGATION_MS, signDelegation } from '../../shared/network/transport-delegation';
import type { SessionPort } from '../vault/session/session-feature';

/** Renew when less than this is left: a week of locked operation stays covered. */
export const RENEW_BEFORE_MS = 7 * 24 * 3600_000;
/** Allowed clock difference with the server at the start of a delegation. */
const SKEW_MS = 5 * 60_000;

/**
 * The mind's half of the transport delegation (shared/network/transport-delegation.ts): with the
 * identity key, which only a clinical session derives, it signs for the body's transport key a
 * 30-day delegation whenever the node has joined a network and the current one is missing or has
 * less than a week left. For a witness member it also endorses, once, the body's cosigning key
 * (shared/network/notary.ts). Called when a session opens and right after a join. Answers whether a
 * new delegation was given; failures leave the old one and are retried at the next unlock (nothing
 * here talks to the server: the body keeps what the mind signed).
 */
export async function renewTransportDelegation(port: SessionPort<'network'>, now = Date.now()): Promise<boolean> {
  const { state } = await port.api.network.status({});
  if (state === null) return false;
  const transport = await port.api.network.transport({});
  const endorse = transport.witnessVkey !== null && !transport.witnessEndorsed;
  if (!endorse && transport.expiresAt !== null && transport.expiresAt - now > RENEW_BEFORE_MS) return false;
  const signer = walletRequestSigner(port.identity);
  const witnessEndorsement = endorse ? await endorseWitnessKey(signer, state.network.address, transport.witnessVkey!) : undefined;
  const delegation = await signDelegation(signer, {
    network: state.network.address,
    transportKey: transport.transportKey,
    notBefore: now - SKEW_MS,
    notAfter: now - SKEW_MS + MAX_DELEGATION_MS,
  });
  if (!port.isCurrent()) return false;
  await port.api.network.delegate({ delegation, ...(witnessEndorsement === undefined ? {} : { witnessEndorsement }) });
  return true;
}
