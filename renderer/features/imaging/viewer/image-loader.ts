import type { InstanceSource } from '../../../vault/vault-service';
import type { TagRow } from '../../../../shared/dicom/tag-list';
import type { InstanceOverview } from './decode/decode-protocol';
import type { DecodedFrame } from './pixels/pixel-module';

/** What the loader needs: the instance (sealed, from the vault) and a decoder (the worker, which decrypts it). */
export interface LoaderPorts {
  readonly source: (instanceId: string) => Promise<InstanceSource>;
  readonly decoder: {
    open(key: string, source: InstanceSource, decodeFirst: boolean): Promise<InstanceOverview>;
    frame(key: string, frame: number): Promise<DecodedFrame>;
    tags(key: string): Promise<readonly TagRow[]>;
  };
}

/** The worker's answer for an instance it no longer holds (it keeps a bounded number open: InstanceDecoder). */
const notOpen = (error: unknown) => error instanceof Error && error.message.includes('no longer open');

/** Prefetches at once: instances (each read whole, or its first frame) and frames of one multi-frame (each a ranged read). */
const INSTANCES_IN_FLIGHT = 3;
const FRAMES_IN_FLIGHT = 5;

const frameKey = (instanceId: string, frame: number) => `${instanceId}#${frame}`;
const frameBytes = (frame: DecodedFrame) => frame.pixels.byteLength;

/**
 * Instances and their decoded frames for the viewer, in memory only: each instance is read from
 * the vault and parsed once (concurrent asks share one load); frames are kept up to a byte budget,
 * the least recently used dropped first. `prefetch` loads the frames of a stack around the one
 * shown, a few at a time, so scrolling finds them decoded. Whatever asks the worker for an
 * instance's data (a frame, its tags) goes through `whileOpen`: the worker keeps only the instances
 * opened last, and one it let go is read and opened again.
 */
export class ImageLoader {
  private readonly overviews = new Map<string, Promise<InstanceOverview>>();
  private readonly frames = new Map<string, DecodedFrame>();
  private readonly inflight = new Map<string, Promise<DecodedFrame>>();
  private readonly reopening = new Map<string, Promise<unknown>>();
  private held = 0;
  private prefetchGeneration = 0;
  /** The last prefetch's stack and center: which way the stack is being scrolled. */
  private lastPrefetch: { readonly stack: readonly unknown[]; readonly center: number } | null = null;
  private suspended = false;

  constructor(
    private readonly ports: LoaderPorts,
    private readonly budgetBytes = 768 * 1024 * 1024,
  ) {}

  overview(instanceId: string): Promise<InstanceOverview> {
    if (this.suspended) return Promise.reject(new Error('The viewer was closed.'));
    let promise = this.overviews.get(instanceId);
    if (promise === undefined) {
      promise = (async () => {
        const started = performance.now();
        const source = await this.ports.source(instanceId);
        if (this.suspended) throw new Error('The viewer was closed.');
        const read = performance.now();
        const overview = await this.ports.decoder.open(instanceId, source, true);
        // Timings only (no identifiers), for the benchmark's breakdown and the browser's profiler.
        performance.measure('hdms-viewer:read', { start: started, end: read });
        performance.measure('hdms-viewer:decode', { start: read });
        if (overview.first !== null && !this.suspended) this.keep(frameKey(instanceId, 0), overview.first);
        // The frame lives in the budgeted cache only.
        return { ...overview, first: null };
      })();
      promise.catch(() => this.overviews.delete(instanceId));
      this.overviews.set(instanceId, promise);
    }
    return promise;
  }

