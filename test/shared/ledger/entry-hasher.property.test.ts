import fc from 'fast-check';
import { getAddress, TypedDataEncoder } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EntryHasher, entryTypes, LEDGER_ENTRY_KINDS, ledgerDomain, type LedgerEntry } from '../../../shared/ledger/ledger-schema';

/**
 * EntryHasher writes the EIP-712 encoding of an entry out by hand (for speed); ethers'
 * TypedDataEncoder is the reference. Any entry the schema allows: every kind, zero to many inputs,
 * the whole range of safe-integer seqs and times (the 32-bit halves of a uint64 word), any address,
 * and other domains (chain ids).
 */
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(`0x${Buffer.from(b).toString('hex')}`));
const uint = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 + 5 }), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const entry: fc.Arbitrary<LedgerEntry> = fc.record({
  seq: uint,
  prevHash: bytes32,
  kind: fc.constantFrom(...LEDGER_ENTRY_KINDS),
  subject: bytes32,
  operator: bytes32,
  payloadHash: bytes32,
  inputs: fc.array(bytes32, { maxLength: 12 }),
  createdAt: uint,
  node: address,
});

describe('EntryHasher', () => {
  it('hashes every entry exactly as TypedDataEncoder.hash does', () => {
    fc.assert(
      fc.property(entry, fc.constantFrom(31337, 1, 4242, 2 ** 40), (value, chainId) => {
        const domain = ledgerDomain(chainId);
        expect(new EntryHasher(domain).hash(value)).toBe(TypedDataEncoder.hash({ ...domain }, entryTypes(), { ...value, inputs: [...value.inputs] }));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same hash when one hasher is reused across entries (its buffers hold nothing over)', () => {
    const hasher = new EntryHasher(ledgerDomain());
    fc.assert(
      fc.property(fc.array(entry, { minLength: 2, maxLength: 6 }), (values) => {
        for (const value of values) expect(hasher.hash(value)).toBe(new EntryHasher(ledgerDomain()).hash(value));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a value that is not the schema’s hex', () => {
    const hasher = new EntryHasher(ledgerDomain());
    const good: LedgerEntry = { seq: 1, prevHash: `0x${'00'.repeat(32)}`, kind: 'ACCESS', subject: `0x${'00'.repeat(32)}`, operator: `0x${'00'.repeat(32)}`, payloadHash: `0x${'ab'.repeat(32)}`, inputs: [], createdAt: 1, node: getAddress(`0x${'11'.repeat(20)}`) };
    expect(() => hasher.hash({ ...good, prevHash: '0x12' })).toThrow(RangeError);
    expect(() => hasher.hash({ ...good, subject: `0x${'zz'.repeat(32)}` })).toThrow(RangeError);
    expect(() => hasher.hash({ ...good, payloadHash: `0x1g${'ab'.repeat(31)}` })).toThrow(RangeError);
  });
});
