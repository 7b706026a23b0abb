import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { launchBrowser } from '../support/chromium';
import { areaHeading, goToArea, newShellPage, openFirstRun, UI_TIMEOUT_MS } from '../support/shell-page';
import { makeTempDir, removeDir, startShell, type ShellProcess } from '../support/shell-process';
import { createVaultThroughUi, searchBox } from '../support/vault-ui';
import { describeCpu, type CpuByKind } from '../support/process-cpu';
import { median, type BenchModule, type FigureInput } from './bench-report';
import { ackOf, connectMllp, withControlId } from './mllp-load';

/**
 * The UI during a 10k-message ingest (design §8: no main-thread task over 100 ms), measured in
 * the real app: the browser shell (`node out/main/shell.js`, the whole body) on a fresh data dir
 * with its HL7 listener on a free loopback port (`--mllp-port 0`, what test shells get by default,
 * turns the listener off, so the bench picks a free port and passes it; the Intake monitor's
 * listener row, from intake.status, must then say "Listening on 127.0.0.1, port N."), a vault
 * created through the first-run screen in Chromium (so the mind is unlocked and indexes what
 * arrives), the Intake monitor open.
 *
 * In the page a PerformanceObserver collects 'longtask' entries (Chromium reports every
 * main-thread task over 50 ms with its duration): the figure is the longest of them. A timer probe
 * (a 20 ms setTimeout chain) records how late each tick fires. In a window without a long task
 * (always so on the idle page) every task was at most 50 ms, and the figure is the probe's longest
 * lateness capped at 50 ms (a timer waits behind the task running when it falls due). The probe's
 * lateness is also a figure of its own, the event-loop delay: how long a timer or a key press can
 * wait. It can exceed the longest task (several tasks in a row count together), and it also sees
 * what the long-task API does not report: V8's own garbage-collection tasks.
 *
 * The bench then sends 10,000 demo HL7 messages (ADT^A04 / ORU^R01, generateDemoMessages) over
 * MLLP from this process with 8 connections, each sending the next message only after the ACK
 * (sent by the body after the journal fsync). Meanwhile a user works: at a quarter and at 60 % of
 * the ACKs it goes to Patients, types a family name key by key (search as you type), waits for the
 * result and goes back to the Intake monitor. After the last ACK the user opens Patients, and the
 * bench waits for the visible end of indexing: the "Indexing the vault…" notice gone (the mind's
 * journal replay has caught up with the journal: IndexingState.busy is false) and the status line
 * counting every distinct patient sent ("N patients in the vault."), both unchanged over two polls
 * 400 ms apart (longer than the notice's 300 ms show delay); then a search for the MRN of the last
 * patient sent must find exactly that patient. The observation window runs from the first send to
 * that moment.
 *
 * Baseline, same run, same page: the Intake monitor with no ingest (the vault unlocked, 10k
 * messages indexed, nobody typing) for the same duration as the ingest window.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const MESSAGES = Number(process.env['HDMS_BENCH_UI_MESSAGES'] ?? 10_000);
const CONNECTIONS = 8;
/** HDMS_BENCH_UI_SEARCHES=0: nobody goes to Patients during the ingest (the window's own cost, without a user's reads). */
const SEARCHES = process.env['HDMS_BENCH_UI_SEARCHES'] !== '0';
/** Tick of the in-page lateness probe. */
const PROBE_MS = 20;
/** Chromium's long-task threshold: tasks up to this long are not reported. */
const LONG_TASK_MS = 50;
const POLL_MS = 400;
/** Generous: 10k messages through the body and the mind's indexing on a busy 2-core machine. */
const INDEXED_TIMEOUT_MS = 10 * 60_000;
/** Optional: a Chromium trace (devtools.timeline + JS samples) of the first ingest window, for finding long tasks. */
const TRACE_FILE = process.env['HDMS_BENCH_UI_TRACE'];
/** Optional: a V8 CPU profile (.cpuprofile) of the page's main thread, first send → last ACK of the first run: what the page spends while messages arrive. */
const PAGE_PROFILE_FILE = process.env['HDMS_BENCH_UI_PAGE_PROFILE'];

