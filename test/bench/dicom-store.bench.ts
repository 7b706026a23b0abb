import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, runTool } from '../support/external-tool';
import { cpuByKind } from '../support/process-cpu';
import { REPO_ROOT } from '../support/repo-paths';
import { median, type BenchModule, type FigureInput } from './bench-report';

/**
 * C-STORE instances per second, dcmtk `storescu` as the modality (TCP_NODELAY is set on both
 * ends: storescu sets it by default, the receiver on every socket), into the HDMS Node receiver
 * (built as the body builds it, duplicate index included: each instance sealed by the body's
 * Sealer into the object store, Success after the journal's fdatasync) and, as the baseline in the
 * same run, into Debian's Orthanc receiving the same files (its default SQLite index and file
 * storage in a temporary folder). Each receiver runs in its own process (ours:
 * test/support/dicom-receiver-child.ts), so neither pays for this process spawning the senders. One
 * association (one storescu with every file) and eight (eight storescu at once, an eighth of the
 * files each). Target (issue 12): at least 2× Orthanc.
 *
 * 800 instances a run (100 per association at eight): each storescu spends some 35–40 ms of CPU
 * starting before its first instance, and with the earlier 160 (20 per association) the eight
 * start-ups were a large part of every run on two cores — storescu's CPU per instance fell from
 * 2.5–3 ms to 1.1–1.5 ms at 800 — so the figure measured senders starting, not receivers.
 *
 *   HDMS_BENCH_DICOM_INSTANCES (default 800): 512×512 16-bit CT-like instances (512 KiB each)
 *   HDMS_BENCH_RUNS (default 3)
 *   HDMS_BENCH_DICOM_CPU_PROF: a folder for the receiver's V8 CPU profile (node --cpu-prof)
 *   HDMS_BENCH_DICOM_ASSOCIATIONS (default "1,8"): which association counts to measure
 */
const INSTANCES = Number(process.env['HDMS_BENCH_DICOM_INSTANCES'] ?? 800);
const ASSOCIATIONS = (process.env['HDMS_BENCH_DICOM_ASSOCIATIONS'] ?? '1,8').split(',').map(Number);
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function makeFiles(dir: string, run: number): Promise<string[]> {
  const files: string[] = [];
  const pixels = Buffer.from(Uint16Array.from({ length: 512 * 512 }, (_, i) => (i * 31) % 4096).buffer);
  for (let i = 0; i < INSTANCES; i++) {
    const file = path.join(dir, `r${run}-${i}.dcm`);
    const uid = `1.2.826.0.1.3680043.10.999.9.${run}.${i + 1}`;
    await writePart10(file, instanceElements({ sopInstanceUid: uid, patientId: `BENCH${i % 20}`, patientName: `Bench^Patient${i % 20}`, studyInstanceUid: `1.2.826.0.1.3680043.10.999.9.${run}`, seriesInstanceUid: `1.2.826.0.1.3680043.10.999.9.${run}.0`, pixels, rows: 512, columns: 512 }));
    files.push(file);
  }
  return files;
}

/** "0m1.250s" (the format of sh's `times`) → ms. */
function timesMs(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match === null ? Number.NaN : (Number(match[1]) * 60 + Number(match[2])) * 1000;
}

/**
 * Sends `files` over `associations` storescu processes at once: instances per second, and the
 * senders' CPU time (user + system, from sh's `times` after each storescu) per instance. On a
 * 2-core machine the senders share the cores with the receiver, so their CPU bounds what any
 * receiver can reach.
 */
export async function send(port: number, calledAe: string, files: readonly string[], associations: number): Promise<{ perSecond: number; sendersCpuMs: number }> {
  const groups = Array.from({ length: associations }, (_, i) => files.filter((_, index) => index % associations === i));
  const started = performance.now();
  const runs = await Promise.all(
    groups.map((group, i) => runTool('sh', ['-c', 'storescu "$@"; code=$?; times >&2; exit $code', 'sh', '-aec', calledAe, '-aet', `BENCH${i}`, '127.0.0.1', String(port), ...group], { timeoutSeconds: 600 })),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const run of runs) if (run.code !== 0) throw new Error(`storescu failed: ${run.stderr.slice(0, 500)}`);
  let sendersCpuMs = 0;
  for (const run of runs) {
    // times prints the shell's user and system time, then its children's (storescu's).
    const [user = '', system = ''] = run.stderr.trim().split('\n').at(-1)!.trim().split(/\s+/);
    sendersCpuMs += timesMs(user) + timesMs(system);
  }
  return { perSecond: files.length / seconds, sendersCpuMs: sendersCpuMs / files.length };
}

export interface Receiver {
  readonly port: number;
  readonly pid: number;
  /** The receiver process's CPU time so far (user + system, every thread; and its system part) and its main thread's, in ms. */
  cpuMs(): Promise<{ readonly process: number; readonly system: number; readonly mainThread: number }>;
  close(): Promise<void>;
}

