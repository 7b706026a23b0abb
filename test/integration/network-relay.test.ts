import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SigningKey } from 'ethers';
import { describe, expect, it, vi } from 'vitest';
import { RELAY_ROUTES, RelayInboxPageSchema, type RelayInboxPage } from '../../shared/network/relay';
import { signDelegatedRequest, type TransportDelegation } from '../../shared/network/transport-delegation';
import { startBody } from '../../electron/body';
import { startNetworkServer } from '../../server/server-process';
import { createApiClient } from '../../shared/ipc/api-client';
import { RELAY_MESSAGE_KIND } from '../../shared/journal/journal-kinds';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from '../support/in-process-transport';
import { startIntegrationNode } from '../support/integration-node';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * Relay messages between two nodes through the real server (issue 10 item 9): a clinic joins and
 * locks; its body stops (the node is offline). A research institute sends it a note. The clinic's
 * body starts again, still locked: its transport key (delegated at the clinic's last unlock) opens
 * the relay stream, and the note is journaled as received, sealed, and acknowledged. When the
 * clinic unlocks, the mind opens it: the sender's institution, the subject and the text. The note
 * was never readable by the server, and the journal holds no plaintext of it.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const SUBJECT = 'Zyxwv cohort question';
const TEXT = 'Could we talk about the retinal images study next week? Qwzx-7781';
const cleanup = useCleanups();

describe('relay messages between two nodes', () => {
  const tempDir = useTempDirs();

  const startNode = (dataDir: string) => startIntegrationNode(dataDir, cleanup);

  it('delivers a note sent while the recipient was offline, journaled while locked and opened at unlock', { timeout: 180_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent' });
    cleanup(() => server.close());

    // The clinic joins, then locks and goes offline.
    const clinicDir = await tempDir();
    const clinic = await startNode(clinicDir);
    await clinic.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    const { preview } = await clinic.api.network.inspect({ url: server.url });
    const joined = await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic'] });
    expect(joined.status).toBe('approved');
    expect(joined.delegationExpiresAt).not.toBeNull();
    clinic.vault.lock();
    await clinic.stop();

    // The research institute writes to it.
    const research = await startNode(await tempDir());
    await research.vault.create({ operatorName: 'Rita Research', passphrase: PASSPHRASE });
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Example Research Institute', country: 'DE', roles: ['research'] });
    const { state: researchState } = await research.api.network.refresh({});
    const clinicMember = researchState!.map!.members.find((member) => member.legalName === 'St. Example Clinic')!;
    expect(clinicMember.messageKey).toMatch(/^0x04/);
    await research.vault.network.sendNote({ to: clinicMember.address, subject: SUBJECT, text: TEXT });
    const sent = await research.vault.network.messages();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ direction: 'out', to: [clinicMember.address], payload: { type: 'note', subject: SUBJECT, text: TEXT } });

    // The note waits at the relay while the clinic is offline.
    expect((await inboxOf(server.url, clinicDir, preview.address)).messages).toHaveLength(1);

    // The clinic comes back, locked: its body journals the note, and only then acknowledges it, so
    // the relay deleting it (the clinic's inbox, asked with its own transport credentials, empty)
    // means it is in the journal.
    const backBody = await startBody({ dataDir: clinicDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'silent', mllpPort: 0 });
    cleanup(() => backBody.stop('quit'));
    await vi.waitFor(async () => expect((await inboxOf(server.url, clinicDir, preview.address)).messages).toHaveLength(0), { timeout: 30_000, interval: 250 });

    // Unlocked, the mind opens it: the sender's institution, the subject and the text.
    const transport = inProcessTransport(backBody);
    const api = createApiClient(transport);
    const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    expect(vault.phase()).toBe('locked');
    const [admin] = await vault.operators();
    await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    await vault.sync();
    const inbox = await vault.network.messages();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ direction: 'in', payload: { type: 'note', subject: SUBJECT, text: TEXT }, problem: null });
    const journal = (await api.journal.read({ after: 0, limit: 1000 })).records;
    expect(journal.filter((record) => record.kind === RELAY_MESSAGE_KIND)).toHaveLength(1);
    const { state: researchSelf } = await research.api.network.status({});
    expect(inbox[0]!.from).toBe(researchSelf!.node);

    // Nothing of the note is in the clear in the clinic's journal or anywhere in its data folder.
    const leaks = await grepDir(clinicDir, [SUBJECT, 'Qwzx-7781']);
    expect(leaks).toEqual([]);
  });
});

/** GET /v1/relay/inbox as the node whose data folder is `dir`, signed with its transport key and delegation. */
async function inboxOf(url: string, dir: string, network: string): Promise<RelayInboxPage> {
  const { readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const stored = JSON.parse(await readFile(path.join(dir, 'network', 'transport.json'), 'utf8')) as { privateKey: string; delegation: TransportDelegation };
  const headers = await signDelegatedRequest(new SigningKey(stored.privateKey), stored.delegation, { network, method: 'GET', path: RELAY_ROUTES.inbox });
  const response = await fetch(`${url}${RELAY_ROUTES.inbox}`, { headers });
  expect(response.status).toBe(200);
  return RelayInboxPageSchema.parse(await response.json());
}

async function grepDir(dir: string, needles: readonly string[]): Promise<string[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = (await readFile(file)).toString('latin1');
    for (const needle of needles) if (text.includes(needle)) found.push(`${file}: ${needle}`);
  }
  return found;
}
