import { describe, expect, it } from 'vitest';
import { charsetTerms, decodeDicomText, isKnownCharset } from '../../../shared/dicom/dicom-charset';

describe('Specific Character Set decoding', () => {
  it('decodes single-byte sets, UTF-8 and ISO 2022 with escapes', () => {
    expect(decodeDicomText(Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]), 'ISO_IR 100')).toBe('Müller');
    expect(decodeDicomText(Buffer.from([0xa9, 0x65]), 'ISO_IR 101')).toBe('Še');
    expect(decodeDicomText(Buffer.from([0xbb, 0xee, 0xd1]), 'ISO_IR 144')).toBe('Люб');
    expect(decodeDicomText(Buffer.from([0xc4, 0xe9, 0xef]), 'ISO_IR 126')).toBe('Διο');
    expect(decodeDicomText(Buffer.from('Żółć', 'utf8'), 'ISO_IR 192')).toBe('Żółć');
    // PS3.5 H.3.1: Yamada^Tarou=山田^太郎 in ISO 2022 IR 87.
    const jis = Buffer.from([0x59, 0x61, 0x6d, 0x61, 0x64, 0x61, 0x5e, 0x54, 0x61, 0x72, 0x6f, 0x75, 0x3d, 0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42, 0x5e, 0x1b, 0x24, 0x42, 0x42, 0x40, 0x4f, 0x3a, 0x1b, 0x28, 0x42]);
    expect(decodeDicomText(jis, 'ISO 2022 IR 6\\ISO 2022 IR 87')).toBe('Yamada^Tarou=山田^太郎');
    // PS3.5 I.2: Hong^Gildong=洪^吉洞 in ISO 2022 IR 149 (KS X 1001 in G1).
    const ksc = Buffer.from([0x48, 0x6f, 0x6e, 0x67, 0x5e, 0x47, 0x69, 0x6c, 0x64, 0x6f, 0x6e, 0x67, 0x3d, 0x1b, 0x24, 0x29, 0x43, 0xfb, 0xf3, 0x5e, 0x1b, 0x24, 0x29, 0x43, 0xd1, 0xce, 0xd4, 0xd7]);
    expect(decodeDicomText(ksc, '\\ISO 2022 IR 149')).toBe('Hong^Gildong=洪^吉洞');
  });
});

describe('Specific Character Set terms', () => {
  it('normalizes the terms and knows which ones it decodes', () => {
    expect(charsetTerms(undefined)).toEqual(['']);
    expect(charsetTerms('ISO 2022 IR 6\\ISO 2022 IR 87')).toEqual(['ISO_2022_IR_6', 'ISO_2022_IR_87']);
    expect(isKnownCharset('ISO_IR 100')).toBe(true);
    expect(isKnownCharset('\\ISO 2022 IR 149')).toBe(true);
    expect(isKnownCharset('ISO_IR 999')).toBe(false);
  });

  it('decodes a Korean value with no escape in its first component, and an unknown set as Latin-1', () => {
    expect(decodeDicomText(Buffer.from('Hong^Gildong', 'latin1'), '\\ISO 2022 IR 149')).toBe('Hong^Gildong');
    expect(decodeDicomText(Buffer.from([0x4d, 0xfc]), 'ISO_IR 999')).toBe('Mü');
  });
});
