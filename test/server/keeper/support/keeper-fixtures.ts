import type { webcrypto } from 'node:crypto';
import ganache, { type EthereumProvider } from 'ganache';
import { BrowserProvider, hexlify, randomBytes, Wallet, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import { compileSettlementContracts } from '../../../../server/chain/compile-contracts';
import { deploySettlementContracts, type PhdTokenClient, type PurchaseEscrowClient } from '../../../../shared/chain/escrow-contracts';
import type { MemberRole, PinnedNetwork } from '../../../../shared/network/network-domain';
import { RelayInboxPageSchema, openMessage, sealMessage } from '../../../../shared/network/relay';
import { endorseWitnessKey, purchaseIdInput, witnessKeyName } from '../../../../shared/network/notary';
import { walletRequestSigner } from '../../../../shared/network/signed-request';
import { decodeKeeperPayload, encodeKeeperPayload, type KeeperPayload } from '../../../../shared/research/key-release';
import { phdUnits, signPurchaseRequest, type SignedPurchaseRequest } from '../../../../shared/research/purchase-request';
import { cosignatureV1Signer } from '../../../../shared/transparency/cosignature';
import { formatSignatureLine, generateEd25519SecretKey, parseNote, signatureFor, vkeyOf } from '../../../../shared/transparency/note';
import { postJson, signedFetch, signedJoin, type TestNode } from '../../support/member-client';
import type { MembershipService } from '../../../../server/doorman/membership-service';

/**
 * What the keeper's tests need around it: members with their P-256 message private keys (to open
 * what the keeper sends them), relay send/receive with the shared sealing code, a witness that
 * cosigns the newest checkpoint, purchase requests, and a ganache chain with the settlement
 * contracts deployed.
 */

export interface Member extends TestNode {
  readonly messagePrivateKey: webcrypto.CryptoKey;
}

export async function newMember(): Promise<Member> {
  const pair = (await globalThis.crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as webcrypto.CryptoKeyPair;
  const raw = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', pair.publicKey));
  return { wallet: new Wallet(Wallet.createRandom().privateKey), messageKey: `0x${Buffer.from(raw).toString('hex')}`, messagePrivateKey: pair.privateKey };
}

export interface NetworkUnderTest {
  readonly url: string;
  readonly network: { readonly pinned: PinnedNetwork };
  readonly membership?: MembershipService;
}

export async function approvedMemberWith(server: NetworkUnderTest, roles: MemberRole[]): Promise<Member> {
  const member = await newMember();
  const response = await postJson(`${server.url}/v1/join`, await signedJoin(member, server.network.pinned, { roles }));
  if (response.status !== 202 && response.status !== 200) throw new Error(`join answered ${response.status}`);
  // A network that approves every valid join (--auto-approve) needs no operator.
  if (((await response.json()) as { status?: string }).status !== 'approved') await server.membership!.approve(member.wallet.address);
  return member;
}

/** Seals `payload` from `from` to `to` and posts it to the relay. */
export async function sendPayload(server: NetworkUnderTest, from: Member, to: { readonly address: string; readonly messageKey: string }, payload: KeeperPayload | Uint8Array): Promise<string> {
  const envelope = await sealMessage({ signer: walletRequestSigner(from.wallet), recipient: to.address, recipientMessageKey: to.messageKey, payload: payload instanceof Uint8Array ? payload : encodeKeeperPayload(payload), ttlMs: 3600_000 });
  await postEnvelopes(server, from, [envelope]);
  return envelope.id;
}

export async function postEnvelopes(server: NetworkUnderTest, from: Member, envelopes: readonly unknown[]): Promise<void> {
  const response = await signedFetch(server.url, from, server.network.pinned, '/v1/relay/messages', { method: 'POST', body: JSON.stringify({ envelopes }) });
  if (response.status !== 201 && response.status !== 200) throw new Error(`relay send answered ${response.status}: ${await response.text()}`);
}

export interface Received {
  readonly from: string;
  readonly payload: KeeperPayload;
}

/** Reads, opens, decodes and acknowledges everything in `member`'s inbox. */
export async function drainInbox(server: NetworkUnderTest, member: Member): Promise<Received[]> {
  const out: Received[] = [];
  const response = await signedFetch(server.url, member, server.network.pinned, '/v1/relay/inbox?limit=100');
  const page = RelayInboxPageSchema.parse(await response.json());
  for (const { envelope } of page.messages) {
    const opened = await openMessage(envelope, member.messagePrivateKey, member.wallet.address, { resolveSender: () => true });
    const payload = decodeKeeperPayload(opened.payload);
    if (payload !== null) out.push({ from: opened.from, payload });
  }
  if (page.messages.length > 0) {
    await signedFetch(server.url, member, server.network.pinned, '/v1/relay/ack', { method: 'POST', body: JSON.stringify({ ids: page.messages.map((m) => m.envelope.id) }) });
  }
  return out;
}

/** A witness member that cosigns the log's newest checkpoint when asked. */
export async function startWitness(server: NetworkUnderTest): Promise<{ readonly member: Member; cosignNewest(): Promise<number> }> {
  const member = await approvedMemberWith(server, ['witness']);
  const signer = cosignatureV1Signer(witnessKeyName(member.wallet.address), generateEd25519SecretKey());
  const vkey = vkeyOf(signer);
  const endorsement = await endorseWitnessKey(walletRequestSigner(member.wallet), server.network.pinned.address, vkey);
  const registered = await signedFetch(server.url, member, server.network.pinned, '/v1/log/witnesses/me', { method: 'PUT', body: JSON.stringify({ vkey, endorsement }) });
  if (registered.status !== 200) throw new Error(`witness registration answered ${registered.status}`);
  return {
    member,
    async cosignNewest() {
      const note = await (await fetch(`${server.url}/v1/log/checkpoint`)).text();
      const { text } = parseNote(note);
      const size = Number(text.split('\n')[1]);
      const line = formatSignatureLine(signatureFor(text, signer)).trimEnd();
      const posted = await signedFetch(server.url, member, server.network.pinned, '/v1/log/cosignatures', { method: 'POST', body: JSON.stringify({ treeSize: size, line }) });
      if (posted.status !== 200) throw new Error(`cosignature answered ${posted.status}: ${await posted.text()}`);
      return size;
    },
  };
}

export function newPurchaseId(): string {
  return hexlify(randomBytes(16));
}

export interface PurchaseTerms {
  readonly purchaseId?: string;
  readonly paymentAddress: string;
  readonly createdAt?: number;
  readonly expiresAt?: number;
}

/** A purchase request of 4 keys at 2.5 PHD (total 10), signed by `buyer` for `clinic`. */
export async function signedPurchase(buyer: Member, clinic: Member, chainId: number, terms: PurchaseTerms): Promise<SignedPurchaseRequest> {
  const createdAt = terms.createdAt ?? Date.now();
  return signPurchaseRequest(buyer.wallet, chainId, {
    purchaseId: terms.purchaseId ?? newPurchaseId(),
    researcher: buyer.wallet.address,
    clinic: clinic.wallet.address,
    offerIds: [hexlify(randomBytes(32))],
    keys: Array.from({ length: 4 }, () => hexlify(randomBytes(16)).slice(2)),
    currency: 'PHD',
    pricePerRecord: '2.5',
    total: '10',
    purpose: 'research-sale',
    purposeText: 'HbA1c trajectories in type 2 diabetes',
    paymentAddress: terms.paymentAddress,
    answerKey: buyer.messageKey,
    createdAt: new Date(createdAt).toISOString(),
    expiresAt: new Date(terms.expiresAt ?? createdAt + 24 * 3600_000).toISOString(),
  });
}

/** PHD's smallest units for a price in PHD (18 decimals). */
export function tokenUnits(total: string): bigint {
  return phdUnits(total) * 10n ** 12n;
}

export interface DevChain {
  readonly ganache: EthereumProvider;
  readonly provider: BrowserProvider;
  readonly deployer: JsonRpcSigner;
  readonly buyer: JsonRpcSigner;
  readonly clinic: JsonRpcSigner;
  readonly stranger: JsonRpcSigner;
  readonly token: PhdTokenClient;
  readonly escrow: PurchaseEscrowClient;
  /** Deposits `amount` from `payer` under the purchase (as bytes32: purchaseIdInput), deadline in chain seconds from now. */
  deposit(payer: JsonRpcSigner, purchaseId: string, amount: bigint, keepers: readonly string[], deadlineInSeconds?: number): Promise<void>;
  mine(blocks: number): Promise<void>;
  advance(seconds: number): Promise<void>;
  close(): Promise<void>;
}

/** An in-process ganache 7 (Paris) with the PHD token and the escrow deployed, PHD minted to the buyer and the stranger. */
export async function startDevChain(): Promise<DevChain> {
  const compiled = compileSettlementContracts();
  const provider0 = ganache.provider({ logging: { quiet: true }, chain: { chainId: 1337, hardfork: 'merge' }, wallet: { deterministic: true, totalAccounts: 4 } });
  const provider = new BrowserProvider(provider0 as unknown as Eip1193Provider, undefined, { cacheTimeout: -1 });
  const [deployer, buyer, clinic, stranger] = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)));
  const { token, escrow } = await deploySettlementContracts(deployer!, compiled, { disputeWindowSeconds: 3600 });
  await token.mint(buyer!.address, 10_000n * 10n ** 18n);
  await token.mint(stranger!.address, 10_000n * 10n ** 18n);
  const chainTime = async (): Promise<number> => (await provider.getBlock('latest'))!.timestamp;
  return {
    ganache: provider0,
    provider,
    deployer: deployer!,
    buyer: buyer!,
    clinic: clinic!,
    stranger: stranger!,
    token,
    escrow,
    async deposit(payer, purchaseId, amount, keepers, deadlineInSeconds = 3 * 24 * 3600) {
      await token.connect(payer).approve(escrow.address, amount);
      await escrow.connect(payer).deposit({
        purchaseId: purchaseIdInput(purchaseId),
        amount,
        clinic: clinic!.address,
        keepers: keepers.map((address) => ({ address, bps: 500 })),
        deadline: BigInt((await chainTime()) + deadlineInSeconds),
      });
    },
    async mine(blocks) {
      for (let i = 0; i < blocks; i++) await provider.send('evm_mine', []);
    },
    async advance(seconds) {
      await provider.send('evm_increaseTime', [seconds]);
      await provider.send('evm_mine', []);
    },
    close: () => provider0.disconnect(),
  };
}
