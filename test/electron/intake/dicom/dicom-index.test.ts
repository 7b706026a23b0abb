import { describe, expect, it } from 'vitest';
import { DicomParseError, readDicomIndex } from '../../../../electron/intake/dicom/dicom-index';
import { instanceInfo, normalizeInstance, personName } from '../../../../electron/intake/dicom/dicom-intake';
import { EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../../../electron/intake/dicom/dicom-uids';
import { instanceElements, part10File, writeDataset } from './dicom-test-support';
import { deflatedFileReadAsSequence } from '../../../shared/dicom/deflated-meta-fixture';

const UID = '1.2.826.0.1.3680043.10.999.5.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** A Part 10 file in JPEG Baseline whose Pixel Data is encapsulated: an empty offset table, fragments of these sizes, the delimiter. */
function encapsulated(sizes: readonly number[]): Buffer {
  const item = (element: number, length: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt16LE(0xfffe, 0);
    bytes.writeUInt16LE(element, 2);
    bytes.writeUInt32LE(length, 4);
    return bytes;
  };
  const header = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const fragments = sizes.flatMap((size) => [item(0xe000, size), Buffer.alloc(size, 0x5a)]);
  const elements = instanceElements({ sopInstanceUid: UID, patientId: 'P1' }).filter(([tag]) => tag !== 0x7fe00010);
  return Buffer.concat([part10File(elements, JPEG_BASELINE), header, item(0xe000, 0), ...fragments, item(0xe0dd, 0)]);
}

describe('index fields of an instance (dicom-parser)', () => {
  it('reads the patient, study, series and instance fields in every native encoding, with the charset applied', async () => {
    for (const ts of [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, '1.2.840.10008.1.2.1']) {
      const file = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'ID-1', issuer: 'PACS', patientNameBytes: Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x5e, 0x41, 0x6e, 0x6e, 0x61]), charset: 'ISO_IR 100', birthDate: '19800214', sex: 'F' }), ts);
      const index = await readDicomIndex(file, true);
      expect(index, ts).toMatchObject({ transferSyntaxUid: ts, sopInstanceUid: UID, patientId: 'ID-1', issuerOfPatientId: 'PACS', patientName: 'Müller^Anna', modality: 'CT', rows: 4, columns: 4, seriesNumber: 1 });
      const info = instanceInfo(index, 'import');
      expect(normalizeInstance(index, info, { PACS: 'NORTHCLINIC' })?.patient).toEqual({ identifiers: [{ value: 'ID-1', authority: 'NORTHCLINIC', type: '' }], name: { family: 'Müller', given: ['Anna'] }, birthDate: '1980-02-14', sex: 'F' });
    }
  });

  it('refuses what cannot be indexed, saying why without values', async () => {
    await expect(readDicomIndex(Buffer.from('not dicom at all'), true)).rejects.toBeInstanceOf(DicomParseError);
    const noStudy = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'X' }).filter(([tag]) => tag !== 0x0020000d));
    await expect(readDicomIndex(noStudy, true)).rejects.toThrow(/lacks Study Instance UID/);
    const whole = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'SECRET-ID' }));
    const cut = whole.subarray(0, 300);
    const error = await readDicomIndex(cut, true).then(
      () => new Error('read'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(DicomParseError);
    expect(error.message).not.toContain('SECRET-ID');
  });

  it("says why a data set cannot be read in plain words, never the parser's own text (QA explore-12 D5)", async () => {
    // File Meta Information alone (no elements), then the bytes under test.
    const meta = (ts = '1.2.840.10008.1.2.1') => part10File([], ts);
    const cases: [Buffer, RegExp][] = [
      // An element whose length runs past the end (dicom-parser: "buffer overrun").
      [Buffer.concat([meta(), Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xff, 0x7f, 1, 2, 3])]), /^The data set cannot be read: an element's length runs past the end of the data set \(it was cut short, or a length in it is wrong\)\.$/],
      // Cut inside the first element's header ("attempt to read past end of buffer"). The File Meta
      // Information is read within its group length now, so this is the data set's fault, as it is.
      [Buffer.concat([meta(), Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49])]), /^The data set cannot be read: an element's length runs past the end/],
      // A deflated data set that is not deflate.
      [Buffer.concat([meta('1.2.840.10008.1.2.1.99'), Buffer.from('not deflate at all, just text')]), /^The data set cannot be read: its deflated bytes cannot be inflated/],
    ];
    for (const [bytes, reason] of cases) {
      const error = await readDicomIndex(bytes, true).then(
        () => new Error('read'),
        (caught: unknown) => caught as Error,
      );
      expect(error).toBeInstanceOf(DicomParseError);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toMatch(/dicomParser|parseDicom|overrun|readFixedString|ByteArrayParser|zlib/i);
    }
    const noPrefix = Buffer.concat([Buffer.alloc(128), Buffer.from('DICX'), Buffer.alloc(64)]);
    await expect(readDicomIndex(noPrefix, true)).rejects.toThrow(/^The File Meta Information cannot be read: it does not start like a DICOM file \(no DICM after the 128-byte preamble\)\.$/);
  });

  it('refuses a whole data set cut short inside Pixel Data (defined length), saying how much arrived, with its UIDs', async () => {
    for (const ts of [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, '1.2.840.10008.1.2.1']) {
      const whole = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels: Buffer.alloc(20_000), rows: 100, columns: 100 }), ts);
      await expect(readDicomIndex(whole, true), ts).resolves.toMatchObject({ sopInstanceUid: UID });
      const error = await readDicomIndex(whole.subarray(0, whole.length - 15_000), true).then(
        () => new Error('read'),
        (caught: unknown) => caught as Error,
      );
      expect(error, ts).toBeInstanceOf(DicomParseError);
      expect(error.message, ts).toMatch(/^The data set ends inside Pixel Data \(7FE0,0010\): 5,000 of 20,000 bytes arrived\./);
      expect((error as DicomParseError).partial, ts).toMatchObject({ sopInstanceUid: UID, sopClassUid: expect.any(String), transferSyntaxUid: ts });
    }
  });

  it('refuses encapsulated Pixel Data whose fragments run past the end, and reads a complete one', async () => {
    const whole = encapsulated([3000, 5000]);
    await expect(readDicomIndex(whole, true)).resolves.toMatchObject({ sopInstanceUid: UID, transferSyntaxUid: JPEG_BASELINE });
    await expect(readDicomIndex(whole.subarray(0, whole.length - 1000), true)).rejects.toThrow(/ends inside Pixel Data \(7FE0,0010\): fragment 2 has 4,008 of 5,000 bytes/);
    await expect(readDicomIndex(whole.subarray(0, whole.length - 8), true)).rejects.toThrow(/2 complete fragments and no end marker/);
  });

  it('says where Pixel Data starts when it read a head, so the rest of the stream can be checked as it passes', async () => {
    const whole = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels: Buffer.alloc(100_000), rows: 250, columns: 200 }));
    const index = await readDicomIndex(whole.subarray(0, 2000), false);
    expect(index.pixelData).toEqual({ valueOffset: whole.length - 100_000, length: 100_000, littleEndian: true });
    expect((await readDicomIndex(encapsulated([10]).subarray(0, 2000), false)).pixelData).toMatchObject({ length: null });
  });

  it('indexes the head of a large instance whose pixel data has not arrived yet', async () => {
    const whole = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'P1', pixels: Buffer.alloc(100_000), rows: 250, columns: 200 }));
    expect(await readDicomIndex(whole.subarray(0, 2000), false)).toMatchObject({ sopInstanceUid: UID, rows: 250 });
  });

  it('reads instances with 64-bit VRs (OV, SV, UV: PS3.5 2017+, e.g. an Extended Offset Table), explicit little and big endian', async () => {
    const table = Buffer.alloc(16);
    table.writeBigUInt64LE(0n, 0);
    table.writeBigUInt64LE(1234n, 8);
    const nested = writeDataset([[0x00189219, 'SV', Buffer.alloc(8)]]);
    const item = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), Buffer.alloc(4), nested]);
    item.writeUInt32LE(nested.length, 4);
    for (const ts of ['1.2.840.10008.1.2.1', EXPLICIT_VR_BIG_ENDIAN]) {
      const withLongVrs = [
        ...instanceElements({ sopInstanceUid: UID, patientId: 'ID-OV' }),
        [0x00189218, 'SQ', ts === EXPLICIT_VR_BIG_ENDIAN ? Buffer.alloc(0) : item],
        [0x0040a161, 'UV', Buffer.alloc(8)],
        [0x7fe00001, 'OV', table],
        [0x7fe00002, 'OV', table],
      ] as const;
      const file = part10File([...withLongVrs].sort((a, b) => a[0] - b[0]), ts);
      expect(await readDicomIndex(file, true), ts).toMatchObject({ sopInstanceUid: UID, patientId: 'ID-OV', rows: 4 });
    }
  });

  it('reads person names as family and given names, the alphabetic group first', () => {
    expect(personName('Doe^John^Q^Dr')).toEqual({ family: 'Doe', given: ['John', 'Q'] });
    expect(personName('=山田^太郎')).toEqual({ family: '山田', given: ['太郎'] });
    expect(personName(undefined)).toEqual({ family: '', given: [] });
  });

  it('an ISO 2022 IR 87 name keeps its kanji and kana groups in the patient record (QA12 D4)', async () => {
    const esc = (to: 'jis' | 'ascii') => (to === 'jis' ? [0x1b, 0x24, 0x42] : [0x1b, 0x28, 0x42]);
    // PS3.5 H.3.1's Yamada^Tarou=山田^太郎 and, as its third group, やまだ^たろう.
    const bytes = Buffer.from([
      ...Buffer.from('Yamada^Tarou='),
      ...esc('jis'), 0x3b, 0x33, 0x45, 0x44, ...esc('ascii'), 0x5e, ...esc('jis'), 0x42, 0x40, 0x4f, 0x3a, ...esc('ascii'),
      0x3d,
      ...esc('jis'), 0x24, 0x64, 0x24, 0x5e, 0x24, 0x40, ...esc('ascii'), 0x5e, ...esc('jis'), 0x24, 0x3f, 0x24, 0x6d, 0x24, 0x26, ...esc('ascii'),
    ]);
    const file = part10File(instanceElements({ sopInstanceUid: UID, patientId: 'QA12_JAPANESE', patientNameBytes: bytes, charset: '\\ISO 2022 IR 87' }));
    const index = await readDicomIndex(file, true);
    const info = instanceInfo(index, 'import');
    expect(normalizeInstance(index, info, {})?.patient.name).toEqual({ family: 'Yamada', given: ['Tarou'], ideographic: '山田 太郎', phonetic: 'やまだ たろう' });
  });

  it('keeps the ideographic and phonetic groups of a name beside the alphabetic one (QA12 D4)', () => {
    expect(personName('Yamada^Tarou=山田^太郎=やまだ^たろう')).toEqual({ family: 'Yamada', given: ['Tarou'], ideographic: '山田 太郎', phonetic: 'やまだ たろう' });
    expect(personName('Hong^Gildong=洪^吉洞=홍^길동')).toEqual({ family: 'Hong', given: ['Gildong'], ideographic: '洪 吉洞', phonetic: '홍 길동' });
    expect(personName('Yamada^Tarou==やまだ^たろう')).toEqual({ family: 'Yamada', given: ['Tarou'], phonetic: 'やまだ たろう' });
    // Without an alphabetic group the ideographic one is the name, not repeated.
    expect(personName('=山田^太郎=やまだ^たろう')).toEqual({ family: '山田', given: ['太郎'], phonetic: 'やまだ たろう' });
    expect(personName('王^小明')).toEqual({ family: '王', given: ['小明'] });
  });
});

// QA2-12 Q4 (found reading why View raw failed): dicom-parser reads one element past the File Meta
// Information; a deflate stream that reads as an SQ there made a valid instance "unreadable" (C000).
describe('a deflated instance whose stream starts like an SQ element', () => {
  it('is indexed, whole and as a head', async () => {
    const { file, patientId } = deflatedFileReadAsSequence();
    expect((await readDicomIndex(file, true)).patientId).toBe(patientId);
    expect((await readDicomIndex(file.subarray(0, 2000), false)).patientId).toBe(patientId);
  });
});
