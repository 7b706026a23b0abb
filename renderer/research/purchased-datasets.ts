import { concatBytes, fromBase64Url, fromHex, toBase64Url, toHex } from '../../shared/crypto/bytes';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { DELIVERY_IPC_CHUNK_SIZE, type NetworkState } from '../../shared/ipc/network-contract';
import { purchaseIdInput } from '../../shared/network/notary';
import { sealMessage } from '../../shared/network/relay';
import { walletRequestSigner } from '../../shared/network/signed-request';
import type { ReleaseReport } from '../../shared/research/deid/release-report';
import type { PurchaseAcknowledgedMeta, PurchaseKeysRequestedMeta, PurchaseOpenedMeta } from '../../shared/research/dataset-meta';
import { encodeKeeperPayload, KEY_RELEASE_REFUSAL_WORDS, signKeyReleaseRequest, type KeyReleasePayload } from '../../shared/research/key-release';
import { manifestSha256, RELEASE_REPORT_NAME, type DatasetManifest } from '../../shared/research/package/dataset-manifest';
import { openPackage } from '../../shared/research/package/dataset-package';
import { combineShares, KeySplitError, openKeyShare, type KeyShare } from '../../shared/research/package/key-split';
import type { DatasetDeliveredPayload, PurchaseAcceptedPayload, SignedPurchaseRequest } from '../../shared/research/purchase-request';
import { gatherPreviews, once, type FilePreview } from './dataset-previews';
import { workerThumbnailDecoder, type ThumbnailDecoder } from './dataset-thumbnails';
import { EscrowPayment } from './escrow-payment';
import { foldPurchaseRows, type FoldedPurchase } from './purchase-rows';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import type { KeeperAnswer, QueryAnswerDetail } from '../vault/views/research-rows';
import { decryptMany } from '../vault/vault-crypto';
import type { QueryPostedMeta } from '../../shared/research/research-meta';

/** How long a release request waits at the relay for its keeper. */
const REQUEST_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** One keeper's part, as the researcher sees it. */
export interface KeeperShareState {
  readonly keeper: string;
  readonly institution: string;
  /** waiting: asked (or not yet); released: its share came; refused: with `reason`. */
  readonly state: 'not-asked' | 'waiting' | 'released' | 'refused';
  readonly reason: string | null;
  /** The keeper's KEY_RELEASE entry's leaf in the notary's log. */
  readonly leafIndex: number | null;
}

/** A delivered purchase's dataset from the researcher's side (issue 15 item 7). */
export interface PurchasedDataset {
  readonly purchaseId: string;
  readonly clinic: string;
  readonly delivery: DatasetDeliveredPayload;
  readonly requestedAt: number | null;
  readonly shares: readonly KeeperShareState[];
  readonly released: number;
  readonly threshold: number;
  readonly opened: { readonly openedAt: number; readonly files: number; readonly counts: Readonly<Record<string, number>> } | null;
  readonly acknowledgedAt: number | null;
  /**
   * For an opened dataset, whether the escrow still holds the deposit (its acknowledge() has not
   * gone through yet): false once paid out, refunded or settled; null when not read (not opened,
   * no chain, or the chain did not answer).
   */
  readonly escrowHolds: boolean | null;
}

/** A step of the dataset's provenance, with where the network's log holds it. */
export interface ProvenanceStep {
  readonly step: 'query' | 'offer' | 'purchase' | 'acceptance' | 'deposit' | 'delivery' | 'key-release' | 'acknowledgement';
  readonly by: string;
  readonly what: string;
  readonly at: number | null;
  /** The notary's leaf of the entry, when the entry is notarized (null: not yet, or not a log entry). */
  readonly leafIndex: number | null;
}

/** What the dataset page shows: read again from the kept package, checked again on every read. */
export interface DatasetContents {
  readonly manifest: DatasetManifest;
  readonly report: ReleaseReport;
  readonly previews: readonly FilePreview[];
  readonly provenance: readonly ProvenanceStep[];
}

