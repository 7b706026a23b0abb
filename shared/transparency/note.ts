import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesEqual, concatBytes, fromBase64, fromUtf8, hasControlCharacter, toBase64, utf8 } from './bytes';
import { sha256 } from './hash';

/**
 * C2SP signed notes (https://c2sp.org/signed-note, v1.0.0): a UTF-8 text ending in a newline, a
 * blank line, then one or more signature lines
 *
 *   — <key name> base64(4-byte key ID ‖ signature)\n
 *
 * where the key ID is SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], big-endian, and a
 * verifier key ("vkey") is written `<name>+<8 hex digits of key ID>+base64(type ‖ public key)`.
 * Byte-compatible with Go's golang.org/x/mod/sumdb/note, which the checkpoint and witness ecosystem
 * (transparency-dev, Sigsum, Sunlight) is built on; the tests check its published vectors.
 *
 * Parsing is strict and bounded (size, number of signatures, canonical base64, no control
 * characters) because a note arrives from the network before anything about it is trusted. Errors
 * are NoteError with a code a caller can branch on and a message a person can read.
 */

/** Plain Ed25519 over the note text (signed-note §Ed25519 signatures): the log's own signature. */
export const SIGNATURE_TYPE_ED25519 = 0x01;
/** Timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature, cosignature/v1). */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

export type NoteErrorCode =
  | 'malformed-note'
  | 'note-too-large'
  | 'too-many-signatures'
  | 'malformed-key'
  | 'key-id-mismatch'
  | 'unsupported-key-type'
  | 'ambiguous-key'
  | 'invalid-signature'
  | 'unverified-note'
  | 'malformed-checkpoint'
  | 'wrong-origin';

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NoteLimits {
  /** Largest note accepted, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Most signature lines accepted (the spec asks verifiers to take at least 16; Go stops at 100). */
  readonly maxSignatures: number;
}

/** Room for 100 Ed25519 signatures many times over, and for 16 post-quantum ones (~5 kB each). */
export const DEFAULT_NOTE_LIMITS: NoteLimits = { maxBytes: 128 * 1024, maxSignatures: 100 };

/** One signature line, parsed: who (name and key ID) and the signature bytes after the key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  /** The signed text: everything before the blank line, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Something that can sign a note (the notary's key, a witness's key). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
  /** The signature bytes for the text (without the key ID), as the signature type defines them. */
  sign(text: Uint8Array): Uint8Array;
}

/** A trusted key, as configured (from a vkey): checks signatures carrying its name and key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

// ——— Key names, key IDs, vkeys ———

const SPACE_OR_PLUS = /[\p{White_Space}+]/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** Non-empty, no Unicode white space, no '+', well-formed Unicode, no control characters. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !SPACE_OR_PLUS.test(name) && !LONE_SURROGATE.test(name) && !hasControlCharacter(name, false);
}

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian uint32 (signed-note §Signatures). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

export interface Vkey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;

/** `name+keyid+base64(type ‖ key)`: the text form a verifier key is shared in. */
export function formatVkey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `"${name}" is not a valid key name (non-empty, no spaces, no "+").`);
  return `${name}+${keyIdHex(noteKeyId(name, type, publicKey))}+${toBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/**
 * Parses a vkey and checks its key ID against the name and key (the ID is derived, so a mismatch
 * is a typo or a tampered key). Only the Ed25519 types this module verifies are accepted.
 */
export function parseVkey(vkey: string): Vkey {
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new NoteError('malformed-key', 'A verifier key has the form name+keyid+base64key.');
  const name = vkey.slice(0, first);
  const idText = vkey.slice(first + 1, second);
  const material = fromBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `The verifier key's name "${name}" is not a valid key name.`);
  if (!KEY_ID_HEX.test(idText)) throw new NoteError('malformed-key', "The verifier key's key ID is not 8 hex digits.");
  if (material === null || material.length < 1) throw new NoteError('malformed-key', "The verifier key's key material is not canonical base64.");
  const type = material[0]!;
  const publicKey = material.slice(1);
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new NoteError('unsupported-key-type', `Signature type 0x${type.toString(16).padStart(2, '0')} is not supported (0x01 Ed25519, 0x04 Ed25519 cosignature/v1).`);
  }
  if (publicKey.length !== 32) throw new NoteError('malformed-key', `An Ed25519 public key is 32 bytes, not ${publicKey.length}.`);
  const keyId = Number.parseInt(idText, 16);
  if (keyId !== noteKeyId(name, type, publicKey)) throw new NoteError('key-id-mismatch', `The key ID ${idText} does not match the name and key of ${name}.`);
  return { name, keyId, type, publicKey };
}

