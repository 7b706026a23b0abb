import { generateKeyPairSync } from 'node:crypto';
import { hexlify, randomBytes, Wallet } from 'ethers';
import { JoinStatusSchema, type JoinStatus } from '../../../shared/network/api';
import { signJoinRequest, type JoinRequest, type SignedJoinRequest } from '../../../shared/network/membership';
import type { MemberRole, PinnedNetwork } from '../../../shared/network/network-domain';
import { signRequest, walletRequestSigner } from '../../../shared/network/signed-request';

/**
 * A test member: a node's identity key (secp256k1) and message key (P-256), and the client calls a
 * node makes, built from the shared helpers the real node uses (signJoinRequest, signRequest).
 */
export interface TestNode {
  readonly wallet: Wallet;
  readonly messageKey: string;
}

export function newTestNode(): TestNode {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const messageKey = `0x04${Buffer.from(jwk.x!, 'base64url').toString('hex')}${Buffer.from(jwk.y!, 'base64url').toString('hex')}`;
  return { wallet: new Wallet(Wallet.createRandom().privateKey), messageKey };
}

export function joinRequestFor(node: TestNode, network: PinnedNetwork, overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    network: network.address,
    node: node.wallet.address,
    legalName: 'Clinique des Tests',
    country: 'CH',
    roles: ['clinic', 'witness'] satisfies MemberRole[],
    messageKey: node.messageKey,
    appVersion: '0.1.0',
    nonce: hexlify(randomBytes(32)),
    createdAt: Date.now(),
    ...overrides,
  };
}

export async function signedJoin(node: TestNode, network: PinnedNetwork, overrides: Partial<JoinRequest> = {}): Promise<SignedJoinRequest> {
  return signJoinRequest(node.wallet, network.chainId, joinRequestFor(node, network, overrides));
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export async function join(baseUrl: string, node: TestNode, network: PinnedNetwork): Promise<JoinStatus> {
  const response = await postJson(`${baseUrl}/v1/join`, await signedJoin(node, network));
  if (response.status !== 202 && response.status !== 200) throw new Error(`join answered ${response.status}: ${await response.text()}`);
  return JoinStatusSchema.parse(await response.json());
}

export interface SignedFetchOptions {
  readonly method?: string;
  readonly body?: string;
  readonly now?: number;
  readonly nonce?: string;
  /** Change the headers after signing (to test refusals). */
  readonly tamper?: (headers: Record<string, string>) => void;
}

/** A member request signed with shared/network's signRequest. */
export async function signedFetch(baseUrl: string, node: TestNode, network: PinnedNetwork, path: string, options: SignedFetchOptions = {}): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers = await signRequest(walletRequestSigner(node.wallet), {
    network: network.address,
    method,
    path,
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
  });
  options.tamper?.(headers);
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${baseUrl}${path}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
}
