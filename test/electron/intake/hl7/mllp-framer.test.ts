import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MllpDeframer, mllpFrame, type MllpEvent } from '../../../../electron/intake/hl7/mllp-framer';

const frame = (text: string) => mllpFrame(Buffer.from(text));
const frames = (events: MllpEvent[]) => events.filter((event) => event.type === 'frame').map((event) => (event.type === 'frame' ? event.frame.toString('latin1') : ''));

function feed(deframer: MllpDeframer, chunks: Buffer[]): MllpEvent[] {
  return chunks.flatMap((chunk) => deframer.push(chunk));
}

describe('MLLP deframer', () => {
  it('splits several frames from one chunk', () => {
    const events = new MllpDeframer().push(Buffer.concat([frame('MSH|one'), frame('MSH|two'), frame('MSH|three')]));
    expect(frames(events)).toEqual(['MSH|one', 'MSH|two', 'MSH|three']);
  });

  it('assembles one frame over many chunks, byte by byte, including a trailer split between chunks', () => {
    const deframer = new MllpDeframer();
    const bytes = frame('MSH|^~\\&|A|B\rPID|1');
    const events = feed(deframer, [...bytes].map((byte) => Buffer.from([byte])));
    expect(frames(events)).toEqual(['MSH|^~\\&|A|B\rPID|1']);
    expect(deframer.inFrame).toBe(false);
  });

  it('skips junk before the start byte and reports it (whitespace is not counted)', () => {
    const deframer = new MllpDeframer();
    const events = deframer.push(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), frame('MSH|x')]));
    expect(frames(events)).toEqual(['MSH|x']);
    expect(events.find((event) => event.type === 'junk')).toEqual({ type: 'junk', bytes: 'GET/HTTP/1.1Host:x'.length });
    expect(deframer.junkBytes).toBeGreaterThan(0);
  });

  it('tolerates a LF (and other whitespace) after 1C 0D without calling it junk', () => {
    const deframer = new MllpDeframer();
    const events = deframer.push(Buffer.concat([frame('MSH|a'), Buffer.from('\n'), frame('MSH|b'), Buffer.from('\r\n')]));
    expect(frames(events)).toEqual(['MSH|a', 'MSH|b']);
    expect(events.some((event) => event.type === 'junk')).toBe(false);
  });

  it('keeps an unfinished frame pending (the listener times it out) and reports it at end of stream', () => {
    const deframer = new MllpDeframer();
    expect(deframer.push(Buffer.from('\x0bMSH|no trailer'))).toEqual([]);
    expect(deframer.inFrame).toBe(true);
    expect(deframer.pendingBytes).toBe('MSH|no trailer'.length);
    expect(deframer.end()).toEqual([{ type: 'incomplete', bytes: 'MSH|no trailer'.length }]);
    expect(deframer.inFrame).toBe(false);
  });

  it('gives up a frame interrupted by a new start byte', () => {
    const events = new MllpDeframer().push(Buffer.concat([Buffer.from('\x0bMSH|cut'), frame('MSH|next')]));
    expect(events[0]).toEqual({ type: 'incomplete', bytes: 7 });
    expect(frames(events)).toEqual(['MSH|next']);
  });

  it('keeps a lone 0x1C as payload', () => {
    expect(frames(new MllpDeframer().push(frame('MSH|a\x1cb')))).toEqual(['MSH|a\x1cb']);
  });

  it('discards an oversize frame, keeping its head, then resynchronizes on the next frame', () => {
    const deframer = new MllpDeframer({ maxMessageBytes: 100 });
    const big = `MSH|^~\\&|APP|FAC|||20250101||ADT^A01|BIG-1|P|2.5\r${'OBX|1|ED|x||'.padEnd(500, 'A')}`;
    const chunks = [frame(big).subarray(0, 60), frame(big).subarray(60, 300), frame(big).subarray(300), frame('MSH|small')];
    const events = feed(deframer, chunks);
    const oversize = events.find((event) => event.type === 'oversize');
    expect(oversize).toMatchObject({ type: 'oversize', bytes: big.length });
    expect(oversize?.type === 'oversize' && oversize.head.toString('latin1').startsWith('MSH|^~\\&|APP|FAC')).toBe(true);
    expect(frames(events)).toEqual(['MSH|small']);
  });

  it('ends an oversize frame at the next start byte when its trailer is missing', () => {
    const deframer = new MllpDeframer({ maxMessageBytes: 10 });
    const events = deframer.push(Buffer.concat([Buffer.from('\x0b'), Buffer.alloc(50, 0x41), frame('MSH|ok')]));
    expect(events.map((event) => event.type)).toEqual(['oversize', 'frame']);
  });

  it('property: any payloads, split anywhere, come out as the same frames', () => {
    const payload = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes.map((byte) => (byte === 0x0b || byte === 0x1c ? 0x41 : byte))));
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.boolean(), (payloads, sizes, lf) => {
        const stream = Buffer.concat(payloads.map((p) => Buffer.concat([mllpFrame(p), lf ? Buffer.from('\n') : Buffer.alloc(0)])));
        const deframer = new MllpDeframer();
        const out: Buffer[] = [];
        let offset = 0;
        let i = 0;
        while (offset < stream.length) {
          const size = sizes[i++ % sizes.length]!;
          for (const event of deframer.push(stream.subarray(offset, offset + size))) if (event.type === 'frame') out.push(event.frame);
          offset += size;
        }
        expect(out.map((b) => b.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
        expect(deframer.inFrame).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary bytes never throw and never yield a frame containing a start byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), fc.integer({ min: 1, max: 300 }), (chunks, max) => {
        const deframer = new MllpDeframer({ maxMessageBytes: max });
        for (const chunk of chunks) {
          for (const event of deframer.push(chunk)) {
            if (event.type === 'frame') {
              expect(event.frame.includes(0x0b)).toBe(false);
              expect(event.frame.length).toBeLessThanOrEqual(max);
            }
          }
        }
        deframer.end();
      }),
      { numRuns: 300 },
    );
  });
});
