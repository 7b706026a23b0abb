import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactTree } from '../../../shared/transparency/compact-tree';
import { EMPTY_ROOT, leafHash } from '../../../shared/transparency/hash';
import * as naive from './naive-merkle';

/** The notary's in-memory frontier. Roots at every size are checked against the vectors in proof.test.ts. */
describe('CompactTree', () => {
  it('starts empty and refuses what is not a 32-byte leaf hash', () => {
    const tree = CompactTree.empty();
    expect(tree.size).toBe(0);
    expect(tree.root()).toEqual(EMPTY_ROOT);
    expect(tree.frontier()).toEqual([]);
    expect(() => tree.append(new Uint8Array(31))).toThrow(RangeError);
    expect(() => CompactTree.fromFrontier(2, [new Uint8Array(31)])).toThrow(RangeError);
  });

  it('caches the root until the next append, and clones independently', () => {
    const tree = CompactTree.empty();
    tree.appendData(new Uint8Array([1]));
    tree.appendData(new Uint8Array([2]));
    tree.appendData(new Uint8Array([3]));
    const root = tree.root();
    expect(tree.root()).toBe(root);
    const copy = tree.clone();
    tree.append(leafHash(new Uint8Array([4])));
    expect(copy.size).toBe(3);
    expect(copy.root()).toEqual(root);
    expect(tree.root()).toEqual(naive.mth([1, 2, 3, 4].map((b) => new Uint8Array([b]))));
  });

  it('a frontier resumes exactly where the tree stopped', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 200 }), fc.nat(), (data, cut) => {
        const at = data.length === 0 ? 0 : cut % (data.length + 1);
        const whole = CompactTree.empty();
        for (const d of data) whole.appendData(d);
        const first = CompactTree.empty();
        for (const d of data.slice(0, at)) first.appendData(d);
        const resumed = CompactTree.fromFrontier(first.size, first.frontier());
        for (const d of data.slice(at)) resumed.appendData(d);
        expect(resumed.root()).toEqual(whole.root());
        expect(resumed.root()).toEqual(naive.mth(data));
      }),
      { numRuns: 80 },
    );
  });

  it('append reports every perfect subtree once, two per leaf on average', () => {
    const seen = new Set<string>();
    const tree = CompactTree.empty();
    const n = 1000;
    for (let i = 0; i < n; i++) {
      tree.appendData(new Uint8Array([i & 255, i >> 8]), (level, index) => {
        const key = `${level}/${index}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      });
    }
    // A tree of n leaves has exactly 2n − popcount(n) perfect subtrees.
    expect(seen.size).toBe(2 * n - n.toString(2).split('').filter((bit) => bit === '1').length);
  });
});
