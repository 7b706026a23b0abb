/**
 * The numeric and time types of IEEE 11073-20601 (Annex F): SFLOAT-Type (16 bits: 4-bit signed
 * exponent, 12-bit signed mantissa), FLOAT-Type (32 bits: 8-bit signed exponent, 24-bit signed
 * mantissa), both base 10, with reserved special values; and AbsoluteTime (8 BCD octets).
 * A special value is never turned into a number: NaN, NRes, ±INF and the reserved code decode to
 * their names, and no clinical value may be derived from them.
 */

export type MderSpecial = 'NaN' | 'NRes' | '+INF' | '-INF' | 'reserved';

export type MderNumber =
  | { readonly kind: 'number'; readonly mantissa: number; readonly exponent: number; readonly value: number }
  | { readonly kind: 'special'; readonly special: MderSpecial };

const SFLOAT_SPECIALS: ReadonlyMap<number, MderSpecial> = new Map([
  [0x07ff, 'NaN'],
  [0x0800, 'NRes'],
  [0x07fe, '+INF'],
  [0x0802, '-INF'],
  [0x0801, 'reserved'],
]);

const FLOAT_SPECIALS: ReadonlyMap<number, MderSpecial> = new Map([
  [0x007fffff, 'NaN'],
  [0x00800000, 'NRes'],
  [0x007ffffe, '+INF'],
  [0x00800002, '-INF'],
  [0x00800001, 'reserved'],
]);

/** mantissa × 10^exponent without binary drift for negative exponents (12.3, not 12.299999). */
function scaled(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

export function decodeSfloat(word: number): MderNumber {
  const special = SFLOAT_SPECIALS.get(word & 0xffff);
  if (special !== undefined) return { kind: 'special', special };
  let mantissa = word & 0x0fff;
  let exponent = (word >> 12) & 0x0f;
  if (exponent >= 0x8) exponent -= 0x10;
  if (mantissa >= 0x800) mantissa -= 0x1000;
  return { kind: 'number', mantissa, exponent, value: scaled(mantissa, exponent) };
}

export function decodeFloat(word: number): MderNumber {
  const special = FLOAT_SPECIALS.get(word >>> 0);
  if (special !== undefined) return { kind: 'special', special };
  let mantissa = word & 0x00ffffff;
  let exponent = (word >>> 24) & 0xff;
  if (exponent >= 0x80) exponent -= 0x100;
  if (mantissa >= 0x800000) mantissa -= 0x1000000;
  return { kind: 'number', mantissa, exponent, value: scaled(mantissa, exponent) };
}

function specialWord(specials: ReadonlyMap<number, MderSpecial>, special: MderSpecial): number {
  for (const [word, name] of specials) if (name === special) return word;
  throw new RangeError(`unknown special value ${special}`);
}

/** The SFLOAT word of a mantissa (−2048…2047 except the specials' codes at exponent 0) and exponent (−8…7). */
export function encodeSfloat(value: MderNumber): number {
  if (value.kind === 'special') return specialWord(SFLOAT_SPECIALS, value.special);
  const { mantissa, exponent } = value;
  if (!Number.isInteger(mantissa) || mantissa < -2048 || mantissa > 2047 || !Number.isInteger(exponent) || exponent < -8 || exponent > 7) {
    throw new RangeError('SFLOAT mantissa or exponent out of range');
  }
  const word = ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
  if (SFLOAT_SPECIALS.has(word)) throw new RangeError('SFLOAT mantissa collides with a special value');
  return word;
}

export function encodeFloat(value: MderNumber): number {
  if (value.kind === 'special') return specialWord(FLOAT_SPECIALS, value.special);
  const { mantissa, exponent } = value;
  if (!Number.isInteger(mantissa) || mantissa < -0x800000 || mantissa > 0x7fffff || !Number.isInteger(exponent) || exponent < -128 || exponent > 127) {
    throw new RangeError('FLOAT mantissa or exponent out of range');
  }
  const word = (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
  if (FLOAT_SPECIALS.has(word)) throw new RangeError('FLOAT mantissa collides with a special value');
  return word;
}

/** An AbsoluteTime as the agent sent it: local wall-clock time with no zone. */
export type AbsoluteTime =
  | {
      readonly valid: true;
      readonly year: number;
      readonly month: number;
      readonly day: number;
      readonly hour: number;
      readonly minute: number;
      readonly second: number;
      readonly hundredths: number;
      /** YYYY-MM-DDTHH:MM:SS.hh (no zone: the device's local time). */
      readonly local: string;
    }
  | { readonly valid: false; readonly reason: string };

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** AbsoluteTime: century, year, month, day, hour, minute, second, sec-fractions (1/100 s), each one BCD octet. */
export function decodeAbsoluteTime(bytes: Uint8Array): AbsoluteTime {
  if (bytes.length !== 8) return { valid: false, reason: `an AbsoluteTime is 8 octets, not ${bytes.length}` };
  const digits: number[] = [];
  for (const [index, octet] of bytes.entries()) {
    if (octet >> 4 > 9 || (octet & 0x0f) > 9) return { valid: false, reason: `octet ${index} is not BCD` };
    digits.push((octet >> 4) * 10 + (octet & 0x0f));
  }
  const [century, yy, month, day, hour, minute, second, hundredths] = digits as [number, number, number, number, number, number, number, number];
  const year = century * 100 + yy;
  if (month < 1 || month > 12) return { valid: false, reason: 'month out of range' };
  if (day < 1 || day > daysIn(year, month)) return { valid: false, reason: 'day out of range' };
  if (hour > 23) return { valid: false, reason: 'hour out of range' };
  if (minute > 59) return { valid: false, reason: 'minute out of range' };
  if (second > 59) return { valid: false, reason: 'second out of range' };
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  const local = `${p(year, 4)}-${p(month)}-${p(day)}T${p(hour)}:${p(minute)}:${p(second)}.${p(hundredths)}`;
  return { valid: true, year, month, day, hour, minute, second, hundredths, local };
}

/** The 8 BCD octets of a valid local date-time (the manager's own clock, for tests and agents). */
export function encodeAbsoluteTime(time: { year: number; month: number; day: number; hour: number; minute: number; second: number; hundredths: number }): Uint8Array {
  const bcd = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 99) throw new RangeError('BCD octet out of range');
    return ((Math.floor(n / 10) << 4) | n % 10) & 0xff;
  };
  return Uint8Array.from([bcd(Math.floor(time.year / 100)), bcd(time.year % 100), bcd(time.month), bcd(time.day), bcd(time.hour), bcd(time.minute), bcd(time.second), bcd(time.hundredths)]);
}
