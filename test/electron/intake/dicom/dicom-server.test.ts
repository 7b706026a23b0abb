import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { DicomDedupe } from '../../../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../../../electron/intake/dicom/dicom-intake';
import { REJECT_REASON, REJECT_RESULT, REJECT_SOURCE, CONTEXT_RESULT } from '../../../../electron/intake/dicom/dicom-pdu';
import { startDicomServer, type DicomServer, type DicomServerOptions } from '../../../../electron/intake/dicom/dicom-server';
import { DIMSE_STATUS } from '../../../../electron/intake/dicom/dimse-command';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../../../electron/intake/dicom/dicom-uids';
import { createSealer, type Opener } from '../../../../shared/crypto/envelope';
import { IntakeMetaSchema, QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import type { VaultStorage } from '../../../../electron/storage/vault-storage';
import { useIntakePipelines } from '../intake-pipeline-support';
import { CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE, TestScu, instanceElements, writeDataset } from './dicom-test-support';

const { setup } = useIntakePipelines(createSealer);
const silent = { info: () => undefined, warn: () => undefined };
const servers: DicomServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(overrides: Partial<DicomServerOptions> = {}) {
  const vault = await setup();
  const dedupe = await DicomDedupe.open(path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe'), vault.storage.journal);
  const intake = createDicomNetworkIntake({ pipeline: vault.pipeline, issuerAuthorities: { 'RADIOLOGY PACS': 'HOSP' }, dedupe });
  const server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => (await intake(request)).status, closeTimeoutMs: 200, ...overrides });
  servers.push(server);
  return { ...vault, server };
}

async function records(storage: VaultStorage, opener: Opener) {
  const { records: all } = await storage.journal.read({ after: 0, limit: 100 });
  return Promise.all(
    all.map(async (record) => {
      const meta = JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)) as unknown;
      const raw = Buffer.from((await opener.open(await storage.objects.readAll(record.objects[0]!))).plaintext);
      return { kind: record.kind, meta, raw };
    }),
  );
}

const UID = '1.2.826.0.1.3680043.10.999.1.1.1';

/**
 * Sends `first` twice and `other` (same UID, other bytes) twice over one association, each
 * answered Success, and checks that the vault holds two records: the first, then a flagged conflict.
 */
async function resendAndConflict(port: number, storage: VaultStorage, opener: Opener, first: Buffer, other: Buffer) {
  const { scu } = await TestScu.associate({ port });
  for (const dataset of [first, first, other, other]) {
    scu.store(3, CT_IMAGE_STORAGE, UID, dataset);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
  }
  scu.close();
  const stored = await records(storage, opener);
  expect(stored.map((record) => [record.kind, IntakeMetaSchema.parse(record.meta).normalized.dicom?.conflict ?? false])).toEqual([
    ['intake.dicom', false],
    ['intake.dicom', true],
  ]);
  return stored;
}

