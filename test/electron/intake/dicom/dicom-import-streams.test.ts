import { describe, expect, it } from 'vitest';
import type { DicomFileOutcome } from '../../../../electron/intake/dicom/dicom-import';
import { DicomImportStreams } from '../../../../electron/intake/dicom/dicom-import-streams';

const KiB = 1024;
const chunk = (size: number, fill = 1) => new Uint8Array(size).fill(fill);

/** Lets every pending callback and promise run (no clock involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A consumer that reads one piece per permit the test gives, and answers the bytes it read. */
function gatedConsumer() {
  const waiting: (() => void)[] = [];
  let permits = 0;
  let read = 0;
  const gate = (): Promise<void> => {
    if (permits > 0) {
      permits -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  return {
    get read() {
      return read;
    },
    allow(count: number): void {
      for (let i = 0; i < count; i++) {
        const next = waiting.shift();
        if (next !== undefined) next();
        else permits += 1;
      }
    },
    start: async (source: AsyncIterable<Buffer>): Promise<DicomFileOutcome> => {
      const iterator = source[Symbol.asyncIterator]();
      try {
        for (;;) {
          await gate();
          const next = await iterator.next();
          if (next.done === true) return { outcome: 'stored', seq: read };
          read += next.value.length;
        }
      } catch {
        return { outcome: 'failed', reason: 'cut' };
      }
    },
  };
}

describe('DicomImportStreams: large imports chunk by chunk', () => {
  it('answers an append only once the consumer has read below the mark, so at most the mark plus one chunk waits', async () => {
    const streams = new DicomImportStreams({ maxBytes: 64 * 1024 * KiB, highWaterBytes: 1024 * KiB });
    const consumer = gatedConsumer();
    const handle = streams.begin(consumer.start);
    await expect(streams.append(handle, chunk(512 * KiB), false)).resolves.toEqual({ bytes: 512 * KiB });
    await expect(streams.append(handle, chunk(512 * KiB), false)).resolves.toEqual({ bytes: 1024 * KiB });
    // Over the mark: the third append waits for the consumer.
    let answered = false;
    const third = streams.append(handle, chunk(512 * KiB), false).then((answer) => ((answered = true), answer));
    await settle();
    expect(answered).toBe(false);
    expect(consumer.read).toBe(0);
    consumer.allow(1);
    await settle();
    expect(answered).toBe(false);
    // Below half the mark again (512 KiB waiting): answered.
    consumer.allow(1);
    await expect(third).resolves.toEqual({ bytes: 1536 * KiB });
    consumer.allow(100);
    for (let i = 0; i < 20; i++) await streams.append(handle, chunk(512 * KiB), false);
    await expect(streams.append(handle, chunk(100), true)).resolves.toEqual({ bytes: 23 * 512 * KiB + 100, result: { outcome: 'stored', seq: 23 * 512 * KiB + 100 } });
    expect(streams.peakBuffered).toBeLessThanOrEqual(1024 * KiB + 512 * KiB);
    expect(streams.open).toBe(0);
  });

  it('answers the outcome as soon as it is known and closes the import; refuses a file over the limit; an abort fails the intake', async () => {
    const streams = new DicomImportStreams({ maxBytes: 1024 * KiB, highWaterBytes: 256 * KiB });
    const early = streams.begin(async (source) => {
      for await (const piece of source) if (piece.length > 0) break;
      return { outcome: 'not-dicom', reason: 'Neither a DICOM file nor a data set.' };
    });
    await streams.append(early, chunk(10), false);
    await settle();
    await expect(streams.append(early, chunk(10), false)).resolves.toEqual({ bytes: 10, result: { outcome: 'not-dicom', reason: 'Neither a DICOM file nor a data set.' } });
    await expect(streams.append(early, chunk(10), false)).rejects.toMatchObject({ code: 'E_CONFLICT' });

    const consumer = gatedConsumer();
    consumer.allow(1000);
    const big = streams.begin(consumer.start);
    await streams.append(big, chunk(1000 * KiB), false);
    await expect(streams.append(big, chunk(100 * KiB), false)).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    expect(streams.open).toBe(0);

    let outcome: DicomFileOutcome | null = null;
    const cut = gatedConsumer();
    cut.allow(1000);
    const aborted = streams.begin((source) => cut.start(source).then((result) => (outcome = result)));
    await streams.append(aborted, chunk(10), false);
    streams.abort(aborted);
    await settle();
    expect(outcome).toEqual({ outcome: 'failed', reason: 'cut' });
    await expect(streams.append(aborted, chunk(10), true)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('drops an import left idle (a closed page): its intake fails and the handle is gone', async () => {
    let clock = 1_000_000;
    const streams = new DicomImportStreams({ maxBytes: 1024 * KiB, idleMs: 60_000, now: () => clock });
    const consumer = gatedConsumer();
    consumer.allow(1000);
    let outcome: DicomFileOutcome | null = null;
    const handle = streams.begin((source) => consumer.start(source).then((result) => (outcome = result)));
    await streams.append(handle, chunk(10), false);
    clock += 59_000;
    streams.sweep();
    expect(streams.open).toBe(1);
    clock += 2_000;
    streams.sweep();
    expect(streams.open).toBe(0);
    await settle();
    expect(outcome).toEqual({ outcome: 'failed', reason: 'cut' });
    await expect(streams.append(handle, chunk(10), true)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('opens at most two imports at once', () => {
    const streams = new DicomImportStreams({ maxBytes: 1024 });
    const start = async () => ({ outcome: 'stored' as const });
    streams.begin(start);
    streams.begin(start);
    expect(() => streams.begin(start)).toThrow(/large imports are open already/);
    streams.clear();
    expect(streams.open).toBe(0);
  });
});
