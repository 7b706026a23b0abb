import type { PurchasePaidMeta } from '../../shared/research/dataset-meta';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { EntryHasher, ledgerDomain, parseEntry } from '../../shared/ledger/ledger-schema';
import type { NetworkState } from '../../shared/ipc/network-contract';
import { consumptionKey } from '../../shared/network/notary';
import { sealMessage } from '../../shared/network/relay';
import { encodePayload } from '../../shared/network/relay-payload';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { checkPurchaseRequest, type PurchaseCheckAnswer } from '../../shared/research/purchase-check';
import {
  MAX_PURCHASE_LIFETIME_MS,
  MAX_PURCHASE_OFFERS,
  PURCHASE_DECLINE_WORDS,
  phdString,
  phdTimes,
  PurchaseRequestSchema,
  purchaseRequestHash,
  signPurchaseRequest,
  type DatasetDeliveredPayload,
  type PurchaseAcceptedPayload,
  type PurchaseDeclinedPayload,
  type PurchaseDeclineReason,
  type PurchaseRequest,
  type SignedPurchaseRequest,
} from '../../shared/research/purchase-request';
import type { QueryPurpose } from '../../shared/research/keyword-query';
import type { BasketItem, PurchaseAcceptedMeta, PurchaseDeclinedMeta, PurchaseDeliveredMeta, PurchaseDeliveryNotifiedMeta, PurchaseNotifiedMeta, PurchaseRequestedMeta } from '../../shared/research/research-meta';
import type { ResearchConsent } from './research-consent';
import { releaseProfileOf } from '../../shared/research/consent';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { decryptMany } from '../vault/vault-crypto';
import { BASKET_META_KEY } from '../vault/views/projectors/research-projector';
import type { IncomingQueryDetail, QueryOutcomeDetail } from '../vault/views/research-rows';
import { deliveredOf, foldPurchaseRows, type FoldedPurchase as Folded } from './purchase-rows';
import { BasketMetaSchema } from '../../shared/research/research-meta';
import { chooseKeepers, escrowDepositFor } from '../../shared/research/purchase-settlement';
import { purchaseIdInput } from '../../shared/network/notary';
import { EscrowPayment, type PaymentState } from './escrow-payment';
import type { DevFaucetAnswer } from '../../shared/chain/dev-faucet';
import { checkRelease, deidSourcesOf, releaseInstancesOf, resolvePurchasedPatients } from './dataset-release';
import { deliveryStageApi, sealRelease, uploadPackage, vaultInstances } from './dataset-delivery';
import { splitPackageKey } from '../../shared/research/package/key-split';
import { encodeKeeperPayload } from '../../shared/research/key-release';
import { packReleasedPatient, unpackReleasedPatient } from '../../shared/research/deid/released-patients';
import { datasetsOfPatient, type DatasetOutDetail } from '../vault/views/dataset-out-rows';
import { patientHits } from '../vault/views/view-reads';

/** How long a purchase's answer waits at the relay for the researcher. */
const ANSWER_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How often a delivered purchase's escrow is looked at for settlement after the dispute window. */
const SETTLE_CHECK_MS = 60_000;

export type IncomingPurchaseState = 'waiting' | 'accepted' | 'notarized' | 'declined' | 'expired';

/** A purchase request as Marketplace › Purchase requests lists it (clinic). */
export interface IncomingPurchase {
  readonly purchaseId: string;
  readonly request: PurchaseRequest;
  /** The researcher's institution from the network map, or null when the map does not list it. */
  readonly institution: string | null;
  readonly receivedAt: number;
  /**
   * waiting: for an administrator (or the policy); accepted: its offers claimed and the acceptance
   * journaled, waiting for the notary's receipt; notarized: the receipt came and the researcher was
   * told; declined: with `reason`.
   */
  readonly state: IncomingPurchaseState;
  /** Why it was declined, in words ("offer already sold"). */
  readonly reason: string | null;
  /** The notary's leaf of the PURCHASE_ACCEPTED entry, once notarized. */
  readonly leafIndex: number | null;
  /** The dataset delivered for it, once released. */
  readonly delivery?: PurchaseDeliveredMeta | null;
  /** The keepers' answers to the delivered shares: how many keep one, and who refused and why. */
  readonly keepersHolding?: KeepersHolding | null;
}

/** What the keepers said of the shares a clinic deposited. */
export interface KeepersHolding {
  readonly stored: number;
  readonly refused: readonly { readonly keeper: string; readonly reason: string }[];
}

/** The keepers' answers to a delivered purchase's shares (key-share-stored / key-share-refused rows), the latest per keeper. */
function keepersHoldingOf(folded: Folded, keepers: readonly string[]): KeepersHolding {
  const latest = new Map<string, { type: string; reason?: string }>();
  for (const { detail } of folded.rows) {
    if (detail.kind !== 'keeper-in' || !keepers.includes(detail.keeper)) continue;
    if (detail.payload.type === 'key-share-stored') latest.set(detail.keeper, { type: 'stored' });
    else if (detail.payload.type === 'key-share-refused') latest.set(detail.keeper, { type: 'refused', reason: detail.payload.reason });
  }
  const refused = [...latest].flatMap(([keeper, answer]) => (answer.type === 'refused' ? [{ keeper, reason: answer.reason ?? '' }] : []));
  return { stored: [...latest.values()].filter((answer) => answer.type === 'stored').length, refused };
}

export type MyPurchaseState = 'sent' | 'accepted' | 'declined' | 'expired';

/** One of the researcher's purchase requests, per clinic. */
export interface MyPurchase {
  readonly purchaseId: string;
  readonly clinic: string;
  readonly institution: string;
  readonly offerIds: readonly string[];
  readonly records: number;
  readonly total: string;
  readonly expiresAt: string;
  readonly state: MyPurchaseState;
  readonly reason: string | null;
  /** The clinic's notarized acceptance: where it is in the network's log. */
  readonly receipt: PurchaseAcceptedPayload['receipt'] | null;
  /** The keepers the clinic named in its acceptance (empty: too few in the network; null: not accepted, or accepted before keepers were named). */
  readonly keepers: readonly string[] | null;
  /** The account the request said the price is paid from. */
  readonly paymentAddress: string;
  /** The clinic's notarized delivery, once it told this node. */
  readonly delivery?: DatasetDeliveredPayload | null;
}

export interface PurchaseRequestInput {
  /** What the data is for, in the researcher's words. */
  readonly purposeText: string;
  /** The EVM address the price will be deposited from. */
  readonly paymentAddress: string;
  /** How long the clinics may take to accept: 1 to 7 days. */
  readonly days: number;
}

