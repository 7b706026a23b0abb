import { describe, expect, it } from 'vitest';
import { fromBase64Url } from '../../../shared/crypto/bytes';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../../shared/ipc/network-contract';
import type { DeliveryStatus } from '../../../shared/network/delivery';
import { applySafeHarbor, type DeidSource } from '../../../shared/research/deid/safe-harbor';
import { releaseDataset } from '../../../shared/research/deid/release-report';
import { readPackage } from '../../../shared/research/package/dataset-package';
import { sealRelease, uploadPackage, type DeliveryUploadApi } from '../../../renderer/research/dataset-delivery';
import { instanceElements, part10File } from '../../electron/intake/dicom/dicom-test-support';
import { parse, text } from '../../shared/dicom/deid/deid-test-support';

/**
 * The clinic's package on its way (issue 15 items 4 and 5): a release sealed into delivery-sized
 * chunks that open as the package, and an upload that sends only what the server lacks.
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

describe('sealRelease and uploadPackage', () => {
  it('seals the release into chunks of the delivery size that open as the package', async () => {
    const release = await releaseDataset(await applySafeHarbor(population(400), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const sealed = await sealRelease(release, PURCHASE, [`0x${'0f'.repeat(32)}`]);
    expect(sealed.chunks.length).toBeGreaterThan(1);
    expect(sealed.chunks.slice(0, -1).every((chunk) => chunk.byteLength === DELIVERY_IPC_CHUNK_SIZE)).toBe(true);
    expect(sealed.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)).toBe(sealed.size);
    const opened = await readPackage(joined(sealed.chunks), sealed.key, sealed.summary.ciphertextSha256, { commitment: sealed.summary.keyCommitment });
    expect(opened.manifest.purchaseId).toBe(PURCHASE);
    expect(opened.manifest.counts['Patient']).toBe(release.report.rows.out);
    expect(new TextDecoder().decode(opened.files.get('release-report.json'))).toBe(release.reportJson);
  });

  it('creates the delivery, sends only the chunks the server lacks, completes it; a complete one is left as it is', async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5])];
    const sealed = { chunks, size: 5, summary: { ciphertextSha256: 'ab'.repeat(32) } as never, key: new Uint8Array(32) };
    const sent: number[] = [];
    const status = (state: 'uploading' | 'complete', received: [number, number][]): DeliveryStatus => ({ id: 'cd'.repeat(16), sender: `0x${'01'.repeat(20)}`, recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, size: 5, sha256: 'ab'.repeat(32), chunkSize: 2, chunkCount: 3, state, received, receivedBytes: 0, createdAt: 0, completedAt: null, expiresAt: 1 });
    const api = (initial: DeliveryStatus): DeliveryUploadApi => ({
      create: async (input) => {
        expect(input).toEqual({ id: 'cd'.repeat(16), recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, size: 5, sha256: 'ab'.repeat(32) });
        return initial;
      },
      chunk: async ({ index, data }) => {
        sent.push(index);
        expect([...fromBase64Url(data)]).toEqual([...chunks[index]!]);
        return { index, sha256: '00'.repeat(32), duplicate: false };
      },
      complete: async () => status('complete', [[0, 3]]),
    });
    const input = { id: 'cd'.repeat(16), recipient: `0x${'02'.repeat(20)}`, purchaseId: PURCHASE, sealed };
    expect((await uploadPackage(api(status('uploading', [[1, 2]])), input)).state).toBe('complete');
    expect(sent).toEqual([0, 2]);
    sent.length = 0;
    expect((await uploadPackage(api(status('complete', [[0, 3]])), input)).state).toBe('complete');
    expect(sent).toEqual([]);
  });

  it('puts the released patients’ de-identified DICOM in the package, with ImagingStudy naming their pseudonymous Patient', async () => {
    const release = await releaseDataset(await applySafeHarbor(population(60), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const [pseudonym, patientId] = [...release.pseudonymMap][0]!;
    const study = '1.2.826.0.1.3680043.10.999.300';
    const bytes = (n: number) => part10File(instanceElements({ sopInstanceUid: `${study}.1.${n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, patientId: 'MRN-3', patientName: 'FAMILY3^GIVEN', studyDate: '20150102' }));
    const imaging = [1, 2].map((n) => ({ patientId, studyDate: '2015-01-02', modality: 'CT', read: () => Promise.resolve(new Uint8Array(bytes(n))) }));
    const sealed = await sealRelease(release, PURCHASE, [`0x${'0f'.repeat(32)}`], imaging);
    expect(sealed.dicom).toMatchObject({ released: 2, excluded: {} });
    const opened = await readPackage(joined(sealed.chunks), sealed.key, sealed.summary.ciphertextSha256);
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
