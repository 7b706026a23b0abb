import { z } from 'zod';
import { asBytes, concatBytes, encodeStringList, fromBase64Url, isBase64Url, randomBytes, toBase64Url, utf8Encode, type Bytes } from './bytes';
import { parseRecoveryKey, RECOVERY_KEY_LENGTH } from './recovery-key';
import type { OperatorSigningKey } from './operator-signing';
import { MASTER_SECRET_LENGTH } from './vault-keys';

/**
 * Key slots: the only form in which the vault master secret touches disk (design §3). A slot is
 * the master encrypted with AES-256-GCM under a key-encryption key (KEK) that comes from:
 *
 *   passphrase  PBKDF2-SHA-256(NFC(passphrase), 16-byte salt, ≥ 600,000 iterations)
 *   recovery    HKDF-SHA-256(the 256-bit recovery key, 16-byte salt, "hdms/key-slot/v1/recovery")
 *               — the recovery key is random, so it needs no stretching
 *   keychain    a 256-bit key the host keeps (Electron safeStorage); the slot just holds the
 *               master wrapped under it
 *
 * Why PBKDF2 and not Argon2id: the renderer's CSP forbids 'wasm-unsafe-eval', and hash-wasm's
 * Argon2id needs WebAssembly; PBKDF2 is native in WebCrypto in Node and Chromium alike, so the
 * same slot opens in the body, the mind and tests. 600,000 iterations of PBKDF2-HMAC-SHA-256 is
 * OWASP's 2023 recommendation. Iterations are stored in the slot (so a later build can raise them
 * and re-wrap on the next unlock; see slotNeedsUpgrade), capped by the schema so a malformed slot
 * cannot make an unlock hang.
 *
 * The associated data of the encryption is a canonical encoding of the slot's format version, id,
 * kind and operator id: edit any of them, for example to move a slot to another operator, and
 * unwrapping fails exactly as a wrong secret does. The operator id here is the local account id
 * (not secret; the ledger pseudonym is derived from it only after unlock).
 *
 * Format 2 (every slot of an administrator or clinician, and the recovery and keychain slots)
 * wraps the master followed by the slot's own signing scalar (operator-signing.ts) and names the
 * signing key's public half in clear (`publicKey`, also part of the associated data): the body
 * verifies with it that a session was opened from this slot. Format 1 slots (master only) still
 * open, and are re-made as format 2 at the next unlock.
 *
 * Format 3 is a **role slot** (design §3, "roles are keys"): the passphrase slot of a researcher
 * or an auditor. It wraps no master: only the signing scalar and the secrets of its `grant`
 * (a researcher: none yet; an auditor: the directory key, the names behind the ledger's
 * pseudonyms). Whoever opens one can prove a session to the body and read what the grant opens,
 * and nothing else: no patient view, no quarantine, no raw message. The grant is in the
 * associated data, so relabeling a slot fails like a wrong passphrase.
 *
 * Slots are plain JSON (base64url fields) checked by the zod schemas below, so the body can store
 * them without understanding them. Unwrapping returns the master's 32 bytes: keep them only as
 * long as needed and `fill(0)` them afterwards.
 */

export const KEY_SLOT_VERSION = 2;
/** Slots written before operator signing keys: the master only, no public key. */
export const LEGACY_KEY_SLOT_VERSION = 1;
/** A role slot: no master, the grant's secrets only. */
export const ROLE_KEY_SLOT_VERSION = 3;
/** The restricted roles, each with the secrets its slot holds. */
export const SLOT_GRANTS = ['researcher', 'auditor'] as const;
export type SlotGrant = (typeof SLOT_GRANTS)[number];
/** Bytes of grant secrets after the signing scalar: an auditor holds the 32-byte directory secret. */
const GRANT_SECRET_LENGTH: Readonly<Record<SlotGrant, number>> = { researcher: 0, auditor: 32 };
export const PBKDF2_MIN_ITERATIONS = 600_000;
export const PBKDF2_DEFAULT_ITERATIONS = 600_000;
/** Upper bound accepted in a stored slot: keeps a corrupted or hostile slot from stalling unlock. */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
const SALT_LENGTH = 16;
const IV_LENGTH = 12;
const SIGNING_SCALAR_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 65;
const WRAPPED_LENGTH = { 1: MASTER_SECRET_LENGTH + 16, 2: MASTER_SECRET_LENGTH + SIGNING_SCALAR_LENGTH + 16 } as const;
const roleWrappedLength = (grant: SlotGrant): number => SIGNING_SCALAR_LENGTH + GRANT_SECRET_LENGTH[grant] + 16;
const RECOVERY_KEK_INFO = 'hdms/key-slot/v1/recovery';
const AAD_LABEL = 'hdms/key-slot/v1';

