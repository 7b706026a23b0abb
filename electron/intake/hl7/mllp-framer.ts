/**
 * A streaming MLLP deframer (HL7 v2 Minimal Lower Layer Protocol, release 1/2 framing):
 *
 *   <SB = 0x0B> payload <EB = 0x1C> <CR = 0x0D>
 *
 * Pure: bytes in, events out, no sockets and no timers (the listener's idle timeout deals with a
 * frame whose trailer never comes). What it tolerates and how:
 *
 * - several frames in one chunk, one frame over many chunks, the trailer split between chunks;
 * - bytes outside a frame: whitespace (CR, LF, space, tab; e.g. a LF after `1C 0D`) is ignored
 *   silently; anything else is junk, skipped and reported as one `junk` event per run;
 * - a frame larger than `maxMessageBytes`: one `oversize` event (with the frame's first bytes, so
 *   the listener can answer AR echoing MSH-10) when the frame ends, and everything up to the end of
 *   that frame is discarded; a new SB (0x0B) also ends it (resynchronization);
 * - a start byte inside a frame: the unfinished frame is given up (`incomplete` event) and a new
 *   one starts: 0x0B may not appear in an MLLP payload, so the sender has restarted;
 * - 0x1C not followed by 0x0D is kept as payload (only `1C 0D` ends a frame).
 */

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** The default cap on one frame's payload: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How many bytes of an oversize frame are kept to answer it (its MSH). */
export const OVERSIZE_HEAD_BYTES = 4096;

export type MllpEvent =
  | { readonly type: 'frame'; readonly frame: Buffer }
  | { readonly type: 'oversize'; readonly head: Buffer; readonly bytes: number }
  | { readonly type: 'junk'; readonly bytes: number }
  | { readonly type: 'incomplete'; readonly bytes: number };

export interface MllpDeframerOptions {
  readonly maxMessageBytes?: number;
}

type State = 'idle' | 'frame' | 'discard';

function isWhitespace(byte: number): boolean {
  return byte === 0x0d || byte === 0x0a || byte === 0x20 || byte === 0x09;
}

export class MllpDeframer {
  readonly #max: number;
  #state: State = 'idle';
  #parts: Buffer[] = [];
  #length = 0;
  /** The previous chunk ended on 0x1C inside a frame (it is not yet in #parts). */
  #pendingEnd = false;
  #junkRun = 0;
  #discarded = 0;
  #head: Buffer = Buffer.alloc(0);
  /** Totals, for the monitor and tests. */
  junkBytes = 0;
  framesOut = 0;

  constructor(options: MllpDeframerOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new RangeError('maxMessageBytes must be a positive integer.');
  }

  /** True while a frame has started and its trailer has not arrived (the idle timeout's concern). */
  get inFrame(): boolean {
    return this.#state !== 'idle';
  }

  /** Bytes of the unfinished frame held in memory. */
  get pendingBytes(): number {
    return this.#length + (this.#pendingEnd ? 1 : 0);
  }

  push(chunk: Uint8Array): MllpEvent[] {
    const events: MllpEvent[] = [];
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < data.length) {
      if (this.#state === 'idle') i = this.#scanIdle(data, i, events);
      else i = this.#scanFrame(data, i, events);
    }
    this.#flushJunk(events);
    return events;
  }

  /** The stream ended: an unfinished frame is reported and dropped. */
  end(): MllpEvent[] {
    const events: MllpEvent[] = [];
    this.#flushJunk(events);
    if (this.#state !== 'idle') {
      events.push({ type: 'incomplete', bytes: this.#state === 'discard' ? this.#discarded : this.pendingBytes });
      this.#reset();
    }
    return events;
  }

  #reset(): void {
    this.#state = 'idle';
    this.#parts = [];
    this.#length = 0;
    this.#pendingEnd = false;
    this.#discarded = 0;
    this.#head = Buffer.alloc(0);
  }

  #flushJunk(events: MllpEvent[]): void {
    if (this.#junkRun > 0) {
      events.push({ type: 'junk', bytes: this.#junkRun });
      this.junkBytes += this.#junkRun;
      this.#junkRun = 0;
    }
  }

  #scanIdle(data: Buffer, from: number, events: MllpEvent[]): number {
    const start = data.indexOf(MLLP_START, from);
    const stop = start < 0 ? data.length : start;
    for (let j = from; j < stop; j++) if (!isWhitespace(data[j]!)) this.#junkRun++;
    if (start < 0) return data.length;
    this.#flushJunk(events);
    this.#state = 'frame';
    return start + 1;
  }

  #append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#state === 'discard') {
      this.#discarded += piece.length;
      return;
    }
    if (this.#length + piece.length > this.#max) {
      // Keep the first bytes (the MSH) to answer with, drop the rest as it comes.
      const head: Buffer[] = [];
      let kept = 0;
      for (const part of [...this.#parts, piece]) {
        if (kept >= OVERSIZE_HEAD_BYTES) break;
        const take = part.subarray(0, OVERSIZE_HEAD_BYTES - kept);
        head.push(take);
        kept += take.length;
      }
      this.#head = Buffer.concat(head, kept);
      this.#discarded = this.#length + piece.length;
      this.#parts = [];
      this.#length = 0;
      this.#state = 'discard';
      return;
    }
    this.#parts.push(piece);
    this.#length += piece.length;
  }

  #finish(events: MllpEvent[]): void {
    if (this.#state === 'discard') {
      events.push({ type: 'oversize', head: this.#head, bytes: this.#discarded });
    } else {
      const frame = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
      // A copy only when the frame is a view of a larger chunk the caller may reuse.
      events.push({ type: 'frame', frame: this.#parts.length === 1 ? Buffer.from(frame) : frame });
      this.framesOut++;
    }
    this.#reset();
  }

  #restart(events: MllpEvent[]): void {
    if (this.#state === 'discard') events.push({ type: 'oversize', head: this.#head, bytes: this.#discarded });
    else events.push({ type: 'incomplete', bytes: this.pendingBytes });
    this.#reset();
    this.#state = 'frame';
  }

  #scanFrame(data: Buffer, from: number, events: MllpEvent[]): number {
    let i = from;
    if (this.#pendingEnd) {
      this.#pendingEnd = false;
      if (data[i] === MLLP_CR) {
        this.#finish(events);
        return i + 1;
      }
      this.#append(Buffer.from([MLLP_END]));
    }
    for (;;) {
      const end = data.indexOf(MLLP_END, i);
      const start = data.indexOf(MLLP_START, i);
      if (start >= 0 && (end < 0 || start < end)) {
        this.#append(data.subarray(i, start));
        this.#restart(events);
        return start + 1;
      }
      if (end < 0) {
        this.#append(data.subarray(i));
        return data.length;
      }
      if (end === data.length - 1) {
        this.#append(data.subarray(i, end));
        this.#pendingEnd = true;
        return data.length;
      }
      if (data[end + 1] === MLLP_CR) {
        this.#append(data.subarray(i, end));
        this.#finish(events);
        return end + 2;
      }
      // A lone 0x1C is payload: keep scanning after it.
      this.#append(data.subarray(i, end + 1));
      i = end + 1;
    }
  }
}

/** Wraps one payload (an ACK) in an MLLP frame. */
export function mllpFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 3);
  out[0] = MLLP_START;
  out.set(payload, 1);
  out[payload.length + 1] = MLLP_END;
  out[payload.length + 2] = MLLP_CR;
  return out;
}
