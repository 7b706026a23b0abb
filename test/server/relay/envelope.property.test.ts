import { getAddress } from 'ethers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../../shared/transparency/bytes';
import { envelopeSize, openMessage, RELAY_MAX_PAGE, RelayEnvelopeError, RelayEnvelopeSchema, RelayInboxQuerySchema, RelaySendSchema, RelayStreamFrameSchema, type RelayEnvelope } from '../../../shared/network/relay';
import { newRelayNode, seal, type RelayNode } from './support/relay-fixtures';

/**
 * Property tests (fast-check) of the relay's parsing (shared/network/relay.ts): the schemas never
 * throw and accept only what they document; any change to a sealed envelope is refused by the
 * recipient, never opened as something else; any payload round-trips.
 */
const FIELDS = ['v', 'id', 'from', 'to', 'role', 'createdAt', 'expiresAt', 'epk', 'iv', 'ct'] as const;

describe('relay envelope parsing (properties)', () => {
  let alice: RelayNode;
  let bob: RelayNode;
  let sealed: RelayEnvelope;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newRelayNode(), newRelayNode()]);
    sealed = await seal(alice, bob, 'property payload');
  });

  it('the schemas never throw on any JSON value, and what they accept has every documented field', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const schema of [RelayEnvelopeSchema, RelaySendSchema, RelayStreamFrameSchema]) expect(() => schema.safeParse(value)).not.toThrow();
        const parsed = RelayEnvelopeSchema.safeParse(value);
        if (parsed.success) expect(Object.keys(parsed.data).sort()).toEqual([...FIELDS].sort());
      }),
      { numRuns: 500 },
    );
  });

  it('a sealed envelope with any one field replaced is refused (malformed, wrong recipient or undecryptable), never opened', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), fc.oneof(
        fc.jsonValue(),
        fc.string(),
        fc.uint8Array({ maxLength: 120 }).map(toBase64),
        // Well-formed but different values: an id, an address, times, a role, a key-sized field.
        fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
        fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(`0x${Buffer.from(b).toString('hex')}`)),
        fc.integer({ min: -10_000, max: 10_000 }).map((d) => Date.now() + 1_800_000 + d),
        fc.constantFrom('clinic', 'research', 'keeper', 'witness', null),
        fc.uint8Array({ minLength: 12, maxLength: 12 }).map(toBase64),
      ), async (field, value) => {
        fc.pre(JSON.stringify(value) !== JSON.stringify(sealed[field]));
        const changed = { ...sealed, [field]: value };
        expect(() => RelayEnvelopeSchema.safeParse(changed)).not.toThrow();
        const outcome = await openMessage(changed, bob.messagePrivateKey, bob.wallet.address, { resolveSender: () => true }).then(
          () => 'opened',
          (error: unknown) => (error instanceof RelayEnvelopeError ? error.code : 'threw'),
        );
        expect(['malformed', 'wrong_recipient', 'undecryptable', 'expired', 'not_yet_valid']).toContain(outcome);
      }),
      { numRuns: 150 },
    );
  });

  it('a flipped bit anywhere in the ciphertext is refused', async () => {
    const ct = fromBase64(sealed.ct)!;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ct.length * 8 - 1 }), async (bit) => {
        const flipped = ct.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        await expect(openMessage({ ...sealed, ct: toBase64(flipped) }, bob.messagePrivateKey, bob.wallet.address, { resolveSender: () => true })).rejects.toMatchObject({ code: 'undecryptable' });
      }),
      { numRuns: 60 },
    );
  });

  it('any payload round-trips, and the size the server counts is the ciphertext length', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (payload) => {
        const envelope = await seal(alice, bob, payload);
        expect(envelopeSize(envelope)).toBe(fromBase64(envelope.ct)!.length);
        const opened = await openMessage(envelope, bob.messagePrivateKey, bob.wallet.address, { resolveSender: () => true });
        expect(opened.payload).toEqual(payload);
      }),
      { numRuns: 40 },
    );
  });

  it('inbox query parsing accepts only a decimal cursor and a page size within bounds', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('after', 'limit', 'x'), fc.string({ maxLength: 20 })), (query) => {
        const parsed = RelayInboxQuerySchema.safeParse(query);
        if (!parsed.success) return;
        expect(query).not.toHaveProperty('x');
        if (parsed.data.limit !== undefined) expect(parsed.data.limit).toBeGreaterThanOrEqual(1);
        if (parsed.data.limit !== undefined) expect(parsed.data.limit).toBeLessThanOrEqual(RELAY_MAX_PAGE);
        if (parsed.data.after !== undefined) expect(Number.isSafeInteger(parsed.data.after)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
