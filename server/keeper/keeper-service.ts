import { hexlify, randomBytes, sha256 } from 'ethers';
import type pino from 'pino';
import { canonicalJson } from '../../shared/research/deid/release-report';
import { signJoinRequest } from '../../shared/network/membership';
import { inspectNetworkMapForPinning, type NetworkMap } from '../../shared/network/network-map';
import { checkNotarized, consumptionKey, purchaseIdInput, type Notarized, type NotarySignedEntry } from '../../shared/network/notary';
import { MessageIdSchema, openMessage, RelayEnvelopeError, sealMessage } from '../../shared/network/relay';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { EntryHasher, ledgerDomain } from '../../shared/ledger/ledger-schema';
import { checkKeyReleaseRequest, decodeKeeperPayload, encodeKeeperPayload, KEY_RELEASE_REFUSAL_WORDS, type KeeperPayload, type KeyReleaseRefusal, type KeyReleaseRequestPayload, type KeyShareDepositPayload, type KeyShareRefusal } from '../../shared/research/key-release';
import { KeySplitError, openKeyShare, resealKeyShare } from '../../shared/research/package/key-split';
import { phdUnits } from '../../shared/research/purchase-request';
import { openCheckpoint } from '../../shared/transparency/log-verifier';
import { parseVkey } from '../../shared/transparency/note';
import { utf8 } from '../../shared/transparency/bytes';
import type { EscrowView } from './escrow-view';
import { KeeperClient, KeeperNetworkError, type InboxPage } from './keeper-client';
import { loadOrCreateKeeperKeys, type KeeperKeys } from './keeper-keys';
import { KeeperStore, type PendingRelease } from './keeper-store';
import { provenEntry, witnessedCheckpoint } from './notarized-entries';

/**
 * The key keeper (issue 15 item 6; design §11): a headless member with the `keeper` role that holds
 * one Shamir share per purchase and releases it to the buyer once, for a notarized, paid, unexpired
 * purchase. Message formats: shared/research/key-release.ts; what is kept on disk:
 * keeper-store.ts; the chain: escrow-view.ts; "notarized": notarized-entries.ts.
 *
 * THE LOOP. Every `pollMs` it reads its relay inbox in pages of INBOX_PAGE, opens each envelope
 * (the relay's checks: addressed to it, unexpired, signed by a current member), handles a deposit or
 * a release request, and acknowledges it. Anything else (a malformed envelope, a payload of another
 * kind, garbage) is dropped with one log line naming the message id and why; nothing in a message
 * can stop the loop, and memory is bounded by the page (and the network's maxMessageSize).
 *
 * A RELEASE, once every check passed: it reseals its share to the buyer, claims
 * `key-release:<keeper>:<purchase id>` at the notary (409: "already released"), signs a KEY_RELEASE
 * entry (subject the purchase request's hash, input the purchase id, payload hash over its details),
 * keeps {entry, resealed share} in releases/ (fsynced), appends the entry to its ledger, submits it
 * and, once notarized, sends the share with the receipt and deletes the pending file. A crash
 * anywhere after the claim is finished by the next pass (or the buyer's retry, whose claim for the
 * same subject is the same claim): the claim, the append and the submission are idempotent.
 *
 * LOGS: message ids, purchase ids, member addresses, refusal codes; never a share, a key, an
 * envelope or a payload (the keeper sees no PHI; shares are secrets).
 */

export interface KeeperOptions {
  readonly dataDir: string;
  readonly serverUrl: string;
  /** For the join request at the first start. */
  readonly legalName?: string;
  readonly country?: string;
  /** The network's fingerprint, compared at the first start before the network key is pinned. */
  readonly fingerprint?: string;
  /** The chain: an EscrowView, or one built from the verified map (null when the network has no chain). */
  readonly escrow: EscrowView | null | ((map: NetworkMap) => EscrowView | null);
  readonly log: pino.Logger;
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly appVersion?: string;
}

export class KeeperStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeeperStartError';
  }
}