export type KeySlotErrorCode =
  | 'E_WRONG_SECRET' // authentication failed: wrong passphrase / recovery key / keychain key, or the slot was altered or moved
  | 'E_SLOT_FORMAT' // not a valid slot (schema)
  | 'E_SLOT_POLICY' // refused to create a slot weaker than the policy (too few iterations, empty passphrase)
  | 'E_SLOT_SCOPE'; // a role slot where the master was needed (unwrapSlot)

export class KeySlotError extends Error {
  constructor(
    readonly code: KeySlotErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeySlotError';
  }
}

const base64UrlBytes = (length: number) =>
  z.string().refine((value) => isBase64Url(value, length), { message: `must be ${length} bytes in base64url` });

const SlotIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a slot id is 1–64 base64url characters');
const OperatorIdSchema = z.string().min(1).max(256);

const slotFields = {
  version: z.union([z.literal(LEGACY_KEY_SLOT_VERSION), z.literal(KEY_SLOT_VERSION), z.literal(ROLE_KEY_SLOT_VERSION)]),
  id: SlotIdSchema,
  operatorId: OperatorIdSchema,
  /** Formats 2 and 3: the slot's signing public key (uncompressed P-256 point). */
  publicKey: base64UrlBytes(PUBLIC_KEY_LENGTH).optional(),
  /** Format 3 only: the restricted role whose secrets the slot holds. */
  grant: z.enum(SLOT_GRANTS).optional(),
  iv: base64UrlBytes(IV_LENGTH),
  wrapped: z.string().max(256),
};

function expectedWrappedLength(slot: { version: 1 | 2 | 3; grant?: SlotGrant | undefined }): number {
  if (slot.version === ROLE_KEY_SLOT_VERSION) return roleWrappedLength(slot.grant ?? 'researcher');
  return WRAPPED_LENGTH[slot.version];
}

/**
 * A format-1 slot has no public key and wraps the master; a format-2 slot has both halves; a
 * format-3 slot has a public key and a grant, wraps no master, and is always a passphrase slot
 * (the recovery and keychain slots open the whole vault by design).
 */
function checkFormat(slot: { version: 1 | 2 | 3; kind: string; publicKey?: string | undefined; grant?: SlotGrant | undefined; wrapped: string }, context: z.core.$RefinementCtx): void {
  if (slot.version !== LEGACY_KEY_SLOT_VERSION && slot.publicKey === undefined) context.addIssue({ code: 'custom', path: ['publicKey'], message: `is required in a format-${slot.version} slot` });
  if (slot.version === LEGACY_KEY_SLOT_VERSION && slot.publicKey !== undefined) context.addIssue({ code: 'custom', path: ['publicKey'], message: 'has no place in a format-1 slot' });
  if (slot.version === ROLE_KEY_SLOT_VERSION && slot.grant === undefined) context.addIssue({ code: 'custom', path: ['grant'], message: 'is required in a format-3 slot' });
  if (slot.version !== ROLE_KEY_SLOT_VERSION && slot.grant !== undefined) context.addIssue({ code: 'custom', path: ['grant'], message: `has no place in a format-${slot.version} slot` });
  if (slot.version === ROLE_KEY_SLOT_VERSION && slot.kind !== 'passphrase') context.addIssue({ code: 'custom', path: ['kind'], message: 'must be passphrase in a format-3 slot' });
  const length = expectedWrappedLength(slot);
  if (!isBase64Url(slot.wrapped, length)) context.addIssue({ code: 'custom', path: ['wrapped'], message: `must be ${length} bytes in base64url` });
}

