import { asBytes, concatBytes, encodeStringList, randomBytes, toBase64Url, utf8Encode, type Bytes } from './bytes';
import { importP256PrivateScalar, isValidP256Scalar, type P256KeyPair } from './p256-keys';

/**
 * The vault's key hierarchy (design §3). One random 32-byte master secret; everything else is
 * derived from it with HKDF-SHA-256 under distinct labels, so a restore that recovers the master
 * (from a passphrase slot or the recovery key) recreates every key, the intake key pair included.
 *
 *   master ─┬─ "hdms/vault/v1/view"          → viewKey    AES-256-GCM: encrypted Dexie fields
 *           ├─ "hdms/vault/v1/blind-index"   → indexKey   HMAC-SHA-256: blind keyword tokens
 *           ├─ "hdms/vault/v1/ledger"        → ledgerKey  HMAC-SHA-256: pseudonyms of subjects/operators
 *           ├─ "hdms/vault/v1/backup"        → backupKey  AES-256-GCM: reserved for backup-container metadata
 *           ├─ "hdms/vault/v1/event-auth"    → eventAuthKey HMAC-SHA-256: authenticator of the mind's journal events
 *           ├─ "hdms/vault/v1/directory"     → directoryKey AES-256-GCM: the auditor's names of ledger subjects
 *           ├─ "hdms/vault/v1/intake-p256"   → intake key pair (ECDH P-256): what the body seals to
 *           ├─ "hdms/vault/v1/message-p256"  → message key pair (ECDH P-256): what network members encrypt to
 *           └─ "hdms/vault/v1/identity-secp256k1" → identity seed (ledger issue; ethers)
 *
 * HKDF's salt is empty: the master is already uniformly random, so extraction needs no salt
 * (RFC 5869 §3.1); the labels (HKDF "info") separate the keys. All CryptoKeys are non-extractable.
 */

export const MASTER_SECRET_LENGTH = 32;

export const VAULT_KEY_LABELS = {
  view: 'hdms/vault/v1/view',
  blindIndex: 'hdms/vault/v1/blind-index',
  ledger: 'hdms/vault/v1/ledger',
  backup: 'hdms/vault/v1/backup',
  eventAuth: 'hdms/vault/v1/event-auth',
  directory: 'hdms/vault/v1/directory',
  intakeP256: 'hdms/vault/v1/intake-p256',
  messageP256: 'hdms/vault/v1/message-p256',
  identitySecp256k1: 'hdms/vault/v1/identity-secp256k1',
} as const;

export interface VaultKeys {
  /** AES-256-GCM (encrypt, decrypt): sensitive fields of the Dexie views (field-cipher.ts). */
  readonly viewKey: CryptoKey;
  /** HMAC-SHA-256 (sign): blind keyword index tokens (blind-index.ts). */
  readonly indexKey: CryptoKey;
  /** HMAC-SHA-256 (sign): pseudonyms of patients and operators in ledger entries and journal events. */
  readonly ledgerKey: CryptoKey;
  /** AES-256-GCM (encrypt, decrypt): reserved for the backup container's own metadata (the backup file itself is an envelope sealed to the intake key). */
  readonly backupKey: CryptoKey;
  /**
   * HMAC-SHA-256 (sign, verify): the authenticator of the mind's own journal events
   * (renderer/vault/mind-events.ts). Every role needs it: every operator journals events, and the
   * views and the ledger check them. Sealing to the public intake key proves nothing; this does.
   */
  readonly eventAuthKey: CryptoKey;
  /**
   * AES-256-GCM (encrypt, decrypt): the subject directory (renderer/vault/views/projectors/
   * directory-projector.ts), the names behind the ledger's pseudonyms. The one vault key an
   * auditor's key slot holds (key-slots.ts, format 3): names for the ledger, nothing clinical.
   */
  readonly directoryKey: CryptoKey;
  /** The intake key pair; its public half (raw, 65 bytes) is what the body seals to. */
  readonly intakeKeyPair: P256KeyPair;
  /**
   * The node's message key pair (design §10): other members encrypt relay messages to its public
   * half, which the JoinRequest and the membership certificate carry. Separate from the identity
   * key (which signs) and from the intake key (which the body seals to).
   */
  readonly messageKeyPair: P256KeyPair;
}

/** A new random master secret (32 bytes). Keep it only in memory; store it only in key slots. */
export function generateMasterSecret(): Bytes {
  return randomBytes(MASTER_SECRET_LENGTH);
}

function checkMaster(master: Uint8Array): void {
  if (!(master instanceof Uint8Array) || master.length !== MASTER_SECRET_LENGTH) {
    throw new RangeError(`The vault master secret must be ${MASTER_SECRET_LENGTH} bytes.`);
  }
}

function hkdf(label: string): HkdfParams {
  return { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8Encode(label) };
}

async function importMaster(master: Uint8Array): Promise<CryptoKey> {
  checkMaster(master);
  return globalThis.crypto.subtle.importKey('raw', asBytes(master), 'HKDF', false, ['deriveBits', 'deriveKey']);
}

async function deriveBytes(masterKey: CryptoKey, label: string, length = 32): Promise<Bytes> {
  return new Uint8Array(await globalThis.crypto.subtle.deriveBits(hkdf(label), masterKey, length * 8));
}

