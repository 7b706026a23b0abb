import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hexlify, randomBytes } from 'ethers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escrowViewOf } from '../../../server/keeper/escrow-view';
import { loadOrCreateKeeperKeys } from '../../../server/keeper/keeper-keys';
import { KeeperService } from '../../../server/keeper/keeper-service';
import { consumptionKey, purchaseIdInput } from '../../../shared/network/notary';
import { ZERO_HASH } from '../../../shared/ledger/ledger-schema';
import { KeeperClient } from '../../../server/keeper/keeper-client';
import { sealMessage } from '../../../shared/network/relay';
import { walletRequestSigner } from '../../../shared/network/signed-request';
import { signKeyReleaseRequest, type KeeperPayload, type KeyReleaseRefusal, type KeyReleaseRequest } from '../../../shared/research/key-release';
import { combineShares, openKeyShare, resealKeyShare, splitPackageKey, type EncryptedKeyShare } from '../../../shared/research/package/key-split';
import { keyCommitment, newPackageKey } from '../../../shared/research/package/package-seal';
import { purchaseRequestHash, type SignedPurchaseRequest } from '../../../shared/research/purchase-request';
import { startNotaryServer, submit, TestChain, type NotaryTestServer } from '../notary/support/notary-fixtures';
import { useTestDatabases } from '../support/test-databases';
import { approvedMemberWith, drainInbox, newPurchaseId, postEnvelopes, sendPayload, signedPurchase, startDevChain, startWitness, tokenUnits, type DevChain, type Member, type Received } from './support/keeper-fixtures';

/**
 * The key keeper (issue 15 item 6) against a real server on PGlite (doorman, map, relay, notary,
 * witness cosignatures) and a real EVM (in-process ganache with the PHD token and the escrow): a
 * clinic deposits shares, a buyer asks for releases, and every refusal the keeper must make is
 * made, with its reason sent back through the relay; the happy path releases a share that, with
 * another keeper's, opens the package key; a second release is refused by the notary.
 */

const databases = useTestDatabases();
const CONFIRMATIONS = 2;

let server: NotaryTestServer;
let chain: DevChain;
let keeper: KeeperService;
let dataDir: string;
let clinic: Member;
let buyer: Member;
let otherKeepers: Member[];
let witness: Awaited<ReturnType<typeof startWitness>>;
let clinicLedger: TestChain;
const logLines: string[] = [];
const chainId = (): number => server.network.parameters.chainId;
const keeperRef = (): { address: string; messageKey: string } => ({ address: keeper.address, messageKey: keeper.messageKey });

beforeAll(async () => {
  server = await startNotaryServer(await databases.open('pglite'));
  chain = await startDevChain();
  clinic = await approvedMemberWith(server, ['clinic']);
  buyer = await approvedMemberWith(server, ['research']);
  otherKeepers = [await approvedMemberWith(server, ['keeper']), await approvedMemberWith(server, ['keeper'])];
  witness = await startWitness(server);
  clinicLedger = new TestChain(clinic, chainId());
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'hdms-keeper-'));
  keeper = await KeeperService.open({
    dataDir,
    serverUrl: server.url,
    legalName: 'Swiss Key Keeping AG',
    country: 'ch',
    escrow: escrowViewOf(chain.provider, chain.escrow.address, CONFIRMATIONS),
    log: pino({ level: 'info' }, { write: (line: string) => logLines.push(line) }),
    pollMs: 50,
  });
  expect(await keeper.membership()).toBe('pending');
  await server.membership.approve(keeper.address);
  await keeper.waitForApproval();
}, 120_000);

