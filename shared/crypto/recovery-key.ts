import { asBytes, constantTimeEqual, randomBytes, type Bytes } from './bytes';

/**
 * The recovery key shown once at setup: 32 random bytes, written for people as 14 groups of 4
 * Crockford base32 characters: 13 groups carry the key (256 bits in 52 characters, the last one
 * padded with zero bits) and the 14th is a checksum, the first 20 bits of SHA-256 of the key.
 *
 *   7KQ2-M9XD-…-4HC0-ZP3W        (56 characters, dashes optional)
 *
 * The checksum catches a mistyped or transposed character before a slow unwrap (a wrong key slips
 * through with odds of 1 in 2^20). Parsing tolerates spaces, dashes, lower case and the usual
 * confusions of Crockford's alphabet: O reads as 0, I and L as 1. U is not in the alphabet.
 * Errors name the problem and a position, never the characters typed.
 */

export const RECOVERY_KEY_LENGTH = 32;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_CHARACTERS = 52; // ceil(256 / 5)
const CHECKSUM_CHARACTERS = 4; // 20 bits
const TOTAL_CHARACTERS = KEY_CHARACTERS + CHECKSUM_CHARACTERS;
const GROUP = 4;

export type RecoveryKeyErrorCode = 'E_RECOVERY_KEY_FORMAT' | 'E_RECOVERY_KEY_CHECKSUM';

export class RecoveryKeyError extends Error {
  constructor(
    readonly code: RecoveryKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RecoveryKeyError';
  }
}

const VALUES: Readonly<Record<string, number>> = {
  ...Object.fromEntries([...ALPHABET].map((char, index) => [char, index])),
  O: 0,
  I: 1,
  L: 1,
};

export function generateRecoveryKey(): Bytes {
  return randomBytes(RECOVERY_KEY_LENGTH);
}

function encodeBits(data: Uint8Array, characters: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  let index = 0;
  while (out.length < characters) {
    if (bits < 5) {
      buffer = (buffer << 8) | (index < data.length ? data[index]! : 0);
      index++;
      bits += 8;
    }
    bits -= 5;
    out += ALPHABET[(buffer >>> bits) & 31]!;
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** The 20-bit checksum as 4 characters. */
async function checksumOf(key: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', asBytes(key)));
  return encodeBits(digest.subarray(0, 3), CHECKSUM_CHARACTERS);
}

/** The key as people write it down: 14 dash-separated groups of 4 characters. */
export async function formatRecoveryKey(key: Uint8Array): Promise<string> {
  if (!(key instanceof Uint8Array) || key.length !== RECOVERY_KEY_LENGTH) throw new TypeError(`A recovery key is ${RECOVERY_KEY_LENGTH} bytes.`);
  const text = encodeBits(key, KEY_CHARACTERS) + (await checksumOf(key));
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += GROUP) groups.push(text.slice(i, i + GROUP));
  return groups.join('-');
}

/**
 * Reads a recovery key as typed: spaces, dashes and case do not matter; O means 0, I and L mean 1.
 * Throws RecoveryKeyError: E_RECOVERY_KEY_FORMAT (wrong length, a character outside the
 * alphabet), E_RECOVERY_KEY_CHECKSUM (a typo: the checksum group does not match).
 */
export async function parseRecoveryKey(text: string): Promise<Bytes> {
  if (typeof text !== 'string') throw new RecoveryKeyError('E_RECOVERY_KEY_FORMAT', 'A recovery key is text.');
  const compact = text.replace(/[\s\-‐‑‒–—]/gu, '').toUpperCase();
  if (compact.length !== TOTAL_CHARACTERS) {
    throw new RecoveryKeyError(
      'E_RECOVERY_KEY_FORMAT',
      `A recovery key has ${TOTAL_CHARACTERS} characters (14 groups of 4); this one has ${compact.length}.`,
    );
  }
  const values: number[] = [];
  for (let i = 0; i < compact.length; i++) {
    const value = VALUES[compact[i]!];
    if (value === undefined) {
      throw new RecoveryKeyError(
        'E_RECOVERY_KEY_FORMAT',
        `Character ${(i % GROUP) + 1} of group ${Math.floor(i / GROUP) + 1} is not used in recovery keys (they use 0–9 and A–Z without U).`,
      );
    }
    values.push(value);
  }
  const key = new Uint8Array(RECOVERY_KEY_LENGTH);
  let buffer = 0;
  let bits = 0;
  let offset = 0;
  for (const value of values.slice(0, KEY_CHARACTERS)) {
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (offset < RECOVERY_KEY_LENGTH) key[offset++] = (buffer >>> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  // The 52nd character carries 1 key bit and 4 zero bits; anything else there is a typo.
  const typed = compact.slice(KEY_CHARACTERS).replace(/O/g, '0').replace(/[IL]/g, '1');
  if (buffer !== 0 || !constantTimeEqual(new TextEncoder().encode(typed), new TextEncoder().encode(await checksumOf(key)))) {
    key.fill(0);
    throw new RecoveryKeyError('E_RECOVERY_KEY_CHECKSUM', 'The recovery key has a typo: its last group does not match the rest. Check each group.');
  }
  return key;
}
