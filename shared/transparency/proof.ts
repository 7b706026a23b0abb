import { bytesEqual } from './bytes';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash';

/**
 * Inclusion and consistency proofs of RFC 9162 §2.1.3 and §2.1.4, over *perfect subtrees* rather
 * than over leaves held in memory, so the notary can serve a proof from stored hashes with
 * O(log n) reads and the node can check it with O(log n) hashes.
 *
 * A perfect subtree is addressed as (level, index): it covers the leaves
 * [index·2^level, (index+1)·2^level). Once all its leaves exist its hash never changes, so the
 * notary stores each one once when it completes (see CompactTree) and never rewrites a row. Every
 * proof element is either one such hash, or — on the tree's right edge — the hash of an incomplete
 * subtree, which is the right fold of a few perfect ones (at most log2 n of them). A ProofPlan says
 * which perfect hashes to read and how to fold them; assembleProof does the folding.
 *
 * Sizes and indexes are plain numbers up to Number.MAX_SAFE_INTEGER (2^53 − 1 leaves), so the bit
 * arithmetic is written with division, never with 32-bit operators.
 */

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export interface ProofPlan {
  /** The perfect subtrees whose hashes the proof needs, in order: what to read from storage. */
  readonly nodes: readonly NodeId[];
  /**
   * How many consecutive entries of `nodes` make up each proof element: 1 for a perfect subtree,
   * more for the incomplete subtree on the right edge (folded right to left).
   */
  readonly widths: readonly number[];
}

function assertSize(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`The ${what} must be a non-negative safe integer.`);
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The perfect subtrees that exactly cover the leaves [start, end), left to right, each the largest
 * aligned one that fits. For the ranges proofs use (start aligned to a power of two at least as
 * large as the range) the sizes decrease, and the range's MTH is their right fold.
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  assertSize(start, 'range start');
  assertSize(end, 'range end');
  if (start > end) throw new RangeError('The range ends before it starts.');
  const nodes: NodeId[] = [];
  while (start < end) {
    let level = 0;
    let width = 1;
    while (start % (width * 2) === 0 && start + width * 2 <= end) {
      width *= 2;
      level++;
    }
    nodes.push({ level, index: start / width });
    start += width;
  }
  return nodes;
}

/** The perfect subtrees of a tree of `size` leaves, largest first: its frontier (compact range [0, size)). */
export function frontierNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

function planOf(ranges: readonly (readonly [number, number])[]): ProofPlan {
  const nodes: NodeId[] = [];
  const widths: number[] = [];
  for (const [start, end] of ranges) {
    const covering = rangeNodes(start, end);
    nodes.push(...covering);
    widths.push(covering.length);
  }
  return { nodes, widths };
}

/** Which hashes make the root of a tree of `size` leaves (one element; empty for the empty tree). */
export function rootPlan(size: number): ProofPlan {
  assertSize(size, 'tree size');
  return size === 0 ? { nodes: [], widths: [] } : planOf([[0, size]]);
}

/**
 * PATH(index, D[size]) of RFC 9162 §2.1.3.1, bottom up, computed level by level: at each level the
 * sibling of the subtree holding the leaf, when it exists; a right sibling that reaches past the
 * tree's end is the incomplete subtree [start, size).
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  assertSize(index, 'leaf index');
  assertSize(size, 'tree size');
  if (index >= size) throw new RangeError('The leaf index is outside the tree.');
  const ranges: [number, number][] = [];
  for (let width = 1; width < size; width *= 2) {
    const position = Math.floor(index / width);
    const sibling = position % 2 === 0 ? position + 1 : position - 1;
    const start = sibling * width;
    if (start >= size) continue; // On the right edge with nothing beside it: this level is skipped.
    ranges.push([start, Math.min(start + width, size)]);
  }
  return planOf(ranges);
}

/**
 * PROOF(oldSize, D[newSize]) of RFC 9162 §2.1.4.1 (SUBPROOF with b = true at the top). Empty when
 * oldSize is 0 or equals newSize: those trees are consistent by definition, nothing to prove.
 */
export function consistencyProofPlan(oldSize: number, newSize: number): ProofPlan {
  assertSize(oldSize, 'old tree size');
  assertSize(newSize, 'new tree size');
  if (oldSize > newSize) throw new RangeError('The old tree is larger than the new one.');
  const ranges: [number, number][] = [];
  if (oldSize > 0 && oldSize < newSize) subproof(oldSize, 0, newSize, true, ranges);
  return planOf(ranges);
}

function subproof(m: number, start: number, n: number, whole: boolean, out: [number, number][]): void {
  if (m === n) {
    if (!whole) out.push([start, start + n]);
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(m, start, k, whole, out);
    out.push([start + k, start + n]);
  } else {
    subproof(m - k, start + k, n - k, false, out);
    out.push([start, start + k]);
  }
}

/** Folds the hashes read for `plan.nodes` (same order) into the proof's elements. */
export function assembleProof(plan: ProofPlan, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length !== plan.nodes.length) throw new RangeError(`The plan needs ${plan.nodes.length} hashes, ${hashes.length} were given.`);
  const proof: Uint8Array[] = [];
  let offset = 0;
  for (const width of plan.widths) {
    let acc = hashes[offset + width - 1]!;
    for (let i = offset + width - 2; i >= offset; i--) acc = nodeHash(hashes[i]!, acc);
    proof.push(acc);
    offset += width;
  }
  return proof;
}

/** The root of a tree from the hashes read for rootPlan(size). */
export function assembleRoot(plan: ProofPlan, hashes: readonly Uint8Array[]): Uint8Array {
  return plan.nodes.length === 0 ? EMPTY_ROOT.slice() : assembleProof(plan, hashes)[0]!;
}

function wellFormed(hashes: readonly Uint8Array[]): boolean {
  for (const hash of hashes) if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) return false;
  return true;
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–5), or null if the proof cannot
 * belong to a tree of that size (wrong length, index outside the tree, malformed element).
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (leafHash.length !== HASH_SIZE || !wellFormed(proof)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = fn / 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.3.2: does `proof` place the leaf with this hash at `index` in the tree with `root`? */
export function verifyInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  return computed !== null && bytesEqual(computed, root);
}

/**
 * RFC 9162 §2.1.4.2: is the tree (newSize, newRoot) an append-only extension of (oldSize, oldRoot)?
 *
 * Edge cases, stricter than the RFC's algorithm (which assumes 0 < old < new): equal sizes need an
 * empty proof and equal roots; an old size of 0 needs an empty proof and the old root to be the
 * empty tree's (a size-0 checkpoint with any other root is itself false).
 */
export function verifyConsistencyProof(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || !wellFormed(proof)) return false;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, EMPTY_ROOT);
  // 1. An empty path proves nothing.
  if (proof.length === 0) return false;
  // 2. If the old tree is a perfect subtree of the new one, its root is the first element.
  let path = proof;
  if (isPowerOfTwo(oldSize)) path = [oldRoot, ...proof];
  // 3.–4.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = fn / 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}