afterAll(async () => {
  await keeper?.stop();
  await server?.close();
  await chain?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Prepared {
  readonly purchaseId: string;
  readonly signed: SignedPurchaseRequest;
  readonly key: Uint8Array;
  readonly shares: EncryptedKeyShare[];
  readonly binding: { readonly ciphertextSha256: string; readonly commitment: string };
  readonly request: KeyReleaseRequest;
}

interface PrepareOptions {
  readonly pay?: 'buyer' | 'stranger' | 'none';
  readonly deliver?: boolean;
  readonly deposit?: boolean;
  readonly mine?: number;
  readonly createdAt?: number;
  readonly expiresAt?: number;
  readonly deadlineIn?: number;
}

/** A purchase the clinic accepted and delivered (both notarized, witnessed), its share deposited with the keeper, paid into escrow. */
async function prepare(options: PrepareOptions = {}): Promise<Prepared> {
  const purchaseId = newPurchaseId();
  const signed = await signedPurchase(buyer, clinic, chainId(), {
    purchaseId,
    paymentAddress: chain.buyer.address,
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
  });
  const requestHash = purchaseRequestHash(chainId(), signed.request);
  const key = newPackageKey();
  const ciphertextSha256 = hexlify(randomBytes(32)).slice(2);
  const binding = { ciphertextSha256, commitment: await keyCommitment(key, ciphertextSha256) };
  const shares = await splitPackageKey(
    key,
    [keeperRef(), ...otherKeepers.map((k) => ({ address: k.wallet.address, messageKey: k.messageKey }))].map((k) => ({ recipientId: k.address, publicKey: k.messageKey })),
    { purchaseId, ...binding },
  );
  const acceptance = await clinicLedger.next({ kind: 'PURCHASE_ACCEPTED', subject: requestHash, inputs: signed.request.offerIds });
  const entries = [acceptance];
  if (options.deliver !== false) entries.push(await clinicLedger.next({ kind: 'DATA_DELIVERY', subject: purchaseIdInput(purchaseId), inputs: [`0x${ciphertextSha256}`, `0x${binding.commitment}`] }));
  const results = await submit(server.url, entries);
  expect(results.results.map((r) => r.status)).toEqual(entries.map(() => 'notarized'));
  if (options.deposit !== false) {
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId, share: shares[0]! });
    await keeper.pollOnce();
    expect(await drainInbox(server, clinic)).toEqual([{ from: keeper.address, payload: { type: 'key-share-stored', purchaseId } }]);
  }
  const pay = options.pay ?? 'buyer';
  if (pay !== 'none') await chain.deposit(pay === 'buyer' ? chain.buyer : chain.stranger, purchaseId, tokenUnits('10'), [keeper.address], options.deadlineIn);
  await chain.mine(options.mine ?? CONFIRMATIONS);
  await witness.cosignNewest();
  const request: KeyReleaseRequest = {
    purchaseId,
    keeper: keeper.address,
    buyer: buyer.wallet.address,
    clinic: clinic.wallet.address,
    purchaseRequestHash: requestHash,
    acceptanceSeq: acceptance.entry.seq,
    deliverySeq: acceptance.entry.seq + 1,
    checkpointSize: 0,
    createdAt: Date.now(),
  };
  return { purchaseId, signed, key, shares, binding, request };
}

/** The buyer asks the keeper; the keeper takes one pass; what the buyer then holds. */
async function askRelease(prepared: Prepared, overrides: Partial<KeyReleaseRequest> = {}): Promise<Received[]> {
  const payload = await signKeyReleaseRequest(buyer.wallet, chainId(), { ...prepared.request, ...overrides }, prepared.signed);
  await sendPayload(server, buyer, keeperRef(), payload);
  await keeper.pollOnce();
  return drainInbox(server, buyer);
}

function refusal(received: Received[]): KeyReleaseRefusal | undefined {
  expect(received).toHaveLength(1);
  const payload = received[0]!.payload;
  return payload.type === 'key-release-refused' ? payload.reason : undefined;
}

