import type { ChunkStored, DeliveryStatus } from '../../shared/network/delivery';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import { recordDateLevel, type Release } from '../../shared/research/deid/release-report';
import { buildDatasetPackage, type PackageFile, type PackageSummary } from '../../shared/research/package/dataset-package';
import { dicomPackageFiles, type DicomTally, type ReleaseDicomInstance } from '../../shared/research/package/dicom-files';
import { fhirExport, fhirPackageFiles, imagingStudiesFrom } from '../../shared/research/package/fhir-r4';
import { toBase64Url } from '../../shared/crypto/bytes';
import type { HdmsApi } from '../../shared/ipc/contract';
import { concatBytes, fromBase64Url, type Opener } from '../vault/vault-crypto';
import type { ReleaseInstanceRef } from './dataset-release';
import type { Levels } from '../../shared/research/deid/generalization';

/**
 * A released dataset on its way to the buyer (issue 15 items 4 and 5), in the clinic's mind: the
 * FHIR R4 NDJSON and CSV files of the release, with its report and manifest, sealed under a fresh
 * key as they are generated (shared/research/package), cut into the delivery's chunks, and uploaded
 * through the body to the network's delivery store (`network.delivery*`), resuming from what the
 * server already holds.
 *
 * The sealed package is held in the mind's memory while it uploads: the size must be known (and
 * hashed) before the delivery is created, and the mind has no disk of its own. A package over
 * MAX_HELD_PACKAGE_BYTES is refused with the reason; datasets from a clinic's records are far
 * below it (10,000 patients' labs make a few tens of MB), imaging releases will need the body to
 * stage the ciphertext instead.
 */
export const MAX_HELD_PACKAGE_BYTES = 512 * 1024 * 1024;

export interface SealedPackage {
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  readonly summary: PackageSummary;
  /** The DICOM instances released and excluded (by reason). */
  readonly dicom: DicomTally;
  /** The package key: split it for the keepers, then wipe it. */
  readonly key: Uint8Array;
}

export class PackageTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`The sealed dataset passed ${MAX_HELD_PACKAGE_BYTES / 1024 / 1024} MiB, more than a node delivers from memory.`);
    this.name = 'PackageTooLargeError';
  }
}

/** The level the release's record dates went out at (Safe Harbor: the coarser event year's), or null when no study year may be released. */
function studyDateLevel(release: Release): number | null {
  if (release.report.profile !== 'safe-harbor') return null;
  const levels = Object.fromEntries(release.report.quasiIdentifiers.map((qi) => [qi.name, qi.level])) as unknown as Levels;
  return recordDateLevel(levels);
}

/**
 * Seals a release into delivery-sized chunks: its purchased patients' DICOM instances first,
 * de-identified one at a time as the package streams (shared/research/package/dicom-files.ts),
 * then the FHIR export (ImagingStudy from the instances released) and the CSV flattenings.
 */
export async function sealRelease(release: Release, purchaseId: string, offerIds: readonly string[], imaging: AsyncIterable<ReleaseDicomInstance> | Iterable<ReleaseDicomInstance> = []): Promise<SealedPackage> {
  // Longitudinal: each patient's DICOM dates move by the offset their records' dates moved by.
  const dicom = dicomPackageFiles(imaging, { rows: release.dataset.rows, pseudonymMap: release.pseudonymMap, dateLevel: studyDateLevel(release), ...(release.dateShifts === undefined ? {} : { dateShifts: release.dateShifts }) });
  let fhirCounts: () => Record<string, number> = () => ({});
  async function* files(): AsyncGenerator<PackageFile> {
    yield* dicom.files;
    const fhir = fhirPackageFiles(fhirExport(release.dataset, { imaging: imagingStudiesFrom(dicom.released()) }));
    fhirCounts = fhir.counts;
    yield* fhir.files;
  }
  const built = buildDatasetPackage({ release, purchaseId, offerIds, files: files(), counts: () => ({ ...fhirCounts(), ...dicom.counts() }) });
  const chunks: Uint8Array[] = [];
  let pending = new Uint8Array(DELIVERY_IPC_CHUNK_SIZE);
  let filled = 0;
  let size = 0;
  try {
    for await (const piece of built.stream) {
      size += piece.byteLength;
      if (size > MAX_HELD_PACKAGE_BYTES) throw new PackageTooLargeError(size);
      let offset = 0;
      while (offset < piece.byteLength) {
        const take = Math.min(piece.byteLength - offset, DELIVERY_IPC_CHUNK_SIZE - filled);
        pending.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === DELIVERY_IPC_CHUNK_SIZE) {
          chunks.push(pending);
          pending = new Uint8Array(DELIVERY_IPC_CHUNK_SIZE);
          filled = 0;
        }
      }
    }
  } catch (error) {
    built.key.fill(0);
    throw error;
  }
  if (filled > 0) chunks.push(pending.slice(0, filled));
  return { chunks, size, summary: await built.summary, key: built.key, dicom: dicom.tally() };
}

