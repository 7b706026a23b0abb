import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildFileMetaInformation } from '../../electron/intake/dicom/dicom-part10';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../electron/intake/dicom/dicom-uids';
import { deliveryStageApi, sealRelease, uploadPackage } from '../../renderer/research/dataset-delivery';
import { PurchasedDatasetsFeature } from '../../renderer/research/purchased-datasets';
import { fromBase64Url } from '../../shared/crypto/bytes';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import { releaseDataset, type Release } from '../../shared/research/deid/release-report';
import { applySafeHarbor, type DeidSource } from '../../shared/research/deid/safe-harbor';
import { manifestSha256, type DatasetManifest } from '../../shared/research/package/dataset-manifest';
import type { ReleaseDicomInstance } from '../../shared/research/package/dicom-files';
import type { DatasetDeliveredPayload } from '../../shared/research/purchase-request';
import { instanceElements, writeDataset } from '../electron/intake/dicom/dicom-test-support';
import { startIntegrationNode, type IntegrationNode } from '../support/integration-node';

/**
 * The work of large-delivery.bench.ts, run in a child process (large-delivery-child.ts) so each
 * size starts from a fresh process: a release whose bulk is synthetic multi-frame DICOM, from the
 * clinic's mind to a folder on the researcher's disk, through the modules the app runs.
 *
 * - Server: the real network server (server/server-process.ts, PGlite) on 127.0.0.1 with its
 *   delivery blob store, no chain, in its own process (large-delivery-server.ts), as it would be on
 *   its own machine: its RSS is reported apart. Its per-member and per-IP request limits are raised
 *   unless HDMS_BENCH_LARGE_DEFAULT_LIMITS=1: the defaults (600 member requests a minute) stop a
 *   delivery of more than 600 chunks (300 MiB) with rate_limited.
 * - Two nodes (test/support/integration-node.ts): each the real body on its own data folder and the
 *   real mind over the in-process transport, vault created, joined (clinic; research).
 * - seal+stage: the clinic mind's `sealRelease` (renderer/research/dataset-delivery.ts), as
 *   purchases.release calls it, with the body's `network.deliveryStage` behind it (outgoing-
 *   deliveries.ts: each 512 KiB chunk written, fsynced, renamed). The imaging source is an async
 *   generator making one instance when the package asks for it (`read()`), so it is never held whole.
 * - upload: `uploadPackage` → the body's `network.deliveryStageFinish` (re-hash from disk, create,
 *   PUT every chunk, complete: the server hashes the blob from its disk).
 * - download+keep: the body's `network.deliveryRead` with keep for every chunk, as the mind's
 *   readPackage asks for them (fetched from the server, checked, kept on the research body's disk,
 *   passed to the mind as base64url); the bench hashes what the mind gets (node:crypto) against the
 *   sealed hash. In the app this pass and the next are one: openDataset reads with keep.
 * - open: the research mind's PurchasedDatasetsFeature.readPackage (private; called here directly,
 *   as openDataset does, with a port that holds only the body's api), over the kept chunks:
 *   openPackage checks the key commitment, the ciphertext SHA-256 (the sealed one), each file
 *   against the manifest; the manifest's hash is compared to the sealer's.
 * - save: PurchasedDatasetsFeature.save into a new folder (the body's network.datasetSave*, every
 *   file fsynced). The purchase's journal view (the rows the relay and the keepers would have
 *   brought: the delivery, the opened key) is stubbed on the instance; from the package's bytes on it
 *   is the app's code.
 *
 * Memory: process.memoryUsage() every 200 ms, the peak of each phase, and the kernel's high-water
 * mark (resourceUsage().maxRSS). Baseline, same process, same bytes: the synthetic DICOM stream
 * (regenerated, generation not timed) encrypted with raw Web Crypto AES-256-GCM in 64 KiB pieces
 * under one key, one after another (as delivery.bench.ts).
 *
 * Everything lives under one temporary folder, removed in `finally`.
 */

