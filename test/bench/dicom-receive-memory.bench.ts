import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool } from '../support/external-tool';
import { type BenchModule, type FigureInput } from './bench-report';
import { send, startReceiver } from './dicom-store.bench';

/**
 * Issue 12: "Peak RSS while receiving a 1 GB study over 8 associations: flat, not proportional to
 * the study." The receiver runs in its own process as the body builds it (the dicom-store bench's
 * test/support/dicom-receiver-child.ts: sealer, object store, journal, duplicate index); dcmtk's
 * `storescu` sends over 8 associations at once. Its resident set is sampled from /proc every
 * 50 ms while it receives:
 *   - the baseline: a 256 MiB study (8 multi-frame instances of 32 MiB, one per association);
 *   - the figure: a 1 GiB study (32 of the same size, four per association), in the same process
 *     right after.
 * Flat means the 1 GiB study's peak stays near the 256 MiB study's: the target is at most 1.25×
 * it (a receiver that held studies, or instances, whole would need about 4× for four times the
 * bytes). Linux only (/proc).
 *
 *   HDMS_BENCH_DICOM_MEMORY_INSTANCE_MIB (default 32): the size of each instance
 */
const INSTANCE_MIB = Number(process.env['HDMS_BENCH_DICOM_MEMORY_INSTANCE_MIB'] ?? 32);
const ASSOCIATIONS = 8;
const SMALL_STUDY = 8;
const LARGE_STUDY = 32;

async function rssMiB(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Samples the process's RSS until `until` settles: the peak, and the samples' count. */
async function peakWhile<T>(pid: number, until: Promise<T>): Promise<{ result: T; peakMiB: number; samples: number }> {
  let peak = 0;
  let samples = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      peak = Math.max(peak, (await rssMiB(pid)).rss);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    return { result: await until, peakMiB: peak, samples };
  } finally {
    done = true;
    await sampling;
    peak = Math.max(peak, (await rssMiB(pid)).rss);
  }
}

/** `count` multi-frame instances of INSTANCE_MIB each (512×512×16-bit frames), with fresh UIDs. */
async function study(dir: string, name: string, count: number): Promise<string[]> {
  const frames = Math.max(1, Math.round((INSTANCE_MIB * 1024 * 1024) / (512 * 512 * 2)));
  const pixels = Buffer.alloc(frames * 512 * 512 * 2);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE(((i >>> 1) * 31) % 4096, i);
  const files: string[] = [];
  const studyUid = `1.2.826.0.1.3680043.10.999.11.${name === 'small' ? 1 : 2}.${Date.now() % 1_000_000}`;
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${name}-${i}.dcm`);
    const elements = instanceElements({ sopInstanceUid: `${studyUid}.${i + 1}`, patientId: 'BENCH-MEM', patientName: 'Bench^Memory', studyInstanceUid: studyUid, seriesInstanceUid: `${studyUid}.0`, pixels, rows: 512, columns: 512, modality: 'XA' });
    elements.push([0x00280008, 'IS', String(frames)]);
    await writePart10(file, elements);
    files.push(file);
  }
  return files;
}

const bench: BenchModule = {
  title: `DICOM receiver memory: peak RSS receiving a 1 GiB study over ${ASSOCIATIONS} associations vs a 256 MiB one (instances of ${INSTANCE_MIB} MiB)`,
  async run(log) {
    if (process.platform !== 'linux') throw new Error('This benchmark reads /proc (Linux).');
    if (!(await hasTool('storescu'))) throw new Error('storescu is not installed (dcmtk).');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-bench-dicom-memory-'));
    try {
      const receiver = await startReceiver(path.join(dir, 'node'));
      try {
        const idle = await rssMiB(receiver.pid);
        const small = await study(dir, 'small', SMALL_STUDY);
        const smallRun = await peakWhile(receiver.pid, send(receiver.port, 'HDMS', small, ASSOCIATIONS));
        for (const file of small) await rm(file);
        const large = await study(dir, 'large', LARGE_STUDY);
        const largeRun = await peakWhile(receiver.pid, send(receiver.port, 'HDMS', large, ASSOCIATIONS));
        for (const file of large) await rm(file);
        const after = await rssMiB(receiver.pid);
        const studyMiB = (count: number) => count * INSTANCE_MIB;
        log(
          `dicom memory: idle RSS ${idle.rss.toFixed(0)} MiB; ${studyMiB(SMALL_STUDY)} MiB study: peak ${smallRun.peakMiB.toFixed(0)} MiB (${smallRun.result.perSecond.toFixed(1)} instances/s, ${smallRun.samples} samples); ` +
            `${studyMiB(LARGE_STUDY)} MiB study: peak ${largeRun.peakMiB.toFixed(0)} MiB (${largeRun.result.perSecond.toFixed(1)} instances/s, ${largeRun.samples} samples); VmHWM ${after.hwm.toFixed(0)} MiB; load average ${os.loadavg()[0]!.toFixed(1)}`,
        );
        const figure: FigureInput = {
          figure: `dicom_receive_${studyMiB(LARGE_STUDY)}mib_study_${ASSOCIATIONS}_associations_peak_rss_mib`,
          value: largeRun.peakMiB,
          runs: 1,
          target: { max: 1.25 * smallRun.peakMiB },
          baseline: { name: `peak RSS of the same receiver process receiving a ${studyMiB(SMALL_STUDY)} MiB study (a quarter of the bytes) over ${ASSOCIATIONS} associations, just before`, value: smallRun.peakMiB },
          unit: 'MiB',
          notes: `instances of ${INSTANCE_MIB} MiB (512×512×16-bit frames, explicit VR little endian) from storescu; RSS sampled from /proc every 50 ms; idle ${idle.rss.toFixed(0)} MiB; target: flat = at most 1.25× the smaller study's peak`,
        };
        return [figure];
      } finally {
        await receiver.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
