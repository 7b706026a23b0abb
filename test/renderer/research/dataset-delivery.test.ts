import { describe, expect, it } from 'vitest';
import { fromBase64Url } from '../../../shared/crypto/bytes';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import type { DeliveryStatus } from '../../../shared/network/delivery';
import { applySafeHarbor, type DeidSource } from '../../../shared/research/deid/safe-harbor';
import { releaseDataset } from '../../../shared/research/deid/release-report';
import { readPackage } from '../../../shared/research/package/dataset-package';
import { sealRelease, uploadPackage, type DeliveryStageApi } from '../../../renderer/research/dataset-delivery';
import { instanceElements, part10File } from '../../electron/intake/dicom/dicom-test-support';
import { parse, text } from '../../shared/dicom/deid/deid-test-support';

/**
 * The clinic's package on its way (issue 15 items 4 and 5): a release sealed and staged with the
 * body chunk by chunk as it is made (delivery-sized chunks that open as the package, each a copy the
 * mind no longer holds), and the finish that has the body upload it; a failure removes what was staged.
 */
function population(count: number): DeidSource[] {
  return Array.from({ length: count }, (_, i): DeidSource => ({
    patientId: `p-${i}`,
    patient: { identifiers: [{ value: `MRN-${i}`, authority: 'GENERAL', type: 'MR' }], name: { family: `Family${i}`, given: ['Given'] }, birthDate: `${1950 + (i % 40)}-03-15`, sex: i % 2 === 0 ? 'F' : 'M', address: { postalCode: `021${i % 10}0`, country: 'US' } },
    records: Array.from({ length: 40 }, (_, j): DeidSource['records'][number] => ({ type: 'observation' as const, category: 'laboratory' as const, code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric' as const, value: 5 + j / 10, unit: '%' }, status: 'F', time: `20${10 + (j % 12)}-01-02T10:00:00Z` })).concat([
      { type: 'diagnosis', code: { code: ['E11.9', 'I10', 'J45.909'][i % 3]!, system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: '2021-07-02T12:00:00Z' } as never,
    ]),
  }));
}

const PURCHASE = `0x${'5d'.repeat(16)}`;

function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A body that stages in memory (what electron/network/outgoing-deliveries.ts keeps on disk). */
function stagingBody(options: { readonly failAt?: number } = {}) {
  const staged = new Map<string, Uint8Array[]>();
  const calls: string[] = [];
  const finished: unknown[] = [];
  const api: DeliveryStageApi = {
    stage: async ({ id, index, data }) => {
      calls.push(`stage ${index}`);
      if (index === options.failAt) throw new Error('the disk is full');
      const chunks = staged.get(id) ?? [];
      expect(index === chunks.length || index === chunks.length - 1).toBe(true);
      chunks[index] = fromBase64Url(data);
      staged.set(id, chunks);
      return { index, staged: 0 };
    },
    finish: async (input) => {
      calls.push('finish');
      finished.push(input);
      return { id: input.id, sender: `0x${'01'.repeat(20)}`, recipient: input.recipient, purchaseId: input.purchaseId, size: input.size, sha256: input.sha256, chunkSize: DELIVERY_IPC_CHUNK_SIZE, chunkCount: 1, state: 'complete', received: [[0, 1]], receivedBytes: input.size, createdAt: 0, completedAt: 1, expiresAt: 2 } satisfies DeliveryStatus;
    },
    abort: async ({ id }) => {
      calls.push('abort');
      staged.delete(id);
      return {};
    },
  };
  return { api, staged, calls, finished };
}

const ID = 'cd'.repeat(16);

describe('sealRelease and uploadPackage', () => {
  it('stages the release with the body in chunks of the delivery size, as they are made, that open as the package', async () => {
    const release = await releaseDataset(await applySafeHarbor(population(400), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const body = stagingBody();
    const sealed = await sealRelease({ api: body.api, id: ID }, release, PURCHASE, [`0x${'0f'.repeat(32)}`]);
    const chunks = body.staged.get(ID)!;
    expect(sealed.id).toBe(ID);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.slice(0, -1).every((chunk) => chunk.byteLength === DELIVERY_IPC_CHUNK_SIZE)).toBe(true);
    expect(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)).toBe(sealed.size);
    expect('chunks' in sealed).toBe(false);
    const opened = await readPackage(joined(chunks), sealed.key, sealed.summary.ciphertextSha256, { commitment: sealed.summary.keyCommitment });
    expect(opened.manifest.purchaseId).toBe(PURCHASE);
    expect(opened.manifest.counts['Patient']).toBe(release.report.rows.out);
    expect(new TextDecoder().decode(opened.files.get('release-report.json'))).toBe(release.reportJson);

    // Finishing hands the body the size and the ciphertext's hash the sealer counted.
    await expect(uploadPackage(body.api, { recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, sealed })).resolves.toMatchObject({ state: 'complete' });
    expect(body.finished).toEqual([{ id: ID, recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, size: sealed.size, sha256: sealed.summary.ciphertextSha256 }]);
    expect(body.calls.filter((call) => call === 'abort')).toEqual([]);
  });

  it('a staging that fails removes what was staged; a finish that fails removes the staged chunks', async () => {
    const release = await releaseDataset(await applySafeHarbor(population(400), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const failing = stagingBody({ failAt: 1 });
    await expect(sealRelease({ api: failing.api, id: ID }, release, PURCHASE, [`0x${'0f'.repeat(32)}`])).rejects.toThrow('the disk is full');
    expect(failing.calls).toEqual(['stage 0', 'stage 1', 'abort']);
    expect(failing.staged.size).toBe(0);

    const body = stagingBody();
    const refusing: DeliveryStageApi = { ...body.api, finish: () => Promise.reject(new Error('sha256: the staged chunks do not hash to it.')) };
    const sealed = { id: ID, size: 5, summary: { ciphertextSha256: 'ab'.repeat(32) } as never };
    await expect(uploadPackage(refusing, { recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, sealed })).rejects.toThrow(/do not hash/);
    expect(body.calls).toEqual(['abort']);
  });

  it('puts the released patients’ de-identified DICOM in the package, with ImagingStudy naming their pseudonymous Patient', async () => {
    const release = await releaseDataset(await applySafeHarbor(population(60), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const [pseudonym, patientId] = [...release.pseudonymMap][0]!;
    const study = '1.2.826.0.1.3680043.10.999.300';
    const bytes = (n: number) => part10File(instanceElements({ sopInstanceUid: `${study}.1.${n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, patientId: 'MRN-3', patientName: 'FAMILY3^GIVEN', studyDate: '20150102' }));
    const imaging = [1, 2].map((n) => ({ patientId, studyDate: '2015-01-02', modality: 'CT', read: () => Promise.resolve(new Uint8Array(bytes(n))) }));
    const body = stagingBody();
    const sealed = await sealRelease({ api: body.api, id: ID }, release, PURCHASE, [`0x${'0f'.repeat(32)}`], imaging);
    expect(sealed.dicom).toMatchObject({ released: 2, excluded: {} });
    const opened = await readPackage(joined(body.staged.get(ID)!), sealed.key, sealed.summary.ciphertextSha256);
    expect(opened.manifest.counts).toMatchObject({ dicom: 2, dicomExcluded: 0, ImagingStudy: 1, Patient: release.report.rows.out });
    const dicomPaths = [...opened.files.keys()].filter((path) => path.startsWith('dicom/'));
    expect(dicomPaths).toHaveLength(2);
    for (const path of dicomPaths) expect(text(parse(opened.files.get(path)!), 0x00100020)).toBe(pseudonym);
    const [imagingStudy] = new TextDecoder().decode(opened.files.get('fhir/ImagingStudy.ndjson')).trim().split('\n').map((line) => JSON.parse(line) as { subject: { reference: string }; numberOfInstances: number; identifier: { value: string }[] });
    const patients = new TextDecoder().decode(opened.files.get('fhir/Patient.ndjson')).trim().split('\n').map((line) => JSON.parse(line) as { id: string; identifier: { value: string }[] });
    expect(patients.find((p) => `Patient/${p.id}` === imagingStudy!.subject.reference)?.identifier[0]!.value).toBe(pseudonym);
    expect(imagingStudy!.numberOfInstances).toBe(2);
    expect(imagingStudy!.identifier[0]!.value).toBe(`urn:oid:${dicomPaths[0]!.split('/')[1]!}`);
  });
});
