import net from 'node:net';
import type { Page } from 'playwright-core';
import { MderWriter } from '../../electron/intake/devices/mder';
import { encodeAbsoluteTime } from '../../electron/intake/devices/mder-values';
import { aarq, concat, scanApdu, sf, sfloatBytes, toHex } from '../electron/intake/devices/agent-apdus';
import { launchBrowser } from '../support/chromium';
import { tcpAgent } from '../support/device-agent';
import { goToArea, newShellPage, openFirstRun, UI_TIMEOUT_MS } from '../support/shell-page';
import { startShell, type ShellProcess } from '../support/shell-process';
import { createVaultThroughUi, searchPatients } from '../support/vault-ui';
import { median, percentile, type BenchModule, type FigureInput } from './bench-report';
import { ackOf, connectMllp } from './mllp-load';

/**
 * Issue 13: "chart render time for 10,000 points", in the real app: the browser shell with its
 * HL7 and device listeners, a vault created in Chromium, two patients over HL7, and two approved
 * blood-pressure monitors over the device manager's TCP transport whose sessions are assigned to
 * them in the Devices area. The first sends 3,334 measurements (systolic, diastolic and mean
 * arterial each: 10,002 points on the blood-pressure chart, and 3,334 on the pulse chart), the
 * second 10. The bench then opens each patient many times, alternating: the time from the hash
 * change to the blood-pressure chart drawn with all its points (its uPlot canvas in the DOM, the
 * next animation frame), measured in the page. It includes what the user waits for: the views
 * read and decrypted, the points built, uPlot's drawing and the readings tables beside the charts.
 *
 * Baseline, same run, same page: the same measurement for the patient with 10 measurements (the
 * page's fixed cost).
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const BIG = 3_334;
const SMALL = 10;
/** Measurements per scan report (22 bytes each in the 0x02BC fixed layout). */
const PER_REPORT = 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

async function sendHl7(port: number, mrn: string, family: string): Promise<void> {
  const sender = await connectMllp(port);
  try {
    const message = [`MSH|^~\\&|HIS|BENCH|HDMS|NODE|20260101080000||ADT^A01|${mrn}-ADT|P|2.5.1`, 'EVN|A01|20260101080000', `PID|1||${mrn}^^^BENCH^MR||${family}^Bench||19600101|M|||Benchweg 1^^Bern^^3000^CH`, 'PV1|1|O|Clinic'].join('\r');
    const ack = ackOf(await sender.send(Buffer.from(`${message}\r`, 'utf8')));
    if (ack.code !== 'AA') throw new Error(`Message refused: ${ack.code}`);
  } finally {
    await sender.close();
  }
}

/** Fixed scan reports of `count` blood-pressure measurements, one every 30 minutes from 1 Jan 2026 (local time, as agents send). */
function measurementReports(count: number): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (let first = 0; first < count; first += PER_REPORT) {
    const fixed = [];
    for (let i = first; i < Math.min(count, first + PER_REPORT); i++) {
      const at = new Date(2026, 0, 1, 0, 30 * i);
      const time = encodeAbsoluteTime({ year: at.getFullYear(), month: at.getMonth() + 1, day: at.getDate(), hour: at.getHours(), minute: at.getMinutes(), second: 0, hundredths: 0 });
      const sys = 105 + (i % 50);
      const compound = concat(new MderWriter().u16(3).u16(6).finish(), sfloatBytes(sf(sys), sf(sys - 40), sf(sys - 25)));
      fixed.push({ objHandle: 1, obsValData: concat(compound, time) }, { objHandle: 2, obsValData: concat(sfloatBytes(sf(55 + (i % 40))), time) });
    }
    reports.push(scanApdu(reports.length + 1, 'fixed', { dataReqId: 0xf000, scanReportNo: reports.length, persons: [{ personId: undefined, fixed }] }));
  }
  return reports;
}

/** A device associates, is approved, sends its measurements and its session is assigned to the patient with this MRN. */
async function deviceForPatient(page: Page, devicePort: number, index: number, measurements: number, mrn: string): Promise<void> {
  const systemId = Uint8Array.of(0x00, 0x1c, 0x05, 0xff, 0xfe, 0x00, 0x0b, index);
  const agent = await tcpAgent(devicePort);
  try {
    agent.send(aarq(0x02bc, { systemId }));
    if ((await agent.next(1)).type !== 'aare') throw new Error('not associated');
    await goToArea(page, 'Devices');
    await page.getByRole('button', { name: `Approve ${toHex(systemId)}` }).click({ timeout: UI_TIMEOUT_MS });
    await page.getByRole('heading', { name: 'Devices awaiting approval' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    const reports = measurementReports(measurements);
    for (const [i, report] of reports.entries()) {
      agent.send(report);
      const answer = await agent.next(2 + i);
      if (answer.type !== 'prst' || answer.data.invokeId !== i + 1) throw new Error(`report ${i + 1} was not answered`);
    }
    await page.getByRole('button', { name: 'Assign to a patient' }).click({ timeout: UI_TIMEOUT_MS });
    await page.getByLabel('Find the patient').fill(mrn);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Assign to / }).click({ timeout: 60_000 }); // the search may wait behind indexing
    await page.getByRole('button', { name: 'Assign to a patient' }).waitFor({ state: 'detached', timeout: 60_000 });
  } finally {
    agent.close();
  }
}

