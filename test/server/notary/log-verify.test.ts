import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../../server/notary/log-audit';
import { REPO_ROOT } from '../../support/repo-paths';
import { useTestDatabases } from '../support/test-databases';
import { approvedMember, startNotaryServer, submit, TestChain, type NotaryTestServer } from './support/notary-fixtures';

/**
 * `npm run --silent log:verify -- URL` on a good log and on a tampered copy (a leaf row edited in
 * the database behind the server's back): one JSON line, exit 0 and 1.
 */
const databases = useTestDatabases();

async function logVerify(args: readonly string[]): Promise<{ code: number; line: Record<string, unknown>; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'log:verify', '--', ...args], { cwd: REPO_ROOT, timeout: 60_000 });
    return { code: 0, stdout, line: JSON.parse(stdout) as Record<string, unknown> };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', line: (failed.stdout ? JSON.parse(failed.stdout) : {}) as Record<string, unknown> };
  }
}

describe.each(databases.variants)('log:verify $label', (variant) => {
  let server: NotaryTestServer;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startNotaryServer(await databases.open(variant.kind));
    for (let n = 0; n < 2; n++) {
      const chain = new TestChain(await approvedMember(server), server.network.parameters.chainId);
      await submit(server.url, await chain.take(7));
    }
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('passes a good log (one JSON line, exit 0) and fails a tampered copy (exit 1, naming the root and the entry)', async () => {
    const good = await logVerify([server.url, '--network', server.network.pinned.address]);
    expect(good.stdout.trim().split('\n')).toHaveLength(1);
    expect(good.code).toBe(0);
    expect(good.line).toMatchObject({ ok: true, size: 14, leavesRead: 14, errors: [], entries: { checked: 14, nodes: 2, problems: [] } });

    await server.db.query(`UPDATE log_leaves SET line = replace(line, '"kind":"ACCESS"', '"kind":"EXPORT"') WHERE leaf_index = 3`);
    const bad = await logVerify([server.url]);
    expect(bad.code).toBe(1);
    expect(bad.line.ok).toBe(false);
    expect(String((bad.line.errors as string[])[0])).toMatch(/the log is not what was signed/);
    expect((bad.line.entries as { problems: string[] }).problems[0]).toMatch(/^leaf 3 .*signature is not by its node/);
    // A large log's signatures are checked on worker threads: the same report.
    const onThreads = await auditLog(server.url, { checkThreads: 1 });
    expect(onThreads).toEqual(await auditLog(server.url, { checkThreads: 0 }));
    expect(onThreads.entries).toEqual(bad.line.entries);

    // Pinned to another network, the map itself is refused.
    const other = await auditLog(server.url, { network: '0x000000000000000000000000000000000000dEaD' }).catch((error: Error) => error);
    expect(other).toBeInstanceOf(Error);
    expect((await logVerify(['not-a-url'])).code).toBe(2);
  }, 120_000);
});
