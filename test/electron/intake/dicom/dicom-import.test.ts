import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { DicomDedupe } from '../../../../electron/intake/dicom/dicom-duplicates';
import { importDicomFile, importDicomStream } from '../../../../electron/intake/dicom/dicom-import';
import { createSealer, type Opener } from '../../../../shared/crypto/envelope';
import { QuarantineMetaSchema } from '../../../../shared/journal/intake-meta';
import type { VaultStorage } from '../../../../electron/storage/vault-storage';
import { useIntakePipelines } from '../intake-pipeline-support';
import { instanceElements, part10File, writeDataset } from './dicom-test-support';
import { buildFileMetaInformation } from '../../../../electron/intake/dicom/dicom-part10';

/** Issue 12 §3 (QA explore-12 D1): a file cut short inside Pixel Data is quarantined with a reason, never "Stored". */

const { setup } = useIntakePipelines(createSealer);
const UID = '1.2.826.0.1.3680043.10.999.77.1';

async function open() {
  const vault = await setup();
  const dedupe = await DicomDedupe.open(path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe'), vault.storage.journal);
  return { ...vault, options: { pipeline: vault.pipeline, dedupe } };
}

async function quarantined(storage: VaultStorage, opener: Opener) {
  const { records } = await storage.journal.read({ after: 0, limit: 100 });
  return Promise.all(
    records.map(async (record) => ({
      kind: record.kind,
      meta: JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)) as unknown,
      raw: Buffer.from((await opener.open(await storage.objects.readAll(record.objects[0]!))).plaintext),
    })),
  );
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('DICOM import of a file cut short inside Pixel Data', () => {
  it('a whole file cut inside Pixel Data (a damaged CD) is quarantined with the reason and all its bytes', async () => {
    const { options, storage, opener } = await open();
    const file = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-CUT', pixels: Buffer.alloc(131_072, 9), rows: 256, columns: 256 }));
    const cut = file.subarray(0, 40_000);
    const outcome = await importDicomFile(options, cut, 'file 1 of 1');
    expect(outcome).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^The data set ends inside Pixel Data \(7FE0,0010\): [\d,]+ of 131,072 bytes arrived\./) });
    const [record] = await quarantined(storage, opener);
    expect(record!.kind).toBe('intake.quarantine');
    expect(QuarantineMetaSchema.parse(record!.meta).quarantine).toMatchObject({ disposition: 'rejected', messageId: UID });
    expect(record!.raw.equals(cut)).toBe(true);
    // The whole file afterwards is stored as a new instance, not as a conflict with the cut one.
    expect(await importDicomFile(options, file, 'file 1 of 1')).toMatchObject({ outcome: 'stored' });
  });

  // Design §4: quarantined input keeps its bytes. A streamed instance cut short kept only its head.
  it('a streamed file (larger than its head) is quarantined with all its bytes and the reason; nothing is stored as an instance', async () => {
    const { options, storage, opener } = await open();
    const file = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-CUT', pixels: Buffer.alloc(600_000, 5), rows: 500, columns: 600 }));
    const cut = file.subarray(0, 400_000);
    const outcome = await importDicomStream(options, pieces(cut, 16 * 1024), 'file 1 of 1', 64 * 1024);
    expect(outcome).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^The data set ends inside Pixel Data \(7FE0,0010\): [\d,]+ of 600,000 bytes arrived\. The instance was cut short/) });
    const records = await quarantined(storage, opener);
    expect(records.map((record) => record.kind)).toEqual(['intake.quarantine']);
    expect(records[0]!.raw.equals(cut)).toBe(true);
    expect(QuarantineMetaSchema.parse(records[0]!.meta)).toMatchObject({ rawBytes: cut.length, quarantine: { disposition: 'rejected', messageId: UID } });

    // The complete file through the same path is stored.
    expect(await importDicomStream(options, pieces(file, 16 * 1024), 'file 1 of 1', 64 * 1024)).toMatchObject({ outcome: 'stored' });
  });

  // Issue 12: a deflated data set streamed past its head was not checked (its Pixel Data positions are in the inflated bytes).
  it('a streamed deflated file cut inside Pixel Data is quarantined with the reason; the whole one is stored', async () => {
    const { options, storage, opener } = await open();
    // Random pixels do not compress: the deflated data set stays larger than the head.
    const dataset = writeDataset(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-CUT', pixels: randomBytes(600_000), rows: 500, columns: 600 }));
    const file = Buffer.concat([buildFileMetaInformation({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: UID, transferSyntaxUid: '1.2.840.10008.1.2.1.99' }), deflateRawSync(dataset)]);
    expect(file.length).toBeGreaterThan(600_000);
    const cut = file.subarray(0, 400_000);
    const outcome = await importDicomStream(options, pieces(cut, 16 * 1024), 'file 1 of 1', 64 * 1024);
    expect(outcome).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^The data set ends inside Pixel Data \(7FE0,0010\): [\d,]+ of 600,000 bytes arrived\./) });
    const records = await quarantined(storage, opener);
    expect(records.map((record) => record.kind)).toEqual(['intake.quarantine']);
    expect(records[0]!.raw.equals(cut)).toBe(true);
    expect(await importDicomStream(options, pieces(file, 16 * 1024), 'file 1 of 1', 64 * 1024)).toMatchObject({ outcome: 'stored' });
    // QA2-12 Q3: the stored instance opens to exactly the file's bytes (the viewer could not inflate it).
    const stored = (await quarantined(storage, opener)).filter((record) => record.kind === 'intake.dicom');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.raw.length).toBe(file.length);
    expect(stored[0]!.raw.equals(file)).toBe(true);
  });

  it('a streamed file without Patient ID cut short is rejected with all its bytes, not held; the whole one is held with all its bytes', async () => {
    const { options, storage, opener } = await open();
    const file = part10File(instanceElements({ sopInstanceUid: UID, pixels: Buffer.alloc(600_000, 5), rows: 500, columns: 600 }));
    const cut = file.subarray(0, 300_000);
    expect(await importDicomStream(options, pieces(cut, 16 * 1024), 'file 1 of 1', 64 * 1024)).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^The data set ends inside Pixel Data/) });
    expect(await importDicomStream(options, pieces(file, 16 * 1024), 'file 1 of 1', 64 * 1024)).toMatchObject({ outcome: 'held' });
    const records = await quarantined(storage, opener);
    expect(records.map((record) => [record.kind, QuarantineMetaSchema.parse(record.meta).quarantine.disposition])).toEqual([
      ['intake.quarantine', 'rejected'],
      ['intake.quarantine', 'held'],
    ]);
    expect(records[0]!.raw.equals(cut)).toBe(true);
    expect(records[1]!.raw.equals(file)).toBe(true);
  });
});

