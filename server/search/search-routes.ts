import type { FastifyRequest } from 'fastify';
import type { MemberRole } from '../../shared/network/network-domain';
import { MAX_QUERY_LIFETIME_MS, SEARCH_PAGE, SEARCH_ROUTES, SearchQueriesQuerySchema, SignedKeywordQuerySchema, verifyKeywordQuery, type SearchQueriesPage } from '../../shared/research/search-api';
import { ApiProblem } from '../http/api-problem';
import type { RouteServices } from '../http/server-app';

/**
 * The Data Search Service (documented in shared/research/search-api.ts). Queries are checked
 * before anything is written: the member posting has the research role, the document is a query
 * signed by that same member for this network, and it expires within MAX_QUERY_LIFETIME_MS. Only
 * clinic members list them. Expired queries are deleted by a sweep and never listed.
 */
export interface SearchConfig {
  /** How often expired queries are deleted (default one minute). */
  readonly sweepMs?: number;
}

export function registerSearch(services: RouteServices, config: SearchConfig = {}): void {
  const { app, db, network, now, authenticate, memberRateLimit } = services;
  const preHandler = [authenticate, memberRateLimit];

  const requireRole = async (request: FastifyRequest, role: MemberRole): Promise<string> => {
    const member = request.member!.address;
    const row = await db.query<{ roles: string }>("SELECT roles FROM members WHERE address = $1 AND status = 'approved'", [member]);
    if (!(row.rows[0]?.roles.split(',') ?? []).includes(role)) throw new ApiProblem('role_required', `This needs a member with the ${role} role.`);
    return member;
  };

  app.post(SEARCH_ROUTES.queries, { preHandler }, async (request, reply) => {
    const member = await requireRole(request, 'research');
    if (!SignedKeywordQuerySchema.safeParse(request.body).success) throw new ApiProblem('invalid_request', 'The body is not a signed keyword query.');
    const signed = verifyKeywordQuery({ chainId: network.parameters.chainId }, request.body);
    if (signed === null || signed.query.researcher !== member) throw new ApiProblem('bad_signature', 'The query is not signed by the member posting it, for this network.');
    const expiresAt = Date.parse(signed.query.expiresAt);
    const at = now();
    if (expiresAt <= at || expiresAt > at + MAX_QUERY_LIFETIME_MS) throw new ApiProblem('invalid_request', 'The query must expire in the future and within 30 days.');
    const document = JSON.stringify(signed);
    const inserted = await db.query<{ seq: number }>(
      'INSERT INTO search_queries (query_id, researcher, document, expires_at, posted_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (query_id) DO NOTHING RETURNING seq',
      [signed.query.queryId, member, document, expiresAt, at],
    );
    if (inserted.rows[0] !== undefined) return reply.code(201).send({ seq: inserted.rows[0].seq });
    // The same query posted again (a retry) is answered as before; another document under its id is not.
    const existing = await db.query<{ seq: number; document: string }>('SELECT seq, document FROM search_queries WHERE query_id = $1', [signed.query.queryId]);
    if (existing.rows[0]?.document !== document) throw new ApiProblem('query_conflict', 'Another query was posted under this query id.');
    return reply.code(200).send({ seq: existing.rows[0].seq });
  });

  app.get(SEARCH_ROUTES.queries, { preHandler }, async (request) => {
    await requireRole(request, 'clinic');
    const parsed = SearchQueriesQuerySchema.safeParse(request.query);
    if (!parsed.success) throw new ApiProblem('invalid_request', 'The query string is not valid for this endpoint.');
    const after = Number(parsed.data.after ?? 0);
    const rows = await db.query<{ seq: number; document: string }>('SELECT seq, document FROM search_queries WHERE seq > $1 AND expires_at > $2 ORDER BY seq LIMIT $3', [after, now(), SEARCH_PAGE]);
    const page: SearchQueriesPage = { queries: rows.rows.map((row) => ({ seq: Number(row.seq), signed: SignedKeywordQuerySchema.parse(JSON.parse(row.document)) })), next: rows.rows.length === 0 ? after : Number(rows.rows[rows.rows.length - 1]!.seq) };
    return page;
  });

  const sweep = setInterval(() => {
    db.query('DELETE FROM search_queries WHERE expires_at <= $1', [now()]).catch((error: Error) => app.log.warn({ err: { type: error.name, message: error.message } }, 'search sweep failed'));
  }, config.sweepMs ?? 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