interface Message {
  readonly raw: Buffer;
  readonly mrn: string;
  readonly family: string;
}

interface WindowStats {
  /** Longest 'longtask' entry in the window (0 when none). */
  readonly longestTaskMs: number;
  readonly over50: number;
  readonly over100: number;
  /** Longest lateness of the 20 ms probe. */
  readonly probeMaxLateMs: number;
  /** Durations of every long task, for the notes. */
  readonly durations: readonly number[];
  readonly windowMs: number;
}

interface RunResult {
  readonly ingest: WindowStats;
  readonly idle: WindowStats;
  /** First send → last ACK. */
  readonly ackedMs: number;
  /** The same number of messages again, once the page is closed (the body alone): first send → last ACK. */
  readonly closedAckedMs: number;
  /** First send → the Patients area shows every patient and no indexing notice. */
  readonly indexedMs: number;
  readonly searches: readonly string[];
  /** The 1-minute load average at the start and end of the run (other programs on the machine). */
  readonly load: readonly [number, number];
  /**
   * CPU time of the shell process (every thread: listener, GC helpers, the thread pool's writes and
   * fdatasyncs), first send → last ACK, in µs per message; null where /proc cannot be read.
   * Steadier than messages/s on a shared machine: it counts the body's work, not its waiting.
   */
  readonly shellCpuUsPerMessage: { readonly open: number | null; readonly closed: number | null };
}

/** User + system CPU time (ms) of process `pid` so far, all threads (Linux /proc); null elsewhere. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

/**
 * CPU ms so far of this run's processes by kind, Linux /proc (elsewhere: empty): the shell by its
 * threads ("body/<thread>"), the Chromium processes this bench launched (descendants of this
 * process; another engineer's Chromium on the same machine is not counted, which
 * process-cpu.ts's cpuByKind, scanning every Chromium, would count) by --type, the renderer by its
 * threads, and this process (the MLLP sender and the Playwright client) as "bench".
 */
function runCpu(shellPid: number): CpuByKind {
  const totals = new Map<string, number>();
  const add = (kind: string, stat: string): void => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    totals.set(kind, (totals.get(kind) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
  };
  const byThread = (pid: number, kind: string): void => {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      // The main thread by its id (Node names every thread "node").
      const name = task === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      add(`${kind}/${name}`, readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8'));
    }
  };
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return totals;
  }
  const parent = new Map<number, number>();
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let at = parent.get(pid); at !== undefined && at > 1; at = parent.get(at)) if (at === process.pid) return true;
    return false;
  };
  for (const [pid] of parent) {
    try {
      if (pid === shellPid) {
        byThread(pid, 'body');
        continue;
      }
      if (pid === process.pid) {
        add('bench', readFileSync(`/proc/${pid}/stat`, 'utf8'));
        continue;
      }
      if (!ours(pid)) continue;
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!/chrom/i.test(commandLine)) continue;
      const type = /--type=([a-z-]+)/.exec(commandLine)?.[1] ?? 'browser';
      if (type === 'renderer') byThread(pid, 'renderer');
      else add(type === 'utility' ? `utility:${/--utility-sub-type=([A-Za-z.]+)/.exec(commandLine)?.[1]?.split('.').at(-1) ?? '?'}` : type, readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // ended meanwhile
    }
  }
  return totals;
}

