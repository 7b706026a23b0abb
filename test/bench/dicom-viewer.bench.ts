import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ctSlice, imageElements, part10, TS } from '../renderer/features/imaging/viewer/viewer-fixtures';
import { launchBrowser } from '../support/chromium';
import { cpuByKind, describeCpu } from '../support/process-cpu';
import { goToArea, newShellPage, openFirstRun, UI_TIMEOUT_MS } from '../support/shell-page';
import { startShell, type ShellProcess } from '../support/shell-process';
import { createVaultThroughUi } from '../support/vault-ui';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';

/**
 * Issue 12's viewer figures, in the real app (browser shell, Chromium, a vault made in the UI):
 *
 * - first image of a 512×512 CT on screen after the click: from the click on the study in the
 *   Imaging list to the canvas having drawn the first slice (the study opened and journaled as an
 *   access, the instance read from the body, decrypted, parsed and decoded in the worker, presented
 *   and drawn), measured in the page with performance.now(). Baseline, same run, same page: the
 *   same for a study of one 64×64 slice (what the page costs around the image).
 * - stack scrolling through a 300-slice series: from the first image, ArrowDown is pressed each
 *   time the previous slice is drawn until the last one is; images/s over the 299 steps. Started
 *   at once after the first image (the prefetch racing the scroll: what a user sees who scrolls
 *   straight away). Baseline, same run: the same scroll back up once every slice is decoded in
 *   memory (the drawing path alone).
 *
 * - first frame of a multi-frame over 64 MiB (40 frames of 1024×1024, 16-bit: 80 MiB), which the
 *   viewer reads in ranges (ranged-instance.ts): click → first frame drawn, as for the CT. Baseline,
 *   same run: the 512×512 CT's first image (an instance the mind reads whole). Logged beside it:
 *   scrolling through its frames straight after the first one.
 *
 * - first frame of a multi-frame just under 64 MiB (30 frames of 1024×1024, 16-bit: 60 MiB, as the
 *   63 MB cine of T1 F1): until 2026-12 read and decrypted whole before its first frame (9–11 s
 *   for a user); now read in ranges as the one over 64 MiB is. Baseline, same run: the CT's first image.
 *
 * The 300 slices (16-bit signed, 12 stored, explicit VR little endian, ≈ 513 KiB each) and the
 * multi-frames are imported through the folder picker first.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const SLICES = Number(process.env['HDMS_BENCH_VIEWER_SLICES'] ?? 300);
const BIG = '1.2.826.0.1.3680043.10.996.1';
const SMALL = '1.2.826.0.1.3680043.10.996.2';
const LARGE = '1.2.826.0.1.3680043.10.996.3';
const LARGE_FRAMES = Number(process.env['HDMS_BENCH_VIEWER_LARGE_FRAMES'] ?? 40);
const MEDIUM = '1.2.826.0.1.3680043.10.996.4';
/** 60 MiB of frames: under the 64 MiB the mind once read whole. */
const MEDIUM_FRAMES = 30;
const PAUSE_BEFORE_SCROLL_MS = 5000;

/** A 1024×1024 16-bit multi-frame (12 bits stored): a diagonal ramp that moves with the frame. */
function largeMultiFrame(frames = LARGE_FRAMES, uid = LARGE, description = 'BENCH XA LARGE'): Buffer {
  const size = 1024;
  const pixels = Buffer.alloc(frames * size * size * 2);
  for (let frame = 0; frame < frames; frame++) {
    const row = new Uint16Array(size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) row[x] = (x + y + frame * 16) % 4096;
      pixels.set(new Uint8Array(row.buffer), (frame * size + y) * size * 2);
    }
  }
  const elements = imageElements({ sopInstanceUid: `${uid}.1.1`, studyInstanceUid: uid, seriesInstanceUid: `${uid}.1`, studyDescription: description, patientId: 'MRN-BENCH-VIEW', patientName: 'Bench^Viewer', modality: 'XA', rows: size, columns: size, bitsAllocated: 16, bitsStored: 12, frames, pixelData: pixels });
  return part10(elements, TS.explicitLittle);
}

async function writeSeries(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'CT'), { recursive: true });
  for (let i = 1; i <= SLICES; i++) {
    await writeFile(
      path.join(dir, 'CT', `IM${String(i).padStart(5, '0')}`),
      ctSlice({ size: 512, slice: i, transferSyntax: TS.explicitLittle, sopInstanceUid: `${BIG}.1.${i}`, instanceNumber: i, studyInstanceUid: BIG, seriesInstanceUid: `${BIG}.1`, studyDescription: 'BENCH CT 512', patientId: 'MRN-BENCH-VIEW', patientName: 'Bench^Viewer' }),
    );
  }
  await writeFile(path.join(dir, 'LARGE'), largeMultiFrame());
  await writeFile(path.join(dir, 'MEDIUM'), largeMultiFrame(MEDIUM_FRAMES, MEDIUM, 'BENCH XA MEDIUM'));
  await writeFile(path.join(dir, 'SMALL'), ctSlice({ size: 64, transferSyntax: TS.explicitLittle, sopInstanceUid: `${SMALL}.1.1`, studyInstanceUid: SMALL, seriesInstanceUid: `${SMALL}.1`, studyDescription: 'BENCH CT 64', patientId: 'MRN-BENCH-VIEW', patientName: 'Bench^Viewer' }));
}

