import { describe, expect, it } from 'vitest';
import { DATA_TYPES } from '../../../shared/research/cohort-answer';
import { MAX_KEY_LIST, QueryAnswerPayloadSchema, type QueryAnswerPayload } from '../../../shared/research/query-answer';
import { BasketMetaSchema, MAX_BASKET_KEYS, MAX_GUARD_COHORT, QueryAnsweredMetaSchema, type QueryAnsweredMeta } from '../../../shared/research/research-meta';

/**
 * The largest answer a clinic can give must fit the network's default 1 MiB relay message, and the
 * record the clinic journals about it (the answer, its tags, the cohort's tags) one journal record,
 * whose sealed meta travels as base64url of at most 1 MiB (shared/ipc/journal-contract.ts). The
 * worst case: every entry lists every data type and the longest values.
 */
const MIB = 1024 * 1024;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function largestAnswer(): QueryAnswerPayload {
  return QueryAnswerPayloadSchema.parse({
    type: 'query-answer',
    queryId: `0x${'ab'.repeat(32)}`,
    bucket: { kind: 'count', roundedUp: 100_000 },
    keyList: Array.from({ length: MAX_KEY_LIST }, (_, i) => ({ key: hex(i, 32), ageBand: '100–109', sex: 'other or unknown', dataTypes: [...DATA_TYPES], years: '2019–2026' })),
    keyListTruncated: true,
    offer: { offerId: `0x${'cd'.repeat(32)}`, currency: 'PHD', pricePerRecord: '123456789.123456', profile: 'hipaa-safe-harbor-k', k: 5, records: MAX_KEY_LIST, validUntil: '2026-12-31T23:59:59.999Z' },
    repeat: false,
    answeredAt: '2026-12-05T10:00:00.000Z',
  });
}

describe('research messages fit the network and the journal', () => {
  it('the largest answer fits one relay message of the default 1 MiB, with the seal’s overhead', () => {
    expect(new TextEncoder().encode(JSON.stringify(largestAnswer())).length + 80).toBeLessThan(MIB);
  });

  it('the record of the largest answer, with every tag, fits one journal record once sealed and in base64url', () => {
    const meta: QueryAnsweredMeta = QueryAnsweredMetaSchema.parse({
      v: 1,
      queryId: `0x${'ab'.repeat(32)}`,
      researcher: '0x1111111111111111111111111111111111111111',
      queryHash: `0x${'ef'.repeat(32)}`,
      fingerprint: 'f'.repeat(64),
      cohortTags: Array.from({ length: MAX_GUARD_COHORT }, (_, i) => hex(i, 12)),
      matched: 100_000,
      keyTags: Array.from({ length: MAX_KEY_LIST }, (_, i) => hex(i, 12)),
      decision: 'answer',
      answer: largestAnswer(),
      messageId: 'a'.repeat(32),
    });
    // The mind event's envelope (authenticator, version) and the seal add a few hundred bytes.
    const sealed = new TextEncoder().encode(JSON.stringify(meta)).length + 1024;
    expect(Math.ceil((sealed * 4) / 3)).toBeLessThan(MIB);
  });

  it('a full basket fits one journal record, and a larger one is refused', () => {
    const item = (offer: number, keys: number) => ({
      queryId: `0x${hex(offer, 64)}`,
      clinic: '0x2222222222222222222222222222222222222222',
      offer: { offerId: `0x${hex(offer, 64)}`, currency: 'PHD', pricePerRecord: '1', profile: 'hipaa-safe-harbor-k', k: 5, records: keys, validUntil: '2026-12-31T23:59:59.999Z' },
      keys: Array.from({ length: keys }, (_, i) => `${hex(offer, 8)}${hex(i, 24)}`),
    });
    const full = { v: 1, items: Array.from({ length: MAX_BASKET_KEYS / 1000 }, (_, i) => item(i, 1000)) };
    expect(BasketMetaSchema.safeParse(full).success).toBe(true);
    expect(Math.ceil(((new TextEncoder().encode(JSON.stringify(full)).length + 1024) * 4) / 3)).toBeLessThan(MIB);
    expect(BasketMetaSchema.safeParse({ v: 1, items: [...full.items, item(99, 1)] }).success).toBe(false);
  });
});
