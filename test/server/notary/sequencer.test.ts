import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../../server/storage/postgres-database';
import { migrate } from '../../../server/storage/migrations';
import { LOG_SEQUENCER_LOCK } from '../../../server/notary/log-store';
import { auditLog } from '../../../server/notary/log-audit';
import { NotaryResultsSchema, type NotaryResult } from '../../../shared/network/notary';
import { inspectNetworkMapForPinning } from '../../../shared/network/network-map';
import { useTestDatabases } from '../support/test-databases';
import { join, newTestNode, postJson } from '../support/member-client';
import { spawnServer, type ServerChild } from '../support/server-process';
import { approvedMember, newServerKeys, startNotaryServer, submit, TestChain, type NotaryTestServer } from './support/notary-fixtures';

/**
 * Several server processes on one PostgreSQL (design §10): exactly one sequences the log (session
 * advisory lock), the others accept and queue; when the sequencer goes away another takes over; and
 * with two real server processes, concurrent submitters and a kill -9 of the sequencing one mid-load,
 * the log stays one consistent tree, every entry gets its receipt, no leaf index is used twice.
 */
const databases = useTestDatabases();
const postgres = databases.variants.find((variant) => variant.kind === 'postgres')!;

describe(`one sequencer at a time ${postgres.label}`, () => {
  const servers: NotaryTestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close().catch(() => undefined);
  });

  it.skipIf(postgres.skip)('two apps on one database: one holds the sequencer lock, both accept, the other takes over when it stops', async () => {
    const url = await databases.postgresUrl();
    const first = await openPostgresDatabase({ connectionString: url });
    await migrate(first);
    const second = await openPostgresDatabase({ connectionString: url });
    const keys = newServerKeys();
    const a = await startNotaryServer(first, {}, keys);
    servers.push(a);
    const holders = async (): Promise<number> => (await first.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1", [LOG_SEQUENCER_LOCK])).rows[0]!.n;
    await expect.poll(holders, { timeout: 5000 }).toBe(1);
    const b = await startNotaryServer(second, {}, keys);
    servers.push(b);

    const chains = await Promise.all([0, 1, 2, 3].map(async () => new TestChain(await approvedMember(a), a.network.parameters.chainId)));
    const answers = await Promise.all(chains.map(async (chain, i) => submit(i % 2 === 0 ? a.url : b.url, await chain.take(20))));
    expect(await holders()).toBe(1);
    const results = answers.flatMap((answer) => answer.results);
    expect(results.every((r) => r.status === 'notarized')).toBe(true);
    const indexes = results.map((r) => (r.status === 'notarized' ? r.receipt.leafIndex : -1)).sort((x, y) => x - y);
    expect(indexes).toEqual(Array.from({ length: 80 }, (_, i) => i));

    await a.close();
    servers.shift();
    const more = new TestChain(await approvedMember(b), b.network.parameters.chainId);
    const after = await submit(b.url, await more.take(3));
    expect(after.results.every((r) => r.status === 'notarized')).toBe(true);
    expect(await holders()).toBe(1);
  });

  it.skipIf(postgres.skip)('two server processes, concurrent submitters, kill -9 of the sequencing one mid-load: one consistent log, every entry notarized once', async () => {
    const url = await databases.postgresUrl();
    const dirA = mkdtempSync(path.join(os.tmpdir(), 'hdms-notary-a-'));
    const dirB = mkdtempSync(path.join(os.tmpdir(), 'hdms-notary-b-'));
    const children: ServerChild[] = [];
    try {
      const a = await spawnServer(['--data-dir', dirA, '--database', url, '--auto-approve', '--port', '0']);
      children.push(a);
      for (const file of ['network.key', 'log.key']) copyFileSync(path.join(dirA, file), path.join(dirB, file));
      const b = await spawnServer(['--data-dir', dirB, '--database', url, '--auto-approve', '--port', '0']);
      children.push(b);
      const { pinned } = inspectNetworkMapForPinning(await (await fetch(`${a.url}/v1/network-map`)).json());

      const SUBMITTERS = 4;
      const BATCHES = 8;
      const PER_BATCH = 25;
      const chains = await Promise.all(
        Array.from({ length: SUBMITTERS }, async () => {
          const node = newTestNode();
          await join(a.url, node, pinned);
          return new TestChain(node, pinned.chainId);
        }),
      );
      const notarized = new Map<string, number>();
      let killed = false;
      // Each submitter sends its batches to A while A lives, then to B; a batch cut off by the kill is resent (idempotent).
      const run = async (chain: TestChain, which: number): Promise<void> => {
        for (let batch = 0; batch < BATCHES; batch++) {
          const entries = await chain.take(PER_BATCH);
          for (let attempt = 0; ; attempt++) {
            const target = killed || which % 2 === 1 ? b.url : a.url;
            let results: NotaryResult[] | null = null;
            try {
              const response = await postJson(`${target}/v1/notary/entries`, { entries });
              if (response.status === 200) results = NotaryResultsSchema.parse(await response.json()).results;
            } catch {
              results = null;
            }
            if (results !== null && results.every((r) => r.status === 'notarized')) {
              for (const r of results) if (r.status === 'notarized') notarized.set(`${r.receipt.node}:${r.receipt.seq}`, r.receipt.leafIndex);
              break;
            }
            if (attempt > 60) throw new Error('a batch was never notarized');
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          if (batch === 2 && which === 0 && !killed) {
            killed = true;
            await a.stop('SIGKILL');
          }
        }
      };
      await Promise.all(chains.map((chain, i) => run(chain, i)));
      expect(killed).toBe(true);
      expect(notarized.size).toBe(SUBMITTERS * BATCHES * PER_BATCH);
      const indexes = [...notarized.values()].sort((x, y) => x - y);
      expect(new Set(indexes).size).toBe(indexes.length);
      const report = await auditLog(b.url, { network: pinned.address });
      expect(report.errors).toEqual([]);
      expect(report.entries.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.size).toBe(SUBMITTERS * BATCHES * PER_BATCH);
    } finally {
      for (const child of children) await child.stop('SIGKILL').catch(() => undefined);
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  }, 120_000);
});
