import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import type { DicomInstance } from '../../../../shared/domain/dicom';
import { bytesEqual } from '../../../../shared/crypto/bytes';
import { envelopeRangeReader, openWithDataKey } from '../../../../shared/crypto/envelope';
import { createVaultService } from '../../../../renderer/vault/create-vault-service';
import type { InstanceSource } from '../../../../renderer/vault/vault-service';
import { appendSealedRecord, createFakeBody, type FakeBody } from '../support/fake-body';

/**
 * Issue 12: opening a study in the viewer is an access event (journal, then ledger), and the
 * viewer receives instances (sealed, with the data key that opens each) only of a study opened in
 * this session.
 */
const STUDY = '1.2.826.0.1.3680043.10.995.1';
const patient: Patient = { identifiers: [{ value: 'MRN-VIEW-9', authority: 'NORTHCLINIC', type: 'MR' }], name: { family: 'Horvat', given: ['Lea'] } };

/** What the decode worker does with an instance the vault hands out. */
async function openSource(source: InstanceSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) throw new Error('The vault handed out an instance already decrypted.');
  expect(source.dataKey.extractable).toBe(false);
  if ('kind' in source) throw new Error('A small instance was handed out to be read in ranges.');
  return (await openWithDataKey(source.dataKey, source.envelope)).plaintext;
}

function dicomIntake(dicom: Partial<DicomInstance> & Pick<DicomInstance, 'sopInstanceUid' | 'seriesInstanceUid'>): NormalizedIntake {
  return {
    channel: 'dicom',
    messageId: dicom.sopInstanceUid,
    messageType: 'DICOM CT',
    patient,
    records: [],
    dicom: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', source: 'import', modality: 'CT', studyInstanceUid: STUDY, studyDescription: 'CT NECK', studyDate: '2026-02-02', ...dicom },
  };
}

async function store(body: FakeBody, dicom: Parameters<typeof dicomIntake>[0], bytes: Uint8Array) {
  const normalized = dicomIntake(dicom);
  return appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: new Date(body.now).toISOString(), rawBytes: bytes.length, normalized }, raw: bytes });
}

