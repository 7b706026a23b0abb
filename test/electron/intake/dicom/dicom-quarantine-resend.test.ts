import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startBody, type Body } from '../../../../electron/body';
import { DIMSE_STATUS } from '../../../../electron/intake/dicom/dimse-command';
import { freePort } from '../../../support/free-port';
import { buildTestKeyring, signIn } from '../../../support/vault-keyring';
import { call, readJournal } from '../../vault/vault-test-support';
import { DicomDedupe } from '../../../../electron/intake/dicom/dicom-duplicates';
import { importDicomFile, importDicomStream } from '../../../../electron/intake/dicom/dicom-import';
import { buildFileMetaInformation } from '../../../../electron/intake/dicom/dicom-part10';
import { createSealer } from '../../../../shared/crypto/envelope';
import type { VaultStorage } from '../../../../electron/storage/vault-storage';
import { useIntakePipelines } from '../intake-pipeline-support';
import { CT_IMAGE_STORAGE, TestScu, instanceElements, part10File, writeDataset } from './dicom-test-support';

/**
 * Issue 12 ("an identical resend is answered Success and not stored twice"), QA round 4 D1: an
 * identical resend of an instance that is held (no Patient ID) or quarantined (cut short,
 * unreadable) is recognized by the DICOM duplicate index, as HL7 recognizes a resend of a message
 * it holds: one quarantine entry, however often it comes.
 */

const { setup, tempDir } = useIntakePipelines(createSealer);
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});
const UID = '1.2.826.0.1.3680043.10.999.81';

async function open() {
  const vault = await setup();
  const dir = path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe');
  const dedupe = await DicomDedupe.open(dir, vault.storage.journal);
  return { ...vault, dir, options: { pipeline: vault.pipeline, dedupe } };
}

async function kinds(storage: VaultStorage): Promise<string[]> {
  const { records } = await storage.journal.read({ after: 0, limit: 1000 });
  return records.map((record) => record.kind);
}

/** Pieces of `size` bytes, as a streamed import receives them. */
async function* pieces(bytes: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

const noPatient = (uid = `${UID}.1`) => part10File(instanceElements({ sopInstanceUid: uid }));
/** A complete file whose Pixel Data is shorter than its length says: cut short. */
const cutShort = (uid = `${UID}.2`) => part10File(instanceElements({ sopInstanceUid: uid, patientId: 'MRN-D1', pixels: Buffer.alloc(20_000, 7), rows: 100, columns: 100 })).subarray(0, 6_000);
/** DICM and File Meta Information, then bytes that are no data set: nothing names an instance. */
const junk = () => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('not a data set at all, just text typed into a .dcm file')]);

describe('DICOM: an identical resend of a held or quarantined instance', () => {
  it('is one quarantine entry however often it is imported: held, cut short, and bytes that name no instance', async () => {
    const { options, storage } = await open();
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const file of [noPatient(), cutShort(), junk()]) outcomes.push((await importDicomFile(options, file, `file ${round}`)).outcome);
    }
    expect(outcomes).toEqual(['held', 'quarantined', 'quarantined', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await kinds(storage)).toEqual(['intake.quarantine', 'intake.quarantine', 'intake.quarantine']);
  });

  it('issue 12 H6 #1: a held instance says what can file it (sent again with a Patient ID), not a reprocess of the same bytes', async () => {
    const { options } = await open();
    const held = await importDicomFile(options, noPatient(), 'file 1 of 1');
    expect(held).toMatchObject({ outcome: 'held', reason: expect.stringMatching(/no Patient ID \(0010,0020\).*sent or imported again with a Patient ID; reprocessing the same bytes cannot file it\.$/) });
  });

  it('says the copy was quarantined before, and is still known after a restart (read back from the journal)', async () => {
    const { options, storage, dir } = await open();
    const first = await importDicomFile(options, noPatient(), 'file 1 of 1');
    const again = await importDicomFile(options, noPatient(), 'file 1 of 1');
    expect(again).toMatchObject({ outcome: 'duplicate', inQuarantine: true, reason: expect.stringMatching(/^Quarantined before \(an identical copy came earlier; not stored again\)\. The instance has no Patient ID/) });
    expect(again.seq).toBeUndefined();
    await options.dedupe.close();
    const reopened = await DicomDedupe.open(dir, storage.journal);
    expect(await importDicomFile({ ...options, dedupe: reopened }, noPatient(), 'file 1 of 1')).toMatchObject({ outcome: 'duplicate', inQuarantine: true });
    expect(await importDicomFile({ ...options, dedupe: reopened }, cutShort(), 'file 1 of 1')).toMatchObject({ outcome: 'quarantined', seq: expect.any(Number) });
    expect(first.seq).toBeLessThan((await storage.journal.read({ after: 0, limit: 10 })).records.at(-1)!.seq);
    expect(await kinds(storage)).toEqual(['intake.quarantine', 'intake.quarantine']);
  });

  it('is one entry for a streamed import too (a file over the head, held or cut short)', async () => {
    const { options, storage } = await open();
    const big = part10File(instanceElements({ sopInstanceUid: `${UID}.3`, pixels: Buffer.alloc(300_000, 5), rows: 300, columns: 500 }));
    const bigCut = part10File(instanceElements({ sopInstanceUid: `${UID}.4`, patientId: 'MRN-D1', pixels: Buffer.alloc(300_000, 9), rows: 300, columns: 500 })).subarray(0, 200_000);
    const outcomes: string[] = [];
    for (let round = 0; round < 2; round++) {
      outcomes.push((await importDicomStream(options, pieces(big), 'a large file imported', 64 * 1024)).outcome);
      outcomes.push((await importDicomStream(options, pieces(bigCut), 'a large file imported', 64 * 1024)).outcome);
    }
    expect(outcomes).toEqual(['held', 'quarantined', 'duplicate', 'duplicate']);
    expect(await kinds(storage)).toEqual(['intake.quarantine', 'intake.quarantine']);
  });

  it('leaves other bytes alone: the same instance with its Patient ID is stored (not a conflict), other junk is its own entry', async () => {
    const { options, storage } = await open();
    expect((await importDicomFile(options, noPatient(), 'file')).outcome).toBe('held');
    expect((await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: `${UID}.1`, patientId: 'MRN-D1' })), 'file')).outcome).toBe('stored');
    expect((await importDicomFile(options, junk(), 'file')).outcome).toBe('quarantined');
    expect((await importDicomFile(options, Buffer.concat([junk(), Buffer.from('!')]), 'file')).outcome).toBe('quarantined');
    // A held copy under a UID neither is nor witnesses a duplicate of another copy of that UID that was stored.
    expect((await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: `${UID}.1`, patientId: 'MRN-D1' })), 'file')).outcome).toBe('duplicate');
    expect(await kinds(storage)).toEqual(['intake.quarantine', 'intake.dicom', 'intake.quarantine', 'intake.quarantine']);
  });

  it('an unreadable instance named by its File Meta Information only is one entry too', async () => {
    const { options, storage } = await open();
    const broken = Buffer.concat([buildFileMetaInformation({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: `${UID}.5`, transferSyntaxUid: '1.2.840.10008.1.2.1' }), Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xff, 0x7f])]);
    expect((await importDicomFile(options, broken, 'file')).outcome).toBe('quarantined');
    expect((await importDicomFile(options, broken, 'file')).outcome).toBe('duplicate');
    expect(await kinds(storage)).toEqual(['intake.quarantine']);
  });

  it('is answered once when two identical copies arrive at the same time', async () => {
    const { options, storage } = await open();
    const outcomes = await Promise.all([importDicomFile(options, noPatient(), 'a'), importDicomFile(options, noPatient(), 'b')]);
    expect(outcomes.map((outcome) => outcome.outcome).sort()).toEqual(['duplicate', 'held']);
    expect(await kinds(storage)).toEqual(['intake.quarantine']);
  });
});

