import { reachableAddresses } from '../../../electron/intake/intake-settings';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body, type BodyConfig } from '../../../electron/body';
import { SUPPORTED_CHARSETS } from '../../../electron/intake/hl7/hl7-front-end';
import { DEFAULT_INTAKE_SETTINGS, HL7_CHARSETS, INTAKE_CHUNK_MAX_CHARS, type IntakeStatus, type ListenerStatus } from '../../../shared/ipc';
import { ackOf, connectMllp } from '../../bench/mllp-load';
import { REPO_ROOT } from '../../support/repo-paths';
import { useTempDirs } from '../../support/temp-dir';
import { buildTestKeyring, openSealedMeta, signIn, type TestVault } from '../../support/vault-keyring';
import { call, heard, payloadsOf, readJournal } from '../vault/vault-test-support';
import { freePort } from '../../support/free-port';

const tempDir = useTempDirs();
const bodies: Body[] = [];
const blockers: net.Server[] = [];

afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
  for (const server of blockers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The test patient: these must never appear in the monitor, the log, or anywhere in plaintext. */
const FAMILY = 'Quorrimund';
const GIVEN = 'Ysolde';
const MRN = 'MRN7731904';

function adt(controlId: string, options: { charset?: string; family?: string } = {}): string {
  return [
    `MSH|^~\\&|LABSYS|NORTHCLINIC|HDMS|NODE|20260301120000||ADT^A01^ADT_A01|${controlId}|P|2.5.1||||||${options.charset ?? ''}`,
    'EVN|A01|20260301120000',
    `PID|1||${MRN}^^^NORTHCLINIC^MR||${options.family ?? FAMILY}^${GIVEN}||19700101|F`,
    'PV1|1|I|WARD1^101^A',
  ].join('\r');
}

function b64(bytes: string | Uint8Array, encoding: BufferEncoding = 'utf8'): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes, encoding) : Buffer.from(bytes)).toString('base64url');
}

async function body(dataDir: string, extra: Partial<BodyConfig> = {}): Promise<Body> {
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'info', ...extra });
  bodies.push(b);
  return b;
}

async function stopped(b: Body): Promise<void> {
  bodies.splice(bodies.indexOf(b), 1);
  await b.stop('quit');
}

function hl7Of(status: IntakeStatus): ListenerStatus {
  return status.listeners.find((listener) => listener.channel === 'hl7-mllp')!;
}

async function withVault(extra: Partial<BodyConfig> = {}): Promise<{ dataDir: string; b: Body; vault: TestVault }> {
  const dataDir = await tempDir();
  const b = await body(dataDir, extra);
  const vault = await buildTestKeyring();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signInAs(b, vault);
  return { dataDir, b, vault };
}

/** The vault's admin opens a session on the test connection (the body checks who asks). */
function signInAs(b: Body, vault: TestVault): Promise<void> {
  return signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
}

