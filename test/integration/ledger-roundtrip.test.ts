import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { bytes32Of } from '../../shared/ledger/ledger-schema';
import { merkleRoot, objectIdLeaf } from '../../shared/ledger/merkle';
import { createVaultService, type VaultServiceWithReady } from '../../renderer/vault/create-vault-service';
import { REPO_ROOT } from '../support/repo-paths';
import { useTempDirs } from '../support/temp-dir';
import { inProcessTransport } from '../support/in-process-transport';

/**
 * The signed ledger with the real body and the real mind in one process (as vault-roundtrip does):
 * create a vault → demo import → one INTAKE_BATCH per batch (its Merkle root recomputed from the
 * journal's object ids) → open a patient → an ACCESS entry, listed under "who accessed" → verify
 * → export → `npm run ledger:verify` accepts the file and refuses a hand-edited copy → rebuild
 * gives the identical ledger → node info exported and verified → a second window cannot fork the
 * chain.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const run = promisify(execFile);


function mind(body: Body, verifyAtUnlock = false): VaultServiceWithReady {
  const transport = inProcessTransport(body);
  return createVaultService({
    api: createApiClient(transport),
    transport,
    host: 'shell',
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    testOnlyPbkdf2Iterations: 1000,
    ledger: { verifyAtUnlock },
  });
}

/** `npm run --silent ledger:verify -- FILE`, as a child process: exit code and the JSON line. */
async function ledgerVerify(file: string): Promise<{ code: number; out: Record<string, unknown> }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'electron/ledger/ledger-verify-main.ts'), file], { cwd: REPO_ROOT });
    return { code: 0, out: JSON.parse(stdout) as Record<string, unknown> };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: JSON.parse(failed.stdout) as Record<string, unknown> };
  }
}