/** In the page: from the hash change to the blood-pressure chart drawn with `points` points; milliseconds. */
async function openTimed(page: Page, patientHash: string, points: number): Promise<number> {
  await page.evaluate(() => (window.location.hash = '#/patients'));
  await page.getByRole('searchbox', { name: 'Search records' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return page.evaluate<number>(`new Promise((resolve, reject) => {
    const started = performance.now();
    const deadline = started + 120000;
    const check = () => {
      const plot = [...document.querySelectorAll('.trend__plot')].find((e) => (e.getAttribute('aria-label') || '').startsWith('Blood pressure:'));
      if (plot !== undefined && plot.getAttribute('data-points') === ${JSON.stringify(String(points))} && plot.querySelector('canvas') !== null) {
        // Drawn: the frame after the one that laid the chart out.
        requestAnimationFrame(() => resolve(performance.now() - started));
        return;
      }
      if (performance.now() > deadline) reject(new Error('The blood-pressure chart did not appear.'));
      else requestAnimationFrame(check);
    };
    window.location.hash = ${JSON.stringify(patientHash)};
    requestAnimationFrame(check);
  })`);
}

const bench: BenchModule = {
  title: 'Vitals chart with 10,000 points on the patient page (Chromium, browser shell)',
  async run(log) {
    const browser = await launchBrowser();
    let shell: ShellProcess | null = null;
    try {
      const [mllpPort, devicePort] = [await freePort(), await freePort()];
      shell = await startShell({ logLevel: 'warn', extraArgs: ['--mllp-port', String(mllpPort), '--device-tcp-port', String(devicePort)] });
      const { page } = await newShellPage(browser, { viewport: { width: 1280, height: 800 } });
      await openFirstRun(page, shell);
      await createVaultThroughUi(page);
      await sendHl7(mllpPort, 'BENCHVIT1', 'Manyvitals');
      await sendHl7(mllpPort, 'BENCHVIT2', 'Fewvitals');
      await goToArea(page, 'Patients');
      await page.getByRole('status').filter({ hasText: '2 patients in the vault.' }).waitFor({ state: 'visible', timeout: 5 * 60_000 });
      const sent = performance.now();
      await deviceForPatient(page, devicePort, 1, BIG, 'BENCHVIT1');
      await deviceForPatient(page, devicePort, 2, SMALL, 'BENCHVIT2');
      log(`  ${BIG + SMALL} measurements stored and assigned in ${((performance.now() - sent) / 1000).toFixed(1)} s`);
      await goToArea(page, 'Patients');
      await page.locator('.note--indexing').waitFor({ state: 'detached', timeout: 5 * 60_000 });
      const bigHash = (await searchPatients(page, 'BENCHVIT1')).hrefs[0]!;
      const smallHash = (await searchPatients(page, 'BENCHVIT2')).hrefs[0]!;
      // Warm-up: the first opening of each compiles and caches what every later one reuses.
      await openTimed(page, bigHash, 3 * BIG);
      await openTimed(page, smallHash, 3 * SMALL);
      const samples: number[] = [];
      const baseline: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        samples.push(await openTimed(page, bigHash, 3 * BIG));
        baseline.push(await openTimed(page, smallHash, 3 * SMALL));
        log(`  run ${run + 1}: ${3 * BIG} points ${samples.at(-1)!.toFixed(0)} ms, ${3 * SMALL} points ${baseline.at(-1)!.toFixed(0)} ms`);
      }
      const figure: FigureInput = {
        figure: 'vitals_chart_10000_points_render_ms',
        value: median(samples),
        p95: percentile(samples, 95),
        runs: RUNS,
        target: {},
        baseline: { name: `the same page for a patient with ${SMALL} measurements (${3 * SMALL} points), same run`, value: median(baseline), p95: percentile(baseline, 95) },
        unit: 'ms',
        samples,
        baselineSamples: baseline,
        notes: `hash change → blood-pressure chart drawn with ${3 * BIG} points (the page also draws the pulse chart of ${BIG} points and both readings tables), Chromium headless, 1280 × 800. No design target.`,
      };
      return [figure];
    } finally {
      await shell?.cleanup();
      await browser.close();
    }
  },
};

export default bench;