const RELAY_TTL_MS = 7 * 24 * 3600_000;
const MAP_MAX_AGE_MS = 10_000;
const TOKEN_UNITS_PER_MILLIONTH = 10n ** 12n; // PHD has 18 decimals; prices are in millionths
const hasher = new EntryHasher(ledgerDomain());

function envelopeId(envelope: unknown): string | null {
  const id = MessageIdSchema.safeParse((envelope as { id?: unknown } | null)?.id);
  return id.success ? id.data : null;
}

type Refusal = { readonly reason: KeyReleaseRefusal; readonly message: string };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export class KeeperService {
  readonly #keys: KeeperKeys;
  readonly #store: KeeperStore;
  readonly #client: KeeperClient;
  readonly #options: KeeperOptions;
  readonly #log: pino.Logger;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #map: NetworkMap | null = null;
  #mapAt = 0;
  /** When a message from an unknown sender last made it read the map again. */
  #forcedMapAt = 0;
  #escrow: EscrowView | null = null;
  #running: Promise<void> | null = null;

  private constructor(keys: KeeperKeys, store: KeeperStore, client: KeeperClient, options: KeeperOptions) {
    this.#keys = keys;
    this.#store = store;
    this.#client = client;
    this.#options = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  get address(): string {
    return this.#keys.identity.address;
  }

  get messageKey(): string {
    return this.#keys.messagePublicKey;
  }

  get store(): KeeperStore {
    return this.#store;
  }

  /** Loads (or makes) the keeper's keys, pins the network at the first start, and asks to join if it has not. */
  static async open(options: KeeperOptions): Promise<KeeperService> {
    const { keys, created } = await loadOrCreateKeeperKeys(options.dataDir);
    const store = new KeeperStore(options.dataDir);
    let pinned = store.pinned();
    if (pinned === null) {
      let inspected;
      try {
        const response = await fetch(`${options.serverUrl}/v1/network-map`, { signal: AbortSignal.timeout(30_000) });
        inspected = inspectNetworkMapForPinning(await response.json());
      } catch (error) {
        throw new KeeperStartError(`The server's network map could not be read or does not verify (${(error as Error).message}).`);
      }
      if (options.fingerprint !== undefined && options.fingerprint.replace(/\s/g, '').toUpperCase() !== inspected.fingerprint.replace(/\s/g, '')) {
        throw new KeeperStartError(`The network's fingerprint is ${inspected.fingerprint}, not the one given: nothing was pinned.`);
      }
      pinned = { ...inspected.pinned, serverUrl: options.serverUrl };
      store.pin(pinned);
      options.log.info({ event: 'network-pinned', network: pinned.address, fingerprint: inspected.fingerprint }, 'network pinned');
    } else if (pinned.serverUrl !== options.serverUrl) {
      options.log.info({ event: 'server-moved' }, 'the server URL differs from the first start; the pinned network key still applies');
    }
    const client = new KeeperClient(options.serverUrl, keys.identity, { address: pinned.address, chainId: pinned.chainId });
    const service = new KeeperService(keys, store, client, options);
    options.log.info({ event: 'keeper-open', keeper: keys.identity.address, created }, 'keeper keys loaded');
    await service.#askToJoin();
    return service;
  }

  async #askToJoin(): Promise<void> {
    const status = await this.#client.joinStatus();
    if (status === null) {
      const { legalName, country } = this.#options;
      if (legalName === undefined || country === undefined) throw new KeeperStartError('This keeper has not joined the network yet: give --name and --country for its join request.');
      const request = await signJoinRequest(this.#keys.identity, this.#client.network.chainId, {
        network: this.#client.network.address,
        node: this.address,
        legalName,
        country: country.toUpperCase(),
        roles: ['keeper'],
        messageKey: this.#keys.messagePublicKey,
        appVersion: this.#options.appVersion ?? '0.1.0',
        nonce: hexlify(randomBytes(32)),
        createdAt: this.#now(),
      });
      const answer = await this.#client.join(request);
      this.#log.info({ event: 'join-requested', status: answer.status }, 'join request sent');
    } else if (status.status === 'rejected' || status.status === 'revoked') {
      throw new KeeperStartError(`This keeper's membership is ${status.status}.`);
    }
  }

  /** The join's status: 'approved' once the operator approved it and the map lists this keeper. */
  async membership(): Promise<'pending' | 'approved' | 'rejected' | 'revoked'> {
    const status = await this.#client.joinStatus();
    if (status === null) throw new KeeperStartError('The network does not know this keeper’s join request.');
    if (status.status !== 'approved') return status.status;
    const map = await this.#refreshMap(true);
    const own = map.members.find((m) => m.certificate.member === this.address);
    if (own === undefined) return 'pending';
    if (!own.certificate.roles.includes('keeper') || own.certificate.messageKey !== this.#keys.messagePublicKey) throw new KeeperStartError('The network certified this keeper without the keeper role or with another message key.');
    return 'approved';
  }

  /** Resolves once approved (polling every pollMs); throws when rejected or revoked. */
  async waitForApproval(): Promise<void> {
    for (;;) {
      const status = await this.membership();
      if (status === 'approved') return;
      if (status === 'rejected' || status === 'revoked') throw new KeeperStartError(`This keeper's membership is ${status}.`);
      await sleep(this.#options.pollMs ?? 1000, this.#stop.signal);
      if (this.#stop.signal.aborted) throw new KeeperStartError('Stopped while waiting for approval.');
    }
  }

  async #refreshMap(force = false): Promise<NetworkMap> {
    if (!force && this.#map !== null && this.#now() - this.#mapAt < MAP_MAX_AGE_MS) return this.#map;
    const signed = await this.#client.networkMap(this.#map?.epoch);
    this.#map = signed.map;
    this.#mapAt = this.#now();
    const escrow = this.#options.escrow;
    this.#escrow = typeof escrow === 'function' ? escrow(signed.map) : escrow;
    return signed.map;
  }

  /** Runs passes every pollMs until stop(). A failed pass (the server away) is logged and retried. */
  start(): void {
    if (this.#running !== null) return;
    this.#running = (async () => {
      while (!this.#stop.signal.aborted) {
        try {
          await this.pollOnce();
        } catch (error) {
          this.#log.warn({ event: 'pass-failed', error: (error as Error).message }, 'keeper pass failed; retrying');
        }
        await sleep(this.#options.pollMs ?? 1000, this.#stop.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** One pass: finishes releases in progress, then handles and acknowledges every message in the inbox. Returns how many messages it took. */
  async pollOnce(): Promise<number> {
    const map = await this.#refreshMap();
    for (const pending of this.#store.pendingReleases()) await this.#finishRelease(map, pending);
    let handled = 0;
    let after = 0;
    for (;;) {
      const page = await this.#client.inbox(after);
      for (const delivery of page.messages) {
        await this.#handle(map, delivery);
        handled++;
      }
      await this.#client.ack([...new Set(page.messages.map((m) => envelopeId(m.envelope)).filter((id) => id !== null))]);
      if (page.next === null || page.messages.length === 0) break;
      after = page.next;
    }
    return handled;
  }

  async #handle(pass: NetworkMap, delivery: InboxPage['messages'][number]): Promise<void> {
    // Logged only in its own form (32 hex digits): a malformed envelope's "id" could be anything.
    const id = envelopeId(delivery.envelope) ?? 'malformed';
    let map = pass;
    let payload: KeeperPayload | null;
    let from: string;
    const open = (current: NetworkMap) =>
      openMessage(delivery.envelope, this.#keys.messagePrivateKey, this.address, {
        resolveSender: (address) => current.members.some((m) => m.certificate.member === address),
        now: this.#now(),
        maxMessageSize: current.parameters.maxMessageSize,
      });
    try {
      let opened;
      try {
        opened = await open(map);
      } catch (error) {
        // A member newer than the map this pass read (a clinic that joined seconds ago): read the map again once before dropping it.
        // At most every 2 s: a flood from non-members costs the server one map read per 2 s, not one per message.
        if (!(error instanceof RelayEnvelopeError) || error.code !== 'unknown_sender' || this.#now() - this.#forcedMapAt < 2000) throw error;
        this.#forcedMapAt = this.#now();
        map = await this.#refreshMap(true);
        opened = await open(map);
      }
      from = opened.from;
      payload = decodeKeeperPayload(opened.payload);
    } catch (error) {
      this.#log.warn({ event: 'message-dropped', id, code: error instanceof RelayEnvelopeError ? error.code : 'unreadable' }, 'relay message dropped');
      return;
    }
    try {
      switch (payload?.type) {
        case 'key-share-deposit':
          return await this.#deposit(map, from, payload);
        case 'key-release-request':
          return await this.#release(map, from, payload);
        default:
          this.#log.warn({ event: 'message-dropped', id, from, code: payload === null ? 'unknown-payload' : `unexpected-${payload.type}` }, 'relay message dropped');
      }
    } catch (error) {
      this.#log.error({ event: 'message-failed', id, from, error: (error as Error).message }, 'handling a message failed');
    }
  }

  async #reply(map: NetworkMap, to: string, payload: KeeperPayload): Promise<void> {
    const member = map.members.find((m) => m.certificate.member === to);
    if (member === undefined) return;
    try {
      const envelope = await sealMessage({
        signer: walletRequestSigner(this.#keys.identity),
        recipient: to,
        recipientMessageKey: member.certificate.messageKey,
        payload: encodeKeeperPayload(payload),
        ttlMs: RELAY_TTL_MS,
        now: this.#now(),
        maxMessageSize: map.parameters.maxMessageSize,
      });
      await this.#client.send([envelope]);
    } catch (error) {
      this.#log.warn({ event: 'reply-failed', to, type: payload.type, error: (error as Error).message }, 'answer not sent');
    }
  }

  // ——— Deposits ———

  async #deposit(map: NetworkMap, from: string, payload: KeyShareDepositPayload): Promise<void> {
    const purchaseId = payload.purchaseId;
    const refuse = async (reason: KeyShareRefusal): Promise<void> => {
      this.#log.info({ event: 'share-refused', purchaseId, clinic: from, reason }, 'key share refused');
      await this.#reply(map, from, { type: 'key-share-refused', purchaseId, reason });
    };
    const sender = map.members.find((m) => m.certificate.member === from);
    if (sender === undefined || !sender.certificate.roles.includes('clinic')) return refuse('not-a-clinic');
    try {
      const opened = await openKeyShare(payload.share, this.#keys.messagePrivateKey, { purchaseId, recipientId: this.address });
      opened.share.fill(0);
    } catch (error) {
      if (!(error instanceof KeySplitError)) throw error;
      if (error.code === 'wrong-recipient') return refuse(payload.share.recipientId !== this.address ? 'wrong-keeper' : 'wrong-purchase');
      return refuse(error.code === 'undecryptable' ? 'undecryptable' : 'malformed');
    }
    const existing = this.#store.share(purchaseId);
    if (existing !== null && existing.clinic !== from) return refuse('conflict');
    this.#store.putShare(from, payload.share, this.#now());
    this.#log.info({ event: 'share-stored', purchaseId, clinic: from }, 'key share stored');
    await this.#reply(map, from, { type: 'key-share-stored', purchaseId });
  }

  // ——— Releases ———

  async #release(map: NetworkMap, from: string, payload: KeyReleaseRequestPayload): Promise<void> {
    const purchaseId = payload.request.purchaseId;
    let refusal: Refusal | null;
    try {
      refusal = await this.#releaseChecked(map, from, payload);
    } catch (error) {
      // The chain or the notary failed to answer (or answered nonsense): the buyer may ask again.
      this.#log.warn({ event: 'release-unavailable', purchaseId, error: (error as Error).message }, 'release checks could not run');
      refusal = { reason: 'unavailable', message: KEY_RELEASE_REFUSAL_WORDS.unavailable };
    }
    if (refusal !== null) {
      this.#log.info({ event: 'release-refused', purchaseId, buyer: from, reason: refusal.reason }, 'key release refused');
      await this.#reply(map, from, { type: 'key-release-refused', purchaseId, reason: refusal.reason, message: refusal.message.slice(0, 500) });
    }
  }

  /** Runs every check; on success starts the release and returns null; otherwise the refusal. */
  async #releaseChecked(map: NetworkMap, from: string, payload: KeyReleaseRequestPayload): Promise<Refusal | null> {
    const words = KEY_RELEASE_REFUSAL_WORDS;
    if (from !== payload.request.buyer) return { reason: 'invalid', message: 'The release request was sent by someone else than the buyer it names.' };
    const checked = checkKeyReleaseRequest(this.#client.network.chainId, payload, this.address, this.#now());
    if (!checked.ok) return { reason: checked.reason, message: checked.message };
    const { request, purchase } = checked;
    const purchaseId = request.purchaseId;
    const stored = this.#store.share(purchaseId);
    if (stored === null || stored.clinic !== request.clinic) return { reason: 'no-share', message: words['no-share'] };

    // 1. The acceptance and the delivery, in the log under a witnessed checkpoint.
    const checkpoint = await witnessedCheckpoint(this.#client, map, request.checkpointSize === 0 ? undefined : request.checkpointSize);
    if (!checkpoint.ok) return { reason: 'not-notarized', message: checkpoint.problem };
    const acceptance = await provenEntry(this.#client, map, checkpoint.value, request.clinic, request.acceptanceSeq);
    if (!acceptance.ok) return { reason: 'not-notarized', message: `Purchase acceptance: ${acceptance.problem}` };
    if (acceptance.value.entry.kind !== 'PURCHASE_ACCEPTED' || acceptance.value.entry.subject !== request.purchaseRequestHash) return { reason: 'not-notarized', message: 'The named entry is not the clinic’s acceptance of this purchase request.' };
    const delivery = await provenEntry(this.#client, map, checkpoint.value, request.clinic, request.deliverySeq);
    if (!delivery.ok) return { reason: 'not-notarized', message: `Delivery: ${delivery.problem}` };
    if (delivery.value.entry.kind !== 'DATA_DELIVERY' || delivery.value.entry.subject !== purchaseIdInput(purchaseId)) return { reason: 'not-notarized', message: 'The named entry is not the clinic’s delivery of this purchase.' };
    const [hash, commitment] = delivery.value.entry.inputs;
    if (hash !== `0x${stored.share.ciphertextSha256}` || commitment !== `0x${stored.share.commitment}`) return { reason: 'share-mismatch', message: words['share-mismatch'] };

    // 2–3. Paid into escrow by the payer, deep enough, before the deadline.
    const escrow = this.#escrow;
    if (escrow === null) return { reason: 'unavailable', message: 'This keeper has no settlement chain to check the payment on.' };
    const record = await escrow.purchase(purchaseId);
    if (record === null || (record.state !== 'Deposited' && record.state !== 'KeysReleased')) return { reason: 'no-payment', message: words['no-payment'] };
    if (record.buyer !== purchase.request.paymentAddress) return { reason: 'wrong-payer', message: words['wrong-payer'] };
    if (record.amount < phdUnits(purchase.request.total) * TOKEN_UNITS_PER_MILLIONTH) return { reason: 'no-payment', message: 'The deposit is less than the purchase’s total.' };
    const depth = await escrow.depositConfirmations(purchaseId);
    if (depth === null) return { reason: 'no-payment', message: words['no-payment'] };
    if (depth < escrow.confirmations) return { reason: 'confirmations', message: `The deposit has ${depth} of the ${escrow.confirmations} confirmations required.` };
    if (BigInt(await escrow.chainTime()) >= record.deadline) return { reason: 'expired', message: 'The escrow deadline has passed.' };

    // 4. Once: claim the release at the notary, then sign it.
    const share = await openKeyShare(stored.share, this.#keys.messagePrivateKey, { purchaseId, recipientId: this.address });
    let resealed;
    try {
      resealed = await resealKeyShare(share, { recipientId: request.buyer, publicKey: purchase.request.answerKey });
    } finally {
      share.share.fill(0);
    }
    const input = purchaseIdInput(purchaseId);
    if (!(await this.#client.claim([consumptionKey('key-release', this.address, input)], request.purchaseRequestHash))) return { reason: 'already-released', message: words['already-released'] };
    const details = canonicalJson({ type: 'key-release', purchaseId, buyer: request.buyer, clinic: request.clinic, ciphertextSha256: stored.share.ciphertextSha256, commitment: stored.share.commitment, acceptanceSeq: request.acceptanceSeq, deliverySeq: request.deliverySeq });
    // Kept before it joins the ledger: a restart finds the pending release and appends, submits and sends it.
    const signed = await this.#store.signNext(this.#keys.identity, { kind: 'KEY_RELEASE', subject: request.purchaseRequestHash, payloadHash: sha256(utf8(details)), inputs: [input], createdAt: this.#now() });
    const pending: PendingRelease = { purchaseId, buyer: request.buyer, signed, share: resealed };
    this.#store.putPendingRelease(pending);
    this.#log.info({ event: 'release-signed', purchaseId, buyer: request.buyer, seq: signed.entry.seq }, 'key release signed');
    await this.#finishRelease(map, pending);
    return null;
  }

  /** Submits a release's entry; once notarized, sends the share to the buyer and forgets the pending release. */
  async #finishRelease(map: NetworkMap, pending: PendingRelease): Promise<void> {
    this.#store.append(pending.signed);
    const notarized = await this.#notarize(map, pending.signed);
    if (notarized === null) return;
    const digest = hasher.hash(pending.signed.entry);
    try {
      await this.#replyOrThrow(map, pending.buyer, { type: 'key-release', purchaseId: pending.purchaseId, share: pending.share, receipt: { seq: pending.signed.entry.seq, entryDigest: digest, leafIndex: notarized.receipt.leafIndex } });
    } catch (error) {
      this.#log.warn({ event: 'release-send-failed', purchaseId: pending.purchaseId, error: (error as Error).message }, 'released share not sent yet; retried next pass');
      return;
    }
    this.#store.donePendingRelease(pending.purchaseId);
    this.#log.info({ event: 'released', purchaseId: pending.purchaseId, buyer: pending.buyer, leafIndex: notarized.receipt.leafIndex }, 'key share released');
  }

  async #replyOrThrow(map: NetworkMap, to: string, payload: KeeperPayload): Promise<void> {
    const member = map.members.find((m) => m.certificate.member === to);
    if (member === undefined) throw new Error('the buyer is no longer a member');
    const envelope = await sealMessage({ signer: walletRequestSigner(this.#keys.identity), recipient: to, recipientMessageKey: member.certificate.messageKey, payload: encodeKeeperPayload(payload), ttlMs: RELAY_TTL_MS, now: this.#now(), maxMessageSize: map.parameters.maxMessageSize });
    await this.#client.send([envelope]);
  }

  /** The notary's receipt of the keeper's entry, checked (null while queued, or when refused). */
  async #notarize(map: NetworkMap, signed: NotarySignedEntry): Promise<Notarized | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let answer;
      try {
        answer = await this.#client.submit([signed]);
      } catch (error) {
        if (!(error instanceof KeeperNetworkError)) throw error;
        this.#log.warn({ event: 'submit-failed', seq: signed.entry.seq, error: error.message }, 'ledger submission failed; retried next pass');
        return null;
      }
      const result = answer.results[0];
      if (result?.status === 'notarized') {
        const logKey = map.parameters.keys.log ?? '';
        try {
          const opened = openCheckpoint(answer.checkpoint ?? '', { logKey });
          const check = opened.checkpoint.size === result.treeSize ? checkNotarized(result, signed, hasher.hash(signed.entry), parseVkey(logKey).publicKey, opened.checkpoint.rootHash) : { ok: false as const, problem: 'The proof is for another tree than the checkpoint.' };
          if (!check.ok) throw new Error(check.problem);
        } catch (error) {
          this.#log.error({ event: 'receipt-refused', seq: signed.entry.seq, error: (error as Error).message }, 'the notary’s receipt does not check; retried next pass');
          return null;
        }
        return result;
      }
      if (result?.status === 'refused') {
        this.#log.error({ event: 'entry-refused', seq: signed.entry.seq, code: result.code }, 'the notary refused the keeper’s entry');
        return null;
      }
      await sleep(250, this.#stop.signal);
    }
    return null;
  }
}

