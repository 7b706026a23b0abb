import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../../electron/body';
import { IntakeMetaSchema, QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import { INTAKE_CHUNK_MAX_CHARS, INTAKE_FILE_MAX_BYTES } from '../../../../shared/ipc/intake-contract';
import { useTempDirs } from '../../../support/temp-dir';
import { buildTestKeyring, openSealedMeta, signIn, type TestVault } from '../../../support/vault-keyring';
import { call, readJournal } from '../../vault/vault-test-support';
import { instanceElements, part10File } from './dicom-test-support';

/**
 * Issue 12, imports over 16 MiB: a 100 MiB multi-frame instance is sent to the body chunk by
 * chunk (dicom.streamBegin / streamAppend, as the mind does) and streamed through the sealer into
 * the object store; the stored object opens to exactly the file's bytes. A large file cut short
 * is quarantined with what arrived.
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

/** Bytes per append: what fits one call (512 KiB). */
const CHUNK = Math.floor((INTAKE_CHUNK_MAX_CHARS * 3) / 4);

async function openBody(): Promise<{ b: Body; vault: TestVault; dataDir: string }> {
  const dataDir = await tempDir();
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', dicomPort: 0 });
  bodies.push(b);
  const vault = await buildTestKeyring();
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
  return { b, vault, dataDir };
}

/** A multi-frame instance of `frames` 1024 × 512 16-bit frames (1 MiB each), its pixels from a counter. */
function multiFrame(uid: string, frames: number, fields: { patientId?: string } = { patientId: 'MRN-BIG-1' }): Buffer {
  const pixels = Buffer.alloc(frames * 1024 * 512 * 2);
  for (let i = 0; i < pixels.length; i += 4) pixels.writeUInt32LE((i * 2654435761) >>> 0, i);
  const elements = instanceElements({ sopInstanceUid: uid, ...fields, issuer: 'NORTHCLINIC', patientName: 'Grossbild^Ada', rows: 512, columns: 1024, pixels });
  elements.push([0x00280008, 'IS', String(frames)]);
  return part10File(elements);
}

async function streamFile(b: Body, bytes: Buffer, cutAt = bytes.length) {
  const { handle } = await call(b, 'dicom.streamBegin', {});
  for (let offset = 0; ; offset += CHUNK) {
    const end = Math.min(cutAt, offset + CHUNK);
    const answer = await call(b, 'dicom.streamAppend', { handle, chunk: bytes.subarray(offset, end).toString('base64url'), last: end === bytes.length });
    if (answer.result !== undefined) return answer.result;
    if (end === cutAt) {
      await call(b, 'dicom.streamAbort', { handle });
      return null;
    }
  }
}

/** SHA-256 of the plaintext of a stored object, opened as a stream from its file. */
async function storedHash(vault: TestVault, dataDir: string, objectId: string): Promise<string> {
  const opened = await vault.opener.openStream(createReadStream(path.join(dataDir, 'vault', 'objects', objectId.slice(0, 2), objectId.slice(2))));
  const hash = createHash('sha256');
  for await (const piece of opened.plaintext) hash.update(piece);
  return hash.digest('hex');
}

describe('body: DICOM imports over 16 MiB', () => {
  it('stores a 100 MiB multi-frame streamed chunk by chunk; the object opens to the same bytes (by hash); a resend is a duplicate', async () => {
    const { b, vault, dataDir } = await openBody();
    const file = multiFrame('1.2.826.0.1.3680043.10.999.90.1', 100);
    expect(file.length).toBeGreaterThan(100 * 1024 * 1024);
    expect(file.length).toBeGreaterThan(INTAKE_FILE_MAX_BYTES);
    const result = await streamFile(b, file);
    expect(result).toMatchObject({ outcome: 'stored', seq: expect.any(Number) });

    const record = (await readJournal(b)).find((entry) => entry.seq === result!.seq)!;
    expect(record.kind).toBe('intake.dicom');
    const meta = IntakeMetaSchema.parse(JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')));
    expect(meta.rawBytes).toBe(file.length);
    expect(meta.normalized.dicom).toMatchObject({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.90.1', numberOfFrames: 100, rows: 512, columns: 1024, source: 'import' });
    expect(await storedHash(vault, dataDir, record.objects[0]!)).toBe(createHash('sha256').update(file).digest('hex'));

    await expect(streamFile(b, file)).resolves.toEqual({ outcome: 'duplicate' });
    expect((await readJournal(b)).filter((entry) => entry.kind === 'intake.dicom')).toHaveLength(1);
  }, 120_000);

  it('a large file that is not DICOM is answered early; one cut short is aborted and nothing is stored', async () => {
    const { b } = await openBody();
    const junk = Buffer.alloc(20 * 1024 * 1024, 0x41);
    const { handle } = await call(b, 'dicom.streamBegin', {});
    let answer: Awaited<ReturnType<typeof call<'dicom.streamAppend'>>> = { bytes: 0 };
    let sent = 0;
    while (answer.result === undefined) {
      answer = await call(b, 'dicom.streamAppend', { handle, chunk: junk.subarray(sent, sent + CHUNK).toString('base64url'), last: sent + CHUNK >= junk.length });
      sent += CHUNK;
    }
    expect(answer.result).toMatchObject({ outcome: 'not-dicom' });
    // The head (1 MiB) was enough to tell.
    expect(sent).toBeLessThan(junk.length);

    const before = (await readJournal(b)).length;
    expect(await streamFile(b, multiFrame('1.2.826.0.1.3680043.10.999.90.2', 20), 8 * 1024 * 1024)).toBeNull();
    expect(await readJournal(b)).toHaveLength(before);
  }, 60_000);

  it('a large file that ends inside Pixel Data (all of it sent) is quarantined with all its bytes and the reason, not stored (QA explore-12 D1; design §4)', async () => {
    const { b, vault, dataDir } = await openBody();
    const file = multiFrame('1.2.826.0.1.3680043.10.999.90.4', 20).subarray(0, 18_000_000);
    const result = await streamFile(b, file);
    expect(result).toMatchObject({ outcome: 'quarantined', seq: expect.any(Number), reason: expect.stringMatching(/^The data set ends inside Pixel Data \(7FE0,0010\): [\d,]+ of 20,971,520 bytes arrived\./) });
    const journal = await readJournal(b);
    expect(journal.filter((entry) => entry.kind === 'intake.dicom')).toHaveLength(0);
    const record = journal.find((entry) => entry.seq === result!.seq)!;
    expect(record.kind).toBe('intake.quarantine');
    const meta = QuarantineMetaSchema.parse(JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')));
    expect(meta.quarantine).toMatchObject({ channel: 'dicom', disposition: 'rejected', messageId: '1.2.826.0.1.3680043.10.999.90.4' });
    // Every byte received is kept (the object already sealed as it streamed), not only the head.
    expect(meta.rawBytes).toBe(file.length);
    expect(await storedHash(vault, dataDir, record.objects[0]!)).toBe(createHash('sha256').update(file).digest('hex'));
  }, 60_000);

  it('a large instance without Patient ID is held in quarantine with all its bytes, and is reprocessed as a stream', async () => {
    const { b, vault, dataDir } = await openBody();
    const file = multiFrame('1.2.826.0.1.3680043.10.999.90.3', 20, {});
    const result = await streamFile(b, file);
    expect(result).toMatchObject({ outcome: 'held', seq: expect.any(Number) });
    const record = (await readJournal(b)).find((entry) => entry.seq === result!.seq)!;
    const meta = QuarantineMetaSchema.parse(JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.meta!)).toString('utf8')));
    expect(meta).toMatchObject({ rawBytes: file.length, quarantine: { channel: 'dicom', disposition: 'held' } });
    expect(await storedHash(vault, dataDir, record.objects[0]!)).toBe(createHash('sha256').update(file).digest('hex'));

    // Reprocessed as a stream (larger than an upload), the act journaled. The same bytes are found in
    // the quarantine (its own entry): answered as before, nothing stored, the entry left open (QA round 4 D1).
    const reprocess = async (bytes: Buffer) => {
      const { handle } = await call(b, 'dicom.streamBegin', { reprocess: { quarantineSeq: result!.seq! } });
      for (let offset = 0; ; offset += CHUNK) {
        const end = Math.min(bytes.length, offset + CHUNK);
        const answer = await call(b, 'dicom.streamAppend', { handle, chunk: bytes.subarray(offset, end).toString('base64url'), last: end === bytes.length });
        if (answer.result !== undefined) return answer;
      }
    };
    const same = await reprocess(file);
    expect(same).toMatchObject({ result: { outcome: 'duplicate', inQuarantine: true }, reprocessed: { resolved: false } });
    expect(same.result!.seq).toBeUndefined();
    const before = await readJournal(b);
    expect(before.filter((entry) => entry.kind === 'intake.quarantine')).toHaveLength(1);
    expect(before.find((entry) => entry.seq === same.reprocessed!.seq)).toMatchObject({ kind: 'intake.reprocessed', operator: null });
    // Bytes that now read (the instance with its Patient ID): stored, the entry settled.
    const named = await reprocess(multiFrame('1.2.826.0.1.3680043.10.999.90.3', 20));
    expect(named).toMatchObject({ result: { outcome: 'stored', seq: expect.any(Number) }, reprocessed: { resolved: true } });
    const journal = await readJournal(b);
    expect(journal.find((entry) => entry.seq === named.result!.seq)!.kind).toBe('intake.dicom');
    // Settled: a further streamed reprocess is refused before anything is stored.
    const refused = await reprocess(file);
    expect(refused).toMatchObject({ result: { outcome: 'failed', reason: expect.stringMatching(/resolved already/) } });
    expect(refused.reprocessed).toBeUndefined();
    expect(await readJournal(b)).toHaveLength(journal.length);
  }, 60_000);
});
