import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberRole } from '../../../shared/network/network-domain';
import type { KeywordQuery } from '../../../shared/research/keyword-query';
import { SEARCH_ROUTES, SearchQueriesPageSchema, signKeywordQuery } from '../../../shared/research/search-api';
import { useTestDatabases } from '../support/test-databases';
import { newTestNode, postJson, signedFetch, signedJoin, type TestNode } from '../support/member-client';
import { startNotaryServer, type NotaryTestServer } from '../notary/support/notary-fixtures';

/**
 * The Data Search Service (issue 14 item 6): research members post signed queries, clinic members
 * list the open ones after a cursor; a member without the role, a query signed by someone else, an
 * expired or too long-lived query, and a second document under one id are refused and write nothing.
 */
const databases = useTestDatabases();

describe.each(databases.variants)('data search service $label', (variant) => {
  let server: NotaryTestServer;
  let researcher: TestNode;
  let clinic: TestNode;
  let other: TestNode;

  async function member(roles: MemberRole[]): Promise<TestNode> {
    const node = newTestNode();
    const response = await postJson(`${server.url}/v1/join`, await signedJoin(node, server.network.pinned, { roles }));
    expect(response.status).toBe(202);
    await server.membership.approve(node.wallet.address);
    return node;
  }

  const query = (by: TestNode, overrides: Partial<KeywordQuery> = {}): KeywordQuery => ({
    queryId: `0x${randomBytes(32).toString('hex')}`,
    terms: ['type 2 diabetes', 'HbA1c'],
    filters: { ageFrom: 40, ageTo: 65, dataTypes: ['labs'] },
    purpose: 'research-sale',
    researcher: by.wallet.address,
    answerKey: `0x04${'ab'.repeat(64)}`,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    ...overrides,
  });
  const post = async (as: TestNode, body: unknown) => signedFetch(server.url, as, server.network.pinned, SEARCH_ROUTES.queries, { method: 'POST', body: JSON.stringify(body) });
  const list = async (as: TestNode, after = 0) => signedFetch(server.url, as, server.network.pinned, `${SEARCH_ROUTES.queries}?after=${after}`);
  const stored = async (): Promise<number> => Number((await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM search_queries')).rows[0]!.n);
  const chainId = () => server.network.parameters.chainId;

  beforeAll(async () => {
    if (variant.skip) return;
    server = await startNotaryServer(await databases.open(variant.kind));
    researcher = await member(['research']);
    clinic = await member(['clinic']);
    other = await member(['clinic', 'witness']);
  }, 60_000);
  afterAll(async () => server?.close());

  it.skipIf(variant.skip)('keeps a research member\'s signed query for clinic members, by cursor; a retry gets the same seq', async () => {
    const signed = await signKeywordQuery(researcher.wallet, chainId(), query(researcher));
    const first = await post(researcher, signed);
    expect(first.status).toBe(201);
    const { seq } = (await first.json()) as { seq: number };
    const retry = await post(researcher, signed);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ seq });
    const page = SearchQueriesPageSchema.parse(await (await list(clinic)).json());
    expect(page.queries.find((q) => q.seq === seq)?.signed).toEqual(signed);
    const later = SearchQueriesPageSchema.parse(await (await list(clinic, page.next)).json());
    expect(later.queries).toEqual([]);
  });

  it.skipIf(variant.skip)('refuses members without the role, queries signed by another member or for another network, bad lifetimes and a second document under one id', async () => {
    const before = await stored();
    const signed = await signKeywordQuery(researcher.wallet, chainId(), query(researcher));
    expect((await (await post(clinic, signed)).json()) as unknown).toMatchObject({ error: { code: 'role_required' } });
    expect((await post(clinic, signed)).status).toBe(403);
    expect((await list(researcher)).status).toBe(403);
    // Posted by the researcher, but signed by a clinic's key in the researcher's name.
    const forged = await signKeywordQuery(clinic.wallet, chainId(), query(clinic));
    expect((await post(researcher, { ...forged, query: { ...forged.query, researcher: researcher.wallet.address } })).status).toBe(401);
    expect((await post(researcher, await signKeywordQuery(researcher.wallet, chainId() + 1, query(researcher)))).status).toBe(401);
    expect((await post(researcher, await signKeywordQuery(researcher.wallet, chainId(), query(researcher, { expiresAt: new Date(Date.now() - 1000).toISOString() })))).status).toBe(400);
    expect((await post(researcher, await signKeywordQuery(researcher.wallet, chainId(), query(researcher, { expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString() })))).status).toBe(400);
    expect((await post(researcher, { query: { terms: ['x'] }, signature: '0x00' })).status).toBe(400);
    expect(await stored()).toBe(before);
    const original = await signKeywordQuery(researcher.wallet, chainId(), query(researcher));
    expect((await post(researcher, original)).status).toBe(201);
    const sameId = await signKeywordQuery(researcher.wallet, chainId(), { ...original.query, terms: ['other'] });
    expect((await (await post(researcher, sameId)).json()) as unknown).toMatchObject({ error: { code: 'query_conflict' } });
    expect(await stored()).toBe(before + 1);
    // A non-member's signed request is refused by authentication itself.
    expect((await list(newTestNode())).status).toBe(403);
  });

  it.skipIf(variant.skip)('never lists an expired query', async () => {
    const soon = await signKeywordQuery(researcher.wallet, chainId(), query(researcher, { expiresAt: new Date(Date.now() + 1500).toISOString() }));
    const { seq } = (await (await post(researcher, soon)).json()) as { seq: number };
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const page = SearchQueriesPageSchema.parse(await (await list(other, seq - 1)).json());
    expect(page.queries.map((q) => q.seq)).not.toContain(seq);
  });
});
