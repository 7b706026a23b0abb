import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { AUTO_SYNC_MAX_WAIT_MS, INTAKE_QUIET_MS, ViewIndexing, ViewsOnScreen } from '../../../../renderer/vault/indexing/view-indexing';
import type { SessionState, VaultSession } from '../../../../renderer/vault/session/vault-session';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';

/** A session whose journal is empty and whose every read takes `readMs`: a replay then takes about that long. */
function slowSession(readMs: number, events: string[], screen?: ViewsOnScreen) {
  const api = {
    journal: {
      read: async () => {
        events.push('read');
        await new Promise((resolve) => setTimeout(resolve, readMs));
        return { records: [], nextCursor: 0, end: true };
      },
    },
  };
  const state = { isCurrent: () => true, notify: () => undefined } as unknown as SessionState;
  const s = { db: openVaultDb('view-indexing-test', { indexedDB: new IDBFactory(), IDBKeyRange }), queue: Promise.resolve(), autoQueued: false, features: [], replayedTo: 0 } as unknown as VaultSession;
  return { indexing: new ViewIndexing(api as never, state, screen), s };
}

/** What the on-screen rule would wait after a ~20 ms replay: three times as long, with room. */
const AUTO_SYNC_SHARE_WAIT_BOUND = 500;

const idle = (indexing: ViewIndexing) => expect.poll(() => indexing.current().busy, { timeout: 5000 }).toBe(false);