export interface Purchases {
  /** Clinic: purchase requests received, newest first. */
  incoming(): Promise<IncomingPurchase[]>;
  /** Clinic administrators: checks and accepts a waiting request (claims its offers at the notary first). */
  accept(purchaseId: string): Promise<IncomingPurchaseState>;
  /** Clinic administrators: declines a waiting request (the researcher is told "declined"). */
  decline(purchaseId: string): Promise<void>;
  /** Research node: signs one request per clinic of the basket and sends each; answers their purchase ids. */
  request(input: PurchaseRequestInput): Promise<string[]>;
  /** Research node: its purchase requests and what each clinic answered, newest first. */
  mine(): Promise<MyPurchase[]>;
  /** Research node: where the escrow deposit of a purchase stands on the network's chain. */
  payment(purchaseId: string): Promise<PaymentState>;
  /** Research node, clinical session: pays an accepted purchase into escrow from this node's account (approve, then deposit). */
  pay(purchaseId: string): Promise<PaymentState>;
  /** Research node, clinical session: takes a deposit back after its deadline when no keys were released (the contract checks both). */
  reclaim(purchaseId: string): Promise<PaymentState>;
  /** Research node: this node's PHD on the network's chain (smallest unit), or null without a chain. */
  balance(): Promise<bigint | null>;
  /** Research node, clinical session: asks a demo network's faucet for gas and PHD, once. */
  faucet(): Promise<DevFaucetAnswer>;
  /** Clinic administrators: de-identifies an accepted purchase's records on this node and says whether they can be released, and how (nothing leaves the node). */
  checkRelease(purchaseId: string): Promise<ReleaseSummary>;
  /**
   * Clinic administrators, once the researcher paid: seals the release, uploads it for the
   * researcher, splits its key among the keepers the acceptance named and journals the delivery
   * (a DATA_DELIVERY ledger entry). Delivered already: answers that delivery.
   */
  release(purchaseId: string): Promise<PurchaseDeliveredMeta>;
  /** Clinic administrators: what left in a delivered purchase, each patient by pseudonym with their name resolved on this node. */
  whatLeft(purchaseId: string): Promise<WhatLeft>;
  /** Clinic: the delivered datasets that included a patient (the views' dataset-out rows), newest first. */
  datasetsOfPatient(patientId: string): Promise<PatientDataset[]>;
}

/** The clinic's record of a delivered purchase (issue 15 item 8), for its administrator's eyes only. */
export interface WhatLeft {
  readonly purchaseId: string;
  readonly researcher: string;
  /** The researcher's institution from the network map, or null. */
  readonly institution: string | null;
  readonly purposeText: string;
  readonly delivery: PurchaseDeliveredMeta;
  /** Each released patient: the pseudonym in the dataset, and who it is on this node (null: erased since). */
  readonly patients: readonly { readonly pseudonym: string; readonly patientId: string; readonly name: string | null; readonly identifier: string | null }[];
  /** False for a delivery journaled before the patients were recorded with it. */
  readonly recorded: boolean;
}

/** A dataset a patient went out in, as their page lists it. */
export interface PatientDataset extends DatasetOutDetail {
  readonly institution: string | null;
}

/** What checkRelease found: the release's figures, or why it is refused; both say who was left out first. */
export type ReleaseSummary =
  | {
      readonly ok: true;
      readonly records: number;
      readonly released: number;
      readonly suppressed: number;
      readonly required: { readonly k: number; readonly l: number };
      readonly achieved: { readonly k: number; readonly l: number };
      readonly reportSha256: string;
      readonly missing: number;
      readonly withdrawn: number;
      /** The released patients' DICOM instances in the vault, de-identified at release (some may be left out then); absent from older callers. */
      readonly dicom?: { readonly instances: number; readonly patients: number };
    }
  | { readonly ok: false; readonly records: number; readonly reason: string; readonly missing: number; readonly withdrawn: number };

const NAMESPACES = ['network', 'objects'] as const;
type Port = SessionPort<(typeof NAMESPACES)[number]>;
type Joined = NetworkState & { map: NonNullable<NetworkState['map']> };


function randomHex(bytes: number): string {
  let hex = '';
  for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(bytes))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** A delivery as the UI and callers get it: the per-patient record stays in the views (whatLeft, datasetsOfPatient). */
function withoutPatients(delivered: PurchaseDeliveredMeta): PurchaseDeliveredMeta;
function withoutPatients(delivered: PurchaseDeliveredMeta | null): PurchaseDeliveredMeta | null;
function withoutPatients(delivered: PurchaseDeliveredMeta | null): PurchaseDeliveredMeta | null {
  if (delivered === null) return null;
  const { patients: _patients, ...rest } = delivered;
  return rest;
}

function hexOfPoint(point: Uint8Array): string {
  let hex = '0x';
  for (const byte of point) hex += byte.toString(16).padStart(2, '0');
  return hex;
}


/**
 * The purchase request and its acceptance (issue 15 item 1), in the mind of an unlocked node.
 *
 * Research node: `request` signs a PurchaseRequest per clinic of the basket (its offers, the keys
 * selected from them, the offers' price, the purpose, the payment address, this node's message
 * key, an expiry ≤ 7 days), sends it through the relay sealed to that clinic and journals
 * `purchase.requested` (a PURCHASE_REQUESTED ledger entry). The clinic's answer comes back through
 * the relay (a purchase row).
 *
 * Clinic: requests arrive in the journal while the vault is locked (the body's relay inbox) and
 * wait. An administrator accepts or declines each; under the research policy's "answer
 * automatically" every waiting request is accepted after a replay, within the checks. Accepting:
 * shared/research/purchase-check.ts (signature, expiry, research member whose key matches, an open
 * offer this clinic made to this researcher for that purpose, at its price, keys from its KEY
 * lists; offers sold already here), then the offers are CLAIMED at the notary for this request's
 * hash (`network.claim`): if any is consumed or claimed for another request the request is
 * declined "offer already sold" and nothing is signed. Otherwise `purchase.accepted` is journaled:
 * the ledger signs it as PURCHASE_ACCEPTED consuming the offer ids, the body submits it, and only
 * once its receipt is in the views does the clinic tell the researcher "accepted" with the
 * receipt (`purchase.notified`).
 */
