import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_INPUTS } from '../../../shared/ledger/ledger-schema';
import { MAX_CLAIM_KEYS } from '../../../shared/network/notary';
import { encodePayload } from '../../../shared/network/relay-payload';
import { MAX_BASKET_KEYS } from '../../../shared/research/research-meta';
import { checkPurchaseRequest, type PurchaseCheckAnswer, type PurchaseCheckContext } from '../../../shared/research/purchase-check';
import {
  MAX_PURCHASE_KEYS,
  MAX_PURCHASE_OFFERS,
  phdTimes,
  PurchaseRequestSchema,
  purchaseRequestHash,
  signPurchaseRequest,
  verifyPurchaseRequest,
  type PurchaseRequest,
  type SignedPurchaseRequest,
} from '../../../shared/research/purchase-request';

const CHAIN = { chainId: 31337 };
const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const researcher = new Wallet(`0x${'11'.repeat(32)}`);
const stranger = new Wallet(`0x${'22'.repeat(32)}`);
const clinic = new Wallet(`0x${'33'.repeat(32)}`).address;
const answerKey = `0x04${'ab'.repeat(64)}`;
const offerA = `0x${'a1'.repeat(32)}`;
const offerB = `0x${'b2'.repeat(32)}`;
const key = (i: number) => i.toString(16).padStart(32, '0');

function request(overrides: Partial<PurchaseRequest> = {}): PurchaseRequest {
  const keys = overrides.keys ?? [key(1), key(2), key(3)];
  const pricePerRecord = overrides.pricePerRecord ?? '1.25';
  return {
    purchaseId: `0x${'5e'.repeat(16)}`,
    researcher: researcher.address,
    clinic,
    offerIds: [offerA],
    keys,
    currency: 'PHD',
    pricePerRecord,
    total: phdTimes(pricePerRecord, keys.length),
    purpose: 'research-sale',
    purposeText: 'Outcomes of type 2 diabetes under metformin',
    paymentAddress: researcher.address,
    answerKey,
    createdAt: new Date(NOW).toISOString(),
    expiresAt: new Date(NOW + 3 * DAY).toISOString(),
    ...overrides,
  };
}

