import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema, JoinStatusSchema, MemberSelfSchema } from '../../shared/network/api';
import { verifyCertificate } from '../../shared/network/membership';
import { networkFingerprint } from '../../shared/network/network-domain';
import { inspectNetworkMapForPinning, verifyNetworkMap } from '../../shared/network/network-map';
import { useTestDatabases } from './support/test-databases';
import { join, newTestNode, postJson, signedFetch, signedJoin } from './support/member-client';
import { startTestServer, type TestServer } from './support/test-server';

/**
 * The doorman and the network map end to end over HTTP (issue 10 items 2–4), on PGlite and on a
 * real PostgreSQL: join → list → approve → the certificate verifies → the map includes the member
 * and verifies against the pinned key; reject; revoke → signed requests refused.
 */
const databases = useTestDatabases();

describe.each(databases.variants)('doorman and network map $label', (variant) => {
  let server: TestServer;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startTestServer(await databases.open(variant.kind));
  }, 60_000);
  afterAll(async () => server?.close());

  const fetchMap = async (): Promise<unknown> => (await fetch(`${server.url}/v1/network-map`)).json();

  it.skipIf(variant.skip)('publishes a signed epoch-0 map that a new node can inspect and pin', async () => {
    const first = inspectNetworkMapForPinning(await fetchMap());
    expect(first.pinned).toEqual(server.network.pinned);
    expect(first.fingerprint).toBe(networkFingerprint(server.network.pinned));
    expect(first.signed.map.parameters.name).toBe('Test Network');
  });

  it.skipIf(variant.skip)('join → pending → list → approve → certificate verifies → map lists the member and verifies', async () => {
    const node = newTestNode();
    const pending = await join(server.url, node, server.network.pinned);
    expect(pending).toEqual({ address: node.wallet.address, status: 'pending', certificate: null });
    const polled = JoinStatusSchema.parse(await (await fetch(`${server.url}/v1/join/${node.wallet.address}`)).json());
    expect(polled.status).toBe('pending');
    expect((await server.membership.list()).find((member) => member.address === node.wallet.address)).toMatchObject({ status: 'pending', legalName: 'Clinique des Tests', country: 'CH', roles: ['clinic', 'witness'] });

    const before = verifyNetworkMap(server.network.pinned, await fetchMap()).map.epoch;
    await server.membership.approve(node.wallet.address);
    const approved = JoinStatusSchema.parse(await (await fetch(`${server.url}/v1/join/${node.wallet.address}`)).json());
    expect(approved.status).toBe('approved');
    const certificate = verifyCertificate(server.network.pinned, approved.certificate).certificate;
    expect(certificate).toMatchObject({ member: node.wallet.address, network: server.network.key.address, messageKey: node.messageKey, identityKey: node.wallet.signingKey.publicKey.toLowerCase() });

    const map = verifyNetworkMap(server.network.pinned, await fetchMap(), { minEpoch: before + 1 }).map;
    expect(map.epoch).toBe(before + 1);
    expect(map.members.map((member) => member.certificate.member)).toContain(node.wallet.address);

    const me = await signedFetch(server.url, node, server.network.pinned, '/v1/members/me');
    expect(me.status).toBe(200);
    expect(MemberSelfSchema.parse(await me.json())).toMatchObject({ address: node.wallet.address, epoch: map.epoch });
  });

  it.skipIf(variant.skip)('a map is refused when it is not signed by the pinned key', async () => {
    const signed = await fetchMap();
    const other = { ...server.network.pinned, address: newTestNode().wallet.address };
    expect(() => verifyNetworkMap(other, signed)).toThrow(/another network key/);
    const forged = structuredClone(signed) as { map: { epoch: number } };
    forged.map.epoch += 100;
    expect(() => verifyNetworkMap(server.network.pinned, forged)).toThrow(/not signed by the pinned network key/);
  });

  it.skipIf(variant.skip)('answers 304 to If-None-Match with the current ETag, 200 with a new one after a change', async () => {
    const first = await fetch(`${server.url}/v1/network-map`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await fetch(`${server.url}/v1/network-map`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const node = newTestNode();
    await join(server.url, node, server.network.pinned);
    await server.membership.approve(node.wallet.address);
    const changed = await fetch(`${server.url}/v1/network-map`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it.skipIf(variant.skip)('reject: the request is rejected, signed requests are refused, and the node may ask again', async () => {
    const node = newTestNode();
    await join(server.url, node, server.network.pinned);
    const epoch = verifyNetworkMap(server.network.pinned, await fetchMap()).map.epoch;
    await server.membership.reject(node.wallet.address);
    expect(JoinStatusSchema.parse(await (await fetch(`${server.url}/v1/join/${node.wallet.address}`)).json()).status).toBe('rejected');
    const refused = await signedFetch(server.url, node, server.network.pinned, '/v1/members/me');
    expect(refused.status).toBe(403);
    expect(ApiErrorSchema.parse(await refused.json()).error.code).toBe('membership_rejected');
    expect(verifyNetworkMap(server.network.pinned, await fetchMap()).map.epoch).toBe(epoch);
    expect((await join(server.url, node, server.network.pinned)).status).toBe('pending');
  });

  it.skipIf(variant.skip)('revoke: the map lists the revocation, not the member, and signed requests are refused', async () => {
    const node = newTestNode();
    await join(server.url, node, server.network.pinned);
    await server.membership.approve(node.wallet.address);
    expect((await signedFetch(server.url, node, server.network.pinned, '/v1/members/me')).status).toBe(200);
    const record = await server.membership.revoke(node.wallet.address);
    const map = verifyNetworkMap(server.network.pinned, await fetchMap()).map;
    expect(map.members.map((member) => member.certificate.member)).not.toContain(node.wallet.address);
    expect(map.revocations).toContainEqual({ member: node.wallet.address, serial: record.serial, revokedAt: record.revokedAt });
    const refused = await signedFetch(server.url, node, server.network.pinned, '/v1/members/me');
    expect(refused.status).toBe(403);
    expect(ApiErrorSchema.parse(await refused.json()).error.code).toBe('membership_revoked');
    const rejoin = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned));
    expect(rejoin.status).toBe(403);
    expect(ApiErrorSchema.parse(await rejoin.json()).error.code).toBe('membership_revoked');
  });

  it.skipIf(variant.skip)('a pending member is refused, the same join again is idempotent, a second join of a member conflicts', async () => {
    const node = newTestNode();
    const signed = await signedJoin(node, server.network.pinned);
    expect((await postJson(`${server.url}/v1/join`, signed)).status).toBe(202);
    expect((await postJson(`${server.url}/v1/join`, signed)).status).toBe(202);
    const pending = await signedFetch(server.url, node, server.network.pinned, '/v1/members/me');
    expect(ApiErrorSchema.parse(await pending.json()).error.code).toBe('membership_pending');
    await server.membership.approve(node.wallet.address);
    expect((await postJson(`${server.url}/v1/join`, signed)).status).toBe(200);
    const again = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned));
    expect(again.status).toBe(409);
    expect(ApiErrorSchema.parse(await again.json()).error.code).toBe('join_conflict');
  });

  it.skipIf(variant.skip)('refuses a join request for another network, or signed by another key', async () => {
    const node = newTestNode();
    const elsewhere = await postJson(`${server.url}/v1/join`, await signedJoin(node, { address: newTestNode().wallet.address, chainId: server.network.pinned.chainId }));
    expect(ApiErrorSchema.parse(await elsewhere.json()).error.code).toBe('wrong_network');
    const otherChain = await postJson(`${server.url}/v1/join`, await signedJoin(node, { ...server.network.pinned, chainId: 1 }));
    expect(ApiErrorSchema.parse(await otherChain.json()).error.code).toBe('bad_signature');
    const stale = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned, { createdAt: Date.now() - 10 * 60_000 }));
    expect(ApiErrorSchema.parse(await stale.json()).error.code).toBe('timestamp_out_of_window');
    expect(await server.membership.status(node.wallet.address)).toBeNull();
    await expect(server.membership.approve(node.wallet.address)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe.each(databases.variants)('auto-approve $label', (variant) => {
  let server: TestServer;
  beforeAll(async () => {
    if (variant.skip) return;
    server = await startTestServer(await databases.open(variant.kind), { autoApprove: true });
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('answers a valid join with the certificate at once', async () => {
    const node = newTestNode();
    const status = await join(server.url, node, server.network.pinned);
    expect(status.status).toBe('approved');
    expect(verifyCertificate(server.network.pinned, status.certificate).certificate.member).toBe(node.wallet.address);
    const map = verifyNetworkMap(server.network.pinned, await (await fetch(`${server.url}/v1/network-map`)).json()).map;
    expect(map.epoch).toBe(1);
  });
});
