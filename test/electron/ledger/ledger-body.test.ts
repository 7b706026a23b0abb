import { appendFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import { createSealer } from '../../../shared/crypto/envelope';
import { fromBase64Url, toBase64Url, utf8Encode } from '../../../shared/crypto/bytes';
import { exportFileName } from '../../../electron/ledger/export-files';
import { exportLine } from '../../../shared/ledger/ledger-export-format';
import { useTempDirs } from '../../support/temp-dir';
import { buildChain } from '../../shared/ledger/ledger-fixture';
import { buildTestKeyring, signIn } from '../../support/vault-keyring';

/** The body's half of the ledger: compare-and-append of sealed entries, and export files. */

const context = { transport: 'in-process', connectionId: 't' } as const;

async function call(body: Body, method: string, payload: unknown): Promise<unknown> {
  const result = await body.router.dispatch(method, payload, context);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value;
}

describe('ledger methods of the body', () => {
  const tempDir = useTempDirs();

  it('appends ledger.entry records in seq order only, refusing a fork or a gap, also after a restart', async () => {
    const dataDir = await tempDir();
    let body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const vault = await buildTestKeyring();
    const { keyring } = vault;
    const signInAdmin = (b: Body) => signIn((method, payload) => call(b, method, payload), vault.operatorId, vault.signingKeys.passphrase);
    await call(body, 'vault.create', { keyring });
    await signInAdmin(body);
    const sealer = await createSealer(fromBase64Url(keyring.intakePublicKey));
    const meta = async (n: number) => toBase64Url(await sealer.seal('journalMetadata', utf8Encode(JSON.stringify({ n }))));
    const chain = await buildChain(2);
    const append = async (b: Body, n: number) => call(b, 'ledger.append', { ledgerSeq: n, meta: await meta(n), signed: chain[n - 1] });
    try {
      await expect(call(body, 'ledger.append', { ledgerSeq: 2, meta: await meta(2), signed: chain[1] })).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringMatching(/cannot follow entry 0/) });
      await append(body, 1);
      await expect(append(body, 1)).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringMatching(/exists already/) });
      // The mind cannot bypass the check through journal.append.
      await expect(call(body, 'journal.append', { kind: 'ledger.entry', operator: null, objects: [], meta: await meta(2) })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      await body.stop('quit');
      body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
      await signInAdmin(body);
      await expect(append(body, 1)).rejects.toMatchObject({ code: 'E_CONFLICT' });
      const { seq } = (await append(body, 2)) as { seq: number };
      const { records } = (await call(body, 'journal.read', { after: 0, limit: 100 })) as { records: { seq: number; kind: string }[] };
      const entries = records.filter((r) => r.kind === 'ledger.entry').map((r) => r.seq);
      expect(entries).toEqual([expect.any(Number), seq]);
      // Between the two: the sign-in after the restart (the body's audit record).
      expect(records.filter((r) => r.seq > entries[0]! && r.seq < seq).map((r) => r.kind)).toEqual(['audit.session']);
    } finally {
      await body.stop('quit');
    }
  });

  it('writes an export in chunks to <data>/exports (0600), never under a name that exists, and aborts cleanly', async () => {
    const dataDir = await tempDir();
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const vault = await buildTestKeyring();
    await call(body, 'vault.create', { keyring: vault.keyring });
    await signIn((method, payload) => call(body, method, payload), vault.operatorId, vault.signingKeys.passphrase);
    try {
      const first = (await call(body, 'ledger.exportBegin', { kind: 'ledger' })) as { handle: string };
      const second = (await call(body, 'ledger.exportBegin', { kind: 'ledger' })) as { handle: string };
      await call(body, 'ledger.exportAppend', { handle: first.handle, text: 'line one\n' });
      await call(body, 'ledger.exportAppend', { handle: second.handle, text: 'other\n' });
      expect(await call(body, 'ledger.exportAppend', { handle: first.handle, text: 'line twö\n' })).toEqual({ bytes: 19 });
      const a = (await call(body, 'ledger.exportFinish', { handle: first.handle })) as { path: string; bytes: number };
      const b = (await call(body, 'ledger.exportFinish', { handle: second.handle })) as { path: string; bytes: number };
      expect(a.bytes).toBe(19);
      expect(await readFile(a.path, 'utf8')).toBe('line one\nline twö\n');
      expect(path.dirname(a.path)).toBe(path.join(dataDir, 'exports'));
      expect(a.path).not.toBe(b.path);
      if (process.platform !== 'win32') expect((await stat(a.path)).mode & 0o777).toBe(0o600);
      await expect(call(body, 'ledger.exportAppend', { handle: first.handle, text: 'late' })).rejects.toMatchObject({ code: 'E_CONFLICT' });

      const info = (await call(body, 'ledger.exportBegin', { kind: 'nodeInfo' })) as { handle: string };
      await call(body, 'ledger.exportAppend', { handle: info.handle, text: '{}' });
      await call(body, 'ledger.exportAbort', { handle: info.handle });
      const dangling = (await call(body, 'ledger.exportBegin', { kind: 'nodeInfo' })) as { handle: string };
      await call(body, 'ledger.exportAppend', { handle: dangling.handle, text: '{}' });
      await body.stop('quit');
      // Finished files stay; aborted ones and those open at stop leave nothing behind.
      expect((await readdir(path.join(dataDir, 'exports'))).sort()).toEqual([path.basename(a.path), path.basename(b.path)].sort());
    } finally {
      await body.stop('quit');
    }
  });

  it('removes the temp file of an export left unfinished by a crash when the vault opens, and aborts an export whose connection closes (security audit finding 6)', async () => {
    const dataDir = await tempDir();
    const start = () => startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    let body = await start();
    const vault = await buildTestKeyring();
    await call(body, 'vault.create', { keyring: vault.keyring });
    await signIn((method, payload) => call(body, method, payload), vault.operatorId, vault.signingKeys.passphrase);
    const exportsDir = path.join(dataDir, 'exports');
    let crashed: Body | null = null;
    try {
      // An export begun and left open: the body is killed (no stop), so its temp file stays.
      const left = (await call(body, 'ledger.exportBegin', { kind: 'ledger' })) as { handle: string };
      await call(body, 'ledger.exportAppend', { handle: left.handle, text: 'line one\n' });
      expect((await readdir(exportsDir)).filter((name) => name.endsWith('.tmp'))).toHaveLength(1);
      // A finished export and a file of someone else's in the folder stay.
      await appendFile(path.join(exportsDir, 'notes.txt'), 'kept');
      crashed = body;
      body = await start();
      expect((await readdir(exportsDir)).sort()).toEqual(['notes.txt']);

      // An export whose connection closes before its finish is aborted: its temp file goes.
      await signIn((method, payload) => call(body, method, payload), vault.operatorId, vault.signingKeys.passphrase);
      const open = (await call(body, 'ledger.exportBegin', { kind: 'ledger' })) as { handle: string };
      await call(body, 'ledger.exportAppend', { handle: open.handle, text: 'x\n' });
      body.connectionClosed(context.connectionId);
      for (let i = 0; i < 200 && (await readdir(exportsDir)).some((name) => name.endsWith('.tmp')); i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await readdir(exportsDir)).sort()).toEqual(['notes.txt']);
      // Signed in again (the same connection id), the handle is gone.
      await signIn((method, payload) => call(body, method, payload), vault.operatorId, vault.signingKeys.passphrase);
      await expect(call(body, 'ledger.exportAppend', { handle: open.handle, text: 'late' })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    } finally {
      await body.stop('quit');
      await crashed?.stop('quit');
    }
  });

  it('names files by kind and UTC time', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    expect(exportFileName('ledger', at)).toBe('ledger-20250102T030405Z.jsonl');
    expect(exportFileName('nodeInfo', at, 2)).toBe('node-info-20250102T030405Z-2.json');
    // An access report's scope in its name (QA s35 T2 F5).
    expect(exportFileName('accessReport', at, 1, 'patient-0xdf1548')).toBe('access-report-20250102T030405Z-patient-0xdf1548-1.csv');
  });
});