describe('key keeper: first start', () => {
  it('refuses a network whose fingerprint is not the one given, pinning nothing, and asks for --name and --country before its first join', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hdms-keeper-'));
    const silent = pino({ level: 'silent' });
    try {
      await expect(KeeperService.open({ dataDir: dir, serverUrl: server.url, legalName: 'Keeper AG', country: 'CH', fingerprint: '0000 0000 0000 0000 0000 0000 0000 0000', escrow: null, log: silent })).rejects.toThrow(/fingerprint is/);
      expect(await readdir(dir)).not.toContain('network.json');
      await expect(KeeperService.open({ dataDir: dir, serverUrl: server.url, escrow: null, log: silent })).rejects.toThrow(/--name and --country/);
      expect(await server.membership.status((await loadOrCreateKeeperKeys(dir)).keys.identity.address)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('key keeper: releases', () => {
  it('releases its share to the buyer for a notarized, witnessed, paid, unexpired purchase; with another keeper\'s share it opens the package key; a second release is refused by the notary', async () => {
    const prepared = await prepare();
    const received = await askRelease(prepared);
    expect(received).toHaveLength(1);
    const release = received[0]!;
    expect(release.from).toBe(keeper.address);
    expect(release.payload.type).toBe('key-release');
    const payload = release.payload as Extract<KeeperPayload, { type: 'key-release' }>;
    expect(payload.purchaseId).toBe(prepared.purchaseId);
    expect(payload.share.recipientId).toBe(buyer.wallet.address);

    // The buyer opens it with its answer key, bound to the purchase, and combines it with a second keeper's.
    const mine = await openKeyShare(payload.share, buyer.messagePrivateKey, { purchaseId: prepared.purchaseId, recipientId: buyer.wallet.address });
    const other = await openKeyShare(prepared.shares[1]!, otherKeepers[0]!.messagePrivateKey, { purchaseId: prepared.purchaseId, recipientId: otherKeepers[0]!.wallet.address });
    expect(await combineShares([mine, other], prepared.binding)).toEqual(prepared.key);
    // It does not open as another purchase's.
    await expect(openKeyShare(payload.share, buyer.messagePrivateKey, { purchaseId: newPurchaseId(), recipientId: buyer.wallet.address })).rejects.toMatchObject({ code: 'wrong-recipient' });

    // The keeper's ledger holds the KEY_RELEASE entry, consuming the purchase id, notarized at the leaf it told the buyer.
    const entry = keeper.store.entries().at(-1)!.entry;
    expect(entry).toMatchObject({ kind: 'KEY_RELEASE', subject: prepared.request.purchaseRequestHash, inputs: [purchaseIdInput(prepared.purchaseId)], node: keeper.address });
    expect(payload.receipt.seq).toBe(entry.seq);
    const notarized = await (await fetch(`${server.url}/v1/notary/receipts?node=${keeper.address}&afterSeq=${entry.seq - 1}&limit=1`)).json();
    expect(notarized.entries[0].notarized.receipt.leafIndex).toBe(payload.receipt.leafIndex);
    expect(keeper.store.pendingReleases()).toEqual([]);

    // Asked again (the same request, or a fresh one), with the log witnessed past the keeper's own
    // entry: every check passes again, and the notary refuses a second consumer.
    await witness.cosignNewest();
    expect(refusal(await askRelease(prepared))).toBe('already-released');
    expect(refusal(await askRelease(prepared, { createdAt: Date.now() + 1 }))).toBe('already-released');
    expect(keeper.store.entries().filter((e) => e.entry.kind === 'KEY_RELEASE' && e.entry.inputs[0] === purchaseIdInput(prepared.purchaseId))).toHaveLength(1);
  });

  it('refuses without payment in escrow', async () => {
    expect(refusal(await askRelease(await prepare({ pay: 'none' })))).toBe('no-payment');
  });

  it('refuses when the deposit was made by another account than the purchase request\'s payment address', async () => {
    expect(refusal(await askRelease(await prepare({ pay: 'stranger' })))).toBe('wrong-payer');
  });

  it('refuses a deposit not yet at the confirmation depth, and releases once it is', async () => {
    const prepared = await prepare({ mine: 0 });
    const received = await askRelease(prepared);
    expect(refusal(received)).toBe('confirmations');
    expect((received[0]!.payload as { message: string }).message).toContain(`1 of the ${CONFIRMATIONS}`);
    await chain.mine(CONFIRMATIONS);
    expect((await askRelease(prepared))[0]!.payload.type).toBe('key-release');
  });

  it('refuses after the purchase request expired', async () => {
    const now = Date.now();
    expect(refusal(await askRelease(await prepare({ createdAt: now - 2 * 24 * 3600_000, expiresAt: now - 3600_000 })))).toBe('expired');
  });

  it('refuses after the escrow deadline passed', async () => {
    const prepared = await prepare({ deadlineIn: 600 });
    await chain.advance(3600);
    expect(refusal(await askRelease(prepared))).toBe('expired');
  });

  it('refuses when the delivery is not notarized, and when the checkpoint is not witnessed', async () => {
    expect(refusal(await askRelease(await prepare({ deliver: false })))).toBe('not-notarized');

    const prepared = await prepare();
    const witnessedSize = (await (await fetch(`${server.url}/v1/log/checkpoint`)).text()).split('\n')[1];
    // The log grows past the witnessed checkpoint: its newest checkpoint has no cosignature yet.
    expect((await submit(server.url, [await clinicLedger.next({ kind: 'ACCESS' })])).results[0]).toMatchObject({ status: 'notarized' });
    const unwitnessed = await askRelease(prepared);
    expect(refusal(unwitnessed)).toBe('not-notarized');
    expect((unwitnessed[0]!.payload as { message: string }).message).toContain('witness cosignatures');
    // Named explicitly, the witnessed checkpoint proves both entries.
    expect((await askRelease(prepared, { checkpointSize: Number(witnessedSize) }))[0]!.payload.type).toBe('key-release');
  });

  it('refuses a request naming another purchase\'s acceptance, a request not from the buyer, and one without a deposited share', async () => {
    const prepared = await prepare();
    expect(refusal(await askRelease(prepared, { acceptanceSeq: prepared.request.acceptanceSeq - 2 }))).toBe('not-notarized');
    // Signed by the buyer but sent by the clinic: the relay sender is not the buyer.
    const payload = await signKeyReleaseRequest(buyer.wallet, chainId(), prepared.request, prepared.signed);
    await sendPayload(server, clinic, keeperRef(), payload);
    await keeper.pollOnce();
    const toClinic = await drainInbox(server, clinic);
    expect(toClinic.map((r) => r.payload)).toEqual([expect.objectContaining({ type: 'key-release-refused', reason: 'invalid' })]);
    expect(refusal(await askRelease(await prepare({ deposit: false })))).toBe('no-share');
  });
});

describe('key keeper: a release a crash interrupted', () => {
  it('finishes a release kept in releases/ but not yet in the ledger nor at the notary: the next pass appends, notarizes and sends it', async () => {
    const prepared = await prepare();
    // What the keeper had done before the crash: claimed at the notary, signed the entry, kept the release.
    const { keys } = await loadOrCreateKeeperKeys(dataDir);
    const stored = keeper.store.share(prepared.purchaseId)!;
    const opened = await openKeyShare(stored.share, keys.messagePrivateKey, { purchaseId: prepared.purchaseId, recipientId: keeper.address });
    const resealed = await resealKeyShare(opened, { recipientId: buyer.wallet.address, publicKey: buyer.messageKey });
    const client = new KeeperClient(server.url, keys.identity, server.network.pinned);
    expect(await client.claim([consumptionKey('key-release', keeper.address, purchaseIdInput(prepared.purchaseId))], prepared.request.purchaseRequestHash)).toBe(true);
    const signed = await keeper.store.signNext(keys.identity, { kind: 'KEY_RELEASE', subject: prepared.request.purchaseRequestHash, payloadHash: ZERO_HASH, inputs: [purchaseIdInput(prepared.purchaseId)], createdAt: Date.now() });
    keeper.store.putPendingRelease({ purchaseId: prepared.purchaseId, buyer: buyer.wallet.address, signed, share: resealed });
    const before = keeper.store.entries().length;

    expect(await keeper.pollOnce()).toBe(0);
    expect(keeper.store.entries()).toHaveLength(before + 1);
    expect(keeper.store.pendingReleases()).toEqual([]);
    const received = await drainInbox(server, buyer);
    expect(received.map((r) => r.payload)).toEqual([expect.objectContaining({ type: 'key-release', purchaseId: prepared.purchaseId, receipt: expect.objectContaining({ seq: signed.entry.seq }) as unknown })]);
    const share = await openKeyShare((received[0]!.payload as Extract<KeeperPayload, { type: 'key-release' }>).share, buyer.messagePrivateKey, { purchaseId: prepared.purchaseId, recipientId: buyer.wallet.address });
    expect(share.share).toEqual(opened.share);
  });
});

describe('key keeper: deposits', () => {
  it('refuses a share bound to another purchase or sealed for another keeper, and keeps only shares that open for it; nothing of a share is in plaintext on disk or in the log', async () => {
    const prepared = await prepare({ deposit: false, pay: 'none' });
    const otherPurchase = newPurchaseId();
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: otherPurchase, share: prepared.shares[0]! });
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: otherPurchase, share: { ...prepared.shares[0]!, purchaseId: otherPurchase } });
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: prepared.shares[1]! });
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: { ...prepared.shares[1]!, recipientId: keeper.address } });
    // From a member that is not a clinic.
    await sendPayload(server, buyer, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: prepared.shares[0]! });
    await keeper.pollOnce();
    expect((await drainInbox(server, clinic)).map((r) => r.payload)).toEqual([
      { type: 'key-share-refused', purchaseId: otherPurchase, reason: 'wrong-purchase' },
      { type: 'key-share-refused', purchaseId: otherPurchase, reason: 'undecryptable' },
      { type: 'key-share-refused', purchaseId: prepared.purchaseId, reason: 'wrong-keeper' },
      { type: 'key-share-refused', purchaseId: prepared.purchaseId, reason: 'undecryptable' },
    ]);
    expect((await drainInbox(server, buyer)).map((r) => r.payload)).toEqual([{ type: 'key-share-refused', purchaseId: prepared.purchaseId, reason: 'not-a-clinic' }]);
    expect(keeper.store.share(prepared.purchaseId)).toBeNull();
    expect(keeper.store.share(otherPurchase)).toBeNull();

    // The right one is kept, as it came (sealed to the keeper's key).
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: prepared.shares[0]! });
    await keeper.pollOnce();
    expect((await drainInbox(server, clinic)).map((r) => r.payload)).toEqual([{ type: 'key-share-stored', purchaseId: prepared.purchaseId }]);
    expect(keeper.store.share(prepared.purchaseId)).toMatchObject({ clinic: clinic.wallet.address, share: prepared.shares[0] });

    // The opened share (with the keeper's own key) appears in no file of its folder, nor in its log.
    const { keys } = await loadOrCreateKeeperKeys(dataDir);
    const opened = await openKeyShare(prepared.shares[0]!, keys.messagePrivateKey, { purchaseId: prepared.purchaseId, recipientId: keeper.address });
    const secretHex = Buffer.from(opened.share).toString('hex');
    const secretBase64 = Buffer.from(opened.share).toString('base64');
    const files = await readdir(dataDir, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(files.filter((f) => f.isFile()).map((f) => readFile(path.join(f.parentPath, f.name), 'utf8')));
    expect(contents.length).toBeGreaterThan(2);
    for (const text of [...contents, logLines.join('\n')]) {
      expect(text).not.toContain(secretHex);
      expect(text).not.toContain(secretBase64);
    }
    const keyHex = Buffer.from(prepared.key).toString('hex');
    expect(logLines.join('\n')).not.toContain(keyHex);
    for (const share of prepared.shares) expect(logLines.join('\n')).not.toContain(share.ct);
  });
});