export class PurchasesFeature implements SessionFeature<(typeof NAMESPACES)[number]>, Purchases {
  readonly name = 'purchases';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<(typeof NAMESPACES)[number]>();
  private running: Promise<unknown> = Promise.resolve();
  /** Purchases decided in this session whose event the views may not show yet. */
  private readonly handled = new Set<string>();
  private readonly notified = new Set<string>();
  private readonly deliveryNotified = new Set<string>();
  /** Purchases whose keys this session declared released on the escrow (or found settled). */
  private readonly keysDeclared = new Set<string>();
  /**
   * When (clock ms) to look at a delivered purchase's escrow again for settlement: replays come
   * often (every intake batch), the chain is asked at most once a minute per purchase; Infinity once settled.
   */
  private readonly nextSettleCheck = new Map<string, number>();
  /** Releases this session made or is making, by purchase: the views have them only after the next replay, and a second click must not deliver again. */
  private readonly releases = new Map<string, Promise<PurchaseDeliveredMeta>>();

  constructor(
    private readonly consent: ResearchConsent,
    private readonly clock: () => number = Date.now,
  ) {}

  open(port: Port): OpenSessionFeature {
    const opened = this.session.open(port);
    this.handled.clear();
    this.notified.clear();
    this.deliveryNotified.clear();
    this.keysDeclared.clear();
    this.nextSettleCheck.clear();
    this.releases.clear();
    return {
      afterReplay: async () => {
        // Not awaited: the replay queue must not wait on the network.
        void this.serialized(() => this.afterReplay(port)).catch(() => undefined);
      },
      close: opened.close,
    };
  }