describe('DICOM import of native Pixel Data shorter than its image (QA12 D6; issue 12 §3)', () => {
  it('a whole file is quarantined with a reason naming the byte counts and all its bytes; longer than needed is stored', async () => {
    const { options, storage, opener } = await open();
    const short = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-SHORT', pixels: Buffer.alloc(60_000, 9), rows: 256, columns: 256 }));
    expect(await importDicomFile(options, short, 'file 1 of 1')).toMatchObject({
      outcome: 'quarantined',
      reason: 'Pixel Data (7FE0,0010) holds 60,000 bytes, but 256 × 256 pixels × 1 sample × 16 bits × 1 frame need 131,072: the image is incomplete (a damaged file or a faulty sender).',
    });
    const [record] = await quarantined(storage, opener);
    expect(QuarantineMetaSchema.parse(record!.meta).quarantine).toMatchObject({ disposition: 'rejected', messageId: UID });
    expect(record!.raw.equals(short)).toBe(true);
    // Longer than needed (trailing padding) is not an error.
    const longer = part10File(instanceElements({ sopInstanceUid: `${UID}.9`, patientId: 'MRN-SHORT', pixels: Buffer.alloc(131_076, 9), rows: 256, columns: 256 }));
    expect(await importDicomFile(options, longer, 'file 1 of 1')).toMatchObject({ outcome: 'stored' });
  });

  it('a streamed file (larger than its head) is quarantined with all its bytes', async () => {
    const { options, storage, opener } = await open();
    const short = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-SHORT', pixels: Buffer.alloc(400_000, 5), rows: 500, columns: 600 }));
    const outcome = await importDicomStream(options, pieces(short, 16 * 1024), 'file 1 of 1', 64 * 1024);
    expect(outcome).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^Pixel Data \(7FE0,0010\) holds 400,000 bytes, but 500 × 600 pixels × 1 sample × 16 bits × 1 frame need 600,000:/) });
    const records = await quarantined(storage, opener);
    expect(records.map((record) => record.kind)).toEqual(['intake.quarantine']);
    expect(records[0]!.raw.equals(short)).toBe(true);
  });
});

