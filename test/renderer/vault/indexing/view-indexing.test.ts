import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { AUTO_SYNC_MAX_WAIT_MS, ViewIndexing } from '../../../../renderer/vault/indexing/view-indexing';
import type { SessionState, VaultSession } from '../../../../renderer/vault/session/vault-session';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';

/** A session whose journal is empty and whose every read takes `readMs`: a replay then takes about that long. */
function slowSession(readMs: number, events: string[]) {
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
  return { indexing: new ViewIndexing(api as never, state), s };
}

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