export async function startReceiver(dataDir: string): Promise<Receiver> {
  const profile = process.env['HDMS_BENCH_DICOM_CPU_PROF'];
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--import', 'tsx', path.join(REPO_ROOT, 'test', 'support', 'dicom-receiver-child.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: REPO_ROOT,
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`The receiver exited (${code}).`));
  });
  const next = (): Promise<string> => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  const listening = /^listening (\d+)$/.exec(await next());
  if (listening === null) throw new Error('The receiver did not start.');
  return {
    port: Number(listening[1]),
    pid: child.pid!,
    async cpuMs() {
      const answer = next();
      child.kill('SIGUSR2');
      const [, user, system, mainThread] = (await answer).split(' ');
      return { process: (Number(user) + Number(system)) / 1000, system: Number(system) / 1000, mainThread: Number(mainThread) };
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startOrthanc(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  await mkdir(dir, { recursive: true });
  const config = path.join(dir, 'orthanc.json');
  await writeFile(
    config,
    JSON.stringify({ Name: 'bench', StorageDirectory: path.join(dir, 'storage'), IndexDirectory: path.join(dir, 'index'), DicomAet: 'ORTHANC', DicomPort: port, HttpPort: await freePort(), RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomCheckCalledAet: true, Plugins: [] }),
  );
  const child = spawn('Orthanc', [config], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const run = await runTool('echoscu', ['-aec', 'ORTHANC', '127.0.0.1', String(port)], { timeoutSeconds: 5 });
    if (run.code === 0) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Orthanc did not start.');
}

const bench: BenchModule = {
  title: `DICOM C-STORE instances/s with storescu, 1 and 8 associations, HDMS Node vs Orthanc (${INSTANCES} instances of 512 KiB)`,
  async run(log) {
    for (const tool of ['storescu', 'echoscu', 'Orthanc']) if (!(await hasTool(tool))) throw new Error(`${tool} is not installed (dcmtk, orthanc).`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-bench-dicom-'));
    try {
      const server = await startReceiver(path.join(dir, 'node'));
      const orthanc = await startOrthanc(path.join(dir, 'orthanc')).catch(async (error: unknown) => {
        await server.close();
        throw error;
      });
      const figures: FigureInput[] = [];
      try {
        for (const associations of ASSOCIATIONS) {
          const ours: number[] = [];
          const theirs: number[] = [];
          for (let run = 0; run < RUNS; run++) {
            // Fresh SOP Instance UIDs each time, so neither side sees a resend.
            const oursFiles = await makeFiles(dir, associations * 100 + run * 2);
            const theirFiles = await makeFiles(dir, associations * 100 + run * 2 + 1);
            const orthancBefore = cpuByKind(orthanc.child.pid!).get('body') ?? Number.NaN;
            const theirSend = await send(orthanc.port, 'ORTHANC', theirFiles, associations);
            const orthancPerInstance = ((cpuByKind(orthanc.child.pid!).get('body') ?? Number.NaN) - orthancBefore) / theirFiles.length;
            theirs.push(theirSend.perSecond);
            const cpuBefore = await server.cpuMs();
            const ourSend = await send(server.port, 'HDMS', oursFiles, associations);
            ours.push(ourSend.perSecond);
            const cpuAfter = await server.cpuMs();
            const cpuPerInstance = (cpuAfter.process - cpuBefore.process) / oursFiles.length;
            const mainPerInstance = (cpuAfter.mainThread - cpuBefore.mainThread) / oursFiles.length;
            const systemPerInstance = (cpuAfter.system - cpuBefore.system) / oursFiles.length;
            for (const file of [...oursFiles, ...theirFiles]) await rm(file);
            log(`dicom: ${associations} association(s), run ${run + 1}: HDMS ${ours.at(-1)!.toFixed(1)}/s (receiver CPU ${cpuPerInstance.toFixed(1)} ms/instance of which system ${systemPerInstance.toFixed(1)}, main thread ${mainPerInstance.toFixed(1)} ms/instance; storescu CPU ${ourSend.sendersCpuMs.toFixed(1)} ms/instance), Orthanc ${theirs.at(-1)!.toFixed(1)}/s (its CPU ${orthancPerInstance.toFixed(1)} ms/instance; storescu CPU ${theirSend.sendersCpuMs.toFixed(1)} ms/instance); load average ${os.loadavg()[0]!.toFixed(1)}`);
          }
          figures.push({
            figure: `dicom_cstore_${associations}_association${associations === 1 ? '' : 's'}_instances_per_s`,
            value: median(ours),
            runs: RUNS,
            target: { min: 2 * median(theirs) },
            baseline: { name: `Debian Orthanc receiving the same ${INSTANCES} instances from storescu`, value: median(theirs) },
            unit: 'instances/s',
            samples: ours,
            baselineSamples: theirs,
            notes: `${INSTANCES} instances of 512×512×16 bit (512 KiB), explicit VR little endian; target ≥ 2× Orthanc`,
          });
        }
      } finally {
        orthanc.child.kill('SIGTERM');
        await server.close();
      }
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
