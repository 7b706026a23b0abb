import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/crypto/bytes';
import { blindTokens, prefixTokens } from '../../../shared/crypto/blind-index';
import { createOpener, createSealer } from '../../../shared/crypto/envelope';
import { generateP256KeyPair, importP256PublicKey, p256SharedSecret } from '../../../shared/crypto/p256-keys';
import { formatRecoveryKey } from '../../../shared/crypto/recovery-key';
import {
  deriveIdentitySeed,
  deriveOperatorId,
  derivePatientPseudonym,
  deriveVaultKeys,
  generateMasterSecret,
  intakeKeyFingerprint,
  pseudonym,
} from '../../../shared/crypto/vault-keys';
import type { VaultKeysVector } from './vectors/generate-vectors';

const vector = JSON.parse(readFileSync(new URL('vectors/vault-keys-v1.json', import.meta.url), 'utf8')) as VaultKeysVector;

describe('vault key hierarchy', () => {
  it('matches the committed vector (labels and derivations are frozen)', async () => {
    const master = fromHex(vector.master);
    const keys = await deriveVaultKeys(master);
    expect(toHex(keys.intakeKeyPair.publicKeyRaw)).toBe(vector.intakePublicKey);
    expect(await intakeKeyFingerprint(keys.intakeKeyPair.publicKeyRaw)).toBe(vector.intakeFingerprint);
    expect(toHex(await deriveIdentitySeed(master))).toBe(vector.identitySeed);
    expect(await deriveOperatorId(keys.ledgerKey, vector.operatorId.localAccountId)).toBe(vector.operatorId.pseudonym);
    expect(await blindTokens(keys.indexKey, vector.blindTokens.words)).toEqual(vector.blindTokens.tokens);
    expect(await prefixTokens(keys.indexKey, vector.prefixTokens.words)).toEqual(vector.prefixTokens.tokens);
    expect(await formatRecoveryKey(fromHex(vector.recoveryKey.key))).toBe(vector.recoveryKey.formatted);
  });

  it('is deterministic: a restore from the master alone recreates the intake key pair', async () => {
    const master = generateMasterSecret();
    expect(master.length).toBe(32);
    const first = await deriveVaultKeys(master);
    const second = await deriveVaultKeys(master.slice());
    expect(toHex(second.intakeKeyPair.publicKeyRaw)).toBe(toHex(first.intakeKeyPair.publicKeyRaw));
    // What the body sealed to the first derivation, the second opens.
    const sealer = await createSealer(first.intakeKeyPair.publicKeyRaw);
    const sealed = await sealer.seal('object', new TextEncoder().encode('survives a restore'));
    expect(new TextDecoder().decode((await createOpener(second.intakeKeyPair.privateKey).open(sealed)).plaintext)).toBe('survives a restore');
  });

  it('derives the message key pair from the master too: the same after a restore, and neither the intake key nor the identity', async () => {
    const master = generateMasterSecret();
    const first = await deriveVaultKeys(master);
    const second = await deriveVaultKeys(master.slice());
    expect(toHex(second.messageKeyPair.publicKeyRaw)).toBe(toHex(first.messageKeyPair.publicKeyRaw));
    expect(first.messageKeyPair.publicKeyRaw).toHaveLength(65);
    expect(toHex(first.messageKeyPair.publicKeyRaw)).not.toBe(toHex(first.intakeKeyPair.publicKeyRaw));
    const other = await deriveVaultKeys(generateMasterSecret());
    expect(toHex(other.messageKeyPair.publicKeyRaw)).not.toBe(toHex(first.messageKeyPair.publicKeyRaw));
  });

  it('the derived public key matches its private key in an ECDH round trip', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const peer = await generateP256KeyPair();
    const a = await p256SharedSecret(keys.intakeKeyPair.privateKey, peer.publicKey);
    const b = await p256SharedSecret(peer.privateKey, await importP256PublicKey(keys.intakeKeyPair.publicKeyRaw));
    expect(toHex(a)).toBe(toHex(b));
  });

  it('keys are separated by label, non-extractable, with the right algorithms and uses', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    expect(keys.viewKey.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    expect(keys.indexKey.algorithm).toMatchObject({ name: 'HMAC' });
    expect(keys.ledgerKey.algorithm).toMatchObject({ name: 'HMAC' });
    for (const key of [keys.viewKey, keys.indexKey, keys.ledgerKey, keys.backupKey, keys.intakeKeyPair.privateKey]) expect(key.extractable).toBe(false);
    const [index] = await blindTokens(keys.indexKey, ['x1']);
    const ledger = await pseudonym(keys.ledgerKey, 'word', 'x1');
    expect(ledger.startsWith(index!)).toBe(false);
    const other = await deriveVaultKeys(generateMasterSecret());
    expect(toHex(other.intakeKeyPair.publicKeyRaw)).not.toBe(toHex(keys.intakeKeyPair.publicKeyRaw));
  });

  it('pseudonyms are stable, per domain, and 43 base64url characters', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const patient = await derivePatientPseudonym(keys.ledgerKey, 'MRN-000123');
    expect(patient).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await derivePatientPseudonym(keys.ledgerKey, 'MRN-000123')).toBe(patient);
    expect(await deriveOperatorId(keys.ledgerKey, 'MRN-000123')).not.toBe(patient);
  });

  it('refuses a master of the wrong length', async () => {
    await expect(deriveVaultKeys(new Uint8Array(31))).rejects.toThrow(RangeError);
  });
});
