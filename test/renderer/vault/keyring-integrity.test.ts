import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../renderer/vault/canonical-json';
import { buildFirstKeyring, withOperatorDisabled } from '../../../renderer/vault/session/keyring/keyring-edits';
import { keyringIntact, sealKeyring } from '../../../renderer/vault/session/keyring/keyring-integrity';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { KeyringSchema } from '../../../shared/ipc/vault-contract';

describe('keyring integrity', () => {
  it('canonical JSON ignores property order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: 'x' }] })).toBe(canonicalJson({ a: [{ c: 'x', d: true }], b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('accepts the keyring it tagged and refuses every edit made without the master secret', async () => {
    const master = generateMasterSecret();
    const keys = await deriveVaultKeys(master);
    const { keyring, adminId } = await buildFirstKeyring({ master, keys, operatorName: 'Ada', passphrase: 'violet tractor amber seventeen', params: { testOnlyIterations: 1000 } });
    expect(KeyringSchema.parse(keyring)).toEqual(keyring);
    expect(await keyringIntact(master, keyring)).toBe(true);
    // property order on disk does not matter
    const reordered = Object.fromEntries(Object.entries(keyring).reverse()) as typeof keyring;
    expect(await keyringIntact(master, reordered)).toBe(true);
    expect(await keyringIntact(master, { ...keyring, operators: keyring.operators.map((o) => ({ ...o, role: 'researcher' as const })) })).toBe(false);
    expect(await keyringIntact(master, { ...keyring, revision: keyring.revision + 1 })).toBe(false);
    expect(await keyringIntact(master, { ...keyring, slots: keyring.slots.slice(0, 1) })).toBe(false);
    expect(await keyringIntact(generateMasterSecret(), keyring)).toBe(false);
    const disabled = await withOperatorDisabled(master, keyring, adminId, true);
    expect(disabled.revision).toBe(2);
    expect(await keyringIntact(master, disabled)).toBe(true);
    expect(await keyringIntact(master, await sealKeyring(master, { ...disabled, integrity: 'x' }))).toBe(true);
  });
});
