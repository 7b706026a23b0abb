import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { exportLine } from '../../shared/ledger/ledger-export-format';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from '../support/in-process-transport';
import { useTempDirs } from '../support/temp-dir';

/**
 * The body's ledger outbox (the clear copies the notary will receive, issue 10 item 7) with the real
 * mind: every entry the mind signs lands in it as its export line, and an outbox that lacks entries
 * (an older version's vault) is backfilled from the views at the next unlock.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const bodies: Body[] = [];
afterEach(async () => {
  for (const body of bodies.splice(0)) await body.stop('quit');
});

describe('the ledger outbox: body + mind', () => {
  const tempDir = useTempDirs();

  it('holds every signed entry in the clear, and is backfilled at unlock when it lacks some', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const start = async (): Promise<Body> => {
      const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
      bodies.push(body);
      return body;
    };
    const profile = new IDBFactory();
    const mind = (body: Body) => {
      const transport = inProcessTransport(body);
      return createVaultService({ api: createApiClient(transport), transport, host: 'shell', indexedDB: profile, IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    };
    const outboxFile = path.join(dataDir, 'vault', 'ledger', 'signed.jsonl');

    let body = await start();
    let vault = mind(body);
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    await vault.importDemoData(5);
    await vault.ledger.flush();
    const entries = [...(await vault.ledger.entries({}, { limit: 1000 }))].reverse();
    expect(entries.length).toBeGreaterThan(1);
    const expected = await readFile(outboxFile, 'utf8');
    const lines = expected.split('\n').filter((line) => line !== '');
    // One export line per entry, in seq order, each the entry the ledger shows (same hash chain, same signature).
    expect(lines.map((line) => (JSON.parse(line) as { entry: { seq: number } }).entry.seq)).toEqual(entries.map((entry) => entry.seq));
    expect(lines.map((line) => (JSON.parse(line) as { signature: string }).signature)).toEqual(entries.map((entry) => entry.signature));
    expect(lines.map((line) => (JSON.parse(line) as { entry: { prevHash: string } }).entry.prevHash)).toEqual(entries.map((entry) => entry.prevHash));
    expect(lines.every((line) => line === exportLine(JSON.parse(line) as { entry: unknown; signature: unknown }))).toBe(true);
    const admin = vault.currentOperator()!;
    vault.lock();
    await body.stop('quit');
    bodies.pop();

    await rm(outboxFile);
    body = await start();
    vault = mind(body);
    await vault.ready();
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    await vault.ledger.flush();
    const api = createApiClient(inProcessTransport(body));
    const status = await api.ledger.outboxStatus({});
    expect(status.outboxLastSeq).toBe(status.journalLastSeq);
    const backfilled = await readFile(outboxFile, 'utf8');
    expect(backfilled.startsWith(expected)).toBe(true);
    vault.lock();
  });
});

