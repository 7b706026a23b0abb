import { describe, expect, it } from 'vitest';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { PlaintextRanges } from '../../../../../../renderer/features/imaging/viewer/decode/ranged-instance';
import { nodeCodecs } from '../node-codecs';
import { imageElements, part10, TS } from '../viewer-fixtures';

/**
 * A multi-frame read in ranges (over 4 MiB, within the 64 MiB whole-read allowance) is read on in
 * the background after its first frame, in large sequential ranges, so scrolling and cine find its
 * frames in memory (H1b: reading each frame from the body when asked for cut cine to 2-4 frames/s).
 */
const SIZE = 64;
const FRAMES = 9;
const CHUNK = 8 * 1024;
const ALLOWED = { readWholeUpTo: 64 * 1024 * 1024 };

function multiFrame(uid: string): Uint8Array {
  const pixels = Buffer.alloc(FRAMES * SIZE * SIZE * 2);
  for (let i = 0; i < pixels.length; i += 2) pixels.writeUInt16LE(((i >>> 1) * 7 + (i >>> 13)) % 4096, i);
  return new Uint8Array(part10(imageElements({ sopInstanceUid: uid, rows: SIZE, columns: SIZE, bitsAllocated: 16, bitsStored: 12, frames: FRAMES, pixelData: pixels }), TS.explicitLittle));
}

/** Reads over plain bytes, logged; `hold` keeps reads that start at or past an offset pending until `release`. */
function loggedRanges(bytes: Uint8Array) {
  const reads: [number, number][] = [];
  let held: (() => void)[] = [];
  let holdFrom = Infinity;
  const ranges: PlaintextRanges = {
    size: bytes.length,
    read(offset, length) {
      reads.push([offset, length]);
      const piece = bytes.slice(offset, Math.min(bytes.length, offset + length));
      if (offset < holdFrom) return Promise.resolve(piece);
      return new Promise((resolve) => held.push(() => resolve(piece)));
    },
  };
  return {
    ranges,
    reads,
    hold(from: number) {
      holdFrom = from;
    },
    release() {
      holdFrom = Infinity;
      const waiting = held;
      held = [];
      for (const resume of waiting) resume();
    },
    get pending() {
      return held.length;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('instances read in ranges: the rest read in the background after the first frame', () => {
  it('after the first frame, the whole instance is read in sequential ranges and frames 1..n are served without further reads', async () => {
    const bytes = multiFrame('2.25.515151');
    expect(bytes.length).toBeGreaterThan(4 * CHUNK);
    const codecs = nodeCodecs();
    const whole = new InstanceDecoder(codecs);
    await whole.open('whole', bytes, true);
    const log = loggedRanges(bytes);
    const decoder = new InstanceDecoder(codecs, 24, CHUNK);
    const opened = await decoder.openRanged('mf', log.ranges, true, ALLOWED);
    expect(opened.first).toEqual(await whole.frame('whole', 0));
    // Nothing read in the background before the first frame was answered.
    const atFirstFrame = log.reads.length;
    await decoder.prefetched('mf');
    const background = log.reads.slice(atFirstFrame);
    expect(background.length).toBe(Math.ceil(bytes.length / CHUNK));
    background.forEach(([offset, length], i) => {
      expect(offset).toBe(i * CHUNK);
      expect(length).toBe(Math.min(CHUNK, bytes.length - offset));
    });
    const done = log.reads.length;
    for (let frame = 1; frame < FRAMES; frame++) expect(await decoder.frame('mf', frame)).toEqual(await whole.frame('whole', frame));
    expect(await decoder.frame('mf', 0)).toEqual(await whole.frame('whole', 0));
    expect(log.reads.length).toBe(done);
  });

  it('a frame asked for before the background read reaches it is read on demand, and is the same frame', async () => {
    const bytes = multiFrame('2.25.515152');
    const codecs = nodeCodecs();
    const whole = new InstanceDecoder(codecs);
    await whole.open('whole', bytes, true);
    const log = loggedRanges(bytes);
    const decoder = new InstanceDecoder(codecs, 24, CHUNK);
    await decoder.openRanged('mf', log.ranges, true, ALLOWED);
    // The background read stalls in its first range.
    log.hold(0);
    await tick();
    expect(log.pending).toBeGreaterThan(0);
    log.hold(Infinity);
    expect(await decoder.frame('mf', FRAMES - 1)).toEqual(await whole.frame('whole', FRAMES - 1));
    log.release();
    await decoder.prefetched('mf');
    const done = log.reads.length;
    expect(await decoder.frame('mf', FRAMES - 2)).toEqual(await whole.frame('whole', FRAMES - 2));
    expect(log.reads.length).toBe(done);
  });

  it('opening another instance read in ranges stops the background read and drops what it read; closing and resetting do too', async () => {
    const codecs = nodeCodecs();
    const first = loggedRanges(multiFrame('2.25.515153'));
    const decoder = new InstanceDecoder(codecs, 24, CHUNK);
    await decoder.openRanged('a', first.ranges, true, ALLOWED);
    // Let two ranges arrive, then stall the rest.
    first.hold(2 * CHUNK);
    await tick();
    await tick();
    expect(first.pending).toBeGreaterThan(0);
    const second = loggedRanges(multiFrame('2.25.515154'));
    await decoder.openRanged('b', second.ranges, false, ALLOWED);
    const before = first.reads.length;
    first.release();
    await decoder.prefetched('a');
    await tick();
    // No range read past the one in flight when 'b' was opened…
    expect(first.reads.length).toBe(before);
    // …and nothing of 'a' kept: its frames are read on demand again.
    await decoder.frame('a', 1);
    expect(first.reads.length).toBeGreaterThan(before);

    for (const leave of [(d: InstanceDecoder) => d.close('c'), (d: InstanceDecoder) => d.reset()]) {
      const third = loggedRanges(multiFrame('2.25.515155'));
      await decoder.openRanged('c', third.ranges, true, ALLOWED);
      third.hold(CHUNK);
      await tick();
      await tick();
      leave(decoder);
      const stopped = third.reads.length;
      third.release();
      await tick();
      await tick();
      expect(third.reads.length).toBe(stopped);
    }
  });

  it('no background read past the whole-read allowance, nor for a single frame', async () => {
    const codecs = nodeCodecs();
    const big = loggedRanges(multiFrame('2.25.515156'));
    const decoder = new InstanceDecoder(codecs, 24, CHUNK);
    await decoder.openRanged('big', big.ranges, true, { readWholeUpTo: 0 });
    const opened = big.reads.length;
    await decoder.prefetched('big');
    await tick();
    expect(big.reads.length).toBe(opened);
  });
});
