import { describe, expect, it } from 'vitest';
import { bytesEqual, randomBytes } from '../../../shared/crypto/bytes';
import {
  KeySlotError,
  PBKDF2_MIN_ITERATIONS,
  createKeychainSlot,
  createPassphraseSlot,
  createRecoverySlot,
  parseKeySlot,
  slotNeedsUpgrade,
  unwrapSlot,
  type KeySlotErrorCode,
} from '../../../shared/crypto/key-slots';
import { formatRecoveryKey, generateRecoveryKey } from '../../../shared/crypto/recovery-key';
import { generateMasterSecret } from '../../../shared/crypto/vault-keys';

const FAST = { testOnlyIterations: 1000 };

async function failure(promise: Promise<unknown>): Promise<KeySlotErrorCode | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof KeySlotError ? error.code : (undefined as never)),
  );
}

describe('key slots', () => {
  it('a passphrase slot opens with its passphrase (after a JSON round trip) and not with another', async () => {
    const master = generateMasterSecret();
    const slot = await createPassphraseSlot({ master, passphrase: 'blue tractor seventy lamp', operatorId: 'account-1', ...FAST });
    const stored = JSON.parse(JSON.stringify(slot)) as unknown;
    expect(bytesEqual(await unwrapSlot(stored, 'blue tractor seventy lamp'), master)).toBe(true);
    await expect(unwrapSlot(stored, 'blue tractor seventy lam')).rejects.toMatchObject({ code: 'E_WRONG_SECRET', message: 'The passphrase is wrong (or the key slot was altered).' });
  });

  it('normalizes the passphrase to NFC (composed and decomposed accents match)', async () => {
    const master = generateMasterSecret();
    const slot = await createPassphraseSlot({ master, passphrase: 'Grüße aus der Praxis'.normalize('NFD'), operatorId: 'a', ...FAST });
    expect(bytesEqual(await unwrapSlot(slot, 'Grüße aus der Praxis'.normalize('NFC')), master)).toBe(true);
  });

  it('uses 600,000 iterations by default and refuses fewer unless testOnlyIterations', async () => {
    const master = generateMasterSecret();
    const slot = await createPassphraseSlot({ master, passphrase: 'correct horse battery staple', operatorId: 'a' });
    expect(slot.kdf.iterations).toBe(PBKDF2_MIN_ITERATIONS);
    expect(bytesEqual(await unwrapSlot(slot, 'correct horse battery staple'), master)).toBe(true);
    expect(await failure(createPassphraseSlot({ master, passphrase: 'x', operatorId: 'a', iterations: 599_999 }))).toBe('E_SLOT_POLICY');
    expect(await failure(createPassphraseSlot({ master, passphrase: '', operatorId: 'a', ...FAST }))).toBe('E_SLOT_POLICY');
    const weak = await createPassphraseSlot({ master, passphrase: 'x', operatorId: 'a', ...FAST });
    expect(weak.kdf.iterations).toBe(1000);
    expect(slotNeedsUpgrade(weak)).toBe(true);
    expect(slotNeedsUpgrade(slot)).toBe(false);
  });

  it('a slot moved to another operator, or relabelled, no longer opens', async () => {
    const master = generateMasterSecret();
    const slot = await createPassphraseSlot({ master, passphrase: 'pass phrase words', operatorId: 'alice', id: 'slot-1', ...FAST });
    expect(await failure(unwrapSlot({ ...slot, operatorId: 'bob' }, 'pass phrase words'))).toBe('E_WRONG_SECRET');
    expect(await failure(unwrapSlot({ ...slot, id: 'slot-2' }, 'pass phrase words'))).toBe('E_WRONG_SECRET');
    expect(await failure(unwrapSlot({ ...slot, kdf: { ...slot.kdf, iterations: 999 } }, 'pass phrase words'))).toBe('E_WRONG_SECRET');
  });

  it('a recovery slot opens with the key, raw or as printed, and catches typos before unwrapping', async () => {
    const master = generateMasterSecret();
    const recoveryKey = generateRecoveryKey();
    const slot = await createRecoverySlot({ master, recoveryKey, operatorId: 'vault' });
    expect(slot.kdf.name).toBe('HKDF-SHA-256');
    expect(bytesEqual(await unwrapSlot(slot, recoveryKey), master)).toBe(true);
    const printed = await formatRecoveryKey(recoveryKey);
    expect(bytesEqual(await unwrapSlot(slot, printed.toLowerCase().replace(/-/g, ' ')), master)).toBe(true);
    expect(await failure(unwrapSlot(slot, generateRecoveryKey()))).toBe('E_WRONG_SECRET');
    const typo = (printed[0] === 'A' ? 'B' : 'A') + printed.slice(1);
    await expect(unwrapSlot(slot, typo)).rejects.toMatchObject({ code: 'E_RECOVERY_KEY_CHECKSUM' });
  });

  it('a keychain slot opens with the host-kept key (bytes or CryptoKey)', async () => {
    const master = generateMasterSecret();
    const kek = randomBytes(32);
    const slot = await createKeychainSlot({ master, kek, operatorId: 'workstation' });
    expect(bytesEqual(await unwrapSlot(slot, kek), master)).toBe(true);
    const asKey = await crypto.subtle.importKey('raw', kek, 'AES-GCM', false, ['encrypt', 'decrypt']);
    expect(bytesEqual(await unwrapSlot(slot, asKey), master)).toBe(true);
    expect(await failure(unwrapSlot(slot, randomBytes(32)))).toBe('E_WRONG_SECRET');
  });

  it('the schema rejects extra fields, missing fields, bad encodings and absurd parameters', async () => {
    const slot = await createPassphraseSlot({ master: generateMasterSecret(), passphrase: 'p', operatorId: 'a', ...FAST });
    const bad: unknown[] = [
      { ...slot, note: 'extra' },
      { ...slot, kdf: { ...slot.kdf, extra: 1 } },
      { ...slot, iv: undefined },
      { ...slot, iv: `${slot.iv}A` },
      { ...slot, wrapped: slot.wrapped.replace(/.$/, '+') },
      { ...slot, kdf: { ...slot.kdf, iterations: 100_000_000 } },
      { ...slot, kdf: { ...slot.kdf, iterations: 1.5 } },
      { ...slot, version: 2 },
      { ...slot, kind: 'fingerprint' },
      { ...slot, kind: 'recovery' }, // a recovery slot has an HKDF kdf
      'not an object',
      null,
    ];
    for (const value of bad) {
      expect(await failure(unwrapSlot(value, 'p')), JSON.stringify(value)).toBe('E_SLOT_FORMAT');
    }
    expect(() => parseKeySlot({ ...slot, note: 'x' })).toThrow(/Not a valid key slot/);
    expect(parseKeySlot(JSON.parse(JSON.stringify(slot)))).toEqual(slot);
  });

  it('refuses to open a slot with the wrong kind of secret', async () => {
    const slot = await createPassphraseSlot({ master: generateMasterSecret(), passphrase: 'p', operatorId: 'a', ...FAST });
    await expect(unwrapSlot(slot, randomBytes(32))).rejects.toThrow(TypeError);
  });
});
