import { sha256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { inclusionProof, merkleRoot, verifyInclusion } from '../../../shared/ledger/merkle';

/**
 * RFC 9162 §2.1 Merkle tree hash and inclusion proofs, against the test vectors of the Certificate
 * Transparency reference implementation (the same corpus RFC 6962 logs are tested with: eight
 * leaves of growing length, the roots of the first n of them, and two audit paths in the 8-leaf tree).
 */

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(bytes);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 9162 Merkle tree', () => {
  it('hashes the empty tree to SHA-256 of the empty string', () => {
    expect(hex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(`0x${hex(merkleRoot([]))}`).toBe(sha256(new Uint8Array(0)));
  });

  it.each(ROOTS.map((root, i) => [i + 1, root] as const))('root of the first %i leaves', (n, root) => {
    expect(hex(merkleRoot(LEAVES.slice(0, n)))).toBe(root);
  });

  it('gives the reference audit paths in the 8-leaf tree', () => {
    expect(inclusionProof(LEAVES, 0).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(inclusionProof(LEAVES, 5).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('proves and verifies every leaf of every tree of 1 to 8 leaves, and rejects wrong ones', () => {
    for (let n = 1; n <= 8; n++) {
      const leaves = LEAVES.slice(0, n);
      const root = merkleRoot(leaves);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(leaves, m);
        expect(verifyInclusion(leaves[m]!, m, n, proof, root), `n=${n} m=${m}`).toBe(true);
        // Another leaf, another index, a changed path element: all fail. (A different tree size may
        // share the path's shape; the signed tree head is what binds the size.)
        expect(verifyInclusion(bytes('ff'), m, n, proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(leaves[m]!, (m + 1) % n, n, proof, root)).toBe(false);
        if (proof.length > 0) {
          const bent = proof.map((p) => p.slice());
          bent[0]![0]! ^= 1;
          expect(verifyInclusion(leaves[m]!, m, n, bent, root)).toBe(false);
        }
      }
    }
  });

  it('refuses a leaf index outside the tree', () => {
    expect(() => inclusionProof(LEAVES, 8)).toThrow(RangeError);
    expect(verifyInclusion(LEAVES[0]!, 3, 3, [], merkleRoot(LEAVES.slice(0, 3)))).toBe(false);
  });
});