const MIB = 1024 * 1024;
const PASSPHRASE = 'violet tractor amber seventeen';
const SAMPLE_MS = 200;
/** Enhanced CT Image Storage: multi-frame, not a high-risk class the de-identification excludes. */
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const FRAME_ROWS = 512;
const FRAME_COLUMNS = 512;
const FRAME_BYTES = FRAME_ROWS * FRAME_COLUMNS * 2;

export const PHASES = ['seal_stage', 'upload', 'download_keep', 'open', 'save'] as const;
export type Phase = (typeof PHASES)[number];

export interface MemoryPeak {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface PhaseResult {
  readonly seconds: number;
  readonly mibPerS: number;
  /** Peaks sampled during the phase (bytes, absolute). */
  readonly peak: MemoryPeak;
}

export interface LargeDeliveryResult {
  /** The synthetic DICOM bytes asked for (before de-identification). */
  readonly targetBytes: number;
  readonly sealedBytes: number;
  readonly instances: number;
  readonly instanceBytes: number;
  readonly files: number;
  readonly savedBytes: number;
  readonly phases: Readonly<Record<Phase, PhaseResult>>;
  readonly totalSeconds: number;
  /** RSS (and heap) after setup, before sealing: what the peaks are measured above. */
  readonly start: MemoryPeak;
  /** The highest sample over all phases. */
  readonly peak: MemoryPeak;
  /** The kernel's high-water mark of this process's RSS (setup included). */
  readonly maxRss: number;
  readonly samples: number;
  readonly baselineMibPerS: number;
  /** The server process's RSS after start (collected, settled), its sampled peak, and its kernel high-water mark. */
  readonly server: { readonly startRss: number; readonly peakRss: number; readonly maxRss: number };
}

/** The server in its own process (large-delivery-server.ts). */
async function startServerProcess(dataDir: string, log: (line: string) => void): Promise<{ url: string; finish(): Promise<LargeDeliveryResult['server']>; kill(): void }> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'large-delivery-server.ts'), dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let out = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (let at = out.indexOf('\n'); at >= 0; at = out.indexOf('\n')) {
      lines.push(out.slice(0, at));
      out = out.slice(at + 1);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => log(`  server: ${chunk.toString('utf8').trimEnd()}`));
  child.on('exit', () => {
    exited = true;
    for (const wake of waiters.splice(0)) wake();
  });
  const line = async (n: number): Promise<string> => {
    while (lines.length < n) {
      if (exited) throw new Error('The server process exited.');
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return lines[n - 1]!;
  };
  const { url } = JSON.parse(await line(1)) as { url: string };
  return {
    url,
    async finish() {
      child.stdin.end();
      return JSON.parse(await line(2)) as LargeDeliveryResult['server'];
    },
    kill: () => void (exited || child.kill()),
  };
}

/** A small population for the release's records (the bulk of the package is the imaging). */
function population(count: number): DeidSource[] {
  return Array.from({ length: count }, (_, i): DeidSource => ({
    patientId: `bench-patient-${i}`,
    patient: { identifiers: [{ value: `MRN-${i}`, authority: 'GENERAL', type: 'MR' }], name: { family: `Family${i}`, given: ['Given'] }, birthDate: `${1950 + (i % 30)}-06-01`, sex: i % 2 === 0 ? 'F' : 'M', address: { postalCode: `021${i % 10}0`, country: 'US' } },
    records: [
      ...Array.from({ length: 5 }, (_, j): DeidSource['records'][number] => ({ type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 5 + j / 10, unit: '%' }, status: 'F', time: `20${12 + j}-01-02T10:00:00Z` })),
      { type: 'diagnosis', code: { code: ['E11.9', 'I10', 'J45.909'][i % 3]!, system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: '2015-07-02T12:00:00Z' } as never,
    ],
  }));
}

/**
 * One synthetic multi-frame CT instance of `bytes` (about; whole 512×512 16-bit frames, at least
 * one), valid Part 10 in explicit VR little endian, built straight into one buffer: the frames
 * are random bytes (what an encryptor cannot tell from an image).
 */