export const PassphraseSlotSchema = z.strictObject({
  ...slotFields,
  kind: z.literal('passphrase'),
  kdf: z.strictObject({
    name: z.literal('PBKDF2-SHA-256'),
    iterations: z.number().int().min(1).max(PBKDF2_MAX_ITERATIONS),
    salt: base64UrlBytes(SALT_LENGTH),
  }),
});

export const RecoverySlotSchema = z.strictObject({
  ...slotFields,
  kind: z.literal('recovery'),
  kdf: z.strictObject({ name: z.literal('HKDF-SHA-256'), salt: base64UrlBytes(SALT_LENGTH) }),
});

export const KeychainSlotSchema = z.strictObject({
  ...slotFields,
  kind: z.literal('keychain'),
});

export const KeySlotSchema = z.discriminatedUnion('kind', [PassphraseSlotSchema, RecoverySlotSchema, KeychainSlotSchema]).superRefine(checkFormat);

export type PassphraseSlot = Readonly<z.infer<typeof PassphraseSlotSchema>>;
export type RecoverySlot = Readonly<z.infer<typeof RecoverySlotSchema>>;
export type KeychainSlot = Readonly<z.infer<typeof KeychainSlotSchema>>;
export type KeySlot = PassphraseSlot | RecoverySlot | KeychainSlot;
export type KeySlotKind = KeySlot['kind'];

/** Validates stored JSON as a key slot; throws KeySlotError E_SLOT_FORMAT naming the bad field. */
export function parseKeySlot(value: unknown): KeySlot {
  const result = KeySlotSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'the slot' : `field "${issue.path.join('.')}"`;
    throw new KeySlotError('E_SLOT_FORMAT', `Not a valid key slot: ${where} ${issue?.message ?? 'is invalid'}.`);
  }
  return result.data;
}

type SlotHeader = Pick<KeySlot, 'version' | 'id' | 'kind' | 'operatorId' | 'publicKey' | 'grant'>;

function slotAad(slot: SlotHeader): Bytes {
  const fields = [String(slot.version), slot.id, slot.kind, slot.operatorId];
  if (slot.publicKey !== undefined) fields.push(slot.publicKey);
  if (slot.grant !== undefined) fields.push(slot.grant);
  return concatBytes(utf8Encode(AAD_LABEL), encodeStringList(fields));
}

/** The header of a new slot: format 2 with the signing key's public half, or format 1 without one. */
function newHeader<K extends KeySlotKind>(kind: K, options: SlotOptions) {
  const id = options.id ?? newSlotId();
  return options.signingKey === undefined
    ? ({ version: LEGACY_KEY_SLOT_VERSION, id, kind, operatorId: options.operatorId } as const)
    : ({ version: KEY_SLOT_VERSION, id, kind, operatorId: options.operatorId, publicKey: toBase64Url(options.signingKey.publicKey) } as const);
}

const AES_GCM_256 = { name: 'AES-GCM', length: 256 } as const;

async function passphraseKek(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  // NFC so that the same passphrase typed on different systems (composed or decomposed accents) matches.
  const material = await globalThis.crypto.subtle.importKey('raw', utf8Encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return globalThis.crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: asBytes(salt), iterations },
    material,
    AES_GCM_256,
    false,
    ['encrypt', 'decrypt'],
  );
}

async function recoveryKek(recoveryKey: Uint8Array, salt: Uint8Array): Promise<CryptoKey> {
  const material = await globalThis.crypto.subtle.importKey('raw', asBytes(recoveryKey), 'HKDF', false, ['deriveKey']);
  return globalThis.crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: asBytes(salt), info: utf8Encode(RECOVERY_KEK_INFO) },
    material,
    AES_GCM_256,
    false,
    ['encrypt', 'decrypt'],
  );
}