/** Per-kind sums of a runCpu difference: body, renderer, other Chromium, bench; µs per message. */
function cpuSummary(before: CpuByKind, after: CpuByKind, messages: number): string {
  const groups = new Map<string, number>();
  for (const [kind, ms] of after) {
    const group = kind.startsWith('body/') ? 'body' : kind.startsWith('renderer/') ? 'renderer' : kind === 'bench' ? 'bench (sender + Playwright)' : 'other Chromium';
    groups.set(group, (groups.get(group) ?? 0) + ms - (before.get(kind) ?? 0));
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  return `${[...groups].map(([group, ms]) => `${group} ${((ms * 1000) / messages).toFixed(0)}`).join(', ')}, total ${((total * 1000) / messages).toFixed(0)} µs/message`;
}

/** µs of CPU per message between two readings, or null. */
function cpuPerMessage(before: number | null, after: number | null, messages: number): number | null {
  return before === null || after === null ? null : ((after - before) * 1000) / messages;
}

declare global {
  interface Window {
    __uiBench?: {
      tasks: { start: number; duration: number }[];
      late: { at: number; late: number }[];
    };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function buildMessages(count: number, runTag: string): { messages: Message[]; patients: number } {
  const messages: Message[] = [];
  const mrns = new Set<string>();
  // About 3 messages per patient: ask for plenty and stop at `count`.
  for (const demo of generateDemoMessages({ patients: count, seed: 11, now: new Date('2026-01-01T00:00:00Z') })) {
    const patient = demo.normalized.patient;
    const mrn = patient.identifiers[0]!.value;
    mrns.add(mrn);
    messages.push({ raw: withControlId(demo.raw, `UI${runTag}-${messages.length}`), mrn, family: patient.name.family });
    if (messages.length === count) break;
  }
  if (messages.length < count) throw new Error(`The demo generator made only ${messages.length} messages.`);
  return { messages, patients: mrns.size };
}

/**
 * Installs the long-task observer (buffered) and the lateness probe in the page; idempotent. A
 * string, not a function: tsx (esbuild keepNames) would wrap named inner functions in a helper
 * that does not exist in the page.
 */
const INSTALL_OBSERVERS = `(() => {
  if (window.__uiBench !== undefined) return;
  const state = { tasks: [], late: [] };
  window.__uiBench = state;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.tasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  let expected = performance.now() + ${PROBE_MS};
  function tick() {
    const now = performance.now();
    state.late.push({ at: now, late: Math.max(0, now - expected) });
    if (state.late.length > 200000) state.late.splice(0, 100000);
    expected = now + ${PROBE_MS};
    setTimeout(tick, ${PROBE_MS});
  }
  setTimeout(tick, ${PROBE_MS});
})()`;

async function installObservers(page: Page): Promise<void> {
  await page.evaluate(INSTALL_OBSERVERS);
}

function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

async function windowStats(page: Page, from: number, to: number): Promise<WindowStats> {
  const { tasks, late } = await page.evaluate(
    ([start, end]) => {
      const state = window.__uiBench!;
      return {
        tasks: state.tasks.filter((task) => task.start + task.duration >= start && task.start <= end).map((task) => task.duration),
        late: state.late.filter((tick) => tick.at >= start && tick.at <= end).map((tick) => tick.late),
      };
    },
    [from, to] as const,
  );
  return {
    longestTaskMs: Math.max(0, ...tasks),
    over50: tasks.filter((d) => d > LONG_TASK_MS).length,
    over100: tasks.filter((d) => d > 100).length,
    probeMaxLateMs: Math.max(0, ...late),
    durations: [...tasks].sort((a, b) => b - a),
    windowMs: to - from,
  };
}

/** The figure's "longest main-thread task": the longest long-task entry, else (none over 50 ms) the probe's longest lateness, at most 50 ms. */
const longest = (stats: WindowStats): number => (stats.longestTaskMs > 0 ? stats.longestTaskMs : Math.min(stats.probeMaxLateMs, LONG_TASK_MS));

/** A User Timing mark in the page: shows in a Chromium trace (HDMS_BENCH_UI_TRACE) next to the tasks it explains. */
async function mark(page: Page, name: string): Promise<void> {
  await page.evaluate(`performance.mark(${JSON.stringify(`bench:${name}`)})`);
}

/** Patients → type `text` key by key (search as you type) → wait for the answer → back to the Intake monitor. */
async function userSearches(page: Page, text: string): Promise<string> {
  await mark(page, 'to Patients');
  await goToArea(page, 'Patients');
  await mark(page, `typing ${text}`);
  const box = searchBox(page);
  await box.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await box.fill('');
  await box.pressSequentially(text, { delay: 90 });
  const status = page.getByRole('status').filter({ hasText: /patients? found in|No patients match/ });
  await status.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const said = (await status.innerText()).trim();
  await mark(page, 'to Intake');
  await goToArea(page, 'Intake');
  return `"${text}": ${said.replace(/\s*Use the arrow keys.*$/, '')}`;
}

/** Sends every message over `CONNECTIONS` MLLP connections; `onAcked` hears the running count. */
async function sendAll(port: number, messages: readonly Message[], onAcked: (acked: number) => void): Promise<void> {
  const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectMllp(port)));
  let next = 0;
  let acked = 0;
  try {
    await Promise.all(
      senders.map(async (sender) => {
        for (;;) {
          const index = next++;
          if (index >= messages.length) return;
          const ack = ackOf(await sender.send(messages[index]!.raw));
          if (ack.code !== 'CA' && ack.code !== 'AA') throw new Error(`The node answered ${ack.code} to message ${index}.`);
          onAcked(++acked);
        }
      }),
    );
  } finally {
    await Promise.all(senders.map((s) => s.close()));
  }
}

const patientsInVault = /([\d,]+) patients? in the vault\./;

/** Polls the Patients area until the indexing notice is gone and the status counts `patients`, twice in a row. */
async function waitUntilIndexed(page: Page, patients: number, deadline: number): Promise<void> {
  let stableSince = false;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`Not indexed within ${INDEXED_TIMEOUT_MS} ms.`);
    const state = await page.evaluate(() => ({
      notice: document.querySelector('.note--indexing') !== null,
      status: Array.from(document.querySelectorAll('[role="status"]'), (element) => element.textContent ?? '').join(' | '),
    }));
    const count = patientsInVault.exec(state.status);
    const done = !state.notice && count !== null && Number(count[1]!.replace(/,/g, '')) === patients;
    if (done && stableSince) return;
    stableSince = done;
    await page.waitForTimeout(POLL_MS);
  }
}