/**
 * The intake private scalar, derived by rejection sampling: 32 bytes from HKDF under the intake
 * label; if they are 0 or ≥ n (the P-256 group order), derive again with "#1", "#2"… appended to
 * the label. Reducing mod n instead would bias the key slightly; rejection keeps it uniform, and
 * since n > 2^256 − 2^224 a retry happens with probability below 2^-32 per derivation, so in
 * practice the bare label is always used. The rule is deterministic, so a restore finds the same
 * key.
 */
export function deriveIntakeScalar(masterKey: CryptoKey): Promise<Bytes> {
  return deriveP256Scalar(masterKey, VAULT_KEY_LABELS.intakeP256);
}

/** A P-256 private scalar under `base` by the same rejection rule as the intake key's. */
async function deriveP256Scalar(masterKey: CryptoKey, base: string): Promise<Bytes> {
  for (let counter = 0; ; counter++) {
    const label = counter === 0 ? base : `${base}#${counter}`;
    const candidate = await deriveBytes(masterKey, label);
    if (isValidP256Scalar(candidate)) return candidate;
    candidate.fill(0);
  }
}

async function p256KeyPair(masterKey: CryptoKey, label: string): Promise<P256KeyPair> {
  const scalar = await deriveP256Scalar(masterKey, label);
  try {
    return await importP256PrivateScalar(scalar);
  } finally {
    scalar.fill(0);
  }
}

/** Derives every vault key from the master secret. Deterministic: same master, same keys. */
export async function deriveVaultKeys(master: Uint8Array): Promise<VaultKeys> {
  const masterKey = await importMaster(master);
  const aesGcm = { name: 'AES-GCM', length: 256 };
  const hmac = { name: 'HMAC', hash: 'SHA-256', length: 256 };
  const [viewKey, indexKey, ledgerKey, backupKey, eventAuthKey, directoryKey, intakeKeyPair, messageKeyPair] = await Promise.all([
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.view), masterKey, aesGcm, false, ['encrypt', 'decrypt']),
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.blindIndex), masterKey, hmac, false, ['sign', 'verify']),
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.ledger), masterKey, hmac, false, ['sign', 'verify']),
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.backup), masterKey, aesGcm, false, ['encrypt', 'decrypt']),
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.eventAuth), masterKey, hmac, false, ['sign', 'verify']),
    globalThis.crypto.subtle.deriveKey(hkdf(VAULT_KEY_LABELS.directory), masterKey, aesGcm, false, ['encrypt', 'decrypt']),
    p256KeyPair(masterKey, VAULT_KEY_LABELS.intakeP256),
    p256KeyPair(masterKey, VAULT_KEY_LABELS.messageP256),
  ]);
  return { viewKey, indexKey, ledgerKey, backupKey, eventAuthKey, directoryKey, intakeKeyPair, messageKeyPair };
}

/**
 * The directory key's 32 bytes, for an auditor's key slot (format 3). The same HKDF output as
 * deriveVaultKeys' directoryKey (an AES key derived with deriveKey is the first 256 bits of HKDF),
 * so importDirectoryKey(deriveDirectorySecret(m)) and deriveVaultKeys(m).directoryKey agree.
 */
export async function deriveDirectorySecret(master: Uint8Array): Promise<Bytes> {
  return deriveBytes(await importMaster(master), VAULT_KEY_LABELS.directory);
}

/** The directory key from the 32 bytes an auditor's slot holds (non-extractable). */
export function importDirectoryKey(secret: Uint8Array): Promise<CryptoKey> {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new RangeError('A directory secret is 32 bytes.');
  return globalThis.crypto.subtle.importKey('raw', asBytes(secret), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * 32 bytes for the node's secp256k1 identity key (ledger issue, used with ethers). Returned raw
 * because ethers takes the private key as bytes. The ledger code must check 0 < k < n(secp256k1)
 * (ethers rejects others; the odds are below 2^-127) and should follow the same "#counter" rule
 * as deriveIntakeScalar if it ever happens.
 */
export async function deriveIdentitySeed(master: Uint8Array): Promise<Bytes> {
  return deriveBytes(await importMaster(master), VAULT_KEY_LABELS.identitySecp256k1);
}

/**
 * The intake public key's fingerprint for people: the first 16 bytes of SHA-256 of the raw point,
 * base64url. Lets an operator or `vault:check` see which vault a body seals to. Public data.
 */
export async function intakeKeyFingerprint(publicKeyRaw: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', asBytes(publicKeyRaw)));
  return toBase64Url(digest.subarray(0, 16));
}

/**
 * A stable pseudonym: HMAC-SHA-256(ledgerKey, domain ‖ value) as base64url (43 characters). The
 * domain keeps pseudonyms of different things apart ("patient", "operator", …); without the
 * ledger key nobody can test a guess (a name, an MRN) against a pseudonym.
 */
export async function pseudonym(ledgerKey: CryptoKey, domain: string, value: string): Promise<string> {
  const input = concatBytes(utf8Encode('hdms/pseudonym/v1'), encodeStringList([domain, value]));
  return toBase64Url(new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', ledgerKey, input)));
}

/** The pseudonymous operator id recorded with journal events and ledger entries. */
export function deriveOperatorId(ledgerKey: CryptoKey, localAccountId: string): Promise<string> {
  return pseudonym(ledgerKey, 'operator', localAccountId);
}

/** The pseudonymous patient reference used in ledger entries (never the MRN or a name). */
export function derivePatientPseudonym(ledgerKey: CryptoKey, patientId: string): Promise<string> {
  return pseudonym(ledgerKey, 'patient', patientId);
}
