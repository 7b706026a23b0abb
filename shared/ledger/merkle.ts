import { sha256 } from 'ethers';

/**
 * The Merkle tree hash of RFC 9162 (Certificate Transparency v2, §2.1), over byte strings:
 *
 *   MTH({})       = SHA-256()                         (the empty string)
 *   MTH({d0})     = SHA-256(0x00 ‖ d0)                (leaf)
 *   MTH(D[n])     = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k = largest power of two < n
 *
 * with inclusion proofs (§2.1.3) and their verification (§2.1.3.2). An INTAKE_BATCH entry's input is
 * the root over the batch's object ids (each leaf = the 32 bytes of an object id, in journal order);
 * the notary issue uses the same code for its transparency log. Synchronous (ethers' SHA-256, from
 * @noble/hashes), so a batch of thousands of leaves needs no await per node.
 */

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

function hashBytes(data: Uint8Array): Uint8Array {
  return hexToBytes(sha256(data));
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16);
  return out;
}

export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(data.length + 1);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return hashBytes(input);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hashBytes(input);
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function rootOfLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 1) return hashes[0]!;
  const k = splitPoint(hashes.length);
  return nodeHash(rootOfLeafHashes(hashes.slice(0, k)), rootOfLeafHashes(hashes.slice(k)));
}

/** MTH(D[n]) of RFC 9162 §2.1.1. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return hashBytes(new Uint8Array(0));
  return rootOfLeafHashes(leaves.map(leafHash));
}

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`, bottom up. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError('The leaf index is outside the tree.');
  const path = (hashes: readonly Uint8Array[], m: number): Uint8Array[] => {
    if (hashes.length === 1) return [];
    const k = splitPoint(hashes.length);
    return m < k
      ? [...path(hashes.slice(0, k), m), rootOfLeafHashes(hashes.slice(k))]
      : [...path(hashes.slice(k), m - k), rootOfLeafHashes(hashes.slice(0, k))];
  };
  return path(leaves.map(leafHash), index);
}

/**
 * Verifies an inclusion proof as RFC 9162 §2.1.3.2 specifies: recomputes the root from the leaf,
 * its index, the tree size and the path, and compares.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.length === root.length && r.every((byte, i) => byte === root[i]);
}

/** The 32 bytes of a 64-hex-digit object id (the leaf data of an INTAKE_BATCH tree). */
export function objectIdLeaf(objectId: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(objectId)) throw new RangeError('An object id is 64 lowercase hex digits.');
  return hexToBytes(`0x${objectId}`);
}
