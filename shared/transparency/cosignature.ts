import { concatBytes, fromUtf8, utf8 } from './bytes';
import { parseCheckpoint } from './checkpoint';
import {
  NoteError,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  ed25519KeyOf,
  parseVkey,
  signEd25519,
  verifyEd25519,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
} from './note';

/**
 * Witness cosignatures, Ed25519 flavour (https://c2sp.org/tlog-cosignature, cosignature/v1,
 * signature type 0x04): a note signature line on a checkpoint whose signature bytes are
 *
 *   u64 big-endian timestamp ‖ Ed25519 signature over  "cosignature/v1\ntime <timestamp>\n" ‖ checkpoint text
 *
 * A cosignature says: as of that time (POSIX seconds), this is the largest tree the witness has seen
 * for the origin, and it checked it is consistent with every earlier one it saw. Key ID =
 * SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4] — so a witness key differs from a log key even if the
 * name and the Ed25519 key are the same.
 */

const TIMESTAMP_SIZE = 8;
const SIGNATURE_SIZE = 64;

/** The bytes a cosigner signs, for the checkpoint's note text. */
export function cosignatureV1Message(timestamp: number, checkpointText: string | Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('A cosignature timestamp is a non-negative safe integer (POSIX seconds).');
  return concatBytes(utf8(`cosignature/v1\ntime ${timestamp}\n`), typeof checkpointText === 'string' ? utf8(checkpointText) : checkpointText);
}

/** The timestamp a cosignature carries, or null if the bytes are not a cosignature/v1 (or beyond 2^53 − 1). */
export function cosignatureTimestamp(signature: Uint8Array | NoteSignature): number | null {
  const bytes = signature instanceof Uint8Array ? signature : signature.signature;
  if (bytes.length !== TIMESTAMP_SIZE + SIGNATURE_SIZE) return null;
  const value = new DataView(bytes.buffer, bytes.byteOffset, TIMESTAMP_SIZE).getBigUint64(0);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(value);
}

/** Current POSIX time in seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * A witness's signer. `clock` gives the timestamp to sign (POSIX seconds); it refuses to cosign a
 * text that is not a well-formed checkpoint, since that is all a cosignature may speak about.
 */
export function cosignatureV1Signer(name: string, secretKey: Uint8Array, clock: () => number = nowSeconds): NoteSigner {
  const { secret, ...keyFields } = ed25519KeyOf(name, SIGNATURE_TYPE_COSIGNATURE_V1, { secretKey });
  const key = secret!;
  return {
    ...keyFields,
    sign(text) {
      const checkpointText = fromUtf8(text);
      if (checkpointText === null) throw new NoteError('malformed-checkpoint', 'A checkpoint is UTF-8 text.');
      parseCheckpoint(checkpointText);
      const timestamp = clock();
      const message = cosignatureV1Message(timestamp, text);
      const out = new Uint8Array(TIMESTAMP_SIZE + SIGNATURE_SIZE);
      new DataView(out.buffer).setBigUint64(0, BigInt(timestamp));
      out.set(signEd25519(message, key), TIMESTAMP_SIZE);
      return out;
    },
  };
}

/** A verifier for a witness's cosignature/v1 signatures. */
export function cosignatureV1Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const { secret: _secret, ...keyFields } = ed25519KeyOf(name, SIGNATURE_TYPE_COSIGNATURE_V1, { publicKey });
  const key = keyFields.publicKey;
  return {
    ...keyFields,
    verify(text, signature) {
      const timestamp = cosignatureTimestamp(signature);
      return timestamp !== null && verifyEd25519(signature.subarray(TIMESTAMP_SIZE), cosignatureV1Message(timestamp, text), key);
    },
  };
}

/** A witness verifier from its vkey, which must be of type 0x04 (a plain 0x01 key is a log's, refused). */
export function witnessVerifierFromVkey(vkey: string): NoteVerifier {
  const parsed = parseVkey(vkey);
  if (parsed.type !== SIGNATURE_TYPE_COSIGNATURE_V1) throw new NoteError('unsupported-key-type', `The witness key ${parsed.name} is not a cosignature/v1 key (type 0x04).`);
  return cosignatureV1Verifier(parsed.name, parsed.publicKey);
}
