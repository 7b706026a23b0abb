// `npm run bench [-- name-filter…]`: runs every test/bench/*.bench.ts, one after the other, and prints
// one JSON line per figure on stdout (progress goes to stderr). See bench-report.ts for the protocol.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/repo-paths';
import { reportFigure, type BenchModule } from './bench-report';

const BENCH_DIR = path.join(REPO_ROOT, 'test', 'bench');

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const files = (await readdir(BENCH_DIR))
    .filter((name) => name.endsWith('.bench.ts'))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();
  if (files.length === 0) throw new Error(`No benchmark matches ${filters.join(', ') || '*.bench.ts'} in ${BENCH_DIR}.`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let failed = 0;
  for (const name of files) {
    const loaded = (await import(pathToFileURL(path.join(BENCH_DIR, name)).href)) as { default?: BenchModule } & Partial<BenchModule>;
    const bench: BenchModule | undefined = loaded.default?.run !== undefined ? loaded.default : (loaded as BenchModule);
    if (bench?.run === undefined) throw new Error(`${name} exports no run().`);
    log(`bench: ${name}: ${bench.title}`);
    const started = performance.now();
    try {
      for (const figure of await bench.run(log)) await reportFigure(figure);
    } catch (error) {
      failed++;
      log(`bench: ${name} failed: ${(error as Error).stack ?? String(error)}`);
    }
    log(`bench: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (failed > 0) {
    log(`bench: ${failed} benchmark module(s) failed`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