describe('signed ledger: body + mind', () => {
  const tempDir = useTempDirs();

  it('import → batches → access → verify → export → CLI → rebuild → node info', { timeout: 180_000 }, async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const api = createApiClient(inProcessTransport(body));
    const vault = mind(body);
    await vault.ready();
    const { ledger } = vault;
    try {
      await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
      const identity = await ledger.identity();
      expect(identity.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
      expect(identity).toMatchObject({ chainId: 31337, institutionRole: 'clinic', appVersion: '0.0.0-test' });

      const imported = await vault.importDemoData(25);
      await ledger.flush();
      const all = async () => ledger.entries({}, { limit: 1000 });
      let entries = await all();
      const batches = entries.filter((e) => e.kind === 'INTAKE_BATCH');
      // One entry per batch of up to 500 messages, never one per message.
      expect(batches).toHaveLength(Math.ceil(imported.messages / 500));
      expect(batches.reduce((sum, e) => sum + Number(e.summary['records']), 0)).toBe(imported.messages);
      expect(entries.some((e) => e.kind === 'OPERATOR_CHANGE' && e.summary['action'] === 'created')).toBe(true);
      expect(entries.map((e) => e.seq)).toEqual([...entries.keys()].map((i) => entries.length - i));

      // Each batch's Merkle root, recomputed from the object ids the journal holds for its range.
      const journal = (await api.journal.read({ after: 0, limit: 5000 })).records;
      for (const batch of batches) {
        const [from, to] = String(batch.summary['journal records']).split('–').map(Number);
        const objects = journal.filter((r) => r.seq >= from! && r.seq <= (to ?? from)! && r.kind.startsWith('intake.')).flatMap((r) => r.objects);
        expect(objects.length).toBe(batch.summary['objects']);
        expect(batch.inputs).toEqual([bytes32Of(merkleRoot(objects.map(objectIdLeaf)))]);
        expect(batch.summary['channel demo']).toBe(batch.summary['records']);
      }

      // Open a patient: an ACCESS entry, and the patient's "who accessed" lists it.
      const { patientIds } = await vault.search('');
      const patientId = patientIds[0]!;
      await vault.openPatient(patientId);
      await ledger.flush();
      const accesses = await ledger.accessesOf(patientId);
      expect(accesses).toHaveLength(1);
      expect(accesses[0]!.operatorName).toBe('Ada Admin');
      const access = await ledger.entry(accesses[0]!.seq);
      expect(access).toMatchObject({ kind: 'ACCESS', operator: accesses[0]!.operator, signer: identity.address });
      expect(access!.subject).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await ledger.accessesOf(patientIds[1]!)).toEqual([]);
      expect(await ledger.entries({ kinds: ['ACCESS'] }, { limit: 10 })).toHaveLength(1);
      // An administrator sees every operator's name, and who a recovery-key session was.
      const names = await ledger.operatorNames();
      expect(names[accesses[0]!.operator]).toBe('Ada Admin');
      expect(Object.values(names).sort()).toEqual(['Ada Admin', 'Recovery key holder']);

      // The institution: a SETTINGS_CHANGE entry and the identity shows it.
      await ledger.setInstitution({ name: 'St. Example Clinic', role: 'research' });
      await ledger.flush();
      expect(await ledger.identity()).toMatchObject({ institutionName: 'St. Example Clinic', institutionRole: 'research' });
      expect((await all()).find((e) => e.kind === 'SETTINGS_CHANGE')?.summary).toMatchObject({ setting: 'institution', value: 'St. Example Clinic' });

      // Verify: the whole chain and every signature.
      entries = await all();
      const verification = await ledger.verify();
      expect(verification).toMatchObject({ ok: true, entries: entries.length });
      expect(ledger.lastVerification()).toEqual(verification);

      // Export (0600), journaled as an EXPORT entry; the CLI verifies it.
      const exported = await ledger.exportLedger();
      expect(exported.entries).toBe(entries.length);
      expect(path.dirname(exported.path)).toBe(path.join(dataDir, 'exports'));
      expect(path.basename(exported.path)).toMatch(/^ledger-\d{8}T\d{6}Z\.jsonl$/);
      if (process.platform !== 'win32') expect((await stat(exported.path)).mode & 0o777).toBe(0o600);
      const good = await ledgerVerify(exported.path);
      expect(good).toEqual({ code: 0, out: { ok: true, entries: entries.length, node: identity.address, head: entries[0]!.entryHash } });
      await ledger.flush();
      expect((await all())[0]).toMatchObject({ kind: 'EXPORT', summary: { export: 'ledger', entries: entries.length } });

      // A hand-edited copy: one field of entry 2 changed.
      const lines = (await readFile(exported.path, 'utf8')).split('\n');
      const second = JSON.parse(lines[2]!) as { entry: Record<string, unknown> };
      second.entry['createdAt'] = Number(second.entry['createdAt']) + 1000;
      lines[2] = JSON.stringify(second);
      const edited = path.join(dataDir, 'edited.jsonl');
      await writeFile(edited, lines.join('\n'));
      const bad = await ledgerVerify(edited);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatchObject({ ok: false, entries: 1, firstBreak: { seq: 2 } });
      expect(String((bad.out['firstBreak'] as { problem: string }).problem)).toMatch(/^entry 2 was changed after it was signed/);

      // Rebuild: the ledger view comes back identical, and no entry is signed twice.
      const before = await all();
      await vault.rebuildIndex();
      await ledger.flush();
      expect(await all()).toEqual(before);

      // Node info: written, verified by the same CLI, journaled.
      const info = await ledger.exportNodeInfo();
      expect(path.basename(info.path)).toMatch(/^node-info-\d{8}T\d{6}Z\.json$/);
      expect(await ledgerVerify(info.path)).toEqual({ code: 0, out: { ok: true, format: 'hdms-node-info', node: identity.address } });
      const doc = JSON.parse(await readFile(info.path, 'utf8')) as { nodeInfo: Record<string, unknown> };
      expect(doc.nodeInfo).toMatchObject({ node: identity.address, institutionName: 'St. Example Clinic', role: 'research', appVersion: '0.0.0-test' });

      // Lock and unlock: the same node id (the key is derived, never stored), the chain still verifies.
      vault.lock();
      await expect(ledger.identity()).rejects.toMatchObject({ code: 'E_LOCKED' });
      const [admin] = await vault.operators();
      await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
      await vault.sync();
      expect((await ledger.identity()).address).toBe(identity.address);
      expect(await ledger.verify()).toMatchObject({ ok: true });

      // A second window of the same vault cannot fork the chain: both sign, one entry per act.
      const other = mind(body, true);
      await other.ready();
      await other.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
      // Its first replay is followed by a verification in the background.
      await vi.waitFor(() => expect(other.ledger.lastVerification()).toMatchObject({ ok: true }), { timeout: 20_000 });
      await vault.openPatient(patientIds[2]!);
      await Promise.all([ledger.flush(), other.ledger.flush()]);
      await Promise.all([ledger.flush(), other.ledger.flush()]);
      const mine = await all();
      expect(await other.ledger.entries({}, { limit: 1000 })).toEqual(mine);
      expect(mine.filter((e) => e.kind === 'ACCESS')).toHaveLength(2);
      expect(await other.ledger.verify()).toMatchObject({ ok: true, entries: mine.length });
      other.lock();
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