describe('the ledger outbox (clear copies for the notary)', () => {
  const tempDir = useTempDirs();

  it('keeps each appended entry as its export line, refuses a copy that is not the entry before writing anything, and is backfilled up to the journal only', async () => {
    const dataDir = await tempDir();
    let body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const vault = await buildTestKeyring();
    const signInAdmin = (b: Body) => signIn((method, payload) => call(b, method, payload), vault.operatorId, vault.signingKeys.passphrase);
    await call(body, 'vault.create', { keyring: vault.keyring });
    await signInAdmin(body);
    const sealer = await createSealer(fromBase64Url(vault.keyring.intakePublicKey));
    const meta = async (n: number) => toBase64Url(await sealer.seal('journalMetadata', utf8Encode(JSON.stringify({ n }))));
    const chain = await buildChain(4);
    const outboxFile = path.join(dataDir, 'vault', 'ledger', 'signed.jsonl');
    try {
      await call(body, 'ledger.append', { ledgerSeq: 1, meta: await meta(1), signed: chain[0] });
      await call(body, 'ledger.append', { ledgerSeq: 2, meta: await meta(2), signed: chain[1] });
      expect(await readFile(outboxFile, 'utf8')).toBe(`${exportLine(chain[0]!)}\n${exportLine(chain[1]!)}\n`);
      // A clear copy that is another entry than the sealed one's seq: refused, and the journal is untouched.
      const before = (await call(body, 'journal.read', { after: 0, limit: 100 })) as { records: unknown[] };
      await expect(call(body, 'ledger.append', { ledgerSeq: 3, meta: await meta(3), signed: chain[3] })).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await expect(call(body, 'ledger.append', { ledgerSeq: 3, meta: await meta(3), signed: { entry: { ...chain[2]!.entry, extra: 1 }, signature: chain[2]!.signature } })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      expect(((await call(body, 'journal.read', { after: 0, limit: 100 })) as { records: unknown[] }).records).toHaveLength(before.records.length);
      await call(body, 'ledger.append', { ledgerSeq: 3, meta: await meta(3), signed: chain[2] });

      // The outbox lost (an older version had none): the journal says 3, the outbox 0; the mind backfills.
      await body.stop('quit');
      await rm(outboxFile);
      body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
      await signInAdmin(body);
      await expect(call(body, 'ledger.outboxStatus', {})).resolves.toEqual({ outboxLastSeq: 0, journalLastSeq: 3 });
      // An append while the outbox lags goes to the journal; the outbox waits for the backfill.
      await call(body, 'ledger.append', { ledgerSeq: 4, meta: await meta(4), signed: chain[3] });
      await expect(call(body, 'ledger.publish', { entries: chain.slice(1, 3) })).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await expect(call(body, 'ledger.publish', { entries: [...chain, chain[0]] })).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringMatching(/at most 4 may be published/) });
      await expect(call(body, 'ledger.publish', { entries: chain })).resolves.toEqual({ lastSeq: 4 });
      await expect(call(body, 'ledger.outboxStatus', {})).resolves.toEqual({ outboxLastSeq: 4, journalLastSeq: 4 });

      // A torn last line (a crash mid-write) is cut when the outbox is next read.
      await body.stop('quit');
      await appendFile(outboxFile, '{"entry":{"seq":5');
      body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
      await signInAdmin(body);
      await expect(call(body, 'ledger.outboxStatus', {})).resolves.toEqual({ outboxLastSeq: 4, journalLastSeq: 4 });
      expect((await readFile(outboxFile, 'utf8')).split('\n')).toHaveLength(5);
    } finally {
      await body.stop('quit');
    }
  });
});