/** Go's signer key form, `PRIVATE+KEY+name+keyid+base64(type ‖ 32-byte seed)`, for Ed25519 (type 0x01 or 0x04). */
export interface SignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly secretKey: Uint8Array;
}

export function formatSignerKey(name: string, type: number, secretKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `"${name}" is not a valid key name (non-empty, no spaces, no "+").`);
  if (secretKey.length !== 32) throw new NoteError('malformed-key', 'An Ed25519 secret key is a 32-byte seed.');
  const keyId = noteKeyId(name, type, ed25519.getPublicKey(secretKey));
  return `PRIVATE+KEY+${name}+${keyIdHex(keyId)}+${toBase64(concatBytes(new Uint8Array([type]), secretKey))}`;
}

export function parseSignerKey(skey: string): SignerKey {
  if (!skey.startsWith('PRIVATE+KEY+')) throw new NoteError('malformed-key', 'A signer key starts with PRIVATE+KEY+.');
  const vkeyLike = skey.slice('PRIVATE+KEY+'.length);
  const first = vkeyLike.indexOf('+');
  const second = first < 0 ? -1 : vkeyLike.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new NoteError('malformed-key', 'A signer key has the form PRIVATE+KEY+name+keyid+base64key.');
  const name = vkeyLike.slice(0, first);
  const idText = vkeyLike.slice(first + 1, second);
  const material = fromBase64(vkeyLike.slice(second + 1));
  if (!isValidKeyName(name) || !KEY_ID_HEX.test(idText) || material === null || material.length !== 33) {
    throw new NoteError('malformed-key', 'The signer key is malformed (name, 8-hex-digit key ID, base64 of type and 32-byte seed).');
  }
  const type = material[0]!;
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) throw new NoteError('unsupported-key-type', 'Only Ed25519 signer keys (type 0x01 or 0x04) are supported.');
  const secretKey = material.slice(1);
  const keyId = Number.parseInt(idText, 16);
  if (keyId !== noteKeyId(name, type, ed25519.getPublicKey(secretKey))) throw new NoteError('key-id-mismatch', `The key ID ${idText} does not match the name and key of ${name}.`);
  return { name, keyId, type, secretKey };
}

/** A fresh Ed25519 secret key (32-byte seed) from the platform's CSPRNG. */
export function generateEd25519SecretKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

// ——— Ed25519 (type 0x01) ———

/** Strict RFC 8032 verification (no ZIP-215 leniency): one valid signature per message and key. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function signEd25519(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * The checked, copied key material of an Ed25519 signer or verifier of signature `type` (the log's
 * 0x01, a witness's 0x04): its name, key id and public key; `secret` only for a signer.
 */
export function ed25519KeyOf(name: string, type: number, key: { readonly secretKey: Uint8Array } | { readonly publicKey: Uint8Array }) {
  if (!isValidKeyName(name)) throw new NoteError('malformed-key', `"${name}" is not a valid key name (non-empty, no spaces, no "+").`);
  if ('secretKey' in key && key.secretKey.length !== 32) throw new NoteError('malformed-key', 'An Ed25519 secret key is a 32-byte seed.');
  if ('publicKey' in key && key.publicKey.length !== 32) throw new NoteError('malformed-key', 'An Ed25519 public key is 32 bytes.');
  const secret = 'secretKey' in key ? key.secretKey.slice() : null;
  const publicKey = secret === null ? (key as { readonly publicKey: Uint8Array }).publicKey.slice() : ed25519.getPublicKey(secret);
  return { name, keyId: noteKeyId(name, type, publicKey), type, publicKey, secret };
}

/** The log's signer: plain Ed25519 over the note text. */
export function ed25519NoteSigner(name: string, secretKey: Uint8Array): NoteSigner {
  const { secret, ...key } = ed25519KeyOf(name, SIGNATURE_TYPE_ED25519, { secretKey });
  return { ...key, sign: (text) => signEd25519(text, secret!) };
}

export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const { secret: _secret, ...key } = ed25519KeyOf(name, SIGNATURE_TYPE_ED25519, { publicKey });
  return { ...key, verify: (text, signature) => verifyEd25519(signature, text, key.publicKey) };
}

