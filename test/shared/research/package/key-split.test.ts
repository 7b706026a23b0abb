import { combine } from 'shamir-secret-sharing';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../shared/crypto/bytes';
import { generateP256KeyPair, type P256KeyPair } from '../../../../shared/crypto/p256-keys';
import { combineShares, openKeyShare, resealKeyShare, splitPackageKey, thresholdFor, type EncryptedKeyShare, type KeyShare, type ShareBinding } from '../../../../shared/research/package/key-split';
import { checkKeyCommitment, keyCommitment, newPackageKey } from '../../../../shared/research/package/package-seal';

const HASH = 'e3'.repeat(32);

interface Keeper {
  readonly id: string;
  readonly pair: P256KeyPair;
}

async function keepers(n: number): Promise<Keeper[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => ({ id: `0xKeeper${i}`, pair: await generateP256KeyPair() })));
}

async function setup(n: number, purchaseId = 'purchase-A') {
  const key = newPackageKey();
  const binding: ShareBinding = { purchaseId, ciphertextSha256: HASH, commitment: await keyCommitment(key, HASH) };
  const group = await keepers(n);
  const sealed = await splitPackageKey(
    key,
    group.map((k, i) => ({ recipientId: k.id, publicKey: i % 2 === 0 ? k.pair.publicKeyRaw : `0x${toHex(k.pair.publicKeyRaw)}` })),
    binding,
  );
  const opened = await Promise.all(sealed.map((share, i) => openKeyShare(share, group[i]!.pair.privateKey, { purchaseId, recipientId: group[i]!.id })));
  return { key, binding, group, sealed, opened };
}

/** Every subset of `items` of size `size`. */
function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [first!, ...s]), ...subsets(rest, size)];
}