describe('VaultService: studies in the viewer', () => {
  it('journals an access for the study’s patient, lists series and instances in order, and hands out their bytes', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const bytes = (n: number) => Uint8Array.from({ length: 300 }, (_, i) => (i * n) & 0xff);
    // Out of order on purpose: series 2 first, instance 3 before 1.
    await store(body, { sopInstanceUid: `${STUDY}.2.1`, seriesInstanceUid: `${STUDY}.2`, seriesNumber: 2, instanceNumber: 1, seriesDescription: 'SAG' }, bytes(21));
    await store(body, { sopInstanceUid: `${STUDY}.1.3`, seriesInstanceUid: `${STUDY}.1`, seriesNumber: 1, instanceNumber: 3, seriesDescription: 'AX' }, bytes(13));
    await store(body, { sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, seriesNumber: 1, instanceNumber: 1, seriesDescription: 'AX' }, bytes(11));
    await vault.sync();

    const [listed] = await vault.studies();
    expect(listed).toBeDefined();
    // Before the study is opened, no instance bytes are handed out.
    const accessesBefore = body.journal.filter((record) => record.kind === 'view.access').length;
    const study = await vault.openStudy(listed!.studyId);
    const accesses = body.journal.filter((record) => record.kind === 'view.access');
    expect(accesses).toHaveLength(accessesBefore + 1);
    expect(accesses.at(-1)!.operator).not.toBeNull();

    expect(study.study).toMatchObject({ description: 'CT NECK', date: '2026-02-02' });
    expect(study.patientId).toBe(listed!.patientId);
    expect(study.series.map((series) => [series.number, series.description, series.instances.map((instance) => instance.number)])).toEqual([
      [1, 'AX', [1, 3]],
      [2, 'SAG', [1]],
    ]);
    const first = study.series[0]!.instances[0]!;
    expect(first.sopInstanceUid).toBe(`${STUDY}.1.1`);
    // The viewer gets each instance sealed, with its envelope's data key (the decode worker opens it).
    expect(Array.from(await openSource(await vault.instanceSource(first.instanceId)))).toEqual(Array.from(bytes(11)));
    expect(Array.from(await openSource(await vault.instanceSource(study.series[1]!.instances[0]!.instanceId)))).toEqual(Array.from(bytes(21)));
  });

  // H6 (session 38) finding 6: the body's note of an unknown Specific Character Set never reached the viewer.
  it('carries an instance’s unknown Specific Character Set to the viewer; a known one is not carried', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    await store(body, { sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, instanceNumber: 1, specificCharacterSet: 'ISO_IR 999' }, bytes);
    await store(body, { sopInstanceUid: `${STUDY}.1.2`, seriesInstanceUid: `${STUDY}.1`, instanceNumber: 2, specificCharacterSet: 'ISO_IR 100' }, bytes);
    await vault.sync();
    const [listed] = await vault.studies();
    const study = await vault.openStudy(listed!.studyId);
    expect(study.series[0]!.instances.map((instance) => instance.unknownCharset)).toEqual(['ISO_IR 999', undefined]);
  });

  it('journals a document saved from the viewer as an export of the study’s patient, before the file is written (QA4-12 D4)', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    await store(body, { sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, instanceNumber: 1 }, new Uint8Array(10));
    await vault.sync();
    const [listed] = await vault.studies();
    const study = await vault.openStudy(listed!.studyId);
    const instanceId = study.series[0]!.instances[0]!.instanceId;
    // Only an instance of a study opened in this session.
    await expect(vault.documentSaved('not-opened', 1234, 'document-1.pdf')).rejects.toThrow(/Open the study/);
    await vault.documentSaved(instanceId, 1234, 'document-1.pdf');
    const exports = body.journal.filter((record) => record.kind === 'export.document');
    expect(exports).toHaveLength(1);
    expect(exports[0]!.operator).not.toBeNull();
    expect(exports[0]!.meta).not.toContain('document-1');
  });

  it('refuses the bytes of an instance whose study was not opened, and an unknown study', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    await store(body, { sopInstanceUid: `${STUDY}.1.1`, seriesInstanceUid: `${STUDY}.1`, instanceNumber: 1 }, new Uint8Array(10));
    await vault.sync();
    await expect(vault.openStudy('no-such-study')).rejects.toThrow(/not in the vault/);
    const [listed] = await vault.studies();
    const instances = await vault.patientStudies(listed!.patientId);
    expect(instances).toHaveLength(1);
    await expect(vault.instanceSource('anything')).rejects.toThrow(/Open the study/);
    expect(body.journal.filter((record) => record.kind === 'view.access')).toHaveLength(0);
  });

  // QA explore-12 D4: a resend with other bytes replaced the shown image silently; the earlier copy could not be opened.
  it('lists the earlier copy of an instance received again with other bytes, and hands out both copies once the study is opened', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const one = Uint8Array.from({ length: 200 }, (_, i) => i & 0xff);
    const two = Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff);
    await store(body, { sopInstanceUid: `${STUDY}.3.1`, seriesInstanceUid: `${STUDY}.3`, instanceNumber: 1, seriesDescription: 'VERSION ONE' }, one);
    await store(body, { sopInstanceUid: `${STUDY}.3.1`, seriesInstanceUid: `${STUDY}.3`, instanceNumber: 1, seriesDescription: 'VERSION TWO', conflict: true }, two);
    await vault.sync();
    const [listed] = await vault.studies();
    expect([listed!.instances, listed!.instancesWithOtherCopies]).toEqual([1, 1]);
    const study = await vault.openStudy(listed!.studyId);
    expect(study.instancesWithOtherCopies).toBe(1);
    const instance = study.series[0]!.instances[0]!;
    expect([instance.copy, instance.earlierCopies.map((copy) => copy.copy)]).toEqual([2, [1]]);
    expect(Array.from(await openSource(await vault.instanceSource(instance.instanceId)))).toEqual(Array.from(two));
    expect(Array.from(await openSource(await vault.instanceSource(instance.earlierCopies[0]!.instanceId)))).toEqual(Array.from(one));
  });

  it('hands out an instance of a few MiB in ranges (its first slice read, not the rest), with a whole read allowed; a small one whole (T1 F1)', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const tenMiB = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < tenMiB.length; i += 4096) tenMiB[i] = (i >>> 12) & 0xff;
    const small = Uint8Array.from({ length: 600 * 1024 }, (_, i) => i & 0xff);
    await store(body, { sopInstanceUid: `${STUDY}.8.1`, seriesInstanceUid: `${STUDY}.8`, instanceNumber: 1 }, tenMiB);
    await store(body, { sopInstanceUid: `${STUDY}.8.2`, seriesInstanceUid: `${STUDY}.8`, instanceNumber: 2 }, small);
    await vault.sync();
    const [listed] = await vault.studies();
    // Counted from the opening on: the study's first image is read while its access is journaled.
    const reads = vi.spyOn(body.api.objects, 'readBinary');
    const study = await vault.openStudy(listed!.studyId);
    const [large, slice] = study.series[0]!.instances;
    expect(large!.sopInstanceUid).toBe(`${STUDY}.8.1`);
    const source = await vault.instanceSource(large!.instanceId);
    if (source instanceof Uint8Array || !('kind' in source)) throw new Error('The 10 MiB instance was not handed out in ranges.');
    // One slice of the body read (the decode worker asks for the frames it needs); the whole read stays allowed.
    expect(reads).toHaveBeenCalledTimes(1);
    expect(reads.mock.calls[0]![0]).toMatchObject({ offset: 0, length: 4 * 1024 * 1024 });
    reads.mockRestore();
    expect(source.readWholeUpTo).toBeGreaterThanOrEqual(source.sealedSize);
    const reader = envelopeRangeReader(source.head, source.sealedSize, source.dataKey, (offset, length) => source.readSealed(offset, length));
    expect(bytesEqual(await reader.read(0, reader.plaintextLength), tenMiB)).toBe(true);
    expect(Array.from(await openSource(await vault.instanceSource(slice!.instanceId)))).toEqual(Array.from(small));
  });

  it('hands out an instance over 64 MiB to be read in ranges: its first slice, its size and a reader of the rest', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const large = new Uint8Array(65 * 1024 * 1024 + 12_345);
    for (let i = 0; i < large.length; i += 4096) large[i] = (i >>> 12) & 0xff;
    await store(body, { sopInstanceUid: `${STUDY}.9.1`, seriesInstanceUid: `${STUDY}.9`, instanceNumber: 1 }, large);
    await vault.sync();
    const [listed] = await vault.studies();
    const study = await vault.openStudy(listed!.studyId);
    const source = await vault.instanceSource(study.series[0]!.instances[0]!.instanceId);
    if (source instanceof Uint8Array || !('kind' in source)) throw new Error('The large instance was not handed out in ranges.');
    expect(source.dataKey.extractable).toBe(false);
    expect(source.head.length).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(source.sealedSize).toBeGreaterThan(large.length);
    // Too large to hold whole: the decoder may not fall back to a whole read.
    expect(source.readWholeUpTo).toBe(0);
    const reader = envelopeRangeReader(source.head, source.sealedSize, source.dataKey, (offset, length) => source.readSealed(offset, length));
    expect(reader.plaintextLength).toBe(large.length);
    // The start, a range over several 4 MiB reads of the body, and the end.
    expect(await reader.read(0, 10_000)).toEqual(large.subarray(0, 10_000));
    // (bytesEqual: toEqual on 9 MiB compares element by element for minutes)
    expect(bytesEqual(await reader.read(30 * 1024 * 1024 - 7, 9 * 1024 * 1024), large.subarray(30 * 1024 * 1024 - 7, 39 * 1024 * 1024 - 7))).toBe(true);
    expect(await reader.read(large.length - 5000, 10_000)).toEqual(large.subarray(large.length - 5000));
  });
});
