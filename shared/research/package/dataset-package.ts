import { utf8Encode } from '../../crypto/bytes';
import { openStreamWithDataKey } from '../../crypto/envelope';
import type { ByteSource } from '../../crypto/envelope-stream';
import { sha256Hex } from '../deid/release-report';
import { MANIFEST_NAME, PACKAGE_FORMAT, RELEASE_REPORT_NAME, canonicalManifest, manifestSha256, parseManifest, type DatasetManifest, type ManifestFile } from './dataset-manifest';
import { PackageError, readAll, readContainer, writeContainer, type ContainerEntry, type ContainerInput } from './package-container';
import {
  PACKAGE_ENVELOPE_KIND,
  checkKeyCommitment,
  hashingPassThrough,
  isDataKeyOnlyHeader,
  newPackageKey,
  sealWithDataKey,
  sha256Incremental,
  type HashFactory,
  type IncrementalHash,
  type SealSummary,
} from './package-seal';

/**
 * The dataset package end to end (issue 15 items 4 and 7): the release report, the data files
 * (FHIR NDJSON, CSV, DICOM) and the manifest in one container (package-container.ts), sealed under
 * a fresh key (package-seal.ts) as it streams; and the buyer's side, which opens it as it streams
 * and checks the ciphertext hash, the key commitment and the manifest.
 *
 * Order inside: release-report.json first, the data files in the caller's order, manifest.json
 * last. Nothing is held whole: each file is hashed while it passes through.
 */

export interface PackageFile {
  /** A relative path: "fhir/Patient.ndjson", "dicom/<sop uid>.dcm". */
  readonly path: string;
  readonly mediaType: string;
  readonly data: ByteSource;
}

export interface BuildPackageInput {
  /** From releaseDataset (release-report.ts): the report's canonical JSON and its SHA-256. */
  readonly release: { readonly reportJson: string; readonly reportSha256: string; readonly report: { readonly profile: 'safe-harbor' | 'longitudinal' } };
  readonly purchaseId: string;
  readonly offerIds: readonly string[];
  readonly files: AsyncIterable<PackageFile> | Iterable<PackageFile>;
  /** Resources per type for the manifest, asked once every file was written (the NDJSON writers count as they go). */
  readonly counts: () => Readonly<Record<string, number>>;
  readonly createdAt?: string;
  /** The package key (32 bytes); a fresh random one by default. Pass one only for test vectors. */
  readonly key?: Uint8Array;
  readonly chunkSize?: number;
  readonly inFlight?: number;
  readonly hasher?: HashFactory;
}

export interface PackageSummary extends SealSummary {
  readonly manifest: DatasetManifest;
  readonly manifestSha256: string;
}

export interface BuiltPackage {
  /** The package key: split it for the keepers (key-split.ts), then wipe it. */
  readonly key: Uint8Array;
  /** The sealed package, one piece at a time. Iterate once. */
  readonly stream: AsyncIterable<Uint8Array>;
  /** Settles once `stream` has ended: ciphertext hash and key commitment (the DATA_DELIVERY entry's), the manifest. */
  readonly summary: Promise<PackageSummary>;
}