  private current(): Port {
    return this.session.get();
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.running.then(task, task);
    this.running = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw asVaultError(error);
    });
  }

  private async member(port: Port, role: 'clinic' | 'research'): Promise<Joined | null> {
    const { state } = await port.api.network.status({});
    if (state === null || state.status !== 'approved' || state.map === null || !state.roles.includes(role)) return null;
    return state as Joined;
  }

  /** Every purchase's rows, decrypted, grouped by purchase id in journal order. */
  private folded(port: Port): Promise<Folded[]> {
    return foldPurchaseRows(port.db(), port.viewKey);
  }

  // ——— Clinic ———

  private clinicView(folded: Folded, now: number): { signed: SignedPurchaseRequest; receivedAt: number; accepted: PurchaseAcceptedMeta | null; declined: PurchaseDeclinedMeta | null; notified: PurchaseNotifiedMeta | null; expired: boolean } | null {
    let request: { signed: SignedPurchaseRequest; receivedAt: number } | null = null;
    let accepted: PurchaseAcceptedMeta | null = null;
    let declined: PurchaseDeclinedMeta | null = null;
    let notified: PurchaseNotifiedMeta | null = null;
    for (const { detail } of folded.rows) {
      if (detail.kind === 'request-in' && request === null) request = { signed: detail.signed, receivedAt: detail.receivedAt };
      // The first decision counts.
      else if (detail.kind === 'accepted' && accepted === null && declined === null) accepted = detail;
      else if (detail.kind === 'declined' && accepted === null && declined === null) declined = detail;
      else if (detail.kind === 'notified' && notified === null) notified = detail;
    }
    if (request === null) return null;
    return { ...request, accepted, declined, notified, expired: Date.parse(request.signed.request.expiresAt) <= now };
  }

  async incoming(): Promise<IncomingPurchase[]> {
    const port = this.current();
    try {
      const state = await this.member(port, 'clinic');
      const names = new Map((state?.map.members ?? []).map((member) => [member.address, member.legalName]));
      const now = this.clock();
      const out: IncomingPurchase[] = [];
      for (const folded of await this.folded(port)) {
        const view = this.clinicView(folded, now);
        if (view === null) continue;
        const { request } = view.signed;
        const delivered = deliveredOf(folded);
        const stateOf: IncomingPurchaseState = view.declined !== null ? 'declined' : view.notified !== null ? 'notarized' : view.accepted !== null ? 'accepted' : view.expired ? 'expired' : 'waiting';
        out.push({
          purchaseId: folded.purchaseId,
          request,
          institution: names.get(request.researcher) ?? null,
          receivedAt: view.receivedAt,
          state: stateOf,
          reason: view.declined === null ? null : PURCHASE_DECLINE_WORDS[view.declined.reason],
          leafIndex: view.notified?.payload.receipt.leafIndex ?? null,
          delivery: withoutPatients(delivered),
          keepersHolding: delivered === null ? null : keepersHoldingOf(folded, delivered.keepers),
        });
      }
      return out.sort((a, b) => b.receivedAt - a.receivedAt);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async accept(purchaseId: string): Promise<IncomingPurchaseState> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator accepts a purchase request.');
    return this.serialized(() => this.acceptOne(port, purchaseId, 'manual'));
  }

  async decline(purchaseId: string): Promise<void> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator declines a purchase request.');
    await this.serialized(async () => {
      const view = await this.waiting(port, purchaseId);
      const state = await this.member(port, 'clinic');
      if (state === null) throw new VaultError('E_NODE', 'This node is not an approved clinic member of a network.');
      await this.sendDecline(port, state, view.signed, null, 'declined');
    });
  }

  private async waiting(port: Port, purchaseId: string): Promise<NonNullable<ReturnType<PurchasesFeature['clinicView']>>> {
    const folded = (await this.folded(port)).find((entry) => entry.purchaseId === purchaseId);
    const view = folded === undefined ? null : this.clinicView(folded, this.clock());
    if (view === null) throw new VaultError('E_NODE', 'No such purchase request on this node.');
    if (view.accepted !== null || view.declined !== null || this.handled.has(purchaseId)) throw new VaultError('E_NODE', 'This purchase request was accepted or declined already.');
    return view;
  }

  /** This clinic's answers that carried an offer, by offer id, with the purpose of their query. */
  private async answers(port: Port, researcher: string): Promise<Map<string, PurchaseCheckAnswer>> {
    const db = port.db();
    const outcomes = await this.outcomesFor(port, researcher);
    const queryRows = await db.incomingQueries.bulkGet(outcomes.map((outcome) => outcome.queryId));
    const queries = await decryptMany<IncomingQueryDetail>(
      port.viewKey,
      queryRows.flatMap((row) => (row === undefined ? [] : [{ table: 'incomingQueries', id: row.queryId, stored: row.enc }])),
    );
    const purposeOf = new Map<string, QueryPurpose>(queries.map((detail) => [detail.signed.query.queryId, detail.signed.query.purpose]));
    const out = new Map<string, PurchaseCheckAnswer>();
    for (const outcome of outcomes) {
      if (outcome.kind !== 'answered' || outcome.answer.offer === null) continue;
      const purpose = purposeOf.get(outcome.queryId);
      if (purpose === undefined) continue;
      out.set(outcome.answer.offer.offerId, { researcher: outcome.researcher, purpose, offer: outcome.answer.offer, keys: outcome.answer.keyList.map((entry) => entry.key) });
    }
    return out;
  }

  /** Offer ids this clinic accepted a purchase of (its own `purchase.accepted` events). */
  private soldOffers(all: readonly Folded[]): Set<string> {
    const sold = new Set<string>();
    for (const folded of all) for (const { detail } of folded.rows) if (detail.kind === 'accepted') for (const offerId of detail.offerIds) sold.add(offerId);
    return sold;
  }

  private async acceptOne(port: Port, purchaseId: string, how: 'manual' | 'automatic'): Promise<IncomingPurchaseState> {
    const view = await this.waiting(port, purchaseId);
    let state = await this.member(port, 'clinic');
    if (state === null) throw new VaultError('E_NODE', 'This node is not an approved clinic member of a network.');
    const { request } = view.signed;
    // A researcher who joined after this node's last look at the network map: ask for the current map once.
    if (!state.map.members.some((member) => member.address === request.researcher && member.messageKey === request.answerKey)) {
      await port.api.network.refresh({});
      state = (await this.member(port, 'clinic')) ?? state;
    }
    const check = checkPurchaseRequest(view.signed, {
      network: state.network,
      clinic: state.node,
      members: state.map.members.map((member) => ({ address: member.address, roles: member.roles, messageKey: member.messageKey ?? '' })),
      answers: await this.answers(port, request.researcher),
      sold: this.soldOffers(await this.folded(port)),
      now: this.clock(),
    });
    if (!check.ok) {
      await this.sendDecline(port, state, view.signed, null, check.reason);
      if (how === 'manual') throw new VaultError('E_NODE', `The request was declined: ${check.message}`);
      return 'declined';
    }
    // The notary first: if another request has these offers, nothing is signed.
    const claimed = await port.api.network.claim({ keys: request.offerIds.map((offerId) => consumptionKey('offer', state.node, offerId)), claim: check.hash });
    if (claimed.status === 'consumed') {
      await this.sendDecline(port, state, view.signed, check.hash, 'offer-sold');
      if (how === 'manual') throw new VaultError('E_NODE', 'This offer was sold already: the request was declined "offer already sold".');
      return 'declined';
    }
    this.handled.add(purchaseId);
    const meta: PurchaseAcceptedMeta = { v: 1, purchaseId, researcher: request.researcher, requestHash: check.hash, offerIds: [...request.offerIds], records: check.records, total: check.total, how };
    await port.appendEvent(MIND_KINDS.purchaseAccepted, meta);
    // The ledger signs PURCHASE_ACCEPTED after this replay; the body submits it to the notary.
    await port.sync();
    await port.api.network.refresh({}).catch(() => undefined);
    port.requestSync();
    return 'accepted';
  }

  private async sendDecline(port: Port, state: Joined, signed: SignedPurchaseRequest, requestHash: string | null, reason: PurchaseDeclineReason): Promise<void> {
    const { request } = signed;
    const researcher = state.map.members.find((member) => member.address === request.researcher);
    // A researcher the map no longer lists (or under another key) is not written to; the decline is still recorded.
    if (researcher !== undefined && researcher.messageKey === request.answerKey) {
      const payload: PurchaseDeclinedPayload = { type: 'purchase-declined', purchaseId: request.purchaseId, reason };
      const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: researcher.address, recipientMessageKey: request.answerKey, payload: encodePayload(payload), ttlMs: ANSWER_TTL_MS });
      await port.api.network.send({ envelopes: [envelope] });
    }
    this.handled.add(request.purchaseId);
    let hash = requestHash;
    if (hash === null) {
      try {
        hash = purchaseRequestHash(state.network.chainId, PurchaseRequestSchema.parse(request));
      } catch {
        hash = null;
      }
    }
    const meta: PurchaseDeclinedMeta = { v: 1, purchaseId: request.purchaseId, researcher: request.researcher, requestHash: hash, reason };
    await port.appendEvent(MIND_KINDS.purchaseDeclined, meta);
    port.requestSync();
  }

  /** After a replay: tell researchers of notarized acceptances; under "answer automatically", accept what waits. */
  private async afterReplay(port: Port): Promise<void> {
    if (!port.isCurrent()) return;
    const state = await this.member(port, 'clinic');
    if (state === null) return;
    const now = this.clock();
    const all = await this.folded(port);
    for (const folded of all) {
      const view = this.clinicView(folded, now);
      if (view === null || view.accepted === null || view.notified !== null || this.notified.has(folded.purchaseId)) continue;
      await this.notifyIfNotarized(port, state, view.signed, view.accepted).catch(() => undefined);
    }
    for (const folded of all) {
      const delivered = deliveredOf(folded);
      if (delivered === null || folded.rows.some((row) => row.detail.kind === 'delivery-notified') || this.deliveryNotified.has(folded.purchaseId)) continue;
      const view = this.clinicView(folded, now);
      if (view !== null) await this.notifyDeliveryIfNotarized(port, state, view.signed, delivered).catch(() => undefined);
    }
    for (const folded of all) {
      const delivered = deliveredOf(folded);
      if (delivered === null || this.keysDeclared.has(folded.purchaseId) || keepersHoldingOf(folded, delivered.keepers).stored < delivered.threshold) continue;
      // Not declared (no gas on this node's account, the chain away): the next replay tries again.
      await this.declareKeysReleased(port, folded.purchaseId).catch(() => this.keysDeclared.delete(folded.purchaseId));
    }
    for (const folded of all) {
      if (deliveredOf(folded) === null || this.clock() < (this.nextSettleCheck.get(folded.purchaseId) ?? 0)) continue;
      this.nextSettleCheck.set(folded.purchaseId, this.clock() + SETTLE_CHECK_MS);
      await this.settleIfWindowPassed(port, folded.purchaseId).catch(() => undefined);
    }
    const policy = await this.consent.policy();
    if (policy.answering !== 'automatic' || !policy.purposes['research-sale']) return;
    for (const folded of all) {
      if (!port.isCurrent()) return;
      const view = this.clinicView(folded, now);
      if (view === null || view.accepted !== null || view.declined !== null || view.expired || this.handled.has(folded.purchaseId)) continue;
      await this.acceptOne(port, folded.purchaseId, 'automatic').catch(() => undefined);
    }
  }

  /**
   * Once enough keepers confirmed they keep their shares, the clinic declares the keys released on
   * the escrow: the dispute window starts, after which the clinic and the keepers are paid even if
   * the researcher never acknowledges. Once per purchase and session; the escrow refuses a repeat.
   * The clinic's account pays the gas (a demo node gets some from the faucet).
   */
  private async declareKeysReleased(port: Port, purchaseId: string): Promise<void> {
    this.keysDeclared.add(purchaseId);
    const escrow = await this.escrowPayment(port);
    if (escrow === null) return;
    const payment = await escrow.status(purchaseIdInput(purchaseId));
    if (payment.state !== 'deposited' || payment.escrowState !== 'Deposited') return;
    await escrow.keysReleased(port.identity, purchaseIdInput(purchaseId));
  }

  /**
   * The researcher never acknowledged, and the dispute window after the keys' release has passed:
   * the clinic settles (the contract pays it and the keepers). Checked after replays, at most once a
   * minute per purchase, until paid.
   */
  private async settleIfWindowPassed(port: Port, purchaseId: string): Promise<void> {
    const escrow = await this.escrowPayment(port);
    if (escrow === null) return;
    const payment = await escrow.status(purchaseIdInput(purchaseId));
    if (payment.state !== 'deposited' || payment.escrowState === 'Paid' || payment.escrowState === 'Reclaimed') {
      this.nextSettleCheck.set(purchaseId, Number.POSITIVE_INFINITY);
      return;
    }
    if (payment.escrowState !== 'KeysReleased' || payment.settleableAt === null || (await escrow.chainTime()) < payment.settleableAt) return;
    await escrow.settleAfterWindow(port.identity, purchaseIdInput(purchaseId));
    this.nextSettleCheck.set(purchaseId, Number.POSITIVE_INFINITY);
  }

  /** Once the DATA_DELIVERY entry has its notary receipt: the researcher is told where the dataset is and who holds its key. */
  private async notifyDeliveryIfNotarized(port: Port, state: Joined, signed: SignedPurchaseRequest, delivered: PurchaseDeliveredMeta): Promise<void> {
    const rows = await port.db().ledger.where('subject').equals(purchaseIdInput(delivered.purchaseId)).toArray();
    const row = rows.find((candidate) => candidate.kind === 'DATA_DELIVERY' && candidate.notary !== undefined);
    if (row?.notary === undefined) return;
    const { request } = signed;
    const researcher = state.map.members.find((member) => member.address === request.researcher);
    if (researcher === undefined || researcher.messageKey !== request.answerKey) return;
    const entryDigest = new EntryHasher(ledgerDomain()).hash(parseEntry(row.entry));
    const payload: DatasetDeliveredPayload = {
      type: 'dataset-delivered',
      purchaseId: delivered.purchaseId,
      deliveryId: delivered.deliveryId,
      size: delivered.size,
      ciphertextSha256: delivered.ciphertextSha256,
      commitment: delivered.commitment,
      manifestSha256: delivered.manifestSha256,
      reportSha256: delivered.reportSha256,
      released: delivered.released,
      k: delivered.k,
      l: delivered.l,
      keepers: delivered.keepers,
      threshold: delivered.threshold,
      delivery: { seq: row.seq, entryDigest, leafIndex: row.notary.leafIndex, integratedAt: row.notary.integratedAt },
    };
    const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: researcher.address, recipientMessageKey: request.answerKey, payload: encodePayload(payload), ttlMs: ANSWER_TTL_MS });
    await port.api.network.send({ envelopes: [envelope] });
    this.deliveryNotified.add(delivered.purchaseId);
    const meta: PurchaseDeliveryNotifiedMeta = { v: 1, purchaseId: delivered.purchaseId, payload, messageId: envelope.id };
    await port.appendEvent(MIND_KINDS.purchaseDeliveryNotified, meta);
    port.requestSync();
  }

  /** Once the PURCHASE_ACCEPTED entry has its notary receipt: the researcher is told, with it. */
  private async notifyIfNotarized(port: Port, state: Joined, signed: SignedPurchaseRequest, accepted: PurchaseAcceptedMeta): Promise<void> {
    const rows = await port.db().ledger.where('subject').equals(accepted.requestHash).toArray();
    const row = rows.find((candidate) => candidate.kind === 'PURCHASE_ACCEPTED' && candidate.notary !== undefined);
    if (row?.notary === undefined) return;
    const { request } = signed;
    const researcher = state.map.members.find((member) => member.address === request.researcher);
    if (researcher === undefined || researcher.messageKey !== request.answerKey) return;
    const entryDigest = new EntryHasher(ledgerDomain()).hash(parseEntry(row.entry));
    const payload: PurchaseAcceptedPayload = {
      type: 'purchase-accepted',
      purchaseId: accepted.purchaseId,
      requestHash: accepted.requestHash,
      records: accepted.records,
      total: accepted.total,
      receipt: { seq: row.seq, entryDigest, leafIndex: row.notary.leafIndex, integratedAt: row.notary.integratedAt },
      acceptedAt: new Date(row.notary.integratedAt).toISOString(),
      // Who will hold the package key's shares, and so whom the buyer's deposit pays besides this clinic.
      keepers: chooseKeepers(state.map.members, accepted.purchaseId, [port.identity.address, request.researcher]),
    };
    const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: researcher.address, recipientMessageKey: request.answerKey, payload: encodePayload(payload), ttlMs: ANSWER_TTL_MS });
    await port.api.network.send({ envelopes: [envelope] });
    this.notified.add(accepted.purchaseId);
    const meta: PurchaseNotifiedMeta = { v: 1, purchaseId: accepted.purchaseId, payload, messageId: envelope.id };
    await port.appendEvent(MIND_KINDS.purchaseNotified, meta);
    port.requestSync();
  }

  // ——— Research node ———

  async request(input: PurchaseRequestInput): Promise<string[]> {
    const port = this.current();
    if (!Number.isInteger(input.days) || input.days < 1 || input.days * DAY_MS > MAX_PURCHASE_LIFETIME_MS) throw new VaultError('E_NODE', 'A purchase request stays open for 1 to 7 days.');
    try {
      const state = await this.member(port, 'research');
      if (state === null) throw new VaultError('E_NODE', 'Only an approved research member requests a purchase.');
      const row = await port.db().meta.get(BASKET_META_KEY);
      const basket = BasketMetaSchema.safeParse(row?.value);
      const items: readonly BasketItem[] = basket.success ? basket.data.items : [];
      if (items.length === 0) throw new VaultError('E_NODE', 'The basket is empty: add keys from a clinic’s answer first.');
      const myPurposes = await this.purposesOf(port);
      // One request per clinic: its offers, the keys selected from them, at their price.
      const byClinic = new Map<string, BasketItem[]>();
      for (const item of items) byClinic.set(item.clinic, [...(byClinic.get(item.clinic) ?? []), item]);
      const now = Date.now();
      const requests: PurchaseRequest[] = [];
      for (const [clinic, list] of byClinic) {
        const prices = new Set(list.map((item) => item.offer.pricePerRecord));
        if (prices.size > 1) throw new VaultError('E_NODE', 'The basket holds offers of one clinic at different prices: request them separately.');
        const purposes = new Set(list.map((item) => myPurposes.get(item.queryId)));
        const purpose = [...purposes][0];
        if (purposes.size > 1 || purpose === undefined) throw new VaultError('E_NODE', 'The basket holds one clinic’s answers to queries of different purposes: request them separately.');
        const offerIds = [...new Set(list.map((item) => item.offer.offerId))];
        if (offerIds.length > MAX_PURCHASE_OFFERS) throw new VaultError('E_NODE', `One request names at most ${MAX_PURCHASE_OFFERS} offers of a clinic: remove some of its answers from the basket.`);
        const keys = [...new Set(list.flatMap((item) => item.keys))];
        const pricePerRecord = list[0]!.offer.pricePerRecord;
        const parsed = PurchaseRequestSchema.safeParse({
          purchaseId: `0x${randomHex(16)}`,
          researcher: state.node,
          clinic,
          offerIds,
          keys,
          currency: 'PHD',
          pricePerRecord,
          total: phdTimes(pricePerRecord, keys.length),
          purpose,
          purposeText: input.purposeText,
          paymentAddress: input.paymentAddress,
          answerKey: hexOfPoint(port.messagePublicKey),
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + input.days * DAY_MS).toISOString(),
        });
        if (!parsed.success) throw new VaultError('E_NODE', 'A purchase request needs a stated purpose (at most 2,000 characters) and a checksummed EVM payment address.');
        requests.push(parsed.data);
      }
      const ids: string[] = [];
      for (const request of requests) {
        const clinic = state.map.members.find((member) => member.address === request.clinic);
        if (clinic?.messageKey === undefined) throw new VaultError('E_NODE', 'A clinic of the basket is no longer a member of the network.');
        const signed = await signPurchaseRequest(port.identity, state.network.chainId, request);
        const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: clinic.address, recipientMessageKey: clinic.messageKey, payload: encodePayload({ type: 'purchase-request', signed }), ttlMs: Math.min(ANSWER_TTL_MS, Date.parse(request.expiresAt) - now) });
        await port.api.network.send({ envelopes: [envelope] });
        const meta: PurchaseRequestedMeta = { v: 1, signed, requestHash: purchaseRequestHash(state.network.chainId, request), messageId: envelope.id };
        await port.appendEvent(MIND_KINDS.purchaseRequested, meta);
        ids.push(request.purchaseId);
      }
      await port.sync();
      return ids;
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** The purpose of each of this node's queries, by query id. */
  private async purposesOf(port: Port): Promise<Map<string, QueryPurpose>> {
    const rows = await port.db().myQueries.toArray();
    const posted = await decryptMany<{ readonly signed: { readonly query: { readonly queryId: string; readonly purpose: QueryPurpose } } }>(
      port.viewKey,
      rows.map((row) => ({ table: 'myQueries', id: row.queryId, stored: row.enc })),
    );
    return new Map(posted.map((meta) => [meta.signed.query.queryId, meta.signed.query.purpose]));
  }

  async mine(): Promise<MyPurchase[]> {
    const port = this.current();
    try {
      const { state } = await port.api.network.status({});
      const names = new Map((state?.map?.members ?? []).map((member) => [member.address, member.legalName]));
      const out: { at: number; purchase: MyPurchase }[] = [];
      for (const folded of await this.folded(port)) {
        const requested = folded.rows.find((row) => row.detail.kind === 'requested');
        if (requested === undefined || requested.detail.kind !== 'requested') continue;
        const { request } = requested.detail.signed;
        // Only the clinic the request went to answers it; its first answer counts.
        const answer = folded.rows.find((row) => row.detail.kind === 'answer-in' && row.detail.clinic === request.clinic && row.detail.payload.purchaseId === request.purchaseId);
        const payload = answer?.detail.kind === 'answer-in' ? answer.detail.payload : null;
        const deliveryRow = folded.rows.find((row) => row.detail.kind === 'delivery-in' && row.detail.clinic === request.clinic && row.detail.payload.purchaseId === request.purchaseId);
        const expired = Date.parse(request.expiresAt) <= Date.now();
        out.push({
          at: requested.value.at,
          purchase: {
            purchaseId: request.purchaseId,
            clinic: request.clinic,
            institution: names.get(request.clinic) ?? request.clinic,
            offerIds: request.offerIds,
            records: request.keys.length,
            total: request.total,
            expiresAt: request.expiresAt,
            state: payload === null ? (expired ? 'expired' : 'sent') : payload.type === 'purchase-accepted' ? 'accepted' : 'declined',
            reason: payload?.type === 'purchase-declined' ? PURCHASE_DECLINE_WORDS[payload.reason] : null,
            receipt: payload?.type === 'purchase-accepted' ? payload.receipt : null,
            keepers: payload?.type === 'purchase-accepted' ? (payload.keepers ?? null) : null,
            paymentAddress: request.paymentAddress,
            delivery: deliveryRow?.detail.kind === 'delivery-in' ? deliveryRow.detail.payload : null,
          },
        });
      }
      return out.sort((a, b) => b.at - a.at).map((entry) => entry.purchase);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  private async escrowPayment(port: Port): Promise<EscrowPayment | null> {
    const { state } = await port.api.network.status({});
    const settlement = state?.map?.settlement;
    return settlement === undefined ? null : new EscrowPayment(settlement, (call) => port.api.network.chain(call));
  }

  async payment(purchaseId: string): Promise<PaymentState> {
    const port = this.current();
    try {
      const escrow = await this.escrowPayment(port);
      return escrow === null ? { state: 'no-chain' } : await escrow.status(purchaseIdInput(purchaseId));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async balance(): Promise<bigint | null> {
    const port = this.current();
    try {
      const escrow = await this.escrowPayment(port);
      return escrow === null ? null : await escrow.balance(port.identity.address);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async checkRelease(purchaseId: string): Promise<ReleaseSummary> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator prepares a release.');
    try {
      const { checked, common } = await this.prepareRelease(port, purchaseId);
      if (!checked.ok) return { ok: false, reason: checked.reason, ...common };
      const { report, reportSha256 } = checked.release;
      const released = new Set(checked.release.pseudonymMap.values());
      const instances = (await releaseInstancesOf(port.db(), port.viewKey, checked.patients.patientIds)).filter((instance) => released.has(instance.patientId));
      const dicom = { instances: instances.length, patients: new Set(instances.map((instance) => instance.patientId)).size };
      return { ok: true, released: report.rows.out, suppressed: report.rows.suppressed, required: { k: report.required.k, l: report.required.l }, achieved: { k: report.achieved.k, l: report.achieved.l }, reportSha256, ...common, dicom };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** An accepted purchase as this clinic's rows hold it, with its delivery once released. */
  private async acceptedPurchase(port: Port, purchaseId: string) {
    const folded = (await this.folded(port)).find((candidate) => candidate.purchaseId === purchaseId);
    const view = folded === undefined ? null : this.clinicView(folded, this.clock());
    if (folded === undefined || view === null || view.accepted === null) throw new VaultError('E_NODE', 'Only a purchase this clinic accepted is released.');
    return { view, delivered: deliveredOf(folded) };
  }

  /** An accepted purchase's records, de-identified on this node: the release or why not (dataset-release.ts). */
  private async prepareRelease(port: Port, purchaseId: string, accepted?: Awaited<ReturnType<PurchasesFeature['acceptedPurchase']>>) {
    const { view, delivered } = accepted ?? (await this.acceptedPurchase(port, purchaseId));
    const { request } = view.signed;
    // Each purchased key's cohort tag, from this clinic's answers that made the offers.
    const tagOfKey = new Map<string, string>();
    let k = 5;
    // Longitudinal only if every purchased offer said so; Safe Harbor (dates to the year) is the stricter.
    let longitudinal = true;
    for (const outcome of await this.outcomesFor(port, request.researcher)) {
      if (outcome.kind !== 'answered' || outcome.answer.offer === null || !request.offerIds.includes(outcome.answer.offer.offerId)) continue;
      outcome.answer.keyList.forEach((entry, i) => {
        const tag = outcome.keyTags[i];
        if (tag !== undefined) tagOfKey.set(entry.key, tag);
      });
      k = Math.max(k, Math.min(11, outcome.answer.offer.k));
      if (outcome.answer.offer.profile !== 'hipaa-longitudinal-k') longitudinal = false;
    }
    const tags = request.keys.flatMap((key) => {
      const tag = tagOfKey.get(key);
      return tag === undefined ? [] : [tag];
    });
    const db = port.db();
    const patients = await resolvePurchasedPatients(db, port.indexKey, tags, (ids) => this.consent.allowed(ids, request.purpose));
    const resolved = { ...patients, missing: patients.missing + (request.keys.length - tags.length) };
    const sources = await deidSourcesOf(db, port.viewKey, patients.patientIds);
    // The profile the offers were made under (what the researcher bought); the largest shift and the DICOM Options from the policy now.
    const policy = releaseProfileOf(await this.consent.policy());
    const chosen = longitudinal && tagOfKey.size > 0 ? ('longitudinal' as const) : ('safe-harbor' as const);
    // The policy's DICOM Options under the offers' profile: Safe Harbor drops those it does not allow.
    const profile = { profile: chosen, maxShiftDays: policy.maxShiftDays, dicomOptions: releaseProfileOf({ releaseProfile: chosen, dicomOptions: [...policy.dicomOptions] }).dicomOptions };
    const checked = await checkRelease(sources, resolved, { k, l: 2, maxSuppression: 0.05 }, new Date(this.clock()).toISOString().slice(0, 10), profile);
    return { view, request, checked, common: { records: request.keys.length, missing: resolved.missing, withdrawn: resolved.withdrawn }, delivered };
  }

  async release(purchaseId: string): Promise<PurchaseDeliveredMeta> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator releases a dataset.');
    const running = this.releases.get(purchaseId);
    if (running !== undefined) return running;
    const made = this.releaseOnce(port, purchaseId);
    this.releases.set(purchaseId, made);
    // A failed release may be tried again; a delivered one stays answered.
    made.catch(() => this.releases.delete(purchaseId));
    return made;
  }

  private async releaseOnce(port: Port, purchaseId: string): Promise<PurchaseDeliveredMeta> {
    try {
      // Delivered already: that delivery is the answer, and nobody is de-identified again.
      const accepted = await this.acceptedPurchase(port, purchaseId);
      if (accepted.delivered !== null) return withoutPatients(accepted.delivered);
      const { view, request, checked } = await this.prepareRelease(port, purchaseId, accepted);
      if (!checked.ok) throw new VaultError('E_NODE', `Not releasable: ${checked.reason}`);
      const keepers = view.notified?.payload.keepers ?? [];
      if (view.notified === null || keepers.length === 0) throw new VaultError('E_NODE', 'The acceptance named no key keepers (or is not notarized yet): there is nobody to hold the package key.');
      const state = await this.member(port, 'clinic');
      if (state === null) throw new VaultError('E_NODE', 'This node is not an approved clinic member of a network.');
      const recipients = keepers.map((address) => {
        const member = state.map.members.find((candidate) => candidate.address === address);
        if (member?.messageKey === undefined) throw new VaultError('E_NODE', `Keeper ${address} is no longer in the network map: the purchase cannot be delivered as accepted.`);
        return { recipientId: address, publicKey: member.messageKey };
      });
      // Paid first: the deposit is in escrow at the network's confirmation depth.
      const escrow = await this.escrowPayment(port);
      if (escrow === null) throw new VaultError('E_NODE', 'The network names no settlement chain: a purchase cannot be paid, so nothing is delivered.');
      const payment = await escrow.status(purchaseIdInput(purchaseId));
      if (payment.state !== 'deposited' || payment.escrowState !== 'Deposited' || payment.confirmations < payment.required) throw new VaultError('E_NODE', 'The researcher has not paid into escrow yet (or the deposit is not confirmed): the dataset is delivered once it is.');

      // Who leaves under which pseudonym: recorded with the delivery (released rows only, not the suppressed).
      const patients = checked.release.dataset.rows.map((row) => packReleasedPatient({ patientId: checked.release.pseudonymMap.get(row.pseudonym)!, pseudonym: row.pseudonym }));
      // The released patients' DICOM instances, read one at a time as the package is written.
      const instances = await releaseInstancesOf(port.db(), port.viewKey, checked.patients.patientIds);
      const deliveryId = randomHex(16);
      const staging = deliveryStageApi(port.api);
      const sealed = await sealRelease({ api: staging, id: deliveryId }, checked.release, purchaseId, request.offerIds, vaultInstances(port.api, port.opener, instances));
      try {
        await uploadPackage(staging, { recipient: request.researcher, purchaseId, sealed });
        const { ciphertextSha256, keyCommitment } = sealed.summary;
        const shares = await splitPackageKey(sealed.key, recipients, { purchaseId, ciphertextSha256, commitment: keyCommitment });
        const envelopes = await Promise.all(
          shares.map((share, i) =>
            sealMessage({ signer: walletRequestSigner(port.identity), recipient: keepers[i]!, recipientMessageKey: recipients[i]!.publicKey, payload: encodeKeeperPayload({ type: 'key-share-deposit', purchaseId, share }), ttlMs: ANSWER_TTL_MS }),
          ),
        );
        await port.api.network.send({ envelopes });
        const { report, reportSha256 } = checked.release;
        const policy = await this.consent.policy();
        const meta: PurchaseDeliveredMeta = {
          v: 1,
          purchaseId,
          researcher: request.researcher,
          deliveryId,
          size: sealed.size,
          ciphertextSha256,
          commitment: keyCommitment,
          manifestSha256: sealed.summary.manifestSha256,
          reportSha256,
          released: report.rows.out,
          suppressed: report.rows.suppressed,
          k: report.achieved.k,
          l: report.achieved.l,
          keepers: [...keepers],
          threshold: shares[0]!.threshold,
          // What left, for the clinic's own record (journal only: the ledger entry picks the fields above).
          patients,
          purpose: request.purpose,
          consentMode: policy.mode,
          profile: report.profile,
          dicom: { instances: sealed.dicom.released, excluded: Object.values(sealed.dicom.excluded).reduce((sum, n) => sum + n, 0) },
        };
        await port.appendEvent(MIND_KINDS.purchaseDelivered, meta);
        port.requestSync();
        return withoutPatients(meta);
      } finally {
        sealed.key.fill(0);
      }
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async whatLeft(purchaseId: string): Promise<WhatLeft> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator sees which patients left in a dataset.');
    try {
      const { view, delivered } = await this.acceptedPurchase(port, purchaseId);
      if (delivered === null) throw new VaultError('E_NODE', 'This purchase was not delivered: nothing left.');
      const state = await this.member(port, 'clinic');
      const released = (delivered.patients ?? []).map(unpackReleasedPatient);
      const hits = new Map((await patientHits(port.db(), port.viewKey, [...new Set(released.map((patient) => patient.patientId))])).map((hit) => [hit.patientId, hit]));
      return {
        purchaseId,
        researcher: delivered.researcher,
        institution: state?.map.members.find((member) => member.address === delivered.researcher)?.legalName ?? null,
        purposeText: view.signed.request.purposeText,
        delivery: withoutPatients(delivered),
        patients: released.map((patient) => {
          const hit = hits.get(patient.patientId);
          return { pseudonym: patient.pseudonym, patientId: patient.patientId, name: hit?.name ?? null, identifier: hit?.identifier ?? null };
        }),
        recorded: delivered.patients !== undefined,
      };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async datasetsOfPatient(patientId: string): Promise<PatientDataset[]> {
    const port = this.current();
    try {
      const found = await datasetsOfPatient(port.db(), port.viewKey, patientId);
      if (found.length === 0) return [];
      const { state } = await port.api.network.status({});
      const names = new Map((state?.map?.members ?? []).map((member) => [member.address, member.legalName]));
      return found.map((dataset) => ({ ...dataset, institution: names.get(dataset.researcher) ?? null }));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** This clinic's answers to one researcher's queries, decrypted. */
  private async outcomesFor(port: Port, researcher: string): Promise<QueryOutcomeDetail[]> {
    const rows = (await port.db().queryOutcomes.where('researcher').equals(researcher).toArray()).filter((row) => row.kind === 'answered');
    return decryptMany<QueryOutcomeDetail>(
      port.viewKey,
      rows.map((row) => ({ table: 'queryOutcomes', id: String(row.seq), stored: row.enc })),
    );
  }

  async faucet(): Promise<DevFaucetAnswer> {
    const port = this.current();
    try {
      return await port.api.network.faucet({});
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async reclaim(purchaseId: string): Promise<PaymentState> {
    const port = this.current();
    try {
      const escrow = await this.escrowPayment(port);
      if (escrow === null) throw new VaultError('E_NODE', 'The network names no settlement chain.');
      const id = purchaseIdInput(purchaseId);
      const payment = await escrow.status(id);
      if (payment.state !== 'deposited' || payment.escrowState !== 'Deposited') throw new VaultError('E_NODE', 'Only a deposit whose keys were not released is reclaimed.');
      if (!payment.reclaimable) throw new VaultError('E_NODE', `The deposit can be reclaimed after its deadline, ${new Date(payment.deadline * 1000).toISOString()}, if no keys were released by then.`);
      await escrow.reclaim(port.identity, id);
      return await escrow.status(id);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async pay(purchaseId: string): Promise<PaymentState> {
    const port = this.current();
    const purchase = (await this.mine()).find((candidate) => candidate.purchaseId === purchaseId);
    if (purchase === undefined) throw new VaultError('E_NODE', 'No such purchase request on this node.');
    if (purchase.state !== 'accepted') throw new VaultError('E_NODE', 'Only a purchase the clinic accepted is paid.');
    if (purchase.keepers === null || purchase.keepers.length === 0) throw new VaultError('E_NODE', 'The clinic named no key keepers for this purchase (the network has fewer than three at different institutions): it cannot be delivered, so it is not paid.');
    if (purchase.paymentAddress !== port.identity.address) throw new VaultError('E_NODE', `This purchase is paid from ${purchase.paymentAddress}, not this node's account: deposit from that account.`);
    try {
      const escrow = await this.escrowPayment(port);
      if (escrow === null) throw new VaultError('E_NODE', 'The network names no settlement chain to pay on.');
      const before = await escrow.status(purchaseIdInput(purchaseId));
      if (before.state !== 'unpaid') return before;
      const requested = (await this.folded(port)).find((folded) => folded.purchaseId === purchaseId)?.rows.find((row) => row.detail.kind === 'requested');
      if (requested?.detail.kind !== 'requested') throw new VaultError('E_NODE', 'No such purchase request on this node.');
      const deposit = escrowDepositFor(requested.detail.signed.request, purchase.keepers);
      const balance = await escrow.balance(port.identity.address);
      if (balance < deposit.amount) throw new VaultError('E_NODE', `This node's account holds ${phdString(balance / 10n ** 12n)} PHD; the purchase costs ${purchase.total} PHD.`);
      const paid = await escrow.pay(port.identity, deposit);
      const meta: PurchasePaidMeta = { v: 1, purchaseId, clinic: purchase.clinic, chainId: escrow.settlement.chainId, escrow: escrow.settlement.escrow, txHash: paid.txHash, block: paid.block, amount: deposit.amount.toString() };
      await port.appendEvent(MIND_KINDS.purchasePaid, meta);
      port.requestSync();
      return await escrow.status(purchaseIdInput(purchaseId));
    } catch (error) {
      throw asVaultError(error);
    }
  }
}
