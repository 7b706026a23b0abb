import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStreamWithDataKey, collectBytes, createOpener } from '../../../../shared/crypto/envelope';
import { decodeEnvelopeHeader, EnvelopeError } from '../../../../shared/crypto/envelope-format';
import { generateP256KeyPair } from '../../../../shared/crypto/p256-keys';
import { canonicalJson, sha256Hex } from '../../../../shared/research/deid/release-report';
import { canonicalManifest, manifestSha256, parseManifest, type DatasetManifest } from '../../../../shared/research/package/dataset-manifest';
import { buildDatasetPackage, openPackage, readPackage, type PackageFile } from '../../../../shared/research/package/dataset-package';
import { PackageError, isSafeEntryName, readAll, readContainer, writeContainer } from '../../../../shared/research/package/package-container';
import { checkKeyCommitment, isDataKeyOnlyHeader, keyCommitment, newPackageKey, sealWithDataKey } from '../../../../shared/research/package/package-seal';

const REPORT = { v: 1, type: 'hdms.deid-release-report', profile: 'safe-harbor', achieved: { k: 5, l: 2 } };

async function release() {
  const reportJson = canonicalJson(REPORT);
  return { reportJson, reportSha256: await sha256Hex(reportJson), report: { profile: 'safe-harbor' as const } };
}

