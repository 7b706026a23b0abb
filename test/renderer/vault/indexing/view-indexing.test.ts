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
  it('the first runs at once; the next waits twice as long as the last took (a third of the time indexing), busy meanwhile', async () => {
    const events: string[] = [];
    const { indexing, s } = slowSession(300, events);
    indexing.scheduleAutoSync(s);
    expect(events).toEqual([]); // queued behind the session's queue, started in a microtask
    await idle(indexing);
    expect(events).toEqual(['read']);

    indexing.scheduleAutoSync(s);
    const wait = indexing.autoSyncWait(s);
    // 2 × at least 300 ms, less the few ms since it ended.
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
    indexing.scheduleAutoSync(s);
    expect(indexing.autoSyncWait(s)).toBeGreaterThan(100);
    await indexing.enqueue(s, async () => void events.push('task'));
    expect(events).toEqual(['read', 'read', 'task']);
    await idle(indexing);
    expect(events).toEqual(['read', 'read', 'task']); // the timer was cleared: no third replay
  });
});