async function measureRun(browser: Browser, run: number, log: (line: string) => void): Promise<RunResult> {
  const loadAtStart = os.loadavg()[0]!;
  const dataDir = await makeTempDir('hdms-bench-ui-');
  const mllpPort = await freePort();
  const { messages, patients } = buildMessages(MESSAGES, `${process.pid}r${run}`);
  let shell: ShellProcess | null = null;
  const { context, page, consoleErrors } = await newShellPage(browser);
  try {
    shell = await startShell({ dataDir, logLevel: 'warn', extraArgs: ['--mllp-port', String(mllpPort)] });
    await openFirstRun(page, shell);
    await createVaultThroughUi(page);
    await goToArea(page, 'Intake');
    // The listener opened once the vault existed; its row says where (intake.status).
    const listening = page.getByRole('cell', { name: `Listening on 127.0.0.1, port ${mllpPort}.` });
    await listening.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await page.getByRole('heading', { level: 2, name: /^HL7 messages since/ }).waitFor({ state: 'visible' });
    await installObservers(page);
    await page.waitForTimeout(1000); // settle: the first-run → app transition's work is not part of the window

    const tracing = TRACE_FILE !== undefined && run === 0;
    if (tracing) {
      await browser.startTracing(page, {
        path: TRACE_FILE,
        screenshots: false,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'disabled-by-default-v8.cpu_profiler', 'blink.user_timing', 'toplevel'],
      });
    }

    // Ingest window: first send → everything indexed and visible.
    const from = await pageNow(page);
    const cpuAtStart = processCpuMs(shell.pid);
    const profiler = PAGE_PROFILE_FILE !== undefined && run === 0 ? await page.context().newCDPSession(page) : null;
    if (profiler !== null) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    const kindsAtStart = runCpu(shell.pid);
    const started = performance.now();
    let acked = 0;
    const sending = sendAll(mllpPort, messages, (count) => (acked = count));
    const searches: string[] = [];
    const waitForAcks = async (share: number): Promise<void> => {
      while (acked < messages.length * share) {
        await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, 50))]);
        if (acked >= messages.length) return;
      }
    };
    // The user, while messages arrive: two searches for patients sent earlier in the stream.
    if (SEARCHES) {
      await waitForAcks(0.25);
      searches.push(await userSearches(page, messages[Math.floor(messages.length * 0.1)]!.family));
      await waitForAcks(0.6);
      searches.push(await userSearches(page, messages[Math.floor(messages.length * 0.5)]!.family));
    }
    await sending;
    const ackedMs = performance.now() - started;
    const openCpu = cpuPerMessage(cpuAtStart, processCpuMs(shell.pid), messages.length);
    const kindsAtAck = runCpu(shell.pid);
    if (profiler !== null) {
      const { profile } = await profiler.send('Profiler.stop');
      writeFileSync(PAGE_PROFILE_FILE!, JSON.stringify(profile));
      await profiler.detach();
    }
    log(`  run ${run + 1}: ${messages.length} messages acknowledged in ${(ackedMs / 1000).toFixed(1)} s (${acked} ACKs)`);
    if (kindsAtAck.size > 0) {
      // Where the CPU goes while the window is open, first send → last ACK (Linux): what the page costs the body's ACKs.
      log(`  run ${run + 1}: CPU while acknowledging, window open: ${cpuSummary(kindsAtStart, kindsAtAck, messages.length)}`);
      log(`  run ${run + 1}:   by process and thread: ${describeCpu(kindsAtStart, kindsAtAck, messages.length / 1000, 'µs/message')}`);
    }

    // The user opens Patients after the last ACK and looks: indexing done, everyone there.
    await mark(page, 'acked; to Patients');
    await goToArea(page, 'Patients');
    await waitUntilIndexed(page, patients, Date.now() + INDEXED_TIMEOUT_MS);
    const indexedMs = performance.now() - started;
    const to = await pageNow(page);
    if (tracing) await browser.stopTracing();
    const last = messages.at(-1)!;
    const found = await userSearches(page, last.mrn);
    if (!/^"[^"]+": 1 patient found/.test(found)) throw new Error(`The last patient sent is not found: ${found}`);
    searches.push(found);
    const ingest = await windowStats(page, from, to);

    // Baseline: the same page, idle, for as long as the ingest window lasted.
    await areaHeading(page, 'Intake').waitFor({ state: 'visible' });
    await page.waitForTimeout(1000);
    const idleFrom = await pageNow(page);
    await page.waitForTimeout(Math.round(to - from));
    const idle = await windowStats(page, idleFrom, await pageNow(page));
    const errors = consoleErrors.filter((line) => !/favicon/.test(line));
    if (errors.length > 0) log(`  run ${run + 1}: console errors: ${errors.slice(0, 5).join(' | ')}`);

    // Baseline of the ingest rate: the window closed (no mind, no indexing), the same shell and
    // listener, as many messages again under new control ids.
    await context.close();
    const again = buildMessages(MESSAGES, `${process.pid}r${run}closed`).messages;
    const closedCpuAtStart = processCpuMs(shell.pid);
    const closedKindsAtStart = runCpu(shell.pid);
    const closedStarted = performance.now();
    await sendAll(mllpPort, again, () => undefined);
    const closedAckedMs = performance.now() - closedStarted;
    const closedCpu = cpuPerMessage(closedCpuAtStart, processCpuMs(shell.pid), again.length);
    const closedKinds = runCpu(shell.pid);
    if (closedKinds.size > 0) {
      log(`  run ${run + 1}: CPU while acknowledging, window closed: ${cpuSummary(closedKindsAtStart, closedKinds, again.length)}`);
      log(`  run ${run + 1}:   by process and thread: ${describeCpu(closedKindsAtStart, closedKinds, again.length / 1000, 'µs/message')}`);
    }
    const cpuText = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(0)} µs`);
    log(`  run ${run + 1}: window closed: ${again.length} messages acknowledged in ${(closedAckedMs / 1000).toFixed(1)} s`);
    log(`  run ${run + 1}: shell CPU per message (all threads, first send → last ACK): window open ${cpuText(openCpu)}, closed ${cpuText(closedCpu)}`);
    return { ingest, idle, ackedMs, closedAckedMs, indexedMs, searches, load: [loadAtStart, os.loadavg()[0]!], shellCpuUsPerMessage: { open: openCpu, closed: closedCpu } };
  } finally {
    await context.close();
    if (shell !== null) {
      const exit = await shell.stop('SIGTERM');
      if (exit.code !== 0) log(`  run ${run + 1}: the shell exited with ${JSON.stringify(exit)}: ${shell.stderr().slice(-2000)}`);
    }
    await removeDir(dataDir);
  }
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;

function describeWindow(stats: WindowStats): string {
  return (
    `longest long task ${ms(stats.longestTaskMs)}, probe max lateness ${ms(stats.probeMaxLateMs)}, ` +
    `${stats.over100} tasks > 100 ms, ${stats.over50} > 50 ms over ${(stats.windowMs / 1000).toFixed(1)} s` +
    (stats.durations.length === 0 ? '' : ` [${stats.durations.slice(0, 12).map((d) => d.toFixed(0)).join(', ')}${stats.durations.length > 12 ? ', …' : ''}]`)
  );
}

const bench: BenchModule = {
  title: `UI during a ${MESSAGES.toLocaleString('en')}-message MLLP ingest: longest main-thread task on the Intake monitor (${SEARCHES ? 'with' : 'without'} Patients searches) until indexed, vs the same page idle (${RUNS} runs)`,
  async run(log) {
    const browser = await launchBrowser();
    const results: RunResult[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const result = await measureRun(browser, run, log);
        results.push(result);
        log(`  run ${run + 1}/${RUNS}: ingest+indexing: ${describeWindow(result.ingest)}; indexed after ${(result.indexedMs / 1000).toFixed(1)} s`);
        log(`  run ${run + 1}/${RUNS}: idle baseline: ${describeWindow(result.idle)}`);
        log(`  run ${run + 1}/${RUNS}: searches: ${result.searches.join('; ')}; load average ${result.load.map((l) => l.toFixed(1)).join(' → ')}`);
      }
    } finally {
      await browser.close();
    }
    const worst = results.map((r) => longest(r.ingest));
    const idleWorst = results.map((r) => longest(r.idle));
    const perRun = results
      .map(
        (r, i) =>
          `run ${i + 1}: longest ${ms(longest(r.ingest))} (long tasks > 100 ms: ${r.ingest.over100}, > 50 ms: ${r.ingest.over50}; ` +
          `ACKs done ${(r.ackedMs / 1000).toFixed(1)} s, indexed ${(r.indexedMs / 1000).toFixed(1)} s; idle longest ${ms(longest(r.idle))}, ` +
          `idle tasks > 50 ms: ${r.idle.over50}; 1-min load average ${r.load.map((l) => l.toFixed(1)).join(' → ')})`,
      )
      .join('; ');
    const setting =
      `Browser shell (node out/main/shell.js, the whole body) + headless Chromium + this sender, all on one ${os.cpus().length}-CPU machine. ` +
      `${MESSAGES} demo HL7 v2.5.1 messages (ADT^A04 / ORU^R01) over MLLP, ${CONNECTIONS} connections, next message after each ACK. ` +
      'Page: the Intake monitor (listeners, counters, throughput chart, recent messages, connections, quarantine, file import); ' +
      (SEARCHES
        ? 'during the ingest the user goes to Patients twice (at 25 % and 60 % of the ACKs), types a family name key by key (90 ms apart, search as you type) and returns; '
        : 'nobody goes to Patients during the ingest (HDMS_BENCH_UI_SEARCHES=0); ') +
      'after the last ACK the user opens Patients, where the window ends when the indexing notice is gone and the status counts every patient sent ' +
      '(then a search for the last MRN sent finds it).';
    return [
      {
        figure: 'ui_ingest_longest_main_thread_task_ms',
        value: Math.max(...worst),
        runs: RUNS,
        target: { max: 100 },
        baseline: {
          name: 'longest main-thread task on the same Intake monitor page, idle (no ingest), for the same duration, same run',
          value: Math.max(0.1, ...idleWorst),
        },
        unit: 'ms',
        samples: worst,
        baselineSamples: idleWorst,
        notes:
          `Worst run. The longest task is the longest PerformanceObserver 'longtask' entry (Chromium: tasks over 50 ms); ` +
          `in a window without one, the longest lateness of a 20 ms timer probe in the page, at most 50 ms. ` +
          `V8's garbage-collection tasks are not long tasks to that API: see ui_ingest_max_event_loop_delay_ms. ${perRun}. ${setting}`,
      },
      {
        figure: 'ui_ingest_max_event_loop_delay_ms',
        value: Math.max(...results.map((r) => r.ingest.probeMaxLateMs)),
        runs: RUNS,
        target: {},
        baseline: {
          name: 'the same probe on the same Intake monitor page, idle (no ingest), for the same duration, same run',
          value: Math.max(0.1, ...results.map((r) => r.idle.probeMaxLateMs)),
        },
        unit: 'ms',
        samples: results.map((r) => r.ingest.probeMaxLateMs),
        baselineSamples: results.map((r) => r.idle.probeMaxLateMs),
        notes: `Worst run. The longest lateness of a 20 ms setTimeout chain in the page during ingest + indexing: how long a timer or an input event can wait behind the tasks ahead of it (several in a row count together, V8's garbage-collection tasks included). ${setting}`,
      },
      {
        figure: 'hl7_ingest_window_open_messages_per_s',
        value: median(results.map((r) => MESSAGES / (r.ackedMs / 1000))),
        runs: RUNS,
        // Issue 11: with the window open and indexing, ≥ 2,000 msg/s (the mind must not slow the body's ACKs).
        target: { min: 2000 },
        baseline: { name: 'the same number of messages again to the same shell once the window is closed (the body alone), same run', value: median(results.map((r) => MESSAGES / (r.closedAckedMs / 1000))) },
        unit: 'messages/s',
        samples: results.map((r) => MESSAGES / (r.ackedMs / 1000)),
        baselineSamples: results.map((r) => MESSAGES / (r.closedAckedMs / 1000)),
        notes: `First send → last ACK, the vault unlocked in the window, which indexes as messages arrive (automatic replays at most a third of the time: view-indexing.ts) while the user searches. ${setting}`,
      },
      {
        figure: 'ui_ingest_10k_messages_indexed_s',
        value: median(results.map((r) => r.indexedMs / 1000)),
        runs: RUNS,
        target: {},
        baseline: { name: 'first send → last ACK of the same messages (the body durable, before the mind indexed them), same run', value: median(results.map((r) => r.ackedMs / 1000)) },
        unit: 's',
        samples: results.map((r) => r.indexedMs / 1000),
        baselineSamples: results.map((r) => r.ackedMs / 1000),
        notes: `First send → the Patients area shows no indexing notice and counts every distinct patient sent. ${setting}`,
      },
      // Linux only (/proc): the shell's CPU per message, window open against closed.
      ...(results.every((r) => r.shellCpuUsPerMessage.open !== null && r.shellCpuUsPerMessage.closed !== null)
        ? [
            {
              figure: 'hl7_ingest_shell_cpu_us_per_message',
              value: median(results.map((r) => r.shellCpuUsPerMessage.open!)),
              runs: RUNS,
              target: {},
              baseline: { name: 'the same shell, the same number of messages again once the window is closed (the body alone), same run', value: median(results.map((r) => r.shellCpuUsPerMessage.closed!)) },
              unit: 'µs',
              samples: results.map((r) => r.shellCpuUsPerMessage.open!),
              baselineSamples: results.map((r) => r.shellCpuUsPerMessage.closed!),
              notes:
                'User + system CPU of the shell process, all its threads (/proc/<pid>/stat), first send → last ACK, per message: with the window open it includes what the body does for the page meanwhile (journal reads for the replays, the monitor, WebSocket frames). ' +
                `A steadier reading than messages/s on a shared machine; at 2,000 messages/s the body alone needs 2,000 × this of CPU time per second. ${setting}`,
            },
          ]
        : []),
    ] satisfies FigureInput[];
  },
};

export default bench;
