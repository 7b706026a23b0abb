import { describe, expect, it } from 'vitest';
import { generateP256KeyPair } from '../../../shared/crypto/p256-keys';
import { openKeyShare, splitPackageKey, type KeyShare } from '../../../shared/research/package/key-split';
import { keyCommitment, newPackageKey } from '../../../shared/research/package/package-seal';
import { combineReleasedShares } from '../../../renderer/research/purchased-datasets';

/**
 * The researcher's side of a delivery (issue 15 item 7), its pure parts: the released shares
 * combined into the key the NOTARIZED commitment names, a wrong share found and left out (the
 * dataset page's previews: dataset-previews.test.ts). The whole flow runs in test/integration/network-delivery.test.ts.
 */

const HASH = 'a1'.repeat(32);

async function released(n: number) {
  const key = newPackageKey();
  const binding = { purchaseId: 'purchase-X', ciphertextSha256: HASH, commitment: await keyCommitment(key, HASH) };
  const pairs = await Promise.all(Array.from({ length: n }, () => generateP256KeyPair()));
  const sealed = await splitPackageKey(
    key,
    pairs.map((pair, i) => ({ recipientId: `0xKeeper${i}`, publicKey: pair.publicKeyRaw })),
    binding,
  );
  const opened = await Promise.all(sealed.map((share, i) => openKeyShare(share, pairs[i]!.privateKey, { purchaseId: binding.purchaseId, recipientId: `0xKeeper${i}` })));
  return { key, binding, shares: opened.map((share, i) => ({ keeper: `0xKeeper${i}`, share })) };
}

/** A share whose secret bytes were changed (what a lying keeper would send): its binding fields still match. */
function corrupted(share: KeyShare): KeyShare {
  const bytes = new Uint8Array(share.share);
  bytes[0] = bytes[0]! ^ 0xff;
  return { ...share, share: bytes };
}

describe('combining the keepers’ released shares', () => {
  it('gives the package key from the first t shares, naming the keepers used', async () => {
    const { key, binding, shares } = await released(3);
    const combined = await combineReleasedShares(shares, 2, binding);
    expect(combined?.key).toEqual(key);
    expect(combined?.keepers).toEqual(['0xKeeper0', '0xKeeper1']);
  });

  it('leaves out a wrong share when enough others came: the commitment tells', async () => {
    const { key, binding, shares } = await released(5); // t = 3
    const lying = [shares[0]!, { ...shares[1]!, share: corrupted(shares[1]!.share) }, ...shares.slice(2)];
    const combined = await combineReleasedShares(lying, 3, binding);
    expect(combined?.key).toEqual(key);
    expect(combined?.keepers).not.toContain('0xKeeper1');
  });

  it('answers null when no t of them match the commitment (one of two is wrong), and for another package’s commitment', async () => {
    const { binding, shares } = await released(3);
    expect(await combineReleasedShares([shares[0]!, { ...shares[1]!, share: corrupted(shares[1]!.share) }], 2, binding)).toBeNull();
    const other = await released(3);
    expect(await combineReleasedShares(shares, 2, { ...binding, commitment: other.binding.commitment })).toBeNull();
  });
});
