import { describe, expect, it } from 'vitest';
import { DatasetStream } from '../../../../electron/intake/dicom/dataset-stream';

describe('a C-STORE data set as a stream with bounded memory', () => {
  it('tells the producer to stop reading above the high-water mark and to read again below half of it', async () => {
    const signals: boolean[] = [];
    const stream = new DatasetStream(1000, (stop) => signals.push(stop));
    for (let i = 0; i < 5; i++) stream.push(Buffer.alloc(300), false);
    expect(signals).toEqual([true]);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    await iterator.next();
    // 600 bytes still queued: above half the mark, still stopped.
    expect(signals).toEqual([true]);
    await iterator.next();
    expect(signals).toEqual([true, false]);
    stream.push(Buffer.alloc(10), true);
    let rest = 0;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) rest += next.value.length;
    expect(rest).toBe(310);
    expect(stream.received).toBe(1510);
  });

  it('fails the reader when the association ends early, and drops what still comes once the reader stopped', async () => {
    const failing = new DatasetStream(1000, () => undefined);
    failing.push(Buffer.alloc(10), false);
    const reading = (async () => {
      for await (const _ of failing) void _;
    })();
    failing.fail(new Error('The association ended before the data set was complete.'));
    await expect(reading).rejects.toThrow(/ended before/);

    const signals: boolean[] = [];
    const dropped = new DatasetStream(100, (stop) => signals.push(stop));
    const iterator = dropped[Symbol.asyncIterator]();
    dropped.push(Buffer.alloc(50), false);
    await iterator.next();
    await iterator.return(undefined);
    for (let i = 0; i < 10; i++) dropped.push(Buffer.alloc(100), i === 9);
    // Nothing is kept for a reader that is gone: no pressure, whatever is sent.
    expect(signals).toEqual([]);
    expect(dropped.complete).toBe(true);
  });

  it('fills a buffer with the first bytes as they arrive, copying fragments of a reused read buffer, and queues the rest', async () => {
    const signals: boolean[] = [];
    const stream = new DatasetStream(1000, (stop) => signals.push(stop));
    const read = Buffer.alloc(64);
    const arrive = (value: number, length: number, last = false) => {
      read.fill(value, 0, length);
      stream.push(read.subarray(0, length), last, true);
      read.fill(0xee); // read into again
    };
    arrive(1, 10); // before the consumer asks: queued as a copy
    const target = Buffer.alloc(40);
    const filling = stream.fill(target, 4, 30);
    arrive(2, 10);
    arrive(3, 20); // 6 of these fit up to 30; 14 are queued
    await expect(filling).resolves.toEqual({ bytes: 30, complete: false });
    expect([...target.subarray(0, 30)]).toEqual([...Array(4).fill(0), ...Array(10).fill(1), ...Array(10).fill(2), ...Array(6).fill(3)]);
    arrive(4, 5, true);
    const rest: number[] = [];
    for await (const piece of stream) rest.push(...piece);
    expect(rest).toEqual([...Array(14).fill(3), ...Array(5).fill(4)]);
    expect(stream.received).toBe(45);
    expect(signals).toEqual([]);

    const whole = new DatasetStream(1000, () => undefined);
    const into = Buffer.alloc(100);
    const done = whole.fill(into, 0, 100);
    whole.push(Buffer.from([7, 8, 9]), true, true);
    await expect(done).resolves.toEqual({ bytes: 3, complete: true });

    const failing = new DatasetStream(1000, () => undefined);
    const waiting = failing.fill(Buffer.alloc(10), 0, 10);
    failing.fail(new Error('The association ended before the data set was complete.'));
    await expect(waiting).rejects.toThrow(/ended before/);
  });
});
