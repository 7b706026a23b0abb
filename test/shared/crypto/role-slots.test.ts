import { describe, expect, it } from 'vitest';
import { encryptField, decryptField } from '../../../shared/crypto/field-cipher';
import { createPassphraseSlot, createRoleSlot, KeySlotError, openKeySlot, parseKeySlot, unwrapSlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { deriveDirectorySecret, deriveVaultKeys, generateMasterSecret, importDirectoryKey } from '../../../shared/crypto/vault-keys';
import { fromBase64Url } from '../../../shared/crypto/bytes';

const PASSPHRASE = 'lattice orbit fennel 42';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof KeySlotError ? error.code : error === undefined ? undefined : String(error);
}

describe('role slots (format 3): roles are keys', () => {
  it("a researcher's slot holds its signing key and nothing else: no master", async () => {
    const signingKey = await generateOperatorSigningKey();
    const slot = await createRoleSlot({ operatorId: 'rita', passphrase: PASSPHRASE, secrets: { grant: 'researcher' }, signingKey, testOnlyIterations: 1000 });
    expect(slot).toMatchObject({ version: 3, kind: 'passphrase', grant: 'researcher' });
    // AES-GCM: the ciphertext is as long as what it wraps, plus the 16-byte tag; 32 bytes = the signing scalar alone.
    expect(fromBase64Url(slot.wrapped)).toHaveLength(32 + 16);
    const opened = await openKeySlot(slot, PASSPHRASE);
    expect(opened.master).toBeNull();
    expect(opened.grant).toEqual({ grant: 'researcher' });
    expect(opened.signingKey?.scalar).toEqual(signingKey.scalar);
    expect(await codeOf(unwrapSlot(slot, PASSPHRASE))).toBe('E_SLOT_SCOPE');
    expect(await codeOf(openKeySlot(slot, 'not it'))).toBe('E_WRONG_SECRET');
  });

  it("an auditor's slot holds the directory key, which opens what the master's directory key sealed, and nothing clinical", async () => {
    const master = generateMasterSecret();
    const keys = await deriveVaultKeys(master);
    const slot = await createRoleSlot({
      operatorId: 'audrey',
      passphrase: PASSPHRASE,
      secrets: { grant: 'auditor', directorySecret: await deriveDirectorySecret(master) },
      signingKey: await generateOperatorSigningKey(),
      testOnlyIterations: 1000,
    });
    expect(fromBase64Url(slot.wrapped)).toHaveLength(32 + 32 + 16);
    const opened = await openKeySlot(slot, PASSPHRASE);
    if (opened.grant?.grant !== 'auditor') throw new Error('expected an auditor grant');
    const directoryKey = await importDirectoryKey(opened.grant.directorySecret);
    const location = { table: 'directory', id: '0xabc' };
    const sealed = await encryptField(keys.directoryKey, location, { family: 'Doe', given: ['Jane'] });
    expect(await decryptField(directoryKey, location, sealed)).toEqual({ family: 'Doe', given: ['Jane'] });
    // The directory key is not the view key: a patient row's field does not open with it.
    const viewSealed = await encryptField(keys.viewKey, { table: 'patients', id: 'p1' }, { secret: true });
    await expect(decryptField(directoryKey, { table: 'patients', id: 'p1' }, viewSealed)).rejects.toThrow();
    // Nor is the grant the master under another name.
    expect(opened.grant.directorySecret).not.toEqual(master);
  });

  it('binds the grant and the owner: a slot moved to another operator or relabeled does not open', async () => {
    const signingKey = await generateOperatorSigningKey();
    const slot = await createRoleSlot({ operatorId: 'rita', passphrase: PASSPHRASE, secrets: { grant: 'researcher' }, signingKey, testOnlyIterations: 1000 });
    expect(await codeOf(openKeySlot({ ...slot, operatorId: 'carl' }, PASSPHRASE))).toBe('E_WRONG_SECRET');
    // Relabeled as an auditor's: the wrapped length no longer fits the grant.
    expect(await codeOf(openKeySlot({ ...slot, grant: 'auditor' }, PASSPHRASE))).toBe('E_SLOT_FORMAT');
    // Declared format 2 (as if it held the master): refused by the schema.
    expect(() => parseKeySlot({ ...slot, version: 2 })).toThrow(/grant/);
  });

  it('is a passphrase slot only, and a master slot carries no grant', async () => {
    const signingKey = await generateOperatorSigningKey();
    const slot = await createRoleSlot({ operatorId: 'rita', passphrase: PASSPHRASE, secrets: { grant: 'researcher' }, signingKey, testOnlyIterations: 1000 });
    expect(() => parseKeySlot({ ...slot, kind: 'keychain', kdf: undefined })).toThrow();
    const master = generateMasterSecret();
    const masterSlot = await createPassphraseSlot({ master, operatorId: 'ada', passphrase: PASSPHRASE, signingKey, testOnlyIterations: 1000 });
    expect(() => parseKeySlot({ ...masterSlot, grant: 'researcher' })).toThrow(/grant/);
    const opened = await openKeySlot(masterSlot, PASSPHRASE);
    expect(opened.grant).toBeNull();
    expect(opened.master).toEqual(master);
  });

  it('derives the same directory key from the master both ways', async () => {
    const master = generateMasterSecret();
    const keys = await deriveVaultKeys(master);
    const imported = await importDirectoryKey(await deriveDirectorySecret(master));
    const location = { table: 'directory', id: 'operator:x' };
    expect(await decryptField(keys.directoryKey, location, await encryptField(imported, location, 'n'))).toBe('n');
  });
});
