import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/repo-paths';
import type { BenchModule, FigureInput } from './bench-report';
import { PHASES, type LargeDeliveryResult, type Phase } from './large-delivery-flow';

/**
 * A release of several GiB end to end (issue 15 item 5: "sizes of several GB stream, never held
 * whole in memory"), through the app's own modules (large-delivery-flow.ts says which): synthetic
 * multi-frame DICOM (instances of HDMS_BENCH_LARGE_INSTANCE_MIB, default 50 MiB, made one at a time
 * as the package reads them) sealed by the clinic's mind and staged by its body, uploaded to the
 * server's blob store, downloaded and kept by the research node's body, opened and checked by its
 * mind (key commitment, ciphertext SHA-256, manifest), and saved to a folder.
 *
 * Two sizes in one run, each in a fresh child process: HDMS_BENCH_LARGE_SMALL_MIB (default 256 MiB)
 * and HDMS_BENCH_LARGE_GIB (default 3 GiB) of DICOM. Figures (N = the large size in GiB):
 *
 * - `large_delivery_<N>gib_<phase>_mib_per_s` for seal_stage, upload, download_keep, open, save,
 *   and `…_end_to_end_mib_per_s` (sealed bytes over the five phases' time). Baseline, same run
 *   (the large child), same bytes: raw Web Crypto AES-256-GCM of the synthetic DICOM in 64 KiB
 *   pieces, one key, sequential, generation not timed: the least sealing costs.
 * - `large_delivery_<N>gib_peak_rss_above_start_mib`: the highest RSS sampled every 200 ms during
 *   the five phases, less the RSS after setup (collected, settled). Baseline: the same figure of
 *   the small run. Bounded memory means the two are alike: target at most the small run's + 128 MiB.
 *   The notes give both runs' peaks of heapUsed, external and arrayBuffers, and each phase's.
 *
 * Both nodes (bodies and minds) run in one child process per size, the server in another (its
 * RSS is in the notes), on 2 shared cores, under tsx; the child loads @noble/hashes as ESM, as the
 * app's bundle does (large-delivery-child.ts says why). Disk: about four copies of the package at once at most (staged, the
 * server's blob, kept, saved); every folder is removed at the end.
 */
const MIB = 1024 * 1024;
const LARGE_GIB = Number(process.env['HDMS_BENCH_LARGE_GIB'] ?? 3);
const SMALL_MIB = Number(process.env['HDMS_BENCH_LARGE_SMALL_MIB'] ?? 256);
const INSTANCE_MIB = Number(process.env['HDMS_BENCH_LARGE_INSTANCE_MIB'] ?? 50);
/** How much more the large run's peak may be than the small run's and still count as bounded. */
const BOUND_SLACK_MIB = 128;

function runChild(bytes: number, log: (line: string) => void): Promise<LargeDeliveryResult> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(REPO_ROOT, 'test', 'bench', 'large-delivery-child.ts'), String(bytes), String(Math.round(INSTANCE_MIB * MIB))], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    err += text;
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') reject(new Error(`The large-delivery child for ${bytes} bytes exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as LargeDeliveryResult);
    });
  });
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(0);

function describe(run: LargeDeliveryResult): string {
  const phases = PHASES.map((phase) => {
    const { seconds, mibPerS, peak } = run.phases[phase];
    return `${phase} ${seconds.toFixed(1)} s = ${mibPerS.toFixed(1)} MiB/s (peak RSS ${mib(peak.rss)}, heapUsed ${mib(peak.heapUsed)}, external ${mib(peak.external)}, arrayBuffers ${mib(peak.arrayBuffers)} MiB)`;
  }).join('; ');
  return `${mib(run.targetBytes)} MiB of DICOM in ${run.instances} instances → ${mib(run.sealedBytes)} MiB sealed (${run.sealedBytes} bytes), ${run.files} files saved (${run.savedBytes} bytes); start RSS ${mib(run.start.rss)} MiB (heapUsed ${mib(run.start.heapUsed)}, arrayBuffers ${mib(run.start.arrayBuffers)}); peak RSS ${mib(run.peak.rss)} MiB = ${mib(run.peak.rss - run.start.rss)} MiB above start (heapUsed ${mib(run.peak.heapUsed)}, external ${mib(run.peak.external)}, arrayBuffers ${mib(run.peak.arrayBuffers)} MiB); kernel maxRSS (setup included) ${mib(run.maxRss)} MiB; ${run.samples} samples; total ${run.totalSeconds.toFixed(0)} s; ${phases}; raw AES-256-GCM ${run.baselineMibPerS.toFixed(0)} MiB/s; the server's own process: RSS ${mib(run.server.startRss)} MiB after start, peak ${mib(run.server.peakRss)} MiB (${mib(run.server.peakRss - run.server.startRss)} MiB above), kernel maxRSS ${mib(run.server.maxRss)} MiB`;
}

const bench: BenchModule = {
  title: `large delivery: ${LARGE_GIB} GiB (and ${SMALL_MIB} MiB) of DICOM sealed, staged, uploaded, downloaded and kept, opened, saved: MiB/s per phase vs raw AES-256-GCM, peak RSS vs the small run's`,
  async run(log) {
    log(`  small run: ${SMALL_MIB} MiB`);
    const small = await runChild(Math.round(SMALL_MIB * MIB), log);
    log(`  large run: ${LARGE_GIB} GiB`);
    const large = await runChild(Math.round(LARGE_GIB * 1024 * MIB), log);
    const notes = `Large: ${describe(large)}. Small: ${describe(small)}. Both nodes (bodies and minds) in one child process per size, the server (PGlite) in another; 2 cores shared; tsx with @noble/hashes loaded as ESM; the server's member/IP request limits raised (the defaults allow 600 member requests a minute: 300 MiB of 512 KiB chunks).`;
    const scale = `${LARGE_GIB}gib`.replace('.', '_');
    const baseline = { name: 'raw Web Crypto AES-256-GCM of the same synthetic DICOM bytes, 64 KiB pieces, one key, sequential (large run)', value: large.baselineMibPerS };
    const endToEnd = large.sealedBytes / MIB / PHASES.reduce((sum, phase) => sum + large.phases[phase].seconds, 0);
    const throughput = (name: string, value: number): FigureInput => ({ figure: `large_delivery_${scale}_${name}_mib_per_s`, value, runs: 1, unit: 'MiB/s', target: {}, baseline, samples: [value], notes });
    const smallAbove = Math.max(1, (small.peak.rss - small.start.rss) / MIB);
    const largeAbove = (large.peak.rss - large.start.rss) / MIB;
    return [
      throughput('end_to_end', endToEnd),
      ...PHASES.map((phase: Phase) => throughput(phase, large.phases[phase].mibPerS)),
      {
        figure: `large_delivery_${scale}_peak_rss_above_start_mib`,
        value: largeAbove,
        runs: 1,
        unit: 'MiB',
        target: { max: smallAbove + BOUND_SLACK_MIB },
        baseline: { name: `the same figure for ${SMALL_MIB} MiB of DICOM, same run (a bounded memory is the same for both)`, value: smallAbove },
        samples: [largeAbove],
        notes,
      },
    ];
  },
};

export default bench;
