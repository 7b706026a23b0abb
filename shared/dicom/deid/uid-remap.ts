import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * UID replacement for the U action (PS3.15 E.1.1, Table E.1-1): the same input UID gets the same
 * new UID in every instance of one release, so the study/series/instance structure, the Frame of
 * Reference and every reference inside sequences still hold; a release with another secret gets
 * unrelated UIDs, so two releases cannot be joined on them.
 *
 * New UIDs have the UUID-derived form of PS3.5 B.2: "2.25." and the decimal value of a 128-bit
 * UUID, here the first 16 bytes of HMAC-SHA-256(release secret, UID) with the RFC 9562 version 8
 * (custom) and variant bits set. At most 44 characters (the limit is 64).
 */
export interface UidRemapper {
  /** The new UID for one UID; a well-known one (the 1.2.840.10008 root: SOP classes, transfer syntaxes, coding schemes) is returned as is. */
  remap(uid: string): string;
}

/** PS3.5 9.1: the root of the UIDs the standard itself defines. */
const DICOM_ROOT = '1.2.840.10008.';

export function isWellKnownUid(uid: string): boolean {
  return uid.startsWith(DICOM_ROOT);
}

export function createUidRemapper(releaseSecret: Uint8Array): UidRemapper {
  if (releaseSecret.length < 16) throw new Error('The release secret for UID remapping must have at least 16 bytes.');
  const secret = Uint8Array.from(releaseSecret);
  const seen = new Map<string, string>();
  const encoder = new TextEncoder();
  return {
    remap(uid: string): string {
      const clean = uid.replace(/[\0 ]+$/, '').trim();
      if (clean === '' || isWellKnownUid(clean)) return clean;
      const known = seen.get(clean);
      if (known !== undefined) return known;
      const bytes = hmac(sha256, secret, encoder.encode(clean)).slice(0, 16);
      bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
      bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10xx
      let value = 0n;
      for (const byte of bytes) value = (value << 8n) | BigInt(byte);
      const remapped = `2.25.${value.toString(10)}`;
      seen.set(clean, remapped);
      return remapped;
    },
  };
}
