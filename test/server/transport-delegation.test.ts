import { SigningKey, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema, MemberSelfSchema, type ApiErrorCode } from '../../shared/network/api';
import { walletRequestSigner } from '../../shared/network/signed-request';
import {
  DELEGATION_HEADER,
  delegationSignedBy,
  encodeDelegation,
  MAX_DELEGATION_MS,
  parseDelegationHeader,
  signDelegatedRequest,
  signDelegation,
  type TransportDelegation,
} from '../../shared/network/transport-delegation';
import { join, newTestNode, type TestNode } from './support/member-client';
import { useTestDatabases } from './support/test-databases';
import { rowCounts, startTestServer, type TestServer } from './support/test-server';

/**
 * A locked node's body speaks for its member with a transport key the identity key delegated to
 * (shared/network/transport-delegation.ts): the server accepts such a request while the delegation
 * is current, for this member and network, and signed by the member's key; it refuses every other.
 */
const databases = useTestDatabases();
const ME = '/v1/members/me';

describe('transport delegation documents', () => {
  const member = new Wallet(Wallet.createRandom().privateKey);
  const transport = new SigningKey(Wallet.createRandom().privateKey);
  const network = new Wallet(Wallet.createRandom().privateKey).address;

  it('round-trips through the header, and names its signer', async () => {
    const now = Date.now();
    const delegation = await signDelegation(walletRequestSigner(member), { network, transportKey: transport.publicKey.toLowerCase(), notBefore: now, notAfter: now + 3_600_000 });
    const parsed = parseDelegationHeader(encodeDelegation(delegation));
    expect(parsed).toEqual({ kind: 'ok', delegation });
    expect(delegationSignedBy(delegation, member.address)).toBe(true);
    expect(delegationSignedBy(delegation, new Wallet(Wallet.createRandom().privateKey).address)).toBe(false);
    expect(delegationSignedBy({ ...delegation, notAfter: delegation.notAfter + 1 }, member.address)).toBe(false);
  });

  it('refuses a lifetime over 30 days, a repeated or oversized header, and what is not base64url JSON', async () => {
    const now = Date.now();
    await expect(signDelegation(walletRequestSigner(member), { network, transportKey: transport.publicKey.toLowerCase(), notBefore: now, notAfter: now + MAX_DELEGATION_MS + 1 })).rejects.toThrow();
    expect(parseDelegationHeader(['a', 'b']).kind).toBe('invalid');
    expect(parseDelegationHeader('A'.repeat(2000)).kind).toBe('invalid');
    expect(parseDelegationHeader('not base64!').kind).toBe('invalid');
    expect(parseDelegationHeader(Buffer.from('{"v":1}').toString('base64url')).kind).toBe('invalid');
    expect(parseDelegationHeader(undefined).kind).toBe('absent');
  });
});

describe.each(databases.variants)('delegated member requests $label', (variant) => {
  let server: TestServer;
  let node: TestNode;
  const transport = new SigningKey(Wallet.createRandom().privateKey);

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startTestServer(await databases.open(variant.kind));
    node = newTestNode();
    await join(server.url, node, server.network.pinned);
    await server.membership.approve(node.wallet.address);
  }, 60_000);
  afterAll(async () => server?.close());

  async function delegation(overrides: { signer?: Wallet; network?: string; key?: SigningKey; notBefore?: number; notAfter?: number } = {}): Promise<TransportDelegation> {
    const now = Date.now();
    return signDelegation(walletRequestSigner(overrides.signer ?? node.wallet), {
      network: overrides.network ?? server.network.pinned.address,
      transportKey: (overrides.key ?? transport).publicKey.toLowerCase(),
      notBefore: overrides.notBefore ?? now - 1_000,
      notAfter: overrides.notAfter ?? now + 3_600_000,
    });
  }

  async function send(d: TransportDelegation, key: SigningKey = transport, tamper?: (headers: Record<string, string>) => void): Promise<Response> {
    const headers = await signDelegatedRequest(key, d, { network: server.network.pinned.address, method: 'GET', path: ME });
    tamper?.(headers);
    return fetch(`${server.url}${ME}`, { headers });
  }

  async function expectRefused(response: Promise<Response>, status: number, code: ApiErrorCode): Promise<void> {
    const before = await rowCounts(server.db);
    const answer = await response;
    expect(answer.status).toBe(status);
    expect(ApiErrorSchema.parse(await answer.json()).error.code).toBe(code);
    expect(await rowCounts(server.db)).toEqual(before);
  }

  it.skipIf(variant.skip)('accepts a request signed by the delegated transport key, as the member', async () => {
    const answer = await send(await delegation());
    expect(answer.status).toBe(200);
    expect(MemberSelfSchema.parse(await answer.json()).address).toBe(node.wallet.address);
  });

  it.skipIf(variant.skip)('refuses an expired, a future, a foreign, a forged or a malformed delegation, and a request by another key', async () => {
    const now = Date.now();
    await expectRefused(send(await delegation({ notBefore: now - 7_200_000, notAfter: now - 3_600_000 })), 401, 'bad_delegation');
    await expectRefused(send(await delegation({ notBefore: now + 600_000, notAfter: now + 7_200_000 })), 401, 'bad_delegation');
    await expectRefused(send(await delegation({ network: new Wallet(Wallet.createRandom().privateKey).address })), 401, 'bad_delegation');
    // Signed by someone else for this member's address: the member's key does not verify it.
    const impostor = new Wallet(Wallet.createRandom().privateKey);
    const forged = { ...(await delegation({ signer: impostor })), member: node.wallet.address };
    await expectRefused(send(forged), 401, 'bad_delegation');
    await expectRefused(
      send(await delegation(), transport, (h) => (h[DELEGATION_HEADER] = 'e30')),
      401,
      'bad_delegation',
    );
    // A delegation to one key, the request signed by another (its own delegation swapped for the first).
    const other = new SigningKey(Wallet.createRandom().privateKey);
    const toTransport = encodeDelegation(await delegation());
    await expectRefused(send(await delegation({ key: other }), other, (h) => (h[DELEGATION_HEADER] = toTransport)), 401, 'bad_signature');
    // Still serving the good one.
    expect((await send(await delegation())).status).toBe(200);
  });
});
