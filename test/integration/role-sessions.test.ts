import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import type { Keyring } from '../../shared/ipc/vault-contract';
import { createPassphraseSlot } from '../../shared/crypto/key-slots';
import { generateOperatorSigningKey } from '../../shared/crypto/operator-signing';
import { randomBytes, toBase64Url } from '../../shared/crypto/bytes';
import type { VaultServiceWithReady } from '../../renderer/vault/create-vault-service';
import { sealKeyring } from '../../renderer/vault/session/keyring/keyring-integrity';
import { codeOf, windowOf } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * Roles are keys (design §3, issue 9 §2), with the real body and the real mind: a researcher's and
 * an auditor's passphrase opens a role slot that holds no master. The researcher sees the ledger
 * (signatures checked) with pseudonyms only; the auditor sees the same ledger with the names behind
 * its subjects and operators; neither can open a patient, search, read the journal or write to the
 * ledger, and the body refuses them too. A researcher's slot from before role slots (the master
 * wrapped under their passphrase) is re-made as a role slot at their next unlock.
 */

const ADMIN_PASSPHRASE = 'violet tractor amber seventeen';
const RITA_PASSPHRASE = 'quiet harbor lantern ninety';
const AUDREY_PASSPHRASE = 'granite meadow copper eleven';

function start(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
}

async function keysOnDisk(dataDir: string): Promise<Keyring> {
  return JSON.parse(await readFile(path.join(dataDir, 'vault', 'keys.json'), 'utf8')) as Keyring;
}

/** Everything a clinical session may do that a restricted one must not, each expected to be refused. */
async function expectNothingClinical(vault: VaultServiceWithReady, patientId: string): Promise<void> {
  expect(await codeOf(vault.search(''))).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.openPatient(patientId))).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.patientHits([patientId]))).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.openQuarantinedRaw(1))).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.discardQuarantined(1))).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.rebuildIndex())).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.exportBackup())).toBe('E_NOT_ALLOWED');
  expect(await codeOf(vault.ledger.setInstitution({ name: 'X', role: 'clinic' }))).toBe('E_NOT_ALLOWED');
}