export interface PurchasedDatasets {
  /** Research node: the delivered purchases, newest first, with their keepers' answers. */
  list(): Promise<PurchasedDataset[]>;
  /** Research node, clinical session: asks each keeper for its share (a signed key-release request). */
  requestKeys(purchaseId: string): Promise<void>;
  /**
   * Research node, clinical session: combines the released shares, checks the key against the
   * notarized commitment, reads the sealed package (kept by the body), checks its hash against the
   * notarized delivery and its manifest and report, then acknowledges the delivery (DELIVERY_ACK,
   * and the escrow's acknowledge, which pays the clinic and the keepers).
   */
  openDataset(purchaseId: string): Promise<PurchasedDataset>;
  /** Acknowledges an opened dataset again on the chain (when the first acknowledge did not reach it). */
  acknowledge(purchaseId: string): Promise<void>;
  /** The opened dataset: manifest, release report, a preview of each file, its provenance. */
  contents(purchaseId: string): Promise<DatasetContents>;
  /** Writes the opened dataset's files into `folder` (an export, journaled). */
  save(purchaseId: string, folder: string): Promise<{ readonly folder: string; readonly files: number; readonly bytes: number }>;
  /** The desktop app's folder dialog (null: cancelled; E_UNAVAILABLE in the browser shell). */
  chooseFolder(): Promise<string | null>;
}

const NAMESPACES = ['network'] as const;
type Port = SessionPort<(typeof NAMESPACES)[number]>;

/** What a purchase's rows say from the researcher's side. */
interface ResearcherView {
  readonly signed: SignedPurchaseRequest;
  /** Its EIP-712 hash, as journaled when it was sent (the clinic's PURCHASE_ACCEPTED subject). */
  readonly requestHash: string;
  readonly acceptance: PurchaseAcceptedPayload | null;
  readonly delivery: DatasetDeliveredPayload | null;
  readonly deliveredAt: number | null;
  readonly keysRequested: PurchaseKeysRequestedMeta | null;
  /** The latest answer of each keeper the delivery names, by keeper. */
  readonly answers: ReadonlyMap<string, KeeperAnswer>;
  readonly opened: PurchaseOpenedMeta | null;
  readonly acknowledged: PurchaseAcknowledgedMeta | null;
}

function researcherView(folded: FoldedPurchase): ResearcherView | null {
  let signed: SignedPurchaseRequest | null = null;
  let requestHash = '';
  let acceptance: PurchaseAcceptedPayload | null = null;
  let delivery: DatasetDeliveredPayload | null = null;
  let deliveredAt: number | null = null;
  let keysRequested: PurchaseKeysRequestedMeta | null = null;
  let opened: PurchaseOpenedMeta | null = null;
  let acknowledged: PurchaseAcknowledgedMeta | null = null;
  const answers = new Map<string, KeeperAnswer>();
  for (const { detail } of folded.rows) {
    if (detail.kind === 'requested' && signed === null) {
      signed = detail.signed;
      requestHash = detail.requestHash;
    }
  }
  if (signed === null) return null;
  const { clinic, purchaseId } = signed.request;
  for (const { detail } of folded.rows) {
    switch (detail.kind) {
      case 'answer-in':
        // Only the clinic the request went to answers it; its first answer counts.
        if (acceptance === null && detail.clinic === clinic && detail.payload.type === 'purchase-accepted' && detail.payload.purchaseId === purchaseId) acceptance = detail.payload;
        break;
      case 'delivery-in':
        if (delivery === null && detail.clinic === clinic && detail.payload.purchaseId === purchaseId) {
          delivery = detail.payload;
          deliveredAt = detail.receivedAt;
        }
        break;
      case 'keys-requested':
        keysRequested = detail;
        break;
      case 'keeper-in':
        // A released share wins over an earlier refusal ("ask again later"); the first release counts.
        if (answers.get(detail.keeper)?.type !== 'key-release') answers.set(detail.keeper, detail.payload);
        break;
      case 'opened':
        opened ??= detail;
        break;
      case 'acknowledged':
        acknowledged ??= detail;
        break;
      default:
        break;
    }
  }
  return { signed, requestHash, acceptance, delivery, deliveredAt, keysRequested, answers, opened, acknowledged };
}