describe('PurchaseRequest', () => {
  it('signs and verifies, and its hash changes with any field', async () => {
    const signed = await signPurchaseRequest(researcher, CHAIN.chainId, request());
    const verified = verifyPurchaseRequest(CHAIN, signed, NOW);
    expect(verified).toMatchObject({ ok: true, hash: purchaseRequestHash(CHAIN.chainId, signed.request) });
    expect(purchaseRequestHash(CHAIN.chainId, request({ keys: [key(1), key(2), key(4)] }))).not.toBe(purchaseRequestHash(CHAIN.chainId, signed.request));
    expect(purchaseRequestHash(CHAIN.chainId + 1, signed.request)).not.toBe(purchaseRequestHash(CHAIN.chainId, signed.request));
  });

  it('refuses a tampered request, another signer, another network and a signature for another researcher', async () => {
    const signed = await signPurchaseRequest(researcher, CHAIN.chainId, request());
    const tampered: SignedPurchaseRequest = { ...signed, request: { ...signed.request, paymentAddress: stranger.address } };
    expect(verifyPurchaseRequest(CHAIN, tampered, NOW)).toMatchObject({ ok: false, problem: 'signature' });
    expect(verifyPurchaseRequest({ chainId: 1 }, signed, NOW)).toMatchObject({ ok: false, problem: 'signature' });
    await expect(signPurchaseRequest(stranger, CHAIN.chainId, request())).rejects.toThrow(/another researcher/);
    const bySomeoneElse = await signPurchaseRequest(stranger, CHAIN.chainId, request({ researcher: stranger.address }));
    expect(verifyPurchaseRequest(CHAIN, { request: signed.request, signature: bySomeoneElse.signature }, NOW)).toMatchObject({ ok: false, problem: 'signature' });
  });

  it('refuses an expired request, and one open for more than 7 days', async () => {
    const signed = await signPurchaseRequest(researcher, CHAIN.chainId, request());
    expect(verifyPurchaseRequest(CHAIN, signed, NOW + 3 * DAY)).toMatchObject({ ok: false, problem: 'expired' });
    expect(verifyPurchaseRequest(CHAIN, signed, NOW + 3 * DAY - 1)).toMatchObject({ ok: true });
    expect(PurchaseRequestSchema.safeParse(request({ expiresAt: new Date(NOW + 7 * DAY).toISOString() })).success).toBe(true);
    expect(PurchaseRequestSchema.safeParse(request({ expiresAt: new Date(NOW + 7 * DAY + 1).toISOString() })).success).toBe(false);
    expect(PurchaseRequestSchema.safeParse(request({ expiresAt: new Date(NOW).toISOString() })).success).toBe(false);
  });

  it('holds the limits: keys and offers each once, at most 15,000 keys, the total exactly price × keys, strict fields', () => {
    expect(PurchaseRequestSchema.safeParse(request({ keys: [key(1), key(1)] })).success).toBe(false);
    expect(PurchaseRequestSchema.safeParse(request({ offerIds: [offerA, offerA] })).success).toBe(false);
    expect(MAX_PURCHASE_KEYS).toBe(MAX_BASKET_KEYS);
    // Every offer is an input of the acceptance's ledger entry, and a claim at the notary.
    expect(MAX_PURCHASE_OFFERS).toBe(MAX_ENTRY_INPUTS);
    expect(MAX_PURCHASE_OFFERS).toBeLessThanOrEqual(MAX_CLAIM_KEYS);
    expect(PurchaseRequestSchema.safeParse(request({ offerIds: Array.from({ length: MAX_PURCHASE_OFFERS + 1 }, (_, i) => `0x${key(i)}${key(i)}`) })).success).toBe(false);
    expect(PurchaseRequestSchema.safeParse(request({ keys: Array.from({ length: MAX_PURCHASE_KEYS }, (_, i) => key(i)) })).success).toBe(true);
    expect(PurchaseRequestSchema.safeParse(request({ keys: Array.from({ length: MAX_PURCHASE_KEYS + 1 }, (_, i) => key(i)) })).success).toBe(false);
    expect(PurchaseRequestSchema.safeParse(request({ total: '3.76' })).success).toBe(false);
    expect(request().total).toBe('3.75');
    expect(phdTimes('0.000001', 15_000)).toBe('0.015');
    expect(phdTimes('123456789.123456', 15_000)).toBe('1851851836851.84');
    expect(PurchaseRequestSchema.safeParse({ ...request(), extra: 1 }).success).toBe(false);
    expect(verifyPurchaseRequest(CHAIN, { request: request(), signature: '0x00' }, NOW)).toMatchObject({ ok: false, problem: 'schema' });
  });

  it('the largest request fits one relay message of 1 MiB', async () => {
    const keys = Array.from({ length: MAX_PURCHASE_KEYS }, (_, i) => key(i));
    const signed = await signPurchaseRequest(researcher, CHAIN.chainId, request({ keys, offerIds: Array.from({ length: MAX_PURCHASE_OFFERS }, (_, i) => `0x${key(i)}${key(i)}`), purposeText: 'x'.repeat(2000) }));
    expect(encodePayload({ type: 'purchase-request', signed }).length + 80).toBeLessThan(1024 * 1024);
  });
});

