import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/repo-paths';

/**
 * The benchmark protocol of the design (§7): each figure is printed as one JSON line on stdout
 * and written to `bench-results/<figure>.json`, with a baseline measured in the same run and the
 * ratio to it. Benchmarks report; they never fail a build on a number.
 */
export interface Target {
  /** The figure must be at most this (times, latencies). */
  readonly max?: number;
  /** The figure must be at least this (throughputs, ratios). */
  readonly min?: number;
}

export interface Baseline {
  /** What was measured as the yardstick, in words: a peer program or a physical limit. */
  readonly name: string;
  readonly value: number;
  readonly p95?: number;
}

export interface FigureInput {
  /** snake_case with the unit last, e.g. `shell_cold_start_to_first_run_ms`. */
  readonly figure: string;
  /** The headline value (the median for repeated timings). */
  readonly value: number;
  readonly p95?: number;
  /** Which figure the target is about: the headline value (default) or the p95 (e.g. "p95 ≤ 200 ms"). */
  readonly targetOn?: 'value' | 'p95';
  readonly runs: number;
  readonly target: Target;
  readonly baseline: Baseline;
  readonly unit: string;
  /** Raw samples, kept in the JSON file only. */
  readonly samples?: readonly number[];
  readonly baselineSamples?: readonly number[];
  readonly notes?: string;
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export interface FigureReport {
  readonly figure: string;
  readonly value: number;
  readonly p95?: number;
  readonly runs: number;
  readonly target: Target;
  readonly baseline: Baseline;
  readonly ratio: number;
  readonly meetsTarget: boolean;
  readonly unit: string;
  readonly machine: Machine;
}

export const BENCH_RESULTS_DIR = path.join(REPO_ROOT, 'bench-results');

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function meetsTarget(value: number, target: Target): boolean {
  return (target.max === undefined || value <= target.max) && (target.min === undefined || value >= target.min);
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function buildReport(input: FigureInput): FigureReport {
  if (!Number.isFinite(input.value) || !Number.isFinite(input.baseline.value) || input.baseline.value <= 0) {
    throw new Error(`Figure ${input.figure}: value and baseline must be finite, the baseline positive.`);
  }
  return {
    figure: input.figure,
    value: round(input.value),
    ...(input.p95 === undefined ? {} : { p95: round(input.p95) }),
    runs: input.runs,
    target: input.target,
    baseline: {
      name: input.baseline.name,
      value: round(input.baseline.value),
      ...(input.baseline.p95 === undefined ? {} : { p95: round(input.baseline.p95) }),
    },
    ratio: round(input.value / input.baseline.value, 3),
    meetsTarget: meetsTarget(input.targetOn === 'p95' ? (input.p95 ?? Number.NaN) : input.value, input.target),
    unit: input.unit,
    machine: machine(),
  };
}

/** Prints the figure's JSON line and writes `bench-results/<figure>.json` (with raw samples). */
export async function reportFigure(input: FigureInput, outDir = BENCH_RESULTS_DIR): Promise<FigureReport> {
  const report = buildReport(input);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await mkdir(outDir, { recursive: true });
  const file = {
    ...report,
    measuredAt: new Date().toISOString(),
    ...(input.samples === undefined ? {} : { samples: input.samples.map((v) => round(v)) }),
    ...(input.baselineSamples === undefined ? {} : { baselineSamples: input.baselineSamples.map((v) => round(v)) }),
    ...(input.notes === undefined ? {} : { notes: input.notes }),
  };
  await writeFile(path.join(outDir, `${report.figure}.json`), `${JSON.stringify(file, null, 2)}\n`);
  return report;
}

/** What a `*.bench.ts` module exports: `run` measures and returns its figures; the runner reports them. */
export interface BenchModule {
  readonly title: string;
  run(log: (line: string) => void): Promise<readonly FigureInput[]>;
}
