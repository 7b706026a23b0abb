import { sha256 as ethersSha256 } from 'ethers';
import { decodeDigestHex } from './bytes';

/**
 * The hashes of RFC 9162 §2.1.1 (the same as RFC 6962 §2.1): SHA-256 with domain separation,
 *
 *   leaf hash = SHA-256(0x00 ‖ leaf data)        node hash = SHA-256(0x01 ‖ left ‖ right)
 *
 * Synchronous, on ethers' SHA-256 (@noble/hashes underneath), so a proof or a 100k-leaf replay needs
 * no await per node. Allocation is kept to the 32-byte digest: inputs are assembled in a reused
 * scratch buffer (safe, the functions never yield), and ethers' hex digest is decoded with a table.
 */

export const HASH_SIZE = 32;

/** MTH({}) = SHA-256 of the empty string: the root of the empty tree. Shared: never mutate it. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_SIZE);
  decodeDigestHex(ethersSha256(data), out);
  return out;
}

const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;
/** Leaves up to this size are hashed in a reused buffer; a larger one gets its own, not kept. */
const LEAF_SCRATCH_MAX = 64 * 1024;
let leafInput = new Uint8Array(1024);

export function leafHash(data: Uint8Array): Uint8Array {
  const length = data.length + 1;
  let input: Uint8Array;
  if (length <= leafInput.length) input = leafInput;
  else if (length <= LEAF_SCRATCH_MAX) input = leafInput = new Uint8Array(LEAF_SCRATCH_MAX);
  else input = new Uint8Array(length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input.subarray(0, length));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 1 + HASH_SIZE);
    return sha256(nodeInput);
  }
  // Only reachable with malformed input (a proof element of the wrong length); hashed as given so
  // the result is simply a root that matches nothing.
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}