describe('roles are keys: researcher and auditor sessions', () => {
  const tempDir = useTempDirs();

  it('a researcher sees the ledger without names, an auditor with them, and neither anything clinical', { timeout: 180_000 }, async () => {
    const dataDir = await tempDir();
    const body = await start(dataDir);
    const profile = new IDBFactory();
    const { api, vault } = windowOf(body, profile);
    try {
      await vault.ready();
      const { recoveryKey } = await vault.create({ operatorName: 'Ada Admin', passphrase: ADMIN_PASSPHRASE });
      await vault.importDemoData(8);
      const rita = await vault.addOperator({ name: 'Rita Researcher', role: 'researcher', passphrase: RITA_PASSPHRASE });
      const audrey = await vault.addOperator({ name: 'Audrey Auditor', role: 'auditor', passphrase: AUDREY_PASSPHRASE });
      const { patientIds } = await vault.search('');
      const patientId = patientIds[0]!;
      const { patient } = await vault.openPatient(patientId);
      await vault.ledger.flush();
      const adminEntries = await vault.ledger.entries({}, { limit: 1000 });
      const access = adminEntries.find((entry) => entry.kind === 'ACCESS')!;
      const patientName = `${patient.name.family}, ${patient.name.given.join(' ')}`;
      // The admin holds the directory key too: the subject's name, resolved on this computer.
      expect(access.subjectName).toBe(patientName);
      const adminId = vault.currentOperator()!.operatorId;
      vault.lock();

      // Their slots hold no master: format 3, a signing key (32 bytes) plus the grant's secrets.
      const keyring = await keysOnDisk(dataDir);
      const slotOf = (operatorId: string) => keyring.slots.find((slot) => slot.operatorId === operatorId)!;
      expect(slotOf(rita.operatorId)).toMatchObject({ version: 3, grant: 'researcher' });
      expect(slotOf(audrey.operatorId)).toMatchObject({ version: 3, grant: 'auditor' });
      expect(slotOf(adminId)).toMatchObject({ version: 2 });

      // The researcher.
      await vault.unlock({ operatorId: rita.operatorId, passphrase: RITA_PASSPHRASE });
      expect(vault.phase()).toBe('unlocked');
      expect(vault.currentOperator()).toMatchObject({ name: 'Rita Researcher', role: 'researcher' });
      await expect(api.vault.session({})).resolves.toMatchObject({ session: { operatorId: rita.operatorId, role: 'researcher' } });
      const ritaEntries = await vault.ledger.entries({}, { limit: 1000 });
      expect(ritaEntries.map((entry) => entry.entryHash)).toEqual(adminEntries.map((entry) => entry.entryHash));
      expect(ritaEntries.every((entry) => entry.subjectName === undefined)).toBe(true);
      // A name in the subject filter finds nothing for her: her slot holds no directory key.
      expect(await vault.ledger.entries({ subject: patient.name.family }, { limit: 1000 })).toEqual([]);
      expect(await vault.ledger.operatorNames()).toEqual({});
      expect(await vault.ledger.verify()).toMatchObject({ ok: true, entries: adminEntries.length });
      expect((await vault.ledger.identity()).address).toBe(access.signer);
      await expectNothingClinical(vault, patientId);
      // A researcher does not export the ledger (an auditor does, below: QA11 D3).
      expect(await codeOf(vault.ledger.exportLedger())).toBe('E_NOT_ALLOWED');
      // The body refuses the same: the journal and the objects are clinical.
      expect(await codeOf(api.journal.read({ after: 0, limit: 10 }))).toBe('E_FORBIDDEN');
      expect(await codeOf(api.objects.read({ id: '0'.repeat(64), offset: 0, length: 16 }))).toBe('E_FORBIDDEN');
      expect(await codeOf(vault.changePassphrase({ current: RITA_PASSPHRASE, next: 'a brand new passphrase 77' }))).toBe('E_NOT_ALLOWED');
      vault.lock();
      await expect(api.vault.session({})).resolves.toEqual({ session: null });

      // The auditor: the same ledger, with names.
      await vault.unlock({ operatorId: audrey.operatorId, passphrase: AUDREY_PASSPHRASE });
      expect(vault.currentOperator()).toMatchObject({ role: 'auditor' });
      const audreyEntries = await vault.ledger.entries({}, { limit: 1000 });
      expect(audreyEntries.find((entry) => entry.seq === access.seq)?.subjectName).toBe(patientName);
      expect((await vault.ledger.entry(access.seq))?.subjectName).toBe(patientName);
      // The subject filter takes the start of a name (case and accents folded), looked up locally.
      const byName = await vault.ledger.entries({ subject: patient.name.family.slice(0, 3).toLowerCase() }, { limit: 1000 });
      expect(byName.map((entry) => entry.seq)).toContain(access.seq);
      expect(byName.every((entry) => entry.subjectName !== undefined && entry.subjectName.toLowerCase().includes(patient.name.family.slice(0, 3).toLowerCase()))).toBe(true);
      const names = await vault.ledger.operatorNames();
      expect(names[access.operator]).toBe('Ada Admin');
      expect(Object.values(names)).toEqual(expect.arrayContaining(['Ada Admin', 'Rita Researcher', 'Audrey Auditor']));
      expect(await vault.ledger.verify()).toMatchObject({ ok: true });
      expect(await vault.journalIssues()).toEqual({ problems: 0, rejected: 0, identityConflicts: 0 });
      await expectNothingClinical(vault, patientId);
      // An auditor exports the signed ledger (hashes, pseudonyms, signatures: what this view shows; QA11 D3).
      expect((await vault.ledger.exportLedger()).entries).toBe(audreyEntries.length);
      vault.lock();

      // An erased patient's name leaves the directory with the patient.
      await vault.unlock({ operatorId: adminId, passphrase: ADMIN_PASSPHRASE });
      await vault.erasePatient(patientId);
      await vault.ledger.flush();
      expect((await vault.ledger.entries({}, { limit: 1000 })).some((entry) => entry.subjectName === patientName)).toBe(false);
      vault.lock();

      // A researcher who forgot their passphrase recovers with the recovery key: their new slot is
      // a role slot again, and they go on in their role, not as the recovery key's administrator.
      await vault.recover({ operatorId: rita.operatorId, recoveryKey, newPassphrase: 'a brand new passphrase 77' });
      expect(vault.currentOperator()).toMatchObject({ role: 'researcher' });
      await expect(api.vault.session({})).resolves.toMatchObject({ session: { operatorId: rita.operatorId, role: 'researcher' } });
      expect(await codeOf(vault.search(''))).toBe('E_NOT_ALLOWED');
      expect((await keysOnDisk(dataDir)).slots.filter((slot) => slot.operatorId === rita.operatorId)).toMatchObject([{ version: 3, grant: 'researcher' }]);
      vault.lock();
      await vault.unlock({ operatorId: rita.operatorId, passphrase: 'a brand new passphrase 77' });
      expect(vault.currentOperator()).toMatchObject({ role: 'researcher' });
      vault.lock();
    } finally {
      await body.stop('quit');
    }
  });

  it("re-makes a researcher's slot from before role slots (it wrapped the master) as a role slot at their next unlock", { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    let body = await start(dataDir);
    const profile = new IDBFactory();
    let ritaId = '';
    try {
      const { vault } = windowOf(body, profile);
      await vault.ready();
      await vault.create({ operatorName: 'Ada Admin', passphrase: ADMIN_PASSPHRASE });
      vault.lock();
    } finally {
      await body.stop('quit');
    }
    // What an older version wrote: the researcher's passphrase slot wraps the vault master. Only a
    // master holder can seal the keyring, so the test does what the older admin's mind did.
    const before = await keysOnDisk(dataDir);
    const master = await masterOf(before, ADMIN_PASSPHRASE);
    ritaId = toBase64Url(randomBytes(16));
    const legacySlot = await createPassphraseSlot({ master, operatorId: ritaId, passphrase: RITA_PASSPHRASE, testOnlyIterations: 1000, signingKey: await generateOperatorSigningKey() });
    const older = await sealKeyring(master, {
      ...before,
      revision: before.revision + 1,
      operators: [...before.operators, { operatorId: ritaId, name: 'Rita Researcher', role: 'researcher', disabled: false }],
      slots: [...before.slots, legacySlot],
    });
    master.fill(0);
    await writeFile(path.join(dataDir, 'vault', 'keys.json'), JSON.stringify(older));

    body = await start(dataDir);
    try {
      const { api, vault } = windowOf(body, profile);
      await vault.ready();
      await vault.unlock({ operatorId: ritaId, passphrase: RITA_PASSPHRASE });
      expect(vault.currentOperator()).toMatchObject({ role: 'researcher' });
      const after = await keysOnDisk(dataDir);
      expect(after.revision).toBe(older.revision + 1);
      expect(after.slots.find((slot) => slot.operatorId === ritaId)).toMatchObject({ version: 3, grant: 'researcher', id: legacySlot.id });
      // Nothing else changed.
      const rest = (k: Keyring) => JSON.stringify({ ...k, revision: 0, integrity: '', slots: k.slots.filter((slot) => slot.operatorId !== ritaId) });
      expect(rest(after)).toBe(rest(older));
      // No kept keyring still wraps the master under her passphrase (the one just replaced included).
      const kept = await readdir(path.join(dataDir, 'vault', 'keyrings')).catch(() => [] as string[]);
      for (const name of kept) {
        const text = await readFile(path.join(dataDir, 'vault', 'keyrings', name), 'utf8');
        expect(text).not.toContain(legacySlot.wrapped);
      }
      // (That slot really did open the master with her passphrase: what the deleted copies held.)
      expect(await codeOf(masterOf({ ...older, slots: older.slots.filter((slot) => slot.id === legacySlot.id) }, RITA_PASSPHRASE))).toBeUndefined();
      expect(await codeOf(vault.search(''))).toBe('E_NOT_ALLOWED');
      expect(await codeOf(api.journal.read({ after: 0, limit: 10 }))).toBe('E_FORBIDDEN');
      vault.lock();
      // The next unlock opens the role slot directly.
      await vault.unlock({ operatorId: ritaId, passphrase: RITA_PASSPHRASE });
      expect((await keysOnDisk(dataDir)).revision).toBe(after.revision);
      vault.lock();
    } finally {
      await body.stop('quit');
    }
  });
});

async function masterOf(keyring: Keyring, passphrase: string): Promise<Uint8Array> {
  const { unwrapSlot } = await import('../../shared/crypto/key-slots');
  const slot = keyring.slots.find((candidate) => candidate.kind === 'passphrase')!;
  return unwrapSlot(slot, passphrase);
}