export function syntheticInstance(n: number, patient: string, bytes: number): Uint8Array<ArrayBuffer> {
  const frames = Math.max(1, Math.floor(bytes / FRAME_BYTES));
  const study = `1.2.826.0.1.3680043.10.999.${7000 + (n % 97)}`;
  const sop = `${study}.1.${n + 1}`;
  const elements = instanceElements({ sopInstanceUid: sop, sopClassUid: ENHANCED_CT, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, patientId: `MRN-${patient}`, patientName: 'FAMILY^GIVEN', studyDate: '20150102', rows: FRAME_ROWS, columns: FRAME_COLUMNS, pixels: Buffer.alloc(0) }).filter(([tag]) => tag !== 0x7fe00010);
  elements.push([0x00280008, 'IS', String(frames)], [0x00280301, 'CS', 'NO']);
  const meta = buildFileMetaInformation({ sopClassUid: ENHANCED_CT, sopInstanceUid: sop, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN });
  const head = writeDataset(elements, EXPLICIT_VR_LITTLE_ENDIAN);
  const pixelBytes = frames * FRAME_BYTES;
  const out = new Uint8Array(meta.length + head.length + 12 + pixelBytes);
  out.set(meta, 0);
  out.set(head, meta.length);
  const at = meta.length + head.length;
  const view = new DataView(out.buffer);
  // (7FE0,0010) OW, 32-bit length.
  view.setUint16(at, 0x7fe0, true);
  view.setUint16(at + 2, 0x0010, true);
  out[at + 4] = 0x4f; // 'O'
  out[at + 5] = 0x57; // 'W'
  view.setUint32(at + 8, pixelBytes, true);
  randomFillSync(out, at + 12, pixelBytes);
  return out;
}

/** The instances' plan: how many, of what size, to reach `targetBytes` of DICOM. */
export function instancePlan(targetBytes: number, instanceBytes: number): number[] {
  const sizes: number[] = [];
  for (let left = targetBytes; left > 0; left -= instanceBytes) sizes.push(Math.max(FRAME_BYTES, Math.min(instanceBytes, left)));
  return sizes;
}

/** The imaging a release reads: one instance made per read(), as the vault's would be read then. */
async function* imaging(patients: readonly string[], sizes: readonly number[]): AsyncGenerator<ReleaseDicomInstance> {
  for (const [n, size] of sizes.entries()) {
    const patientId = patients[n % patients.length]!;
    yield { patientId, studyDate: '2015-01-02', modality: 'CT', read: () => Promise.resolve(syntheticInstance(n, patientId, size)) };
  }
}

class MemorySampler {
  private timer: ReturnType<typeof setInterval> | null = null;
  private phasePeak: MemoryPeak = zeroPeak();
  overall: MemoryPeak = zeroPeak();
  count = 0;