describe('the package key split among keepers', () => {
  it('t = ⌊n/2⌋ + 1 for 3 to 10 keepers, refusing other counts', () => {
    expect([3, 4, 5, 6, 7, 8, 9, 10].map(thresholdFor)).toEqual([2, 3, 3, 4, 4, 5, 5, 6]);
    expect(() => thresholdFor(2)).toThrow(RangeError);
    expect(() => thresholdFor(11)).toThrow(RangeError);
  });

  it('any t of n shares give the key back (n = 5, t = 3: all 10 subsets; n = 4, t = 3)', async () => {
    for (const n of [4, 5]) {
      const { key, binding, opened } = await setup(n);
      expect(opened.every((s) => s.threshold === thresholdFor(n) && s.total === n)).toBe(true);
      for (const subset of subsets(opened, thresholdFor(n))) expect(await combineShares(subset, binding)).toEqual(key);
      // More than t works too.
      expect(await combineShares(opened, binding)).toEqual(key);
    }
  });

  it('t − 1 shares do not recover it: the library returns some key, which fails the commitment', async () => {
    const { key, binding, opened } = await setup(7); // t = 4
    for (const subset of subsets(opened, 3).slice(0, 10)) {
      const guess = await combine(subset.map((s) => s.share));
      expect(guess).not.toEqual(key);
      expect(await checkKeyCommitment(guess, HASH, binding.commitment)).toBe(false);
      // Raw shares: only the commitment can tell.
      await expect(combineShares(subset.map((s) => s.share), binding)).rejects.toMatchObject({ code: 'commitment-mismatch' });
      // Shares with their metadata: refused as too few before combining.
      await expect(combineShares(subset, binding)).rejects.toMatchObject({ code: 'too-few-shares' });
    }
    // n = 3, t = 2: one share cannot even be combined.
    const small = await setup(3);
    await expect(combineShares(small.opened.slice(0, 1), small.binding)).rejects.toMatchObject({ code: 'too-few-shares' });
  });

  it('one wrong share makes the combination fail the commitment', async () => {
    const { binding, opened } = await setup(5);
    const bad = opened[1]!.share.slice();
    bad[0]! ^= 0x01;
    const shares: KeyShare[] = [opened[0]!, { ...opened[1]!, share: bad }, opened[2]!];
    await expect(combineShares(shares, binding)).rejects.toMatchObject({ name: 'KeySplitError', code: 'commitment-mismatch' });
    // A share of another split of the same key (same x, other polynomial) is wrong too.
    const other = await setup(5);
    const x = (share: KeyShare): number => share.share[32]!;
    const foreign = other.opened.find((s) => x(s) !== x(opened[0]!) && x(s) !== x(opened[1]!))!; // x coordinates are random per split
    await expect(combineShares([opened[0]!.share, opened[1]!.share, foreign.share], binding)).rejects.toMatchObject({ code: 'commitment-mismatch' });
    await expect(combineShares([opened[0]!, opened[0]!, opened[2]!], binding)).rejects.toMatchObject({ code: 'duplicate-share' });
    // Shares of another package are refused by their binding.
    await expect(combineShares([opened[0]!, opened[1]!, other.opened[2]!], binding)).rejects.toMatchObject({ code: 'mismatched-shares' });
  });

  it('a share sealed for purchase A does not open as purchase B, nor with another keeper’s key or id', async () => {
    const { group, sealed } = await setup(3, 'purchase-A');
    const share = sealed[0]!;
    const keeper = group[0]!;
    await expect(openKeyShare(share, keeper.pair.privateKey, { purchaseId: 'purchase-B', recipientId: keeper.id })).rejects.toMatchObject({ code: 'wrong-recipient' });
    // Rewriting the share's fields does not help: the purchase id is in the associated data.
    const rewritten: EncryptedKeyShare = { ...share, purchaseId: 'purchase-B' };
    await expect(openKeyShare(rewritten, keeper.pair.privateKey, { purchaseId: 'purchase-B', recipientId: keeper.id })).rejects.toMatchObject({ code: 'undecryptable' });
    // Another keeper's key, even claiming to be that keeper.
    const other = group[1]!;
    await expect(openKeyShare(share, other.pair.privateKey, { purchaseId: 'purchase-A', recipientId: keeper.id })).rejects.toMatchObject({ code: 'undecryptable' });
    await expect(openKeyShare({ ...share, recipientId: other.id }, other.pair.privateKey, { purchaseId: 'purchase-A', recipientId: other.id })).rejects.toMatchObject({ code: 'undecryptable' });
    // A changed threshold or commitment breaks it too.
    await expect(openKeyShare({ ...share, commitment: 'f'.repeat(64) }, keeper.pair.privateKey, { purchaseId: 'purchase-A', recipientId: keeper.id })).rejects.toMatchObject({ code: 'undecryptable' });
    // The untouched share opens.
    await expect(openKeyShare(share, keeper.pair.privateKey, { purchaseId: 'purchase-A', recipientId: keeper.id })).resolves.toMatchObject({ purchaseId: 'purchase-A', threshold: 2, total: 3 });
  });

  it('keepers release their shares resealed to the buyer, who combines them', async () => {
    const { key, binding, opened } = await setup(5);
    const buyer = await generateP256KeyPair();
    const released = await Promise.all(opened.slice(2).map((share) => resealKeyShare(share, { recipientId: '0xBuyer', publicKey: buyer.publicKeyRaw })));
    const received = await Promise.all(released.map((share) => openKeyShare(share, buyer.privateKey, { purchaseId: 'purchase-A', recipientId: '0xBuyer' })));
    expect(await combineShares(received, binding)).toEqual(key);
    await expect(openKeyShare(released[0]!, buyer.privateKey, { purchaseId: 'purchase-A', recipientId: '0xSomeoneElse' })).rejects.toMatchObject({ code: 'wrong-recipient' });
  });

  it('refuses to split a key under a commitment it does not match', async () => {
    const group = await keepers(3);
    const binding: ShareBinding = { purchaseId: 'p', ciphertextSha256: HASH, commitment: await keyCommitment(newPackageKey(), HASH) };
    await expect(splitPackageKey(newPackageKey(), group.map((k) => ({ recipientId: k.id, publicKey: k.pair.publicKeyRaw })), binding)).rejects.toMatchObject({ code: 'commitment-mismatch' });
  });
});