/** Every `size` of t among the shares, in order: n ≤ 10, so at most 252 tries. */
function* subsets<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - size; i++) for (const rest of subsets(items, size - 1, i + 1)) yield [items[i]!, ...rest];
}

/**
 * The package key from the keepers' opened shares: the first `threshold` of them whose combination
 * matches the notarized commitment (the Shamir library cannot tell a wrong share; the commitment
 * can), or null when none does. With n ≤ 10 shares that is at most 252 tries.
 */
export async function combineReleasedShares(
  shares: readonly { readonly keeper: string; readonly share: KeyShare }[],
  threshold: number,
  expected: { readonly commitment: string; readonly ciphertextSha256: string },
): Promise<{ key: Uint8Array; keepers: string[] } | null> {
  for (const subset of subsets(shares, threshold)) {
    try {
      const key = await combineShares(
        subset.map((entry) => entry.share),
        expected,
      );
      return { key, keepers: subset.map((entry) => entry.keeper) };
    } catch (error) {
      if (!(error instanceof KeySplitError) || (error.code !== 'commitment-mismatch' && error.code !== 'mismatched-shares')) throw error;
    }
  }
  return null;
}

/**
 * The researcher's side of a delivered purchase (issue 15 item 7), in the mind of an unlocked
 * research node. The clinic's `dataset-delivered` message (a purchase row) names the delivery, the
 * ciphertext hash and key commitment of its DATA_DELIVERY entry, the keepers and the threshold.
 *
 * requestKeys: one KeyReleaseRequest per keeper, signed with the node's identity (EIP-712, the
 * network's domain), sent through the relay with the signed purchase request; the keepers answer
 * `key-release` (the share resealed to the purchase request's answer key, with its KEY_RELEASE
 * receipt) or `key-release-refused` with a reason; both arrive as purchase rows.
 *
 * open: the shares are opened with the node's message key, bound to this purchase and this node;
 * any t of them combine into the key, which must match the NOTARIZED commitment (the library cannot
 * tell a wrong share: the commitment can; with more than t shares a wrong one is found by trying
 * subsets). The package streams from the body (`network.deliveryRead` with keep: the body keeps the
 * sealed chunks), through openPackage, which checks the hash against the notarized delivery, the
 * manifest and the release report; the manifest's hash must be the delivery's. Only then is
 * `purchase.opened` journaled (with the key, sealed in the journal) and the delivery acknowledged:
 * `purchase.acknowledged` is signed as DELIVERY_ACK, and the escrow's acknowledge() pays out.
 */
export class PurchasedDatasetsFeature implements SessionFeature<(typeof NAMESPACES)[number]>, PurchasedDatasets {
  readonly name = 'purchased-datasets';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<(typeof NAMESPACES)[number]>();
  /** Opens running in this session, by purchase: a second click waits for the first. */
  private readonly opening = new Map<string, Promise<PurchasedDataset>>();

  constructor(
    private readonly clock: () => number = Date.now,
    /** The decoder of the dataset page's image thumbnails (a decode worker per read; none under Node). */
    private readonly thumbnailDecoder: () => ThumbnailDecoder | null = workerThumbnailDecoder,
  ) {}

  open(port: Port): OpenSessionFeature {
    this.opening.clear();
    return this.session.open(port);
  }

  private current(): Port {
    return this.session.get();
  }

  private async network(port: Port): Promise<NetworkState & { map: NonNullable<NetworkState['map']> }> {
    const { state } = await port.api.network.status({});
    if (state === null || state.status !== 'approved' || state.map === null || !state.roles.includes('research')) throw new VaultError('E_NODE', 'This node is not an approved research member of a network.');
    return state as NetworkState & { map: NonNullable<NetworkState['map']> };
  }

