import fc from 'fast-check';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { signEntry } from '../../../shared/ledger/ledger-sign';
import { entryHash, ledgerDomain, LEDGER_ENTRY_KINDS, ZERO_HASH } from '../../../shared/ledger/ledger-schema';
import { exportLine } from '../../../shared/ledger/ledger-export-format';
import { consumedInputs, ConsumptionKeySchema, NotarySubmissionSchema, parseSubmissionEntries, verifyEntrySignature, MAX_SUBMISSION_ENTRIES } from '../../../shared/network/notary';

/**
 * Properties of the notary's submission parsing (shared/network/notary.ts): whatever JSON arrives,
 * parsing never throws, answers one result per entry, accepts exactly the strict {entry, signature}
 * objects, and an accepted entry's canonical line is what was sent (so the leaf is the node's bytes).
 */
const wallet = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = ledgerDomain(31337);
const publicKey = new Uint8Array(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'));
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `0x${Buffer.from(bytes).toString('hex')}`);
const entryArb = fc.record({
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  prevHash: hex32,
  kind: fc.constantFrom(...LEDGER_ENTRY_KINDS),
  subject: hex32,
  operator: fc.constant(ZERO_HASH),
  payloadHash: hex32,
  inputs: fc.array(hex32, { maxLength: 3 }),
  createdAt: fc.integer({ min: 0, max: 2 ** 45 }),
  node: fc.constant(wallet.address),
});

describe('notary submission parsing (properties)', () => {
  it('never throws on arbitrary JSON and answers one result per entry', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), (entries) => {
        const parsed = parseSubmissionEntries(entries);
        expect(parsed).toHaveLength(entries.length);
        for (const result of parsed) if (!result.ok) expect(result.problem.length).toBeLessThan(300);
      }),
    );
    fc.assert(fc.property(fc.jsonValue(), (body) => void NotarySubmissionSchema.safeParse(body)));
    expect(NotarySubmissionSchema.safeParse({ entries: Array.from({ length: MAX_SUBMISSION_ENTRIES + 1 }, () => ({})) }).success).toBe(false);
  });

  it('accepts a signed entry exactly as sent and refuses it with any field added, removed or changed in type', async () => {
    await fc.assert(
      fc.asyncProperty(entryArb, fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), async (value, extraKey, extraValue) => {
        const signed = await signEntry(wallet, domain, value);
        const [ok] = parseSubmissionEntries([JSON.parse(JSON.stringify(signed))]);
        expect(ok).toMatchObject({ ok: true });
        if (ok!.ok) expect(exportLine(ok!.signed)).toBe(exportLine(signed));
        const digest = entryHash(domain, signed.entry);
        expect(verifyEntrySignature(digest, signed.signature, publicKey)).toBe(true);
        const otherV = `${signed.signature.slice(0, 130)}${signed.signature.endsWith('1b') ? '1c' : '1b'}`;
        expect(verifyEntrySignature(digest, otherV, publicKey)).toBe(false);
        expect(verifyEntrySignature(`0x${(BigInt(digest) ^ 1n).toString(16).padStart(64, '0')}`, signed.signature, publicKey)).toBe(false);
        const key = Object.hasOwn(signed.entry, extraKey) ? `${extraKey}_` : extraKey;
        const variants = [
          { entry: { ...signed.entry, [key]: extraValue }, signature: signed.signature },
          { entry: signed.entry, signature: signed.signature, [key === 'entry' || key === 'signature' ? 'x' : key]: extraValue },
          { entry: { ...signed.entry, seq: String(signed.entry.seq) }, signature: signed.signature },
          { entry: signed.entry },
          { entry: { ...signed.entry, node: signed.entry.node.toLowerCase() }, signature: signed.signature },
          { entry: signed.entry, signature: signed.signature.toUpperCase().replace('0X', '0x') },
        ];
        for (const variant of parseSubmissionEntries(variants)) expect(variant.ok).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('consumes inputs only for consuming kinds, each once, as keys bound to the entry\'s node', () => {
    const node = '0xAbCdEf0123456789abcdef0123456789ABCDEF01';
    fc.assert(
      fc.property(fc.array(hex32, { maxLength: 6 }), fc.constantFrom(...LEDGER_ENTRY_KINDS), (inputs, kind) => {
        const keys = (prefix: string) => [...new Set(inputs)].map((input) => `${prefix}:${node.toLowerCase()}:${input}`);
        expect(consumedInputs({ kind, inputs, node })).toEqual(kind === 'PURCHASE_ACCEPTED' ? keys('offer') : kind === 'KEY_RELEASE' ? keys('key-release') : []);
        expect(consumedInputs({ kind, inputs, node }, new Map([[kind, { prefix: 'test', sameSubjectAgain: false }]]))).toEqual(keys('test'));
        for (const key of keys('offer')) expect(ConsumptionKeySchema.safeParse(key).success).toBe(true);
      }),
    );
  });
});