/** A log's verifier from its vkey, which must be plain Ed25519 (type 0x01). */
export function logVerifierFromVkey(vkey: string): NoteVerifier {
  const parsed = parseVkey(vkey);
  if (parsed.type !== SIGNATURE_TYPE_ED25519) throw new NoteError('unsupported-key-type', `The log key ${parsed.name} is not a plain Ed25519 key (type 0x01).`);
  return ed25519NoteVerifier(parsed.name, parsed.publicKey);
}

/** The vkey of a signer or verifier, to publish or pin. */
export function vkeyOf(key: { readonly name: string; readonly type: number; readonly publicKey: Uint8Array }): string {
  return formatVkey(key.name, key.type, key.publicKey);
}

// ——— Format and parse ———

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('malformed-note', 'A note text ends with a newline.');
  if (hasControlCharacter(text, true)) throw new NoteError('malformed-note', 'A note contains no control characters other than newline.');
  if (LONE_SURROGATE.test(text)) throw new NoteError('malformed-note', 'A note is valid Unicode (it is encoded as UTF-8).');
}

/** One signature line, newline included. */
export function formatSignatureLine(signature: NoteSignature): string {
  if (!isValidKeyName(signature.name)) throw new NoteError('malformed-key', `"${signature.name}" is not a valid key name.`);
  const bytes = new Uint8Array(4 + signature.signature.length);
  new DataView(bytes.buffer).setUint32(0, signature.keyId >>> 0);
  bytes.set(signature.signature, 4);
  return `${SIGNATURE_PREFIX}${signature.name} ${toBase64(bytes)}\n`;
}

/** Text, blank line, signature lines: the wire form. */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  checkText(text);
  if (signatures.length === 0) throw new NoteError('malformed-note', 'A signed note has at least one signature.');
  return `${text}\n${signatures.map(formatSignatureLine).join('')}`;
}

/** The signature a signer makes over this text (to add to a note, or to send to whoever assembles it). */
export function signatureFor(text: string, signer: NoteSigner): NoteSignature {
  checkText(text);
  return { name: signer.name, keyId: signer.keyId, signature: signer.sign(utf8(text)) };
}

/**
 * Signs a text. Existing signatures (of a note being cosigned) are kept, after the new ones, except
 * those by a key that signs anew (Go's note.Sign does the same).
 */
export function signNote(text: string, signers: readonly NoteSigner[], existing: readonly NoteSignature[] = []): string {
  const fresh = signers.map((signer) => signatureFor(text, signer));
  const kept = existing.filter((old) => !signers.some((s) => s.name === old.name && s.keyId === old.keyId));
  return formatNote(text, [...fresh, ...kept]);
}

/**
 * Adds signatures to a signed note — how the notary attaches the cosignature lines witnesses send
 * back to the checkpoint it signed. A new signature replaces an old one by the same key (name and
 * key ID); the text is unchanged and no signature is checked here.
 */
export function addSignatures(note: string, added: readonly NoteSignature[], limits: NoteLimits = DEFAULT_NOTE_LIMITS): string {
  const parsed = parseNote(note, limits);
  const kept = parsed.signatures.filter((old) => !added.some((s) => s.name === old.name && s.keyId === old.keyId));
  const signatures = [...kept, ...added];
  if (signatures.length > limits.maxSignatures) throw new NoteError('too-many-signatures', `The note would have more than ${limits.maxSignatures} signatures.`);
  return formatNote(parsed.text, signatures);
}

/**
 * Parses a signed note without checking any signature. Bounded by `limits` before any work that
 * grows with the input. Accepts the note as text or as the bytes received (then it must be UTF-8).
 */
export function parseNote(note: string | Uint8Array, limits: NoteLimits = DEFAULT_NOTE_LIMITS): ParsedNote {
  let text: string;
  if (typeof note === 'string') {
    // A UTF-16 code unit is 1 to 3 UTF-8 bytes: encode only when the length alone cannot decide.
    const tooLarge = note.length > limits.maxBytes || (note.length * 3 > limits.maxBytes && utf8(note).length > limits.maxBytes);
    if (tooLarge) throw new NoteError('note-too-large', `The note is larger than ${limits.maxBytes} bytes.`);
    text = note;
  } else {
    if (note.length > limits.maxBytes) throw new NoteError('note-too-large', `The note is larger than ${limits.maxBytes} bytes.`);
    const decoded = fromUtf8(note);
    if (decoded === null) throw new NoteError('malformed-note', 'The note is not valid UTF-8.');
    text = decoded;
  }
  if (hasControlCharacter(text, true)) throw new NoteError('malformed-note', 'A note contains no control characters other than newline.');
  if (LONE_SURROGATE.test(text)) throw new NoteError('malformed-note', 'A note is valid Unicode (it is encoded as UTF-8).');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed-note', 'A signed note has a blank line between its text and its signatures.');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw new NoteError('malformed-note', 'A signed note ends with newline-terminated signature lines.');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > limits.maxSignatures) throw new NoteError('too-many-signatures', `The note has more than ${limits.maxSignatures} signatures.`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i + 1));
  return { text: body, signatures };
}

