import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema } from '../../../shared/network/api';
import { verifyNetworkMap } from '../../../shared/network/network-map';
import {
  checkNotarized,
  ConsistencyProofAnswerSchema,
  InclusionProofAnswerSchema,
  LogEntriesPageSchema,
  endorsedWitnessKeys,
  endorseWitnessKey,
  NotaryReceiptsPageSchema,
  WitnessListSchema,
  witnessKeyName,
  type Notarized,
} from '../../../shared/network/notary';
import { walletRequestSigner } from '../../../shared/network/signed-request';
import { fromBase64, toBase64, utf8 } from '../../../shared/transparency/bytes';
import { cosignatureV1Signer } from '../../../shared/transparency/cosignature';
import { leafHash } from '../../../shared/transparency/hash';
import { openCheckpoint, verifyConsistencyBetween, verifyLog } from '../../../shared/transparency/log-verifier';
import { formatSignatureLine, generateEd25519SecretKey, parseNote, signatureFor, vkeyOf } from '../../../shared/transparency/note';
import { exportLine } from '../../../shared/ledger/ledger-export-format';
import { signEntry } from '../../../shared/ledger/ledger-sign';
import { ledgerDomain } from '../../../shared/ledger/ledger-schema';
import { useTestDatabases } from '../support/test-databases';
import { join, newTestNode, postJson, signedFetch } from '../support/member-client';
import { approvedMember, notaryRowCounts, startNotaryServer, submit, TestChain, type NotaryTestServer } from './support/notary-fixtures';

/**
 * The notary and its log end to end over HTTP (issue 10 items 5, 6, 10), on PGlite and on a real
 * PostgreSQL: receipts that verify against the signed checkpoint, idempotence, forks kept as
 * evidence, chain and member refusals, double consumption, typed 4xx for bad bodies with nothing
 * written, proofs, raw entries that replay to the checkpoint, recovery, witnesses.
 */
const databases = useTestDatabases();

