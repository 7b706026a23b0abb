import { describe, expect, it } from 'vitest';
import { decodeBinaryFrame, encodeResultFrame, MAX_BINARY_HEADER_BYTES, MAX_BINARY_PAYLOAD_BYTES } from '../../../shared/ipc/ws-protocol';

/** A binary frame as the shell sends it (header then bytes), as the page receives it. */
function frameOf(header: Uint8Array, bytes: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(header.byteLength + bytes.byteLength);
  out.set(header);
  out.set(bytes, header.byteLength);
  return out.buffer;
}

function rawFrame(headerJson: string, bytes: Uint8Array = new Uint8Array(0), claimedLength?: number): ArrayBuffer {
  const json = new TextEncoder().encode(headerJson);
  const header = new Uint8Array(4 + json.byteLength);
  new DataView(header.buffer).setUint32(0, claimedLength ?? json.byteLength);
  header.set(json, 4);
  return frameOf(header, bytes);
}

describe('shell protocol: binary results', () => {
  it('sends a value with one byte field as header + bytes, and reads it back with the bytes as a view (no copy)', () => {
    const bytes = new Uint8Array(1000).map((_, i) => i % 251);
    const encoded = encodeResultFrame({ type: 'result', id: 7, result: { ok: true, value: { bytes, size: 5000 } } });
    if (typeof encoded === 'string') throw new Error('expected a binary frame');
    expect(encoded.bytes).toBe(bytes);
    const data = frameOf(encoded.header, encoded.bytes);
    const decoded = decodeBinaryFrame(data);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.id).toBe(7);
    expect(decoded.result.value['size']).toBe(5000);
    const back = decoded.result.value['bytes'] as Uint8Array;
    expect([...back]).toEqual([...bytes]);
    expect(back.buffer).toBe(data);
  });

  it('keeps JSON for every other result (errors, values without bytes or with two byte fields)', () => {
    expect(encodeResultFrame({ type: 'result', id: 1, result: { ok: true, value: { state: 'absent' } } })).toBe('{"type":"result","id":1,"result":{"ok":true,"value":{"state":"absent"}}}');
    expect(typeof encodeResultFrame({ type: 'result', id: 1, result: { ok: false, error: { code: 'E_FORBIDDEN', message: 'no' } } })).toBe('string');
    expect(typeof encodeResultFrame({ type: 'result', id: 1, result: { ok: true, value: null } })).toBe('string');
    expect(typeof encodeResultFrame({ type: 'result', id: 1, result: { ok: true, value: { a: new Uint8Array(1), b: new Uint8Array(1) } } })).toBe('string');
  });

  it('refuses to send more bytes than one answer may carry', () => {
    expect(() => encodeResultFrame({ type: 'result', id: 1, result: { ok: true, value: { bytes: new Uint8Array(MAX_BINARY_PAYLOAD_BYTES + 1), size: 0 } } })).toThrow(RangeError);
  });

  it('refuses garbage and oversized frames with a reason, and names the call when the header could be read', () => {
    const good = '{"type":"result","id":3,"binary":"bytes","result":{"ok":true,"value":{"size":1}}}';
    expect(decodeBinaryFrame(new Uint8Array([0, 0]).buffer)).toEqual({ ok: false, id: null, reason: 'The frame is too short.' });
    // A header length past the frame's end, or past the largest header.
    expect(decodeBinaryFrame(rawFrame(good, new Uint8Array(0), 1000))).toMatchObject({ ok: false, id: null, reason: 'The frame header has an impossible length.' });
    expect(decodeBinaryFrame(rawFrame(good, new Uint8Array(MAX_BINARY_HEADER_BYTES + 10), MAX_BINARY_HEADER_BYTES + 1))).toMatchObject({ ok: false, id: null });
    // Not JSON, not UTF-8, not the schema, a field name that is not a plain word, bytes in the value already.
    for (const header of ['not json', '{"type":"event","id":3}', '{"type":"result","id":3,"binary":"__proto__","result":{"ok":true,"value":{}}}', '{"type":"result","id":3,"binary":"size","result":{"ok":true,"value":{"size":1}}}', '{"type":"result","id":3,"binary":"bytes","result":{"ok":false,"value":{}}}']) {
      const decoded = decodeBinaryFrame(rawFrame(header));
      expect(decoded.ok).toBe(false);
    }
    const badUtf8 = new Uint8Array([0, 0, 0, 2, 0xff, 0xfe]).buffer;
    expect(decodeBinaryFrame(badUtf8)).toMatchObject({ ok: false, id: null });
    // Bytes over the largest slice: refused, and the call it answers is named so it fails at once.
    expect(decodeBinaryFrame(rawFrame(good, new Uint8Array(MAX_BINARY_PAYLOAD_BYTES + 1)))).toEqual({ ok: false, id: 3, reason: 'The node sent more bytes than one answer may carry.' });
    expect(decodeBinaryFrame(rawFrame(good, new Uint8Array(MAX_BINARY_PAYLOAD_BYTES)))).toMatchObject({ ok: true, id: 3 });
  });
});