async function keychainKek(key: CryptoKey | Uint8Array): Promise<CryptoKey> {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new TypeError('A keychain key must be 32 bytes.');
    return globalThis.crypto.subtle.importKey('raw', asBytes(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
  }
  if (key.algorithm.name !== 'AES-GCM') throw new TypeError('A keychain key must be an AES-GCM key.');
  return key;
}

function checkMaster(master: Uint8Array): void {
  if (!(master instanceof Uint8Array) || master.length !== MASTER_SECRET_LENGTH) {
    throw new TypeError(`The master secret must be ${MASTER_SECRET_LENGTH} bytes.`);
  }
}

async function seal(kek: CryptoKey, header: SlotHeader, master: Uint8Array, signingKey: OperatorSigningKey | undefined) {
  checkMaster(master);
  return sealPayload(kek, header, signingKey === undefined ? asBytes(master) : concatBytes(master, signingKey.scalar), signingKey !== undefined);
}

async function sealPayload(kek: CryptoKey, header: SlotHeader, payload: Bytes, zeroAfter: boolean) {
  if (!OperatorIdSchema.safeParse(header.operatorId).success) throw new TypeError('An operator id is 1–256 characters.');
  if (!SlotIdSchema.safeParse(header.id).success) throw new TypeError('A slot id is 1–64 base64url characters.');
  const iv = randomBytes(IV_LENGTH);
  try {
    const wrapped = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: slotAad(header) }, kek, payload));
    return { iv: toBase64Url(iv), wrapped: toBase64Url(wrapped) };
  } finally {
    if (zeroAfter) payload.fill(0);
  }
}

interface SlotOptions {
  readonly master: Uint8Array;
  /** The local account id the slot belongs to (part of the associated data). */
  readonly operatorId: string;
  /** A stable id for the slot; random by default. */
  readonly id?: string;
  /**
   * The signing key this slot holds (format 2). Every slot the app makes has one; without it a
   * format-1 slot is made, which only tests of the legacy format should ask for.
   */
  readonly signingKey?: OperatorSigningKey;
}

export interface PassphraseSlotOptions extends SlotOptions {
  readonly passphrase: string;
  /** PBKDF2 iterations, at least 600,000 (the default). */
  readonly iterations?: number;
  /** Tests only: any iteration count ≥ 1, bypassing the floor. Never set it in the app. */
  readonly testOnlyIterations?: number;
}

export function newSlotId(): string {
  return toBase64Url(randomBytes(16));
}

export async function createPassphraseSlot(options: PassphraseSlotOptions): Promise<PassphraseSlot> {
  const { iterations, salt, kek } = await passphraseKekFor(options);
  const header = newHeader('passphrase', options);
  const sealed = await seal(kek, header, options.master, options.signingKey);
  return { ...header, kdf: { name: 'PBKDF2-SHA-256', iterations, salt: toBase64Url(salt) }, ...sealed };
}

/** The secrets a role slot holds besides its signing key (SLOT_GRANTS). */
export type GrantSecrets = { readonly grant: 'researcher' } | { readonly grant: 'auditor'; readonly directorySecret: Uint8Array };

export interface RoleSlotOptions extends Omit<PassphraseSlotOptions, 'master' | 'signingKey'> {
  readonly secrets: GrantSecrets;
  /** Every role slot holds a signing key: that is how its holder proves a session. */
  readonly signingKey: OperatorSigningKey;
}

/** A researcher's or auditor's passphrase slot (format 3): the signing key and the grant's secrets, no master. */
export async function createRoleSlot(options: RoleSlotOptions): Promise<PassphraseSlot> {
  const grantBytes = options.secrets.grant === 'auditor' ? options.secrets.directorySecret : new Uint8Array(0);
  if (grantBytes.length !== GRANT_SECRET_LENGTH[options.secrets.grant]) throw new TypeError(`A ${options.secrets.grant} slot holds ${GRANT_SECRET_LENGTH[options.secrets.grant]} bytes of secrets.`);
  const { iterations, salt, kek } = await passphraseKekFor(options);
  const header = {
    version: ROLE_KEY_SLOT_VERSION,
    id: options.id ?? newSlotId(),
    kind: 'passphrase',
    operatorId: options.operatorId,
    publicKey: toBase64Url(options.signingKey.publicKey),
    grant: options.secrets.grant,
  } as const;
  const sealed = await sealPayload(kek, header, concatBytes(options.signingKey.scalar, grantBytes), true);
  return { ...header, kdf: { name: 'PBKDF2-SHA-256', iterations, salt: toBase64Url(salt) }, ...sealed };
}

