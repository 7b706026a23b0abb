import { hexlify } from 'ethers';
import type { NetworkState } from '../../shared/ipc/network-contract';
import { signJoinRequest } from '../../shared/network/membership';
import { canonicalRoles, type MemberRole } from '../../shared/network/network-domain';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { randomBytes } from '../vault/vault-crypto';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { renewTransportDelegation } from './transport-renewal';

/** What Settings › Network asks of the mind to join: the network the admin checked, and the institution's facts. */
export interface JoinInput {
  readonly url: string;
  /** The fingerprint the admin compared out of band (network.inspect showed it). */
  readonly fingerprint: string;
  readonly legalName: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly roles: readonly MemberRole[];
}

export interface NetworkJoiner {
  /** Signs a JoinRequest with the node's identity key and has the body send it. Admin, unlocked. */
  join(input: JoinInput): Promise<NetworkState>;
}

export const NETWORK_NAMESPACES = ['network', 'app'] as const;
type NetworkPort = SessionPort<(typeof NETWORK_NAMESPACES)[number]>;

/**
 * Joining a network (design §10, issue 10 item 2), the mind's part: only the mind holds the
 * node's identity key (it signs the JoinRequest, EIP-712) and its message key (whose public half the
 * request carries, so members can encrypt to this node). The body fetched the map, shows the
 * fingerprint, sends the request and pins the network. A session feature, so it holds the keys only
 * while an administrator's session is open.
 */
export class NetworkJoinFeature implements SessionFeature<(typeof NETWORK_NAMESPACES)[number]>, NetworkJoiner {
  readonly name = 'network';
  readonly namespaces = NETWORK_NAMESPACES;
  private readonly session = new CurrentPort<(typeof NETWORK_NAMESPACES)[number]>();

  open(port: NetworkPort): OpenSessionFeature {
    // The body's transport key speaks for this node while it is locked: renew its delegation now.
    renewTransportDelegation(port).catch(() => undefined);
    return this.session.open(port);
  }

  async join(input: JoinInput): Promise<NetworkState> {
    const port = this.session.get();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator may join a network.');
    try {
      // The map again, so the request names the network whose fingerprint the admin compared.
      const { preview } = await port.api.network.inspect({ url: input.url });
      if (preview.fingerprint !== input.fingerprint) throw new VaultError('E_NODE', 'The network now shows another fingerprint than the one you compared; nothing was sent.');
      const { version } = await port.api.app.info({});
      const request = await signJoinRequest(port.identity, preview.chainId, {
        network: preview.address,
        node: port.identity.address,
        legalName: input.legalName.trim(),
        country: input.country.trim().toUpperCase(),
        roles: canonicalRoles(input.roles),
        messageKey: hexlify(port.messagePublicKey),
        appVersion: version,
        nonce: hexlify(randomBytes(32)),
        createdAt: Date.now(),
      });
      const { state } = await port.api.network.join({ url: input.url, fingerprint: input.fingerprint, request });
      // The join is made; a delegation that fails now is signed again at the next unlock.
      await renewTransportDelegation(port).catch(() => false);
      return (await port.api.network.status({})).state ?? state;
    } catch (error) {
      throw asVaultError(error);
    }
  }
}
