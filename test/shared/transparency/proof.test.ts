import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/transparency/bytes';
import { CompactTree } from '../../../shared/transparency/compact-tree';
import { EMPTY_ROOT, leafHash } from '../../../shared/transparency/hash';
import {
  consistencyProofPlan,
  frontierNodes,
  inclusionProofPlan,
  rangeNodes,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../../../shared/transparency/proof';
import { MemoryTreeStore, readConsistencyProof, readInclusionProof, readRoot } from '../../../shared/transparency/tree-store';
import * as naive from './naive-merkle';

/**
 * RFC 9162 §2.1 test vectors as published with the Go reference implementation of Certificate
 * Transparency logs (github.com/transparency-dev/merkle, formerly in Trillian and
 * certificate-transparency-go): testonly/constants.go (leaf inputs, the hash of every perfect
 * subtree of the 8-leaf tree, the roots of the trees of 0..8 leaves, their compact frontiers) and
 * proof/verify_test.go (inclusion proofs with 1-based leaf numbers, consistency proofs).
 */
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
/** Roots by tree size, 0..8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** The compact frontier of each tree size 0..8, as [level, index] into NODE_HASHES. */
const COMPACT_TREES: [number, number][][] = [
  [],
  [[0, 0]],
  [[1, 0]],
  [[1, 0], [0, 2]],
  [[2, 0]],
  [[2, 0], [0, 4]],
  [[2, 0], [1, 2]],
  [[2, 0], [1, 2], [0, 6]],
  [[3, 0]],
];
/** [1-based leaf, tree size, proof]. */
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [2, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
/** [old size, new size, proof]. */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

function storeOf(leaves: readonly Uint8Array[]): MemoryTreeStore {
  const store = new MemoryTreeStore();
  for (const leaf of leaves) store.appendData(leaf);
  return store;
}

const referenceStore = storeOf(LEAVES);

describe('RFC 9162 test vectors', () => {
  it('hashes the empty tree to SHA-256 of the empty string', () => {
    expect(toHex(EMPTY_ROOT)).toBe(ROOTS[0]);
    expect(toHex(CompactTree.empty().root())).toBe(ROOTS[0]);
  });

  it('stores the hash of every perfect subtree of the 8-leaf tree', () => {
    NODE_HASHES.forEach((row, level) => row.forEach((hash, index) => expect(toHex(referenceStore.hashAt(level, index)), `(${level}, ${index})`).toBe(hash)));
  });

  it('grows through every root and compact frontier of sizes 0..8', () => {
    const tree = CompactTree.empty();
    for (let size = 0; size <= 8; size++) {
      if (size > 0) tree.appendData(LEAVES[size - 1]!);
      expect(toHex(tree.root()), `size ${size}`).toBe(ROOTS[size]);
      expect(tree.frontier().map(toHex)).toEqual(COMPACT_TREES[size]!.map(([level, index]) => NODE_HASHES[level]![index]));
      expect(frontierNodes(size).map((n) => [n.level, n.index])).toEqual(COMPACT_TREES[size]);
      expect(toHex(referenceStore.rootAt(size))).toBe(ROOTS[size]);
    }
  });

  it.each(INCLUSION)('inclusion proof of leaf %i in a tree of %i', (leaf, size, expected) => {
    const proof = referenceStore.inclusionProof(leaf - 1, size);
    expect(proof.map(toHex)).toEqual(expected);
    expect(verifyInclusionProof(leafHash(LEAVES[leaf - 1]!), leaf - 1, size, proof, fromHex(ROOTS[size]!))).toBe(true);
  });

  it.each(CONSISTENCY)('consistency proof from %i to %i', (oldSize, newSize, expected) => {
    const proof = referenceStore.consistencyProof(oldSize, newSize);
    expect(proof.map(toHex)).toEqual(expected);
    expect(verifyConsistencyProof(oldSize, newSize, proof, fromHex(ROOTS[oldSize]!), fromHex(ROOTS[newSize]!))).toBe(true);
  });
});

/** Every way a valid inclusion proof is bent in the reference suite, and a few more. */
function tamperedInclusions(hash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array) {
  const other = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');
  const cases: [string, Uint8Array, number, number, readonly Uint8Array[], Uint8Array][] = [
    ['index - 1', hash, index - 1, size, proof, root],
    ['index + 1', hash, index + 1, size, proof, root],
    ['index ^ 2', hash, index ^ 2, size, proof, root],
    ['size * 2', hash, index, size * 2, proof, root],
    ['size / 2', hash, index, Math.floor(size / 2), proof, root],
    ['wrong leaf', other, index, size, proof, root],
    ['empty root', hash, index, size, proof, EMPTY_ROOT],
    ['other root', hash, index, size, proof, other],
    ['trailing empty', hash, index, size, [...proof, new Uint8Array(0)], root],
    ['trailing root', hash, index, size, [...proof, root], root],
    ['preceding empty', hash, index, size, [new Uint8Array(0), ...proof], root],
    ['preceding root', hash, index, size, [root, ...proof], root],
  ];
  proof.forEach((_, i) => {
    const bent = proof.map((p) => p.slice());
    bent[i]![0]! ^= 8;
    cases.push([`bit flipped in [${i}]`, hash, index, size, bent, root]);
  });
  if (proof.length > 0) cases.push(['last removed', hash, index, size, proof.slice(0, -1), root]);
  if (proof.length > 1) cases.push(['inserted', hash, index, size, [proof[0]!, other, ...proof.slice(1)], root]);
  if (proof.length > 1) cases.push(['swapped', hash, index, size, [proof[1]!, proof[0]!, ...proof.slice(2)], root]);
  return cases;
}

function tamperedConsistencies(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array) {
  const cases: [string, number, number, readonly Uint8Array[], Uint8Array, Uint8Array][] = [
    ['old - 1', oldSize - 1, newSize, proof, oldRoot, newRoot],
    ['old + 1', oldSize + 1, newSize, proof, oldRoot, newRoot],
    ['old ^ 2', oldSize ^ 2, newSize, proof, oldRoot, newRoot],
    ['new * 2', oldSize, newSize * 2, proof, oldRoot, newRoot],
    ['new / 2', oldSize, Math.floor(newSize / 2), proof, oldRoot, newRoot],
    ['wrong old root', oldSize, newSize, proof, EMPTY_ROOT, newRoot],
    ['wrong new root', oldSize, newSize, proof, oldRoot, EMPTY_ROOT],
    ['swapped roots', oldSize, newSize, proof, newRoot, oldRoot],
    ['empty proof', oldSize, newSize, [], oldRoot, newRoot],
    ['trailing empty', oldSize, newSize, [...proof, new Uint8Array(0)], oldRoot, newRoot],
    ['trailing old root', oldSize, newSize, [...proof, oldRoot], oldRoot, newRoot],
    ['trailing new root', oldSize, newSize, [...proof, newRoot], oldRoot, newRoot],
    ['preceding old root', oldSize, newSize, [oldRoot, ...proof], oldRoot, newRoot],
    ['preceding new root', oldSize, newSize, [newRoot, ...proof], oldRoot, newRoot],
    ['preceding proof[0]', oldSize, newSize, [proof[0]!, ...proof], oldRoot, newRoot],
    ['last removed', oldSize, newSize, proof.slice(0, -1), oldRoot, newRoot],
  ];
  proof.forEach((_, i) => {
    const bent = proof.map((p) => p.slice());
    bent[i]![0]! ^= 16;
    cases.push([`bit flipped in [${i}]`, oldSize, newSize, bent, oldRoot, newRoot]);
  });
  return cases;
}

describe('every tree of up to 64 leaves, against a naive transcription of the RFC', () => {
  const MAX = 64;
  const leaves = Array.from({ length: MAX }, (_, i) => new Uint8Array([i, i * 7, 255 - i]).subarray(0, i % 3 + 1));
  const store = storeOf(leaves);
  const roots = Array.from({ length: MAX + 1 }, (_, n) => naive.mth(leaves.slice(0, n)));

  it('has the same root at every size', () => {
    const tree = CompactTree.empty();
    for (let n = 0; n <= MAX; n++) {
      if (n > 0) tree.appendData(leaves[n - 1]!);
      expect(tree.root(), `size ${n}`).toEqual(roots[n]);
      expect(store.rootAt(n)).toEqual(roots[n]);
      expect(CompactTree.fromFrontier(n, tree.frontier()).root()).toEqual(roots[n]);
    }
  });

  it('builds and verifies every inclusion proof, and refuses every tampered one', () => {
    for (let n = 1; n <= MAX; n++) {
      for (let m = 0; m < n; m++) {
        const proof = store.inclusionProof(m, n);
        expect(proof, `leaf ${m} of ${n}`).toEqual(naive.path(m, leaves.slice(0, n)));
        expect(proof.length).toBe(inclusionProofPlan(m, n).widths.length);
        const hash = leafHash(leaves[m]!);
        expect(verifyInclusionProof(hash, m, n, proof, roots[n]!), `leaf ${m} of ${n}`).toBe(true);
        for (const [what, h, i, s, p, r] of tamperedInclusions(hash, m, n, proof, roots[n]!)) {
          expect(verifyInclusionProof(h, i, s, p, r), `leaf ${m} of ${n}: ${what}`).toBe(false);
        }
      }
    }
  });

  it('builds and verifies every consistency proof, and refuses every tampered one', () => {
    for (let n = 0; n <= MAX; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = store.consistencyProof(m, n);
        expect(proof, `${m} → ${n}`).toEqual(naive.proof(m, leaves.slice(0, n)));
        expect(verifyConsistencyProof(m, n, proof, roots[m]!, roots[n]!), `${m} → ${n}`).toBe(true);
        if (m === 0 || m === n) continue; // Nothing to bend: covered by the edge-case test below.
        for (const [what, a, b, p, ra, rb] of tamperedConsistencies(m, n, proof, roots[m]!, roots[n]!)) {
          expect(verifyConsistencyProof(a, b, p, ra, rb), `${m} → ${n}: ${what}`).toBe(false);
        }
      }
    }
  });

  it('refuses a consistency proof to a tree with leaf 20 rewritten, from every old size that had it', () => {
    const forked = storeOf(leaves.map((leaf, i) => (i === 20 ? new Uint8Array([9, 9, 9]) : leaf)));
    for (let n = 21; n <= MAX; n += 3) {
      for (let m = 1; m < n; m += 2) {
        const proof = forked.consistencyProof(m, n);
        // An old tree without leaf 20 is still a prefix of the rewritten one; one with it is not.
        expect(verifyConsistencyProof(m, n, proof, roots[m]!, forked.rootAt(n)), `${m} → ${n}`).toBe(m <= 20);
      }
    }
  });
});

describe('edge cases', () => {
  const some = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');

  it('accepts a one-leaf tree only with its own leaf and an empty proof', () => {
    const hash = leafHash(new TextEncoder().encode('data'));
    expect(verifyInclusionProof(hash, 0, 1, [], hash)).toBe(true);
    expect(verifyInclusionProof(hash, 0, 1, [], new Uint8Array(0))).toBe(false);
    expect(verifyInclusionProof(new Uint8Array(0), 0, 1, [], new Uint8Array(0))).toBe(false);
    for (const [index, size] of [[0, 0], [1, 0], [2, 1], [-1, 4], [0.5, 4], [0, Number.MAX_SAFE_INTEGER + 1]] as const) {
      expect(rootFromInclusionProof(some, index, size, [])).toBeNull();
    }
  });

  it('treats equal and empty old trees as the RFC does, and the empty root strictly', () => {
    expect(verifyConsistencyProof(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistencyProof(0, 5, [], EMPTY_ROOT, some)).toBe(true);
    expect(verifyConsistencyProof(0, 5, [], some, some)).toBe(false); // A size-0 tree has one root.
    expect(verifyConsistencyProof(0, 5, [some], EMPTY_ROOT, some)).toBe(false);
    expect(verifyConsistencyProof(3, 3, [], some, some)).toBe(true);
    expect(verifyConsistencyProof(3, 3, [], some, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistencyProof(3, 3, [some], some, some)).toBe(false);
    expect(verifyConsistencyProof(4, 3, [], some, some)).toBe(false);
    expect(verifyConsistencyProof(1, 2, [], some, some)).toBe(false);
  });

  it('plans nothing outside the tree', () => {
    expect(() => inclusionProofPlan(5, 5)).toThrow(RangeError);
    expect(() => consistencyProofPlan(6, 5)).toThrow(RangeError);
    expect(() => rangeNodes(4, 3)).toThrow(RangeError);
    expect(() => referenceStore.inclusionProof(0, 9)).toThrow(RangeError);
    expect(() => CompactTree.fromFrontier(3, [some])).toThrow(RangeError);
  });

  it('works at sizes near 2^53 without 32-bit arithmetic', () => {
    const size = Number.MAX_SAFE_INTEGER;
    const plan = inclusionProofPlan(size - 1, size);
    expect(plan.widths).toHaveLength(52);
    expect(frontierNodes(size)).toHaveLength(53);
    expect(frontierNodes(2 ** 40 + 3).map((n) => [n.level, n.index])).toEqual([[40, 0], [1, 2 ** 39], [0, 2 ** 40 + 2]]);
    // The perfect left sibling of the last leaf's ancestors is each level's other child.
    expect(inclusionProofPlan(2 ** 33, 2 ** 34).nodes.at(-1)).toEqual({ level: 33, index: 0 });
  });
});

describe('properties', () => {
  it('every inclusion and consistency proof of a random log verifies, with O(log n) elements', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), async (n, a, b) => {
        const store = new MemoryTreeStore();
        for (let i = 0; i < n; i++) store.appendData(new Uint8Array([i & 255, i >> 8]));
        const index = a % n;
        const oldSize = b % (n + 1);
        const root = store.root();
        const inclusion = await readInclusionProof(store, index, n);
        expect(inclusion.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusionProof(leafHash(new Uint8Array([index & 255, index >> 8])), index, n, inclusion, root)).toBe(true);
        const consistency = await readConsistencyProof(store, oldSize, n);
        expect(consistency.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
        expect(verifyConsistencyProof(oldSize, n, consistency, await readRoot(store, oldSize), root)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('random proofs, sizes and roots are refused', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.array(hash, { maxLength: 12 }), hash, hash, (m, n, proof, r1, r2) => {
        expect(verifyConsistencyProof(Math.min(m, n), Math.max(m, n), proof, r1, r2)).toBe(false);
        expect(verifyInclusionProof(r1, Math.min(m, n) - 1, Math.max(m, n), proof, r2)).toBe(false);
      }),
    );
  });
});
