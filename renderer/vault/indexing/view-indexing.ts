import type { HdmsApi } from '../../../shared/ipc/contract';
import type { IndexingState, SyncProgress } from '../vault-service';
import { asVaultError } from '../vault-errors';
import { replayJournal } from '../views/journal-replay';
import { keyringRoles } from '../operator-change-rule';
import type { SessionState, VaultSession } from '../session/vault-session';

/** Progress of a running replay reaches the listeners at most this often (busy flips at once). */
export const INDEXING_NOTIFY_MS = 250;
/**
 * While the body takes in messages, the automatic replays run at most this share of the time:
 * each stops after AUTO_SYNC_BUDGET_MS, and after one that took D ms the next waits until
 * D × (1 / share − 1) ms after it ended (issue 11: with the window open, HL7 ingest fell from 2,600
 * to 460–780 msg/s, the mind's indexing taking the CPU the body's ACKs need on a 2-core machine).
 * Waiting also makes the next replay's pages fuller, which costs less per record. Small replays
 * (a record viewed) wait a few milliseconds at most; the views are busy meanwhile, so nobody takes
 * them for complete, and any read queued meanwhile starts the waiting replay first.
 */
export const AUTO_SYNC_SHARE = 0.25;
/** The longest an automatic replay waits, however long the previous one took. */
export const AUTO_SYNC_MAX_WAIT_MS = 5_000;
/**
 * An automatic replay stops after about this long and lets the next one (after its wait) go on:
 * while entries keep arriving, a replay "to the end of the journal" would never end.
 */
export const AUTO_SYNC_BUDGET_MS = 1_000;
/**
 * The body counts as taking in messages until this long after its last intake activity event
 * (`hl7.activity`, sent at most a few times a second while messages arrive). Without one, replays
 * run back to back: the views catch up at full speed once the messages stop.
 */
export const INTAKE_QUIET_MS = 2_000;
/**
 * While the body takes in messages and nothing on screen reads the views (the window shows the
 * Intake monitor, whose figures come from the body, or is hidden), automatic replays wait until the
 * intake has been quiet for INTAKE_QUIET_MS, and at most this long after the last one ended. Issue
 * 11: each replay, with the ledger signing in it, took the CPU the body's ACKs need on a 2-core
 * machine (the page's renderer, the browser's IndexedDB and the body's journal reads ~1.2 CPUs at
 * 1,000 messages/s), although nobody was looking at what it built. A page that reads the views,
 * shown again, starts the waiting replay at once; so does any read queued meanwhile.
 */
export const AUTO_SYNC_OFF_SCREEN_MAX_WAIT_MS = 10_000;
const IDLE: IndexingState = { busy: false, applied: 0 };
const noop = (): void => undefined;

/**
 * Whether the window shows anything that reads the views: yes, unless a page that reads none holds
 * this (the Intake monitor, while mounted) or the document is hidden. One per window.
 */
export class ViewsOnScreen {
  private holds = 0;
  private readonly listeners = new Set<() => void>();
  private visibilityWatched = false;

  constructor(private readonly doc: Pick<Document, 'visibilityState' | 'addEventListener'> | undefined = typeof document === 'undefined' ? undefined : document) {}

  onScreen(): boolean {
    return this.holds === 0 && this.doc?.visibilityState !== 'hidden';
  }

  /** A page that reads no views is shown, until the returned release is called (once). */
  hold(): () => void {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      this.changed();
    };
  }

  /** `listener` hears every change that may have brought the views back on screen. */
  subscribe(listener: () => void): () => void {
    if (!this.visibilityWatched && this.doc !== undefined) {
      this.visibilityWatched = true;
      this.doc.addEventListener('visibilitychange', () => this.changed());
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    if (!this.onScreen()) return;
    for (const listener of [...this.listeners]) listener();
  }
}

/** The window's: what view-indexing asks and the pages that read no views hold. */
export const viewsOnScreen = new ViewsOnScreen();

/**
 * When the views are replayed from the journal, one at a time per session, and what
 * VaultService.indexing() says meanwhile.
 *
 * Indexing is busy while any replay or rebuild is queued or running (of any session: one cut short
 * by lock still settles), and while a caller holds it with begin() (restoreBackup, from before its
 * session opens until its rebuild is done). `applied` is the running replay's own count; it is
 * published with the busy flips and at most every INDEXING_NOTIFY_MS in between.
 *
 * Every replay ends with the session features' afterReplay() (the ledger signs what the journal
 * calls for), inside the same queue slot.
 */
