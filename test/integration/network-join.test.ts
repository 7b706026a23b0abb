import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { startFakeNetworkServer } from '../support/fake-network-server';
import { inProcessTransport } from '../support/in-process-transport';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * Joining a network with the real body and the real mind (issue 10 item 2): the mind signs the
 * JoinRequest with the node's identity key (the ledger's signer) and carries its message key; the
 * body checks the fingerprint, sends it, pins the network and picks up the certificate once the
 * operator approves.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('joining a network: body + mind', () => {
  const tempDir = useTempDirs();

  it('an administrator joins; the request is signed by the node and names its message key; approval brings the certificate', { timeout: 120_000 }, async () => {
    const server = await startFakeNetworkServer({ name: 'Alpine Health Network' });
    cleanup(() => server.close());
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    cleanup(() => body.stop('quit'));
    const transport = inProcessTransport(body);
    const api = createApiClient(transport);
    const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const identity = await vault.ledger.identity();

    const { preview } = await api.network.inspect({ url: server.url });
    const state = await vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'St. Example Clinic', country: 'ch', roles: ['witness', 'clinic'] });
    expect(state).toMatchObject({ status: 'pending', node: identity.address, roles: ['clinic', 'witness'], network: { name: 'Alpine Health Network', fingerprint: preview.fingerprint } });
    const [join] = server.joins;
    expect(join!.request).toMatchObject({ node: identity.address, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic', 'witness'], appVersion: '0.0.0-test', network: server.networkKey.address });
    // The message key is the vault's own (derived from the master), not the identity key.
    expect(join!.request.messageKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(join!.request.messageKey).not.toBe(join!.publicKey);

    await server.approve(identity.address);
    const { state: approved } = await api.network.refresh({});
    expect(approved).toMatchObject({ status: 'approved', certificate: { certificate: { member: identity.address, messageKey: join!.request.messageKey } } });

    // A second join is refused by the body: the node is a member already.
    await expect(vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'X', country: 'CH', roles: ['clinic'] })).rejects.toMatchObject({ code: 'E_NODE' });
  });
});