  /** A decoded frame: from memory, or decoded (the first ask of an instance reads and parses it). */
  async frame(instanceId: string, frame: number): Promise<DecodedFrame> {
    const key = frameKey(instanceId, frame);
    const cached = this.frames.get(key);
    if (cached !== undefined) {
      this.frames.delete(key);
      this.frames.set(key, cached);
      return cached;
    }
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const promise = (async () => {
      const overview = await this.overview(instanceId);
      if (overview.image === null) throw new Error('This instance has no image.');
      if (overview.firstError !== null) throw new Error(overview.firstError);
      const decoded = await this.whileOpen(instanceId, async () => this.frames.get(key) ?? (await this.ports.decoder.frame(instanceId, frame)));
      if (!this.suspended) this.keep(key, decoded);
      return decoded;
    })();
    this.inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  /** The instance's elements (the tag browser), read and opened first if it is not yet. */
  async tags(instanceId: string): Promise<readonly TagRow[]> {
    await this.overview(instanceId);
    return this.whileOpen(instanceId, () => this.ports.decoder.tags(instanceId));
  }

  /**
   * Asks the worker about an opened instance; if it no longer holds it, reads and opens it again
   * (one opening for the asks that found it gone together) and asks once more.
   */
  private async whileOpen<T>(instanceId: string, ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      if (!notOpen(error)) throw error;
    }
    let reopened = this.reopening.get(instanceId);
    if (reopened === undefined) {
      this.overviews.delete(instanceId);
      reopened = this.overview(instanceId).finally(() => this.reopening.delete(instanceId));
      this.reopening.set(instanceId, reopened);
    }
    await reopened;
    return ask();
  }

  /** Whether a frame is decoded and in memory (scrolling shows it at once). */
  has(instanceId: string, frame: number): boolean {
    return this.frames.has(frameKey(instanceId, frame));
  }

  /**
   * Loads the stack's frames outward from `center` (next first, then previous…), `parallel` at a
   * time; a newer prefetch supersedes this one. Failures are left to the frame's own display.
   * Once the stack is being scrolled (a previous prefetch of it had another center), the next
   * `2 × parallel` entries in that direction come first. Frames of one multi-frame are read in
   * ranges, one sealed range (a body slice over HTTP) per frame, so more are asked for at once
   * (FRAMES_IN_FLIGHT; the shell answers 8 per connection, Chromium opens 6 per host).
   */
  async prefetch(stack: readonly { readonly instanceId: string; readonly frame: number }[], center: number, parallel?: number): Promise<void> {
    const generation = ++this.prefetchGeneration;
    const direction = this.lastPrefetch?.stack === stack && this.lastPrefetch.center !== center ? Math.sign(center - this.lastPrefetch.center) : 0;
    this.lastPrefetch = { stack, center };
    const neighbour = stack[center + 1] ?? stack[center - 1];
    const inFlight = parallel ?? (neighbour !== undefined && neighbour.instanceId === stack[center]?.instanceId ? FRAMES_IN_FLIGHT : INSTANCES_IN_FLIGHT);
    const order: number[] = [];
    for (let d = 1; direction !== 0 && d <= 2 * inFlight && center + direction * d >= 0 && center + direction * d < stack.length; d++) order.push(center + direction * d);
    const ahead = order.length;
    for (let d = 1; order.length < stack.length - 1 && d < stack.length; d++) {
      if (center + d < stack.length && (direction !== 1 || d > ahead)) order.push(center + d);
      if (center - d >= 0 && (direction !== -1 || d > ahead)) order.push(center - d);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < order.length && generation === this.prefetchGeneration && !this.suspended) {
        const entry = stack[order[next++]!]!;
        if (this.has(entry.instanceId, entry.frame)) continue;
        // Keep room: stop once the budget is nearly used, so prefetching never evicts what is shown.
        if (this.held > this.budgetBytes * 0.9) return;
        await this.frame(entry.instanceId, entry.frame).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  }

  cancelPrefetch(): void {
    this.prefetchGeneration++;
  }

  /** Stops prefetching and forgets every frame and instance (the page closed; `resume` to use it again). */
  suspend(): void {
    this.suspended = true;
    this.cancelPrefetch();
    this.overviews.clear();
    this.frames.clear();
    this.held = 0;
  }

  resume(): void {
    this.suspended = false;
  }

  private keep(key: string, frame: DecodedFrame): void {
    const old = this.frames.get(key);
    if (old !== undefined) {
      this.held -= frameBytes(old);
      this.frames.delete(key);
    }
    this.frames.set(key, frame);
    this.held += frameBytes(frame);
    while (this.held > this.budgetBytes && this.frames.size > 1) {
      const [oldestKey, oldest] = this.frames.entries().next().value!;
      this.frames.delete(oldestKey);
      this.held -= frameBytes(oldest);
    }
  }
}