export class ViewIndexing {
  private holds = 0;
  private appliedNow = 0;
  private published: IndexingState = IDLE;
  private lastNotice = 0;
  /** Per session: how long its last automatic replay took and when it ended. */
  private readonly lastAuto = new WeakMap<VaultSession, { readonly ms: number; readonly endedAt: number }>();
  /** When the body last reported intake activity (hl7.activity). */
  private lastIntakeActivity = Number.NEGATIVE_INFINITY;
  /** Per session: the automatic replay waiting for its turn (AUTO_SYNC_SHARE), and its timer once set. */
  private readonly waiting = new WeakMap<VaultSession, { readonly start: () => void; timer: ReturnType<typeof setTimeout> | null }>();
  /** Per session: the budget of the replay whose features' afterReplay is running (none: unbudgeted). */
  private readonly featureBudget = new WeakMap<VaultSession, number | undefined>();
  /** Per session: the automatic replay running now, settling when it ends. */
  private readonly running = new WeakMap<VaultSession, Promise<void>>();
  /** The automatic replays waiting on a timer (any session): the views back on screen start them. */
  private readonly timed = new Set<{ readonly start: () => void; timer: ReturnType<typeof setTimeout> | null }>();

  constructor(
    private readonly api: Pick<HdmsApi, 'journal'>,
    private readonly state: SessionState,
    private readonly screen: ViewsOnScreen = viewsOnScreen,
  ) {
    screen.subscribe(() => {
      for (const waiting of [...this.timed]) {
        if (waiting.timer !== null) clearTimeout(waiting.timer);
        waiting.start();
      }
    });
  }

  /** The same object until it changes (a useSyncExternalStore snapshot). */
  current(): IndexingState {
    return this.published;
  }

