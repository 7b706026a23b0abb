import { appendFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { vaultLayout } from '../../../electron/storage/vault-layout';
import { connectClient, type ServerFrame, type ShellClient } from '../../support/shell-client';
import { makeTempDir, removeDir, startShell, type ShellProcess } from '../../support/shell-process';
import { StepLog } from '../../support/test-steps';
import { runVaultCheck, type VaultCheckRun } from '../../support/vault-check-run';
import { buildTestKeyring, openSealedMeta, signIn, type TestVault } from '../../support/vault-keyring';

/**
 * Issue 3's crash test: kill -9 the shell during a large demo import, restart it on the same data
 * folder, and check that `vault:check` reports the torn tail repaired and that every record whose
 * write was acknowledged before the kill is present exactly once.
 *
 * No browser: the test speaks the contract over the shell's WebSocket and builds the vault's
 * keyring itself with shared/crypto (vault-keyring.ts), so it holds the intake private key and can
 * open the sealed metadata of every journal record to check message ids for duplicates.
 *
 * Torn tail: the journal's group commit makes a kill -9 rarely leave a partial record (the writes
 * of a batch reach the page cache before the process dies, and the OS keeps them). The test first
 * asks `vault:check` whether the kill tore the tail; only if it did not, it appends a partial frame
 * to the journal itself — what a power cut mid-write leaves — and says so in its log. Either way
 * the restarted body must find and repair exactly one torn tail.
 */

const PATIENTS = 20_000;
/** Kill once this many records are acknowledged, or after KILL_AFTER_MS of import, whichever is first. */
const KILL_AT_SEQ = 2_000;
const KILL_AFTER_MS = 2_500;
const IMPORT_CALL_ID = 900_001;
const READ_PAGE = 1_000;

interface Observed {
  /** Highest `journal.appended.lastSeq` the client received before the kill. */
  readonly ackedSeq: number;
  /** Highest `demo.progress.messages` (messages durable in the journal) received before the kill. */
  readonly ackedMessages: number;
  readonly events: number;
}

function eventsNamed(frames: readonly ServerFrame[], name: string): Array<Record<string, number>> {
  return frames.filter((frame) => frame.type === 'event' && frame['name'] === name).map((frame) => frame['payload'] as Record<string, number>);
}

function observed(client: ShellClient): Observed {
  const appended = eventsNamed(client.frames, 'journal.appended');
  const progress = eventsNamed(client.frames, 'demo.progress');
  return {
    ackedSeq: Math.max(0, ...appended.map((payload) => payload['lastSeq'] ?? 0)),
    ackedMessages: Math.max(0, ...progress.map((payload) => payload['messages'] ?? 0)),
    events: appended.length + progress.length,
  };
}

async function callOk(client: ShellClient, method: string, payload: unknown): Promise<Record<string, unknown>> {
  const result = await client.call(method, payload);
  if (result['ok'] !== true) throw new Error(`${method} failed: ${JSON.stringify(result)}`);
  return result['value'] as Record<string, unknown>;
}

interface WireRecord {
  readonly seq: number;
  readonly kind: string;
  readonly meta: string | null;
  readonly objects: readonly string[];
}

async function readWholeJournal(client: ShellClient): Promise<WireRecord[]> {
  const records: WireRecord[] = [];
  let after = 0;
  for (;;) {
    const page = (await callOk(client, 'journal.read', { after, limit: READ_PAGE })) as { records: WireRecord[]; nextCursor: number; end: boolean };
    records.push(...page.records);
    if (page.end || page.records.length === 0) return records;
    after = page.nextCursor;
  }
}

/** The message id inside a sealed intake record's metadata, wherever the body put it. */
function findMessageId(value: unknown, depth = 0): string | undefined {
  if (depth > 6 || value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record['messageId'] === 'string') return record['messageId'];
  for (const child of Object.values(record)) {
    const found = findMessageId(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function describeCheck(run: VaultCheckRun): string {
  return `vault:check exit ${run.exitCode}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

describe('a kill -9 during a large import', () => {
  it(
    `loses no acknowledged record and duplicates none; vault:check reports the torn tail repaired`,
    async () => {
      const steps = new StepLog('crash test');
      const dataDir = await makeTempDir('hdms-crash-');
      const layout = vaultLayout(dataDir);
      const shells: ShellProcess[] = [];
      try {
        const vault: TestVault = await buildTestKeyring();

        const seen = await steps.run(`create a vault over the WebSocket, start a ${PATIENTS}-patient demo import, SIGKILL the shell mid-import`, async () => {
          const shell = await startShell({ dataDir });
          shells.push(shell);
          const client = await connectClient(shell);
          const created = await callOk(client, 'vault.create', { keyring: vault.keyring });
          expect(created).toMatchObject({ state: expect.stringMatching(/locked|unlocked/) });
          // The body imports demo data for an administrator's session only.
          await signIn((method, payload) => callOk(client, method, payload), vault.operatorId, vault.signingKeys.passphrase);

          client.sendRaw(JSON.stringify({ type: 'call', id: IMPORT_CALL_ID, method: 'demo.import', payload: { patients: PATIENTS } }));
          const started = Date.now();
          // The first acknowledgement, then until KILL_AT_SEQ or KILL_AFTER_MS.
          await client.waitFor((frame) => frame.type === 'event' && frame['name'] === 'journal.appended', 0, 30_000);
          while (observed(client).ackedSeq < KILL_AT_SEQ && Date.now() - started < KILL_AFTER_MS) {
            const answer = client.frames.find((frame) => frame.type === 'result' && frame['id'] === IMPORT_CALL_ID);
            if (answer !== undefined) throw new Error(`The import ended before the kill (make PATIENTS larger): ${JSON.stringify(answer).slice(0, 300)}`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          process.kill(shell.pid, 'SIGKILL');
          const snapshot = observed(client); // nothing more can arrive from a dead process… but read after the kill anyway
          const exit = await shell.exited;
          expect(exit.signal).toBe('SIGKILL');
          expect(client.frames.some((frame) => frame.type === 'result' && frame['id'] === IMPORT_CALL_ID), 'the import was still running').toBe(false);
          await client.close().catch(() => undefined);
          expect(snapshot.ackedSeq, 'journal.appended events arrived before the kill').toBeGreaterThan(0);
          console.log(`killed after ${Date.now() - started} ms: acknowledged seq ${snapshot.ackedSeq}, ${snapshot.ackedMessages} messages durable per demo.progress (${snapshot.events} events)`);
          return snapshot;
        });

        const tear = await steps.run('torn tail: natural, or a partial frame appended to emulate a power cut mid-write', async () => {
          const before = await runVaultCheck(dataDir);
          expect(before.report, describeCheck(before)).toBeDefined();
          expect(before.report!.errors, describeCheck(before)).toEqual([]);
          if (before.report!.journal.tornTail) {
            console.log('the kill -9 tore the journal tail by itself; nothing appended');
            return { natural: true, appendedBytes: 0, recordsBefore: before.report!.journal.records };
          }
          // A frame header announcing a 4 KiB body, then only part of the body: what a write cut by
          // a power failure leaves. The CRC is of the full body that never made it to disk.
          const header = Buffer.alloc(8);
          header.writeUInt32BE(4096, 0);
          header.writeUInt32BE(0x1badc0de, 4);
          const partialBody = Buffer.from(`{"seq":${before.report!.journal.records + 1},"kind":"intake.demo","at":"${new Date().toISOString()}","operator":null,"objects":["`, 'utf8');
          const sizeBefore = (await stat(layout.journalFile)).size;
          await appendFile(layout.journalFile, Buffer.concat([header, partialBody]));
          const appendedBytes = (await stat(layout.journalFile)).size - sizeBefore;
          console.log(`the kill -9 left no torn tail (as usual with group commit): appended a ${appendedBytes}-byte partial frame to ${layout.journalFile} to emulate a power cut mid-write`);
          const torn = await runVaultCheck(dataDir);
          expect(torn.report?.journal.tornTail, `vault:check sees the emulated torn tail\n${describeCheck(torn)}`).toBe(true);
          expect(torn.exitCode).toBe(1);
          return { natural: false, appendedBytes, recordsBefore: before.report!.journal.records };
        });

        const records = await steps.run('restart the shell on the same data folder and read the whole journal', async () => {
          const shell = await startShell({ dataDir, readyTimeoutMs: 30_000 });
          shells.push(shell);
          const client = await connectClient(shell);
          expect(await callOk(client, 'vault.status', {})).toEqual({ state: 'locked' });
          await signIn((method, payload) => callOk(client, method, payload), vault.operatorId, vault.signingKeys.passphrase);
          const all = await readWholeJournal(client);
          await client.close();
          const exit = await shell.stop();
          expect(exit.code).toBe(0);
          return all;
        });

        await steps.run('every acknowledged record is there, in one unbroken sequence', async () => {
          const seqs = records.map((record) => record.seq);
          expect(seqs[0]).toBe(1);
          const gaps = seqs.flatMap((seq, index) => (index > 0 && seq !== seqs[index - 1]! + 1 ? [`${seqs[index - 1]}→${seq}`] : []));
          expect(gaps, 'seq is contiguous from 1').toEqual([]);
          expect(seqs.at(-1)!, 'every seq acknowledged by journal.appended survived').toBeGreaterThanOrEqual(seen.ackedSeq);
          const byKind = records.reduce<Record<string, number>>((counts, record) => ({ ...counts, [record.kind]: (counts[record.kind] ?? 0) + 1 }), {});
          console.log(`journal after restart: ${records.length} records ${JSON.stringify(byKind)}`);
          expect(byKind['journal.repaired'], 'one repair record').toBe(1);
          const intake = records.filter((record) => record.kind.startsWith('intake.'));
          expect(intake.length, 'every message demo.progress reported durable is in the journal').toBeGreaterThanOrEqual(seen.ackedMessages);
        });

        await steps.run('no message is stored twice (sealed metadata opened with the test-held intake key)', async () => {
          const intake = records.filter((record) => record.kind.startsWith('intake.'));
          const ids = new Map<string, number[]>();
          const unreadable: number[] = [];
          for (const record of intake) {
            if (record.meta === null) {
              unreadable.push(record.seq);
              continue;
            }
            const plaintext = await openSealedMeta(vault.opener, record.meta);
            let id: string | undefined;
            try {
              id = findMessageId(JSON.parse(new TextDecoder().decode(plaintext)));
            } catch {
              id = undefined;
            }
            if (id === undefined) {
              unreadable.push(record.seq);
              continue;
            }
            ids.set(id, [...(ids.get(id) ?? []), record.seq]);
          }
          expect(unreadable, 'every intake record carries a message id in its sealed metadata').toEqual([]);
          const duplicates = [...ids].filter(([, seqs]) => seqs.length > 1).map(([id, seqs]) => `${id} at seqs ${seqs.join(', ')}`);
          expect(duplicates).toEqual([]);
          // Every id is a demo message id; the import keeps up to 64 messages in flight, so the durable
          // ones need not be a prefix of the generation order, but there are at least as many as reported.
          const strange = [...ids.keys()].filter((id) => !/^DEMO\d{9}$/.test(id));
          expect(strange).toEqual([]);
          expect(ids.size, 'distinct messages ≥ messages demo.progress reported durable').toBeGreaterThanOrEqual(seen.ackedMessages);
          console.log(`${ids.size} distinct demo messages, none twice; ${seen.ackedMessages} were reported durable before the kill`);
        });

        await steps.run('vault:check: consistent, no torn tail, one repair that truncated bytes', async () => {
          const after = await runVaultCheck(dataDir);
          expect(after.exitCode, describeCheck(after)).toBe(0);
          const report = after.report!;
          expect(report.errors).toEqual([]);
          expect(report.journal.tornTail).toBe(false);
          expect(report.journal.repairs).toHaveLength(1);
          expect(report.journal.repairs[0]!.truncatedBytes).toBeGreaterThan(0);
          if (!tear.natural) expect(report.journal.repairs[0]!.truncatedBytes, 'exactly the emulated partial frame was cut').toBe(tear.appendedBytes);
          expect(report.journal.records).toBe(records.length);
          expect(report.objects).toBeGreaterThan(0);
        });
        console.log(steps.summary());
      } finally {
        for (const shell of shells) await shell.cleanup();
        await removeDir(dataDir);
      }
    },
    120_000,
  );
});
