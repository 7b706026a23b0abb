import { describe, expect, it } from 'vitest';
import { encodeEscapes, parseHl7 } from '../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../electron/intake/hl7/hl7-mapping';
import { hl7PatientIdentifiers } from '../../renderer/vault/records/erasure-quarantine';
import { msh } from '../electron/intake/hl7/hl7-test-support';

/**
 * The erasure's scan of quarantined HL7 inputs (the mind) must read a PID's identifiers exactly as
 * the intake's mapper (the body) files them: a pair the scan reads differently from the chart is an
 * input that survives the patient's erasure. The same messages go through both here, and the
 * (value, authority) pairs must agree.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

type Pair = { readonly value: string; readonly authority: string };

/** The pairs the body's mapper files for the message (none when it files no patient). */
function filed(bytes: Uint8Array): Pair[] {
  const item = parseHl7(bytes).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, context);
  if (result.kind !== 'patient') return [];
  return result.normalized.patient.identifiers.map(({ value, authority }) => ({ value, authority }));
}

const message = (pid: string, mshExtra = '') => Buffer.from(`${msh('ADT^A01', 'X1', mshExtra)}\r${pid}\rPV1|1|O\r`, 'latin1');

const CHARSET = (name: string) => `||||||${name}`;

const CASES: ReadonlyArray<readonly [string, Buffer]> = [
  ['plain', message('PID|1||QQ1^^^CLINIC^MR~QQ2^^^&1.2.3&ISO^PI||Name^Given')],
  ['escaped value', message('PID|1||MRN\\T\\01^^^CLINIC^MR~A\\S\\B\\F\\C\\R\\D\\E\\E^^^CLINIC||Name')],
  ['escaped authority', message('PID|1||QQ1^^^ST\\T\\MARY^MR~QQ2^^^&urn\\S\\x&ISO||Name')],
  ['hex escapes', message('PID|1||QQ\\X41\\7^^^\\X434C494E4943\\^MR||Name')],
  ['hex escape of UTF-8 bytes, UTF-8 message', message('PID|1||QQ\\XC3A9\\^^^H\\XC3B4\\pital||Name', CHARSET('UNICODE UTF-8'))],
  ['hex escape of UTF-8 bytes, 8859/1 message', message('PID|1||QQ\\XC3A9\\^^^H\\XF4\\pital||Name', CHARSET('8859/1'))],
  ['hex escape not valid UTF-8, default charset', message('PID|1||QQ\\XE9\\^^^CLINIC||Name')],
  ['a BOM as the namespace: decoded empty, the universal id instead', message('PID|1||QQ5^^^\\XEFBBBF\\&urn:y&ISO||Name')],
  ['formatting escapes kept as written', message('PID|1||QQ\\H\\6\\N\\^^^CLINIC\\.br\\||Name')],
  ['truncation escape with a declared truncation character', Buffer.from('MSH|^~\\&#|A|B|C|D|20250301||ADT^A01|X2|P|2.7\rPID|1||QQ\\P\\7^^^CLINIC||Name\r', 'latin1')],
  ['spaces decoded, then trimmed', message('PID|1||\\X20\\QQ8\\X20\\^^^ CLINIC ~  ^^^CLINIC||Name')],
  ['clipped to 64 after decoding', message(`PID|1||${'A'.repeat(60)}\\X42\\${'C'.repeat(10)}^^^${'N'.repeat(70)}||Name`)],
  ['PID-2 when PID-3 is empty', message('PID|1|OLD\\T\\7^^^LEGACY^PI|||Name')],
  ['PID-4 when PID-3 and PID-2 hold no value', message('PID|1|^^^LEGACY|^^^CLINIC~ ^^^CLINIC|ALT-4^^^OTHER^PI|Name')],
  ['PID-3 wins over PID-2 and PID-4', message('PID|1|OLD-7^^^LEGACY|QQ1^^^CLINIC|ALT-4^^^OTHER|Name')],
  ['at most 10 identifiers', message(`PID|1||^^^CLINIC~${Array.from({ length: 12 }, (_, i) => `QQ${i}^^^CLINIC`).join('~')}||Name`)],
  ['no identifier at all', message('PID|1||^^^CLINIC||Name')],
];

describe('the erasure scan reads a PID as the intake mapper files it', () => {
  for (const [name, bytes] of CASES) {
    it(name, () => {
      expect(hl7PatientIdentifiers(bytes)).toEqual(filed(bytes));
    });
  }

  it('agrees on generated identifiers with escaped delimiters, hex escapes, spaces and long values', () => {
    // A fixed seed: the same messages every run.
    let seed = 0x2b7e1516;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const ALPHABET = 'ABCXYZabz0179 -._:/|^~\\&';
    const text = (max: number): string => {
      let out = '';
      for (let i = Math.floor(random() * max); i > 0; i--) {
        const char = pick([...ALPHABET]);
        // Some characters written as hex escapes, the rest escaped only where HL7 requires it.
        out += random() < 0.15 ? `\\X${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}\\` : encodeEscapes(char);
      }
      return out;
    };
    const cx = (): string => {
      // HD: a namespace alone, or with a universal id (taken when the namespace is empty).
      const hd = random() < 0.4 ? `${random() < 0.5 ? '' : text(8)}&${text(8)}&ISO` : text(8);
      return `${text(random() < 0.1 ? 90 : 12)}^^^${hd}^${pick(['MR', 'PI', ''])}`;
    };
    const field = (): string => Array.from({ length: Math.floor(random() * 13) }, cx).join('~');
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const pid3 = random() < 0.2 ? '' : field();
      const bytes = message(`PID|1|${random() < 0.5 ? field() : ''}|${pid3}|${random() < 0.5 ? field() : ''}|Name^Given`);
      const pairs = filed(bytes);
      compared += pairs.length;
      expect(hl7PatientIdentifiers(bytes), bytes.toString('latin1')).toEqual(pairs);
    }
    // The generator does produce identifiers (the comparison is not between empty lists).
    expect(compared).toBeGreaterThan(1000);
  });
});
