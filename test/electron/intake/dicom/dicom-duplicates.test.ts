import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { DicomDedupe } from '../../../../electron/intake/dicom/dicom-duplicates';
import { importDicomFile } from '../../../../electron/intake/dicom/dicom-import';
import { createSealer, type Opener } from '../../../../shared/crypto/envelope';
import { IntakeMetaSchema } from '../../../../shared/journal/intake-meta';
import type { VaultStorage } from '../../../../electron/storage/vault-storage';
import { useIntakePipelines } from '../intake-pipeline-support';
import { instanceElements, part10File } from './dicom-test-support';

/** Design §4 rule 4 for DICOM: which resends are duplicates, which are conflicts (QA2-12 Q1, Q2). */

const { setup } = useIntakePipelines(createSealer);
const UID = '1.2.826.0.1.3680043.10.999.78.1';

async function open() {
  const vault = await setup();
  const dir = path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe');
  const dedupe = await DicomDedupe.open(dir, vault.storage.journal);
  return { ...vault, dir, options: { pipeline: vault.pipeline, dedupe } };
}

async function conflictFlags(storage: VaultStorage, opener: Opener) {
  const { records } = await storage.journal.read({ after: 0, limit: 100 });
  return Promise.all(
    records.map(async (record) => {
      const meta = JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)) as unknown;
      return IntakeMetaSchema.parse(meta).normalized.dicom?.conflict ?? false;
    }),
  );
}

// Small (sealed from the streamed path) and over 64 KiB (sealed from memory): both decide alike.
const SIZES = [{ name: 'small', pixels: 512 }, { name: 'over 64 KiB', pixels: 140_000 }] as const;

describe('DICOM duplicates and conflicts', () => {
  for (const size of SIZES) {
    const copy = (patientId: string, description: string) => part10File(instanceElements({ sopInstanceUid: UID, patientId, studyDescription: description, pixels: Buffer.alloc(size.pixels, 3), rows: 2, columns: size.pixels / 4 }));

    // QA2-12 Q1: A, B, A gave two conflicts; only the latest copy was recognized.
    it(`a resend identical to an earlier copy, not only the latest, is a duplicate (${size.name})`, async () => {
      const { options, storage, opener, dir } = await open();
      const a = copy('MRN-Q1', 'COPY ONE');
      const b = copy('MRN-Q1', 'COPY TWO');
      const c = copy('MRN-Q1', 'COPY THREE');
      const outcomes = [];
      for (const file of [a, b, c, a, b, c]) outcomes.push((await importDicomFile(options, file, 'file')).outcome);
      expect(outcomes).toEqual(['stored', 'conflict', 'conflict', 'duplicate', 'duplicate', 'duplicate']);
      expect(await conflictFlags(storage, opener)).toEqual([false, true, true]);
      // Read back from the journal's tags (a restart): every copy is still known.
      const reopened = await DicomDedupe.open(dir, storage.journal);
      expect((await importDicomFile({ ...options, dedupe: reopened }, a, 'file')).outcome).toBe('duplicate');
      expect((await importDicomFile({ ...options, dedupe: reopened }, b, 'file')).outcome).toBe('duplicate');
    });

    // QA2-12 Q2: the views file the same UID under another Patient ID as another patient's instance; it is stored, not a conflict.
    it(`the same SOP Instance UID under another Patient ID is stored, not a conflict (${size.name})`, async () => {
      const { options, storage, opener, dir } = await open();
      expect((await importDicomFile(options, copy('MRN-Q2A', 'COPY ONE'), 'file')).outcome).toBe('stored');
      expect((await importDicomFile(options, copy('MRN-Q2B', 'COPY ONE'), 'file')).outcome).toBe('stored');
      // Another copy for the second patient is that patient's conflict…
      expect((await importDicomFile(options, copy('MRN-Q2B', 'COPY TWO'), 'file')).outcome).toBe('conflict');
      // …and the first patient's identical resend is still a duplicate.
      expect((await importDicomFile(options, copy('MRN-Q2A', 'COPY ONE'), 'file')).outcome).toBe('duplicate');
      expect(await conflictFlags(storage, opener)).toEqual([false, false, true]);
      const reopened = await DicomDedupe.open(dir, storage.journal);
      expect((await importDicomFile({ ...options, dedupe: reopened }, copy('MRN-Q2C', 'COPY ONE'), 'file')).outcome).toBe('stored');
      expect((await importDicomFile({ ...options, dedupe: reopened }, copy('MRN-Q2A', 'COPY THREE'), 'file')).outcome).toBe('conflict');
    });
  }

  it('an erased copy is forgotten alone: the other copies stay known', async () => {
    const { options } = await open();
    const first = await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-E', studyDescription: 'ONE' })), 'file');
    await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-E', studyDescription: 'TWO' })), 'file');
    await options.dedupe.forget([first.seq!]);
    expect((await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-E', studyDescription: 'TWO' })), 'file')).outcome).toBe('duplicate');
    expect((await importDicomFile(options, part10File(instanceElements({ sopInstanceUid: UID, patientId: 'MRN-E', studyDescription: 'ONE' })), 'file')).outcome).toBe('conflict');
  });
});