describe('DICOM receiver (C-ECHO, C-STORE SCP)', () => {
  it('answers C-ECHO with Success on an accepted Verification context, and releases', async () => {
    const { server } = await start();
    const { scu, answer } = await TestScu.associate({ port: server.port });
    expect(answer.type).toBe('ac');
    if (answer.type !== 'ac') return;
    expect(answer.ac.presentationContexts).toEqual([
      { id: 1, result: CONTEXT_RESULT.ACCEPTANCE, transferSyntax: '1.2.840.10008.1.2' },
      { id: 3, result: CONTEXT_RESULT.ACCEPTANCE, transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN },
    ]);
    scu.echo();
    expect(await scu.next()).toMatchObject({ type: 'response', command: { commandField: 0x8030, status: 0, messageIdBeingRespondedTo: 1 } });
    scu.release();
    expect(await scu.next()).toEqual({ type: 'release-rp' });
    scu.close();
  });

  it('stores a C-STORE data set as a sealed Part 10 instance with its index fields, Success after the journal record', async () => {
    const { server, storage, opener, durable } = await start();
    const dataset = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-4711', issuer: 'RADIOLOGY PACS', patientName: 'Doe^Jane^Q', birthDate: '19800214', sex: 'F', studyDescription: 'CT HEAD W/O' }));
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, CT_IMAGE_STORAGE, UID, dataset, 1000);
    const response = await scu.next();
    expect(response).toMatchObject({ type: 'response', command: { commandField: 0x8001, status: DIMSE_STATUS.SUCCESS, affectedSopInstanceUid: UID } });
    expect(durable).toEqual([1]);
    const [record] = await records(storage, opener);
    expect(record!.kind).toBe('intake.dicom');
    const meta = IntakeMetaSchema.parse(record!.meta);
    expect(meta.normalized.patient).toEqual({ identifiers: [{ value: 'MRN-4711', authority: 'HOSP', type: '' }], name: { family: 'Doe', given: ['Jane', 'Q'] }, birthDate: '1980-02-14', sex: 'F' });
    expect(meta.normalized.dicom).toMatchObject({ sopInstanceUid: UID, sopClassUid: CT_IMAGE_STORAGE, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN, modality: 'CT', studyDate: '2026-01-14', studyDescription: 'CT HEAD W/O', issuerOfPatientId: 'RADIOLOGY PACS', source: 'network', callingAeTitle: 'TESTSCU' });
    // The stored bytes: File Meta Information, then the data set exactly as received.
    expect(record!.raw.subarray(128, 132).toString('latin1')).toBe('DICM');
    expect(record!.raw.subarray(record!.raw.length - dataset.length).equals(dataset)).toBe(true);
    scu.release();
    expect(await scu.next()).toEqual({ type: 'release-rp' });
  });

  it('streams a data set larger than what it reads ahead through the sealer with bounded memory', async () => {
    const { server, storage, opener } = await start({ datasetHighWaterBytes: 64 * 1024 });
    const pixels = Buffer.alloc(3 * 1024 * 1024 + 18);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xff;
    const dataset = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels, rows: 1024, columns: 1536 }));
    const { scu } = await TestScu.associate({ port: server.port, maxLength: 65536 });
    scu.store(3, CT_IMAGE_STORAGE, UID, dataset, 65536);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
    const [record] = await records(storage, opener);
    expect(record!.raw.subarray(record!.raw.length - dataset.length).equals(dataset)).toBe(true);
    scu.close();
  });

  it('quarantines an unreadable data set with its bytes and answers Cannot Understand (C000), then keeps serving', async () => {
    const { server, storage, opener } = await start();
    const garbage = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xff, 0x7f, 1, 2, 3]);
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, CT_IMAGE_STORAGE, UID, garbage);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.CANNOT_UNDERSTAND } });
    const [record] = await records(storage, opener);
    expect(record!.kind).toBe('intake.quarantine');
    const meta = QuarantineMetaSchema.parse(record!.meta);
    // Its control id is the request's Affected SOP Instance UID (nothing could be read from the data set; QA explore-12 D5).
    expect(meta.quarantine).toMatchObject({ channel: 'dicom', disposition: 'rejected', source: 'TESTSCU@127.0.0.1', messageId: UID });
    expect(record!.raw.subarray(record!.raw.length - garbage.length).equals(garbage)).toBe(true);
    // The same association goes on.
    scu.store(3, CT_IMAGE_STORAGE, UID, writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1' })));
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
    scu.close();
  });

  it('quarantines a data set cut short inside Pixel Data with what arrived and answers C000, then stores a good one on the same association', async () => {
    const { server, storage, opener } = await start();
    const whole = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels: Buffer.alloc(131_072, 7), rows: 256, columns: 256 }));
    const cut = whole.subarray(0, 40_000);
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, CT_IMAGE_STORAGE, UID, cut);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.CANNOT_UNDERSTAND } });
    scu.store(3, CT_IMAGE_STORAGE, UID, whole);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
    scu.close();
    const [quarantined, stored] = await records(storage, opener);
    expect(quarantined!.kind).toBe('intake.quarantine');
    const reason = QuarantineMetaSchema.parse(quarantined!.meta).quarantine;
    const arrived = 40_000 - (whole.length - 131_072);
    expect(reason).toMatchObject({ disposition: 'rejected', messageId: UID, reason: expect.stringContaining(`ends inside Pixel Data (7FE0,0010): ${arrived.toLocaleString('en-US')} of 131,072 bytes arrived`) });
    expect(quarantined!.raw.subarray(quarantined!.raw.length - cut.length).equals(cut)).toBe(true);
    expect(stored!.kind).toBe('intake.dicom');
  });

  it('quarantines a streamed data set (larger than its head) cut short inside Pixel Data with all its bytes, answers C000, and stores no instance', async () => {
    const { server, storage, opener } = await start({ datasetHighWaterBytes: 64 * 1024 });
    const pixels = Buffer.alloc(3 * 1024 * 1024, 3);
    const whole = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels, rows: 1024, columns: 1536 }));
    const cut = whole.subarray(0, 2 * 1024 * 1024);
    const { scu } = await TestScu.associate({ port: server.port, maxLength: 65536 });
    scu.store(3, CT_IMAGE_STORAGE, UID, cut, 65536);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.CANNOT_UNDERSTAND } });
    scu.store(3, CT_IMAGE_STORAGE, UID, whole, 65536);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
    scu.close();
    const all = await records(storage, opener);
    expect(all.map((record) => record.kind)).toEqual(['intake.quarantine', 'intake.dicom']);
    const quarantine = QuarantineMetaSchema.parse(all[0]!.meta).quarantine;
    expect(quarantine).toMatchObject({ disposition: 'rejected', messageId: UID, reason: expect.stringMatching(/ends inside Pixel Data \(7FE0,0010\): [\d,]+ of 3,145,728 bytes arrived/) });
    // What is kept is every byte received, behind the File Meta Information made for it (design §4).
    const kept = all[0]!.raw;
    const at = kept.indexOf(cut.subarray(0, 64));
    expect(at).toBeGreaterThan(128);
    expect(kept.length - at).toBe(cut.length);
    expect(kept.subarray(at).equals(cut)).toBe(true);
  });

  it('quarantines native Pixel Data shorter than its image (element length and bytes agree) with C000 and a reason naming the byte counts, on a small and a streamed data set (QA12 D6)', async () => {
    const { server, storage, opener } = await start({ datasetHighWaterBytes: 64 * 1024 });
    // 256 × 256 × 16 bits need 131,072 bytes; 60,000 were sent, with a matching element length.
    const small = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels: Buffer.alloc(60_000, 7), rows: 256, columns: 256 }));
    // 1024 × 1536 × 16 bits need 3,145,728 bytes; 2,000,000 sent: past the 1 MiB head.
    const streamed = writeDataset(instanceElements({ sopInstanceUid: `${UID}.2`, patientId: 'P1', pixels: Buffer.alloc(2_000_000, 3), rows: 1024, columns: 1536 }));
    const { scu } = await TestScu.associate({ port: server.port, maxLength: 65536 });
    scu.store(3, CT_IMAGE_STORAGE, UID, small);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.CANNOT_UNDERSTAND } });
    scu.store(3, CT_IMAGE_STORAGE, `${UID}.2`, streamed, 65536);
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.CANNOT_UNDERSTAND } });
    scu.close();
    const all = await records(storage, opener);
    expect(all.map((record) => record.kind)).toEqual(['intake.quarantine', 'intake.quarantine']);
    expect(QuarantineMetaSchema.parse(all[0]!.meta).quarantine).toMatchObject({
      disposition: 'rejected',
      messageId: UID,
      reason: 'Pixel Data (7FE0,0010) holds 60,000 bytes, but 256 × 256 pixels × 1 sample × 16 bits × 1 frame need 131,072: the image is incomplete (a damaged file or a faulty sender).',
    });
    expect(QuarantineMetaSchema.parse(all[1]!.meta).quarantine.reason).toMatch(/^Pixel Data \(7FE0,0010\) holds 2,000,000 bytes, but 1024 × 1536 pixels .* need 3,145,728:/);
    // Every byte is kept with it.
    expect(all[0]!.raw.subarray(all[0]!.raw.length - small.length).equals(small)).toBe(true);
    expect(all[1]!.raw.subarray(all[1]!.raw.length - streamed.length).equals(streamed)).toBe(true);
  });

  it('holds an instance without Patient ID in quarantine and answers Success', async () => {
    const { server, storage, opener } = await start();
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, CT_IMAGE_STORAGE, UID, writeDataset(instanceElements({ sopInstanceUid: UID })));
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS } });
    const [record] = await records(storage, opener);
    expect(QuarantineMetaSchema.parse(record!.meta).quarantine).toMatchObject({ disposition: 'held', messageId: UID });
    scu.close();
  });

  it('answers an identical resend Success without storing it again, and stores other bytes under the same UID as a flagged conflict', async () => {
    const { server, storage, opener, dataDir } = await start();
    const first = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', studyDescription: 'FIRST' }));
    const other = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', studyDescription: 'CORRECTED' }));
    await resendAndConflict(server.port, storage, opener, first, other);
    // The dropped resend left no object file behind: one per record.
    const objects = (await import('node:fs/promises')).readdir(path.join(dataDir, 'vault', 'objects'), { recursive: true, withFileTypes: true });
    expect((await objects).filter((entry) => entry.isFile() && /^[0-9a-f]{62}$/.test(entry.name))).toHaveLength(2);
    // After a restart the index is read back from the journal's tags: the resend is still recognized.
    const reopened = await DicomDedupe.open(path.join(dataDir, 'vault', 'intake', 'dicom-dedupe'), storage.journal);
    expect(reopened.lookup(reopened.keyTag(UID)).map((copy) => copy.seq)).toEqual([1, 2]);
    await reopened.close();
  });

  it('stores every instance byte for byte while four associations at once reuse the buffers their heads are gathered in (sizes from inline to streamed)', async () => {
    const { server, storage, opener } = await start();
    const sizes = [20_000, 300_000, 700_000, 1_300_000];
    const sent = new Map<string, Buffer>();
    const scus = await Promise.all(sizes.map(() => TestScu.associate({ port: server.port })));
    await Promise.all(
      scus.map(async ({ scu }, association) => {
        for (let round = 0; round < 3; round++) {
          // Each association's instances change size and content round by round, so a buffer reused too early would show.
          const length = sizes[(association + round) % sizes.length]!;
          const pixels = Buffer.alloc(length);
          for (let i = 0; i < length; i++) pixels[i] = (i * (association + 3) + round * 11) & 0xff;
          const uid = `${UID}.${association}.${round}`;
          const dataset = writeDataset(instanceElements({ sopInstanceUid: uid, patientId: `P${association}`, pixels, rows: length / 1000, columns: 500 }));
          sent.set(uid, dataset);
          scu.store(3, CT_IMAGE_STORAGE, uid, dataset, 16_384);
          expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SUCCESS, affectedSopInstanceUid: uid } });
        }
        scu.close();
      }),
    );
    const stored = await records(storage, opener);
    expect(stored).toHaveLength(12);
    for (const record of stored) {
      const dataset = sent.get(IntakeMetaSchema.parse(record.meta).normalized.dicom!.sopInstanceUid)!;
      expect(record.raw.subarray(record.raw.length - dataset.length).equals(dataset)).toBe(true);
    }
  });

  it('recognizes resends and conflicts of instances over 64 KiB too (sealed from memory), each stored byte for byte as one object file', async () => {
    const { server, storage, opener, dataDir } = await start();
    const pixels = Buffer.from(Uint16Array.from({ length: 256 * 256 }, (_, i) => (i * 7) % 4096).buffer);
    const first = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', studyDescription: 'FIRST', pixels, rows: 256, columns: 256 }));
    const other = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1', studyDescription: 'CORRECTED', pixels, rows: 256, columns: 256 }));
    expect(first.length).toBeGreaterThan(128 * 1024);
    const stored = await resendAndConflict(server.port, storage, opener, first, other);
    for (const [record, dataset] of [[stored[0]!, first], [stored[1]!, other]] as const) expect(record.raw.subarray(record.raw.length - dataset.length).equals(dataset)).toBe(true);
    const objects = (await import('node:fs/promises')).readdir(path.join(dataDir, 'vault', 'objects'), { recursive: true, withFileTypes: true });
    expect((await objects).filter((entry) => entry.isFile() && /^[0-9a-f]{62}$/.test(entry.name))).toHaveLength(2);
    const reopened = await DicomDedupe.open(path.join(dataDir, 'vault', 'intake', 'dicom-dedupe'), storage.journal);
    expect(reopened.lookup(reopened.keyTag(UID)).map((copy) => copy.seq)).toEqual([1, 2]);
    await reopened.close();
  });

  it('answers SOP Class not Supported (0122) when the request names another class than its context, storing nothing', async () => {
    const { server, storage } = await start();
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, SECONDARY_CAPTURE_STORAGE, UID, writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1' })));
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.SOP_CLASS_NOT_SUPPORTED } });
    expect((await storage.journal.read({ after: 0, limit: 10 })).records).toHaveLength(0);
    scu.close();
  });

  it('answers Out of Resources (A700) when storage fails, and records nothing', async () => {
    const failing = async () => {
      throw new Error('disk full');
    };
    const intake = createDicomNetworkIntake({ pipeline: { ingest: failing, quarantine: failing, ingestSettled: failing } });
    const server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => (await intake(request)).status, closeTimeoutMs: 200 });
    servers.push(server);
    const { scu } = await TestScu.associate({ port: server.port });
    scu.store(3, CT_IMAGE_STORAGE, UID, writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1' })));
    expect(await scu.next()).toMatchObject({ type: 'response', command: { status: DIMSE_STATUS.OUT_OF_RESOURCES } });
    scu.close();
  });

  it('rejects a wrong called AE title, and a calling AE or address not on the allow-list', async () => {
    const { server } = await start({ allowedCallers: [{ aeTitle: 'MODALITY1', address: '127.0.0.1' }], artimMs: 200 });
    const wrongCalled = await TestScu.associate({ port: server.port, calledAeTitle: 'OTHER', callingAeTitle: 'MODALITY1' });
    expect(wrongCalled.answer).toEqual({ type: 'rj', rj: { result: REJECT_RESULT.PERMANENT, source: REJECT_SOURCE.SERVICE_USER, reason: REJECT_REASON.CALLED_AE_NOT_RECOGNIZED } });
    // After a reject the requestor closes; one that does not is closed when ARTIM expires.
    expect(await wrongCalled.scu.next()).toEqual({ type: 'closed' });
    const unknownCaller = await TestScu.associate({ port: server.port, callingAeTitle: 'INTRUDER' });
    expect(unknownCaller.answer).toEqual({ type: 'rj', rj: { result: REJECT_RESULT.PERMANENT, source: REJECT_SOURCE.SERVICE_USER, reason: REJECT_REASON.CALLING_AE_NOT_RECOGNIZED } });
    unknownCaller.scu.close();
    const allowed = await TestScu.associate({ port: server.port, callingAeTitle: 'MODALITY1' });
    expect(allowed.answer.type).toBe('ac');
    allowed.scu.close();
  });

  it('refuses a LAN bind without an allow-list', async () => {
    await expect(startDicomServer({ port: 0, host: '0.0.0.0', aeTitle: 'HDMS', log: silent, cStore: async () => 0 })).rejects.toThrow(/allow-list/);
  });

  it('rejects associations beyond the cap as transient (local limit exceeded) and accepts again once one ends', async () => {
    const { server } = await start({ maxAssociations: 2 });
    const a = await TestScu.associate({ port: server.port });
    const b = await TestScu.associate({ port: server.port });
    expect([a.answer.type, b.answer.type]).toEqual(['ac', 'ac']);
    const c = await TestScu.associate({ port: server.port });
    expect(c.answer).toEqual({ type: 'rj', rj: { result: REJECT_RESULT.TRANSIENT, source: REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION, reason: REJECT_REASON.LOCAL_LIMIT_EXCEEDED } });
    a.scu.release();
    expect(await a.scu.next()).toEqual({ type: 'release-rp' });
    a.scu.close();
    expect(await a.scu.next()).toEqual({ type: 'closed' });
    let d = await TestScu.associate({ port: server.port });
    // The release is seen by the receiver when the peer's close arrives; retry until it is.
    while (d.answer.type === 'rj') {
      d.scu.close();
      d = await TestScu.associate({ port: server.port });
    }
    expect(d.answer.type).toBe('ac');
    b.scu.close();
    d.scu.close();
  });

  it('aborts a peer that sends garbage instead of PDUs, and keeps serving others', async () => {
    const { server } = await start();
    const junk = await TestScu.connect(server.port);
    junk.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await junk.next()).toMatchObject({ type: 'abort' });
    junk.close();
    const { scu, answer } = await TestScu.associate({ port: server.port });
    expect(answer.type).toBe('ac');
    scu.close();
  });

  it('refuses a P-DATA-TF longer than the announced maximum as soon as its header arrives', async () => {
    const { server } = await start({ maxPduLength: 16384, artimMs: 200 });
    const { scu } = await TestScu.associate({ port: server.port });
    const header = Buffer.from([0x04, 0, 0x7f, 0xff, 0xff, 0xff]);
    scu.socket.write(header);
    expect(await scu.next()).toMatchObject({ type: 'abort', source: 2, reason: 6 });
    expect(await scu.next()).toEqual({ type: 'closed' });
  });

  it('closes a connection that never completes its A-ASSOCIATE-RQ (ARTIM), however slowly its bytes come', async () => {
    const { server } = await start({ artimMs: 300 });
    const slow = await TestScu.connect(server.port);
    // A-ASSOCIATE-RQ header announcing 1000 bytes, then one byte every 50 ms.
    slow.socket.write(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x03, 0xe8]));
    const timer = setInterval(() => slow.socket.write(Buffer.from([0x00])), 50);
    try {
      expect(await slow.next()).toEqual({ type: 'closed' });
    } finally {
      clearInterval(timer);
    }
  });

  it('aborts an established association whose peer stops sending mid data set (idle timeout), storing nothing', async () => {
    const { server, storage } = await start({ idleTimeoutMs: 300 });
    const { scu } = await TestScu.associate({ port: server.port });
    const dataset = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'P1' }));
    scu.sendCommand(3, { commandField: 0x0001, messageId: 9, priority: 0, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: UID, commandDataSetType: 0 });
    // Half the data set, never the last fragment.
    const { encodePData } = await import('../../../../electron/intake/dicom/dicom-pdu');
    const pdu = encodePData(3, false, dataset.subarray(0, 100), 16384)[0]!;
    pdu[11] = 0; // not the last fragment
    scu.socket.write(pdu);
    expect(await scu.next()).toMatchObject({ type: 'abort' });
    expect((await storage.journal.read({ after: 0, limit: 10 })).records).toHaveLength(0);
    scu.close();
  });

  it('closes connections beyond the association cap plus a few at once (a connection flood holds nothing)', async () => {
    const { server } = await start({ maxAssociations: 1 });
    const sockets = await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(server.port, '127.0.0.1', () => resolve(socket));
          socket.on('error', () => undefined);
        }),
      ),
    );
    expect(server.associations().length).toBeLessThanOrEqual(9);
    for (const socket of sockets) socket.destroy();
    const { scu, answer } = await TestScu.associate({ port: server.port });
    expect(answer.type).toBe('ac');
    scu.close();
  });
});
