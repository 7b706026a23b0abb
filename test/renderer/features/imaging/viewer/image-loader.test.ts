import { describe, expect, it } from 'vitest';
import type { InstanceOverview } from '../../../../../renderer/features/imaging/viewer/decode/decode-protocol';
import { ImageLoader } from '../../../../../renderer/features/imaging/viewer/image-loader';
import type { DecodedFrame } from '../../../../../renderer/features/imaging/viewer/pixels/pixel-module';

const frame = (value: number): DecodedFrame => ({ kind: 'gray', rows: 1, columns: 4, pixels: Int16Array.from([value, value, value, value]), min: value, max: value });
const overview = (first: DecodedFrame | null): InstanceOverview => ({ sopClassUid: '', transferSyntaxUid: '1.2.840.10008.1.2.1', kind: 'image', image: { frames: 3 } as never, report: null, document: null, first, firstError: null });

function fakePorts() {
  const calls = { bytes: [] as string[], open: [] as string[], frame: [] as string[], tags: [] as string[] };
  let forget = false;
  return {
    calls,
    forgetOpened: () => (forget = true),
    ports: {
      source: async (id: string) => {
        calls.bytes.push(id);
        return new Uint8Array(4);
      },
      decoder: {
        async open(key: string) {
          calls.open.push(key);
          forget = false;
          return overview(frame(Number(key.slice(1)) * 10));
        },
        async frame(key: string, index: number) {
          calls.frame.push(`${key}#${index}`);
          if (forget) throw new Error('The instance is no longer open in the decoder.');
          return frame(Number(key.slice(1)) * 10 + index);
        },
        async tags(key: string) {
          calls.tags.push(key);
          if (forget) throw new Error('The instance is no longer open in the decoder.');
          return [{ tag: '(0008,0018)', vr: 'UI', name: 'SOP Instance UID', depth: 0, length: key.length, value: key }];
        },
      },
    },
  };
}