describe('automatic replays while entries keep arriving', () => {
  it('the first runs at once; the next waits three times as long as the last took (a quarter of the time indexing), busy meanwhile', async () => {
    const events: string[] = [];
    const { indexing, s } = slowSession(300, events);
    indexing.scheduleAutoSync(s);
    expect(events).toEqual([]); // queued behind the session's queue, started in a microtask
    await idle(indexing);
    expect(events).toEqual(['read']);

    indexing.noteIntakeActivity(); // messages are arriving at the body
    indexing.scheduleAutoSync(s);
    const wait = indexing.autoSyncWait(s);
    // 3 × at least 300 ms, less the few ms since it ended.
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(AUTO_SYNC_MAX_WAIT_MS);
    expect(indexing.current().busy).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(events).toEqual(['read']); // still waiting for its turn
    await idle(indexing);
    expect(events).toEqual(['read', 'read']);
  });

  it('a task queued meanwhile starts the waiting replay first, so it sees what was appended before it', async () => {
    const events: string[] = [];
    const { indexing, s } = slowSession(150, events);
    indexing.scheduleAutoSync(s);
    await idle(indexing);
    indexing.noteIntakeActivity();
    indexing.scheduleAutoSync(s);
    expect(indexing.autoSyncWait(s)).toBeGreaterThan(100);
    await indexing.enqueue(s, async () => void events.push('task'));
    expect(events).toEqual(['read', 'read', 'task']);
    await idle(indexing);
    expect(events).toEqual(['read', 'read', 'task']); // the timer was cleared: no third replay
  });

  it('entries that arrive during a replay wait counted from the end of that replay, not of the one before', async () => {
    const events: string[] = [];
    const { indexing, s } = slowSession(200, events);
    indexing.scheduleAutoSync(s);
    await expect.poll(() => events.length).toBe(1);
    // An entry arrives while the first replay runs (no replay had ended yet: nothing to count from).
    indexing.noteIntakeActivity();
    indexing.scheduleAutoSync(s);
    await expect.poll(() => indexing.autoSyncWait(s), { timeout: 3000 }).toBeGreaterThan(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toHaveLength(1); // not run back to back: waiting 3 × the first one's 200 ms
    expect(indexing.current().busy).toBe(true);
  });

  it('does not wait when the body is not taking in messages: the views catch up at full speed', async () => {
    const events: string[] = [];
    const { indexing, s } = slowSession(200, events);
    indexing.scheduleAutoSync(s);
    await idle(indexing);
    indexing.scheduleAutoSync(s);
    expect(indexing.autoSyncWait(s)).toBe(0);
    await idle(indexing);
    expect(events).toEqual(['read', 'read']);
  });
});

describe('automatic replays while nothing on screen reads the views (the Intake monitor, a hidden window)', () => {
  const offScreen = (): { screen: ViewsOnScreen; release: () => void } => {
    const screen = new ViewsOnScreen(undefined);
    return { screen, release: screen.hold() };
  };

  /** A session whose first automatic replay has run and whose second waits, messages arriving. */
  const secondWaiting = async (screen: ViewsOnScreen) => {
    const events: string[] = [];
    const { indexing, s } = slowSession(50, events, screen);
    indexing.scheduleAutoSync(s);
    await idle(indexing);
    indexing.noteIntakeActivity();
    indexing.scheduleAutoSync(s);
    return { events, indexing, s };
  };

  it('the next waits while messages keep arriving and runs once the intake is quiet', async () => {
    const { screen } = offScreen();
    const { events, indexing } = await secondWaiting(screen);
    // On screen it would wait 3 × ~50 ms; here it waits as long as activity keeps coming.
    let lastActivity = performance.now();
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      indexing.noteIntakeActivity();
      lastActivity = performance.now();
    }
    expect(events).toEqual(['read']);
    expect(indexing.current().busy).toBe(true); // the views are behind, and say so
    await idle(indexing);
    expect(events).toEqual(['read', 'read']);
    expect(performance.now() - lastActivity).toBeGreaterThanOrEqual(INTAKE_QUIET_MS);
  }, 10_000);

  it('a page that reads the views, shown again, starts the waiting replay at once', async () => {
    const { screen, release } = offScreen();
    const { events, indexing } = await secondWaiting(screen);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual(['read']);
    const shown = performance.now();
    release();
    await idle(indexing);
    expect(events).toEqual(['read', 'read']);
    expect(performance.now() - shown).toBeLessThan(INTAKE_QUIET_MS / 2);
  });

  it('a task queued meanwhile still starts the waiting replay first', async () => {
    const { screen } = offScreen();
    const { events, indexing, s } = await secondWaiting(screen);
    await indexing.enqueue(s, async () => void events.push('task'));
    expect(events).toEqual(['read', 'read', 'task']);
  });

  it('off screen the wait is until the intake is quiet, not a share of the last replay', async () => {
    const { screen } = offScreen();
    const { indexing, s } = slowSession(20, [], screen);
    indexing.noteIntakeActivity();
    expect(indexing.autoSyncWait(s)).toBe(0); // no replay yet: the first runs at once
    indexing.scheduleAutoSync(s);
    await idle(indexing);
    indexing.noteIntakeActivity();
    const wait = indexing.autoSyncWait(s);
    expect(wait).toBeGreaterThan(INTAKE_QUIET_MS - 50);
    expect(wait).toBeLessThanOrEqual(INTAKE_QUIET_MS + 1);
    expect(wait).toBeGreaterThan(AUTO_SYNC_SHARE_WAIT_BOUND);
  });

  it('a hidden window is off screen; shown again, it tells the listeners', () => {
    const doc = { visibilityState: 'visible' as DocumentVisibilityState, listener: null as (() => void) | null, addEventListener: (_: string, listener: () => void) => void (doc.listener = listener) };
    const screen = new ViewsOnScreen(doc as never);
    let heard = 0;
    screen.subscribe(() => heard++);
    expect(screen.onScreen()).toBe(true);
    doc.visibilityState = 'hidden';
    doc.listener!();
    expect(screen.onScreen()).toBe(false);
    expect(heard).toBe(0);
    doc.visibilityState = 'visible';
    doc.listener!();
    expect(heard).toBe(1);
    const release = screen.hold();
    expect(screen.onScreen()).toBe(false);
    release();
    release(); // once
    expect(heard).toBe(2);
    expect(screen.onScreen()).toBe(true);
  });
});
