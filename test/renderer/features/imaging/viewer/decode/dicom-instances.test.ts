import { describe, expect, it } from 'vitest';
import type { Element } from '../../../../../electron/intake/dicom/dicom-test-support';
import { parseInstance } from '../../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { decodeFrame } from '../../../../../../renderer/features/imaging/viewer/decode/frame-decoder';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { nodeCodecs } from '../node-codecs';
import { encapsulate, imageElements, part10, TS } from '../viewer-fixtures';

/** Photometric interpretations, multi-frame, LUTs, reports, documents and the tag list, on instances written by project code. */
const codecs = nodeCodecs();

async function decoded(elements: Element[], transferSyntax: string = TS.explicitLittle, frame = 0) {
  const parsed = await parseInstance(new Uint8Array(part10(elements, transferSyntax)));
  return decodeFrame(parsed.dataSet, parsed.image!, frame, codecs);
}

const base = { sopInstanceUid: '1.2.3.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', modality: 'OT' };

describe('photometric interpretations from native pixel data', () => {
  it('MONOCHROME1 keeps stored values (the presentation inverts) and reads as MONOCHROME1', async () => {
    const elements = imageElements({ ...base, rows: 1, columns: 3, photometric: 'MONOCHROME1', bitsAllocated: 8, pixelData: Buffer.from([0, 100, 255, 0]) });
    const parsed = await parseInstance(new Uint8Array(part10(elements, TS.explicitLittle)));
    expect(parsed.image!.pixel.photometric).toBe('MONOCHROME1');
    const frame = await decodeFrame(parsed.dataSet, parsed.image!, 0, codecs);
    expect(frame.kind === 'gray' && Array.from(frame.pixels)).toEqual([0, 100, 255]);
  });

  it('RGB colour-by-plane becomes interleaved', async () => {
    const frame = await decoded(imageElements({ ...base, rows: 1, columns: 2, samplesPerPixel: 3, photometric: 'RGB', bitsAllocated: 8, planarConfiguration: 1, pixelData: Buffer.from([1, 2, 10, 20, 100, 200]) }));
    expect(frame.kind === 'rgb' && Array.from(frame.pixels)).toEqual([1, 10, 100, 2, 20, 200]);
  });

  it('YBR_FULL and YBR_FULL_422 become RGB', async () => {
    const full = await decoded(imageElements({ ...base, rows: 1, columns: 2, samplesPerPixel: 3, photometric: 'YBR_FULL', bitsAllocated: 8, pixelData: Buffer.from([128, 128, 128, 76, 85, 255]) }));
    expect(full.kind === 'rgb' && Array.from(full.pixels)).toEqual([128, 128, 128, 254, 0, 0]);
    const sub = await decoded(imageElements({ ...base, rows: 1, columns: 2, samplesPerPixel: 3, photometric: 'YBR_FULL_422', bitsAllocated: 8, pixelData: Buffer.from([50, 200, 128, 128]) }));
    expect(sub.kind === 'rgb' && Array.from(sub.pixels)).toEqual([50, 50, 50, 200, 200, 200]);
  });

  it('PALETTE COLOR through its three LUTs (16-bit entries)', async () => {
    const lut = (values: number[]) => Buffer.from(Uint16Array.from(values).buffer);
    const descriptor = Buffer.from(Uint16Array.from([3, 0, 16]).buffer);
    const extra: Element[] = [
      [0x00281101, 'US', descriptor],
      [0x00281102, 'US', descriptor],
      [0x00281103, 'US', descriptor],
      [0x00281201, 'OW', lut([0x0000, 0x8000, 0xffff])],
      [0x00281202, 'OW', lut([0xffff, 0x8000, 0x0000])],
      [0x00281203, 'OW', lut([0x1000, 0x2000, 0x3000])],
    ];
    const frame = await decoded(imageElements({ ...base, rows: 1, columns: 4, photometric: 'PALETTE COLOR', bitsAllocated: 8, pixelData: Buffer.from([0, 1, 2, 7]), extra }));
    expect(frame.kind === 'rgb' && Array.from(frame.pixels)).toEqual([0, 255, 0x10, 128, 128, 0x20, 255, 0, 0x30, 255, 0, 0x30]);
  });

  it('unsigned 16-bit with High Bit below 15: the spare bits are masked away', async () => {
    const frame = await decoded(imageElements({ ...base, rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 10, highBit: 9, pixelData: Buffer.from(Uint16Array.from([0xfc01, 0x03ff]).buffer) }));
    expect(frame.kind === 'gray' && Array.from(frame.pixels)).toEqual([1, 1023]);
  });

  it('multi-frame native data: each frame from its own offset, in little and big endian', async () => {
    const values = Int16Array.from([1, 2, 3, 4, -5, -6, -7, -8, 9, 10, 11, 12]);
    const le = Buffer.from(values.buffer);
    const be = Buffer.alloc(values.length * 2);
    values.forEach((value, i) => be.writeInt16BE(value, i * 2));
    for (const [syntax, data] of [
      [TS.explicitLittle, le],
      [TS.explicitBig, be],
    ] as const) {
      const elements = imageElements({ ...base, rows: 2, columns: 2, bitsAllocated: 16, pixelRepresentation: 1, frames: 3, pixelData: data, extra: [[0x00181063, 'DS', '40']] });
      const parsed = await parseInstance(new Uint8Array(part10(elements, syntax)));
      expect(parsed.image!.frames).toBe(3);
      expect(parsed.image!.frameTimeMs).toBe(40);
      const second = await decodeFrame(parsed.dataSet, parsed.image!, 1, codecs);
      expect(second.kind === 'gray' && Array.from(second.pixels)).toEqual([-5, -6, -7, -8]);
      await expect(decodeFrame(parsed.dataSet, parsed.image!, 3, codecs)).rejects.toThrow(/No frame 4/);
    }
  });

  it('reads a Modality LUT Sequence and VOI LUT Sequence, the VOI LUT Function and several windows', async () => {
    const parsed = await parseInstance(
      new Uint8Array(
        part10(
          imageElements({
            ...base,
            rows: 1,
            columns: 1,
            pixelData: Buffer.from([0, 0]),
            extra: [
              [0x00281050, 'DS', '40\\-600'],
              [0x00281051, 'DS', '400\\1500'],
              [0x00281055, 'LO', 'SOFT\\LUNG'],
              [0x00281056, 'CS', 'SIGMOID'],
            ],
          }),
          TS.explicitLittle,
        ),
      ),
    );
    expect(parsed.image!.voi.windows).toEqual([
      { center: 40, width: 400, label: 'SOFT' },
      { center: -600, width: 1500, label: 'LUNG' },
    ]);
    expect(parsed.image!.voi.func).toBe('SIGMOID');
  });

  it('a 12-bit JPEG (extended, process 4) frame with a header and no scan is an error, not a crash', async () => {
    // SOI, then SOF1 with precision 12, 1×1, one component, and EOI: the 12-bit decoder gets it and refuses it.
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc1, 0x00, 0x0b, 12, 0, 1, 0, 1, 1, 1, 0x11, 0, 0xff, 0xd9]);
    const elements = imageElements({ ...base, rows: 1, columns: 1, bitsAllocated: 16, bitsStored: 12, pixelData: encapsulate([jpeg]), pixelVr: 'OB' });
    await expect(decoded(elements, '1.2.840.10008.1.2.4.51')).rejects.toThrow(/missing SOS marker/);
  });

  it('refuses a transfer syntax it does not decode, by name', async () => {
    const elements = imageElements({ ...base, rows: 1, columns: 1, pixelData: Buffer.from([0, 0]) });
    await expect(parseInstance(new Uint8Array(part10(elements, '1.2.840.10008.1.2.4.100')))).rejects.toThrow(/1\.2\.840\.10008\.1\.2\.4\.100 is not one the viewer decodes/);
  });
});

