import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { inflatedPart10, MAX_INFLATED_BYTES, readDicomElements } from '../../../shared/dicom/dicom-elements';
import { buildFileMetaInformation } from '../../../electron/intake/dicom/dicom-part10';
import { instanceElements, part10File, writeDataset } from '../../electron/intake/dicom/dicom-test-support';
import { deflatedFileReadAsSequence } from './deflated-meta-fixture';

const fields = { sopInstanceUid: '1.2.826.0.1.3680043.10.999.77.1', patientId: 'MRN-RAW-1', patientName: 'Raw^Rita', studyDescription: 'RAW VIEW' };

const valueOf = (rows: readonly { tag: string; value: string }[], tag: string) => rows.find((row) => row.tag === tag)?.value;

describe('DICOM elements of an input, as far as they read (raw view, erasure scan)', () => {
  it('reads a Part 10 file up to Pixel Data, with the File Meta Information', () => {
    const read = readDicomElements(part10File(instanceElements(fields)));
    expect(read.form).toBe('part10');
    expect(read.problem).toBeNull();
    expect(valueOf(read.rows, '(0010,0020)')).toBe('MRN-RAW-1');
    expect(valueOf(read.rows, '(0008,1030)')).toBe('RAW VIEW');
    expect(valueOf(read.rows, '(0002,0010)')).toBe('1.2.840.10008.1.2.1');
  });

  it('reads a bare data set (no preamble) by trying the little-endian syntaxes', () => {
    for (const syntax of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']) {
      const read = readDicomElements(writeDataset(instanceElements(fields), syntax));
      expect(read.form).toBe('bare');
      expect(read.problem).toBeNull();
      expect(valueOf(read.rows, '(0010,0020)')).toBe('MRN-RAW-1');
    }
  });

  it('keeps what it read of a file cut short, and says why it stopped', () => {
    const whole = part10File([...instanceElements(fields), [0x00291010, 'OB', Buffer.alloc(4000, 1)]]);
    const cut = whole.subarray(0, whole.length - 3000);
    const read = readDicomElements(cut);
    expect(read.form).toBe('part10');
    // In plain words, never the parser's own text ("dicomParser:parseDicomDataSetExplicit: buffer overrun"; QA explore-12 D5).
    expect(read.problem).toBe("an element's length runs past the end of the data set (it was cut short, or a length in it is wrong)");
    expect(valueOf(read.rows, '(0010,0020)')).toBe('MRN-RAW-1');
  });

  // QA2-12 Q4: a deflated instance in quarantine showed no element and "damaged or cut short", whole or not.
  it('reads a deflated data set (Deflated Explicit VR Little Endian), whole, padded, or cut short', () => {
    const meta = buildFileMetaInformation({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: fields.sopInstanceUid, transferSyntaxUid: '1.2.840.10008.1.2.1.99' });
    const stream = deflateRawSync(writeDataset(instanceElements({ ...fields, pixels: Buffer.alloc(200_000, 3), rows: 400, columns: 250 })));
    for (const file of [Buffer.concat([meta, stream]), Buffer.concat([meta, stream, Buffer.from([0])])]) {
      const read = readDicomElements(file);
      expect(read).toMatchObject({ form: 'part10', problem: null });
      expect(valueOf(read.rows, '(0010,0020)')).toBe('MRN-RAW-1');
      expect(valueOf(read.rows, '(0008,1030)')).toBe('RAW VIEW');
    }
    const cut = readDicomElements(Buffer.concat([meta, stream.subarray(0, Math.floor(stream.length / 2))]));
    expect(valueOf(cut.rows, '(0010,0020)')).toBe('MRN-RAW-1');
    expect(cut.problem).not.toBeNull();
  });

  it('inflates at most MAX_INFLATED_BYTES (a deflate bomb), still reading the elements before', () => {
    const meta = buildFileMetaInformation({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: fields.sopInstanceUid, transferSyntaxUid: '1.2.840.10008.1.2.1.99' });
    // Twice the bound of zeros after the elements: it deflates to a small fraction of that.
    const bomb = deflateRawSync(Buffer.concat([writeDataset(instanceElements(fields)), Buffer.alloc(2 * MAX_INFLATED_BYTES)]));
    const file = Buffer.concat([meta, bomb]);
    expect(inflatedPart10(file, meta.length).length).toBe(meta.length + MAX_INFLATED_BYTES);
    const read = readDicomElements(file);
    expect(valueOf(read.rows, '(0010,0020)')).toBe('MRN-RAW-1');
  });

  it('reads a deflated data set whose stream starts like an SQ element (dicom-parser looks one element past the meta)', () => {
    const { file, patientId } = deflatedFileReadAsSequence();
    const read = readDicomElements(file);
    expect(read).toMatchObject({ form: 'part10', problem: null });
    expect(valueOf(read.rows, '(0010,0020)')).toBe(patientId);
  });

  it('says that bytes which are not DICOM hold no readable element', () => {
    const read = readDicomElements(new TextEncoder().encode('MSH|^~\\&|not|dicom\r'.repeat(20)));
    expect(read.rows).toEqual([]);
    expect(read.form).toBeNull();
    expect(read.problem).toMatch(/No DICM marker/);
  });
});
