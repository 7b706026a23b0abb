import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../../../renderer/features/imaging/viewer/decode/frame-decoder';
import { parseInstance } from '../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { nodeCodecs } from './node-codecs';
import { ctPhantomHu, ctSlice, storedOfHu, TS } from './viewer-fixtures';
import { deflatedFileReadAsSequence } from '../../../../shared/dicom/deflated-meta-fixture';

/** Every native transfer syntax and RLE, written by project code: the decoded stored values are the phantom's, exactly. */
describe('native transfer syntaxes and RLE', () => {
  const codecs = nodeCodecs();
  const expected = storedOfHu(ctPhantomHu(64, 3));

  for (const [name, uid] of Object.entries(TS)) {
    it(`${name} (${uid}) decodes to the phantom's stored values`, async () => {
      const parsed = await parseInstance(new Uint8Array(ctSlice({ size: 64, slice: 3, transferSyntax: uid, sopInstanceUid: `1.2.3.${name.length}` })));
      expect(parsed.transferSyntaxUid).toBe(uid);
      expect(parsed.image).not.toBeNull();
      const image = parsed.image!;
      expect(image.pixel).toMatchObject({ rows: 64, columns: 64, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1 });
      expect(image.modality).toEqual({ slope: 1, intercept: -1024, lut: null });
      expect(image.voi.windows).toEqual([{ center: 40, width: 400, label: 'ABDOMEN' }]);
      expect(image.pixelSpacing).toEqual([0.5, 0.5]);
      const frame = await decodeFrame(parsed.dataSet, image, 0, codecs);
      expect(frame.kind).toBe('gray');
      if (frame.kind !== 'gray') return;
      expect(frame.pixels).toBeInstanceOf(Int16Array);
      expect(Array.from(frame.pixels)).toEqual(Array.from(expected));
      expect(frame.min).toBe(-2000);
    });
  }
});

/** QA2-12 Q3: dcmtk pads a deflate stream of odd length with one NUL byte; the platform's inflater refuses bytes after the end. */
describe('a deflated data set padded to an even length', () => {
  it('decodes with the pad byte after the end of the deflate stream', async () => {
    let file: Buffer;
    let slice = 0;
    do file = ctSlice({ size: 64, slice: slice++, transferSyntax: TS.deflated, sopInstanceUid: '1.2.3.4' });
    while (file.length % 2 === 0);
    const parsed = await parseInstance(new Uint8Array(Buffer.concat([file, Buffer.from([0])])));
    expect(parsed.image).not.toBeNull();
    const frame = await decodeFrame(parsed.dataSet, parsed.image!, 0, nodeCodecs());
    expect(frame.kind === 'gray' && Array.from(frame.pixels)).toEqual(Array.from(storedOfHu(ctPhantomHu(64, slice - 1))));
  });

  it('says in words that a damaged deflate stream cannot be inflated', async () => {
    const file = ctSlice({ size: 64, slice: 3, transferSyntax: TS.deflated, sopInstanceUid: '1.2.3.5' });
    await expect(parseInstance(new Uint8Array(file.subarray(0, file.length - 40)))).rejects.toThrow('The deflated data set cannot be inflated: it is damaged or cut short.');
  });
});

// QA2-12 Q4: dicom-parser reads one element past the File Meta Information; a deflate stream that
// reads as an SQ there (a mostly black image compresses so) was "unreadable".
describe('a deflated data set whose stream starts like an SQ element', () => {
  it('decodes', async () => {
    const { file, patientId } = deflatedFileReadAsSequence();
    const parsed = await parseInstance(new Uint8Array(file));
    expect(parsed.dataSet.string('x00100020')).toBe(patientId);
    const frame = await decodeFrame(parsed.dataSet, parsed.image!, 0, nodeCodecs());
    expect(frame.kind === 'gray' && frame.pixels.length).toBe(256 * 512);
  });
});