/** A sequence element's bytes (explicit VR little endian, defined lengths), for SR content. */
function sequence(items: readonly Buffer[]): Buffer {
  return Buffer.concat(
    items.map((body) => {
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0xfffe, 0);
      head.writeUInt16LE(0xe000, 2);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    }),
  );
}

describe('reports, documents and the tag list', () => {
  it('shows a structured report as text: concepts, values by type, nesting', async () => {
    const { writeDataset } = await import('../../../../../electron/intake/dicom/dicom-test-support');
    const code = (meaning: string) => sequence([writeDataset([[0x00080100, 'SH', 'X1'], [0x00080102, 'SH', '99TEST'], [0x00080104, 'LO', meaning]])]);
    const textItem = writeDataset([
      [0x0040a010, 'CS', 'CONTAINS'],
      [0x0040a040, 'CS', 'TEXT'],
      [0x0040a043, 'SQ', code('Finding')],
      [0x0040a160, 'UT', 'No focal lesion.'],
    ]);
    const numItem = writeDataset([
      [0x0040a010, 'CS', 'CONTAINS'],
      [0x0040a040, 'CS', 'NUM'],
      [0x0040a043, 'SQ', code('Diameter')],
      [0x0040a300, 'SQ', sequence([writeDataset([[0x004008ea, 'SQ', code('mm')], [0x0040a30a, 'DS', '12.5']])])],
    ]);
    const elements: Element[] = [
      [0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.88.11'],
      [0x00080018, 'UI', '1.2.3.9'],
      [0x00080060, 'CS', 'SR'],
      [0x0040a040, 'CS', 'CONTAINER'],
      [0x0040a043, 'SQ', code('Imaging Report')],
      [0x0040a491, 'CS', 'COMPLETE'],
      [0x0040a730, 'SQ', sequence([textItem, numItem])],
    ];
    const decoder = new InstanceDecoder(codecs);
    const overview = await decoder.open('sr', new Uint8Array(part10(elements, TS.explicitLittle)), true);
    expect(overview.kind).toBe('report');
    expect(overview.report).toEqual([
      { depth: 0, relationship: '', concept: 'Imaging Report', value: 'COMPLETE' },
      { depth: 1, relationship: 'CONTAINS', concept: 'Finding', value: 'No focal lesion.' },
      { depth: 1, relationship: 'CONTAINS', concept: 'Diameter', value: '12.5 mm' },
    ]);
    const tags = decoder.tags('sr');
    expect(tags.find((row) => row.tag === '(0040,A730)')).toMatchObject({ vr: 'SQ', name: 'Content Sequence', value: '2 items', depth: 0 });
    expect(tags.filter((row) => row.tag === '(0040,A160)')).toEqual([expect.objectContaining({ value: 'No focal lesion.', depth: 2 })]);
  });

  // QA-12 cosmetic: an SR DATE item read "Study Date: 20261203" while the app shows dates as 2026-12-03.
  it('shows SR DATE, TIME and DATETIME items as the app shows dates and times', async () => {
    const { writeDataset } = await import('../../../../../electron/intake/dicom/dicom-test-support');
    const code = (meaning: string) => sequence([writeDataset([[0x00080100, 'SH', 'X1'], [0x00080102, 'SH', '99TEST'], [0x00080104, 'LO', meaning]])]);
    const item = (type: string, meaning: string, tag: number, vr: string, value: string) =>
      writeDataset([
        [0x0040a010, 'CS', 'HAS OBS CONTEXT'],
        [0x0040a040, 'CS', type],
        [0x0040a043, 'SQ', code(meaning)],
        [tag, vr, value],
      ]);
    const items = [
      item('DATE', 'Study Date', 0x0040a121, 'DA', '20261203'),
      item('TIME', 'Study Time', 0x0040a122, 'TM', '143005.123'),
      item('TIME', 'Short Time', 0x0040a122, 'TM', '0915'),
      item('DATETIME', 'Observation DateTime', 0x0040a120, 'DT', '20261203143005.5+0100'),
      item('DATETIME', 'Month Only', 0x0040a120, 'DT', '202612'),
      item('DATE', 'Not A Date', 0x0040a121, 'DA', '20261340'),
    ];
    const elements: Element[] = [
      [0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.88.11'],
      [0x00080018, 'UI', '1.2.3.11'],
      [0x0040a040, 'CS', 'CONTAINER'],
      [0x0040a043, 'SQ', code('Imaging Report')],
      [0x0040a730, 'SQ', sequence(items)],
    ];
    const overview = await new InstanceDecoder(codecs).open('sr-dates', new Uint8Array(part10(elements, TS.explicitLittle)), true);
    expect(overview.report!.slice(1).map((line) => `${line.concept}: ${line.value}`)).toEqual([
      'Study Date: 2026-12-03',
      'Study Time: 14:30:05',
      'Short Time: 09:15',
      'Observation DateTime: 2026-12-03 14:30:05 (UTC+01:00)',
      'Month Only: 2026-12',
      // Not a calendar date: shown as received rather than guessed.
      'Not A Date: 20261340',
    ]);
  });

  // QA-12 cosmetic: the tag list said "1 fragments (compressed)".
  it('counts Pixel Data fragments in the singular and plural', async () => {
    const decoder = new InstanceDecoder(codecs);
    for (const [id, fragments, text] of [
      ['one', 1, '1 fragment (compressed)'],
      ['two', 2, '2 fragments (compressed)'],
    ] as const) {
      const frames = Array.from({ length: fragments }, () => Uint8Array.from([0, 0, 0, 0]));
      const elements = imageElements({ ...base, rows: 1, columns: 1, pixelData: encapsulate(frames), pixelVr: 'OB', extra: fragments > 1 ? [[0x00280008, 'IS', String(fragments)]] : [] });
      await decoder.open(id, new Uint8Array(part10(elements, TS.rle)), true);
      expect(decoder.tags(id).find((row) => row.tag.toUpperCase() === '(7FE0,0010)')?.value).toBe(text);
    }
  });

  it('offers an encapsulated PDF as its bytes without the pad byte', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
    const elements: Element[] = [
      [0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.104.1'],
      [0x00080018, 'UI', '1.2.3.10'],
      [0x00420010, 'ST', 'Referral letter'],
      [0x00420011, 'OB', Buffer.concat([pdf, Buffer.from([0])])],
      [0x00420012, 'LO', 'application/pdf'],
    ];
    const overview = await new InstanceDecoder(codecs).open('pdf', new Uint8Array(part10(elements, TS.explicitLittle)), true);
    expect(overview.kind).toBe('document');
    expect(overview.document!.mimeType).toBe('application/pdf');
    expect(overview.document!.title).toBe('Referral letter');
    expect(Buffer.from(overview.document!.bytes).toString('latin1')).toBe(pdf.toString('latin1'));
  });

  it('decodes text values in the Specific Character Set and names tags in implicit VR', async () => {
    const elements = imageElements({ ...base, rows: 1, columns: 1, pixelData: Buffer.from([0, 0]), patientName: 'x', extra: [[0x00080005, 'CS', 'ISO_IR 192']] }).map((element): Element => (element[0] === 0x00100010 ? [0x00100010, 'PN', Buffer.from('Müller^Zoë', 'utf8')] : element));
    const decoder = new InstanceDecoder(codecs);
    await decoder.open('utf8', new Uint8Array(part10(elements, TS.implicitLittle)), false);
    const rows = decoder.tags('utf8');
    expect(rows.find((row) => row.tag === '(0010,0010)')).toMatchObject({ vr: 'PN', name: "Patient's Name", value: 'Müller^Zoë' });
    expect(rows.find((row) => row.tag === '(0028,0010)')).toMatchObject({ vr: 'US', name: 'Rows', value: '1' });
    expect(rows.find((row) => row.tag === '(7FE0,0010)')).toMatchObject({ name: 'Pixel Data', value: '2 bytes' });
  });

  it('decodes an ISO 2022 IR 149 value at its escapes, as the body indexes it (one shared decoder)', async () => {
    // PS3.5 I.2: Hong^Gildong=洪^吉洞, KS X 1001 designated into G1 by ESC $ ) C in each component.
    const ksc = Buffer.from([0x48, 0x6f, 0x6e, 0x67, 0x5e, 0x47, 0x69, 0x6c, 0x64, 0x6f, 0x6e, 0x67, 0x3d, 0x1b, 0x24, 0x29, 0x43, 0xfb, 0xf3, 0x5e, 0x1b, 0x24, 0x29, 0x43, 0xd1, 0xce, 0xd4, 0xd7]);
    const elements = imageElements({ ...base, rows: 1, columns: 1, pixelData: Buffer.from([0, 0]), patientName: 'x', extra: [[0x00080005, 'CS', '\\ISO 2022 IR 149']] }).map((element): Element => (element[0] === 0x00100010 ? [0x00100010, 'PN', ksc] : element));
    const decoder = new InstanceDecoder(codecs);
    await decoder.open('ksc', new Uint8Array(part10(elements, TS.explicitLittle)), false);
    expect(decoder.tags('ksc').find((row) => row.tag === '(0010,0010)')?.value).toBe('Hong^Gildong=洪^吉洞');
  });
});
