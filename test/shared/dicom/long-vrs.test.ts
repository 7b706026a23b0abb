import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { readPart10 } from '../../../shared/dicom/deid/dicom-dataset';
import { readableLongVrs, readablePart10LongVrs } from '../../../shared/dicom/long-vrs';
import { instanceElements, part10File, writeDataset, type Element } from '../../electron/intake/dicom/dicom-test-support';

/**
 * dicom-parser reads OV, SV and UV with a 16-bit length (PS3.5 gives them a 32-bit one): the data
 * set is handed to it with those VRs written as OB, and callers get the real VR back.
 */
const UID = '1.2.826.0.1.3680043.10.999.7.1';
const EIGHT = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);

function item(body: Buffer, undefinedLength: boolean, bigEndian = false): Buffer {
  const head = Buffer.alloc(8);
  if (bigEndian) {
    head.writeUInt16BE(0xfffe, 0);
    head.writeUInt16BE(0xe000, 2);
    head.writeUInt32BE(undefinedLength ? 0xffffffff : body.length, 4);
  } else {
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(undefinedLength ? 0xffffffff : body.length, 4);
  }
  const end = bigEndian ? Buffer.from([0xff, 0xfe, 0xe0, 0x0d, 0, 0, 0, 0]) : Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([head, body, undefinedLength ? end : Buffer.alloc(0)]);
}

function file(extra: readonly Element[], transferSyntax = '1.2.840.10008.1.2.1'): Buffer {
  return part10File([...instanceElements({ sopInstanceUid: UID, patientId: 'P-LV' }), ...extra].sort((a, b) => a[0] - b[0]), transferSyntax);
}

describe('readableLongVrs', () => {
  it('rewrites OV, SV and UV as OB, in sequences too (items of defined and undefined length), and says where', () => {
    const nested = writeDataset([[0x00189219, 'SV', EIGHT]]);
    const bytes = file([
      [0x00189218, 'SQ', Buffer.concat([item(nested, false), item(nested, true)])],
      [0x0040a161, 'UV', EIGHT],
      [0x7fe00001, 'OV', Buffer.concat([EIGHT, EIGHT])],
    ]);
    const readable = readablePart10LongVrs(bytes);
    expect([...readable.rewritten.values()].sort()).toEqual(['OV', 'SV', 'SV', 'UV']);
    for (const at of readable.rewritten.keys()) expect(Buffer.from(readable.bytes.subarray(at, at + 2)).toString('latin1')).toBe('OB');
    // Nothing else changed, and the original is left as it was.
    const changed = [...readable.bytes].flatMap((byte, i) => (byte === bytes[i] ? [] : [i]));
    expect(changed.every((i) => readable.rewritten.has(i) || readable.rewritten.has(i - 1))).toBe(true);
    // (an intake's Buffer: Buffer#slice is a view, and the received bytes are what the vault stores)
    expect(bytes.includes(Buffer.from('OV'))).toBe(true);
    expect(bytes.includes(Buffer.from('UV'))).toBe(true);
    const parsed = dicomParser.parseDicom(readable.bytes);
    expect(parsed.string('x00100020')).toBe('P-LV');
    expect(parsed.elements['x7fe00001']?.length).toBe(16);
  });

  it('explicit big endian; nothing to do returns the same bytes; implicit VR and a file without DICM are left alone', () => {
    const big = file([[0x0040a161, 'UV', EIGHT]], '1.2.840.10008.1.2.2');
    expect([...readablePart10LongVrs(big).rewritten.values()]).toEqual(['UV']);
    const plain = file([]);
    expect(readablePart10LongVrs(plain).bytes).toBe(plain);
    const implicit = file([[0x0040a161, 'UV', EIGHT]], '1.2.840.10008.1.2');
    expect(readablePart10LongVrs(implicit).bytes).toBe(implicit);
    expect(readablePart10LongVrs(Buffer.from('not dicom')).rewritten.size).toBe(0);
    // A bare data set, and garbage after a good element: what was found before it is kept.
    const bare = writeDataset([[0x0040a161, 'UV', EIGHT]]);
    expect(readableLongVrs(Buffer.concat([bare, Buffer.from('!!garbage!!')]), 0, true).rewritten.size).toBe(1);
  });

  it('stops at encapsulated pixel data (it cannot step over it without reading the items) having kept what came before', () => {
    const bytes = file([[0x7fe00001, 'OV', EIGHT]], '1.2.840.10008.1.2.5');
    expect([...readablePart10LongVrs(bytes).rewritten.values()]).toEqual(['OV']);
  });

  it('survives truncation and random bytes', () => {
    const bytes = file([[0x0040a161, 'UV', EIGHT]]);
    for (let cut = 0; cut < bytes.length; cut += 7) expect(() => readablePart10LongVrs(bytes.subarray(0, cut))).not.toThrow();
    let seed = 7;
    for (let round = 0; round < 200; round++) {
      const noisy = Buffer.from(bytes);
      for (let i = 0; i < 8; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        noisy[132 + (seed % (noisy.length - 132))] = seed >>> 24;
      }
      expect(() => readablePart10LongVrs(noisy)).not.toThrow();
    }
  });

  it('the de-identifier reads such an instance and keeps each element’s real VR', () => {
    const instance = readPart10(file([[0x0040a161, 'UV', EIGHT], [0x7fe00001, 'OV', EIGHT]]));
    const vrOf = (tag: number) => instance.dataset.find((element) => element.tag === tag);
    expect(vrOf(0x0040a161)).toMatchObject({ vr: 'UV' });
    expect(vrOf(0x7fe00001)).toMatchObject({ vr: 'OV' });
  });
});
