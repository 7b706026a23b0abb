import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../electron/intake/buffer-pool';

describe('BufferPool', () => {
  it('hands out views of the requested length over buffers of its capacity, and null past the capacity', () => {
    const pool = new BufferPool(1024, 2);
    const view = pool.take(100)!;
    expect(view).toBeInstanceOf(Buffer);
    expect(view.length).toBe(100);
    expect(view.byteOffset).toBe(0);
    expect(view.buffer.byteLength).toBe(1024);
    expect(pool.take(1024)!.length).toBe(1024);
    expect(pool.take(1025)).toBeNull();
  });

  it('hands a buffer given back out again, and never one that is still taken', () => {
    const pool = new BufferPool(64, 4);
    const a = pool.take(10)!;
    const b = pool.take(10)!;
    expect(b.buffer).not.toBe(a.buffer);
    pool.give(a);
    expect(pool.freeCount).toBe(1);
    const c = pool.take(64)!;
    expect(c.buffer).toBe(a.buffer);
    expect(pool.freeCount).toBe(0);
    expect(pool.take(5)!.buffer).not.toBe(b.buffer);
  });

  it('keeps at most maxFree buffers, ignores a buffer it did not make, and a buffer given twice waits once', () => {
    const pool = new BufferPool(32, 2);
    const taken = [pool.take(1)!, pool.take(1)!, pool.take(1)!];
    for (const view of taken) pool.give(view);
    expect(pool.freeCount).toBe(2);
    pool.give(Buffer.alloc(32));
    pool.give(new Uint8Array(new ArrayBuffer(32)));
    expect(pool.freeCount).toBe(2);

    const single = new BufferPool(32, 4);
    const view = single.take(8)!;
    single.give(view);
    single.give(view);
    expect(single.freeCount).toBe(1);
    expect(single.take(8)!.buffer).toBe(view.buffer);
    expect(single.take(8)!.buffer).not.toBe(view.buffer);
  });

  it('wipes the bytes a holder used when it gives them back, kept or not: no plaintext waits in an idle pool', () => {
    const pool = new BufferPool(64, 1);
    const kept = pool.take(40)!;
    const dropped = pool.take(40)!;
    kept.fill(0x41);
    dropped.fill(0x42);
    const keptBytes = new Uint8Array(kept.buffer);
    const droppedBytes = new Uint8Array(dropped.buffer);
    pool.give(kept);
    pool.give(dropped); // the pool is full: dropped, but wiped first
    expect(pool.freeCount).toBe(1);
    expect(keptBytes.every((byte) => byte === 0)).toBe(true);
    expect(droppedBytes.every((byte) => byte === 0)).toBe(true);
    // A view of something else is left alone.
    const foreign = Buffer.alloc(8, 7);
    pool.give(foreign);
    expect(foreign.every((byte) => byte === 7)).toBe(true);
  });
});
