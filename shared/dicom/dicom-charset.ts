/**
 * Specific Character Set (0008,0005) decoding of text values (PS3.5 6.1, PS3.3 C.12.1.1.2), which
 * dicom-parser leaves to its caller: its string readers read bytes as Latin-1.
 *
 * Single-byte and UTF-8 sets decode whole values; the ISO 2022 sets (code extensions) switch by
 * escape sequence: ESC ( B / ESC ( J back to ASCII or JIS X 0201 romaji, ESC $ B to JIS X 0208
 * (ISO 2022 IR 87), ESC $ ) C to KS X 1001 in G1 (ISO 2022 IR 149), whose bytes then have their
 * high bit set. Senders switch back to the initial set before delimiters (PS3.5 6.1.2.5.3), so
 * a switch holds until the next escape sequence.
 *
 * One implementation for the body's index (electron/intake/dicom) and the viewer's decode worker:
 * it uses only the platform TextDecoder (Node with full ICU, Chromium), whose WHATWG labels read
 * ISO 8859-1 as windows-1252.
 */

const SINGLE_BYTE: Readonly<Record<string, string>> = {
  '': 'latin1', // the default repertoire (ISO IR 6) is ASCII; Latin-1 reads it unchanged and keeps stray bytes visible
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'iso-8859-1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_166: 'windows-874',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** The ISO 2022 terms a value may switch to (the initial one is the first term's set). */
const ISO_2022_INITIAL: Readonly<Record<string, string>> = {
  ISO_2022_IR_6: 'latin1',
  ISO_2022_IR_100: 'iso-8859-1',
  ISO_2022_IR_101: 'iso-8859-2',
  ISO_2022_IR_144: 'iso-8859-5',
  ISO_2022_IR_126: 'iso-8859-7',
  ISO_2022_IR_13: 'shift_jis',
  ISO_2022_IR_87: 'latin1',
  ISO_2022_IR_149: 'latin1',
};

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let found = decoders.get(label);
  if (found === undefined) {
    found = new TextDecoder(label, { fatal: false });
    decoders.set(label, found);
  }
  return found;
}

/** The terms of a Specific Character Set value, normalized (`ISO 2022 IR 87` → `ISO_2022_IR_87`). */
export function charsetTerms(specificCharacterSet: string | undefined): string[] {
  if (specificCharacterSet === undefined) return [''];
  const terms = specificCharacterSet.split('\\').map((term) => term.trim().toUpperCase().replace(/[ -]/g, '_'));
  return terms.length === 0 ? [''] : terms;
}

/** True when this build decodes every term of the value (an unknown one is decoded as Latin-1 and reported). */
export function isKnownCharset(specificCharacterSet: string | undefined): boolean {
  return charsetTerms(specificCharacterSet).every((term) => term in SINGLE_BYTE || term in ISO_2022_INITIAL);
}

/**
 * What a user is told of an instance whose Specific Character Set this build does not know (H6 s38
 * finding 6): its text was decoded as Latin-1 (decodeDicomText's fallback). The value is named when
 * it reads as a code string (CS: letters, digits, space, underscore; a backslash between terms), else not.
 */
export function unknownCharsetNote(specificCharacterSet: string): string {
  const value = specificCharacterSet.trim();
  const named = /^[A-Za-z0-9 _\\-]{1,64}$/.test(value) ? `Character set ${value} (0008,0005)` : 'The character set (0008,0005)';
  return `${named} is not known: names and text are shown as read with Latin-1 and may be wrong.`;
}

const ESC = 0x1b;

/** Decodes one text value's bytes under a Specific Character Set. */
export function decodeDicomText(bytes: Uint8Array, specificCharacterSet: string | undefined): string {
  const terms = charsetTerms(specificCharacterSet);
  const first = terms[0]!;
  const iso2022 = terms.some((term) => term.startsWith('ISO_2022'));
  if (!iso2022 || !bytes.includes(ESC)) {
    const label = SINGLE_BYTE[first] ?? ISO_2022_INITIAL[first] ?? 'latin1';
    return decoder(label).decode(bytes);
  }
  return decodeIso2022(bytes, ISO_2022_INITIAL[first] ?? 'latin1');
}

type G = 'initial' | 'jis0208' | 'ksc' | 'romaji';

/** The set an escape sequence designates (undefined: none this decoder switches to) and its length. */
function escapeAt(a: number | undefined, b: number | undefined, c: number | undefined): { set?: G; length: number } {
  if (a === 0x28 && b === 0x42) return { set: 'initial', length: 3 };
  if (a === 0x28 && b === 0x4a) return { set: 'romaji', length: 3 };
  if (a === 0x24 && b === 0x42) return { set: 'jis0208', length: 3 };
  if (a === 0x24 && b === 0x29 && c === 0x43) return { set: 'ksc', length: 4 };
  // A G1 single-byte designation (e.g. ESC - A): its bytes decode as the initial set.
  if (a === 0x2d || a === 0x29) return { length: 3 };
  return { length: 1 };
}

function decodeIso2022(bytes: Uint8Array, initial: string): string {
  let out = '';
  let set: G = 'initial';
  let start = 0;
  const flush = (end: number): void => {
    if (end <= start) return;
    const part = bytes.subarray(start, end);
    switch (set) {
      case 'initial':
        out += decoder(initial).decode(part);
        break;
      case 'romaji':
        out += decoder('shift_jis').decode(part);
        break;
      case 'jis0208':
        // iso-2022-jp decodes JIS X 0208 after its designation escape.
        out += decoder('iso-2022-jp').decode(Uint8Array.from([ESC, 0x24, 0x42, ...part]));
        break;
      case 'ksc': {
        // KS X 1001 invoked in G1: high-bit bytes are EUC-KR; low bytes stay ASCII.
        out += decoder('euc-kr').decode(part);
        break;
      }
    }
  };
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte === ESC) {
      flush(i);
      const a = bytes[i + 1];
      const b = bytes[i + 2];
      const c = bytes[i + 3];
      const designation = escapeAt(a, b, c);
      set = designation.set ?? set;
      i += designation.length;
      start = i;
      continue;
    }
    i += 1;
  }
  flush(bytes.length);
  return out;
}
