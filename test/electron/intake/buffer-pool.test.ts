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
});