  /** Marks the views busy until the returned `end` is called (once). */
  begin(): () => void {
    if (this.holds === 0) this.appliedNow = 0;
    this.holds += 1;
    this.publish();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.holds -= 1;
      this.publish();
    };
  }

  /**
   * Runs `task` after every queued replay or rebuild of the session, including an automatic replay
   * still waiting for its turn (it is queued now, ahead of `task`), so what was appended before
   * the call is in the views when `task` runs.
   */
  enqueue<T>(s: VaultSession, task: () => Promise<T>): Promise<T> {
    const waiting = this.waiting.get(s);
    if (waiting !== undefined) {
      if (waiting.timer !== null) clearTimeout(waiting.timer);
      waiting.start();
    }
    const run = s.queue.then(task);
    s.queue = run.then(noop, noop);
    return run;
  }

  /** enqueue() for a replay or rebuild: the views count as busy from now until it settles. */
  enqueueIndexing<T>(s: VaultSession, task: () => Promise<T>): Promise<T> {
    const end = this.begin();
    const run = this.enqueue(s, task);
    run.then(end, end);
    return run;
  }

  /** A replay soon (see AUTO_SYNC_SHARE), without waiting; at most one queued at a time. */
  scheduleAutoSync(s: VaultSession): void {
    if (s.autoQueued) return;
    s.autoQueued = true;
    const end = this.begin();
    // Busy from now (not only once queued): the views are behind while the replay waits.
    let started = false;
    const run = (): void => {
      if (started) return;
      started = true;
      this.timed.delete(waiting);
      if (waiting.timer !== null) clearTimeout(waiting.timer);
      this.waiting.delete(s);
      this.enqueue(s, async () => {
        s.autoQueued = false;
        const started = performance.now();
        let done!: () => void;
        this.running.set(s, new Promise<void>((resolve) => (done = resolve)));
        try {
          const progress = await this.replayOnce(s, undefined, AUTO_SYNC_BUDGET_MS);
          if (!progress.done) this.scheduleAutoSync(s);
          return progress;
        } finally {
          const endedAt = performance.now();
          this.lastAuto.set(s, { ms: endedAt - started, endedAt });
          this.running.delete(s);
          done();
        }
      })
        .catch(noop) // a locked vault or a failing page: the next sync (explicit or on the next append) retries
        .finally(end);
    };
    // Entries that arrive during a replay wait counted from its end (counted from the previous one's,
    // the wait had mostly passed already and replays ran back to back).
    const waiting: { start: () => void; timer: ReturnType<typeof setTimeout> | null } = { start: run, timer: null };
    this.waiting.set(s, waiting);
    // Asked again when the timer fires: off screen, the wait runs until the intake is quiet, which
    // each hl7.activity pushes back.
    const startWhenDue = (): void => {
      waiting.timer = null;
      if (started) return;
      const wait = this.autoSyncWait(s);
      if (wait <= 0) run();
      else {
        waiting.timer = setTimeout(startWhenDue, wait);
        this.timed.add(waiting);
      }
    };
    void (this.running.get(s) ?? Promise.resolve()).then(() => {
      if (this.waiting.get(s) !== waiting) return; // started meanwhile by a queued task
      startWhenDue();
    });
  }

  /** The body reported intake activity (messages arriving): automatic replays take turns with it for a while. */
  noteIntakeActivity(): void {
    this.lastIntakeActivity = performance.now();
  }

  /**
   * How long the next automatic replay of `s` waits, from now: 0 unless the body is taking in
   * messages; then, with the views on screen, its turn (AUTO_SYNC_SHARE); off screen, until the
   * intake is quiet (AUTO_SYNC_OFF_SCREEN_MAX_WAIT_MS).
   */
  autoSyncWait(s: VaultSession): number {
    const last = this.lastAuto.get(s);
    const now = performance.now();
    const quietIn = this.lastIntakeActivity + INTAKE_QUIET_MS - now;
    if (last === undefined || quietIn < 0) return 0;
    const sinceLast = now - last.endedAt;
    if (!this.screen.onScreen()) return Math.max(0, Math.min(quietIn + 1, AUTO_SYNC_OFF_SCREEN_MAX_WAIT_MS - sinceLast));
    const rest = last.ms * (1 / AUTO_SYNC_SHARE - 1) - sinceLast;
    return Math.min(AUTO_SYNC_MAX_WAIT_MS, Math.max(0, rest));
  }

  async runSync(s: VaultSession, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    try {
      return await this.enqueueIndexing(s, () => this.replayOnce(s, onProgress));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /**
   * One replay of the views and then the features' afterReplay; call inside the queue. With a
   * budget (an automatic replay), a feature's replayNow() inside it has the same budget: the
   * ledger replays what it signed, and while entries keep arriving an unbudgeted replay "to the
   * end" would not end.
   */
  replayOnce(s: VaultSession, onProgress?: (progress: SyncProgress) => void, budgetMs?: number): Promise<SyncProgress> {
    this.appliedNow = 0;
    return this.replayViews(s, onProgress, budgetMs).then(async (progress) => {
      this.featureBudget.set(s, budgetMs);
      try {
        for (const feature of s.features) {
          if (this.state.isCurrent(s)) await feature.afterReplay?.();
        }
      } finally {
        this.featureBudget.delete(s);
      }
      return progress;
    });
  }

  /** A feature's replayNow() (inside the running replay task), with that task's budget. */
  replayNow(s: VaultSession): Promise<SyncProgress> {
    return this.replayViews(s, undefined, this.featureBudget.get(s));
  }

  /** The views' replay alone; notes how far the views are (journal.appended up to there needs no sync). */
  async replayViews(s: VaultSession, onProgress?: (progress: SyncProgress) => void, budgetMs?: number): Promise<SyncProgress> {
    const progress = await replayJournal(
      { api: this.api, db: s.db, keys: s.keys, opener: s.opener, tokens: s.tokens, roleOf: keyringRoles(() => s.keyring), isCurrent: () => this.state.isCurrent(s), ...(budgetMs === undefined ? {} : { budgetMs }) },
      (step) => {
        this.progress(step);
        onProgress?.(step);
      },
    );
    s.replayedTo = Math.max(s.replayedTo, progress.cursor);
    return progress;
  }

  private progress(step: SyncProgress): void {
    this.appliedNow = step.applied;
    if (performance.now() - this.lastNotice >= INDEXING_NOTIFY_MS) this.publish();
  }

  private publish(): void {
    const busy = this.holds > 0;
    const applied = busy ? this.appliedNow : 0;
    if (busy === this.published.busy && applied === this.published.applied) return;
    this.published = busy ? { busy, applied } : IDLE;
    this.lastNotice = performance.now();
    this.state.notify();
  }
}