/** `total` pseudo-random bytes in pieces of `piece` bytes, made as they are asked for (never held whole). */
async function* lazyBytes(total: number, piece = 50_000, seed = 1): AsyncGenerator<Uint8Array> {
  let state = seed;
  for (let offset = 0; offset < total; offset += piece) {
    const out = new Uint8Array(Math.min(piece, total - offset));
    for (let i = 0; i < out.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[i] = state >>> 24;
    }
    yield out;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const FIVE_MB = 5 * 1024 * 1024 + 12_345;

function files(): PackageFile[] {
  return [
    { path: 'fhir/Patient.ndjson', mediaType: 'application/fhir+ndjson', data: new TextEncoder().encode('{"resourceType":"Patient","id":"a"}\n') },
    { path: 'dicom/big.dcm', mediaType: 'application/dicom', data: lazyBytes(FIVE_MB) },
    { path: 'csv/empty.csv', mediaType: 'text/csv', data: new Uint8Array(0) },
  ];
}

async function sealedPackage(chunkSize = 64 * 1024) {
  const built = buildDatasetPackage({ release: await release(), purchaseId: 'purchase-A', offerIds: ['offer-1', 'offer-2'], files: files(), counts: () => ({ Patient: 1, dicom: 1 }), createdAt: '2026-12-05T06:00:00.000Z', chunkSize });
  const sealed = await collectBytes(built.stream);
  return { built, sealed, summary: await built.summary };
}

describe('the sealed dataset package', () => {
  it('round-trips a 5 MB multi-chunk package: files, manifest, hashes, counts', async () => {
    const { built, sealed, summary } = await sealedPackage();
    expect(summary.sealedLength).toBe(sealed.length);
    expect(summary.ciphertextSha256).toBe(sha256(sealed));
    expect(summary.keyCommitment).toBe(await keyCommitment(built.key, summary.ciphertextSha256));
    const { files: opened, manifest } = await readPackage(sealed, built.key, summary.ciphertextSha256, { commitment: summary.keyCommitment });
    expect([...opened.keys()]).toEqual(['release-report.json', 'fhir/Patient.ndjson', 'dicom/big.dcm', 'csv/empty.csv', 'manifest.json']);
    expect(opened.get('dicom/big.dcm')!.length).toBe(FIVE_MB);
    expect(sha256(opened.get('dicom/big.dcm')!)).toBe(sha256(await collectBytes(lazyBytes(FIVE_MB))));
    expect(manifest).toEqual(summary.manifest);
    expect(manifest).toMatchObject({ format: 'hdms-dataset-package/1', profile: 'safe-harbor', purchaseId: 'purchase-A', offerIds: ['offer-1', 'offer-2'], counts: { Patient: 1, dicom: 1 }, releaseReportSha256: (await release()).reportSha256 });
    // Every file's length and SHA-256 in the manifest is that of its bytes.
    for (const file of manifest.files) {
      expect(file.bytes).toBe(opened.get(file.path)!.length);
      expect(file.sha256).toBe(sha256(opened.get(file.path)!));
    }
    expect(manifest.files.map((f) => f.path)).toEqual(['release-report.json', 'fhir/Patient.ndjson', 'dicom/big.dcm', 'csv/empty.csv']);
    expect(new TextDecoder().decode(opened.get('manifest.json'))).toBe(canonicalManifest(manifest));
    expect(summary.manifestSha256).toBe(sha256(opened.get('manifest.json')!));
  });

  it('is a standard envelope (kind backup, data-key-only slot) that openStreamWithDataKey opens, and a vault opener refuses', async () => {
    const { built, sealed } = await sealedPackage(4096);
    const header = decodeEnvelopeHeader(sealed);
    expect(header.kind).toBe('backup');
    expect(header.chunkSize).toBe(4096);
    expect(isDataKeyOnlyHeader(header)).toBe(true);
    const opened = await openStreamWithDataKey(built.key, sealed);
    const plaintext = await collectBytes(opened.plaintext);
    expect(new TextDecoder().decode(plaintext.subarray(0, 7))).toBe('HDMSPKG');
    const vault = await generateP256KeyPair();
    await expect(createOpener(vault.privateKey).open(sealed)).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
  });

  it('detects a tampered byte in a middle chunk, a truncated package and a wrong expected hash', async () => {
    const { built, sealed, summary } = await sealedPackage();
    const tampered = sealed.slice();
    tampered[Math.floor(sealed.length / 2)]! ^= 0x01;
    await expect(readPackage(tampered, built.key, summary.ciphertextSha256)).rejects.toMatchObject({ name: 'EnvelopeError', code: 'E_ENVELOPE_AUTH' });
    // Cut at a chunk boundary (140-byte header, 64 KiB + 16 per chunk) and in the middle of one.
    const boundary = 140 + 10 * (64 * 1024 + 16);
    await expect(readPackage(sealed.subarray(0, boundary), built.key, summary.ciphertextSha256)).rejects.toMatchObject({ name: 'EnvelopeError', code: 'E_ENVELOPE_TRUNCATED' });
    await expect(readPackage(sealed.subarray(0, sealed.length - 5), built.key, summary.ciphertextSha256)).rejects.toBeInstanceOf(EnvelopeError);
    await expect(readPackage(sealed, built.key, 'ab'.repeat(32))).rejects.toMatchObject({ code: 'E_PACKAGE_HASH' });
  });

  it('refuses a wrong key by the commitment before reading a byte', async () => {
    const { built, sealed, summary } = await sealedPackage();
    const wrong = newPackageKey();
    expect(await checkKeyCommitment(wrong, summary.ciphertextSha256, summary.keyCommitment)).toBe(false);
    expect(await checkKeyCommitment(built.key, summary.ciphertextSha256, summary.keyCommitment)).toBe(true);
    // The commitment is bound to the delivery: the right key with another package's hash does not match.
    expect(await checkKeyCommitment(built.key, 'cd'.repeat(32), summary.keyCommitment)).toBe(false);
    let pulled = 0;
    const counting = (async function* () {
      pulled++;
      yield sealed;
    })();
    await expect(readPackage(counting, wrong, summary.ciphertextSha256, { commitment: summary.keyCommitment })).rejects.toMatchObject({ code: 'E_PACKAGE_KEY' });
    expect(pulled).toBe(0);
    // Without the commitment the first chunk fails to authenticate.
    await expect(readPackage(sealed, wrong, summary.ciphertextSha256)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
  });

  it('streams: sealing 5 MB never pulls more than a few chunks ahead of what was yielded', async () => {
    const key = newPackageKey();
    let produced = 0;
    const source = (async function* () {
      for await (const piece of lazyBytes(FIVE_MB, 16 * 1024)) {
        produced += piece.length;
        yield piece;
      }
    })();
    const sealing = sealWithDataKey(key, source, { inFlight: 4 });
    let consumed = 0;
    let maxAhead = 0;
    for await (const piece of sealing.stream) {
      consumed += piece.length;
      maxAhead = Math.max(maxAhead, produced - consumed);
    }
    expect(maxAhead).toBeLessThan(6 * 64 * 1024);
    expect((await sealing.summary).plaintextLength).toBe(FIVE_MB);
  });

  it('streams when opening: the first bytes of the 5 MB file come out after a few chunks were read, not the whole package', async () => {
    const { built, sealed, summary } = await sealedPackage();
    let pulled = 0;
    const source = (function* () {
      for (let offset = 0; offset < sealed.length; offset += 64 * 1024) {
        const piece = sealed.subarray(offset, offset + 64 * 1024);
        pulled += piece.length;
        yield piece;
      }
    })();
    let pulledAtFirstByte = -1;
    for await (const entry of openPackage(source, built.key, summary.ciphertextSha256)) {
      for await (const piece of entry.data) if (entry.name === 'dicom/big.dcm' && pulledAtFirstByte < 0 && piece.length > 0) pulledAtFirstByte = pulled;
    }
    expect(pulledAtFirstByte).toBeGreaterThan(0);
    expect(pulledAtFirstByte).toBeLessThan(4 * (64 * 1024 + 16));
    expect(pulled).toBe(sealed.length);
  });

  it('a consumer that abandons the sealed stream gets a rejected summary, not a hang', async () => {
    const sealing = sealWithDataKey(newPackageKey(), lazyBytes(FIVE_MB));
    for await (const piece of sealing.stream) {
      void piece;
      break;
    }
    await expect(sealing.summary).rejects.toThrow(/abandoned/);
  });

  it('checks the manifest against the files: a file missing from the manifest or a changed hash is refused', async () => {
    // Build a container by hand with a manifest that lies, sealed properly: only the manifest check can catch it.
    const key = newPackageKey();
    const rel = await release();
    const lying: DatasetManifest = {
      v: 1,
      type: 'hdms.dataset-manifest',
      format: 'hdms-dataset-package/1',
      createdAt: 'x',
      profile: 'safe-harbor',
      releaseReportSha256: rel.reportSha256,
      purchaseId: 'p',
      offerIds: [],
      counts: {},
      files: [{ path: 'release-report.json', mediaType: 'application/json', bytes: rel.reportJson.length, sha256: sha256(new TextEncoder().encode(rel.reportJson)) }],
    };
    const container = writeContainer([
      { name: 'release-report.json', data: new TextEncoder().encode(rel.reportJson) },
      { name: 'extra.bin', data: new Uint8Array([1, 2, 3]) },
      { name: 'manifest.json', data: new TextEncoder().encode(canonicalManifest(lying)) },
    ]);
    const sealing = sealWithDataKey(key, container);
    const sealed = await collectBytes(sealing.stream);
    const { ciphertextSha256 } = await sealing.summary;
    await expect(readPackage(sealed, key, ciphertextSha256)).rejects.toMatchObject({ code: 'E_PACKAGE_MANIFEST', message: expect.stringContaining('extra.bin') });

    const wrongHash = { ...lying, files: [{ ...lying.files[0]!, sha256: '0'.repeat(64) }] };
    const sealing2 = sealWithDataKey(key, writeContainer([{ name: 'release-report.json', data: new TextEncoder().encode(rel.reportJson) }, { name: 'manifest.json', data: new TextEncoder().encode(canonicalManifest(wrongHash)) }]));
    const sealed2 = await collectBytes(sealing2.stream);
    await expect(readPackage(sealed2, key, (await sealing2.summary).ciphertextSha256)).rejects.toMatchObject({ code: 'E_PACKAGE_MANIFEST', message: expect.stringContaining('release-report.json') });
  });

  it('lets a consumer stop reading an entry early: the rest is skipped and still checked', async () => {
    const { built, sealed, summary } = await sealedPackage();
    const names: string[] = [];
    let verified = false;
    for await (const entry of openPackage(sealed, built.key, summary.ciphertextSha256, { onVerified: () => (verified = true) })) {
      names.push(entry.name);
      for await (const piece of entry.data) {
        void piece;
        break;
      }
    }
    expect(names).toHaveLength(5);
    expect(verified).toBe(true);
  });
});

describe('the manifest', () => {
  const manifest: DatasetManifest = {
    v: 1,
    type: 'hdms.dataset-manifest',
    format: 'hdms-dataset-package/1',
    createdAt: '2026-12-05T06:00:00.000Z',
    profile: 'longitudinal',
    releaseReportSha256: 'a'.repeat(64),
    purchaseId: 'purchase-1',
    offerIds: ['o2', 'o1'],
    counts: { Patient: 3, Observation: 10 },
    files: [{ path: 'fhir/Patient.ndjson', mediaType: 'application/fhir+ndjson', bytes: 10, sha256: 'b'.repeat(64) }],
  };

  it('has a stable canonical form: sorted keys, no spaces, independent of key order; its hash is that of those bytes', async () => {
    const shuffled = Object.fromEntries(Object.entries(manifest).reverse()) as DatasetManifest;
    expect(canonicalManifest(shuffled)).toBe(canonicalManifest(manifest));
    expect(canonicalManifest(manifest)).toMatch(/^\{"counts":\{"Observation":10,"Patient":3\},"createdAt":/);
    expect(canonicalManifest(manifest)).not.toMatch(/\s/);
    expect(await manifestSha256(manifest)).toBe(sha256(new TextEncoder().encode(canonicalManifest(manifest))));
    expect(parseManifest(canonicalManifest(manifest))).toEqual(manifest);
    expect(parseManifest(JSON.stringify(manifest))).toBe('the manifest is not in canonical form');
    expect(parseManifest(canonicalManifest({ ...manifest, extra: 1 } as DatasetManifest))).toMatch(/not well formed/);
  });
});

describe('the container', () => {
  it('refuses unsafe names when writing and reading', async () => {
    for (const name of ['../x', '/etc/passwd', 'a/../b', 'a//b', 'C:evil', 'a\\b', '', 'a\u0000b', './a']) expect(isSafeEntryName(name)).toBe(false);
    for (const name of ['manifest.json', 'fhir/Patient.ndjson', 'dicom/1.2.3/4.dcm', 'über.csv']) expect(isSafeEntryName(name)).toBe(true);
    await expect(collectBytes(writeContainer([{ name: '../x', data: new Uint8Array(1) }]))).rejects.toBeInstanceOf(PackageError);
    // A hand-made container with a traversal name.
    const name = new TextEncoder().encode('../evil');
    const bytes = new Uint8Array([0x48, 0x44, 0x4d, 0x53, 0x50, 0x4b, 0x47, 0x01, 0x01, 0, name.length, ...name, 0, 0, 0, 0, 0x00]);
    await expect(drain(readContainer(bytes))).rejects.toMatchObject({ code: 'E_PACKAGE_FORMAT' });
  });

  it('round-trips pieces of any size and refuses trailing bytes or a cut', async () => {
    const big = await collectBytes(lazyBytes(200_000, 7_777));
    const written = await collectBytes(writeContainer([{ name: 'a', data: lazyBytes(200_000, 7_777) }, { name: 'b', data: [new Uint8Array(0)] }]));
    const out = new Map<string, Uint8Array>();
    for await (const entry of readContainer(pieces(written, 333))) out.set(entry.name, await readAll(entry.data));
    expect(out.get('a')).toEqual(big);
    expect(out.get('b')).toEqual(new Uint8Array(0));
    await expect(drain(readContainer(new Uint8Array([...written, 0])))).rejects.toThrow(/follow the end/);
    await expect(drain(readContainer(written.subarray(0, written.length - 1)))).rejects.toThrow(/ends inside/);
  });
});

function* pieces(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function drain(entries: AsyncIterable<{ data: AsyncIterable<Uint8Array> }>): Promise<void> {
  for await (const entry of entries) await readAll(entry.data);
}