describe('image loader', () => {
  it('reads and opens an instance once for concurrent asks, keeps frame 0 from the opening, decodes other frames on demand', async () => {
    const { ports, calls } = fakePorts();
    const loader = new ImageLoader(ports);
    const [a, b] = await Promise.all([loader.frame('i1', 0), loader.frame('i1', 0)]);
    expect(a).toBe(b);
    expect(calls.bytes).toEqual(['i1']);
    expect(calls.frame).toEqual([]);
    expect(await loader.frame('i1', 2)).toMatchObject({ min: 12 });
    expect(calls.frame).toEqual(['i1#2']);
    expect(loader.has('i1', 2)).toBe(true);
  });

  it('drops the least recently used frames beyond its byte budget', async () => {
    const { ports } = fakePorts();
    // Each frame holds 8 bytes: room for two.
    const loader = new ImageLoader(ports, 16);
    await loader.frame('i1', 0);
    await loader.frame('i2', 0);
    await loader.frame('i1', 0);
    await loader.frame('i3', 0);
    expect([loader.has('i1', 0), loader.has('i2', 0), loader.has('i3', 0)]).toEqual([true, false, true]);
  });

  it('opens again when the worker forgot the instance', async () => {
    const { ports, calls, forgetOpened } = fakePorts();
    const loader = new ImageLoader(ports);
    await loader.frame('i1', 0);
    forgetOpened();
    expect(await loader.frame('i1', 1)).toMatchObject({ min: 11 });
    expect(calls.open).toEqual(['i1', 'i1']);
  });

  // QA s33 D1: the tag browser asked the decoder for an instance prefetching had made it forget.
  it('reads an instance’s tags, opening it again when the worker forgot it (once for concurrent asks)', async () => {
    const { ports, calls, forgetOpened } = fakePorts();
    const loader = new ImageLoader(ports);
    expect((await loader.tags('i1')).map((row) => row.value)).toEqual(['i1']);
    expect(calls.open).toEqual(['i1']);
    forgetOpened();
    const [rows, decoded] = await Promise.all([loader.tags('i1'), loader.frame('i1', 2)]);
    expect(rows.map((row) => row.value)).toEqual(['i1']);
    expect(decoded).toMatchObject({ min: 12 });
    expect(calls.open).toEqual(['i1', 'i1']);
    expect(calls.bytes).toEqual(['i1', 'i1']);
  });

  it('passes on other decoder errors without opening again', async () => {
    const { ports, calls } = fakePorts();
    const loader = new ImageLoader({ ...ports, decoder: { ...ports.decoder, tags: async () => Promise.reject(new Error('The data set is malformed.')) } });
    await expect(loader.tags('i1')).rejects.toThrow('The data set is malformed.');
    expect(calls.open).toEqual(['i1']);
  });

  it('prefetches outward from the shown entry, and nothing once suspended', async () => {
    const { ports, calls } = fakePorts();
    const loader = new ImageLoader(ports);
    const stack = [1, 2, 3, 4, 5].map((n) => ({ instanceId: `i${n}`, frame: 0 }));
    await loader.prefetch(stack, 2, 1);
    expect(calls.bytes).toEqual(['i4', 'i2', 'i5', 'i1']);
    loader.suspend();
    await expect(loader.frame('i3', 0)).rejects.toThrow(/closed/);
    await loader.prefetch(stack, 0, 1);
    expect(calls.bytes).toHaveLength(4);
    loader.resume();
    await loader.frame('i3', 0);
    expect(calls.bytes).toEqual(['i4', 'i2', 'i5', 'i1', 'i3']);
  });
  // Issue 12: a multi-frame's frames are ranged reads, one request each; 3 at a time left its scroll at the read rate.
  it("keeps 5 of a multi-frame's frames in flight (3 of separate instances), and reads ahead in the scroll direction first", async () => {
    const { ports } = fakePorts();
    let running = 0;
    let most = 0;
    const asked: number[] = [];
    const gates: (() => void)[] = [];
    const decoder = {
      ...ports.decoder,
      async frame(_key: string, index: number) {
        asked.push(index);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return frame(index);
      },
    };
    const release = async () => {
      do {
        await new Promise((resolve) => setTimeout(resolve, 0));
        gates.splice(0).forEach((open) => open());
      } while (gates.length > 0 || running > 0);
    };
    const loader = new ImageLoader({ ...ports, decoder });
    const frames = Array.from({ length: 30 }, (_, n) => ({ instanceId: 'm1', frame: n }));
    const first = loader.prefetch(frames, 0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(most).toBe(5);
    loader.cancelPrefetch();
    await release();
    await first;
    // Scrolled from 10 to 12 (11, 9, 12, 8 and 13 in memory): 14…18 next, not 10 and 7.
    asked.length = 0;
    most = 0;
    const cleared = new ImageLoader({ ...ports, decoder });
    await cleared.overview('m1');
    const around = cleared.prefetch(frames, 10);
    cleared.cancelPrefetch();
    await release();
    await around;
    asked.length = 0;
    const scrolled = cleared.prefetch(frames, 12);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(most).toBeLessThanOrEqual(5);
    cleared.cancelPrefetch();
    await release();
    await scrolled;
    expect(asked).toEqual([14, 15, 16, 17, 18]);

    const instances = Array.from({ length: 10 }, (_, n) => ({ instanceId: `i${n + 1}`, frame: 0 }));
    most = 0;
    // Opened without their frame 0 decoded, so the prefetch asks for each.
    const separate = new ImageLoader({ ...ports, decoder: { ...decoder, open: async () => overview(null) } });
    await Promise.all(instances.map((entry) => separate.overview(entry.instanceId)));
    const third = separate.prefetch(instances, 0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(most).toBe(3);
    separate.cancelPrefetch();
    await release();
    await third;
  });
});
