import { TypedDataEncoder, verifyTypedData, type TypedDataField } from 'ethers';
import { z } from 'zod';
import { networkDomain, type PinnedNetwork } from '../network/network-domain';
import type { TypedDataSigner } from '../network/membership';
import { KeywordQuerySchema, type KeywordQuery } from './keyword-query';

/**
 * The network's Data Search Service (issue 14 items 2 and 6): a research institute posts its signed
 * keyword query; the server keeps the open queries until they expire, so a clinic that comes online
 * late still gets them, and refuses queries from members without the research role. Clinics list
 * the open queries after a cursor. Answers never pass through here: they go to the researcher
 * through the relay, end-to-end encrypted.
 *
 *   POST /v1/search/queries   signed request by a member with the research role; body
 *                             { query, signature } (a SignedKeywordQuery, the query's researcher =
 *                             the request's member) → 201 { seq } (200 with the same seq when the
 *                             same document was posted before; 409 query_conflict for another one
 *                             under the same id)
 *   GET  /v1/search/queries?after=SEQ
 *                             signed request by a member with the clinic role → the open queries
 *                             after SEQ, oldest first, at most SEARCH_PAGE; `next` to continue
 *
 * The query is signed EIP-712 under the network's domain by the researcher's identity key, so a
 * clinic checks who asks without trusting the server.
 */
export const SEARCH_ROUTES = { queries: '/v1/search/queries' } as const;
export const SEARCH_PAGE = 100;
/** The longest a query may stay open. */
export const MAX_QUERY_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export const SignedKeywordQuerySchema = z.strictObject({ query: KeywordQuerySchema, signature: z.string().regex(/^0x[0-9a-f]{130}$/) });
export type SignedKeywordQuery = z.infer<typeof SignedKeywordQuerySchema>;

export const SearchQueriesQuerySchema = z.strictObject({ after: z.string().regex(/^\d{1,15}$/).optional() });

export const SearchQueriesPageSchema = z.strictObject({
  queries: z.array(z.strictObject({ seq: z.number().int().min(1), signed: SignedKeywordQuerySchema })).max(SEARCH_PAGE),
  next: z.number().int().min(0),
});
export type SearchQueriesPage = z.infer<typeof SearchQueriesPageSchema>;

const KEYWORD_QUERY_FIELDS: readonly TypedDataField[] = [
  { name: 'queryId', type: 'bytes32' },
  { name: 'researcher', type: 'address' },
  { name: 'terms', type: 'string[]' },
  /** The filters as canonical JSON (keys in schema order): one string, so every filter is signed. */
  { name: 'filters', type: 'string' },
  { name: 'purpose', type: 'string' },
  { name: 'answerKey', type: 'bytes' },
  { name: 'expiresAt', type: 'string' },
];
const keywordQueryTypes = (): Record<string, TypedDataField[]> => ({ KeywordQuery: KEYWORD_QUERY_FIELDS.map((field) => ({ ...field })) });

function typedValue(query: KeywordQuery): Record<string, unknown> {
  const f = query.filters;
  const filters = JSON.stringify({ ageFrom: f.ageFrom, ageTo: f.ageTo, sex: f.sex, from: f.from, to: f.to, dataTypes: f.dataTypes });
  return { queryId: query.queryId, researcher: query.researcher, terms: [...query.terms], filters, purpose: query.purpose, answerKey: query.answerKey, expiresAt: query.expiresAt };
}

/** The query's EIP-712 hash under the network's domain. */
export function keywordQueryHash(chainId: number, query: KeywordQuery): string {
  return TypedDataEncoder.hash({ ...networkDomain(chainId) }, keywordQueryTypes(), typedValue(query));
}

export async function signKeywordQuery(signer: TypedDataSigner, chainId: number, query: KeywordQuery): Promise<SignedKeywordQuery> {
  const parsed = KeywordQuerySchema.parse(query);
  if (parsed.researcher !== signer.address) throw new Error('The query names another researcher than its signer.');
  const signature = await signer.signTypedData({ ...networkDomain(chainId) }, keywordQueryTypes(), typedValue(parsed));
  return { query: parsed, signature: signature.toLowerCase() };
}

/** The signed query, checked: strict schema, and a signature by the researcher it names, for this network. Null when either fails. */
export function verifyKeywordQuery(network: Pick<PinnedNetwork, 'chainId'>, value: unknown): SignedKeywordQuery | null {
  const parsed = SignedKeywordQuerySchema.safeParse(value);
  if (!parsed.success) return null;
  try {
    const signer = verifyTypedData({ ...networkDomain(network.chainId) }, keywordQueryTypes(), typedValue(parsed.data.query), parsed.data.signature);
    return signer === parsed.data.query.researcher ? parsed.data : null;
  } catch {
    return null;
  }
}
