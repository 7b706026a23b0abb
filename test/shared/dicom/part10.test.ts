import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { part10MetaEnd, readFileMetaInformation } from '../../../shared/dicom/part10';
import { deflatedFileReadAsSequence } from './deflated-meta-fixture';

describe('Part 10 File Meta Information', () => {
  it('ends where (0002,0000) says', () => {
    const { file, metaLength } = deflatedFileReadAsSequence();
    expect(part10MetaEnd(file)).toBe(metaLength);
    expect(part10MetaEnd(file.subarray(0, metaLength - 1))).toBeNull();
    expect(part10MetaEnd(new Uint8Array(200))).toBeNull();
  });

  it('is read without looking at the data set after it (a deflate stream that reads as an SQ element)', () => {
    const { file } = deflatedFileReadAsSequence();
    // The fixture's point: the parser alone throws on it.
    expect(() => dicomParser.readPart10Header(file)).toThrow();
    expect(readFileMetaInformation(file).string('x00020010')).toBe('1.2.840.10008.1.2.1.99');
  });
});
