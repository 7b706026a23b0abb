import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { startBody } from '../../electron/body';
import { fromBase64Url } from '../../shared/crypto/bytes';
import { createSealer } from '../../shared/crypto/envelope';
import { createApiClient } from '../../shared/ipc/api-client';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import type { AccessMeta } from '../../shared/journal/mind-meta';
import { sealJson } from '../../shared/journal/sealed-json';
import { createVaultService } from '../../renderer/vault/create-vault-service';
import { inProcessTransport } from '../support/in-process-transport';
import { useTempDirs } from '../support/temp-dir';

/**
 * Mind events need the mind's authenticator, with the real body: a `view.access` appended on the
 * mind's own (proven) body connection but sealed with only the public intake key is not signed as
 * an ACCESS entry and not listed under "who accessed"; the mind's own access is.
 */

const PASSPHRASE = 'violet tractor amber seventeen';

describe('mind event authenticator: body + mind', () => {
  const tempDir = useTempDirs();

  it('a forged view.access is not listed under "who accessed"; a genuine one is', { timeout: 120_000 }, async () => {
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const transport = inProcessTransport(body);
    // The same connection, so the same operator session as the mind: only the key is missing.
    const intruder = createApiClient(inProcessTransport(body));
    const vault = createVaultService({ api: createApiClient(transport), transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    try {
      await vault.ready();
      await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
      await vault.importDemoData(3);
      await vault.ledger.flush();
      const patientId = (await vault.search('')).patientIds[0]!;

      const { records } = await intruder.journal.read({ after: 0, limit: 256 });
      const operator = records.find((r) => r.operator !== null)!.operator;
      const { keyring } = await intruder.vault.keyring({});
      const sealer = await createSealer(fromBase64Url(keyring!.intakePublicKey));
      const meta: AccessMeta = { v: 1, patientId, recordId: null, at: new Date().toISOString() };
      const { seq: forged } = await intruder.journal.append({ kind: MIND_KINDS.access, operator, objects: [], meta: await sealJson(sealer, meta) });
      await vault.sync();
      await vault.ledger.flush();
      expect(await vault.ledger.accessesOf(patientId)).toEqual([]);
      expect((await vault.ledger.entries({ kinds: ['ACCESS'] }, { limit: 100 })).length).toBe(0);
      await vi.waitFor(() => expect(vault.ledger.writerProblem()).toBeNull());

      await vault.openPatient(patientId);
      await vault.ledger.flush();
      const accesses = await vault.ledger.accessesOf(patientId);
      expect(accesses).toHaveLength(1);
      expect(accesses[0]!.operatorName).toBe('Ada Admin');
      // The forged record falls inside the genuine entry's range, listed as rejected in its details.
      const entry = await vault.ledger.entry(accesses[0]!.seq);
      const [from, to] = String(entry!.summary['journal records']).split('–').map(Number);
      expect(from).toBeLessThanOrEqual(forged);
      expect(to).toBe(forged + 1);
      expect(entry!.summary['rejected records']).toBe(1);
      expect((await vault.ledger.verify()).ok).toBe(true);
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
