import type { ChunkStored, DeliveryStatus } from '../../shared/network/delivery';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import type { Release } from '../../shared/research/deid/release-report';
import { buildDatasetPackage, type PackageSummary } from '../../shared/research/package/dataset-package';
import { fhirExport, fhirPackageFiles } from '../../shared/research/package/fhir-r4';
import { toBase64Url } from '../../shared/crypto/bytes';

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
  /** The package key: split it for the keepers, then wipe it. */
  readonly key: Uint8Array;
}

export class PackageTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`The sealed dataset passed ${MAX_HELD_PACKAGE_BYTES / 1024 / 1024} MiB, more than a node delivers from memory.`);
    this.name = 'PackageTooLargeError';
  }
}

/** Seals a release's FHIR export into delivery-sized chunks. */
export async function sealRelease(release: Release, purchaseId: string, offerIds: readonly string[]): Promise<SealedPackage> {
  const { files, counts } = fhirPackageFiles(fhirExport(release.dataset));
  const built = buildDatasetPackage({ release, purchaseId, offerIds, files, counts });
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
  return { chunks, size, summary: await built.summary, key: built.key };
}

/** What the body offers the mind for an upload (shared/ipc/network-contract.ts). */
export interface DeliveryUploadApi {
  create(input: { id: string; recipient: string; purchaseId: string; size: number; sha256: string }): Promise<DeliveryStatus>;
  chunk(input: { id: string; index: number; data: string }): Promise<ChunkStored>;
  complete(input: { id: string }): Promise<DeliveryStatus>;
}

/** Creates the delivery (or finds it, on a retry), sends each chunk the server lacks, completes it. */
export async function uploadPackage(api: DeliveryUploadApi, input: { readonly id: string; readonly recipient: string; readonly purchaseId: string; readonly sealed: SealedPackage }): Promise<DeliveryStatus> {
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