describe.each(databases.variants)('notary and log $label', (variant) => {
  let server: NotaryTestServer;
  const chainId = (): number => server.network.parameters.chainId;
  const logPublicKey = (): Uint8Array => server.logKey.publicKey;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startNotaryServer(await databases.open(variant.kind), { consumingKinds: new Map([['CONSENT', { prefix: 'test', sameSubjectAgain: false }]]) });
  }, 60_000);
  afterAll(async () => server?.close());

  const rootOf = (note: string): Uint8Array => openCheckpoint(note, { logKey: server.logKey.vkey }).checkpoint.rootHash;
  const expectNotarized = (result: unknown): Notarized => {
    expect(result).toMatchObject({ status: 'notarized' });
    return result as Notarized;
  };

  it.skipIf(variant.skip)('publishes the log key in the signed map', async () => {
    const map = verifyNetworkMap(server.network.pinned, await (await fetch(`${server.url}/v1/network-map`)).json());
    expect(map.map.parameters.keys.log).toBe(server.logKey.vkey);
  });

  it.skipIf(variant.skip)('notarizes a batch: each receipt is signed by the log key and its inclusion proof leads to the signed checkpoint; resubmitting answers the same receipts', async () => {
    const chain = new TestChain(await approvedMember(server), chainId());
    // 40 entries: above the size that is checked on the main thread, so the worker pool checks some.
    const entries = await chain.take(40);
    const answer = await submit(server.url, entries);
    expect(answer.results).toHaveLength(40);
    const root = rootOf(answer.checkpoint!);
    answer.results.forEach((result, i) => {
      const notarized = expectNotarized(result);
      expect(checkNotarized(notarized, entries[i]!, chain.digest(entries[i]!.entry), logPublicKey(), root)).toEqual({ ok: true });
      expect(notarized.receipt.leafHash).toBe(toBase64(leafHash(utf8(exportLine(entries[i]!)))));
    });
    // A tampered receipt does not check.
    const first = expectNotarized(answer.results[0]);
    expect(checkNotarized({ ...first, receipt: { ...first.receipt, integratedAt: first.receipt.integratedAt + 1 } }, entries[0]!, chain.digest(entries[0]!.entry), logPublicKey(), root).ok).toBe(false);

    const before = await notaryRowCounts(server.db);
    const again = await submit(server.url, [entries[2]!, entries[0]!]);
    expect(expectNotarized(again.results[0]).receipt).toEqual(expectNotarized(answer.results[2]).receipt);
    expect(expectNotarized(again.results[1]).receipt).toEqual(expectNotarized(answer.results[0]).receipt);
    const after = await notaryRowCounts(server.db);
    expect(after.leaves).toBe(before.leaves);
  });

  it.skipIf(variant.skip)('refuses a fork and keeps both entries as evidence; refuses a gap and a wrong prevHash, writing nothing', async () => {
    const chain = new TestChain(await approvedMember(server), chainId());
    const [one, two] = await chain.take(2);
    await submit(server.url, [one, two]);
    const other = await chain.next({ seq: 2, prevHash: chain.digest(one!.entry), payloadHash: `0x${'ab'.repeat(32)}` });
    const forked = await submit(server.url, [other]);
    expect(forked.results[0]).toMatchObject({ status: 'refused', code: 'fork', existingDigest: chain.digest(two!.entry) });
    const evidence = await server.db.query<{ existing_line: string; conflicting_line: string }>('SELECT existing_line, conflicting_line FROM notary_forks WHERE node = $1 AND seq = 2', [chain.node.wallet.address]);
    expect(evidence.rows).toEqual([{ existing_line: exportLine(two!), conflicting_line: exportLine(other) }]);

    const before = await notaryRowCounts(server.db);
    const gap = await chain.next({ seq: 4, prevHash: chain.digest(two!.entry) });
    const wrongPrev = await chain.next({ seq: 3, prevHash: chain.digest(one!.entry) });
    const refused = await submit(server.url, [gap, wrongPrev]);
    expect(refused.results.map((r) => (r.status === 'refused' ? r.code : r.status))).toEqual(['chain_gap', 'wrong_prev_hash']);
    expect(await notaryRowCounts(server.db)).toEqual(before);

    // One bad entry does not block the good one next to it.
    const three = await chain.next();
    const farGap = await chain.next({ seq: 9, prevHash: chain.digest(two!.entry) });
    const mixed = await submit(server.url, [farGap, three]);
    expect(mixed.results[0]).toMatchObject({ status: 'refused', code: 'chain_gap' });
    expect(mixed.results[1]).toMatchObject({ status: 'notarized' });
  });

  it.skipIf(variant.skip)('refuses unknown, pending and revoked members, bad signatures and entries from the future', async () => {
    const before = await notaryRowCounts(server.db);
    const stranger = new TestChain(newTestNode(), chainId());
    const pendingNode = newTestNode();
    await join(server.url, pendingNode, server.network.pinned);
    const pending = new TestChain(pendingNode, chainId());
    const revokedNode = await approvedMember(server);
    await server.membership.revoke(revokedNode.wallet.address);
    const revoked = new TestChain(revokedNode, chainId());
    const member = new TestChain(await approvedMember(server), chainId());
    const good = await member.next();
    const forged = await signEntry(new Wallet(Wallet.createRandom().privateKey), ledgerDomain(chainId()), { ...good.entry, node: good.entry.node }).catch(() => null);
    expect(forged).toBeNull(); // signEntry refuses to sign for another node, so forge by hand:
    const otherKey = new Wallet(Wallet.createRandom().privateKey);
    const byOther = (await otherKey.signTypedData({ ...ledgerDomain(chainId()) }, { Entry: [...(await import('../../../shared/ledger/ledger-schema')).ENTRY_TYPES.Entry] }, { ...good.entry, inputs: [...good.entry.inputs] })).toLowerCase();
    const tampered = { entry: { ...good.entry, payloadHash: `0x${'cd'.repeat(32)}` }, signature: good.signature };
    const otherNetwork = await signEntry(member.node.wallet, ledgerDomain(chainId() + 1), good.entry);
    const future = await new TestChain(member.node, chainId()).next({ createdAt: Date.now() + 10 * 60_000 });
    const highS = { ...good, signature: flipS(good.signature) };
    const answer = await submit(server.url, [await stranger.next(), await pending.next(), await revoked.next(), { entry: good.entry, signature: byOther }, tampered, otherNetwork, future, highS]);
    expect(answer.results.map((r) => (r.status === 'refused' ? r.code : r.status))).toEqual([
      'unknown_member',
      'membership_pending',
      'membership_revoked',
      'bad_signature',
      'bad_signature',
      'bad_signature',
      'from_the_future',
      'bad_signature',
    ]);
    expect(await notaryRowCounts(server.db)).toEqual(before);
  });

  it.skipIf(variant.skip)('refuses a second consumer of an input, naming the first (node, seq and leaf index); another node\'s key of the same input is its own', async () => {
    const a = new TestChain(await approvedMember(server), chainId());
    const b = new TestChain(await approvedMember(server), chainId());
    const input = `0x${'5e'.repeat(32)}`;
    const first = await a.next({ kind: 'CONSENT', inputs: [input] });
    const accepted = expectNotarized((await submit(server.url, [first])).results[0]);
    const before = await notaryRowCounts(server.db);
    const second = await a.next({ kind: 'CONSENT', inputs: [`0x${'11'.repeat(32)}`, input] });
    const answer = await submit(server.url, [second]);
    expect(answer.results[0]).toMatchObject({ status: 'refused', code: 'input_consumed', consumedBy: { input: `test:${a.node.wallet.address.toLowerCase()}:${input}`, node: a.node.wallet.address, seq: 1, leafIndex: accepted.receipt.leafIndex } });
    expect(await notaryRowCounts(server.db)).toEqual(before);
    // The first consumer resubmitting is the same entry, not a second consumer.
    expect(expectNotarized((await submit(server.url, [first])).results[0]).receipt).toEqual(accepted.receipt);
    // Keys name their node: the same input is another key for another node.
    expectNotarized((await submit(server.url, [await b.next({ kind: 'CONSENT', inputs: [input] })])).results[0]);
  });

  it.skipIf(variant.skip)('answers malformed and oversized bodies with typed 4xx and writes nothing', async () => {
    const before = await notaryRowCounts(server.db);
    const chain = new TestChain(await approvedMember(server), chainId());
    const one = await chain.next();
    const cases: [string, string, number, string][] = [
      ['not JSON', '{"entries": [', 400, 'malformed_json'],
      ['no entries', '{}', 400, 'invalid_request'],
      ['empty list', '{"entries":[]}', 400, 'invalid_request'],
      ['extra field', JSON.stringify({ entries: [one], more: 1 }), 400, 'invalid_request'],
      ['501 entries', JSON.stringify({ entries: Array.from({ length: 501 }, () => one) }), 400, 'invalid_request'],
      ['over 1 MiB', JSON.stringify({ entries: [{ ...one, pad: 'x'.repeat(1024 * 1024) }] }), 413, 'payload_too_large'],
    ];
    for (const [, body, status, code] of cases) {
      const response = await fetch(`${server.url}/v1/notary/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(status);
      expect(ApiErrorSchema.parse(await response.json()).error.code).toBe(code);
    }
    const invalid = await submit(server.url, [{ entry: { ...one.entry, extra: 1 }, signature: one.signature }, { entry: one.entry }, null, 'x']);
    expect(invalid.results.every((r) => r.status === 'refused' && r.code === 'invalid_entry')).toBe(true);
    expect(await notaryRowCounts(server.db)).toEqual(before);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it.skipIf(variant.skip)('serves inclusion and consistency proofs between checkpoints, and raw entries that replay to the checkpoint', async () => {
    const chain = new TestChain(await approvedMember(server), chainId());
    const older = (await submit(server.url, await chain.take(3))).checkpoint!;
    const newer = (await submit(server.url, await chain.take(4))).checkpoint!;
    const a = openCheckpoint(older, { logKey: server.logKey.vkey }).checkpoint;
    const b = openCheckpoint(newer, { logKey: server.logKey.vkey }).checkpoint;
    expect(b.size).toBeGreaterThan(a.size);
    const consistency = ConsistencyProofAnswerSchema.parse(await (await fetch(`${server.url}/v1/log/proof/consistency?from=${a.size}&to=${b.size}`)).json());
    expect(verifyConsistencyBetween(a, b, consistency.proof.map((h) => fromBase64(h)!))).toEqual({ ok: true, fromSize: a.size, toSize: b.size });

    const hash = toBase64(leafHash(utf8(exportLine(chain.entries[1]!))));
    const inclusion = InclusionProofAnswerSchema.parse(await (await fetch(`${server.url}/v1/log/proof/inclusion?leafHash=${encodeURIComponent(hash)}&treeSize=${b.size}`)).json());
    const { verifyInclusionProof } = await import('../../../shared/transparency/proof');
    expect(verifyInclusionProof(fromBase64(hash)!, inclusion.leafIndex, b.size, inclusion.proof.map((h) => fromBase64(h)!), b.rootHash)).toBe(true);

    const current = await (await fetch(`${server.url}/v1/log/checkpoint`)).text();
    const size = openCheckpoint(current, { logKey: server.logKey.vkey }).checkpoint.size;
    const leaves: Uint8Array[] = [];
    for (let start = 0; start < size; start += 1000) {
      const page = LogEntriesPageSchema.parse(await (await fetch(`${server.url}/v1/log/entries?start=${start}&end=${Math.min(size, start + 1000)}`)).json());
      leaves.push(...page.leaves.map(utf8));
    }
    const report = await verifyLog(current, { logKey: server.logKey.vkey }, leaves);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);

    for (const bad of ['from=0&to=1', `from=2&to=1`, `from=1&to=${size + 1}`, 'from=01&to=2', 'from=1']) {
      const response = await fetch(`${server.url}/v1/log/proof/consistency?${bad}`);
      expect(response.status).toBe(400);
    }
    expect((await fetch(`${server.url}/v1/log/proof/inclusion?leafHash=${encodeURIComponent(toBase64(new Uint8Array(32)))}&treeSize=1`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/log/entries?start=0&end=${size + 1}`)).status).toBe(400);
  });

  it.skipIf(variant.skip)('gives a restored node its own entries and receipts back (recovery)', async () => {
    const chain = new TestChain(await approvedMember(server), chainId());
    await submit(server.url, await chain.take(6));
    const page = NotaryReceiptsPageSchema.parse(await (await fetch(`${server.url}/v1/notary/receipts?node=${chain.node.wallet.address}&afterSeq=2&limit=3`)).json());
    expect(page.entries.map((e) => JSON.parse(e.line).entry.seq)).toEqual([3, 4, 5]);
    expect(page.more).toBe(true);
    const root = rootOf(page.checkpoint!);
    for (const item of page.entries) {
      const signed = JSON.parse(item.line) as { entry: (typeof chain.entries)[number]['entry']; signature: string };
      expect(checkNotarized(item.notarized, signed, chain.digest(signed.entry), logPublicKey(), root)).toEqual({ ok: true });
    }
    const rest = NotaryReceiptsPageSchema.parse(await (await fetch(`${server.url}/v1/notary/receipts?node=${chain.node.wallet.address}&afterSeq=5`)).json());
    expect(rest.entries.map((e) => e.notarized.receipt.seq)).toEqual([6]);
    expect(rest.more).toBe(false);
  });

  it.skipIf(variant.skip)('takes a witness cosignature checked against its registered key; the served checkpoint carries it and meets the quorum', async () => {
    const witness = await approvedMember(server); // test members have the clinic and witness roles
    const secret = generateEd25519SecretKey();
    const signer = cosignatureV1Signer(witnessKeyName(witness.wallet.address), secret);
    const vkey = vkeyOf(signer);
    // Not endorsed by the member's identity key (signed by another key): refused, nothing stored.
    const stranger = walletRequestSigner(new Wallet(Wallet.createRandom().privateKey));
    const foreign = await endorseWitnessKey({ ...stranger, address: witness.wallet.address }, server.network.pinned.address, vkey);
    const unendorsed = await signedFetch(server.url, witness, server.network.pinned, '/v1/log/witnesses/me', { method: 'PUT', body: JSON.stringify({ vkey, endorsement: foreign }) });
    expect(unendorsed.status).toBe(401);
    expect(ApiErrorSchema.parse(await unendorsed.json()).error.code).toBe('bad_signature');
    const endorsement = await endorseWitnessKey(walletRequestSigner(witness.wallet), server.network.pinned.address, vkey);
    const register = await signedFetch(server.url, witness, server.network.pinned, '/v1/log/witnesses/me', { method: 'PUT', body: JSON.stringify({ vkey, endorsement }) });
    expect(register.status).toBe(200);
    await submit(server.url, await new TestChain(witness, chainId()).take(1));
    const note = await (await fetch(`${server.url}/v1/log/checkpoint`)).text();
    const { text } = parseNote(note);
    const size = openCheckpoint(note, { logKey: server.logKey.vkey }).checkpoint.size;

    const forged = formatSignatureLine(signatureFor(text, cosignatureV1Signer(witnessKeyName(witness.wallet.address), generateEd25519SecretKey()))).trimEnd();
    const refused = await signedFetch(server.url, witness, server.network.pinned, '/v1/log/cosignatures', { method: 'POST', body: JSON.stringify({ treeSize: size, line: forged }) });
    expect(refused.status).toBe(400);
    expect(ApiErrorSchema.parse(await refused.json()).error.code).toBe('bad_cosignature');

    const line = formatSignatureLine(signatureFor(text, signer)).trimEnd();
    const posted = await signedFetch(server.url, witness, server.network.pinned, '/v1/log/cosignatures', { method: 'POST', body: JSON.stringify({ treeSize: size, line }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({ treeSize: size, cosignatures: 1, quorum: 1, quorumMet: true });
    const served = await (await fetch(`${server.url}/v1/log/checkpoint`)).text();
    const opened = openCheckpoint(served, { logKey: server.logKey.vkey, witnesses: [vkey], quorum: 1 });
    if (opened.checkpoint.size === size) expect(opened.quorumMet).toBe(true);
    const exact = openCheckpoint(await (await fetch(`${server.url}/v1/log/checkpoint?size=${size}`)).text(), { logKey: server.logKey.vkey, witnesses: [vkey], quorum: 1 });
    expect(exact).toMatchObject({ quorumMet: true, cosignatures: [{ name: witnessKeyName(witness.wallet.address) }] });
    expect((await fetch(`${server.url}/v1/log/checkpoint?size=999999`)).status).toBe(404);
    const witnesses = await (await fetch(`${server.url}/v1/log/witnesses`)).json();
    expect(witnesses).toEqual({ witnesses: [{ member: witness.wallet.address, vkey, endorsement }] });
    // A node takes the key: endorsed by a current witness member; not when the endorsement is not the member's.
    const list = WitnessListSchema.parse(witnesses);
    expect(endorsedWitnessKeys(server.network.pinned.address, list, new Set([witness.wallet.address]))).toEqual([vkey]);
    expect(endorsedWitnessKeys(server.network.pinned.address, { witnesses: [{ ...list.witnesses[0]!, endorsement: foreign }] }, new Set([witness.wallet.address]))).toEqual([]);
    expect(endorsedWitnessKeys(server.network.pinned.address, list, new Set())).toEqual([]);

    const unsigned = await postJson(`${server.url}/v1/log/cosignatures`, { treeSize: size, line });
    expect(unsigned.status).toBe(401);
  });
});

/** The same signature with s replaced by n − s and v flipped: valid for plain ECDSA, refused as a second spelling. */
function flipS(signature: string): string {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  return `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`;
}
