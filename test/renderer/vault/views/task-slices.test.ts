import { describe, expect, it } from 'vitest';
import { mapInSlices, SLICE_BUDGET_MS, TaskSlicer, yieldToEventLoop } from '../../../../renderer/vault/views/task-slices';

/** A clock the test moves, and a yielder that counts (and resolves at once). */
function fakeSlicer(budgetMs = SLICE_BUDGET_MS) {
  const clock = { now: 0 };
  const yields: number[] = [];
  const slicer = new TaskSlicer(
    budgetMs,
    async () => {
      yields.push(clock.now);
    },
    () => clock.now,
  );
  return { clock, yields, slicer };
}

describe('TaskSlicer', () => {
  it('yields only once a slice has used its budget, then starts a new slice', async () => {
    const { clock, yields, slicer } = fakeSlicer(10);
    clock.now = 9;
    await slicer.checkpoint();
    expect(yields).toEqual([]);
    clock.now = 10;
    await slicer.checkpoint();
    expect(yields).toEqual([10]);
    clock.now = 15; // 5 ms into the new slice
    await slicer.checkpoint();
    expect(yields).toEqual([10]);
    clock.now = 20;
    await slicer.checkpoint();
    expect(yields).toEqual([10, 20]);
  });

  it('keeps its budget well under the 50 ms of a long task', () => {
    expect(SLICE_BUDGET_MS).toBeGreaterThan(0);
    expect(SLICE_BUDGET_MS).toBeLessThan(50);
  });
});

describe('mapInSlices', () => {
  it('maps every item in order, at most `group` at a time, with a checkpoint after each group', async () => {
    const { clock, yields, slicer } = fakeSlicer(10);
    let running = 0;
    let most = 0;
    const results = await mapInSlices(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      async (item) => {
        running++;
        most = Math.max(most, running);
        await Promise.resolve();
        clock.now += 4; // each item costs 4 ms of the slice
        running--;
        return item * 2;
      },
      slicer,
    );
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(most).toBe(3);
    // Groups of 3, 3, 3, 1 cost 12, 12, 12, 4 ms: each of the first three ends a slice of 10 ms.
    expect(yields).toEqual([12, 24, 36]);
  });

  it('with groups of one, a slice can end after any item', async () => {
    const { clock, yields, slicer } = fakeSlicer(10);
    await mapInSlices([5, 5, 5, 5, 5, 5], 1, async (cost) => void (clock.now += cost), slicer);
    expect(yields).toEqual([10, 20, 30]);
  });

  it('refuses a group size that is not a positive whole number', async () => {
    const { slicer } = fakeSlicer();
    await expect(mapInSlices([1], 0, async (x) => x, slicer)).rejects.toThrow(RangeError);
    await expect(mapInSlices([1], 1.5, async (x) => x, slicer)).rejects.toThrow(RangeError);
  });
});

describe('yieldToEventLoop', () => {
  it('resolves in a later task, not within the microtasks of the current one', async () => {
    let resumed = false;
    const yielded = yieldToEventLoop().then(() => {
      resumed = true;
    });
    // A long chain of microtasks (what awaiting WebCrypto in Chromium amounts to) runs first, in full.
    let seenResumed = false;
    let chain = Promise.resolve();
    for (let i = 0; i < 10_000; i++) {
      chain = chain.then(() => {
        seenResumed ||= resumed;
      });
    }
    await chain;
    expect(seenResumed).toBe(false);
    await yielded;
    expect(resumed).toBe(true);
  });

  it('yields many times over without piling up handles', async () => {
    // An open MessagePort keeps an event loop alive (in Node, and a page's memory in Chromium).
    const openPorts = (): number => process.getActiveResourcesInfo().filter((name) => name === 'MessagePort').length;
    const before = openPorts();
    for (let i = 0; i < 200; i++) await yieldToEventLoop();
    expect(openPorts()).toBe(before);
  });

  it('the port count above sees a port left open', async () => {
    // Guards the previous test against passing because it counts nothing.
    const openPorts = (): number => process.getActiveResourcesInfo().filter((name) => name === 'MessagePort').length;
    const before = openPorts();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => undefined;
    expect(openPorts()).toBe(before + 1);
    channel.port1.close();
    await yieldToEventLoop();
    expect(openPorts()).toBe(before);
  });
});