/** Builds and seals a dataset package as a stream. */
export function buildDatasetPackage(input: BuildPackageInput): BuiltPackage {
  const key = input.key === undefined ? newPackageKey() : new Uint8Array(input.key);
  const hasher = input.hasher ?? sha256Incremental;
  const createdAt = input.createdAt ?? new Date().toISOString();
  const hashes = new Map<string, IncrementalHash>();
  const files: ManifestFile[] = [];
  const mediaTypes = new Map<string, string>();
  let manifest: DatasetManifest | undefined;

  async function* entries(): AsyncGenerator<ContainerInput> {
    if ((await sha256Hex(input.release.reportJson)) !== input.release.reportSha256) throw new RangeError('The release report does not hash to its reportSha256.');
    mediaTypes.set(RELEASE_REPORT_NAME, 'application/json');
    yield { name: RELEASE_REPORT_NAME, data: utf8Encode(input.release.reportJson) };
    for await (const file of input.files) {
      if (file.path === MANIFEST_NAME || file.path === RELEASE_REPORT_NAME) throw new RangeError(`${file.path} is written by the package itself.`);
      mediaTypes.set(file.path, file.mediaType);
      yield { name: file.path, data: file.data };
    }
  }

  const container = writeContainer(entries(), {
    observe(name, bytes) {
      let hash = hashes.get(name);
      if (hash === undefined) hashes.set(name, (hash = hasher()));
      hash.update(bytes);
    },
    onEntry({ name, length }) {
      if (name === MANIFEST_NAME) return;
      const hash = hashes.get(name) ?? hasher();
      hashes.delete(name);
      files.push({ path: name, mediaType: mediaTypes.get(name)!, bytes: length, sha256: hexOf(hash.digest()) });
    },
    trailer() {
      manifest = {
        v: 1,
        type: 'hdms.dataset-manifest',
        format: PACKAGE_FORMAT,
        createdAt,
        profile: input.release.report.profile,
        releaseReportSha256: input.release.reportSha256,
        purchaseId: input.purchaseId,
        offerIds: [...input.offerIds],
        counts: { ...input.counts() },
        files,
      };
      return [{ name: MANIFEST_NAME, data: utf8Encode(canonicalManifest(manifest)) }];
    },
  });
  const sealed = sealWithDataKey(key, container, { chunkSize: input.chunkSize, inFlight: input.inFlight, hasher });
  const summary = sealed.summary.then(async (seal) => ({ ...seal, manifest: manifest!, manifestSha256: await manifestSha256(manifest!) }));
  summary.catch(() => undefined);
  return { key, stream: sealed.stream, summary };
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += (byte < 16 ? '0' : '') + byte.toString(16);
  return out;
}

export interface OpenPackageOptions {
  /** The notarized key commitment: when given, a key that does not match is refused before any byte is read. */
  readonly commitment?: string;
  readonly hasher?: HashFactory;
  /** Called once everything was checked (hash, manifest), with the manifest; before the iteration ends. */
  readonly onVerified?: (manifest: DatasetManifest) => void;
}

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/**
 * Opens a sealed package as it streams and yields its files (release-report.json, the data files,
 * manifest.json last). Everything yielded is PROVISIONAL until the iteration ends without an error:
 * at the end it checks that the sealed bytes hash to `expectedCiphertextSha256` (the notarized
 * delivery's), that the manifest lists exactly the files read with their lengths and SHA-256, and
 * that the release report is the one the manifest names. Refusals: PackageError (E_PACKAGE_KEY,
 * E_PACKAGE_HASH, E_PACKAGE_MANIFEST, E_PACKAGE_FORMAT), or the envelope's EnvelopeError for a
 * tampered (E_ENVELOPE_AUTH) or cut (E_ENVELOPE_TRUNCATED) package, at the first bad chunk.
 */
