import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hexlify, type Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { generateOperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { randomBytes } from '../../../shared/crypto/bytes';
import { signJoinRequest, type SignedJoinRequest } from '../../../shared/network/membership';
import { networkFingerprint } from '../../../shared/network/network-domain';
import { randomWallet, startFakeNetworkServer, type FakeNetworkServer } from '../../support/fake-network-server';
import { useCleanups } from '../../support/cleanups';
import { useTempDirs } from '../../support/temp-dir';
import { call, heard, makeTestVault, payloadsOf, signIn } from '../vault/vault-test-support';

/**
 * `network.*` in the body (issue 10 item 2): inspect a server's map and its fingerprint, send the
 * join request the mind signed, pin the network, poll for the certificate and the map, and raise an
 * alarm (replacing nothing) when the server sends a document the pinned key did not sign.
 */

const tempDir = useTempDirs();
const cleanup = useCleanups();

async function setup(): Promise<{ body: Body; server: FakeNetworkServer; dataDir: string }> {
  const server = await startFakeNetworkServer();
  cleanup(() => server.close());
  const dataDir = await tempDir();
  const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
  cleanup(() => body.stop('quit'));
  const vault = await makeTestVault();
  await call(body, 'vault.create', { keyring: vault.keyring });
  await signIn(body, vault);
  return { body, server, dataDir };
}

async function joinRequest(identity: Wallet, server: FakeNetworkServer, overrides: Record<string, unknown> = {}): Promise<SignedJoinRequest> {
  const messageKey = hexlify((await generateOperatorSigningKey()).publicKey);
  return signJoinRequest(identity, server.chainId, {
    network: server.networkKey.address,
    node: identity.address,
    legalName: 'St. Example Clinic',
    country: 'CH',
    roles: ['clinic'],
    messageKey,
    appVersion: '0.1.0',
    nonce: hexlify(randomBytes(32)),
    createdAt: Date.now(),
    ...overrides,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return (error as { code?: string } | undefined)?.code;
}

describe('network: joining (the body)', () => {
  it('inspects, joins, pins, and picks up the certificate and the map once approved', async () => {
    const { body, server, dataDir } = await setup();
    const events = heard(body);
    const { preview } = await call(body, 'network.inspect', { url: `${server.url}/` });
    expect(preview).toMatchObject({ url: server.url, name: 'Test Health Network', address: server.networkKey.address, chainId: server.chainId, members: 0 });
    expect(preview.fingerprint).toBe(networkFingerprint({ address: server.networkKey.address, chainId: server.chainId }));

    const identity = randomWallet();
    const { state } = await call(body, 'network.join', { url: server.url, fingerprint: preview.fingerprint, request: await joinRequest(identity, server) });
    expect(state).toMatchObject({ status: 'pending', node: identity.address, certificate: null, network: { address: server.networkKey.address }, problem: null });
    expect(server.joins).toHaveLength(1);
    await expect(call(body, 'network.status', {})).resolves.toEqual({ state });
    // Public facts only, kept where IT can see them.
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'network', 'membership.json'), 'utf8')) as { state: unknown };
    const { sync: _sync, relay: _relay, delegationExpiresAt: _expires, ...stored } = state;
    expect(onDisk.state).toEqual(stored);

    await server.approve(identity.address);
    const { state: approved } = await call(body, 'network.refresh', {});
    expect(approved).toMatchObject({ status: 'approved', certificate: { certificate: { member: identity.address, legalName: 'St. Example Clinic', serial: 1 } }, problem: null });
    expect(approved?.map?.members).toEqual([{ address: identity.address, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic'], messageKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/) }]);
    expect(payloadsOf(events, 'network.changed').at(-1)).toEqual({ state: approved });
    // Nothing new: the map answers 304 and the state stays.
    await expect(call(body, 'network.refresh', {})).resolves.toMatchObject({ state: { map: approved!.map, problem: null } });
  });

  it('raises an alarm for a map the pinned key did not sign, and keeps the verified one', async () => {
    const { body, server } = await setup();
    const { preview } = await call(body, 'network.inspect', { url: server.url });
    const identity = randomWallet();
    await call(body, 'network.join', { url: server.url, fingerprint: preview.fingerprint, request: await joinRequest(identity, server) });
    await server.approve(identity.address);
    const { state: good } = await call(body, 'network.refresh', {});
    server.signMapsWith(randomWallet());
    const { state: alarmed } = await call(body, 'network.refresh', {});
    expect(alarmed?.problem).toMatch(/^Alarm: .*does not verify against the key pinned at join/);
    expect(alarmed?.map).toEqual(good?.map);
    await expect(call(body, 'network.status', {})).resolves.toMatchObject({ state: { problem: alarmed?.problem, map: good?.map } });
  });

  it('refuses a join whose fingerprint no longer matches, one for another network, a second join, and sends nothing', async () => {
    const { body, server } = await setup();
    const { preview } = await call(body, 'network.inspect', { url: server.url });
    const identity = randomWallet();
    expect(await codeOf(call(body, 'network.join', { url: server.url, fingerprint: '0000 0000', request: await joinRequest(identity, server) }))).toBe('E_CONFLICT');
    const elsewhere = await joinRequest(identity, server, { network: randomWallet().address });
    expect(await codeOf(call(body, 'network.join', { url: server.url, fingerprint: preview.fingerprint, request: elsewhere }))).toBe('E_BAD_REQUEST');
    expect(server.joins).toHaveLength(0);
    await expect(call(body, 'network.status', {})).resolves.toEqual({ state: null });
    await call(body, 'network.join', { url: server.url, fingerprint: preview.fingerprint, request: await joinRequest(identity, server) });
    expect(await codeOf(call(body, 'network.join', { url: server.url, fingerprint: preview.fingerprint, request: await joinRequest(identity, server) }))).toBe('E_CONFLICT');
    expect(server.joins).toHaveLength(1);
  });

  it('accepts https anywhere and plain http only to this computer; refuses a server that answers too much or not at all', async () => {
    const { body, server } = await setup();
    for (const url of ['http://network.example.org', 'ftp://127.0.0.1', 'https://user:pw@network.example.org', 'http://127.0.0.1:1/?q=1', 'not a url']) {
      expect({ url, code: await codeOf(call(body, 'network.inspect', { url })) }).toEqual({ url, code: 'E_BAD_REQUEST' });
    }
    expect(await codeOf(call(body, 'network.inspect', { url: 'http://127.0.0.1:1' }))).toBe('E_UNAVAILABLE');
    server.answerMapWith(33 * 1024 * 1024);
    const refused = call(body, 'network.inspect', { url: server.url });
    expect(await codeOf(refused)).toBe('E_UNAVAILABLE');
    await expect(refused).rejects.toThrow(/more than the node accepts/);
  });
});
