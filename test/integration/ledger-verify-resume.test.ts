import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import { createApiClient } from '../../shared/ipc/api-client';
import { VERIFIED_HEAD_KEY } from '../../renderer/ledger/verified-head';
import { createVaultService, type VaultServiceWithReady } from '../../renderer/vault/create-vault-service';
import { openVaultDb } from '../../renderer/vault/views/vault-db';
import type { LedgerVerification } from '../../renderer/ledger/ledger-service';
import { inProcessTransport } from '../support/in-process-transport';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * Unlock no longer re-verifies the whole ledger (issue 10 item 8): it resumes after the last
 * verified head, kept with an HMAC in the views. A head whose tag fails is not trusted (the whole
 * chain is checked again), and an entry changed after the head is still caught.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

/** Waits for the background verification an unlock starts. */
async function verificationAfterUnlock(vault: VaultServiceWithReady): Promise<LedgerVerification> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const last = vault.ledger.lastVerification();
      if (last === null) return false;
      unsubscribe();
      resolve(last);
      return true;
    };
    const unsubscribe = vault.ledger.subscribe(() => void check());
    check();
  });
}

describe('ledger verification at unlock resumes after the verified head', () => {
  const tempDir = useTempDirs();

  it('verifies only what is new, distrusts a forged head, and still catches a later change', { timeout: 120_000 }, async () => {
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    cleanup(() => body.stop('quit'));
    const profile = new IDBFactory();
    const transport = inProcessTransport(body);
    const vault = createVaultService({ api: createApiClient(transport), transport, host: 'shell', indexedDB: profile, IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    await vault.importDemoData(6);
    await vault.ledger.flush();
    const full = await vault.ledger.verify();
    expect(full).toMatchObject({ ok: true });
    expect(full.resumedAfter).toBeUndefined();
    const admin = vault.currentOperator()!;
    const vaultId = (await createApiClient(transport).vault.directory({})).directory!.vaultId;

    vault.lock();
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    const resumed = await verificationAfterUnlock(vault);
    expect(resumed).toMatchObject({ ok: true, resumedAfter: { seq: full.entries } });
    expect(resumed.entries).toBeGreaterThanOrEqual(full.entries);

    // A head whose tag does not hold (edited in the profile) is ignored: the whole chain is checked.
    vault.lock();
    const db = openVaultDb(vaultId, { indexedDB: profile, IDBKeyRange });
    await db.open();
    const stored = (await db.meta.get(VERIFIED_HEAD_KEY))!.value as Record<string, unknown>;
    await db.meta.put({ key: VERIFIED_HEAD_KEY, value: { ...stored, seq: 1 } });
    db.close();
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    const distrusted = await verificationAfterUnlock(vault);
    expect(distrusted).toMatchObject({ ok: true });
    expect(distrusted.resumedAfter).toBeUndefined();

    // An entry after the head, changed in the view, is caught by the resumed check.
    await vault.openPatient((await vault.search('')).patientIds[0]!);
    await vault.ledger.flush();
    const head = (await vault.ledger.verify()).entries;
    await vault.openPatient((await vault.search('')).patientIds[1]!);
    await vault.ledger.flush();
    vault.lock();
    const db2 = openVaultDb(vaultId, { indexedDB: profile, IDBKeyRange });
    await db2.open();
    const last = (await db2.ledger.orderBy(':id').last())!;
    expect(last.seq).toBeGreaterThan(head);
    await db2.ledger.put({ ...last, entry: { ...(last.entry as Record<string, unknown>), createdAt: 1 } });
    db2.close();
    await vault.unlock({ operatorId: admin.operatorId, passphrase: PASSPHRASE });
    const caught = await verificationAfterUnlock(vault);
    expect(caught).toMatchObject({ ok: false, resumedAfter: { seq: head }, firstBreak: { seq: last.seq } });
    vault.lock();
  });
});
