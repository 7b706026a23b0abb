import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorSchema } from '../../../shared/network/api';
import { ClaimAnswerSchema, consumptionKey, purchaseIdInput, type Notarized } from '../../../shared/network/notary';
import { signedFetch } from '../support/member-client';
import { useTestDatabases } from '../support/test-databases';
import { approvedMember, notaryRowCounts, startNotaryServer, submit, TestChain, type NotaryTestServer } from './support/notary-fixtures';
import type { TestNode } from '../support/member-client';

/**
 * The notary's uniqueness check as the purchase uses it (issue 15 item 1), with the server's
 * default consuming kinds, on PGlite and a real PostgreSQL: a clinic's PURCHASE_ACCEPTED entry
 * consumes `offer:<clinic>:<offer id>` for each offer it sells; a second acceptance of the offer is
 * refused, one of another offer is not; a replayed acceptance is the same receipt; claims come
 * before the entry and refuse a second purchase with 409 input_consumed; concurrent duplicates:
 * exactly one wins. KEY_RELEASE consumes `key-release:<keeper>:<purchase id>` alike.
 */
const databases = useTestDatabases();

const hash = (byte: string): string => `0x${byte.repeat(32)}`;

describe.each(databases.variants)('purchase acceptance consumes the offer $label', (variant) => {
  let server: NotaryTestServer;
  const chainId = (): number => server.network.parameters.chainId;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startNotaryServer(await databases.open(variant.kind));
  }, 60_000);
  afterAll(async () => server?.close());

  const claim = (node: TestNode, keys: readonly string[], subject: string): Promise<Response> =>
    signedFetch(server.url, node, server.network.pinned, '/v1/notary/claims', { method: 'POST', body: JSON.stringify({ keys, claim: subject }) });
  const expectNotarized = (result: unknown): Notarized => {
    expect(result).toMatchObject({ status: 'notarized' });
    return result as Notarized;
  };

  it.skipIf(variant.skip)('refuses a second PURCHASE_ACCEPTED of an offer, accepts one of another offer, and answers a replayed acceptance with its receipt', async () => {
    const clinic = new TestChain(await approvedMember(server), chainId());
    const offerA = hash('a1');
    const offerB = hash('b2');
    const first = await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('01'), inputs: [offerA] });
    const accepted = expectNotarized((await submit(server.url, [first])).results[0]);

    const before = await notaryRowCounts(server.db);
    const again = await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('02'), inputs: [offerB, offerA] });
    expect((await submit(server.url, [again])).results[0]).toMatchObject({
      status: 'refused',
      code: 'input_consumed',
      consumedBy: { input: consumptionKey('offer', clinic.node.wallet.address, offerA), node: clinic.node.wallet.address, seq: 1, leafIndex: accepted.receipt.leafIndex },
    });
    // Nothing of the refused entry was written: offer B is still free.
    expect(await notaryRowCounts(server.db)).toEqual(before);

    // The same entry again (a replay): the same receipt, nothing consumed twice.
    expect(expectNotarized((await submit(server.url, [first])).results[0]).receipt).toEqual(accepted.receipt);
    expect(await notaryRowCounts(server.db)).toEqual(before);

    // Another offer is sold (seq 2 again: the refused entry never became part of the chain at the
    // notary; a node cannot go past a refused entry, which is why claims come first).
    const otherOffer = await clinic.next({ seq: 2, prevHash: clinic.digest(first.entry), kind: 'PURCHASE_ACCEPTED', subject: hash('03'), inputs: [offerB] });
    expectNotarized((await submit(server.url, [otherOffer])).results[0]);
    // Another clinic's offer of the same id is its own key.
    const elsewhere = new TestChain(await approvedMember(server), chainId());
    expectNotarized((await submit(server.url, [await elsewhere.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('04'), inputs: [offerA] })])).results[0]);
  });

  it.skipIf(variant.skip)('the same acceptance signed twice by its clinic (same request hash) is notarized without consuming again; another request is refused', async () => {
    const node = await approvedMember(server);
    const clinic = new TestChain(node, chainId());
    const offer = hash('a7');
    const subject = hash('41');
    expectNotarized((await submit(server.url, [await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject, inputs: [offer] })])).results[0]);
    expectNotarized((await submit(server.url, [await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject, inputs: [offer] })])).results[0]);
    const rows = await server.db.query<{ seq: number }>('SELECT seq FROM consumed_inputs WHERE input = $1', [consumptionKey('offer', node.wallet.address, offer)]);
    expect(rows.rows.map((row) => Number(row.seq))).toEqual([1]);
    expect((await submit(server.url, [await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('42'), inputs: [offer] })])).results[0]).toMatchObject({ status: 'refused', code: 'input_consumed' });
  });

  it.skipIf(variant.skip)('claims before signing: a second purchase of the offer is refused with 409 input_consumed, the claimed entry consumes, others are refused', async () => {
    const node = await approvedMember(server);
    const clinic = new TestChain(node, chainId());
    const offer = hash('c3');
    const key = consumptionKey('offer', node.wallet.address, offer);

    const claimed = await claim(node, [key], hash('11'));
    expect(claimed.status).toBe(200);
    expect(ClaimAnswerSchema.parse(await claimed.json())).toEqual({ keys: [key], claim: hash('11') });
    // The same claim again (a retry) is fine; a claim for another request is not.
    expect((await claim(node, [key], hash('11'))).status).toBe(200);
    const second = await claim(node, [key, consumptionKey('offer', node.wallet.address, hash('c4'))], hash('12'));
    expect(second.status).toBe(409);
    expect(ApiErrorSchema.parse(await second.json()).error.code).toBe('input_consumed');

    // An entry of another subject is refused the claimed key; the claimed one consumes it.
    const wrong = await new TestChain(node, chainId()).next({ kind: 'PURCHASE_ACCEPTED', subject: hash('12'), inputs: [offer] });
    expect((await submit(server.url, [wrong])).results[0]).toMatchObject({ status: 'refused', code: 'input_consumed', consumedBy: { input: key, seq: null } });
    const entry = await clinic.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('11'), inputs: [offer] });
    expectNotarized((await submit(server.url, [entry])).results[0]);
    // Consumed: another request's claim is refused; the same request's claim is its own (two windows of the clinic).
    expect((await claim(node, [key], hash('14'))).status).toBe(409);
    expect((await claim(node, [key], hash('11'))).status).toBe(200);
    // The other key of the refused claim was not claimed: it is free.
    expect((await claim(node, [consumptionKey('offer', node.wallet.address, hash('c4'))], hash('13'))).status).toBe(200);
  });

  it.skipIf(variant.skip)('refuses claims of another node\'s keys and of kinds that do not consume', async () => {
    const node = await approvedMember(server);
    const other = await approvedMember(server);
    for (const key of [consumptionKey('offer', other.wallet.address, hash('d4')), consumptionKey('consent', node.wallet.address, hash('d4'))]) {
      const response = await claim(node, [key], hash('21'));
      expect(response.status).toBe(400);
    }
  });

  it.skipIf(variant.skip)('concurrent claims of one offer for different requests: exactly one wins', async () => {
    const node = await approvedMember(server);
    const key = consumptionKey('offer', node.wallet.address, hash('e5'));
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(node, [key], `0x${(i + 1).toString(16).padStart(64, '0')}`).then((response) => response.status)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(7);
  });

  it.skipIf(variant.skip)('concurrently submitted acceptances of one offer (separate submissions): exactly one is notarized', async () => {
    const node = await approvedMember(server);
    const chain = new TestChain(node, chainId());
    const offer = hash('f6');
    const e1 = await chain.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('31'), inputs: [offer] });
    const e2 = await chain.next({ kind: 'PURCHASE_ACCEPTED', subject: hash('32'), inputs: [offer] });
    // Two submitters at once, each with the whole chain (as two windows' syncs would): e1 is the
    // same entry in both (idempotent), e2 is refused in both.
    const [x, y] = await Promise.all([submit(server.url, [e1, e2]), submit(server.url, [e1, e2])]);
    for (const answer of [x, y]) {
      expectNotarized(answer.results[0]);
      expect(answer.results[1]).toMatchObject({ status: 'refused', code: 'input_consumed' });
    }
    expect(expectNotarized(x.results[0]).receipt).toEqual(expectNotarized(y.results[0]).receipt);
    const rows = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM consumed_inputs WHERE input = $1', [consumptionKey('offer', node.wallet.address, offer)]);
    expect(rows.rows[0]!.n).toBe(1);
  });

  it.skipIf(variant.skip)('a keeper releases once per purchase: KEY_RELEASE consumes key-release:<keeper>:<purchase id>', async () => {
    const keeper = new TestChain(await approvedMember(server), chainId());
    const purchase = `0x${'9a'.repeat(16)}`;
    expectNotarized((await submit(server.url, [await keeper.next({ kind: 'KEY_RELEASE', inputs: [purchaseIdInput(purchase)] })])).results[0]);
    expect((await submit(server.url, [await keeper.next({ kind: 'KEY_RELEASE', inputs: [purchaseIdInput(purchase)] })])).results[0]).toMatchObject({
      status: 'refused',
      code: 'input_consumed',
      consumedBy: { input: `key-release:${keeper.node.wallet.address.toLowerCase()}:0x${'0'.repeat(32)}${'9a'.repeat(16)}` },
    });
    // Released: a claim of it again is refused even for the same subject (no sameSubjectAgain for releases).
    expect((await claim(keeper.node, [consumptionKey('key-release', keeper.node.wallet.address, purchaseIdInput(purchase))], `0x${'00'.repeat(32)}`)).status).toBe(409);
    // Another keeper releases its own share of the same purchase.
    const other = new TestChain(await approvedMember(server), chainId());
    expectNotarized((await submit(server.url, [await other.next({ kind: 'KEY_RELEASE', inputs: [purchaseIdInput(purchase)] })])).results[0]);
  });
});