  private async view(port: Port, purchaseId: string): Promise<ResearcherView & { delivery: DatasetDeliveredPayload }> {
    const folded = (await foldPurchaseRows(port.db(), port.viewKey)).find((candidate) => candidate.purchaseId === purchaseId);
    const view = folded === undefined ? null : researcherView(folded);
    if (view === null) throw new VaultError('E_NODE', 'No such purchase request on this node.');
    if (view.delivery === null) throw new VaultError('E_NODE', 'The clinic has not delivered this purchase yet.');
    return view as ResearcherView & { delivery: DatasetDeliveredPayload };
  }

  private summary(view: ResearcherView & { delivery: DatasetDeliveredPayload }, names: ReadonlyMap<string, string>): PurchasedDataset {
    const { delivery } = view;
    const shares = delivery.keepers.map((keeper): KeeperShareState => {
      const answer = view.answers.get(keeper);
      const institution = names.get(keeper) ?? keeper;
      if (answer?.type === 'key-release') return { keeper, institution, state: 'released', reason: null, leafIndex: answer.receipt.leafIndex };
      if (answer?.type === 'key-release-refused') return { keeper, institution, state: 'refused', reason: `${KEY_RELEASE_REFUSAL_WORDS[answer.reason]}${answer.message === '' || answer.message === KEY_RELEASE_REFUSAL_WORDS[answer.reason] ? '' : ` (${answer.message})`}`, leafIndex: null };
      return { keeper, institution, state: view.keysRequested?.keepers.includes(keeper) ? 'waiting' : 'not-asked', reason: null, leafIndex: null };
    });
    return {
      purchaseId: view.signed.request.purchaseId,
      clinic: view.signed.request.clinic,
      delivery,
      requestedAt: view.keysRequested?.requestedAt ?? null,
      shares,
      released: shares.filter((share) => share.state === 'released').length,
      threshold: delivery.threshold,
      opened: view.opened === null ? null : { openedAt: view.opened.openedAt, files: view.opened.files, counts: view.opened.counts },
      acknowledgedAt: view.acknowledged?.acknowledgedAt ?? null,
      escrowHolds: null,
    };
  }

  /** The network's escrow, through the body's JSON-RPC pass-through (null: the network has no chain). */
  private async escrow(port: Port): Promise<EscrowPayment | null> {
    const { state } = await port.api.network.status({});
    const settlement = state?.map?.settlement;
    return settlement === undefined ? null : new EscrowPayment(settlement, (call) => port.api.network.chain(call));
  }

  /** An opened dataset with the escrow read: does it still hold the deposit? (Unopened ones are not read.) */
  private async withEscrow(port: Port, dataset: PurchasedDataset): Promise<PurchasedDataset> {
    if (dataset.opened === null) return dataset;
    try {
      const escrow = await this.escrow(port);
      if (escrow === null) return dataset;
      const status = await escrow.status(purchaseIdInput(dataset.purchaseId));
      return { ...dataset, escrowHolds: status.state === 'deposited' && (status.escrowState === 'Deposited' || status.escrowState === 'KeysReleased') };
    } catch {
      // The chain did not answer: the row says the escrow could not be read.
      return dataset;
    }
  }