/** What the body offers the mind for an upload (shared/ipc/network-contract.ts). */
export interface DeliveryUploadApi {
  create(input: { id: string; recipient: string; purchaseId: string; size: number; sha256: string }): Promise<DeliveryStatus>;
  chunk(input: { id: string; index: number; data: string }): Promise<ChunkStored>;
  complete(input: { id: string }): Promise<DeliveryStatus>;
}

/** Creates the delivery (or finds it, on a retry), sends each chunk the server lacks, completes it. */
export async function uploadPackage(api: DeliveryUploadApi, input: { readonly id: string; readonly recipient: string; readonly purchaseId: string; readonly sealed: Pick<SealedPackage, 'chunks' | 'size' | 'summary'> }): Promise<DeliveryStatus> {
  const { sealed } = input;
  const status = await api.create({ id: input.id, recipient: input.recipient, purchaseId: input.purchaseId, size: sealed.size, sha256: sealed.summary.ciphertextSha256 });
  if (status.state === 'complete') return status;
  const held = new Set<number>();
  for (const [from, to] of status.received) for (let index = from; index < to; index++) held.add(index);
  for (const [index, chunk] of sealed.chunks.entries()) {
    if (held.has(index)) continue;
    await api.chunk({ id: input.id, index, data: toBase64Url(chunk) });
  }
  return api.complete({ id: input.id });
}

/** objects.read's largest slice. */
const OBJECT_SLICE_BYTES = 4 * 1024 * 1024;
/** The largest instance a release reads (whole: the de-identification works on a whole data set). */
export const MAX_RELEASE_INSTANCE_BYTES = 256 * 1024 * 1024;

/** A sealed object's bytes, read from the body slice by slice. */
async function* objectSlices(api: Pick<HdmsApi, 'objects'>, objectId: string): AsyncGenerator<Uint8Array> {
  for (let offset = 0; ; ) {
    const slice = await api.objects.read({ id: objectId, offset, length: OBJECT_SLICE_BYTES });
    if (slice.size > MAX_RELEASE_INSTANCE_BYTES + 64 * 1024) throw new RangeError('The instance is larger than a release reads.');
    const bytes = fromBase64Url(slice.bytes);
    if (bytes.length > 0) yield bytes;
    offset += bytes.length;
    if (offset >= slice.size || bytes.length === 0) return;
  }
}

/** Opens a sealed instance as it is read (the intake key), into one buffer: the sealed copy is never held whole. */
export async function readSealedInstance(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string): Promise<Uint8Array> {
  const opened = await opener.openStream(objectSlices(api, objectId));
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const piece of opened.plaintext) {
    length += piece.byteLength;
    if (length > MAX_RELEASE_INSTANCE_BYTES) throw new RangeError('The instance is larger than a release reads.');
    parts.push(piece);
  }
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
}

/** The released patients' instances (dataset-release.ts releaseInstancesOf), each read from the body only when the package reaches it. */
export function vaultInstances(api: Pick<HdmsApi, 'objects'>, opener: Opener, refs: readonly ReleaseInstanceRef[]): Iterable<ReleaseDicomInstance> {
  return refs.map((ref) => ({ patientId: ref.patientId, studyDate: ref.studyDate, modality: ref.modality, read: () => readSealedInstance(api, opener, ref.objectId) }));
}
