import { describe, expect, it } from 'vitest';
import { FieldCipherError, decryptField, decryptMany, encryptField, encryptMany } from '../../../shared/crypto/field-cipher';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';

const keys = await deriveVaultKeys(generateMasterSecret());

describe('field cipher', () => {
  it('round-trips JSON values bound to table, row and field', async () => {
    const value = { family: 'Müller', given: ['Anna', 'Maria'], birthDate: '1980-02-03', mrn: 'MRN-000123', weight: 71.5, flags: null };
    const stored = await encryptField(keys.viewKey, { table: 'patients', id: 'p1', field: 'name' }, value);
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored[0]).toBe(1);
    expect(new TextDecoder().decode(stored)).not.toContain('Müller');
    expect(await decryptField(keys.viewKey, { table: 'patients', id: 'p1', field: 'name' }, stored)).toEqual(value);
    for (const scalar of [0, 'text', true, null, [1, 2]]) {
      expect(await decryptField(keys.viewKey, { table: 't', id: 1 }, await encryptField(keys.viewKey, { table: 't', id: 1 }, scalar))).toEqual(scalar);
    }
  });

  it('a ciphertext moved to another row, table, field, id type or key fails with E_FIELD_AUTH', async () => {
    const stored = await encryptField(keys.viewKey, { table: 'patients', id: 7, field: 'name' }, 'Anna Müller');
    const elsewhere = [
      { table: 'patients', id: 8, field: 'name' },
      { table: 'patients', id: '7', field: 'name' },
      { table: 'observations', id: 7, field: 'name' },
      { table: 'patients', id: 7, field: 'address' },
      { table: 'patients', id: 7 },
    ];
    for (const location of elsewhere) {
      await expect(decryptField(keys.viewKey, location, stored)).rejects.toMatchObject({ code: 'E_FIELD_AUTH' });
    }
    const other = await deriveVaultKeys(generateMasterSecret());
    await expect(decryptField(other.viewKey, { table: 'patients', id: 7, field: 'name' }, stored)).rejects.toBeInstanceOf(FieldCipherError);
    const flipped = stored.slice();
    flipped[20]! ^= 1;
    await expect(decryptField(keys.viewKey, { table: 'patients', id: 7, field: 'name' }, flipped)).rejects.toMatchObject({ code: 'E_FIELD_AUTH' });
  });

  it('refuses malformed stored values and non-JSON values, and never echoes content', async () => {
    await expect(decryptField(keys.viewKey, { table: 't', id: 1 }, new Uint8Array(5))).rejects.toMatchObject({ code: 'E_FIELD_FORMAT' });
    await expect(encryptField(keys.viewKey, { table: 't', id: 1 }, undefined)).rejects.toThrow(TypeError);
    await expect(encryptField(keys.viewKey, { table: 't', id: 1 }, 10n)).rejects.toThrow(TypeError);
    const error = await decryptField(keys.viewKey, { table: 't', id: 2 }, await encryptField(keys.viewKey, { table: 't', id: 1 }, 'Müller')).catch((caught: unknown) => caught as Error);
    expect((error as Error).message).not.toContain('Müller');
  });

  it('encryptMany / decryptMany keep order, and every value gets its own IV', async () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ table: 'patients', id: `p${i}`, field: 'name', value: `Patient ${i}` }));
    const stored = await encryptMany(keys.viewKey, items);
    expect(new Set(stored.map((bytes) => Buffer.from(bytes.subarray(1, 13)).toString('hex'))).size).toBe(200);
    const values = await decryptMany<string>(keys.viewKey, items.map((item, i) => ({ ...item, stored: stored[i]! })));
    expect(values).toEqual(items.map((item) => item.value));
  });
});