// H6 (session 38) user test: a CD file that starts with its File Meta Information, written without
// the 128-byte preamble and "DICM" (dcmtk reads such files), was reported "Not DICOM" and left out.
describe('DICOM import of a file written without preamble and DICM prefix', () => {
  it('is stored like the Part 10 file it is, whole and streamed', async () => {
    const { options } = await open();
    const whole = part10File(instanceElements({ sopInstanceUid: `${UID}.9`, patientId: 'MRN-NOPRE' })).subarray(132);
    expect(whole[0]).toBe(0x02);
    expect(await importDicomFile(options, whole, 'file 1 of 2')).toMatchObject({ outcome: 'stored' });
    const streamed = part10File(instanceElements({ sopInstanceUid: `${UID}.10`, patientId: 'MRN-NOPRE', pixels: Buffer.alloc(1_200_000, 3), rows: 1000, columns: 600 })).subarray(132);
    expect(await importDicomStream(options, pieces(streamed, 64 * 1024), 'file 2 of 2')).toMatchObject({ outcome: 'stored' });
    // Sent again, it is the same instance, not a conflict.
    expect(await importDicomFile(options, whole, 'file 1 of 1')).toMatchObject({ outcome: 'duplicate' });
  });
});

// H6 (session 38) finding 6: an unknown Specific Character Set was stored with no word to anyone.
describe('DICOM import of a file whose Specific Character Set this build does not know', () => {
  it('stores it (bytes as received) and its result says the text was read as Latin-1', async () => {
    const { options, storage, opener } = await open();
    const file = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-CS', patientNameBytes: Buffer.from('M\xfcller^Anna', 'latin1'), charset: 'ISO_IR 999' }));
    const outcome = await importDicomFile(options, file, 'file 1 of 1');
    expect(outcome).toMatchObject({ outcome: 'stored', reason: 'Character set ISO_IR 999 (0008,0005) is not known: names and text are shown as read with Latin-1 and may be wrong.' });
    const [record] = await quarantined(storage, opener);
    expect(record!.kind).toBe('intake.dicom');
    expect(record!.raw.equals(file)).toBe(true);
    // Streamed, the same words.
    const streamed = part10File(instanceElements({ sopInstanceUid: `${UID}.2`, patientId: 'MRN-CS', charset: 'ISO_IR 999', pixels: Buffer.alloc(200_000, 3), rows: 400, columns: 250 }));
    expect(await importDicomStream(options, pieces(streamed, 16 * 1024), 'file 1 of 1', 64 * 1024)).toMatchObject({ outcome: 'stored', reason: expect.stringMatching(/^Character set ISO_IR 999 /) });
    // A known one says nothing.
    const known = part10File(instanceElements({ sopInstanceUid: `${UID}.3`, patientId: 'MRN-CS', charset: 'ISO_IR 100' }));
    expect(await importDicomFile(options, known, 'file 1 of 1')).not.toHaveProperty('reason');
  });
});
