import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { ERASURE_REGISTER_COPY, ERASURE_REGISTER_FILE, readErasureRegister, recordDigest } from '../../../electron/backup/erasure-register';
import { checkVault } from '../../../electron/storage/vault-check';
import { createOpener, createSealer } from '../../../shared/crypto/envelope';
import { BackupRestoredMetaSchema } from '../../../shared/journal/backup-meta';
import { openJson } from '../../../shared/journal/sealed-json';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, makeTestVault, readJournal, signIn, type TestVault } from '../vault/vault-test-support';

const tempDir = useTempDirs();

async function body(dataDir: string): Promise<Body> {
  return startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0 });
}

async function dataKeyFor(b: Body, vault: TestVault, file: string): Promise<string> {
  const inspected = await call(b, 'backup.inspect', { path: file });
  const key = await createOpener(vault.keys.intakeKeyPair.privateKey).exportDataKey(Buffer.from(inspected.envelopeHeader, 'base64url'));
  return Buffer.from(key).toString('base64url');
}

/** What the mind does for an erasure: journals the erasure record, then asks the body to erase. */
async function erase(b: Body, vault: TestVault, seqs: number[], objects: string[]): Promise<void> {
  const sealer = await createSealer(vault.keys.intakeKeyPair.publicKeyRaw);
  const meta = Buffer.from(await sealer.seal('journalMetadata', new TextEncoder().encode('{}'))).toString('base64url');
  const { seq } = await call(b, 'journal.append', { kind: 'erasure.patient', operator: null, objects: [], meta });
  await call(b, 'vault.erase', { erasureSeq: seq, seqs, objects });
}

async function objectReadable(b: Body, id: string): Promise<boolean> {
  const result = await b.router.dispatch('objects.read', { id, offset: 0, length: 16 }, callContext);
  return result.ok;
}

