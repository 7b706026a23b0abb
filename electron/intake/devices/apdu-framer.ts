import type { Timers } from './manager';

/**
 * Cuts a byte stream (a serial line, a TCP connection) into 20601 APDUs by their 4-byte header:
 * an APDU choice (0xE2..0xE7 then 0x00) and a 16-bit length. Split APDUs wait for their rest,
 * coalesced ones are cut apart; bytes that cannot start an APDU are skipped up to the next
 * plausible header (resync) and reported; a length above the cap is refused (the header is
 * skipped and the framer resyncs) so nothing is ever allocated from a length field; a partial
 * APDU that gets no byte for `idleMs` is discarded and reported (a cable pulled mid-frame, an
 * outer length too long). Memory is bounded by the cap: the buffer never holds more than one
 * APDU's worth plus what one chunk brought.
 */

export interface FramerOptions {
  readonly onApdu: (apdu: Uint8Array) => void;
  /** Bytes skipped (resync, over the cap, idle partial frame), at most `maxApdu` of them, and why. */
  readonly onDiscard: (bytes: Uint8Array, reason: string) => void;
  /** Largest APDU accepted, header included (default 16 KiB; 20601's largest is 64 KiB + 4). */
  readonly maxApdu?: number;
  /** A partial APDU with no new byte for this long is discarded (default 3 s). */
  readonly idleMs?: number;
  readonly timers?: Timers;
}

const HEADER = 4;

function plausibleHeaderAt(buffer: Uint8Array, at: number): boolean {
  const first = buffer[at]!;
  if (first < 0xe2 || first > 0xe7) return false;
  return at + 1 >= buffer.length || buffer[at + 1] === 0x00;
}

const realTimers: Timers = { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

export class ApduFramer {
  private buffer: Uint8Array = new Uint8Array(0);
  private readonly maxApdu: number;
  private readonly idleMs: number;
  private readonly timers: Timers;
  private idleTimer: unknown = undefined;

  constructor(private readonly options: FramerOptions) {
    this.maxApdu = Math.min(options.maxApdu ?? 16 * 1024, 0xffff + HEADER);
    this.idleMs = options.idleMs ?? 3_000;
    this.timers = options.timers ?? realTimers;
  }

  /** Bytes held for an incomplete APDU. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.buffer = this.buffer.length === 0 ? Uint8Array.from(chunk) : concat(this.buffer, chunk);
    this.cut();
    this.armIdle();
  }

  /** Drops whatever partial APDU is held (the manager aborted; the stream starts over). */
  flush(reason: string): void {
    if (this.buffer.length > 0) this.discard(this.buffer.length, reason);
    this.stopIdle();
  }

  dispose(): void {
    this.stopIdle();
    this.buffer = new Uint8Array(0);
  }

  private cut(): void {
    for (;;) {
      if (this.buffer.length === 0) return;
      if (!plausibleHeaderAt(this.buffer, 0)) {
        let next = 1;
        while (next < this.buffer.length && !plausibleHeaderAt(this.buffer, next)) next++;
        this.discard(next, 'bytes that do not start an APDU');
        continue;
      }
      if (this.buffer.length < HEADER) return;
      const length = (this.buffer[2]! << 8) | this.buffer[3]!;
      const total = HEADER + length;
      if (total > this.maxApdu) {
        this.discard(HEADER, `an APDU header declares ${total} bytes, over the ${this.maxApdu}-byte limit`);
        continue;
      }
      if (this.buffer.length < total) return;
      const apdu = this.buffer.slice(0, total);
      this.buffer = this.buffer.slice(total);
      this.options.onApdu(apdu);
    }
  }

  private discard(count: number, reason: string): void {
    const dropped = this.buffer.slice(0, Math.min(count, this.maxApdu));
    this.buffer = this.buffer.slice(count);
    this.options.onDiscard(dropped, reason);
  }

  private armIdle(): void {
    this.stopIdle();
    if (this.buffer.length === 0) return;
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.buffer.length > 0) this.discard(this.buffer.length, `a partial APDU (${this.buffer.length} bytes) got no further byte for ${this.idleMs} ms`);
    }, this.idleMs);
  }

  private stopIdle(): void {
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
