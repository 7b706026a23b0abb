import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../deid/release-report';

/**
 * The dataset package's manifest (issue 15 item 4): every file of the package with its media type,
 * length and SHA-256, the release report's SHA-256 (release-report.ts: the value the ledger names),
 * the offers and the purchase it was made for (opaque strings from the caller), the resources per
 * FHIR type, the de-identification profile and the package format. It is the LAST file of the
 * container (the files' hashes are known only once they were written; see package-container.ts) and
 * is written as canonical JSON (release-report.ts `canonicalJson`: sorted keys, no whitespace), so
 * its SHA-256 is reproducible from the parsed object. It lists every file but itself.
 */

export const PACKAGE_FORMAT = 'hdms-dataset-package/1';
export const MANIFEST_NAME = 'manifest.json';
export const RELEASE_REPORT_NAME = 'release-report.json';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestFileSchema = z.strictObject({
  path: z.string().min(1).max(1024),
  mediaType: z.string().min(1).max(200),
  bytes: z.number().int().nonnegative(),
  sha256: hex64,
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

export const DatasetManifestSchema = z.strictObject({
  v: z.literal(1),
  type: z.literal('hdms.dataset-manifest'),
  format: z.literal(PACKAGE_FORMAT),
  createdAt: z.string().min(1).max(40),
  profile: z.enum(['safe-harbor', 'longitudinal']),
  releaseReportSha256: hex64,
  purchaseId: z.string().min(1).max(200),
  offerIds: z.array(z.string().min(1).max(200)).max(10_000),
  /** Resources per FHIR type (Patient, Observation, …), and DICOM instances under "dicom". */
  counts: z.record(z.string().min(1).max(64), z.number().int().nonnegative()),
  files: z.array(ManifestFileSchema).max(1_000_000),
});
export type DatasetManifest = z.infer<typeof DatasetManifestSchema>;

/** The manifest's bytes as stored: canonical JSON. */
export function canonicalManifest(manifest: DatasetManifest): string {
  return canonicalJson(manifest);
}

/** SHA-256 (hex) of the canonical form. */
export function manifestSha256(manifest: DatasetManifest): Promise<string> {
  return sha256Hex(canonicalManifest(manifest));
}

/** Parses a manifest's text; refuses one that is not canonical (so its hash is the hash of what was parsed). */
export function parseManifest(text: string): DatasetManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the manifest is not JSON';
  }
  const parsed = DatasetManifestSchema.safeParse(value);
  if (!parsed.success) return `the manifest is not well formed: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim();
  if (canonicalManifest(parsed.data) !== text) return 'the manifest is not in canonical form';
  return parsed.data;
}
