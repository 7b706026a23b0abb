import { describe, expect, it } from 'vitest';
import { declaredDelimiters, decodeEscapes, STANDARD_DELIMITERS, type Hl7Delimiters } from '../../../shared/hl7/escapes';

const CUSTOM: Hl7Delimiters = { field: '#', component: '$', repetition: '%', escape: '!', subcomponent: '*' };

describe('HL7 escape sequences (shared by the body’s front end and the mind’s erasure scan)', () => {
  it('decodes the delimiter escapes with the delimiters given, \\P\\ to the truncation character', () => {
    expect(decodeEscapes('a!F!b!S!c!T!d!R!e!E!f', CUSTOM)).toBe('a#b$c*d%e!f');
    expect(decodeEscapes('a\\F\\b', CUSTOM)).toBe('a\\F\\b');
    expect(decodeEscapes('x\\P\\y')).toBe('x#y');
    expect(decodeEscapes('x\\P\\y', { ...STANDARD_DELIMITERS, truncation: '@' })).toBe('x@y');
  });

  it('reads hex escapes as UTF-8 where they are valid UTF-8 in a UTF-8 message, else one character per byte', () => {
    expect(decodeEscapes('\\XC3A9\\')).toBe('é');
    expect(decodeEscapes('\\XC3A9\\', STANDARD_DELIMITERS, false)).toBe('Ã©');
    expect(decodeEscapes('\\XE9\\')).toBe('é');
    // ISO 8859-1, not windows-1252: 0x80 is U+0080, not the euro sign.
    expect(decodeEscapes('\\X80\\', STANDARD_DELIMITERS, false)).toBe('\u0080');
    // A UTF-8 BOM decodes to nothing (TextDecoder drops it), as the front end always read it.
    expect(decodeEscapes('\\XEFBBBF\\')).toBe('');
    expect(decodeEscapes('\\X4\\ \\XZZ\\ \\X\\')).toBe('\\X4\\ \\XZZ\\ \\X\\');
  });

  it('decodes a long hex escape whole, and gives what Node’s own hex and latin1 decoding give', () => {
    const bytes = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 37 + 11) % 256);
    const hex = Buffer.from(bytes).toString('hex');
    expect(decodeEscapes(`\\X${hex}\\`, STANDARD_DELIMITERS, false)).toBe(Buffer.from(bytes).toString('latin1'));
    // Not valid UTF-8: read one character per byte in a UTF-8 message too.
    expect(decodeEscapes(`\\X${hex}\\`)).toBe(Buffer.from(bytes).toString('latin1'));
    const utf8 = Buffer.from('Ωmega – ü'.repeat(1000), 'utf8');
    expect(decodeEscapes(`\\X${utf8.toString('hex').toUpperCase()}\\`)).toBe('Ωmega – ü'.repeat(1000));
  });

  it('keeps formatting escapes, an empty escape and an unterminated one as written', () => {
    expect(decodeEscapes('line\\.br\\next \\H\\bold\\N\\ \\.sp2\\ \\Zcustom\\ \\\\')).toBe('line\\.br\\next \\H\\bold\\N\\ \\.sp2\\ \\Zcustom\\ \\\\');
    expect(decodeEscapes('unterminated \\F')).toBe('unterminated \\F');
    expect(decodeEscapes('no escape at all')).toBe('no escape at all');
  });

  it('reads the delimiters a header declares, the missing ones standard, a fifth the truncation character', () => {
    expect(declaredDelimiters('MSH|^~\\&|A|B')).toEqual(STANDARD_DELIMITERS);
    expect(declaredDelimiters('MSH|^~\\&#|A')).toEqual({ ...STANDARD_DELIMITERS, truncation: '#' });
    expect(declaredDelimiters('MSH#$%!*#ADT')).toEqual(CUSTOM);
    expect(declaredDelimiters('BHS#$%')).toEqual({ field: '#', component: '$', repetition: '%', escape: '\\', subcomponent: '&' });
  });
});
