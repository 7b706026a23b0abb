import { asBytes, concatBytes, encodeStringList, randomBytes, utf8Decode, utf8Encode, type Bytes } from './bytes';

/**
 * Encrypted fields of the Dexie views (design §2): a JSON-serialisable value encrypted with the
 * view key, AES-256-GCM, a random 12-byte IV per value, and as associated data the table name, the
 * row's primary key and (optionally) the field name — so a ciphertext copied to another row,
 * another table or another field of the same row fails to decrypt instead of showing the wrong
 * patient's data.
 *
 * Stored form: one Uint8Array, version byte (1) ‖ IV (12) ‖ ciphertext ‖ tag (16). IndexedDB
 * stores typed arrays natively (structured clone), so no base64 inflation; Dexie returns them as
 * Uint8Array. Random IVs under one key are safe well beyond 2^32 values (NIST SP 800-38D §8.3);
 * a vault holds orders of magnitude fewer.
 *
 * Encrypt BEFORE bulkPut and decrypt after the read transaction ends: awaiting WebCrypto inside a
 * Dexie transaction lets the transaction commit early. encryptMany runs the values in parallel.
 *
 * Values go through JSON: Dates come back as ISO strings, undefined properties vanish, and
 * undefined itself, functions, BigInt and cycles are refused.
 */

export const FIELD_CIPHER_VERSION = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const AAD_LABEL = 'hdms/field/v1';

export type FieldCipherErrorCode = 'E_FIELD_AUTH' | 'E_FIELD_FORMAT';

export class FieldCipherError extends Error {
  constructor(
    readonly code: FieldCipherErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FieldCipherError';
  }
}

/** Where a value lives: its table, its row's primary key and, optionally, its field. */
export interface FieldLocation {
  readonly table: string;
  readonly id: string | number;
  readonly field?: string;
}

/** One encrypted field value as stored in IndexedDB. */
export type EncryptedField = Uint8Array;

function fieldAad(location: FieldLocation): Bytes {
  if (typeof location.table !== 'string' || location.table === '') throw new TypeError('A field location needs a table name.');
  if (typeof location.id !== 'string' && !(typeof location.id === 'number' && Number.isFinite(location.id))) {
    throw new TypeError('A field location needs a string or finite number row id.');
  }
  // The id's type is part of the data: row 7 and row "7" are different rows.
  return concatBytes(
    utf8Encode(AAD_LABEL),
    encodeStringList([location.table, typeof location.id, String(location.id), location.field ?? '']),
  );
}

function describe(location: FieldLocation): string {
  return location.field === undefined ? `table "${location.table}"` : `field "${location.field}" of table "${location.table}"`;
}

export async function encryptField(viewKey: CryptoKey, location: FieldLocation, value: unknown): Promise<EncryptedField> {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new TypeError(`The value for ${describe(location)} is not JSON-serialisable.`);
  const iv = randomBytes(IV_LENGTH);
  const ciphertext = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: fieldAad(location) }, viewKey, utf8Encode(json));
  return concatBytes(new Uint8Array([FIELD_CIPHER_VERSION]), iv, new Uint8Array(ciphertext));
}

export async function decryptField<T = unknown>(viewKey: CryptoKey, location: FieldLocation, stored: EncryptedField): Promise<T> {
  if (!(stored instanceof Uint8Array) || stored.length < 1 + IV_LENGTH + TAG_LENGTH || stored[0] !== FIELD_CIPHER_VERSION) {
    throw new FieldCipherError('E_FIELD_FORMAT', `The stored value in ${describe(location)} is not an encrypted field of version ${FIELD_CIPHER_VERSION}.`);
  }
  const bytes = asBytes(stored);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(1, 1 + IV_LENGTH), additionalData: fieldAad(location) },
      viewKey,
      bytes.subarray(1 + IV_LENGTH),
    );
  } catch {
    throw new FieldCipherError(
      'E_FIELD_AUTH',
      `An encrypted value in ${describe(location)} failed authentication: it belongs to another row or field, was altered, or the key is wrong.`,
    );
  }
  return JSON.parse(utf8Decode(new Uint8Array(plaintext))) as T;
}

export interface FieldToEncrypt extends FieldLocation {
  readonly value: unknown;
}

/** Encrypts many values in parallel; results are in input order. Call before bulkPut. */
export function encryptMany(viewKey: CryptoKey, items: readonly FieldToEncrypt[]): Promise<EncryptedField[]> {
  return Promise.all(items.map((item) => encryptField(viewKey, item, item.value)));
}

export interface FieldToDecrypt extends FieldLocation {
  readonly stored: EncryptedField;
}

/** Decrypts many values in parallel; results are in input order. Call after the read transaction. */
export function decryptMany<T = unknown>(viewKey: CryptoKey, items: readonly FieldToDecrypt[]): Promise<T[]> {
  return Promise.all(items.map((item) => decryptField<T>(viewKey, item, item.stored)));
}