export async function* openPackage(source: ByteSource, key: Uint8Array, expectedCiphertextSha256: string, options: OpenPackageOptions = {}): AsyncGenerator<ContainerEntry> {
  if (!/^[0-9a-f]{64}$/.test(expectedCiphertextSha256)) throw new RangeError('The expected ciphertext hash is 64 lowercase hex digits.');
  if (options.commitment !== undefined && !(await checkKeyCommitment(key, expectedCiphertextSha256, options.commitment))) {
    throw new PackageError('E_PACKAGE_KEY', 'The key does not match the package key commitment: a wrong key or a wrong share; nothing was decrypted.');
  }
  const hasher = options.hasher ?? sha256Incremental;
  const pass = hashingPassThrough(source, hasher);
  const opened = await openStreamWithDataKey(key, pass.stream);
  if (opened.kind !== PACKAGE_ENVELOPE_KIND || !isDataKeyOnlyHeader(opened.header)) {
    await opened.cancel();
    throw new PackageError('E_PACKAGE_FORMAT', 'This envelope is not a dataset package (it has a vault key slot or another kind).');
  }
  const hashes = new Map<string, IncrementalHash>();
  const read = new Map<string, { bytes: number; sha256: string }>();
  let manifestText: string | undefined;
  const entries = readContainer(opened.plaintext, {
    observe(name, bytes) {
      let hash = hashes.get(name);
      if (hash === undefined) hashes.set(name, (hash = hasher()));
      hash.update(bytes);
    },
    onEntry({ name, length }) {
      const hash = hashes.get(name) ?? hasher();
      hashes.delete(name);
      read.set(name, { bytes: length, sha256: hexOf(hash.digest()) });
    },
  });
  for await (const entry of entries) {
    if (manifestText !== undefined) throw new PackageError('E_PACKAGE_MANIFEST', `"${entry.name}" follows the manifest, which must be the last file.`);
    if (entry.name !== MANIFEST_NAME) {
      yield entry;
      continue;
    }
    const bytes = await readAll(bounded(entry.data, MAX_MANIFEST_BYTES));
    manifestText = new TextDecoder().decode(bytes);
    yield { name: entry.name, data: once(bytes) };
  }
  // The container has ended and the envelope with it (its last chunk authenticated, nothing after it).
  if (pass.digest() !== expectedCiphertextSha256) throw new PackageError('E_PACKAGE_HASH', 'The package is not the one the delivery names: its SHA-256 differs.');
  if (manifestText === undefined) throw new PackageError('E_PACKAGE_MANIFEST', 'The package has no manifest.');
  const manifest = parseManifest(manifestText);
  if (typeof manifest === 'string') throw new PackageError('E_PACKAGE_MANIFEST', `The package's ${manifest}.`);
  const listed = new Map(manifest.files.map((file) => [file.path, file]));
  if (listed.size !== manifest.files.length) throw new PackageError('E_PACKAGE_MANIFEST', 'The manifest lists a file twice.');
  for (const [name, actual] of read) {
    if (name === MANIFEST_NAME) continue;
    const file = listed.get(name);
    if (file === undefined) throw new PackageError('E_PACKAGE_MANIFEST', `"${name}" is in the package but not in the manifest.`);
    if (file.bytes !== actual.bytes || file.sha256 !== actual.sha256) throw new PackageError('E_PACKAGE_MANIFEST', `"${name}" is not the file the manifest lists (length or SHA-256 differ).`);
    listed.delete(name);
  }
  if (listed.size > 0) throw new PackageError('E_PACKAGE_MANIFEST', `The manifest lists ${[...listed.keys()].slice(0, 3).join(', ')}, not in the package.`);
  if (read.get(RELEASE_REPORT_NAME)?.sha256 !== manifest.releaseReportSha256) throw new PackageError('E_PACKAGE_MANIFEST', 'The release report is not the one the manifest names.');
  options.onVerified?.(manifest);
}

async function* bounded(data: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let length = 0;
  for await (const piece of data) {
    length += piece.length;
    if (length > max) throw new PackageError('E_PACKAGE_MANIFEST', 'The manifest is larger than any this format allows.');
    yield piece;
  }
}

function once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      yield bytes;
    },
  };
}

/** Opens a package into memory (tests, small packages): every file by name, once all checks passed. */
export async function readPackage(source: ByteSource, key: Uint8Array, expectedCiphertextSha256: string, options: Omit<OpenPackageOptions, 'onVerified'> = {}): Promise<{ files: Map<string, Uint8Array>; manifest: DatasetManifest }> {
  const files = new Map<string, Uint8Array>();
  let manifest: DatasetManifest | undefined;
  for await (const entry of openPackage(source, key, expectedCiphertextSha256, { ...options, onVerified: (m) => (manifest = m) })) files.set(entry.name, await readAll(entry.data));
  return { files, manifest: manifest! };
}
