/**
 * Long work on the mind's main thread (replaying thousands of journal records: opening sealed
 * metadata, validating it, blind tokens, encrypting rows) in bounded slices, so that input,
 * rendering, timers and the contract's messages get their turn in between (design §8: no
 * main-thread task over 100 ms while a 10k-message ingest is indexed).
 *
 * Awaiting WebCrypto does not by itself end a task: Chromium answers small operations (HMAC,
 * AES-GCM, ECDH) within the calling task, so an `async` loop over 500 records held the thread for
 * up to a second. A slice therefore ends only by yielding to the event loop with a new macrotask.
 */

/** How long one slice may run before the work yields: well under the 50 ms of a "long task". */
export const SLICE_BUDGET_MS = 12;

export type Yielder = () => Promise<void>;

/**
 * Lets the event loop run before the caller continues: a message to a fresh MessageChannel (a new
 * task at normal priority, without the 4 ms clamp that nested timers get), else setTimeout 0.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Counts the time of the current slice and yields once it exceeds the budget. */
export class TaskSlicer {
  private sliceStart: number;

  constructor(
    private readonly budgetMs = SLICE_BUDGET_MS,
    private readonly yieldNow: Yielder = yieldToEventLoop,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sliceStart = now();
  }

  /** Yields to the event loop when the current slice has used its budget; then a new slice starts. */
  async checkpoint(): Promise<void> {
    if (this.now() - this.sliceStart < this.budgetMs) return;
    await this.yieldNow();
    this.sliceStart = this.now();
  }
}

/**
 * `map` over `items` in groups of `group` items that run concurrently (their crypto overlaps where
 * it runs off the thread, as in Node), with a checkpoint after each group; the results in the
 * order of `items`.
 */
export async function mapInSlices<T, R>(items: readonly T[], group: number, map: (item: T) => Promise<R>, slicer: TaskSlicer): Promise<R[]> {
  if (!Number.isInteger(group) || group < 1) throw new RangeError('mapInSlices: the group size must be a positive integer.');
  const results: R[] = [];
  for (let start = 0; start < items.length; start += group) {
    results.push(...(await Promise.all(items.slice(start, start + group).map(map))));
    await slicer.checkpoint();
  }
  return results;
}
