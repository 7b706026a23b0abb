/**
 * Recycled byte buffers for the intake's large, short-lived copies: a C-STORE data set gathered
 * into one buffer, and its sealed envelope on its way to an object file. Allocated fresh, those two
 * copies were about 1 MiB of new ArrayBuffers per 512 KiB instance, and V8 answers a fast growth
 * of external memory with full mark-compacts: measured at eight associations, one every ~10
 * instances, with ~2 ms of GC CPU per instance on V8's threads besides the pauses of the receiver's
 * only thread. Recycling them cut the mark-compacts by about a third (15/14/11 → 9/7/10 per 160
 * instances) and the receiver's CPU per instance by ~12 % (README, "DICOM receiver").
 *
 * A buffer is given back only by a caller whose work with it has settled (nothing still reads or
 * writes it); a buffer never given back is simply collected. At most `maxFree` wait, so what the
 * pool holds is bounded by `capacity × maxFree` whatever the load. What a holder used is zeroed
 * when it is given back (a C-STORE head is plaintext PHI, which must not wait in an idle receiver
 * until the next association reuses its buffer); zeroing 512 KiB costs tens of microseconds
 * against milliseconds for the instance.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** The buffers this pool made: only those come back (a view of anything else is ignored). */
  private readonly made = new WeakSet<ArrayBuffer>();

  constructor(
    readonly capacity: number,
    private readonly maxFree: number,
  ) {}

  /**
   * A view of the first `length` bytes of a pooled buffer (its contents are left over from the last
   * use), or null when `length` is over the capacity: the caller then allocates as usual.
   */
  take(length: number): Buffer | null {
    if (length > this.capacity) return null;
    let buffer = this.free.pop();
    if (buffer === undefined) {
      buffer = new ArrayBuffer(this.capacity);
      this.made.add(buffer);
    }
    return Buffer.from(buffer, 0, length);
  }

  /**
   * Gives back the buffer under `view` (taken from this pool) after zeroing the bytes `view`
   * covers, whether the pool keeps the buffer or drops it; its holder must not touch it again.
   */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.made.has(buffer)) return;
    view.fill(0);
    if (this.free.length >= this.maxFree || this.free.includes(buffer)) return;
    this.free.push(buffer);
  }

  /** Buffers waiting to be taken again. */
  get freeCount(): number {
    return this.free.length;
  }
}
