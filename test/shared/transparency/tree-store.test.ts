import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactTree } from '../../../shared/transparency/compact-tree';
import { leafHash } from '../../../shared/transparency/hash';
import { consistencyProofPlan, inclusionProofPlan, type NodeId } from '../../../shared/transparency/proof';
import { MemoryTreeStore, readConsistencyProof, readInclusionProof, readRoot, type TreeHashReader } from '../../../shared/transparency/tree-store';

/**
 * A stand-in for the notary's table of perfect-subtree hashes: rows written from
 * CompactTree.append's onNode, read back asynchronously in batches, as PostgreSQL would.
 */
class RowStore implements TreeHashReader {
  readonly rows = new Map<string, Uint8Array>();
  batches = 0;
  rowsRead = 0;

  async readHashes(nodes: readonly NodeId[]): Promise<Uint8Array[]> {
    this.batches++;
    this.rowsRead += nodes.length;
    await new Promise((resolve) => setTimeout(resolve, 0));
    return nodes.map(({ level, index }) => {
      const row = this.rows.get(`${level}/${index}`);
      if (row === undefined) throw new Error(`missing row (${level}, ${index})`);
      return row;
    });
  }
}

function build(n: number): { rows: RowStore; memory: MemoryTreeStore; tree: CompactTree } {
  const rows = new RowStore();
  const memory = new MemoryTreeStore();
  const tree = CompactTree.empty();
  for (let i = 0; i < n; i++) {
    const hash = leafHash(new Uint8Array([i & 255, (i >> 8) & 255, i >> 16]));
    tree.append(hash, (level, index, h) => rows.rows.set(`${level}/${index}`, h));
    memory.append(hash);
  }
  return { rows, memory, tree };
}

describe('proofs from stored subtree hashes', () => {
  const n = 5000;
  const { rows, memory, tree } = build(n);

  it('writes about two rows per leaf and serves the same proofs as the in-memory tree', async () => {
    expect(rows.rows.size).toBeLessThan(2 * n);
    expect(await readRoot(rows, n)).toEqual(tree.root());
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: n }), fc.nat(), fc.nat(), async (size, a, b) => {
        const index = a % size;
        const old = b % (size + 1);
        rows.batches = 0;
        rows.rowsRead = 0;
        expect(await readInclusionProof(rows, index, size)).toEqual(memory.inclusionProof(index, size));
        expect(await readConsistencyProof(rows, old, size)).toEqual(memory.consistencyProof(old, size));
        expect(await readRoot(rows, size)).toEqual(memory.rootAt(size));
        // One batched read per proof, O(log n) rows each.
        expect(rows.batches).toBeLessThanOrEqual(3);
        expect(rows.rowsRead).toBeLessThanOrEqual(3 * 2 * Math.ceil(Math.log2(n)));
      }),
      { numRuns: 100 },
    );
  });

  it('needs no read for an empty plan', async () => {
    rows.batches = 0;
    expect(await readConsistencyProof(rows, 0, n)).toEqual([]);
    expect(await readConsistencyProof(rows, n, n)).toEqual([]);
    expect(await readInclusionProof(rows, 0, 1)).toEqual([]);
    expect(rows.batches).toBe(0);
  });

  it('plans at most 2·log2(n) hashes for any proof', () => {
    for (const size of [2, 3, 7, 1000, 4096, 4097, 2 ** 40 - 1, 2 ** 40 + 12345]) {
      for (const at of [0, 1, Math.floor(size / 3), size - 1]) {
        expect(inclusionProofPlan(at, size).nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)));
        expect(consistencyProofPlan(Math.max(at, 1), size).nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)));
      }
    }
  });

  it('fails loudly when a store lacks a row or answers with the wrong number of hashes', async () => {
    const gap = new RowStore();
    for (const [key, value] of rows.rows) if (key !== '0/17') gap.rows.set(key, value);
    await expect(readInclusionProof(gap, 16, n)).rejects.toThrow('missing row (0, 17)');
    const short: TreeHashReader = { readHashes: (nodes) => nodes.slice(1).map(() => new Uint8Array(32)) };
    await expect(readInclusionProof(short, 16, n)).rejects.toThrow(/returned \d+ hashes for \d+ nodes/);
    expect(() => memory.hashAt(20, 0)).toThrow(RangeError);
  });
});