async function passphraseKekFor(options: Pick<PassphraseSlotOptions, 'passphrase' | 'iterations' | 'testOnlyIterations'>): Promise<{ iterations: number; salt: Bytes; kek: CryptoKey }> {
  const { passphrase } = options;
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new KeySlotError('E_SLOT_POLICY', 'A passphrase slot needs a passphrase.');
  let iterations: number;
  if (options.testOnlyIterations !== undefined) {
    iterations = options.testOnlyIterations;
  } else {
    iterations = options.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
    if (iterations < PBKDF2_MIN_ITERATIONS) {
      throw new KeySlotError('E_SLOT_POLICY', `A passphrase slot needs at least ${PBKDF2_MIN_ITERATIONS} PBKDF2 iterations.`);
    }
  }
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new KeySlotError('E_SLOT_POLICY', `PBKDF2 iterations must be an integer from 1 to ${PBKDF2_MAX_ITERATIONS}.`);
  }
  const salt = randomBytes(SALT_LENGTH);
  return { iterations, salt, kek: await passphraseKek(passphrase, salt, iterations) };
}

export interface RecoverySlotOptions extends SlotOptions {
  /** The 32-byte recovery key (recovery-key.ts generates and formats it). */
  readonly recoveryKey: Uint8Array;
}

export async function createRecoverySlot(options: RecoverySlotOptions): Promise<RecoverySlot> {
  if (!(options.recoveryKey instanceof Uint8Array) || options.recoveryKey.length !== RECOVERY_KEY_LENGTH) {
    throw new TypeError(`A recovery key is ${RECOVERY_KEY_LENGTH} bytes.`);
  }
  const salt = randomBytes(SALT_LENGTH);
  const header = newHeader('recovery', options);
  const sealed = await seal(await recoveryKek(options.recoveryKey, salt), header, options.master, options.signingKey);
  return { ...header, kdf: { name: 'HKDF-SHA-256', salt: toBase64Url(salt) }, ...sealed };
}

export interface KeychainSlotOptions extends SlotOptions {
  /** The host-kept key: an AES-GCM CryptoKey or 32 raw bytes. */
  readonly kek: CryptoKey | Uint8Array;
}

export async function createKeychainSlot(options: KeychainSlotOptions): Promise<KeychainSlot> {
  const header = newHeader('keychain', options);
  const sealed = await seal(await keychainKek(options.kek), header, options.master, options.signingKey);
  return { ...header, ...sealed };
}

/**
 * What opens each kind of slot: a passphrase slot a string; a recovery slot the 32-byte key or
 * its printed form; a keychain slot the host-kept key.
 */
export type SlotSecret = string | Uint8Array | CryptoKey;

const WRONG_SECRET_MESSAGES: Readonly<Record<KeySlotKind, string>> = {
  passphrase: 'The passphrase is wrong (or the key slot was altered).',
  recovery: 'The recovery key is wrong (or the key slot was altered).',
  keychain: 'The keychain key does not open this slot (or the key slot was altered).',
};

/**
 * Recovers the master secret from a slot. Throws KeySlotError E_SLOT_FORMAT for a malformed slot
 * and E_WRONG_SECRET when authentication fails (a wrong secret, or a slot edited or moved to
 * another operator: the two cannot be told apart, by design). A recovery key in printed form that
 * fails its own checksum throws RecoveryKeyError before any slot work.
 */
export async function unwrapSlot(slotJson: unknown, secret: SlotSecret): Promise<Bytes> {
  const opened = await openKeySlot(slotJson, secret);
  opened.signingKey?.scalar.fill(0);
  if (opened.master === null) {
    zeroGrant(opened.grant);
    throw new KeySlotError('E_SLOT_SCOPE', 'This key slot belongs to a restricted role and does not hold the vault master secret.');
  }
  return opened.master;
}