describe('restoring a backup older than an erasure', () => {
  it('applies the erasure again from the register in the data folder: the records are tombstones, their objects gone, nothing else changed', async () => {
    const dataDir = await tempDir();
    let b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 4, seed: 3 });
    const old = await call(b, 'backup.export', {});
    const before = await readJournal(b);
    const victims = before.filter((record) => record.kind === 'intake.demo').slice(2, 5);
    const seqs = victims.map((record) => record.seq);
    const objects = victims.flatMap((record) => record.objects);
    expect(objects.length).toBeGreaterThan(0);
    await erase(b, vault, seqs, objects);

    // The register: outside the vault, ids and digests only.
    const register = await readErasureRegister(path.join(dataDir, ERASURE_REGISTER_FILE));
    expect(register.erasures).toHaveLength(1);
    expect(register.erasures[0]!.records).toEqual(victims.map((record) => ({ seq: record.seq, digest: recordDigest(record) })));
    expect(register.erasures[0]!.objects).toEqual([...objects].sort());
    const registerText = await readFile(path.join(dataDir, ERASURE_REGISTER_FILE), 'utf8');
    for (const record of victims) if (record.meta !== null) expect(registerText).not.toContain(record.meta.slice(0, 40));
    await b.stop('quit');

    // The vault is lost; IT restores last week's backup into the same data folder.
    await rm(path.join(dataDir, 'vault'), { recursive: true, force: true });
    b = await body(dataDir);
    const restored = await call(b, 'backup.restore', { path: old.path, dataKey: await dataKeyFor(b, vault, old.path) });
    expect(restored.erasuresReapplied).toBe(1);
    await signIn(b, vault);
    const after = await readJournal(b);
    for (const record of before) {
      const now = after.find((r) => r.seq === record.seq)!;
      if (seqs.includes(record.seq)) expect(now).toMatchObject({ kind: 'erased', objects: [], meta: null, operator: null });
      else expect(now).toEqual(record);
    }
    expect(after.at(before.length)).toMatchObject({ kind: 'backup.restored' });
    // What the ledger signs as the RESTORE entry: the erasures re-applied, sealed to the vault.
    const note = BackupRestoredMetaSchema.parse(await openJson(createOpener(vault.keys.intakeKeyPair.privateKey), after.at(before.length)!.meta!));
    expect(note).toMatchObject({ act: 'restored', erasures: 1, records: seqs.length });
    for (const id of objects) expect(await objectReadable(b, id)).toBe(false);
    const kept = before.find((record) => record.kind === 'intake.demo' && !seqs.includes(record.seq))!;
    expect(await objectReadable(b, kept.objects[0]!)).toBe(true);
    await b.stop('quit');
    expect((await checkVault(dataDir)).errors).toEqual([]);
    expect(await readdir(path.join(dataDir, 'vault', 'tmp'))).toEqual([]);
  });

  it('uses the register copy kept beside the backups when the data folder is new, and never erases a later record that reuses a seq', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'backup.updateSettings', { destination });
    await call(b, 'demo.import', { patients: 2, seed: 8 });
    const old = await call(b, 'backup.export', {});
    expect(path.dirname(old.path)).toBe(destination);
    const oldJournal = await readJournal(b);
    // An erasure of a record made BEFORE the backup, and one of a record made AFTER it.
    const early = oldJournal.find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [early.seq], early.objects);
    await call(b, 'demo.import', { patients: 1, seed: 9 });
    const later = (await readJournal(b)).filter((record) => record.kind === 'intake.demo').at(-1)!;
    expect(later.seq).toBeGreaterThan(oldJournal.length);
    await erase(b, vault, [later.seq], later.objects);
    // The next backup carries the register beside it.
    await call(b, 'backup.export', {});
    expect((await readErasureRegister(path.join(destination, ERASURE_REGISTER_COPY))).erasures).toHaveLength(2);
    await b.stop('quit');

    // Another computer, a new data folder; only the destination folder survived. Restore the old one.
    const target = await tempDir();
    const fresh = await body(target);
    const restored = await call(fresh, 'backup.restore', { path: old.path, dataKey: await dataKeyFor(fresh, vault, old.path) });
    expect(restored.erasuresReapplied).toBe(1);
    await signIn(fresh, vault);
    const journal = await readJournal(fresh);
    expect(journal.find((record) => record.seq === early.seq)).toMatchObject({ kind: 'erased' });
    // The seq the later (erased) record had now belongs to new records: their digests differ, they stay.
    await call(fresh, 'demo.import', { patients: 1, seed: 10 });
    const reused = (await readJournal(fresh)).find((record) => record.seq === later.seq);
    expect(reused).toBeDefined();
    expect(reused!.kind).not.toBe('erased');
    // The new data folder keeps the erasures it was told of, and an erasure made here joins them
    // beside the backups instead of replacing them.
    expect((await readErasureRegister(path.join(target, ERASURE_REGISTER_FILE))).erasures).toHaveLength(2);
    await call(fresh, 'backup.updateSettings', { destination });
    const another = (await readJournal(fresh)).filter((record) => record.kind === 'intake.demo').at(-1)!;
    await erase(fresh, vault, [another.seq], another.objects);
    await call(fresh, 'backup.export', {});
    expect((await readErasureRegister(path.join(target, ERASURE_REGISTER_FILE))).erasures).toHaveLength(3);
    expect((await readErasureRegister(path.join(destination, ERASURE_REGISTER_COPY))).erasures).toHaveLength(3);
    await fresh.stop('quit');
    expect((await checkVault(target)).errors).toEqual([]);
  });

  it('copies the register beside the backups at the erasure itself: a new installation restoring the backup made before it erases the patient again (QA11 D1)', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'backup.updateSettings', { destination });
    await call(b, 'demo.import', { patients: 2, seed: 12 });
    const old = await call(b, 'backup.export', {});
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    // No backup after the erasure: the copy is there because the erasure wrote it.
    expect((await readErasureRegister(path.join(destination, ERASURE_REGISTER_COPY))).erasures).toHaveLength(1);
    expect((await call(b, 'backup.status', {})).erasureRecord).toBeNull();
    await b.stop('quit');

    const target = await tempDir();
    const fresh = await body(target);
    const restored = await call(fresh, 'backup.restore', { path: old.path, dataKey: await dataKeyFor(fresh, vault, old.path) });
    expect(restored.erasuresReapplied).toBe(1);
    await signIn(fresh, vault);
    expect((await readJournal(fresh)).find((record) => record.seq === victim.seq)).toMatchObject({ kind: 'erased' });
    await fresh.stop('quit');
  });

  it('a backup copied ALONE to another folder: the restore says it found no erasure register (never "nothing to apply again"), and applies the erasures of a register the admin chooses (QA issue 11)', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'backup.updateSettings', { destination });
    await call(b, 'demo.import', { patients: 2, seed: 14 });
    const old = await call(b, 'backup.export', {});
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    await b.stop('quit');
    // Only the file is copied elsewhere (a USB stick): the register stays in the destination.
    const alone = path.join(await tempDir(), 'elsewhere');
    await mkdir(alone);
    const copied = path.join(alone, path.basename(old.path));
    await copyFile(old.path, copied);

    const target = await tempDir();
    const fresh = await body(target);
    // Before the restore, the mind learns that no register is beside this file (the form asks for one).
    expect((await call(fresh, 'backup.inspect', { path: copied })).erasureRegister).toBe('none');
    expect((await call(fresh, 'backup.inspect', { path: old.path })).erasureRegister).toBe('beside');
    // A chosen register that is not there is refused, and nothing is restored.
    const missing = await fresh.router.dispatch('backup.restore', { path: copied, dataKey: await dataKeyFor(fresh, vault, copied), erasureRegister: path.join(alone, ERASURE_REGISTER_COPY) }, callContext);
    expect(missing).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST', message: expect.stringMatching(/No erasure register at that path/) } });
    await expect(call(fresh, 'vault.status', {})).resolves.toEqual({ state: 'absent' });
    // Restored without one: the answer says no register was consulted (not "no erasure to apply").
    const unchecked = await call(fresh, 'backup.restore', { path: copied, dataKey: await dataKeyFor(fresh, vault, copied) });
    expect(unchecked).toMatchObject({ erasuresReapplied: 0, erasureRegister: 'none' });
    await fresh.stop('quit');

    // Again on another new installation, with the register chosen from the destination: she stays erased.
    const second = await tempDir();
    const again = await body(second);
    const restored = await call(again, 'backup.restore', {
      path: copied,
      dataKey: await dataKeyFor(again, vault, copied),
      erasureRegister: path.join(destination, ERASURE_REGISTER_COPY),
    });
    expect(restored).toMatchObject({ erasuresReapplied: 1, erasureRegister: 'chosen' });
    await signIn(again, vault);
    expect((await readJournal(again)).find((record) => record.seq === victim.seq)).toMatchObject({ kind: 'erased' });
    // The new data folder keeps what it was told, for its later backups.
    expect((await readErasureRegister(path.join(second, ERASURE_REGISTER_FILE))).erasures).toHaveLength(1);
    await again.stop('quit');
  });

  it('a backup folder with no erasure yet holds an (empty) register beside the backups, so a restore from it is known to be checked', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 1, seed: 15 });
    const made = await call(b, 'backup.export', {});
    expect((await readErasureRegister(path.join(path.dirname(made.path), ERASURE_REGISTER_COPY))).erasures).toEqual([]);
    await expect(stat(path.join(path.dirname(made.path), ERASURE_REGISTER_COPY))).resolves.toBeTruthy();
    await b.stop('quit');
    const target = await tempDir();
    const fresh = await body(target);
    expect((await call(fresh, 'backup.inspect', { path: made.path })).erasureRegister).toBe('beside');
    const restored = await call(fresh, 'backup.restore', { path: made.path, dataKey: await dataKeyFor(fresh, vault, made.path) });
    expect(restored).toMatchObject({ erasuresReapplied: 0, erasureRegister: 'beside' });
    await fresh.stop('quit');
  });

  it('erases even when the destination is unavailable, says so in the backup status, and copies the register once the destination is back or another is chosen (QA11 D1)', async () => {
    const dataDir = await tempDir();
    const destination = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'backup.updateSettings', { destination });
    await call(b, 'demo.import', { patients: 2, seed: 13 });
    await call(b, 'backup.export', {});
    // The share is gone (unmounted, offline): its folder and what it holds go with it.
    const offline = `${destination}-offline`;
    await rename(destination, offline);
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    await erase(b, vault, [victim.seq], victim.objects);
    expect((await readJournal(b)).find((record) => record.seq === victim.seq)).toMatchObject({ kind: 'erased' });
    const status = await call(b, 'backup.status', {});
    expect(status.erasureRecord).toMatchObject({ reason: expect.stringMatching(/could not be copied beside the backups/) });
    expect(status.erasureRecord!.reason).not.toContain(destination);

    // The destination is back: the next backup copies the register and clears the warning.
    await rename(offline, destination);
    await call(b, 'backup.export', {});
    expect((await readErasureRegister(path.join(destination, ERASURE_REGISTER_COPY))).erasures).toHaveLength(1);
    expect((await call(b, 'backup.status', {})).erasureRecord).toBeNull();

    // A new destination gets the register when it is saved, before any backup is made there.
    const other = await tempDir();
    await call(b, 'backup.updateSettings', { destination: other });
    expect((await readErasureRegister(path.join(other, ERASURE_REGISTER_COPY))).erasures).toHaveLength(1);
    await b.stop('quit');
  });

  it('keeps no register entry for an erasure the body refused (nothing was erased, so no restore may erase it)', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 1, seed: 6 });
    const victim = (await readJournal(b)).find((record) => record.kind === 'intake.demo')!;
    // Another record refers to the victim's object: erasing the object alone is refused.
    await call(b, 'journal.append', { kind: 'view.access', operator: vault.keyring.operators[0]!.operatorId, objects: victim.objects, meta: null });
    const sealer = await createSealer(vault.keys.intakeKeyPair.publicKeyRaw);
    const meta = Buffer.from(await sealer.seal('journalMetadata', new TextEncoder().encode('{}'))).toString('base64url');
    const { seq } = await call(b, 'journal.append', { kind: 'erasure.patient', operator: null, objects: [], meta });
    const refused = await b.router.dispatch('vault.erase', { erasureSeq: seq, seqs: [victim.seq], objects: victim.objects }, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect((await readErasureRegister(path.join(dataDir, ERASURE_REGISTER_FILE))).erasures).toEqual([]);
    await b.stop('quit');
  });

  it('refuses to restore when the register is damaged, rather than restoring erased data', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 1, seed: 2 });
    const old = await call(b, 'backup.export', {});
    await b.stop('quit');
    const target = await tempDir();
    await writeFile(path.join(target, ERASURE_REGISTER_FILE), '{"format":"hdms-erasure-register","version":1,"erasures":[{"at":');
    const fresh = await body(target);
    const refused = await fresh.router.dispatch('backup.restore', { path: old.path, dataKey: await dataKeyFor(fresh, vault, old.path) }, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_CONFLICT', message: expect.stringMatching(/erasure register .* is damaged/) } });
    await expect(call(fresh, 'vault.status', {})).resolves.toEqual({ state: 'absent' });
    await fresh.stop('quit');
  });
});

