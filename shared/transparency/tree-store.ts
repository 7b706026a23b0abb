import { CompactTree } from './compact-tree';
import { leafHash } from './hash';
import { assembleProof, assembleRoot, consistencyProofPlan, inclusionProofPlan, rootPlan, type NodeId, type ProofPlan } from './proof';

/**
 * Where proofs come from: a store of perfect-subtree hashes, keyed by (level, index). The notary
 * backs it with a table written once per completed subtree (CompactTree.append's onNode: about two
 * rows per leaf, never updated) and answers each proof with one batched read of at most ~2·log2 n
 * rows — hence readHashes takes the whole list rather than one node at a time. A perfect subtree's
 * hash is the same in every later tree, so the same rows serve proofs for any historical size.
 */
export interface TreeHashReader {
  /**
   * The hashes of these perfect subtrees, in the same order. Every node asked for lies inside the
   * tree being proven; a store that lacks one must throw rather than return a wrong hash.
   */
  readHashes(nodes: readonly NodeId[]): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

async function read(reader: TreeHashReader, plan: ProofPlan): Promise<readonly Uint8Array[]> {
  if (plan.nodes.length === 0) return [];
  const hashes = await reader.readHashes(plan.nodes);
  if (hashes.length !== plan.nodes.length) throw new Error(`The tree store returned ${hashes.length} hashes for ${plan.nodes.length} nodes.`);
  return hashes;
}

/** PATH(index, D[size]) from stored hashes. */
export async function readInclusionProof(reader: TreeHashReader, index: number, size: number): Promise<Uint8Array[]> {
  const plan = inclusionProofPlan(index, size);
  return assembleProof(plan, await read(reader, plan));
}

/** PROOF(oldSize, D[newSize]) from stored hashes. */
export async function readConsistencyProof(reader: TreeHashReader, oldSize: number, newSize: number): Promise<Uint8Array[]> {
  const plan = consistencyProofPlan(oldSize, newSize);
  return assembleProof(plan, await read(reader, plan));
}

/** MTH(D[size]) from stored hashes: the root of any historical size, in at most log2 n reads. */
export async function readRoot(reader: TreeHashReader, size: number): Promise<Uint8Array> {
  const plan = rootPlan(size);
  return assembleRoot(plan, await read(reader, plan));
}

/**
 * The whole tree in memory: every perfect subtree hash, by level. For tests, for the node's local
 * checks, and as the reference a database-backed store must agree with. Synchronous proofs too.
 */
export class MemoryTreeStore implements TreeHashReader {
  readonly #levels: Uint8Array[][] = [];
  readonly #tree = CompactTree.empty();
  readonly #store = (level: number, index: number, hash: Uint8Array): void => {
    let row = this.#levels[level];
    if (row === undefined) row = this.#levels[level] = [];
    row[index] = hash;
  };

  get size(): number {
    return this.#tree.size;
  }

  append(hash: Uint8Array): void {
    this.#tree.append(hash, this.#store);
  }

  appendData(data: Uint8Array): void {
    this.append(leafHash(data));
  }

  root(): Uint8Array {
    return this.#tree.root();
  }

  hashAt(level: number, index: number): Uint8Array {
    const hash = this.#levels[level]?.[index];
    if (hash === undefined) throw new RangeError(`No perfect subtree (${level}, ${index}) in a tree of ${this.size} leaves.`);
    return hash;
  }

  readHashes(nodes: readonly NodeId[]): Uint8Array[] {
    return nodes.map((node) => this.hashAt(node.level, node.index));
  }

  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.#within(size);
    const plan = inclusionProofPlan(index, size);
    return assembleProof(plan, this.readHashes(plan.nodes));
  }

  consistencyProof(oldSize: number, newSize = this.size): Uint8Array[] {
    this.#within(newSize);
    const plan = consistencyProofPlan(oldSize, newSize);
    return assembleProof(plan, this.readHashes(plan.nodes));
  }

  rootAt(size: number): Uint8Array {
    this.#within(size);
    const plan = rootPlan(size);
    return assembleRoot(plan, this.readHashes(plan.nodes));
  }

  #within(size: number): void {
    if (size > this.size) throw new RangeError(`The tree has ${this.size} leaves, not ${size}.`);
  }
}
