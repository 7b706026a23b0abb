import type { Keyring } from '../../../../shared/ipc/vault-contract';
import { asBytes, constantTimeEqual, fromBase64Url, toBase64Url, utf8Encode } from '../../vault-crypto';
import { canonicalJson } from '../../canonical-json';

/**
 * The keyring's integrity tag (vault-contract.ts `integrity`): HMAC-SHA-256 over the canonical JSON
 * of the keyring without that field, under a key derived from the master secret with HKDF and a
 * label of its own ("hdms/vault/v1/keyring-integrity"), distinct from every label of vault-keys.ts,
 * so the tag key is never any other vault key. Whoever can write keys.json but does not hold the
 * master secret (a person with file access, a compromised body) cannot change an operator's role,
 * re-enable a disabled account, add an operator or move slots without the next unlock noticing.
 *
 * Limits: the tag is checked only after a slot opened (it needs the master), and it cannot stop a
 * roll-back to an older, correctly tagged keyring (for example one where a since-disabled operator
 * was still enabled); the revision number lets the body refuse that on update, not on read.
 */

export const KEYRING_INTEGRITY_LABEL = 'hdms/vault/v1/keyring-integrity';
const MAC_DOMAIN = 'hdms/keyring/v1\u0000';

export type KeyringDraft = Omit<Keyring, 'integrity'>;

async function integrityKey(master: Uint8Array): Promise<CryptoKey> {
  const material = await globalThis.crypto.subtle.importKey('raw', asBytes(master), 'HKDF', false, ['deriveKey']);
  return globalThis.crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8Encode(KEYRING_INTEGRITY_LABEL) },
    material,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  );
}

function withoutIntegrity(keyring: Keyring | KeyringDraft): KeyringDraft {
  const { integrity: _integrity, ...rest } = keyring as Keyring;
  return rest;
}

async function macOf(master: Uint8Array, draft: KeyringDraft): Promise<Uint8Array> {
  const key = await integrityKey(master);
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, utf8Encode(MAC_DOMAIN + canonicalJson(draft))));
}

/** The keyring with its integrity tag (any tag on the input is replaced). */
export async function sealKeyring(master: Uint8Array, draft: KeyringDraft | Keyring): Promise<Keyring> {
  const body = withoutIntegrity(draft);
  return { ...body, integrity: toBase64Url(await macOf(master, body)) };
}

/** Whether the keyring's tag matches (constant-time comparison). */
export async function keyringIntact(master: Uint8Array, keyring: Keyring): Promise<boolean> {
  let stored: Uint8Array;
  try {
    stored = fromBase64Url(keyring.integrity);
  } catch {
    return false;
  }
  return constantTimeEqual(stored, await macOf(master, withoutIntegrity(keyring)));
}
