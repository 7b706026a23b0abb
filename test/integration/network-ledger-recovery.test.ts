import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { startNetworkServer } from '../../server/server-process';
import { createApiClient } from '../../shared/ipc/api-client';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from '../support/in-process-transport';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * Recovery (issue 10 item 10) against the real server: a node's vault is put back from an older
 * copy (its ledger shorter than what the network's log holds of it), and its browser profile is
 * gone (fresh views). At the next unlock the node fetches its own entries and receipts back from
 * the notary, checks them, appends them, and continues its chain where the network has it: the
 * next entries are notarized, none is refused as a fork, and the whole ledger verifies.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('ledger recovery from the network', () => {
  const tempDir = useTempDirs();

  async function open(dataDir: string) {
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'silent', mllpPort: 0 });
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (!stopped) await body.stop('quit');
      stopped = true;
    };
    cleanup(stop);
    const transport = inProcessTransport(body);
    const api = createApiClient(transport);
    const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    return { api, vault, stop };
  }

  it('a vault put back from an older copy continues its chain where the network has it', { timeout: 240_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent' });
    cleanup(() => server.close());
    const dataDir = await tempDir();
    const older = path.join(await tempDir(), 'vault');

    // The node joins and has its first entries notarized; then a copy of its vault is taken.
    const first = await open(dataDir);
    await first.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    await first.vault.importDemoData(2);
    await first.vault.ledger.flush();
    const { preview } = await first.api.network.inspect({ url: server.url });
    await first.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic'] });
    const k = (await first.vault.ledger.entries({}, { limit: 1000 })).length;
    expect((await first.api.network.refresh({})).state?.sync).toMatchObject({ notarizedSeq: k, problem: null });
    first.vault.lock();
    await first.stop();
    await cp(path.join(dataDir, 'vault'), older, { recursive: true });

    // More work, notarized too.
    const second = await open(dataDir);
    const [admin] = await second.vault.operators();
    await second.vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    await second.vault.sync();
    for (const patientId of (await second.vault.search('')).patientIds) await second.vault.openPatient(patientId);
    await second.vault.ledger.flush();
    const m = (await second.vault.ledger.entries({}, { limit: 1000 })).length;
    expect(m).toBeGreaterThan(k);
    expect((await second.api.network.refresh({})).state?.sync).toMatchObject({ notarizedSeq: m, problem: null });
    second.vault.lock();
    await second.stop();

    // The older vault is put back, and the browser profile is gone.
    await rm(path.join(dataDir, 'vault'), { recursive: true, force: true });
    await cp(older, path.join(dataDir, 'vault'), { recursive: true });
    const third = await open(dataDir);
    await third.vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    await third.vault.sync();
    await third.vault.openPatient((await third.vault.search('')).patientIds[0]!);
    await third.vault.ledger.flush();

    const entries = await third.vault.ledger.entries({}, { limit: 1000 });
    const seqs = entries.map((entry) => entry.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBeGreaterThan(m);
    // The recovered entries say so; the ones after them were signed here, following them.
    const recovered = entries.filter((entry) => entry.seq > k && entry.seq <= m);
    expect(recovered.map((entry) => entry.summary)).toEqual(recovered.map(() => ({ recovered: 'from the network’s log; its details are not in this vault' })));
    const { state } = await third.api.network.refresh({});
    expect(state?.sync).toMatchObject({ notarizedSeq: seqs.length, problem: null, alarm: false });
    const verification = await third.vault.ledger.verify();
    expect(verification).toMatchObject({ ok: true, entries: seqs.length });
  });
});