  async list(): Promise<PurchasedDataset[]> {
    const port = this.current();
    try {
      const { state } = await port.api.network.status({});
      const names = new Map((state?.map?.members ?? []).map((member) => [member.address, member.legalName]));
      const out: { at: number; dataset: PurchasedDataset }[] = [];
      for (const folded of await foldPurchaseRows(port.db(), port.viewKey)) {
        const view = researcherView(folded);
        if (view === null || view.delivery === null) continue;
        out.push({ at: view.deliveredAt ?? 0, dataset: await this.withEscrow(port, this.summary(view as ResearcherView & { delivery: DatasetDeliveredPayload }, names)) });
      }
      return out.sort((a, b) => b.at - a.at).map((entry) => entry.dataset);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async requestKeys(purchaseId: string): Promise<void> {
    const port = this.current();
    try {
      const view = await this.view(port, purchaseId);
      const state = await this.network(port);
      if (view.acceptance === null) throw new VaultError('E_NODE', 'The clinic’s acceptance of this purchase is not on this node.');
      const { request } = view.signed;
      if (request.researcher !== port.identity.address) throw new VaultError('E_NODE', 'This purchase was requested by another identity than this node’s.');
      // Ask only the keepers that have not released yet.
      const keepers = view.delivery.keepers.filter((keeper) => view.answers.get(keeper)?.type !== 'key-release');
      if (keepers.length === 0) return;
      const now = this.clock();
      const envelopes = await Promise.all(
        keepers.map(async (keeper) => {
          const member = state.map.members.find((candidate) => candidate.address === keeper);
          if (member?.messageKey === undefined) throw new VaultError('E_NODE', `Keeper ${keeper} is no longer a member of the network.`);
          const payload = await signKeyReleaseRequest(
            port.identity,
            state.network.chainId,
            {
              purchaseId,
              keeper,
              buyer: port.identity.address,
              clinic: request.clinic,
              purchaseRequestHash: view.requestHash,
              acceptanceSeq: view.acceptance!.receipt.seq,
              deliverySeq: view.delivery.delivery.seq,
              checkpointSize: 0,
              createdAt: now,
            },
            view.signed,
          );
          return sealMessage({ signer: walletRequestSigner(port.identity), recipient: keeper, recipientMessageKey: member.messageKey, payload: encodeKeeperPayload(payload), ttlMs: REQUEST_TTL_MS, now });
        }),
      );
      await port.api.network.send({ envelopes });
      const meta: PurchaseKeysRequestedMeta = { v: 1, purchaseId, keepers, messageIds: envelopes.map((envelope) => envelope.id), requestedAt: now };
      await port.appendEvent(MIND_KINDS.purchaseKeysRequested, meta);
      await port.sync();
    } catch (error) {
      throw asVaultError(error);
    }
  }

  openDataset(purchaseId: string): Promise<PurchasedDataset> {
    const running = this.opening.get(purchaseId);
    if (running !== undefined) return running;
    const made = this.openOnce(this.current(), purchaseId).finally(() => this.opening.delete(purchaseId));
    this.opening.set(purchaseId, made);
    return made;
  }

  private async openOnce(port: Port, purchaseId: string): Promise<PurchasedDataset> {
    try {
      const view = await this.view(port, purchaseId);
      const state = await this.network(port);
      const names = new Map(state.map.members.map((member) => [member.address, member.legalName]));
      if (view.opened !== null) {
        if (view.acknowledged === null) await this.acknowledgeOnce(port, view, view.opened);
        return await this.withEscrow(port, this.summary(await this.view(port, purchaseId), names));
      }
      const { delivery } = view;
      const me = port.identity.address;
      const shares: { keeper: string; share: KeyShare }[] = [];
      for (const keeper of delivery.keepers) {
        const answer = view.answers.get(keeper);
        if (answer?.type !== 'key-release') continue;
        try {
          shares.push({ keeper, share: await openKeyShare((answer as KeyReleasePayload).share, port.messagePrivateKey, { purchaseId, recipientId: me }) });
        } catch (error) {
          // A share that does not open for this node and this purchase is not counted.
          if (!(error instanceof KeySplitError)) throw error;
        }
      }
      if (shares.length < delivery.threshold) throw new VaultError('E_NODE', `${shares.length} of the ${delivery.threshold} key shares needed have come from the keepers: ask them again, or wait.`);
      let combined: { key: Uint8Array; keepers: string[] } | null;
      try {
        combined = await combineReleasedShares(shares, delivery.threshold, { commitment: delivery.commitment, ciphertextSha256: delivery.ciphertextSha256 });
      } finally {
        for (const entry of shares) entry.share.share.fill(0);
      }
      const key = combined?.key ?? null;
      const used = combined?.keepers ?? [];
      if (key === null) throw new VaultError('E_NODE', 'No combination of the keepers’ shares gives the key the clinic’s notarized delivery committed to: a keeper sent a wrong share. Nothing was decrypted.');
      try {
        const read = await this.readPackage(port, delivery, key, () => undefined);
        const manifestHash = await manifestSha256(read.manifest);
        if (manifestHash !== delivery.manifestSha256 || read.manifest.releaseReportSha256 !== delivery.reportSha256) {
          throw new VaultError('E_NODE', 'The package’s manifest or release report is not the one the clinic’s delivery names.');
        }
        const opened: PurchaseOpenedMeta = {
          v: 1,
          purchaseId,
          clinic: view.signed.request.clinic,
          deliveryId: delivery.deliveryId,
          ciphertextSha256: delivery.ciphertextSha256,
          manifestSha256: manifestHash,
          reportSha256: delivery.reportSha256,
          key: toHex(key),
          keepers: used,
          counts: read.manifest.counts,
          files: read.manifest.files.length,
          openedAt: this.clock(),
        };
        await port.appendEvent(MIND_KINDS.purchaseOpened, opened);
        await port.sync();
        await this.acknowledgeOnce(port, await this.view(port, purchaseId), opened);
      } finally {
        key.fill(0);
      }
      return await this.withEscrow(port, this.summary(await this.view(port, purchaseId), names));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /**
   * Streams the sealed package from the body (which keeps its chunks) through openPackage; `onFile`
   * sees each file as it is read, provisionally: only a return without an error means the whole
   * package checked (hash, manifest, report).
   */
  private async readPackage(port: Port, delivery: DatasetDeliveredPayload, key: Uint8Array, onFile: (name: string, data: AsyncIterable<Uint8Array>) => Promise<void> | void): Promise<{ manifest: DatasetManifest; report: ReleaseReport | null }> {
    const chunks = Math.ceil(delivery.size / DELIVERY_IPC_CHUNK_SIZE);
    const api = port.api.network;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let index = 0; index < chunks; index++) yield fromBase64Url((await api.deliveryRead({ id: delivery.deliveryId, index, keep: true })).data);
    }
    let manifest: DatasetManifest | undefined;
    let report: ReleaseReport | null = null;
    for await (const entry of openPackage(source(), key, delivery.ciphertextSha256, { commitment: delivery.commitment, onVerified: (m) => (manifest = m) })) {
      if (entry.name === RELEASE_REPORT_NAME) {
        const bytes: Uint8Array[] = [];
        for await (const piece of entry.data) bytes.push(piece);
        const text = new TextDecoder().decode(concatBytes(...bytes));
        report = JSON.parse(text) as ReleaseReport;
        await onFile(entry.name, once(new TextEncoder().encode(text)));
        continue;
      }
      await onFile(entry.name, entry.data);
    }
    if (manifest === undefined) throw new VaultError('E_NODE', 'The package has no manifest.');
    return { manifest, report };
  }

  async acknowledge(purchaseId: string): Promise<void> {
    const port = this.current();
    try {
      const view = await this.view(port, purchaseId);
      if (view.opened === null) throw new VaultError('E_NODE', 'Open the dataset first: a delivery is acknowledged once its package checked.');
      await this.acknowledgeOnce(port, view, view.opened);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** Journals the acknowledgement (DELIVERY_ACK) once, then acknowledges on the escrow unless it is settled already. */
  private async acknowledgeOnce(port: Port, view: ResearcherView, opened: PurchaseOpenedMeta): Promise<void> {
    const { purchaseId } = opened;
    if (view.acknowledged === null) {
      const meta: PurchaseAcknowledgedMeta = { v: 1, purchaseId, clinic: opened.clinic, ciphertextSha256: opened.ciphertextSha256, manifestSha256: opened.manifestSha256, acknowledgedAt: this.clock() };
      await port.appendEvent(MIND_KINDS.purchaseAcknowledged, meta);
      port.requestSync();
    }
    const escrow = await this.escrow(port);
    if (escrow === null) return;
    const status = await escrow.status(purchaseIdInput(purchaseId));
    if (status.state !== 'deposited' || (status.escrowState !== 'Deposited' && status.escrowState !== 'KeysReleased')) return;
    await escrow.acknowledge(port.identity, purchaseIdInput(purchaseId));
  }

  async contents(purchaseId: string): Promise<DatasetContents> {
    const port = this.current();
    try {
      const view = await this.view(port, purchaseId);
      if (view.opened === null) throw new VaultError('E_NODE', 'This dataset has not been opened yet.');
      const key = fromHex(view.opened.key);
      let gathered;
      try {
        gathered = await gatherPreviews((onFile) => this.readPackage(port, view.delivery, key, onFile), this.thumbnailDecoder());
      } finally {
        key.fill(0);
      }
      const { read, previews } = gathered;
      if (read.report === null) throw new VaultError('E_NODE', 'The package has no release report.');
      const files = read.manifest.files.filter((file) => file.path !== RELEASE_REPORT_NAME);
      return {
        manifest: read.manifest,
        report: read.report,
        previews: files.map((file) => ({ path: file.path, bytes: file.bytes, mediaType: file.mediaType, ...(previews.get(file.path) ?? { columns: [], rows: [] }) })),
        provenance: await this.provenance(port, view),
      };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  private async provenance(port: Port, view: ResearcherView & { delivery: DatasetDeliveredPayload }): Promise<ProvenanceStep[]> {
    const { state } = await port.api.network.status({});
    const names = new Map((state?.map?.members ?? []).map((member) => [member.address, member.legalName]));
    const name = (address: string): string => names.get(address) ?? address;
    const { request } = view.signed;
    const ledger = await port.db().ledger.toArray();
    const leafOf = (kind: string, subject: string): number | null => ledger.find((row) => row.kind === kind && row.subject === subject)?.notary?.leafIndex ?? null;
    const { requestHash } = view;
    const steps: ProvenanceStep[] = [];
    // The queries whose answers made the purchased offers: this node's QUERY_POSTED entries; the
    // offers are consumed at the notary by the clinic's acceptance (its leaf is the acceptance's).
    const answerRows = (await port.db().queryAnswers.toArray()).filter((row) => row.clinic === request.clinic);
    const answers = await decryptMany<QueryAnswerDetail>(
      port.viewKey,
      answerRows.map((row) => ({ table: 'queryAnswers', id: row.key, stored: row.enc })),
    );
    const queryIds = new Set(answers.flatMap((answer) => (answer.payload.type === 'query-answer' && answer.payload.offer !== null && request.offerIds.includes(answer.payload.offer.offerId) ? [answer.payload.queryId] : [])));
    const mine = (await port.db().myQueries.bulkGet([...queryIds])).flatMap((row) => (row === undefined ? [] : [row]));
    const posted = await decryptMany<QueryPostedMeta>(
      port.viewKey,
      mine.map((row) => ({ table: 'myQueries', id: row.queryId, stored: row.enc })),
    );
    for (const query of posted) {
      steps.push({ step: 'query', by: 'this node', what: `QUERY_POSTED: keyword query ${query.signed.query.queryId.slice(0, 18)}… (${query.signed.query.terms.length} terms), answered by ${name(request.clinic)}`, at: Date.parse(query.postedAt), leafIndex: leafOf('QUERY_POSTED', query.queryHash) });
    }
    steps.push({ step: 'offer', by: name(request.clinic), what: `Offer ${request.offerIds.map((id) => `${id.slice(0, 18)}…`).join(', ')}: ${request.keys.length} records for ${request.total} PHD, consumed at the notary by the acceptance`, at: null, leafIndex: view.acceptance?.receipt.leafIndex ?? null });
    steps.push({ step: 'purchase', by: 'this node', what: `Purchase request ${request.purchaseId} (PURCHASE_REQUESTED, hash ${requestHash.slice(0, 18)}…)`, at: Date.parse(request.createdAt), leafIndex: leafOf('PURCHASE_REQUESTED', requestHash) });
    if (view.acceptance !== null) steps.push({ step: 'acceptance', by: name(request.clinic), what: 'PURCHASE_ACCEPTED, consuming the offers at the notary', at: view.acceptance.receipt.integratedAt, leafIndex: view.acceptance.receipt.leafIndex });
    const settlement = state?.map?.settlement;
    if (settlement !== undefined) {
      const payment = await new EscrowPayment(settlement, (call) => port.api.network.chain(call)).status(purchaseIdInput(request.purchaseId)).catch(() => null);
      if (payment?.state === 'deposited') steps.push({ step: 'deposit', by: request.paymentAddress, what: `ESCROW_DEPOSIT: ${payment.escrowState} in escrow ${settlement.escrow} on chain ${settlement.chainId} (${payment.confirmations} confirmations)`, at: null, leafIndex: leafOf('ESCROW_DEPOSIT', purchaseIdInput(request.purchaseId)) });
    }
    steps.push({ step: 'delivery', by: name(request.clinic), what: `DATA_DELIVERY: package ${view.delivery.ciphertextSha256.slice(0, 16)}…, key commitment ${view.delivery.commitment.slice(0, 16)}…`, at: view.delivery.delivery.integratedAt, leafIndex: view.delivery.delivery.leafIndex });
    for (const keeper of view.delivery.keepers) {
      const answer = view.answers.get(keeper);
      if (answer?.type === 'key-release') steps.push({ step: 'key-release', by: name(keeper), what: 'KEY_RELEASE: its share, resealed to this node', at: null, leafIndex: answer.receipt.leafIndex });
    }
    if (view.acknowledged !== null) steps.push({ step: 'acknowledgement', by: 'this node', what: 'DELIVERY_ACK: package and manifest received as notarized', at: view.acknowledged.acknowledgedAt, leafIndex: leafOf('DELIVERY_ACK', purchaseIdInput(request.purchaseId)) });
    return steps;
  }

  async save(purchaseId: string, folder: string): Promise<{ readonly folder: string; readonly files: number; readonly bytes: number }> {
    const port = this.current();
    try {
      const view = await this.view(port, purchaseId);
      if (view.opened === null) throw new VaultError('E_NODE', 'Open the dataset before saving it.');
      const api = port.api.network;
      const { handle, folder: chosen } = await api.datasetSaveBegin({ folder });
      const key = fromHex(view.opened.key);
      let finished;
      try {
        await this.readPackage(port, view.delivery, key, async (name, data) => {
          let wrote = false;
          for await (const piece of data) {
            for (let at = 0; at < piece.length; at += DELIVERY_IPC_CHUNK_SIZE) {
              await api.datasetSaveWrite({ handle, path: name, data: toBase64Url(piece.subarray(at, at + DELIVERY_IPC_CHUNK_SIZE)) });
              wrote = true;
            }
          }
          // An empty file is still a file of the dataset.
          if (!wrote) await api.datasetSaveWrite({ handle, path: name, data: '' });
        });
        finished = await api.datasetSaveFinish({ handle });
      } catch (error) {
        // What was written is provisional until the package checked: nothing of a package that failed stays.
        await api.datasetSaveAbort({ handle }).catch(() => undefined);
        throw error;
      } finally {
        key.fill(0);
      }
      await port.appendEvent(MIND_KINDS.datasetSaved, { v: 1, bytes: finished.bytes, entries: finished.files, file: `dataset ${purchaseId}` });
      port.requestSync();
      return { folder: chosen, files: finished.files, bytes: finished.bytes };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async chooseFolder(): Promise<string | null> {
    const port = this.current();
    try {
      return (await port.api.network.chooseFolder({})).path;
    } catch (error) {
      throw asVaultError(error);
    }
  }
}
