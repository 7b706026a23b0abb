import { z } from 'zod';
import { fromBase64, toBase64 } from './bytes';
import { HASH_SIZE } from './hash';

/**
 * How hashes and proofs travel as JSON between the notary and nodes: each hash as the canonical
 * base64 of its 32 bytes (the spelling checkpoints use), a proof as an array of them. One schema
 * on both sides, so a proof the server writes is exactly what a node accepts, and a request or
 * answer with anything else is refused at the boundary.
 */

/** No proof of a tree of at most 2^53 leaves has more elements (inclusion ≤ 53, consistency ≤ 54). */
export const MAX_PROOF_LENGTH = 64;

export const HashSchema = z
  .string()
  .length(44)
  .transform((text, ctx) => {
    const bytes = fromBase64(text);
    if (bytes === null || bytes.length !== HASH_SIZE) {
      ctx.addIssue({ code: 'custom', message: 'A hash is the canonical base64 of 32 bytes.' });
      return z.NEVER;
    }
    return bytes;
  });

export const ProofSchema = z.array(HashSchema).max(MAX_PROOF_LENGTH);

export function encodeHash(hash: Uint8Array): string {
  if (hash.length !== HASH_SIZE) throw new RangeError('A hash is 32 bytes.');
  return toBase64(hash);
}

export function encodeProof(proof: readonly Uint8Array[]): string[] {
  return proof.map(encodeHash);
}
