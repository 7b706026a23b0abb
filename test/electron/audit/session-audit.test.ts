import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { workstationName } from '../../../electron/audit/audit-journal';
import { createOpener } from '../../../shared/crypto/envelope';
import { ExportAuditMetaSchema, SessionAuditMetaSchema } from '../../../shared/journal/audit-meta';
import { AUDIT_KINDS } from '../../../shared/journal/journal-kinds';
import { fromBase64Url, toBase64Url } from '../../../shared/crypto/bytes';
import { signSessionProof } from '../../../shared/crypto/operator-signing';
import type { ResponseOf } from '../../../shared/ipc';
import { openJson } from '../../../shared/journal/sealed-json';
import { useTempDirs } from '../../support/temp-dir';
import { call, callContext, makeTestVault, readJournal, signIn, type TestVault } from '../vault/vault-test-support';

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

async function nodeWithVault(): Promise<{ b: Body; vault: TestVault }> {
  const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', mllpPort: 0, dicomPort: 0 });
  bodies.push(b);
  const vault = await makeTestVault();
  await call(b, 'vault.create', { keyring: vault.keyring });
  return { b, vault };
}

async function sessionRecords(b: Body, vault: TestVault) {
  // Read as an admin would (journal.read needs a clinical session); that sign-in is recorded too.
  const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
  const records = (await readJournal(b)).filter((record) => record.kind === AUDIT_KINDS.session);
  return Promise.all(records.map(async (record) => ({ record, meta: SessionAuditMetaSchema.parse(await openJson(opener, record.meta!)) })));
}

