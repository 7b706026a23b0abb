import { describe, expect, it } from 'vitest';
import { recordTokens } from '../../../../shared/crypto/blind-index';
import { deriveVaultKeys, generateMasterSecret, pseudonym } from '../../../../shared/crypto/vault-keys';
import { canonicalJson } from '../../../../renderer/vault/canonical-json';
import { identifierPseudonym } from '../../../../renderer/vault/views/intake-rows';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';

/** The session memo of token-cache.ts: whole texts, and other per-session values (pseudonyms). */
describe('TokenCache memo', () => {
  it('a text met again gives the same tokens as shared recordTokens, and texts that join alike stay apart', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const cache = new TokenCache(keys.indexKey);
    const texts = [
      { other: ['2345-7', 'Glucose'] },
      { other: ['2345-7Glucose'] },
      { other: ['2345-', '7Glucose'] },
      { names: ['Glucose'], other: ['2345-7'] },
      { other: ['Glucose'], dates: ['2345-7'] },
    ];
    for (let round = 0; round < 2; round++) {
      for (const text of texts) expect(await cache.tokensOf(text)).toEqual([...(await recordTokens(keys.indexKey, text))].sort());
    }
  });

  it('remember computes a value once per kind and key, retries after a failure, and forgets at clear', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const cache = new TokenCache(keys.indexKey);
    let calls = 0;
    const compute = (value: string) => async () => {
      calls++;
      return value;
    };
    expect(await cache.remember('a', 'k', compute('one'))).toBe('one');
    expect(await cache.remember('a', 'k', compute('two'))).toBe('one');
    expect(await cache.remember('b', 'k', compute('three'))).toBe('three');
    expect(calls).toBe(2);
    await expect(cache.remember('c', 'k', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await cache.remember('c', 'k', compute('four'))).toBe('four');
    cache.clear();
    expect(await cache.remember('a', 'k', compute('five'))).toBe('five');
  });

  it('is bounded: past its limit it starts over', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const cache = new TokenCache(keys.indexKey, 2);
    let calls = 0;
    const compute = async () => ++calls;
    await cache.remember('a', '1', compute);
    await cache.remember('a', '2', compute);
    await cache.remember('a', '3', compute);
    expect(await cache.remember('a', '1', compute)).toBe(4);
  });

  it('a remembered patient pseudonym is the one computed without the memo', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const cache = new TokenCache(keys.indexKey);
    const identifier = { authority: 'HOSP', value: 'MRN-1', type: 'MR' } as const;
    const expected = (await pseudonym(keys.ledgerKey, 'view-patient', canonicalJson([identifier.authority, identifier.value]))).slice(0, 22);
    expect(await identifierPseudonym(keys.ledgerKey, identifier)).toBe(expected);
    expect(await identifierPseudonym(keys.ledgerKey, identifier, cache)).toBe(expected);
    expect(await identifierPseudonym(keys.ledgerKey, identifier, cache)).toBe(expected);
    expect(await identifierPseudonym(keys.ledgerKey, { ...identifier, value: 'MRN-2' }, cache)).not.toBe(expected);
  });
});