describe('key keeper: a member newer than its map', () => {
  it('keeps the share of a clinic that joined after the keeper last read the map (it reads the map again before dropping a message from an unknown sender)', async () => {
    const prepared = await prepare({ deposit: false, pay: 'none' });
    // The keeper reads the map now; the clinic joins right after, within the map's cache age.
    await keeper.pollOnce();
    const newClinic = await approvedMemberWith(server, ['clinic']);
    await sendPayload(server, newClinic, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: prepared.shares[0]! });
    await keeper.pollOnce();
    expect((await drainInbox(server, newClinic)).map((r) => r.payload)).toEqual([{ type: 'key-share-stored', purchaseId: prepared.purchaseId }]);
    expect(keeper.store.share(prepared.purchaseId)).toMatchObject({ clinic: newClinic.wallet.address });
  });
});

describe('key keeper: a hostile mailbox', () => {
  it('drops garbage with a log line per message and goes on: an unknown payload, bytes that are not JSON, an envelope sealed to another key', async () => {
    const before = logLines.length;
    const prepared = await prepare({ deposit: false, pay: 'none' });
    const unknown = await sendPayload(server, clinic, keeperRef(), new TextEncoder().encode(JSON.stringify({ type: 'note', subject: 'hi', text: 'not for a keeper' })));
    const notJson = await sendPayload(server, clinic, keeperRef(), randomBytes(2000));
    const wrongKey = await sealMessage({ signer: walletRequestSigner(clinic.wallet), recipient: keeper.address, recipientMessageKey: otherKeepers[0]!.messageKey, payload: randomBytes(64), ttlMs: 3600_000 });
    await postEnvelopes(server, clinic, [wrongKey]);
    await sendPayload(server, clinic, keeperRef(), { type: 'key-share-deposit', purchaseId: prepared.purchaseId, share: prepared.shares[0]! });
    expect(await keeper.pollOnce()).toBe(4);
    const dropped = logLines.slice(before).map((line) => JSON.parse(line) as { event?: string; id?: string; code?: string }).filter((line) => line.event === 'message-dropped');
    expect(dropped.map((line) => [line.id, line.code])).toEqual([
      [unknown, 'unknown-payload'],
      [notJson, 'unknown-payload'],
      [wrongKey.id, 'undecryptable'],
    ]);
    // The good message after them was handled, and the inbox is empty.
    expect((await drainInbox(server, clinic)).map((r) => r.payload)).toEqual([{ type: 'key-share-stored', purchaseId: prepared.purchaseId }]);
    expect(await keeper.pollOnce()).toBe(0);
  });
});