  start(): void {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  sample(): void {
    const usage = process.memoryUsage();
    const now: MemoryPeak = { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
    this.phasePeak = maxPeak(this.phasePeak, now);
    this.overall = maxPeak(this.overall, now);
    this.count++;
  }

  /** The peak since the last call (sampled once more now). */
  takePhase(): MemoryPeak {
    this.sample();
    const peak = this.phasePeak;
    this.phasePeak = zeroPeak();
    return peak;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function zeroPeak(): MemoryPeak {
  return { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
}

function maxPeak(a: MemoryPeak, b: MemoryPeak): MemoryPeak {
  return { rss: Math.max(a.rss, b.rss), heapUsed: Math.max(a.heapUsed, b.heapUsed), external: Math.max(a.external, b.external), arrayBuffers: Math.max(a.arrayBuffers, b.arrayBuffers) };
}

function current(): MemoryPeak {
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

/** Raw AES-256-GCM of the same synthetic bytes, 64 KiB pieces under one key, one after another; generation not timed. */
async function rawAesGcm(sizes: readonly number[]): Promise<number> {
  const key = await globalThis.crypto.subtle.importKey('raw', globalThis.crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt']);
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  let counter = 0;
  let bytes = 0;
  let ms = 0;
  let sink = 0;
  for (const [n, size] of sizes.entries()) {
    const instance = syntheticInstance(n, 'baseline', size);
    const started = performance.now();
    for (let at = 0; at < instance.length; at += 64 * 1024) {
      view.setUint32(8, counter++);
      sink += (await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, instance.subarray(at, Math.min(instance.length, at + 64 * 1024)))).byteLength;
    }
    ms += performance.now() - started;
    bytes += instance.length;
  }
  if (sink < bytes) throw new Error('the baseline sealed less than it read');
  return bytes / MIB / (ms / 1000);
}

/** What PurchasedDatasetsFeature.readPackage (private) is, as openDataset and save call it. */
type ReadPackage = (port: unknown, delivery: DatasetDeliveredPayload, key: Uint8Array, onFile: (name: string, data: AsyncIterable<Uint8Array>) => Promise<void> | void) => Promise<{ manifest: DatasetManifest }>;

export async function runLargeDelivery(targetBytes: number, instanceBytes: number, log: (line: string) => void): Promise<LargeDeliveryResult> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const root = await mkdtemp(path.join(os.tmpdir(), 'hdms-bench-large-delivery-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const sampler = new MemorySampler();
  try {
    const dir = async (name: string): Promise<string> => {
      const made = path.join(root, name);
      await mkdir(made);
      return made;
    };
    const startNode = async (name: string): Promise<IntegrationNode> => {
      const node = await startIntegrationNode(await dir(name), (stop) => void cleanups.push(stop));
      cleanups.push(() => node.vault.lock());
      await node.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
      // Nobody moves a pointer here: a run longer than the default 15 idle minutes would lock the vault mid-read.
      await node.vault.setAutoLockMinutes(0);
      return node;
    };
    // ——— Setup (not timed) ———
    const server = await startServerProcess(await dir('server'), log);
    cleanups.push(() => server.kill());
    const clinic = await startNode('clinic');
    const { preview } = await clinic.api.network.inspect({ url: server.url });
    await clinic.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Bench Clinic', country: 'CH', roles: ['clinic'] });
    const research = await startNode('research');
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Bench Research Institute', country: 'DE', roles: ['research'] });
    for (const node of [research, clinic]) await node.api.network.refresh({});
    const researcher = (await research.api.network.status({})).state!.node;

    const release: Release = await releaseDataset(await applySafeHarbor(population(60), { profile: 'safe-harbor', releaseDate: '2026-12-05' }), { k: 5, l: 2 });
    const patients = [...release.pseudonymMap.values()];
    const sizes = instancePlan(targetBytes, instanceBytes);
    const purchaseId = `0x${randomBytes(16).toString('hex')}`;
    const deliveryId = randomBytes(16).toString('hex');
    const staging = deliveryStageApi(clinic.api);
    log(`  ${(targetBytes / MIB).toFixed(0)} MiB of DICOM as ${sizes.length} instances of ≤ ${(instanceBytes / MIB).toFixed(0)} MiB; ${release.report.rows.out} released patients`);

    // The start: after setup, collected and settled (the child runs with --expose-gc).
    for (let i = 0; i < 2; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const start = current();
    sampler.start();
    const phases: Partial<Record<Phase, PhaseResult>> = {};
    let mark = performance.now();
    const began = mark;
    const finishPhase = (phase: Phase, bytes: number): void => {
      const now = performance.now();
      const seconds = (now - mark) / 1000;
      phases[phase] = { seconds, mibPerS: bytes / MIB / seconds, peak: sampler.takePhase() };
      log(`  ${phase}: ${seconds.toFixed(1)} s, ${(bytes / MIB / seconds).toFixed(1)} MiB/s, peak RSS ${(phases[phase].peak.rss / MIB).toFixed(0)} MiB (start ${(start.rss / MIB).toFixed(0)}), heap ${(phases[phase].peak.heapUsed / MIB).toFixed(0)} MiB, arrayBuffers ${(phases[phase].peak.arrayBuffers / MIB).toFixed(0)} MiB`);
      mark = now;
    };

    // ——— seal + stage (clinic mind → clinic body's disk) ———
    const sealed = await sealRelease({ api: staging, id: deliveryId }, release, purchaseId, [`0x${'0f'.repeat(32)}`], imaging(patients, sizes));
    cleanups.push(() => void sealed.key.fill(0));
    if (sealed.dicom.released !== sizes.length) throw new Error(`${sealed.dicom.released} of ${sizes.length} instances were released: ${JSON.stringify(sealed.dicom.excluded)}`);
    finishPhase('seal_stage', sealed.size);

    // ——— upload (clinic body → server) ———
    const status = await uploadPackage(staging, { recipient: researcher, purchaseId, sealed });
    if (status.state !== 'complete' || status.size !== sealed.size || status.sha256 !== sealed.summary.ciphertextSha256) throw new Error(`The delivery is not the sealed package: ${JSON.stringify(status)}`);
    finishPhase('upload', sealed.size);

    // ——— download + keep (server → research body's disk → research mind) ———
    const chunks = Math.ceil(sealed.size / DELIVERY_IPC_CHUNK_SIZE);
    const received = createHash('sha256');
    for (let index = 0; index < chunks; index++) received.update(fromBase64Url((await research.api.network.deliveryRead({ id: deliveryId, index, keep: true })).data));
    if (received.digest('hex') !== sealed.summary.ciphertextSha256) throw new Error('What the research node received does not hash to the sealed package.');
    finishPhase('download_keep', sealed.size);

    // ——— open (kept chunks → openPackage, every check) ———
    const delivery = { deliveryId, size: sealed.size, ciphertextSha256: sealed.summary.ciphertextSha256, commitment: sealed.summary.keyCommitment } as unknown as DatasetDeliveredPayload;
    const feature = new PurchasedDatasetsFeature(Date.now, () => null);
    const readPackage = (feature as unknown as { readPackage: ReadPackage }).readPackage.bind(feature);
    const port = { api: research.api, isCurrent: () => true, appendEvent: async () => undefined, requestSync: () => undefined };
    const key = new Uint8Array(sealed.key);
    const read = await readPackage(port, delivery, key, () => undefined);
    if ((await manifestSha256(read.manifest)) !== sealed.summary.manifestSha256) throw new Error('The opened manifest is not the sealed one.');
    finishPhase('open', sealed.size);

    // ——— save (kept chunks → openPackage → the research body's datasetSave* → a folder) ———
    const opened = { key: Buffer.from(sealed.key).toString('hex') };
    Object.assign(feature, { view: () => Promise.resolve({ opened, delivery }) });
    feature.open(port as never);
    const folder = path.join(root, 'saved');
    const saved = await feature.save(purchaseId, folder);
    const expectedBytes = read.manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    // The manifest lists every file but itself; the save writes it too.
    if (saved.files !== read.manifest.files.length + 1 || saved.bytes < expectedBytes) throw new Error(`Saved ${saved.files} files, ${saved.bytes} bytes; the manifest lists ${read.manifest.files.length} files, ${expectedBytes} bytes.`);
    finishPhase('save', sealed.size);
    const totalSeconds = (performance.now() - began) / 1000;
    sampler.stop();
    const peak = sampler.overall;
    await rm(folder, { recursive: true, force: true });

    log('  baseline: raw AES-256-GCM of the same synthetic bytes');
    const baselineMibPerS = await rawAesGcm(sizes);
    const serverMemory = await server.finish();
    log(`  server process: RSS ${(serverMemory.startRss / MIB).toFixed(0)} MiB after start, peak ${(serverMemory.peakRss / MIB).toFixed(0)} MiB`);
    return {
      targetBytes,
      sealedBytes: sealed.size,
      instances: sizes.length,
      instanceBytes,
      files: saved.files,
      savedBytes: saved.bytes,
      phases: phases as Record<Phase, PhaseResult>,
      totalSeconds,
      start,
      peak,
      maxRss: process.resourceUsage().maxRSS * 1024,
      samples: sampler.count,
      baselineMibPerS,
      server: serverMemory,
    };
  } finally {
    sampler.stop();
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`  cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}