describe('the clinic’s checks of a purchase request', () => {
  const answer = (overrides: Partial<PurchaseCheckAnswer> = {}): PurchaseCheckAnswer => ({
    researcher: researcher.address,
    purpose: 'research-sale',
    offer: { offerId: offerA, currency: 'PHD', pricePerRecord: '1.25', profile: 'hipaa-safe-harbor-k', k: 5, records: 4, validUntil: new Date(NOW + 5 * DAY).toISOString() },
    keys: [key(1), key(2), key(3), key(4)],
    ...overrides,
  });
  const context = (overrides: Partial<PurchaseCheckContext> = {}): PurchaseCheckContext => ({
    network: CHAIN,
    clinic,
    members: [{ address: researcher.address, roles: ['research'], messageKey: answerKey }],
    answers: new Map([[offerA, answer()]]),
    sold: new Set(),
    now: NOW,
    ...overrides,
  });
  const sign = (overrides: Partial<PurchaseRequest> = {}) => signPurchaseRequest(researcher, CHAIN.chainId, request(overrides));

  it('passes a request for keys of the clinic’s open offer at its price', async () => {
    const signed = await sign();
    expect(checkPurchaseRequest(signed, context())).toEqual({ ok: true, signed, hash: purchaseRequestHash(CHAIN.chainId, signed.request), records: 3, total: '3.75' });
  });

  it('refuses a researcher who is not a research member, or whose message key is not the answer key', async () => {
    const signed = await sign();
    expect(checkPurchaseRequest(signed, context({ members: [] }))).toMatchObject({ ok: false, reason: 'not-a-researcher' });
    expect(checkPurchaseRequest(signed, context({ members: [{ address: researcher.address, roles: ['clinic'], messageKey: answerKey }] }))).toMatchObject({ ok: false, reason: 'not-a-researcher' });
    expect(checkPurchaseRequest(signed, context({ members: [{ address: researcher.address, roles: ['research'], messageKey: `0x04${'cd'.repeat(64)}` }] }))).toMatchObject({ ok: false, reason: 'not-a-researcher' });
  });

  it('refuses a request signed by another key than the researcher’s', async () => {
    const signed = await sign();
    const forged = await signPurchaseRequest(stranger, CHAIN.chainId, request({ researcher: stranger.address }));
    expect(checkPurchaseRequest({ request: signed.request, signature: forged.signature }, context())).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses an unknown offer, another researcher’s offer, a sold one and an expired one', async () => {
    expect(checkPurchaseRequest(await sign({ offerIds: [offerB] }), context())).toMatchObject({ ok: false, reason: 'unknown-offer' });
    expect(checkPurchaseRequest(await sign(), context({ answers: new Map([[offerA, answer({ researcher: stranger.address })]]) }))).toMatchObject({ ok: false, reason: 'unknown-offer' });
    expect(checkPurchaseRequest(await sign(), context({ sold: new Set([offerA]) }))).toMatchObject({ ok: false, reason: 'offer-sold' });
    const expiredOffer = answer({ offer: { ...answer().offer, validUntil: new Date(NOW).toISOString() } });
    expect(checkPurchaseRequest(await sign(), context({ answers: new Map([[offerA, expiredOffer]]) }))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses an expired request, another clinic’s request, a price that is not the offer’s, another purpose, and keys not from the answer', async () => {
    expect(checkPurchaseRequest(await sign(), context({ now: NOW + 3 * DAY }))).toMatchObject({ ok: false, reason: 'expired' });
    expect(checkPurchaseRequest(await sign({ clinic: stranger.address }), context())).toMatchObject({ ok: false, reason: 'invalid' });
    expect(checkPurchaseRequest(await sign({ pricePerRecord: '1' }), context())).toMatchObject({ ok: false, reason: 'price-mismatch' });
    // The same amount spelled differently is the same price.
    expect(checkPurchaseRequest(await sign({ pricePerRecord: '1.250' }), context())).toMatchObject({ ok: true });
    expect(checkPurchaseRequest(await sign({ purpose: 'research-no-sale' }), context())).toMatchObject({ ok: false, reason: 'purpose-not-offered' });
    expect(checkPurchaseRequest(await sign({ keys: [key(1), key(9)] }), context())).toMatchObject({ ok: false, reason: 'keys-not-offered', message: expect.stringMatching(/^1 of/) });
  });

  it('takes keys from several offers of the clinic', async () => {
    const second = answer({ offer: { ...answer().offer, offerId: offerB }, keys: [key(7)] });
    const signed = await sign({ offerIds: [offerA, offerB], keys: [key(1), key(7)] });
    expect(checkPurchaseRequest(signed, context({ answers: new Map([[offerA, answer()], [offerB, second]]) }))).toMatchObject({ ok: true, records: 2, total: '2.5' });
    expect(checkPurchaseRequest(signed, context())).toMatchObject({ ok: false, reason: 'unknown-offer' });
  });
});
