import { fromHex } from '../transparency/bytes';
import { CompactTree } from '../transparency/compact-tree';
import { EMPTY_ROOT, leafHash, nodeHash } from '../transparency/hash';
import { verifyInclusionProof } from '../transparency/proof';
import { MemoryTreeStore } from '../transparency/tree-store';

/**
 * The Merkle tree hash of RFC 9162 (Certificate Transparency v2, §2.1), over byte strings:
 *
 *   MTH({})       = SHA-256()                         (the empty string)
 *   MTH({d0})     = SHA-256(0x00 ‖ d0)                (leaf)
 *   MTH(D[n])     = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k = largest power of two < n
 *
 * with inclusion proofs (§2.1.3) and their verification (§2.1.3.2), over leaves held in memory. An
 * INTAKE_BATCH entry's input is the root over the batch's object ids (each leaf = the 32 bytes of an
 * object id, in journal order). The hashing and the proof verification are those of
 * shared/transparency (the notary's log, with consistency proofs and proofs from stored subtree
 * hashes), so both trees hash alike by construction. Synchronous, so a batch of thousands of leaves
 * needs no await per node.
 */

export { leafHash, nodeHash };

/** MTH(D[n]) of RFC 9162 §2.1.1, in one pass over the leaves (a compact frontier, O(n) hashes). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT.slice();
  const tree = CompactTree.empty();
  for (const leaf of leaves) tree.appendData(leaf);
  return tree.root();
}

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`, bottom up. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError('The leaf index is outside the tree.');
  const store = new MemoryTreeStore();
  for (const leaf of leaves) store.appendData(leaf);
  return store.inclusionProof(index);
}

/**
 * Verifies an inclusion proof as RFC 9162 §2.1.3.2 specifies: recomputes the root from the leaf,
 * its index, the tree size and the path, and compares.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  return verifyInclusionProof(leafHash(leaf), index, treeSize, proof, root);
}

/** The 32 bytes of a 64-hex-digit object id (the leaf data of an INTAKE_BATCH tree). */
export function objectIdLeaf(objectId: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(objectId)) throw new RangeError('An object id is 64 lowercase hex digits.');
  return fromHex(objectId);
}