/** In the page: click the study's link, resolve with ms until the canvas drew slice 0. */
async function openTimed(page: Page, description: string): Promise<number> {
  await page.evaluate(() => (window.location.hash = '#/imaging'));
  const link = page.getByRole('link', { name: description, exact: true });
  await link.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return page.evaluate<number>(`new Promise((resolve, reject) => {
    const link = [...document.querySelectorAll('a')].find((a) => a.textContent === ${JSON.stringify(description)});
    const started = performance.now();
    const deadline = started + 60000;
    const check = () => {
      const canvas = document.querySelector('canvas.viewer-canvas');
      if (canvas !== null && canvas.dataset.shown === '0' && Number(canvas.dataset.renders) > 0) {
        resolve(performance.now() - started);
        return;
      }
      const alert = document.querySelector('[role=alert]');
      if (alert !== null) reject(new Error('The viewer showed an error'));
      else if (performance.now() > deadline) reject(new Error('The first image did not appear.'));
      else requestAnimationFrame(check);
    };
    link.click();
    requestAnimationFrame(check);
  })`);
}

/** In the page: press `key` on the canvas each time the previous step is drawn, `steps` times; ms in all. */
async function scrollTimed(page: Page, key: string, steps: number, from: number, direction: 1 | -1): Promise<number> {
  return page.evaluate<number>(`new Promise((resolve, reject) => {
    const canvas = document.querySelector('canvas.viewer-canvas');
    const started = performance.now();
    const deadline = started + 600000;
    let target = ${from} + ${direction};
    let done = 0;
    const press = () => canvas.dispatchEvent(new KeyboardEvent('keydown', { key: ${JSON.stringify(key)}, bubbles: true }));
    const check = () => {
      if (canvas.dataset.shown === String(target)) {
        done++;
        if (done === ${steps}) { resolve(performance.now() - started); return; }
        target += ${direction};
        press();
      }
      if (performance.now() > deadline) reject(new Error('The scroll stalled at ' + canvas.dataset.shown));
      else requestAnimationFrame(check);
    };
    press();
    requestAnimationFrame(check);
  })`);
}