/** Parses one signature line (with or without its final newline), e.g. as a witness returns it. */
export function parseSignatureLine(line: string, number = 1): NoteSignature {
  if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line.length > DEFAULT_NOTE_LIMITS.maxBytes) throw new NoteError('note-too-large', `Signature line ${number} is longer than ${DEFAULT_NOTE_LIMITS.maxBytes} characters.`);
  if (hasControlCharacter(line, false)) throw new NoteError('malformed-note', `Signature line ${number} contains a control character.`);
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed-note', `Signature line ${number} does not start with an em dash and a space.`);
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteError('malformed-note', `Signature line ${number} has no space between the key name and the signature.`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new NoteError('malformed-note', `Signature line ${number} has an invalid key name.`);
  const bytes = fromBase64(rest.slice(space + 1));
  if (bytes === null) throw new NoteError('malformed-note', `Signature line ${number} (${name}) is not canonical base64.`);
  if (bytes.length < 5) throw new NoteError('malformed-note', `Signature line ${number} (${name}) is too short for a key ID and a signature.`);
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  return { name, keyId, signature: bytes.slice(4) };
}

// ——— Verify ———

export interface NoteCheck {
  readonly text: string;
  /** Signatures by known keys that verify, one per key (a repeated signature is counted once). */
  readonly verified: readonly { readonly verifier: NoteVerifier; readonly signature: NoteSignature }[];
  /** Signatures by known keys that do not verify: evidence of tampering (or of a broken signer). */
  readonly invalid: readonly NoteSignature[];
  /** Signatures by keys not given: ignored, as the spec requires (log key rotation, other witnesses). */
  readonly unknown: readonly NoteSignature[];
}

/**
 * Checks every signature of a parsed note against the known keys, without throwing on a bad one:
 * the log verifier reports all findings at once. A signature is by a known key when both its name
 * and key ID match (a shared name or a shared ID alone is a different key).
 */
export function checkNoteSignatures(note: ParsedNote, verifiers: readonly NoteVerifier[]): NoteCheck {
  for (let i = 0; i < verifiers.length; i++) {
    for (let j = i + 1; j < verifiers.length; j++) {
      if (verifiers[i]!.name === verifiers[j]!.name && verifiers[i]!.keyId === verifiers[j]!.keyId && !bytesEqual(verifiers[i]!.publicKey, verifiers[j]!.publicKey)) {
        throw new NoteError('ambiguous-key', `Two different keys are configured as ${verifiers[i]!.name}+${keyIdHex(verifiers[i]!.keyId)}.`);
      }
    }
  }
  const message = utf8(note.text);
  const verified: { verifier: NoteVerifier; signature: NoteSignature }[] = [];
  const invalid: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const signature of note.signatures) {
    const verifier = verifiers.find((v) => v.name === signature.name && v.keyId === signature.keyId);
    if (verifier === undefined) unknown.push(signature);
    else if (!verifier.verify(message, signature.signature)) invalid.push(signature);
    else if (!verified.some((v) => v.verifier === verifier)) verified.push({ verifier, signature });
  }
  return { text: note.text, verified, invalid, unknown };
}

/**
 * Opens a note the way the spec asks a client to: every signature by a known key must verify (one
 * that does not rejects the whole note) and at least one must. Returns the findings; throws
 * NoteError otherwise.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[], limits: NoteLimits = DEFAULT_NOTE_LIMITS): NoteCheck {
  const check = checkNoteSignatures(parseNote(note, limits), verifiers);
  if (check.invalid.length > 0) {
    const bad = check.invalid[0]!;
    throw new NoteError('invalid-signature', `The signature of ${bad.name}+${keyIdHex(bad.keyId)} does not verify: the note was altered or not signed by that key.`);
  }
  if (check.verified.length === 0) throw new NoteError('unverified-note', 'The note has no signature by a trusted key.');
  return check;
}