async function refused(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

/** Whether a peer's connection is accepted (an ACK comes back) or closed by the listener. */
async function tryMessage(port: number, message: string): Promise<string> {
  try {
    const sender = await connectMllp(port);
    try {
      return ackOf(await sender.send(Buffer.from(message))).code;
    } finally {
      await sender.close().catch(() => undefined);
    }
  } catch {
    return 'refused';
  }
}

async function plaintextFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('body: HL7 intake', () => {
  it('lists the same charsets in the contract as the front end decodes', () => {
    expect([...HL7_CHARSETS]).toEqual([...SUPPORTED_CHARSETS]);
  });

  it('opens the listener after vault.create, ACKs a message over a real socket after the journal has it, and reopens by itself on restart', async () => {
    const port = await freePort();
    const dataDir = await tempDir();
    let b = await body(dataDir, { mllpPort: port });
    const events = heard(b);
    expect(hl7Of(await call(b, 'intake.status', {}))).toMatchObject({ state: 'closed', reason: expect.stringMatching(/No vault exists yet/) });
    // The monitor (control ids, senders) needs an operator's session, so a vault first.
    expect((await refused(call(b, 'hl7.monitor', {}))).code).toBe('E_CONFLICT');
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);
    expect(hl7Of(await call(b, 'intake.status', {}))).toEqual({ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port });
    expect(payloadsOf(events, 'intake.statusChanged').some((status) => hl7Of(status).state === 'listening')).toBe(true);

    const sender = await connectMllp(port);
    const ack = await sender.send(Buffer.from(adt('CTRL-0001')));
    expect(ackOf(ack)).toEqual({ code: 'AA', controlId: 'CTRL-0001' });
    // Acknowledged ⇒ durable: the record is in the journal the moment the ACK arrived.
    const records = await readJournal(b);
    const stored = records.filter((record) => record.kind === 'intake.hl7');
    expect(stored).toHaveLength(1);
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, stored[0]!.meta!)).toString('utf8')) as { normalized: { messageId: string; channel: string } };
    expect(meta.normalized).toMatchObject({ messageId: 'CTRL-0001', channel: 'hl7-mllp' });
    // An identical resend: the same answer, not stored twice.
    expect(ackOf(await sender.send(Buffer.from(adt('CTRL-0001')))).code).toBe('AA');
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.hl7')).toHaveLength(1);
    expect(payloadsOf(events, 'journal.appended').length).toBeGreaterThan(0);

    const monitor = await call(b, 'hl7.monitor', {});
    expect(monitor.listener).toEqual({ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port });
    expect(monitor.totals).toMatchObject({ received: 2, accepted: 1, duplicates: 1, errored: 0 });
    expect(monitor.senders).toEqual([{ sender: 'LABSYS|NORTHCLINIC', received: 2, accepted: 1, errored: 0, duplicates: 1, conflicts: 0, reprocessed: 0, lastAt: expect.any(String) }]);
    expect(monitor.recent[0]).toMatchObject({ channel: 'hl7-mllp', sender: 'LABSYS|NORTHCLINIC', controlId: 'CTRL-0001', messageType: 'ADT^A01', acks: ['AA'], duplicate: true });
    expect(monitor.recent[1]).toMatchObject({ controlId: 'CTRL-0001', acks: ['AA'] });
    expect(monitor.recent[1]).not.toHaveProperty('duplicate');
    expect(monitor.throughput).toHaveLength(60);
    expect(monitor.throughput.reduce((sum, bucket) => sum + bucket.received, 0)).toBe(2);
    expect(monitor.connections).toEqual([{ peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/), since: expect.any(String), received: 2 }]);
    // Counters changed → one coalesced hl7.activity within about a second.
    await expect.poll(() => payloadsOf(events, 'hl7.activity').at(-1)?.totals.received, { timeout: 3000 }).toBe(2);
    await sender.close();

    // Stop: the listener closes with the body; a restart opens it without any UI or unlock.
    await stopped(b);
    expect(await tryMessage(port, adt('CTRL-0002'))).toBe('refused');
    b = await body(dataDir, { mllpPort: port });
    await signInAs(b, vault);
    expect(hl7Of(await call(b, 'intake.status', {}))).toMatchObject({ state: 'listening', port });
    expect(await tryMessage(port, adt('CTRL-0001'))).toBe('AA'); // remembered across the restart: a duplicate
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.hl7')).toHaveLength(1);
    expect(await tryMessage(port, adt('CTRL-0002'))).toBe('AA');
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.hl7')).toHaveLength(2);
    await expect(stat(path.join(dataDir, 'vault', 'intake', 'hl7-dedupe', 'manifest.json'))).resolves.toBeTruthy();

    // No PHI in the monitor, nor in plaintext anywhere in the data folder (log included).
    const answer = JSON.stringify(await call(b, 'hl7.monitor', {}));
    for (const needle of [FAMILY, GIVEN, MRN, '19700101']) expect(answer).not.toContain(needle);
    await stopped(b);
    for (const file of await plaintextFiles(dataDir)) {
      const text = (await readFile(file)).toString('latin1');
      for (const needle of [FAMILY, GIVEN, MRN]) expect(text.includes(needle), `${needle} in ${path.relative(dataDir, file)}`).toBe(false);
    }
  });

  it('with intake worker threads: ACKs after the journal has the message, duplicates answered as before; a worker that cannot start leaves the listener thread doing it all', async () => {
    const worker = path.join(REPO_ROOT, 'electron', 'intake', 'hl7', 'hl7-prepare-worker.ts');
    for (const [script, started] of [
      [worker, true],
      [path.join(REPO_ROOT, 'no-such-worker.js'), false],
    ] as const) {
      const port = await freePort();
      const { b, dataDir, vault } = await withVault({ mllpPort: port, hl7Workers: { script, threads: 1 } });
      const sender = await connectMllp(port);
      expect(ackOf(await sender.send(Buffer.from(adt('W-0001'))))).toEqual({ code: 'AA', controlId: 'W-0001' });
      const stored = (await readJournal(b)).filter((record) => record.kind === 'intake.hl7');
      expect(stored).toHaveLength(1);
      const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, stored[0]!.meta!)).toString('utf8')) as { normalized: { messageId: string; patient: unknown } };
      expect(meta.normalized.messageId).toBe('W-0001');
      expect(JSON.stringify(meta.normalized.patient)).toContain(FAMILY);
      expect(ackOf(await sender.send(Buffer.from(adt('W-0001')))).code).toBe('AA');
      expect((await readJournal(b)).filter((record) => record.kind === 'intake.hl7')).toHaveLength(1);
      expect((await call(b, 'hl7.monitor', {})).totals).toMatchObject({ received: 2, accepted: 1, duplicates: 1 });
      await sender.close();
      await stopped(b);
      const log = (await Promise.all((await readdir(path.join(dataDir, 'logs'))).map((name) => readFile(path.join(dataDir, 'logs', name), 'utf8')))).join('');
      expect(log.includes('HL7 intake worker threads started')).toBe(started);
      expect(log.includes('HL7 intake worker threads could not start')).toBe(!started);
      for (const needle of [FAMILY, GIVEN, MRN]) expect(log).not.toContain(needle);
    }
  });

  it('keeps the listener off with --mllp-port 0, and says so in the status and the settings', async () => {
    const { b } = await withVault({ mllpPort: 0 });
    expect(hl7Of(await call(b, 'intake.status', {}))).toEqual({ channel: 'hl7-mllp', state: 'closed', off: 'command-line', reason: expect.stringMatching(/--mllp-port 0/) });
    const settings = await call(b, 'hl7.getSettings', {});
    expect(settings).toMatchObject({ portOverride: 0, settings: { port: 2575, bindAddress: '127.0.0.1' }, listener: { state: 'closed' } });
    // File import works without a listener.
    const imported = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('FILE-1')) }] });
    expect(imported.results).toEqual([expect.objectContaining({ file: 0, index: 0, ack: 'AA', controlId: 'FILE-1' })]);
  });

  it('reports a port in use as an error with the reason, and recovers when settings choose another port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    blockers.push(blocker);
    const busy = (blocker.address() as net.AddressInfo).port;
    const dataDir = await tempDir();
    // Listener settings are an administrator's: before any vault exists they come from the file.
    await writeFile(path.join(dataDir, 'intake-settings.json'), JSON.stringify({ ...DEFAULT_INTAKE_SETTINGS, port: busy }));
    const b = await body(dataDir);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);
    const status = hl7Of(await call(b, 'intake.status', {}));
    expect(status).toMatchObject({ state: 'error', port: busy, reason: expect.stringMatching(new RegExp(`Port ${busy} on 127\\.0\\.0\\.1 is in use`)) });
    const free = await freePort();
    const answer = await call(b, 'hl7.updateSettings', { port: free });
    expect(answer.listener).toMatchObject({ state: 'listening', port: free });
    expect(await tryMessage(free, adt('CTRL-9'))).toBe('AA');
  });

  it('validates, persists and applies the settings; the allow-list applies to every bind address', async () => {
    const dataDir = await tempDir();
    const first = await freePort();
    const empty = await body(dataDir);
    // Before a vault there is no administrator to change them: they come from the file.
    expect((await refused(call(empty, 'hl7.updateSettings', { port: first }))).code).toBe('E_CONFLICT');
    await stopped(empty);
    await writeFile(path.join(dataDir, 'intake-settings.json'), JSON.stringify({ ...DEFAULT_INTAKE_SETTINGS, port: first }));
    const b = await body(dataDir);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);

    // LAN bind without an allow-list: refused, nothing saved.
    const lan = await refused(call(b, 'hl7.updateSettings', { bindAddress: '0.0.0.0' }));
    expect(lan.code).toBe('E_BAD_REQUEST');
    expect(lan.message).toMatch(/^Allowed peers: listening on 0\.0\.0\.0 lets other computers connect/);
    expect(lan.message).not.toMatch(/allowedPeers/);
    // An address this computer does not have (QA12 D2): refused at save, under the field, with the addresses it has.
    const elsewhere = await refused(call(b, 'hl7.updateSettings', { bindAddress: '203.0.113.77', allowedPeers: ['203.0.113.77'] }));
    expect(elsewhere.code).toBe('E_BAD_REQUEST');
    expect(elsewhere.message).toMatch(/^Bind address: 203\.0\.113\.77 is not an address of this computer/);
    for (const bad of [{ port: 70000 }, { bindAddress: 'example.org' }, { allowedPeers: ['not an ip'] }, { maxMessageBytes: 10 }, { defaultCharset: 'KOI8-R' }]) {
      expect((await refused(call(b, 'hl7.updateSettings', bad as never))).code).toBe('E_BAD_REQUEST');
    }
    expect((await call(b, 'hl7.getSettings', {})).settings).toMatchObject({ port: first, bindAddress: '127.0.0.1', allowedPeers: [] });

    expect(hl7Of(await call(b, 'intake.status', {}))).toMatchObject({ state: 'listening', port: first });
    expect(await tryMessage(first, adt('A-1'))).toBe('AA');

    // An allow-list that does not hold 127.0.0.1 shuts local peers out too.
    const onlyLab = await call(b, 'hl7.updateSettings', { allowedPeers: ['10.20.30.40'] });
    expect(onlyLab.listener).toMatchObject({ state: 'listening', port: first });
    expect(await tryMessage(first, adt('A-2'))).toBe('refused');
    // The intake monitor shows whom the listener turned away (tester S35 #3), and nothing of the message.
    const turnedAway = await call(b, 'hl7.monitor', {});
    expect(turnedAway.refused).toEqual([{ address: '127.0.0.1', reason: 'not-allowed', count: 1, first: expect.any(String) as string, last: expect.any(String) as string }]);
    expect(JSON.stringify(turnedAway.refused)).not.toContain('A-2');
    await call(b, 'hl7.updateSettings', { allowedPeers: ['10.20.30.40', '127.0.0.1'] });
    // The listener restarted with the new list: it counts afresh.
    expect((await call(b, 'hl7.monitor', {})).refused).toBeUndefined();
    expect(await tryMessage(first, adt('A-3'))).toBe('AA');

    // A LAN bind with an allow-list is accepted (0.0.0.0 includes loopback, where 127.0.0.1 is allowed).
    const wide = await call(b, 'hl7.updateSettings', { bindAddress: '0.0.0.0' });
    expect(wide.listener).toMatchObject({ state: 'listening', address: '0.0.0.0', port: first });
    // The first-feed step names this computer's addresses for a listener on every address (QA s32 #8).
    expect(wide.listener.addresses).toEqual(reachableAddresses('0.0.0.0'));
    expect(wide.listener.addresses?.length).toBeGreaterThan(0);
    expect(await tryMessage(first, adt('A-4'))).toBe('AA');

    // Port change: the listener restarts on the new port; the old one is closed.
    const second = await freePort();
    const moved = await call(b, 'hl7.updateSettings', { port: second, bindAddress: '127.0.0.1', allowedPeers: [], defaultCharset: '8859/1', maxMessageBytes: 1024 * 1024 });
    expect(moved.listener).toEqual({ channel: 'hl7-mllp', state: 'listening', address: '127.0.0.1', port: second });
    expect(await tryMessage(first, adt('A-5'))).toBe('refused');
    expect(await tryMessage(second, adt('A-5'))).toBe('AA');
    // The counters survive the intake being rebuilt for the new charset.
    expect((await call(b, 'hl7.monitor', {})).totals.accepted).toBe(4);

    // Persisted atomically; read back by the next run.
    const saved = JSON.parse(await readFile(path.join(dataDir, 'intake-settings.json'), 'utf8')) as unknown;
    expect(saved).toMatchObject({ port: second, bindAddress: '127.0.0.1', allowedPeers: [], maxMessageBytes: 1024 * 1024, defaultCharset: '8859/1' });
    await stopped(b);
    const again = await body(dataDir);
    await signInAs(again, vault);
    expect(await call(again, 'hl7.getSettings', {})).toMatchObject({ settings: { port: second, defaultCharset: '8859/1' }, listener: { state: 'listening', port: second } });
    // Port 0 in the settings turns it off.
    expect((await call(again, 'hl7.updateSettings', { port: 0 })).listener).toMatchObject({ state: 'closed', reason: expect.stringMatching(/turned off in the intake settings/) });
  });

  // Tester S35 #4: the first-feed step must tell "turned off on purpose" (and how) from a failure.
  it('says how the listener was turned off: by --mllp-port 0 for this run, or by port 0 in the settings', async () => {
    const dataDir = await tempDir();
    const b = await body(dataDir, { mllpPort: 0 });
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);
    expect(hl7Of(await call(b, 'intake.status', {}))).toMatchObject({ state: 'closed', off: 'command-line', reason: expect.stringMatching(/--mllp-port 0/) as string });
    await stopped(b);
    const again = await body(dataDir);
    await signInAs(again, vault);
    expect((await call(again, 'hl7.updateSettings', { port: 0 })).listener).toMatchObject({ state: 'closed', off: 'settings' });
    expect(hl7Of(await call(again, 'intake.status', {}))).toMatchObject({ state: 'closed', off: 'settings' });
    await stopped(again);
  });

  it('a damaged settings file falls back to the safe defaults', async () => {
    const dataDir = await tempDir();
    await writeFile(path.join(dataDir, 'intake-settings.json'), '{"port": 2575, "bindAddress": "0.0.0.0", "allowedPeers": []}');
    const b = await body(dataDir, { mllpPort: 0 });
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signInAs(b, vault);
    expect((await call(b, 'hl7.getSettings', {})).settings).toMatchObject({ bindAddress: '127.0.0.1', allowedPeers: [] });
  });

  // 3,000 messages are imported: ~4 s quiet, over the 30 s default twice at load 12-15.
  it('imports files: one message, a batch, garbage, an empty file; inline or uploaded in chunks', { timeout: 90_000 }, async () => {
    const { b } = await withVault({ mllpPort: 0 });
    const batch = ['FHS|^~\\&|LABSYS|NORTHCLINIC', 'BHS|^~\\&|LABSYS|NORTHCLINIC', adt('B-1'), adt('B-2'), 'BTS|2', 'FTS|1'].join('\r');
    const answer = await call(b, 'hl7.importFiles', {
      files: [{ bytes: b64(adt('F-1')) }, { bytes: b64(batch) }, { bytes: b64('this is not HL7 at all\n\u0000\u0001') }, { bytes: '' }],
    });
    expect(answer.results).toEqual([
      expect.objectContaining({ file: 0, index: 0, ack: 'AA', controlId: 'F-1', messageType: 'ADT^A01', mapping: expect.any(String) }),
      expect.objectContaining({ file: 1, index: 0, ack: 'AA', controlId: 'B-1' }),
      expect.objectContaining({ file: 1, index: 1, ack: 'AA', controlId: 'B-2' }),
      expect.objectContaining({ file: 2, ack: 'AR', quarantined: true, reason: expect.any(String) }),
    ]);
    expect(answer.emptyFiles).toEqual([3]);
    const kinds = (await readJournal(b)).map((record) => record.kind);
    expect(kinds.filter((kind) => kind === 'intake.hl7')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'intake.quarantine')).toHaveLength(1);

    // The same file again: duplicates, nothing stored twice.
    const again = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('F-1')) }] });
    expect(again.results).toEqual([expect.objectContaining({ ack: 'AA', duplicate: true })]);

    // A batch whose BTS-1 says 5 for its 2 messages: both stored, and each result says the count was wrong (for the summary).
    const miscounted = ['BHS|^~\\&|LABSYS|NORTHCLINIC', adt('M-1'), adt('M-2'), 'BTS|5'].join('\r');
    const counted = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(miscounted) }] });
    expect(counted.results).toEqual([
      expect.objectContaining({ controlId: 'M-1', ack: 'AA', batchNote: 'Count mismatch: BTS-1 said 5, the batch held 2 messages' }),
      expect.objectContaining({ controlId: 'M-2', ack: 'AA', batchNote: 'Count mismatch: BTS-1 said 5, the batch held 2 messages' }),
    ]);

    // A large file travels in chunks that fit the shell's WebSocket frames.
    const many = Array.from({ length: 3000 }, (_, i) => adt(`BIG-${i}`)).join('\r');
    const bytes = Buffer.from(many);
    expect(b64(bytes).length).toBeGreaterThan(INTAKE_CHUNK_MAX_CHARS);
    const { handle } = await call(b, 'intake.uploadBegin', {});
    const step = 300 * 1024;
    await call(b, 'intake.uploadAppend', { handle, file: 0, chunk: b64(adt('U-0')) });
    for (let offset = 0; offset < bytes.length; offset += step) {
      await call(b, 'intake.uploadAppend', { handle, file: 1, chunk: b64(bytes.subarray(offset, offset + step)) });
    }
    expect((await refused(call(b, 'intake.uploadAppend', { handle, file: 0, chunk: '' }))).code).toBe('E_BAD_REQUEST');
    const big = await call(b, 'hl7.importFiles', { upload: handle });
    expect(big.results).toHaveLength(3001);
    expect(big.results.every((result) => result.ack === 'AA')).toBe(true);
    expect(big.results.at(-1)).toMatchObject({ file: 1, index: 2999, controlId: 'BIG-2999' });
    // An upload is used once.
    expect((await refused(call(b, 'hl7.importFiles', { upload: handle }))).code).toBe('E_CONFLICT');
    // Inline is for small files only.
    expect((await refused(call(b, 'hl7.importFiles', { files: [{ bytes: b64(bytes) }] }))).code).toBe('E_BAD_REQUEST');
    const monitor = JSON.stringify(await call(b, 'hl7.monitor', {}));
    for (const needle of [FAMILY, GIVEN, MRN]) expect(monitor).not.toContain(needle);
  });

  // A folder import goes in calls of up to 1,000 files / 64 MiB (and without the files too large to send): each call said "file N of <its own count>".
  it("a quarantined imported file is recorded as its position in the operator's whole import (the mind tells it), and as only \"a file imported\" when the position is not told", async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    const garbage = (n: number) => ({ bytes: b64(`not HL7 ${n}\n\u0000\u0001`) });
    const told = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('P-1')) }, garbage(1)], position: { files: [1002, 1003], of: 1040 } });
    expect(told.results.map((result) => result.ack)).toEqual(['AA', 'AR']);
    await call(b, 'hl7.importFiles', { files: [garbage(2)] });
    const sources = [];
    for (const record of (await readJournal(b)).filter((each) => each.kind === 'intake.quarantine')) {
      sources.push((JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')) as { quarantine: { source: string } }).quarantine.source);
    }
    expect(sources).toEqual(['file 1003 of 1040', 'a file imported']);
    // A place for each file sent, each within the import's count.
    expect((await refused(call(b, 'hl7.importFiles', { files: [garbage(3), garbage(4)], position: { files: [1], of: 2 } }))).code).toBe('E_BAD_REQUEST');
    expect((await refused(call(b, 'hl7.importFiles', { files: [garbage(3)], position: { files: [3], of: 2 } }))).code).toBe('E_BAD_REQUEST');
    expect((await refused(call(b, 'hl7.importFiles', { files: [garbage(3)], position: { files: [0], of: 2 } }))).code).toBe('E_BAD_REQUEST');
  });

  it('refuses import without a vault', async () => {
    const b = await body(await tempDir(), { mllpPort: 0 });
    expect((await refused(call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('X')) }] }))).code).toBe('E_CONFLICT');
  });

  it('keeps the counters per sender across a restart, and an administrator resets them (journaled)', async () => {
    const { dataDir, b, vault } = await withVault({ mllpPort: 0 });
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('C-1')) }, { bytes: b64(adt('C-2')) }, { bytes: b64(adt('C-3').replace('|2.5.1|', '|9.9|')) }] });
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(adt('C-1')) }] });
    const before = await call(b, 'hl7.monitor', {});
    expect(before.totals).toMatchObject({ received: 4, accepted: 2, errored: 1, duplicates: 1 });
    expect(before.senders).toEqual([expect.objectContaining({ sender: 'LABSYS|NORTHCLINIC', received: 4, accepted: 2, errored: 1, duplicates: 1 })]);
    const since = before.countersSince!;

    await stopped(b);
    const again = await body(dataDir, { mllpPort: 0 });
    await signInAs(again, vault);
    const after = await call(again, 'hl7.monitor', {});
    expect(after.totals).toEqual(before.totals);
    expect(after.senders).toEqual(before.senders);
    expect(after.countersSince).toBe(since);
    await call(again, 'hl7.importFiles', { files: [{ bytes: b64(adt('C-4')) }] });
    expect((await call(again, 'hl7.monitor', {})).senders[0]).toMatchObject({ received: 5, accepted: 3 });

    const reset = await call(again, 'hl7.resetCounters', {});
    const cleared = await call(again, 'hl7.monitor', {});
    expect(cleared.totals).toEqual({ received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 });
    expect(cleared.senders).toEqual([]);
    expect(cleared.countersSince).toBe(reset.since);
    const record = (await readJournal(again)).find((entry) => entry.seq === reset.seq)!;
    // As the session's operator (its account id, sealed); the record itself names nobody.
    expect(record).toMatchObject({ kind: 'intake.countersReset', operator: null, objects: [] });
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')) as { before: { totals: { received: number } } };
    expect(meta).toMatchObject({ v: 1, type: 'countersReset', before: { totals: { received: 5 } }, operatorId: vault.operatorId });
    // The reset survives a restart too; counting goes on from zero.
    await stopped(again);
    const third = await body(dataDir, { mllpPort: 0 });
    await signInAs(third, vault);
    await call(third, 'hl7.importFiles', { files: [{ bytes: b64(adt('C-5')) }] });
    expect((await call(third, 'hl7.monitor', {})).senders).toEqual([expect.objectContaining({ sender: 'LABSYS|NORTHCLINIC', received: 1, accepted: 1 })]);
    // The file holds figures and system names only.
    const saved = await readFile(path.join(dataDir, 'vault', 'intake', 'hl7-counters.json'), 'utf8');
    for (const needle of [FAMILY, GIVEN, MRN]) expect(saved).not.toContain(needle);
  });

  it('reprocesses with a charset that wins over a wrong MSH-18, and an edited copy (journaled as edited, the original kept)', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    // Latin-1 bytes that MSH-18 says are UTF-8: AR, quarantined; the default charset does not help.
    const wrong = Buffer.from(adt('W-1', { family: 'Müller', charset: 'UNICODE UTF-8' }), 'latin1');
    const broken = adt('E-1').replace('|2.5.1|', '|9.9|');
    const first = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(wrong) }, { bytes: b64(broken) }] });
    expect(first.results.map((result) => result.ack)).toEqual(['AR', 'AR']);
    const [wrongSeq, brokenSeq] = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq) as [number, number];
    // A number past the journal's end is no quarantined input, said so without the data folder (QA).
    const lastSeq = (await readJournal(b)).at(-1)!.seq;
    for (const quarantineSeq of [lastSeq + 1, 99_999]) {
      const beyond = await refused(call(b, 'hl7.reprocess', { quarantineSeq, raw: b64(wrong) }));
      expect(beyond).toEqual(expect.objectContaining({ code: 'E_BAD_REQUEST', message: `quarantineSeq: no quarantined input has the number ${quarantineSeq}.` }));
    }
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: 99_999 }))).message).toBe('quarantineSeq: no quarantined input has the number 99999.');
    const asDefault = await call(b, 'hl7.reprocess', { quarantineSeq: wrongSeq, raw: b64(wrong), charset: '8859/1' });
    expect(asDefault.resolved).toBe(false);
    expect((await refused(call(b, 'hl7.reprocess', { quarantineSeq: wrongSeq, raw: b64(wrong), charsetOverride: true }))).code).toBe('E_BAD_REQUEST');
    const overridden = await call(b, 'hl7.reprocess', { quarantineSeq: wrongSeq, raw: b64(wrong), charset: '8859/1', charsetOverride: true });
    expect(overridden).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', controlId: 'W-1' })] });
    let records = await readJournal(b);
    const actMeta = async (seq: number) => JSON.parse(Buffer.from(await openSealedMeta(vault.opener, records.find((record) => record.seq === seq)!.meta!)).toString('utf8')) as Record<string, unknown>;
    expect(await actMeta(overridden.seq)).toMatchObject({ type: 'reprocessed', quarantineSeq: wrongSeq, resolved: true, charset: '8859/1', charsetOverride: true });
    expect(await actMeta(asDefault.seq)).not.toHaveProperty('charsetOverride');
    const storedMeta = await actMeta(records.filter((record) => record.kind === 'intake.hl7').at(-1)!.seq);
    expect(JSON.stringify(storedMeta)).toContain('Müller');

    // The operator fixes MSH-12 and reprocesses the edited copy: stored as a new message holding the edited bytes.
    const edited = Buffer.from(adt('E-1'), 'utf8');
    const fixed = await call(b, 'hl7.reprocess', { quarantineSeq: brokenSeq, raw: b64(edited), edited: true });
    expect(fixed.resolved).toBe(true);
    records = await readJournal(b);
    expect(await actMeta(fixed.seq)).toMatchObject({ edited: true, rawSha256: createHash('sha256').update(edited).digest('hex') });
    const newRecord = records.filter((record) => record.kind === 'intake.hl7').at(-1)!;
    const quarantineRecord = records.find((record) => record.seq === brokenSeq)!;
    const open = async (id: string) => {
      const { bytes } = await call(b, 'objects.read', { id, offset: 0, length: 1024 * 1024 });
      return Buffer.from(await openSealedMeta(vault.opener, bytes)).toString('utf8');
    };
    expect(await open(newRecord.objects[0]!)).toBe(adt('E-1'));
    expect(await open(quarantineRecord.objects[0]!)).toBe(broken);
  });

  it('tester T2 D5: UTF-8 bytes under MSH-18 8859/1 are held (AA), not filed as "MÃ¼ller"; reprocessed with UNICODE UTF-8 over MSH-18 they file "Müller"', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    // An interface engine re-encoded the message to UTF-8 and left MSH-18 as it was.
    const mislabelled = Buffer.from(adt('T2-D5', { family: 'Müller', charset: '8859/1' }), 'utf8');
    const sent = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(mislabelled) }] });
    expect(sent.results).toEqual([expect.objectContaining({ ack: 'AA', quarantined: true, reason: expect.stringMatching(/^MSH-18 says 8859\/1, but the bytes read as UTF-8 \(e\.g\. segment PID, field 5\)/) })]);
    let records = await readJournal(b);
    expect(records.filter((record) => record.kind === 'intake.hl7')).toEqual([]);
    const held = records.filter((record) => record.kind === 'intake.quarantine').at(-1)!;
    const metaOf = async (seq: number) => JSON.parse(Buffer.from(await openSealedMeta(vault.opener, records.find((record) => record.seq === seq)!.meta!)).toString('utf8')) as Record<string, Record<string, unknown>>;
    expect((await metaOf(held.seq)).quarantine).toMatchObject({ disposition: 'held', acks: ['AA'], charset: '8859/1' });
    const overridden = await call(b, 'hl7.reprocess', { quarantineSeq: held.seq, raw: b64(mislabelled), charset: 'UNICODE UTF-8', charsetOverride: true });
    expect(overridden).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', controlId: 'T2-D5' })] });
    records = await readJournal(b);
    const filed = await metaOf(records.filter((record) => record.kind === 'intake.hl7').at(-1)!.seq);
    expect(filed.normalized).toMatchObject({ patient: { name: { family: 'Müller', given: [GIVEN] } }, hl7: { reprocessOf: { quarantineSeq: held.seq, edited: false, charset: 'UNICODE UTF-8' } } });
  });

  it('QA s33 D5: an MFN^M02 or an inbound ACK (no patient, no PID, a type not mapped) is stored "not mapped", not held in the quarantine; an ACK is not answered', async () => {
    const port = await freePort();
    const { b, vault } = await withVault({ mllpPort: port });
    // A practitioner master file update: names staff, never a patient.
    const mfn = ['MSH|^~\\&|HRSYS|NORTHCLINIC|HDMS|NODE|20260301120000||MFN^M02^MFN_M02|MFN-1|P|2.5.1', 'MFI|PRA^Practitioner master file^HL70175||UPD|||AL', 'MFE|MAD|U1||D0042^Quill^Ottoline^^^DR', 'STF|D0042|D0042^^^NORTHCLINIC|Quill^Ottoline^^^DR'].join('\r');
    // An application acknowledgment sent to this node: HL7 v2 (original mode) never acknowledges an ACK.
    const inboundAck = ['MSH|^~\\&|LABSYS|NORTHCLINIC|HDMS|NODE|20260301120500||ACK^A01^ACK|ACK-1|P|2.5.1', 'MSA|AA|THEIR-0001'].join('\r');
    const sender = await connectMllp(port);
    try {
      expect(ackOf(await sender.send(Buffer.from(mfn)))).toEqual({ code: 'AA', controlId: 'MFN-1' });
    } finally {
      await sender.close();
    }
    // The ACK and then an ADT on one connection: the first answer is the ADT's (frames are answered in order).
    const socket = net.createConnection({ port, host: '127.0.0.1' });
    const answers: Buffer[] = [];
    const firstAnswer = new Promise<Buffer>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf(0x1c);
        if (end < 0) return;
        answers.push(buffered.subarray(buffered.indexOf(0x0b) + 1, end));
        resolve(answers[0]!);
      });
      socket.on('error', reject);
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const frame = (text: string) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(text), Buffer.from([0x1c, 0x0d])]);
    socket.write(Buffer.concat([frame(inboundAck), frame(adt('AFTER-ACK'))]));
    expect(ackOf(await firstAnswer)).toEqual({ code: 'AA', controlId: 'AFTER-ACK' });
    socket.destroy();
    expect(answers).toHaveLength(1);

    const records = await readJournal(b);
    const metaOf = async (record: (typeof records)[number]) => JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')) as { quarantine?: Record<string, unknown> };
    const unmapped = await Promise.all(records.filter((record) => record.kind === 'intake.quarantine').map(metaOf));
    expect(unmapped.map((meta) => meta.quarantine)).toEqual([
      expect.objectContaining({ disposition: 'not-mapped', messageType: 'MFN^M02', messageId: 'MFN-1', acks: ['AA'] }),
      expect.objectContaining({ disposition: 'not-mapped', messageType: 'ACK^A01', messageId: 'ACK-1', acks: [] }),
    ]);
    // Not quarantined for the operator: the monitor counts them accepted, without the quarantine's flag.
    const monitor = await call(b, 'hl7.monitor', {});
    expect(monitor.recent.filter((row) => row.controlId === 'MFN-1' || row.controlId === 'ACK-1')).toEqual([
      expect.not.objectContaining({ quarantined: true }),
      expect.not.objectContaining({ quarantined: true }),
    ]);
    // A file import says so too.
    const imported = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(mfn.replace('MFN-1', 'MFN-2')) }] });
    expect(imported.results).toEqual([expect.objectContaining({ ack: 'AA', mapping: 'not-mapped' })]);
    expect(imported.results[0]).not.toHaveProperty('quarantined');
    // An unmapped type that carries a PID is still filed under its patient (as SIU, DFT, BAR are).
    const siu = ['MSH|^~\\&|SCHED|NORTHCLINIC|HDMS|NODE|20260301120000||SIU^S12^SIU_S12|SIU-1|P|2.5.1', 'SCH|1|1', `PID|1||${MRN}^^^NORTHCLINIC^MR||${FAMILY}^${GIVEN}`].join('\r');
    const siuResult = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(siu) }] });
    expect(siuResult.results).toEqual([expect.objectContaining({ ack: 'AA', mapping: 'not-mapped' })]);
    expect((await readJournal(b)).at(-1)!.kind).toBe('intake.hl7');
  });

  it('QA s33 D4: the stored copy of a reprocess says which charset the operator chose, when it was the one used (the raw view reads it so)', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    // Latin-1 bytes that declare nothing usable (MSH-18 empty: the default UTF-8 fails): AR, quarantined.
    const undeclared = Buffer.from(adt('L-1', { family: 'Schäfer' }), 'latin1');
    // Latin-1 bytes whose MSH-18 wrongly says UTF-8: only an override reads them.
    const mislabelled = Buffer.from(adt('L-2', { family: 'Schäfer', charset: 'UNICODE UTF-8' }), 'latin1');
    const sent = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(undeclared) }, { bytes: b64(mislabelled) }] });
    expect(sent.results.map((result) => result.ack)).toEqual(['AR', 'AR']);
    const [undeclaredSeq, mislabelledSeq] = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq) as [number, number];
    const stored = async () => {
      const last = (await readJournal(b)).filter((record) => record.kind === 'intake.hl7').at(-1)!;
      return JSON.parse(Buffer.from(await openSealedMeta(vault.opener, last.meta!)).toString('utf8')) as { normalized: { hl7: { reprocessOf?: Record<string, unknown> } } };
    };
    expect(await call(b, 'hl7.reprocess', { quarantineSeq: undeclaredSeq, raw: b64(undeclared), charset: '8859/1' })).toMatchObject({ resolved: true });
    expect((await stored()).normalized.hl7.reprocessOf).toEqual({ quarantineSeq: undeclaredSeq, edited: false, charset: '8859/1' });
    expect(await call(b, 'hl7.reprocess', { quarantineSeq: mislabelledSeq, raw: b64(mislabelled), charset: '8859/1', charsetOverride: true })).toMatchObject({ resolved: true });
    expect((await stored()).normalized.hl7.reprocessOf).toEqual({ quarantineSeq: mislabelledSeq, edited: false, charset: '8859/1' });
    // A charset chosen for an empty MSH-18 is not the one used when the (edited) copy declares its own.
    const held = Buffer.from(adt('L-3', { charset: 'UNICODE UTF-8' }).split('\r').filter((line) => !line.startsWith('PID')).join('\r'), 'utf8');
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(held) }] });
    const heldSeq = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').at(-1)!.seq;
    expect(await call(b, 'hl7.reprocess', { quarantineSeq: heldSeq, raw: b64(adt('L-3', { charset: 'UNICODE UTF-8' })), charset: '8859/1', edited: true })).toMatchObject({ resolved: true });
    expect((await stored()).normalized.hl7.reprocessOf).toEqual({ quarantineSeq: heldSeq, edited: true });
  });

  it('D3/D4: an edited held message is stored as the operator\'s reprocess (no conflict, not a file import); reprocesses are counted apart from what the sender sent, across a restart', async () => {
    const { dataDir, b, vault } = await withVault({ mllpPort: 0 });
    const oru = (pid: boolean) =>
      ['MSH|^~\\&|LABWEST|SITE|HDMS|NODE|20260301120000||ORU^R01^ORU_R01|NOPID-1|P|2.5.1', ...(pid ? [`PID|1||${MRN}^^^SITE^MR||${FAMILY}^${GIVEN}`] : []), 'OBR|1||ACC-1|2951-2^Sodium^LN', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F'].join('\r');
    const badVersion = adt('BADVER-1').replace('|LABSYS|NORTHCLINIC|', '|LABWEST|SITE|').replace('|2.5.1|', '|9.9|');
    const sent = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(oru(false)) }, { bytes: b64(badVersion) }] });
    expect(sent.results).toEqual([expect.objectContaining({ ack: 'AA', quarantined: true }), expect.objectContaining({ ack: 'AR', quarantined: true })]);
    const [heldSeq, rejectedSeq] = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq) as [number, number];

    // The operator inserts a PID line and reprocesses: stored, the entry resolved, no conflict.
    const fixed = await call(b, 'hl7.reprocess', { quarantineSeq: heldSeq, raw: b64(oru(true)), edited: true });
    expect(fixed).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', controlId: 'NOPID-1' })] });
    expect(fixed.results[0]).not.toHaveProperty('conflict');
    const records = await readJournal(b);
    const stored = records.filter((record) => record.kind === 'intake.hl7');
    expect(stored).toHaveLength(1);
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, stored[0]!.meta!)).toString('utf8')) as { normalized: { channel: string; hl7: Record<string, unknown> } };
    expect(meta.normalized.channel).toBe('hl7-reprocess');
    expect(meta.normalized.hl7).toMatchObject({ reprocessOf: { quarantineSeq: heldSeq, edited: true } });
    expect(meta.normalized.hl7).not.toHaveProperty('conflict');
    // An unchanged reprocess of the rejected one: rejected again (answered as before), the entry stays open.
    const again = await call(b, 'hl7.reprocess', { quarantineSeq: rejectedSeq, raw: b64(badVersion) });
    expect(again).toMatchObject({ resolved: false, results: [expect.objectContaining({ ack: 'AR', duplicate: true })] });

    // LABWEST|SITE sent two messages: its row says two, the two reprocesses are counted apart.
    const counters = { sender: 'LABWEST|SITE', received: 2, accepted: 1, errored: 1, duplicates: 0, conflicts: 0, reprocessed: 2 };
    const monitor = await call(b, 'hl7.monitor', {});
    expect(monitor.senders).toEqual([expect.objectContaining(counters)]);
    expect(monitor.totals).toEqual({ received: 2, accepted: 1, errored: 1, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 2 });
    expect(monitor.recent.slice(0, 2).map((entry) => entry.channel)).toEqual(['hl7-reprocess', 'hl7-reprocess']);
    await stopped(b);
    const restarted = await body(dataDir, { mllpPort: 0 });
    await signInAs(restarted, vault);
    const after = await call(restarted, 'hl7.monitor', {});
    expect(after.senders).toEqual([expect.objectContaining(counters)]);
    expect(after.totals).toEqual(monitor.totals);
  });

  it('D3 follow-up: a second edit of a held message, after the first edit was held again, is a new reprocess of the same message, not a conflict', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    const oru = (pid: boolean, value: string) =>
      ['MSH|^~\\&|LABWEST|SITE|HDMS|NODE|20260301120000||ORU^R01^ORU_R01|NOPID-2|P|2.5.1', ...(pid ? [`PID|1||${MRN}^^^SITE^MR||${FAMILY}^${GIVEN}`] : []), 'OBR|1||ACC-1|2951-2^Sodium^LN', `OBX|1|NM|2951-2^Sodium^LN||${value}|mmol/L|135-145|N|||F`].join('\r');
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(oru(false, '140')) }] });
    const quarantineSeqs = async () => (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq);
    const [heldSeq] = (await quarantineSeqs()) as [number];

    // The first edit still has no PID: held again as a new entry, which settles this one (QA2-11 Q2).
    const first = await call(b, 'hl7.reprocess', { quarantineSeq: heldSeq, raw: b64(oru(false, '141')), edited: true });
    expect(first).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', quarantined: true })] });
    expect(first.results[0]).not.toHaveProperty('conflict');
    const [, heldAgainSeq] = (await quarantineSeqs()) as [number, number];

    // The second edit, of the held copy: filed, no conflict with the original or the first edit.
    const second = await call(b, 'hl7.reprocess', { quarantineSeq: heldAgainSeq, raw: b64(oru(true, '141')), edited: true });
    expect(second).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', controlId: 'NOPID-2' })] });
    expect(second.results[0]).not.toHaveProperty('conflict');
    const stored = (await readJournal(b)).filter((record) => record.kind === 'intake.hl7');
    expect(stored).toHaveLength(1);
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, stored[0]!.meta!)).toString('utf8')) as { normalized: { hl7: Record<string, unknown> } };
    expect(meta.normalized.hl7).toMatchObject({ reprocessOf: { quarantineSeq: heldAgainSeq, edited: true } });
    expect(meta.normalized.hl7).not.toHaveProperty('conflict');
    const monitor = await call(b, 'hl7.monitor', {});
    expect(monitor.senders).toEqual([expect.objectContaining({ sender: 'LABWEST|SITE', received: 1, conflicts: 0, reprocessed: 2 })]);
  });

  it('QA2-11 Q2: an edited reprocess held again settles the entry it came from (reprocessed, naming the new entry), so the same message cannot be filed twice with two different values', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    const oru = (pid: boolean, value: string) =>
      ['MSH|^~\\&|NOPID|SITE|HDMS|NODE|20260301120000||ORU^R01^ORU_R01|W-9|P|2.5.1', ...(pid ? [`PID|1||${MRN}^^^SITE^MR||${FAMILY}^${GIVEN}`] : []), 'OBR|1||ACC-9|2823-3^Potassium^LN', `OBX|1|NM|2823-3^Potassium^LN||${value}|mmol/L|3.5-5.1|N|||F`].join('\r');
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(oru(false, '4.9')) }] });
    const quarantineSeqs = async () => (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq);
    const [originalSeq] = (await quarantineSeqs()) as [number];

    // The operator changes 4.9 to 4.8 but forgets the PID: held again, as a new entry.
    const first = await call(b, 'hl7.reprocess', { quarantineSeq: originalSeq, raw: b64(oru(false, '4.8')), edited: true });
    expect(first).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', quarantined: true })] });
    const [, copySeq] = (await quarantineSeqs()) as [number, number];
    const records = await readJournal(b);
    const act = records.find((record) => record.seq === first.seq)!;
    expect(act.kind).toBe('intake.reprocessed');
    expect(JSON.parse(Buffer.from(await openSealedMeta(vault.opener, act.meta!)).toString('utf8'))).toMatchObject({ type: 'reprocessed', quarantineSeq: originalSeq, resolved: true, heldAgainAs: [copySeq] });

    // The copy is fixed and filed; the original can be neither reprocessed nor edited again.
    const filed = await call(b, 'hl7.reprocess', { quarantineSeq: copySeq, raw: b64(oru(true, '4.8')), edited: true });
    expect(filed).toMatchObject({ resolved: true, results: [expect.objectContaining({ ack: 'AA', controlId: 'W-9' })] });
    expect((await refused(call(b, 'hl7.reprocess', { quarantineSeq: originalSeq, raw: b64(oru(true, '4.9')), edited: true }))).code).toBe('E_CONFLICT');
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: originalSeq }))).code).toBe('E_CONFLICT');
    const stored = (await readJournal(b)).filter((record) => record.kind === 'intake.hl7');
    expect(stored).toHaveLength(1);

    // An unchanged reprocess (answered as before, no new entry) still leaves its entry open.
    await call(b, 'hl7.importFiles', { files: [{ bytes: b64(oru(false, '5.0').replace('|W-9|', '|W-10|')) }] });
    const [, , otherSeq] = (await quarantineSeqs()) as [number, number, number];
    const unchanged = await call(b, 'hl7.reprocess', { quarantineSeq: otherSeq, raw: b64(oru(false, '5.0').replace('|W-9|', '|W-10|')) });
    expect(unchanged).toMatchObject({ resolved: false, results: [expect.objectContaining({ duplicate: true })] });
    expect(await quarantineSeqs()).toHaveLength(3);
  });

  it('reprocesses a quarantined message with another charset and discards another; both are journaled acts', async () => {
    const { b, vault } = await withVault({ mllpPort: 0 });
    // Latin-1 bytes with MSH-18 empty: not valid UTF-8 (the default) → AR, quarantined.
    const latin1 = Buffer.from(adt('Q-1', { family: 'Müller' }), 'latin1');
    const first = await call(b, 'hl7.importFiles', { files: [{ bytes: b64(latin1) }, { bytes: b64('garbage garbage') }] });
    expect(first.results).toEqual([expect.objectContaining({ file: 0, ack: 'AR', quarantined: true }), expect.objectContaining({ file: 1, ack: 'AR', quarantined: true })]);
    const quarantined = (await readJournal(b)).filter((record) => record.kind === 'intake.quarantine').map((record) => record.seq);
    expect(quarantined).toHaveLength(2);
    const [latinSeq, garbageSeq] = quarantined as [number, number];

    // Same bytes, same charset: still rejected (answered as before), so the entry stays open.
    const same = await call(b, 'hl7.reprocess', { quarantineSeq: latinSeq, raw: b64(latin1) });
    expect(same).toMatchObject({ resolved: false, results: [expect.objectContaining({ ack: 'AR' })] });
    // With the right charset it is stored, and the quarantine entry is resolved.
    const fixed = await call(b, 'hl7.reprocess', { quarantineSeq: latinSeq, raw: b64(latin1), charset: '8859/1' });
    expect(fixed).toMatchObject({ resolved: true, results: [expect.objectContaining({ file: 0, index: 0, ack: 'AA', controlId: 'Q-1' })] });
    const records = await readJournal(b);
    const acts = records.filter((record) => record.kind === 'intake.reprocessed');
    expect(acts.map((record) => record.seq)).toEqual([same.seq, fixed.seq]);
    expect(acts[1]).toMatchObject({ operator: null, objects: [] });
    const meta = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, acts[1]!.meta!)).toString('utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ v: 1, type: 'reprocessed', quarantineSeq: latinSeq, resolved: true, charset: '8859/1', operatorId: vault.operatorId });
    const stored = records.filter((record) => record.kind === 'intake.hl7');
    expect(stored).toHaveLength(1);
    const normalized = JSON.parse(Buffer.from(await openSealedMeta(vault.opener, stored[0]!.meta!)).toString('utf8')) as { normalized: { patient: { names: Array<{ family: string }> } } };
    expect(JSON.stringify(normalized)).toContain('Müller');
    // Resolved once: a second reprocess or a discard is a conflict.
    expect((await refused(call(b, 'hl7.reprocess', { quarantineSeq: latinSeq, raw: b64(latin1), charset: '8859/1' }))).code).toBe('E_CONFLICT');
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: latinSeq }))).code).toBe('E_CONFLICT');

    const discarded = await call(b, 'intake.discard', { quarantineSeq: garbageSeq });
    const discardRecord = (await readJournal(b)).find((record) => record.seq === discarded.seq)!;
    expect(discardRecord).toMatchObject({ kind: 'intake.discarded', operator: null, objects: [] });
    expect(JSON.parse(Buffer.from(await openSealedMeta(vault.opener, discardRecord.meta!)).toString('utf8'))).toMatchObject({ v: 1, type: 'discarded', quarantineSeq: garbageSeq, operatorId: vault.operatorId });
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: garbageSeq }))).code).toBe('E_CONFLICT');
    // Only quarantine records can be reprocessed or discarded.
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: stored[0]!.seq }))).code).toBe('E_BAD_REQUEST');
    expect((await refused(call(b, 'intake.discard', { quarantineSeq: 999_999 }))).code).toBe('E_BAD_REQUEST');

    // The resolutions are read back from the journal after a restart.
    const dataDir = (await call(b, 'app.info', {})).dataDir;
    await stopped(b);
    const again = await body(dataDir, { mllpPort: 0 });
    await signInAs(again, vault);
    expect((await refused(call(again, 'intake.discard', { quarantineSeq: latinSeq }))).code).toBe('E_CONFLICT');
    expect((await refused(call(again, 'intake.discard', { quarantineSeq: garbageSeq }))).code).toBe('E_CONFLICT');

    // Reprocess through an upload holding one file.
    const { handle } = await call(again, 'intake.uploadBegin', {});
    await call(again, 'intake.uploadAppend', { handle, file: 0, chunk: b64('still garbage') });
    await call(again, 'intake.uploadAppend', { handle, file: 1, chunk: b64('more') });
    expect((await refused(call(again, 'hl7.reprocess', { quarantineSeq: latinSeq + 100, upload: handle }))).code).toBe('E_BAD_REQUEST');
  });
});