describe('body: an identical C-STORE of a held or quarantined instance', () => {
  it('is answered as before and counted a duplicate, not held again; an import of the same instance finds it too', async () => {
    const port = await freePort();
    const b = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', dicomPort: port });
    bodies.push(b);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
    const held = writeDataset(instanceElements({ sopInstanceUid: `${UID}.6` }));
    const cut = writeDataset(instanceElements({ sopInstanceUid: `${UID}.7`, patientId: 'MRN-D1', pixels: Buffer.alloc(50_000), rows: 125, columns: 200 })).subarray(0, 20_000);
    const statuses: number[] = [];
    for (let association = 0; association < 2; association++) {
      const { scu } = await TestScu.associate({ port, callingAeTitle: 'CT_EAST' });
      for (const [uid, dataset] of [[`${UID}.6`, held], [`${UID}.7`, cut]] as const) {
        scu.store(3, CT_IMAGE_STORAGE, uid, dataset);
        const answer = await scu.next();
        statuses.push(answer.type === 'response' ? answer.command.status! : -1);
      }
      scu.close();
    }
    const ok = DIMSE_STATUS.SUCCESS;
    const bad = DIMSE_STATUS.CANNOT_UNDERSTAND;
    expect(statuses).toEqual([ok, bad, ok, bad]);
    expect((await call(b, 'dicom.status', {})).counters).toMatchObject({ received: 4, held: 1, duplicates: 1, failed: 2 });
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.quarantine')).toHaveLength(2);
    // The same instance from a file (other File Meta Information, the same data set): found in the quarantine.
    const { results } = await call(b, 'dicom.importFiles', { files: [{ bytes: part10File(instanceElements({ sopInstanceUid: `${UID}.6` })).toString('base64url') }] });
    expect(results).toEqual([expect.objectContaining({ outcome: 'duplicate', inQuarantine: true })]);
    expect((await readJournal(b)).filter((record) => record.kind === 'intake.quarantine')).toHaveLength(2);
  });
});

describe('DICOM: a quarantined copy resent after a complete copy was stored (T1 F3)', () => {
  it('says the instance is already stored, not that it is in the quarantine', async () => {
    const { options, storage } = await open();
    const uid = `${UID}.8`;
    expect((await importDicomFile(options, cutShort(uid), 'file 10 of 10')).outcome).toBe('quarantined');
    const complete = part10File(instanceElements({ sopInstanceUid: uid, patientId: 'MRN-D1', pixels: Buffer.alloc(20_000, 7), rows: 100, columns: 100 }));
    expect((await importDicomFile(options, complete, 'a C-STORE')).outcome).toBe('stored');
    const again = await importDicomFile(options, cutShort(uid), 'file 10 of 10');
    expect(again).toMatchObject({ outcome: 'duplicate', reason: expect.stringMatching(/^Already stored: a copy of this instance is in the studies/) });
    expect(again.inQuarantine).toBeUndefined();
    expect(await kinds(storage)).toEqual(['intake.quarantine', 'intake.dicom']);
  });
});
