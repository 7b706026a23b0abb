import { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './hash';
import { frontierNodes } from './proof';

/**
 * An append-only Merkle tree reduced to its frontier: the hashes of the perfect subtrees that make
 * up [0, size), largest first (one per set bit of size, so at most 53). This is all the notary
 * needs in memory to extend the log and sign a new root:
 *
 * - append is O(1) amortized (on average one merge per leaf, at most log2 n), and reports every
 *   perfect subtree it completes, so the caller can store each (level, index, hash) once — the
 *   rows a TreeHashReader serves proofs from;
 * - root() right-folds the frontier, at most log2 n hashes, cached until the next append;
 * - fromFrontier resumes after a restart from the frontierNodes(size) rows, without replaying the log.
 */

export type OnNode = (level: number, index: number, hash: Uint8Array) => void;

export class CompactTree {
  #size: number;
  /** Frontier hashes, largest subtree first (the levels follow from the size's bits). */
  readonly #hashes: Uint8Array[];
  #root: Uint8Array | null = null;

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): CompactTree {
    return new CompactTree(0, []);
  }

  /** Resumes a tree of `size` leaves from the hashes of frontierNodes(size), in that order. */
  static fromFrontier(size: number, hashes: readonly Uint8Array[]): CompactTree {
    const nodes = frontierNodes(size);
    if (hashes.length !== nodes.length) throw new RangeError(`A tree of ${size} leaves has ${nodes.length} frontier hashes, ${hashes.length} were given.`);
    for (const hash of hashes) if (hash.length !== HASH_SIZE) throw new RangeError('A frontier hash is not 32 bytes.');
    return new CompactTree(size, hashes.slice());
  }

  get size(): number {
    return this.#size;
  }

  /** The frontier's hashes, largest subtree first (what fromFrontier takes back). */
  frontier(): Uint8Array[] {
    return this.#hashes.slice();
  }

  /** Appends a leaf by its leaf hash; `onNode` hears of the leaf itself and of every subtree it completes. */
  append(hash: Uint8Array, onNode?: OnNode): void {
    if (hash.length !== HASH_SIZE) throw new RangeError('A leaf hash is 32 bytes.');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('The tree is full.');
    const index = this.#size;
    onNode?.(0, index, hash);
    let merged = hash;
    let level = 0;
    // Each trailing 1 bit of the old size is a same-level subtree on the frontier to merge with.
    let position = index;
    while (position % 2 === 1) {
      const left = this.#hashes.pop()!;
      merged = nodeHash(left, merged);
      level++;
      position = (position - 1) / 2;
      onNode?.(level, position, merged);
    }
    this.#hashes.push(merged);
    this.#size = index + 1;
    this.#root = null;
  }

  /** Appends a leaf by its data (hashed as SHA-256(0x00 ‖ data)). */
  appendData(data: Uint8Array, onNode?: OnNode): void {
    this.append(leafHash(data), onNode);
  }

  /** MTH of the whole tree. */
  root(): Uint8Array {
    if (this.#root !== null) return this.#root;
    const hashes = this.#hashes;
    if (hashes.length === 0) return EMPTY_ROOT.slice();
    let acc = hashes[hashes.length - 1]!;
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
    this.#root = acc;
    return acc;
  }

  clone(): CompactTree {
    const copy = new CompactTree(this.#size, this.#hashes.slice());
    copy.#root = this.#root;
    return copy;
  }
}
