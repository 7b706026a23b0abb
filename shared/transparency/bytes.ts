/**
 * Byte helpers for the transparency log, isomorphic (no Buffer): hex, strict base64 and UTF-8.
 *
 * Why strict base64: a signed note or a checkpoint is compared byte for byte (two checkpoints that
 * differ only in a non-canonical base64 spelling would otherwise be "different" notes with the same
 * meaning). The decoder accepts only what the encoder produces: standard alphabet, padding, zero
 * trailing bits, no whitespace.
 */

// Lowercase hex, plain equality and concatenation are the vault's own (shared/crypto/bytes.ts).
export { bytesEqual, concatBytes, toHex } from '../crypto/bytes';

const HEX_DIGITS = '0123456789abcdef';
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUES[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}

/** Decodes hex (an optional 0x prefix, either case); throws on anything else. */
export function fromHex(hex: string): Uint8Array {
  const start = hex.startsWith('0x') || hex.startsWith('0X') ? 2 : 0;
  const length = hex.length - start;
  if (length % 2 !== 0) throw new RangeError('Hex text has an odd number of digits.');
  const out = new Uint8Array(length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex.charCodeAt(start + 2 * i));
    const lo = hexValue(hex.charCodeAt(start + 2 * i + 1));
    if (hi < 0 || lo < 0) throw new RangeError('Hex text has a character that is not a hex digit.');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUES[code]! : -1;
}

/**
 * Decodes the 64-digit 0x-prefixed hex that ethers' sha256 returns, into `out` at `offset`, without
 * validation (the input is ethers' own output). The hot path of every Merkle hash.
 */
export function decodeDigestHex(hex: string, out: Uint8Array, offset = 0): void {
  for (let i = 0; i < 32; i++) out[offset + i] = (HEX_VALUES[hex.charCodeAt(2 + 2 * i)]! << 4) | HEX_VALUES[hex.charCodeAt(3 + 2 * i)]!;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUES[B64_ALPHABET.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64_ALPHABET[n >> 18]! + B64_ALPHABET[(n >> 12) & 63]! + B64_ALPHABET[(n >> 6) & 63]! + B64_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${B64_ALPHABET[n >> 18]!}${B64_ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64_ALPHABET[n >> 18]!}${B64_ALPHABET[(n >> 12) & 63]!}${B64_ALPHABET[(n >> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decodes canonical standard base64: length a multiple of 4, padding only at the end, unused bits
 * zero. Returns null for anything else, so a parser can name the field that was wrong.
 */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = b64Value(text.charCodeAt(i));
    const b = b64Value(text.charCodeAt(i + 1));
    const c = last && padding === 2 ? 0 : b64Value(text.charCodeAt(i + 2));
    const d = last && padding >= 1 ? 0 : b64Value(text.charCodeAt(i + 3));
    if (a < 0 || b < 0 || c < 0 || d < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    // Non-canonical: bits the padding says are unused are set.
    if (last && padding === 2 && (b & 15) !== 0) return null;
    if (last && padding === 1 && (c & 3) !== 0) return null;
  }
  return out;
}

function b64Value(code: number): number {
  return code < 128 ? B64_VALUES[code]! : -1;
}

const ENCODER = new TextEncoder();
const STRICT_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Decodes UTF-8, or returns null if the bytes are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_DECODER.decode(bytes);
  } catch {
    return null;
  }
}

/** Whether the text holds a character below U+0020 (newline excepted when `newlineAllowed`). */
export function hasControlCharacter(text: string, newlineAllowed: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && !(newlineAllowed && code === 0x0a)) return true;
  }
  return false;
}
