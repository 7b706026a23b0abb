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
});
