import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { startNetworkServer } from '../../server/server-process';
import { createApiClient } from '../../shared/ipc/api-client';
import { LEDGER_RECEIPT_KIND } from '../../shared/journal/journal-kinds';
import { WitnessListSchema } from '../../shared/network/notary';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from '../support/in-process-transport';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * A node and the real network server (embedded PostgreSQL) in one process (issue 10 items 2 and 7):
 * the node joins (auto-approve), and its signed ledger entries are notarized: each receipt checked
 * (log key from the map, checkpoint, inclusion proof) and journaled as `ledger.receipt`.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('ledger sync against the real server', () => {
  const tempDir = useTempDirs();

  it('joins, is approved, and has every ledger entry notarized with checked receipts', { timeout: 180_000 }, async () => {
    const server = await startNetworkServer({
      dataDir: await tempDir(),
      database: null,
      host: '127.0.0.1',
      port: 0,
      tls: null,
      autoApprove: true,
      parameters: {},
      logLevel: 'silent',
    });
    cleanup(() => server.close());
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'silent', mllpPort: 0 });
    cleanup(() => body.stop('quit'));
    const transport = inProcessTransport(body);
    const api = createApiClient(transport);
    const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    await vault.importDemoData(4);
    await vault.ledger.flush();

    const { preview } = await api.network.inspect({ url: server.url });
    const joined = await vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic'] });
    expect(joined.status).toBe('approved');
    const entries = await vault.ledger.entries({}, { limit: 1000 });
    const { state } = await api.network.refresh({});
    expect(state?.map?.logKey).not.toBe('');
    expect(state?.sync).toMatchObject({ notarizedSeq: entries.length, queued: 0, problem: null, alarm: false });
    expect(state?.sync?.checkpointSize).toBeGreaterThanOrEqual(entries.length);

    const journal = (await api.journal.read({ after: 0, limit: 5000 })).records;
    expect(journal.filter((record) => record.kind === LEDGER_RECEIPT_KIND)).toHaveLength(entries.length);
    // The views show each entry notarized, at its own leaf of the network's log.
    await vault.ledger.flush();
    const shown = await vault.ledger.entries({}, { limit: 1000 });
    expect(shown.every((entry) => entry.notary !== undefined)).toBe(true);
    expect(new Set(shown.map((entry) => entry.notary!.leafIndex)).size).toBe(shown.length);
    // "Check again" in the entry detail: receipt, checkpoint and inclusion proof re-checked in the mind.
    for (const entry of shown) await expect(vault.ledger.recheckNotary(entry.seq)).resolves.toMatchObject({ ok: true, leafIndex: entry.notary!.leafIndex });

    // A new entry (opening a patient) is notarized at the next round; nothing is sent twice.
    await vault.openPatient((await vault.search('')).patientIds[0]!);
    await vault.ledger.flush();
    const { state: after } = await api.network.refresh({});
    expect(after?.sync).toMatchObject({ notarizedSeq: entries.length + 1, queued: 0, problem: null });
    const again = (await api.journal.read({ after: 0, limit: 5000 })).records.filter((record) => record.kind === LEDGER_RECEIPT_KIND);
    expect(again).toHaveLength(entries.length + 1);
  });

  it('on a network whose settlement chain id is not the ledger’s, a witness member cosigns the checkpoints it checked; with the quorum met its entries show witnessed', { timeout: 180_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: { witnessQuorum: 1, chainId: 4242 }, logLevel: 'silent' });
    cleanup(() => server.close());
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.1.0', logLevel: 'silent', mllpPort: 0 });
    cleanup(() => body.stop('quit'));
    const transport = inProcessTransport(body);
    const api = createApiClient(transport);
    const vault = createVaultService({ api, transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    await vault.importDemoData(2);
    await vault.ledger.flush();

    const { preview } = await api.network.inspect({ url: server.url });
    await vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'St. Example Clinic', country: 'CH', roles: ['clinic', 'witness'] });
    const transportState = await api.network.transport({});
    expect(transportState.witnessVkey).toMatch(/^hdms-witness\//);
    expect(transportState.witnessEndorsed).toBe(true);

    // Round 1: entries notarized, the checkpoint kept and cosigned. Round 2: the cosigned checkpoint comes back with the quorum.
    const first = (await api.network.refresh({})).state!;
    expect(first.sync).toMatchObject({ problem: null, witnessProblem: null });
    const second = (await api.network.refresh({})).state!;
    expect(second.sync?.cosignatures).toBe(1);
    expect(second.sync?.witnessedSize).toBe(second.sync?.checkpointSize);
    const witnesses = WitnessListSchema.parse(await (await fetch(`${server.url}/v1/log/witnesses`)).json());
    expect(witnesses.witnesses.map((w) => w.vkey)).toEqual([transportState.witnessVkey]);

    // Every entry notarized in the first round is below the witnessed size (entries signed since may not be yet).
    const firstRound = first.sync!.notarizedSeq;
    expect(firstRound).toBeGreaterThan(0);
    await vault.ledger.flush();
    const shown = (await vault.ledger.entries({}, { limit: 1000 })).filter((entry) => entry.seq <= firstRound);
    expect(shown).toHaveLength(firstRound);
    expect(shown.every((entry) => entry.notary !== undefined && entry.notary.leafIndex < second.sync!.witnessedSize!)).toBe(true);
  });
});
