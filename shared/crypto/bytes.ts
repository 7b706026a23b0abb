/**
 * Byte helpers for the crypto code: concatenation, constant-time comparison, base64url, hex, UTF-8,
 * big-endian integers and random bytes. No dependencies; identical in Node and browsers.
 */

/** A byte array backed by a plain ArrayBuffer: what WebCrypto's `BufferSource` accepts. */
export type Bytes = Uint8Array<ArrayBuffer>;

/**
 * The same bytes typed for WebCrypto. A view on a plain ArrayBuffer is returned as is (no copy);
 * a view on a SharedArrayBuffer is copied, because WebCrypto refuses shared memory.
 */
export function asBytes(data: Uint8Array): Bytes {
  return data.buffer instanceof ArrayBuffer ? (data as Bytes) : new Uint8Array(data);
}

export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Whether two byte arrays are equal, in time that depends only on their lengths (never on where
 * they differ). Use it for anything compared against a secret: tags, checksums, MACs.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Plain equality for public data (headers, test assertions). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value, -1 outside the alphabet (a typed table: the renderer decodes every journal record's sealed metadata with this). */
const BASE64URL_CODES: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE64URL_ALPHABET.length; i++) table[BASE64URL_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** ES2026 `Uint8Array.prototype.toBase64` (Chromium 140+, so the desktop app's and the shell's pages; not Node 20). */
type NativeToBase64 = (this: Uint8Array, options: { alphabet: 'base64url'; omitPadding: boolean }) => string;
/** Node's Buffer, where there is one (the body, tests); never in the page. */
const NODE_BUFFER = (globalThis as { Buffer?: { from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64url'): string } } }).Buffer;

/**
 * RFC 4648 §5 base64url without padding. Natively where the runtime can: the page sends a DICOM
 * import to the body in 512 KiB chunks, and the loop took ~10 s for 60 MiB (tester T1 S35 F15).
 */
export function toBase64Url(data: Uint8Array): string {
  const native = (data as Uint8Array & { toBase64?: NativeToBase64 }).toBase64;
  if (typeof native === 'function') return native.call(data, { alphabet: 'base64url', omitPadding: true });
  if (NODE_BUFFER !== undefined) return NODE_BUFFER.from(data.buffer, data.byteOffset, data.byteLength).toString('base64url');
  return toBase64UrlPortable(data);
}

/** The same encoding in plain JavaScript, for a runtime with neither (and the tests' reference). */
export function toBase64UrlPortable(data: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]! + BASE64URL_ALPHABET[(n >>> 6) & 63]! + BASE64URL_ALPHABET[n & 63]!;
  }
  const rest = data.length - i;
  if (rest === 1) {
    const n = data[i]! << 16;
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8);
    out += BASE64URL_ALPHABET[n >>> 18]! + BASE64URL_ALPHABET[(n >>> 12) & 63]! + BASE64URL_ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/**
 * Strict base64url decoding: no padding, no whitespace, no characters outside the alphabet, and
 * the unused low bits of the last character must be zero (so every byte string has exactly one
 * encoding). Throws a RangeError that names the problem, never the input.
 */
export function fromBase64Url(text: string): Bytes {
  if (text.length % 4 === 1) throw new RangeError('Invalid base64url: impossible length.');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  const whole = text.length - (text.length % 4);
  let offset = 0;
  // Four characters → three bytes; operands are read left to right, so the first bad character is the one named.
  for (let i = 0; i < whole; i += 4) {
    const n = (base64UrlValue(text, i) << 18) | (base64UrlValue(text, i + 1) << 12) | (base64UrlValue(text, i + 2) << 6) | base64UrlValue(text, i + 3);
    out[offset++] = n >>> 16;
    out[offset++] = (n >>> 8) & 0xff;
    out[offset++] = n & 0xff;
  }
  const rest = text.length - whole;
  if (rest >= 2) {
    const a = base64UrlValue(text, whole);
    const b = base64UrlValue(text, whole + 1);
    const c = rest === 3 ? base64UrlValue(text, whole + 2) : 0;
    if ((rest === 2 && (b & 0x0f) !== 0) || (rest === 3 && (c & 0x03) !== 0)) throw new RangeError('Invalid base64url: non-canonical final character.');
    out[offset++] = (a << 2) | (b >>> 4);
    if (rest === 3) out[offset++] = ((b & 0x0f) << 4) | (c >>> 2);
  }
  return out;
}

function base64UrlValue(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? BASE64URL_CODES[code]! : -1;
  if (value < 0) throw new RangeError(`Invalid base64url: character ${index + 1} is outside the alphabet.`);
  return value;
}

export function isBase64Url(text: string, byteLength?: number): boolean {
  try {
    const bytes = fromBase64Url(text);
    return byteLength === undefined || bytes.length === byteLength;
  } catch {
    return false;
  }
}

export function toHex(data: Uint8Array): string {
  let out = '';
  for (const byte of data) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text: string): Bytes {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new RangeError('Invalid hex string.');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Bytes {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: malformed input throws a TypeError instead of turning into U+FFFD. */
export function utf8Decode(data: Uint8Array): string {
  return decoder.decode(data);
}

/** 4-byte big-endian encoding of an unsigned 32-bit integer. */
export function u32be(value: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/**
 * An unambiguous encoding of a list of strings: each as a 4-byte big-endian length followed by
 * its UTF-8 bytes. Used wherever several strings are bound together as associated data or HMAC
 * input, so that ("ab", "c") and ("a", "bc") never encode alike.
 */
export function encodeStringList(items: readonly string[]): Bytes {
  const parts: Uint8Array[] = [];
  for (const item of items) {
    const bytes = utf8Encode(item);
    parts.push(u32be(bytes.length), bytes);
  }
  return concatBytes(...parts);
}

const RANDOM_LIMIT = 65536; // getRandomValues fills at most 64 KiB per call

/** Cryptographically secure random bytes from the platform (WebCrypto's getRandomValues). */
export function randomBytes(length: number): Bytes {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += RANDOM_LIMIT) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + RANDOM_LIMIT)));
  }
  return out;
}