/** A slot of formats 1 and 2: the master. */
export interface OpenedVaultSlot {
  readonly slot: KeySlot;
  /** The vault master secret (32 bytes). Zero it when done. */
  readonly master: Bytes;
  /** The slot's signing key (format 2), or null for a format-1 slot. */
  readonly signingKey: OperatorSigningKey | null;
  readonly grant: null;
}

/** A role slot (format 3): a signing key and the grant's secrets, no master. */
export interface OpenedRoleSlot {
  readonly slot: KeySlot;
  readonly master: null;
  readonly signingKey: OperatorSigningKey;
  /** Zero its secrets when done (zeroGrant). */
  readonly grant: GrantSecrets;
}

export type OpenedSlot = OpenedVaultSlot | OpenedRoleSlot;

/** Zeroes the secret bytes a role slot held. */
export function zeroGrant(grant: GrantSecrets): void {
  if (grant.grant === 'auditor') grant.directorySecret.fill(0);
}

/**
 * Opens a slot (same errors as unwrapSlot): for formats 1 and 2 the master (and format 2's
 * signing key); for a role slot its signing key and grant secrets, `master` null.
 */
export async function openKeySlot(slotJson: unknown, secret: SlotSecret): Promise<OpenedSlot> {
  const slot = parseKeySlot(slotJson);
  let kek: CryptoKey;
  switch (slot.kind) {
    case 'passphrase':
      if (typeof secret !== 'string') throw new TypeError('A passphrase slot opens with a passphrase string.');
      kek = await passphraseKek(secret, fromBase64Url(slot.kdf.salt), slot.kdf.iterations);
      break;
    case 'recovery': {
      const key = typeof secret === 'string' ? await parseRecoveryKey(secret) : secret;
      if (!(key instanceof Uint8Array) || key.length !== RECOVERY_KEY_LENGTH) throw new TypeError(`A recovery slot opens with the ${RECOVERY_KEY_LENGTH}-byte recovery key.`);
      kek = await recoveryKek(key, fromBase64Url(slot.kdf.salt));
      break;
    }
    case 'keychain':
      if (typeof secret === 'string') throw new TypeError('A keychain slot opens with the host-kept key.');
      kek = await keychainKek(secret);
      break;
    default: {
      const unreachable: never = slot;
      throw new KeySlotError('E_SLOT_FORMAT', `Unknown key slot kind ${String((unreachable as KeySlot).kind)}.`);
    }
  }
  let payload: Bytes;
  try {
    payload = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64Url(slot.iv), additionalData: slotAad(slot) },
        kek,
        fromBase64Url(slot.wrapped),
      ),
    );
  } catch {
    throw new KeySlotError('E_WRONG_SECRET', WRONG_SECRET_MESSAGES[slot.kind]);
  }
  try {
    if (slot.version === ROLE_KEY_SLOT_VERSION && slot.publicKey !== undefined && slot.grant !== undefined) {
      const signingKey = { scalar: payload.slice(0, SIGNING_SCALAR_LENGTH), publicKey: fromBase64Url(slot.publicKey) };
      const grant: GrantSecrets = slot.grant === 'auditor' ? { grant: 'auditor', directorySecret: payload.slice(SIGNING_SCALAR_LENGTH) } : { grant: 'researcher' };
      return { slot, master: null, signingKey, grant };
    }
    const master = payload.slice(0, MASTER_SECRET_LENGTH);
    const signingKey = slot.publicKey === undefined ? null : { scalar: payload.slice(MASTER_SECRET_LENGTH), publicKey: fromBase64Url(slot.publicKey) };
    return { slot, master, signingKey, grant: null };
  } finally {
    payload.fill(0);
  }
}

/** Whether a slot should be re-wrapped with today's parameters after a successful unlock. */
export function slotNeedsUpgrade(slot: KeySlot): boolean {
  return slot.kind === 'passphrase' && slot.kdf.iterations < PBKDF2_DEFAULT_ITERATIONS;
}
