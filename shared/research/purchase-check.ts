import type { PinnedNetwork } from '../network/network-domain';
import type { QueryPurpose } from './keyword-query';
import type { Offer } from './query-answer';
import { phdUnits, verifyPurchaseRequest, type PurchaseDeclineReason, type SignedPurchaseRequest } from './purchase-request';

/**
 * What a clinic's mind checks before a purchase request may be accepted (issue 15 item 1), as one
 * pure function over what the clinic knows: the network map's members, its own answers (each offer
 * it made, to whom, for which purpose, with which keys), and the offers it has accepted already.
 * An administrator's "Accept" and the automatic policy both go through it; a refusal names the
 * decline reason the researcher is told.
 */

export interface PurchaseCheckMember {
  readonly address: string;
  readonly roles: readonly string[];
  readonly messageKey: string;
}

/** One answer this clinic gave, as its `query.answered` event recorded it. */
export interface PurchaseCheckAnswer {
  readonly researcher: string;
  readonly purpose: QueryPurpose;
  readonly offer: Offer;
  /** The KEY-list keys of that answer. */
  readonly keys: readonly string[];
}

export interface PurchaseCheckContext {
  readonly network: Pick<PinnedNetwork, 'chainId'>;
  /** This clinic's address. */
  readonly clinic: string;
  readonly members: readonly PurchaseCheckMember[];
  /** This clinic's answers that carried an offer, by offer id. */
  readonly answers: ReadonlyMap<string, PurchaseCheckAnswer>;
  /** Offer ids this clinic accepted a purchase of already (the notary has the last word). */
  readonly sold: ReadonlySet<string>;
  readonly now: number;
}

export type PurchaseCheck =
  | { readonly ok: true; readonly signed: SignedPurchaseRequest; readonly hash: string; readonly records: number; readonly total: string }
  | { readonly ok: false; readonly reason: PurchaseDeclineReason; readonly message: string };

function refuse(reason: PurchaseDeclineReason, message: string): PurchaseCheck {
  return { ok: false, reason, message };
}

export function checkPurchaseRequest(value: unknown, context: PurchaseCheckContext): PurchaseCheck {
  const verified = verifyPurchaseRequest(context.network, value, context.now);
  if (!verified.ok) return refuse(verified.problem === 'expired' ? 'expired' : 'invalid', verified.message);
  const { request } = verified.signed;
  if (request.clinic !== context.clinic) return refuse('invalid', 'The purchase request is for another clinic.');
  const researcher = context.members.find((member) => member.address === request.researcher);
  if (researcher === undefined || !researcher.roles.includes('research')) return refuse('not-a-researcher', 'The requester is not a research member of the network (any longer).');
  if (researcher.messageKey !== request.answerKey) return refuse('not-a-researcher', 'The request’s answer key is not the researcher’s message key in the network map.');
  const offered = new Set<string>();
  for (const offerId of request.offerIds) {
    const answer = context.answers.get(offerId);
    if (answer === undefined || answer.researcher !== request.researcher) return refuse('unknown-offer', `This clinic made no offer ${offerId.slice(0, 10)}… to this researcher.`);
    if (context.sold.has(offerId)) return refuse('offer-sold', `Offer ${offerId.slice(0, 10)}… was sold already.`);
    if (Date.parse(answer.offer.validUntil) <= context.now) return refuse('expired', `Offer ${offerId.slice(0, 10)}… expired on ${answer.offer.validUntil}.`);
    if (phdUnits(answer.offer.pricePerRecord) !== phdUnits(request.pricePerRecord)) return refuse('price-mismatch', `The request’s price per record (${request.pricePerRecord} PHD) is not offer ${offerId.slice(0, 10)}…’s (${answer.offer.pricePerRecord} PHD).`);
    if (answer.purpose !== request.purpose) return refuse('purpose-not-offered', 'The request’s purpose is not the one the offer was made for.');
    for (const key of answer.keys) offered.add(key);
  }
  const stray = request.keys.filter((key) => !offered.has(key)).length;
  if (stray > 0) return refuse('keys-not-offered', `${stray} of the request’s keys are not in the KEY lists of its offers.`);
  return { ok: true, signed: verified.signed, hash: verified.hash, records: request.keys.length, total: request.total };
}