describe('a damaged or cut-short backup file', () => {
  it('is reported as damaged, never as a wrong key or passphrase', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir);
    const vault = await makeTestVault();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn(b, vault);
    await call(b, 'demo.import', { patients: 3, seed: 4 });
    const exported = await call(b, 'backup.export', {});
    await b.stop('quit');
    const bytes = await readFile(exported.path);
    const dir = await tempDir();
    const target = await tempDir();
    const fresh = await body(target);
    const variants: Array<[string, Buffer]> = [
      ['cut in its sealed body', bytes.subarray(0, Math.floor(bytes.length / 2))],
      ['cut just after its preamble', bytes.subarray(0, 200)],
      ['one flipped byte in its sealed body', Buffer.from(bytes.map((byte, i) => (i === bytes.length - 5000 ? byte ^ 0x20 : byte)))],
    ];
    // A flipped byte inside the keyring's wrapped key material in the clear preamble.
    const preambleText = bytes.toString('latin1');
    const wrapped = preambleText.indexOf('"wrapped');
    expect(wrapped).toBeGreaterThan(0);
    const flipAt = preambleText.indexOf('"', preambleText.indexOf(':', wrapped) + 2) - 3;
    variants.push(['one altered character in its keyring', Buffer.from(bytes.map((byte, i) => (i === flipAt ? (byte === 0x41 ? 0x42 : 0x41) : byte)))]);
    for (const [what, content] of variants) {
      const file = path.join(dir, `${what.replace(/\W+/g, '-')}.hdmsbak`);
      await writeFile(file, content);
      let message = '';
      const inspected = await fresh.router.dispatch('backup.inspect', { path: file }, callContext);
      if (!inspected.ok) message = inspected.error.message;
      else {
        const key = await createOpener(vault.keys.intakeKeyPair.privateKey).exportDataKey(Buffer.from((inspected.value as { envelopeHeader: string }).envelopeHeader, 'base64url'));
        const result = await fresh.router.dispatch('backup.restore', { path: file, dataKey: Buffer.from(key).toString('base64url') }, callContext);
        expect(result.ok, what).toBe(false);
        if (!result.ok) message = result.error.message;
      }
      expect(message, what).toMatch(/damaged/);
      expect(message, what).not.toMatch(/passphrase|not an HDMS Node backup/);
      await expect(call(fresh, 'vault.status', {})).resolves.toEqual({ state: 'absent' });
    }
    await fresh.stop('quit');
    expect((await stat(exported.path)).size).toBe(bytes.length);
  });
});