describe('the body journals sign-in, lock and failed unlocks (audit.session)', () => {
  it('a sign-in carries the failed attempts before it, each of which is a failed unlock of its own; a lock and a closed window are recorded; the meta is sealed', async () => {
    const { b, vault } = await nodeWithVault();
    // Two attempts begun and never proven: two wrong passphrases as far as the body knows. Each
    // is settled as failed when the window begins the next one.
    await call(b, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await call(b, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await signIn(b, vault);
    // The failed unlocks are journaled in the background.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await call(b, 'vault.lock', {});
    await signIn(b, vault);
    b.connectionClosed(callContext.connectionId);
    // The closed window is journaled in the background; a new session reads the journal.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await signIn(b, vault);

    const records = await sessionRecords(b, vault);
    expect(records.map(({ meta }) => [meta.event, meta.failedAttempts, meta.operatorId, meta.role, meta.slot])).toEqual([
      ['unlockFailed', 0, vault.operatorId, 'admin', 'passphrase'],
      ['unlockFailed', 1, vault.operatorId, 'admin', 'passphrase'],
      ['signedIn', 2, vault.operatorId, 'admin', 'passphrase'],
      ['locked', 0, vault.operatorId, 'admin', 'passphrase'],
      ['signedIn', 0, vault.operatorId, 'admin', 'passphrase'],
      ['closed', 0, vault.operatorId, 'admin', 'passphrase'],
      ['signedIn', 0, vault.operatorId, 'admin', 'passphrase'],
    ]);
    for (const { record, meta } of records) {
      expect(record.operator).toBeNull();
      expect(meta.workstation).toMatch(/ \(browser shell\)$/);
      // Sealed: nothing of it in the clear.
      expect(record.meta).not.toContain(vault.operatorId);
    }
  }, 20_000);

  it('an automatic lock (idle) is told apart from a lock by hand: vault.lock { idle: true } journals idle: true; a lock by hand carries no idle (QA issue 11)', async () => {
    const { b, vault } = await nodeWithVault();
    await signIn(b, vault);
    await call(b, 'vault.lock', { idle: true });
    await signIn(b, vault);
    await call(b, 'vault.lock', {});
    await signIn(b, vault);
    const locks = (await sessionRecords(b, vault)).filter(({ meta }) => meta.event === 'locked').map(({ meta }) => meta);
    expect(locks).toHaveLength(2);
    expect(locks[0]).toMatchObject({ event: 'locked', idle: true });
    expect(locks[1]).not.toHaveProperty('idle');
  }, 20_000);

  it('records failed unlocks that no sign-in follows: a window closed after a wrong recovery key, and a proof that does not verify (issue 11)', async () => {
    const { b, vault } = await nodeWithVault();
    const ward = { transport: 'in-process', connectionId: 'ward-pc' } as const;
    const begun = await b.router.dispatch('vault.unlockBegin', { operatorId: 'recovery', kind: 'recovery' }, ward);
    expect(begun.ok).toBe(true);
    // The recovery key did not open the slot; the window is closed. Nobody signs in with it, ever.
    b.connectionClosed(ward.connectionId);
    // Another window: a forged proof.
    const desk = { transport: 'in-process', connectionId: 'desk-pc' } as const;
    const forged = await b.router.dispatch('vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' }, desk);
    const served = forged.ok ? (forged.value as ResponseOf<'vault.unlockBegin'>) : null;
    if (served?.state !== 'ready') throw new Error('not served');
    const refused = await b.router.dispatch('vault.unlockFinish', { attempt: served.attempt, signature: Buffer.alloc(64, 1).toString('base64url') }, desk);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    // Past the throttle's delay after that failure (and the records are journaled in the background).
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Read as an admin: that sign-in is recorded after them, counting the forged attempt on its slot.
    await signIn(b, vault);
    const records = await sessionRecords(b, vault);
    expect(records.map(({ meta }) => [meta.event, meta.operatorId, meta.slot, meta.failedAttempts])).toEqual([
      ['unlockFailed', 'recovery', 'recovery', 0],
      ['unlockFailed', vault.operatorId, 'passphrase', 0],
      ['signedIn', vault.operatorId, 'passphrase', 1],
    ]);
    // When the attempt began, not when it was settled.
    expect(Date.parse(records[0]!.meta.at)).toBeLessThanOrEqual(Date.parse(records[1]!.meta.at));
  });

  it('journals a failed unlock as soon as the window says its slot did not open; the attempt can no longer be proven, and no other connection speaks for it', async () => {
    const { b, vault } = await nodeWithVault();
    const ward = { transport: 'in-process', connectionId: 'ward-pc' } as const;
    const begin = async (operatorId: string, kind: 'passphrase' | 'recovery') => {
      const begun = await b.router.dispatch('vault.unlockBegin', { operatorId, kind }, ward);
      const served = begun.ok ? (begun.value as ResponseOf<'vault.unlockBegin'>) : null;
      if (served?.state !== 'ready') throw new Error('not served');
      return served;
    };
    // Another connection's word changes nothing: the ward's attempt is still proven afterwards.
    const own = await begin(vault.operatorId, 'passphrase');
    expect(await b.router.dispatch('vault.unlockFailed', { attempt: own.attempt }, { transport: 'in-process', connectionId: 'other' })).toMatchObject({ ok: true });
    const proof = toBase64Url(await signSessionProof(vault.signingKey, fromBase64Url(own.challenge), own.slot.id));
    expect(await b.router.dispatch('vault.unlockFinish', { attempt: own.attempt, signature: proof }, ward)).toMatchObject({ ok: true });

    // Locked again, the ward's recovery key does not open the slot; it says so, and stays open: nobody retries.
    expect(await b.router.dispatch('vault.lock', {}, ward)).toMatchObject({ ok: true });
    const wrong = await begin('recovery', 'recovery');
    expect(await b.router.dispatch('vault.unlockFailed', { attempt: wrong.attempt }, ward)).toMatchObject({ ok: true });
    // Settled: a proof of it now is refused as unknown.
    const late = await b.router.dispatch('vault.unlockFinish', { attempt: wrong.attempt, signature: Buffer.alloc(64, 1).toString('base64url') }, ward);
    expect(late).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await signIn(b, vault);
    const records = await sessionRecords(b, vault);
    expect(records.map(({ meta }) => [meta.event, meta.operatorId])).toEqual([
      ['signedIn', vault.operatorId],
      ['locked', vault.operatorId],
      ['unlockFailed', 'recovery'],
      ['signedIn', vault.operatorId],
    ]);
  });

  it('a lock without a session records nothing; the mind cannot append an audit kind', async () => {
    const { b, vault } = await nodeWithVault();
    await call(b, 'vault.lock', {});
    await signIn(b, vault);
    expect((await sessionRecords(b, vault)).map(({ meta }) => meta.event)).toEqual(['signedIn']);
    await expect(call(b, 'journal.append', { kind: AUDIT_KINDS.session, operator: null, objects: [], meta: null })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });

  it('writes an access report for any signed-in session and journals the export under its operator; nothing without a session', async () => {
    const { b, vault } = await nodeWithVault();
    const refused = await b.router.dispatch('ledger.exportAccessReport', { text: 'x', rows: 0 }, callContext);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    await signIn(b, vault);
    const text = 'time_utc,operator\r\n2026-12-04T10:00:00.000Z,Ada\r\n';
    const written = await call(b, 'ledger.exportAccessReport', { text, rows: 1 });
    expect(path.basename(written.path)).toMatch(/^access-report-\d{8}T\d{6}Z\.csv$/);
    // With a UTF-8 byte-order mark first, for spreadsheets (QA s32 finding 2).
    expect(await readFile(written.path, 'utf8')).toBe(`\uFEFF${text}`);
    expect((await stat(written.path)).mode & 0o777).toBe(0o600);
    const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
    const exported = (await readJournal(b)).filter((record) => record.kind === AUDIT_KINDS.exported);
    expect(exported).toHaveLength(1);
    expect(ExportAuditMetaSchema.parse(await openJson(opener, exported[0]!.meta!))).toMatchObject({
      what: 'accessReport',
      operatorId: vault.operatorId,
      role: 'admin',
      bytes: Buffer.byteLength(`\uFEFF${text}`),
      entries: 1,
      file: path.basename(written.path),
      // The file's own digest: the EXPORT entry signed for this record pins it, so access-report:verify
      // can tell the file as exported from one changed after (tester T2 S35 F2).
      sha256: createHash('sha256').update(await readFile(written.path)).digest('hex'),
    });
  });

  it('names the workstation without anything but a host name', () => {
    expect(workstationName('electron', 'ward-3-pc.local')).toBe('ward-3-pc.local (desktop app)');
    expect(workstationName('shell', 'pc "x"; rm')).toBe('pcxrm (browser shell)');
    expect(workstationName('shell', '')).toBe('unknown computer (browser shell)');
  });
});
