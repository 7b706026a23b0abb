import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApduFramer } from '../../../../electron/intake/devices/apdu-framer';
import { aarq, bpReport, concat, rlrq, sf, toHex } from './agent-apdus';
import { ManualTimers } from './manager-harness';

function framer(options: { maxApdu?: number } = {}) {
  const apdus: string[] = [];
  const discards: { bytes: string; reason: string }[] = [];
  const timers = new ManualTimers();
  const f = new ApduFramer({ onApdu: (a) => apdus.push(toHex(a)), onDiscard: (bytes, reason) => discards.push({ bytes: toHex(bytes), reason }), timers, idleMs: 3000, ...options });
  return { f, apdus, discards, timers };
}

const BP = { sys: sf(120), dia: sf(80), map: sf(93), pulse: sf(70) };

describe('APDU framer', () => {
  it('joins a split APDU (5 + 25 + rest) and cuts two coalesced ones apart', () => {
    const { f, apdus } = framer();
    const one = bpReport(1, BP);
    f.push(one.subarray(0, 5));
    f.push(one.subarray(5, 30));
    expect(apdus).toEqual([]);
    f.push(one.subarray(30));
    f.push(concat(bpReport(2, BP), bpReport(3, BP)));
    expect(apdus).toEqual([toHex(one), toHex(bpReport(2, BP)), toHex(bpReport(3, BP))]);
  });

  it('property: any chunking of a stream of APDUs yields exactly those APDUs', () => {
    const stream = [aarq(0x02bc), bpReport(1, BP), bpReport(2, BP), rlrq()];
    const all = concat(...stream);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: all.length }), { maxLength: 20 }), (cuts) => {
        const { f, apdus, discards } = framer();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let at = 0;
        for (const p of [...points, all.length]) {
          f.push(all.subarray(at, p));
          at = p;
        }
        expect(apdus).toEqual(stream.map(toHex));
        expect(discards).toEqual([]);
        expect(f.pending).toBe(0);
      }),
    );
  });

  it('skips bytes that cannot start an APDU and resyncs on the next header', () => {
    const { f, apdus, discards } = framer();
    f.push(concat(Uint8Array.of(0x00, 0x99, 0x09, 0x90), rlrq()));
    expect(apdus).toEqual([toHex(rlrq())]);
    expect(discards).toEqual([{ bytes: '00990990', reason: 'bytes that do not start an APDU' }]);
  });

  it('refuses a length over the cap without waiting for (or allocating) it, then resyncs', () => {
    const { f, apdus, discards } = framer({ maxApdu: 1024 });
    f.push(concat(Uint8Array.of(0xe7, 0x00, 0xff, 0xf0), rlrq()));
    expect(discards[0]?.reason).toMatch(/over the 1024-byte limit/);
    expect(apdus).toEqual([toHex(rlrq())]);
  });

  it('a partial APDU that gets no further byte is discarded after the idle time; the next APDU frames cleanly', () => {
    const { f, apdus, discards, timers } = framer();
    const one = bpReport(1, BP);
    f.push(one.subarray(0, 40));
    expect(timers.fire(3000)).toBe(1);
    expect(discards[0]?.reason).toMatch(/partial APDU \(40 bytes\)/);
    expect(f.pending).toBe(0);
    f.push(rlrq());
    expect(apdus).toEqual([toHex(rlrq())]);
  });

  it('property: garbage never grows the buffer beyond one APDU and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), (chunks) => {
        const { f } = framer({ maxApdu: 512 });
        for (const c of chunks) {
          f.push(c);
          expect(f.pending).toBeLessThan(512);
        }
      }),
    );
  });
});
