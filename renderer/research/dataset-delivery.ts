import type { DeliveryStatus } from '../../shared/network/delivery';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import { recordDateLevel, type Release } from '../../shared/research/deid/release-report';
import { buildDatasetPackage, type PackageFile, type PackageSummary } from '../../shared/research/package/dataset-package';
import { dicomPackageFiles, type DicomTally, type ReleaseDicomInstance } from '../../shared/research/package/dicom-files';
import { fhirExport, fhirPackageFiles, imagingStudiesFrom } from '../../shared/research/package/fhir-r4';
import { toBase64Url } from '../../shared/crypto/bytes';
import type { HdmsApi } from '../../shared/ipc/contract';
import { sealedObjectSlices } from '../vault/records/sealed-objects';
import { concatBytes, type Opener } from '../vault/vault-crypto';
import type { ReleaseInstanceRef } from './dataset-release';
import type { Levels } from '../../shared/research/deid/generalization';

/**
 * A released dataset on its way to the buyer (issue 15 items 4 and 5), in the clinic's mind: the
 * FHIR R4 NDJSON and CSV files of the release, with its report and manifest, sealed under a fresh
 * key as they are generated (shared/research/package), cut into the delivery's chunks and handed to
 * the body as they are made (`network.deliveryStage`), which stages them on its disk, still sealed
 * (the key never leaves the mind). Once the package has ended, the body checks the staged chunks
 * against the size and SHA-256 the sealer counted, uploads them to the network's delivery store and
 * completes the delivery (`network.deliveryStageFinish`). The mind holds one chunk at a time, so a
 * release of several GB streams.
 */
export interface SealedPackage {
  /** The delivery the chunks were staged under. */
  readonly id: string;
  readonly size: number;
  readonly summary: PackageSummary;
  /** The DICOM instances released and excluded (by reason). */
  readonly dicom: DicomTally;
  /** The package key: split it for the keepers, then wipe it. */
  readonly key: Uint8Array;
}

/** What the body offers the mind for a staged delivery (shared/ipc/network-contract.ts). */
export interface DeliveryStageApi {
  stage(input: { id: string; index: number; data: string }): Promise<unknown>;
  finish(input: { id: string; recipient: string; purchaseId: string; size: number; sha256: string }): Promise<DeliveryStatus>;
  abort(input: { id: string }): Promise<unknown>;
}

/** The body's `network.deliveryStage*` methods as a DeliveryStageApi. */
export function deliveryStageApi(api: Pick<HdmsApi, 'network'>): DeliveryStageApi {
  return { stage: (input) => api.network.deliveryStage(input), finish: (input) => api.network.deliveryStageFinish(input), abort: (input) => api.network.deliveryStageAbort(input) };
}

/** The level the release's record dates went out at (Safe Harbor: the coarser event year's), or null when no study year may be released. */
function studyDateLevel(release: Release): number | null {
  if (release.report.profile !== 'safe-harbor') return null;
  const levels = Object.fromEntries(release.report.quasiIdentifiers.map((qi) => [qi.name, qi.level])) as unknown as Levels;
  return recordDateLevel(levels);
}

/**
 * Seals a release and stages it with the body as delivery `target.id`, chunk by chunk as it is made:
 * its purchased patients' DICOM instances first, de-identified one at a time as the package streams
 * (shared/research/package/dicom-files.ts), then the FHIR export (ImagingStudy from the instances
 * released) and the CSV flattenings. The size and the ciphertext's SHA-256 (the sealer's, counted as
 * it streams) come back with the summary; on a failure the staged chunks are removed.
 */
export async function sealRelease(
  target: { readonly api: DeliveryStageApi; readonly id: string },
  release: Release,
  purchaseId: string,
  offerIds: readonly string[],
  imaging: AsyncIterable<ReleaseDicomInstance> | Iterable<ReleaseDicomInstance> = [],
): Promise<SealedPackage> {
  // Longitudinal: each patient's DICOM dates move by the offset their records' dates moved by.
  const dicom = dicomPackageFiles(imaging, { rows: release.dataset.rows, pseudonymMap: release.pseudonymMap, dateLevel: studyDateLevel(release), options: release.dicomOptions, ...(release.dateShifts === undefined ? {} : { dateShifts: release.dateShifts }) });
  let fhirCounts: () => Record<string, number> = () => ({});
  async function* files(): AsyncGenerator<PackageFile> {
    yield* dicom.files;
    const fhir = fhirPackageFiles(fhirExport(release.dataset, { imaging: imagingStudiesFrom(dicom.released()) }));
    fhirCounts = fhir.counts;
    yield* fhir.files;
  }
  const built = buildDatasetPackage({ release, purchaseId, offerIds, files: files(), counts: () => ({ ...fhirCounts(), ...dicom.counts() }) });
  // The one chunk the mind holds: filled from the sealed stream, staged with the body when full.
  const pending = new Uint8Array(DELIVERY_IPC_CHUNK_SIZE);
  let filled = 0;
  let index = 0;
  let size = 0;
  const stage = async (bytes: Uint8Array): Promise<void> => {
    await target.api.stage({ id: target.id, index, data: toBase64Url(bytes) });
    index++;
  };
  try {
    for await (const piece of built.stream) {
      size += piece.byteLength;
      let offset = 0;
      while (offset < piece.byteLength) {
        const take = Math.min(piece.byteLength - offset, DELIVERY_IPC_CHUNK_SIZE - filled);
        pending.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === DELIVERY_IPC_CHUNK_SIZE) {
          await stage(pending);
          filled = 0;
        }
      }
    }
    if (filled > 0) await stage(pending.subarray(0, filled));
    const summary = await built.summary;
    return { id: target.id, size, summary, key: built.key, dicom: dicom.tally() };
  } catch (error) {
    built.key.fill(0);
    await target.api.abort({ id: target.id }).catch(() => undefined);
    throw error;
  } finally {
    pending.fill(0);
  }
}

/**
 * Has the body check the staged package against its size and SHA-256, create the delivery (or find
 * it, on a retry), upload from its disk what the server lacks and complete it. On a failure the
 * staged chunks are removed: a release tried again is sealed afresh (a new key, a new delivery).
 */
export async function uploadPackage(api: DeliveryStageApi, input: { readonly recipient: string; readonly purchaseId: string; readonly sealed: Pick<SealedPackage, 'id' | 'size' | 'summary'> }): Promise<DeliveryStatus> {
  const { sealed } = input;
  try {
    return await api.finish({ id: sealed.id, recipient: input.recipient, purchaseId: input.purchaseId, size: sealed.size, sha256: sealed.summary.ciphertextSha256 });
  } catch (error) {
    await api.abort({ id: sealed.id }).catch(() => undefined);
    throw error;
  }
}

/** The largest instance a release reads (whole: the de-identification works on a whole data set). */
export const MAX_RELEASE_INSTANCE_BYTES = 256 * 1024 * 1024;

/** Opens a sealed instance as it is read (the intake key), into one buffer: the sealed copy is never held whole. */
export async function readSealedInstance(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string): Promise<Uint8Array> {
  // The sealed size allows for the envelope's header and tags (well under 64 KiB at this size).
  const opened = await opener.openStream(sealedObjectSlices(api, objectId, { maxBytes: MAX_RELEASE_INSTANCE_BYTES + 64 * 1024, tooLarge: 'The instance is larger than a release reads.' }));
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
