import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProofPlan, inclusionProofPlan } from '../../../shared/transparency/proof';
import { HashSchema, MAX_PROOF_LENGTH, ProofSchema, encodeHash, encodeProof } from '../../../shared/transparency/wire';

describe('proofs as JSON', () => {
  it('round-trips any proof', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: MAX_PROOF_LENGTH }), (proof) => {
        expect(ProofSchema.parse(JSON.parse(JSON.stringify(encodeProof(proof))))).toEqual(proof);
      }),
    );
  });

  it('refuses hashes of another length or spelling, and overlong proofs', () => {
    const good = encodeHash(new Uint8Array(32).fill(255));
    expect(HashSchema.safeParse(good).success).toBe(true);
    for (const bad of [good.slice(0, -1), `${good.slice(0, -2)}9=`, good.replace('/', '_'), 'A'.repeat(44), 42, null]) {
      expect(HashSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
    expect(ProofSchema.safeParse(new Array<string>(MAX_PROOF_LENGTH + 1).fill(good)).success).toBe(false);
    expect(() => encodeHash(new Uint8Array(31))).toThrow(RangeError);
  });

  it('fits the longest proofs of the largest trees', () => {
    const n = Number.MAX_SAFE_INTEGER;
    for (const at of [0, 1, 2 ** 52, n - 1]) {
      expect(inclusionProofPlan(at, n).widths.length).toBeLessThanOrEqual(MAX_PROOF_LENGTH);
      expect(consistencyProofPlan(Math.max(at, 1), n).widths.length).toBeLessThanOrEqual(MAX_PROOF_LENGTH);
      expect(consistencyProofPlan(Math.min(Math.max(at, 1), 2 ** 52), 2 ** 52 + 1).widths.length).toBeLessThanOrEqual(MAX_PROOF_LENGTH);
    }
  });
});
