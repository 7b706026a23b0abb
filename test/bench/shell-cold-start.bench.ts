import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/chromium';
import { REPO_ROOT } from '../support/repo-paths';
import { EXPLORE_BUTTON, FIRST_RUN_HEADING } from '../support/shell-page';
import { makeTempDir, removeDir, startShell } from '../support/shell-process';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * Cold start of the browser shell: from spawning `node out/main/shell.js` on a fresh data dir
 * until the first-run screen is interactive (heading visible, "Explore the app" enabled) in an
 * already-running Chromium. Baseline, same run, same Chromium: a bare node:http process serving a
 * static page with one button, until that button is visible. Runs alternate to spread noise.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 10);
const STEP_TIMEOUT_MS = 30_000;
const BASELINE_SERVER = path.join(REPO_ROOT, 'test', 'bench', 'baseline', 'static-page-server.mjs');

interface Sample {
  /** Spawn → first-run screen interactive (or baseline button visible). */
  readonly interactiveMs: number;
  /** Spawn → ready line on stdout. */
  readonly readyLineMs: number;
}

async function withFreshPage<T>(browser: Browser, body: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  try {
    return await body(await context.newPage());
  } finally {
    await context.close();
  }
}

async function measureShell(browser: Browser): Promise<Sample> {
  const dataDir = await makeTempDir('hdms-bench-');
  try {
    return await withFreshPage(browser, async (page) => {
      const started = performance.now();
      const shell = await startShell({ dataDir });
      let sample: Sample;
      try {
        const readyLineMs = performance.now() - started;
        await page.goto(shell.readyUrl, { waitUntil: 'commit' });
        await page.getByRole('button', { name: EXPLORE_BUTTON, disabled: false }).waitFor({ state: 'visible' });
        const interactiveMs = performance.now() - started;
        if (!(await page.getByRole('heading', { level: 1, name: FIRST_RUN_HEADING }).isVisible())) {
          throw new Error('The first-run heading is not visible next to its button.');
        }
        sample = { interactiveMs, readyLineMs };
      } finally {
        await shell.stop('SIGTERM');
      }
      const exit = await shell.exited;
      if (exit.code !== 0) throw new Error(`The shell exited with ${JSON.stringify(exit)}: ${shell.stderr()}`);
      return sample;
    });
  } finally {
    await removeDir(dataDir);
  }
}

async function measureBaseline(browser: Browser): Promise<Sample> {
  return withFreshPage(browser, async (page) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BASELINE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('The baseline server printed no ready line.')), STEP_TIMEOUT_MS);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const match = /ready at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match !== null) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', () => reject(new Error('The baseline server exited early.')));
      });
      const readyLineMs = performance.now() - started;
      await page.goto(url, { waitUntil: 'commit' });
      await page.getByRole('button', { name: 'Go', disabled: false }).waitFor({ state: 'visible' });
      return { interactiveMs: performance.now() - started, readyLineMs };
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
}

const bench: BenchModule = {
  title: `browser shell cold start to an interactive first-run screen (${RUNS} runs each, alternating with the baseline)`,
  async run(log) {
    const browser = await launchBrowser();
    try {
      // Warm-up (not recorded): Chromium's first pages, the OS file cache, @sparticuz/chromium's unpacking.
      await measureShell(browser);
      await measureBaseline(browser);
      const ours: Sample[] = [];
      const baseline: Sample[] = [];
      for (let run = 0; run < RUNS; run++) {
        const order = run % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
        for (const which of order) {
          if (which === 'ours') ours.push(await measureShell(browser));
          else baseline.push(await measureBaseline(browser));
        }
        log(
          `  run ${run + 1}/${RUNS}: shell ${ours.at(-1)!.interactiveMs.toFixed(0)} ms ` +
            `(ready line ${ours.at(-1)!.readyLineMs.toFixed(0)} ms), baseline ${baseline.at(-1)!.interactiveMs.toFixed(0)} ms`,
        );
      }
      const figure = (
        name: string,
        pick: (sample: Sample) => number,
        target: FigureInput['target'],
        baselineName: string,
      ): FigureInput => {
        const values = ours.map(pick);
        const baseValues = baseline.map(pick);
        return {
          figure: name,
          value: median(values),
          p95: percentile(values, 95),
          runs: RUNS,
          target,
          baseline: { name: baselineName, value: median(baseValues), p95: percentile(baseValues, 95) },
          unit: 'ms',
          samples: values,
          baselineSamples: baseValues,
        };
      };
      return [
        figure(
          'shell_cold_start_to_first_run_ms',
          (sample) => sample.interactiveMs,
          { max: 1500 },
          'bare node:http static page + same Chromium',
        ),
        figure('shell_spawn_to_ready_line_ms', (sample) => sample.readyLineMs, { max: 10_000 }, 'bare node:http server ready line'),
      ];
    } finally {
      await browser.close();
    }
  },
};

export default bench;