/** In the page: the viewer's own timings (performance.measure, no identifiers) since the last call, by name: count and median ms. */
async function viewerTimings(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const by = new Map();
    for (const entry of performance.getEntriesByType('measure')) {
      if (!entry.name.startsWith('hdms-viewer:')) continue;
      const list = by.get(entry.name) ?? [];
      list.push(entry.duration);
      by.set(entry.name, list);
    }
    performance.clearMeasures();
    return [...by].map(([name, list]) => {
      list.sort((a, b) => a - b);
      return name.slice(12) + ' ' + list.length + '× median ' + list[Math.floor(list.length / 2)].toFixed(1) + ' ms';
    }).join(', ');
  })()`);
}

const bench: BenchModule = {
  title: 'DICOM viewer: first 512×512 CT image and stack scrolling (Chromium, browser shell)',
  async run(log) {
    const browser = await launchBrowser();
    let shell: ShellProcess | null = null;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-viewer-bench-'));
    try {
      await writeSeries(dir);
      shell = await startShell({ logLevel: 'warn' });
      const { page } = await newShellPage(browser, { viewport: { width: 1280, height: 900 } });
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await goToArea(page, 'Imaging');
      const imported = performance.now();
      await page.getByLabel('Folder or CD').setInputFiles(dir);
      await page.getByRole('button', { name: 'Import DICOM files' }).click();
      await page.getByRole('table', { name: 'Import results' }).waitFor({ state: 'visible', timeout: 15 * 60_000 });
      const row = page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'BENCH CT 512' });
      await row.filter({ hasText: `${SLICES} instances` }).waitFor({ state: 'visible', timeout: 15 * 60_000 });
      await page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'BENCH XA LARGE' }).waitFor({ state: 'visible', timeout: 15 * 60_000 });
      await page.getByRole('table', { name: 'Studies' }).locator('tbody tr', { hasText: 'BENCH XA MEDIUM' }).waitFor({ state: 'visible', timeout: 15 * 60_000 });
      log(`  ${SLICES + 3} instances imported and indexed in ${((performance.now() - imported) / 1000).toFixed(1)} s`);

      // Warm-up: the first opening loads the worker's script and compiles what later ones reuse.
      const coldest = await openTimed(page, 'BENCH CT 512');
      await openTimed(page, 'BENCH CT 64');
      log(`  warm-up: first opening ever ${coldest.toFixed(0)} ms`);
      const first: number[] = [];
      const small: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        first.push(await openTimed(page, 'BENCH CT 512'));
        small.push(await openTimed(page, 'BENCH CT 64'));
        log(`  run ${run + 1}: 512×512 CT ${first.at(-1)!.toFixed(0)} ms, 64×64 ${small.at(-1)!.toFixed(0)} ms`);
      }
      log(`  where the openings went: ${await viewerTimings(page)}`);

      // The multi-frame over 64 MiB, read in ranges.
      await openTimed(page, 'BENCH XA LARGE');
      const large: number[] = [];
      const framesPerSecond: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        large.push(await openTimed(page, 'BENCH XA LARGE'));
        const through = await scrollTimed(page, 'ArrowDown', LARGE_FRAMES - 1, 0, 1);
        framesPerSecond.push(((LARGE_FRAMES - 1) * 1000) / through);
        log(`  run ${run + 1}: ${LARGE_FRAMES}-frame 1024×1024 multi-frame (${LARGE_FRAMES * 2} MiB, read in ranges): first frame ${large.at(-1)!.toFixed(0)} ms, then its frames at ${framesPerSecond.at(-1)!.toFixed(1)} frames/s`);
      }

      // The multi-frame just under 64 MiB (T1 F1).
      await openTimed(page, 'BENCH XA MEDIUM');
      const medium: number[] = [];
      const mediumFramesPerSecond: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        medium.push(await openTimed(page, 'BENCH XA MEDIUM'));
        await viewerTimings(page);
        const cpuBefore = cpuByKind(shell.pid, 'renderer');
        const through = await scrollTimed(page, 'ArrowDown', MEDIUM_FRAMES - 1, 0, 1);
        const cpu = describeCpu(cpuBefore, cpuByKind(shell.pid, 'renderer'), MEDIUM_FRAMES - 1);
        mediumFramesPerSecond.push(((MEDIUM_FRAMES - 1) * 1000) / through);
        log(`  run ${run + 1}: ${MEDIUM_FRAMES}-frame 1024×1024 multi-frame (${MEDIUM_FRAMES * 2} MiB): first frame ${medium.at(-1)!.toFixed(0)} ms, then its frames at ${mediumFramesPerSecond.at(-1)!.toFixed(1)} frames/s`);
        // Where that scroll went: the page's timings (a sealed range read, a frame asked of the worker) and CPU per frame by process and thread (Linux).
        log(`    its timings: ${await viewerTimings(page)}; CPU per frame: ${cpu}; load ${os.loadavg()[0]!.toFixed(1)}`);
      }
      // The same, scrolled after a reader's pause on the first frame (H1b: the rest of the instance is read in the background meanwhile).
      const pausedFramesPerSecond: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        await openTimed(page, 'BENCH XA MEDIUM');
        await page.waitForTimeout(PAUSE_BEFORE_SCROLL_MS);
        const through = await scrollTimed(page, 'ArrowDown', MEDIUM_FRAMES - 1, 0, 1);
        pausedFramesPerSecond.push(((MEDIUM_FRAMES - 1) * 1000) / through);
        log(`  run ${run + 1}: the ${MEDIUM_FRAMES * 2} MiB multi-frame scrolled ${PAUSE_BEFORE_SCROLL_MS / 1000} s after its first frame showed: ${pausedFramesPerSecond.at(-1)!.toFixed(1)} frames/s`);
      }

      const cold: number[] = [];
      const warm: number[] = [];
      const scrollRuns = Math.max(1, Math.min(RUNS, Number(process.env['HDMS_BENCH_VIEWER_SCROLL_RUNS'] ?? 2)));
      for (let run = 0; run < scrollRuns; run++) {
        await openTimed(page, 'BENCH CT 512');
        await viewerTimings(page);
        // HDMS_BENCH_VIEWER_PROFILE=<dir>: a CPU profile of the page's main thread during the first scroll (DevTools' format).
        const profileDir = run === 0 ? process.env['HDMS_BENCH_VIEWER_PROFILE'] : undefined;
        const cdp = profileDir === undefined ? null : await page.context().newCDPSession(page);
        await cdp?.send('Profiler.enable');
        await cdp?.send('Profiler.start');
        // HDMS_BENCH_VIEWER_TRACE=<file>: a Chromium trace (every thread of the page's renderer) of the first scroll.
        const traceFile = run === 0 ? process.env['HDMS_BENCH_VIEWER_TRACE'] : undefined;
        if (traceFile !== undefined) {
          await browser.startTracing(page, { path: traceFile, screenshots: false, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'toplevel', 'ipc', 'mojom', 'blink', 'cc', 'gpu', 'renderer.scheduler'] });
        }
        const cpuBefore = cpuByKind(shell.pid, process.env['HDMS_BENCH_CPU_THREADS'] ?? 'renderer');
        const down = await scrollTimed(page, 'ArrowDown', SLICES - 1, 0, 1);
        log(`  CPU per slice during that scroll (Linux): ${describeCpu(cpuBefore, cpuByKind(shell.pid, process.env['HDMS_BENCH_CPU_THREADS'] ?? 'renderer'), SLICES - 1)}`);
        if (traceFile !== undefined) await browser.stopTracing();
        if (cdp !== null && profileDir !== undefined) {
          const { profile } = await cdp.send('Profiler.stop');
          await writeFile(path.join(profileDir, 'viewer-scroll.cpuprofile'), JSON.stringify(profile));
          await cdp.detach();
        }
        cold.push(((SLICES - 1) * 1000) / down);
        log(`  where the scroll went: ${await viewerTimings(page)}`);
        const up = await scrollTimed(page, 'ArrowUp', SLICES - 1, SLICES - 1, -1);
        warm.push(((SLICES - 1) * 1000) / up);
        log(`  scroll run ${run + 1}: straight after opening ${cold.at(-1)!.toFixed(1)} images/s, back up with every slice decoded ${warm.at(-1)!.toFixed(1)} images/s`);
      }

      const figures: FigureInput[] = [
        {
          figure: 'viewer_first_frame_large_multiframe_ms',
          value: median(large),
          p95: percentile(large, 95),
          runs: RUNS,
          target: { max: 300 },
          baseline: { name: 'the first image of the 512×512 CT (an instance read whole), same run', value: median(first), p95: percentile(first, 95) },
          unit: 'ms',
          samples: large,
          baselineSamples: first,
          notes: `a ${LARGE_FRAMES}-frame 1024×1024 16-bit multi-frame of ${LARGE_FRAMES * 2} MiB, over the 64 MiB the mind reads whole: the worker reads its first 4 MiB and the frame's chunks only; click → first frame drawn; target: the CT's 300 ms; then scrolling its frames at ${median(framesPerSecond).toFixed(1)} frames/s (median); load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
        },
        {
          figure: 'viewer_first_frame_60mib_multiframe_ms',
          value: median(medium),
          p95: percentile(medium, 95),
          runs: RUNS,
          target: { max: 2000 },
          baseline: { name: 'the first image of the 512×512 CT (an instance read whole), same run', value: median(first), p95: percentile(first, 95) },
          unit: 'ms',
          samples: medium,
          baselineSamples: first,
          notes: `a ${MEDIUM_FRAMES}-frame 1024×1024 16-bit multi-frame of ${MEDIUM_FRAMES * 2} MiB, under the 64 MiB the mind may read whole but over the 4 MiB past which an instance is read in ranges (T1 F1: read whole, a user's first frame took 9–11 s); click → first frame drawn; target: the 73 MB one's 0.5–1.7 s; then its frames at ${median(mediumFramesPerSecond).toFixed(1)} frames/s (median) straight after, ${median(pausedFramesPerSecond).toFixed(1)} frames/s after a ${PAUSE_BEFORE_SCROLL_MS / 1000} s pause; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
        },
        {
          figure: 'viewer_first_ct_512_image_ms',
          value: median(first),
          p95: percentile(first, 95),
          runs: RUNS,
          target: { max: 300 },
          baseline: { name: 'the same opening of a study of one 64×64 slice, same run', value: median(small), p95: percentile(small, 95) },
          unit: 'ms',
          samples: first,
          baselineSamples: small,
          notes: `click on the study → first slice drawn (access journaled, object read from the body over the shell's WebSocket, decrypted, parsed and decoded in the worker, presented, drawn); the first opening of the session (worker script loaded) took ${coldest.toFixed(0)} ms and is not in the samples; Chromium headless, 1280 × 900; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
        },
        {
          figure: 'viewer_stack_scroll_images_per_s',
          value: median(cold),
          runs: scrollRuns,
          target: { min: 30 },
          baseline: { name: 'scrolling back up the same series with every slice decoded in memory (drawing alone), same run', value: median(warm) },
          unit: 'images/s',
          samples: cold,
          baselineSamples: warm,
          notes: `${SLICES} slices of 512×512, 16-bit; ArrowDown pressed when the previous slice was drawn, starting as soon as the first image showed (the prefetch, 3 at a time, racing the scroll); load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs at the end`,
        },
      ];
      return figures;
    } finally {
      await shell?.cleanup();
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
