import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import type { NetworkState } from '../../shared/ipc/network-contract';
import { RELAY_MAX_BATCH, sealBroadcast } from '../../shared/network/relay';
import { encodePayload } from '../../shared/network/relay-payload';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { KeywordQuerySchema, type KeywordQuery, type QueryFilters, type QueryPurpose } from '../../shared/research/keyword-query';
import type { QueryAnswerPayload, QueryDeclinedPayload } from '../../shared/research/query-answer';
import { BasketMetaSchema, MAX_BASKET_KEYS, type BasketItem, type QueryPostedMeta } from '../../shared/research/research-meta';
import { keywordQueryHash, MAX_QUERY_LIFETIME_MS, signKeywordQuery } from '../../shared/research/search-api';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { decryptMany } from '../vault/vault-crypto';
import { BASKET_META_KEY } from '../vault/views/projectors/research-projector';
import type { QueryAnswerDetail } from '../vault/views/research-rows';

/** What the researcher fills in (Marketplace › New query). */
export interface QueryInput {
  readonly terms: readonly string[];
  readonly filters: QueryFilters;
  readonly purpose: QueryPurpose;
  /** How long clinics may answer: 1 to 30 days. */
  readonly days: number;
}

/** One of the researcher's queries, as the list shows it. */
export interface MyQuerySummary {
  readonly queryId: string;
  readonly query: KeywordQuery;
  readonly postedAt: string;
  readonly clinicsAsked: number;
  readonly answered: number;
  readonly declined: number;
  readonly expired: boolean;
}

/** One clinic's part of a query's results. */
export interface ClinicResult {
  readonly clinic: string;
  /** Its legal name from the network map (its address when the map no longer lists it). */
  readonly institution: string;
  readonly state: 'waiting' | 'answered' | 'declined' | 'no answer';
  readonly answer: QueryAnswerPayload | null;
  readonly declined: QueryDeclinedPayload | null;
  readonly receivedAt: number | null;
}

export interface QueryResults {
  readonly summary: MyQuerySummary;
  /** Every clinic asked, and any that answered without being in the list (it joined meanwhile): answers first. */
  readonly clinics: readonly ClinicResult[];
}

export interface ResearchQueries {
  /** Signs a keyword query, posts it to the Data Search Service and broadcasts it to every clinic member; answers its id. */
  post(input: QueryInput): Promise<string>;
  /** This node's queries, newest first. */
  list(): Promise<MyQuerySummary[]>;
  /** A query's answers, per clinic, as they have arrived. */
  results(queryId: string): Promise<QueryResults>;
  basket(): Promise<readonly BasketItem[]>;
  /** Replaces the basket (a `basket.changed` event: what the purchase issue reads). */
  setBasket(items: readonly BasketItem[]): Promise<void>;
}

const NAMESPACES = ['network'] as const;
type Port = SessionPort<(typeof NAMESPACES)[number]>;

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long the relay keeps the broadcast for an offline clinic: its default longest time to live.
 * A query open longer still reaches a clinic that comes back later, from the Data Search Service.
 */
const BROADCAST_TTL_MS = 7 * DAY_MS;

function randomBytes32(): string {
  let hex = '0x';
  for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(32))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function hexOfPoint(point: Uint8Array): string {
  let hex = '0x';
  for (const byte of point) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The research institute's half of the network's data search (issue 14 items 2 and 5): a query is
 * signed EIP-712 by the node's identity key, posted to the server's Data Search Service (which keeps
 * it for clinics that come online later and refuses members without the research role) and
 * broadcast through the relay, sealed to each clinic member. Answers come back through the relay
 * sealed to this node's message key (the relay projector files them by query and clinic); this
 * feature joins them with the queries for the UI and keeps the basket.
 */
export class ResearchQueriesFeature implements SessionFeature<(typeof NAMESPACES)[number]>, ResearchQueries {
  readonly name = 'research-queries';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<(typeof NAMESPACES)[number]>();

  open(port: Port): OpenSessionFeature {
    return this.session.open(port);
  }

  private current(): Port {
    return this.session.get();
  }

  private async member(port: Port): Promise<NetworkState & { map: NonNullable<NetworkState['map']> }> {
    const { state } = await port.api.network.status({});
    if (state === null || state.status !== 'approved' || state.map === null) throw new VaultError('E_NODE', 'This node is not an approved member of a network yet.');
    if (!state.roles.includes('research')) throw new VaultError('E_NOT_ALLOWED', 'Only a research institute sends keyword queries: this node joined without the research role.');
    return state as NetworkState & { map: NonNullable<NetworkState['map']> };
  }

  async post(input: QueryInput): Promise<string> {
    const port = this.current();
    if (!Number.isInteger(input.days) || input.days < 1 || input.days * DAY_MS > MAX_QUERY_LIFETIME_MS) throw new VaultError('E_NODE', 'A query stays open for 1 to 30 days.');
    const state = await this.member(port);
    const terms = input.terms.map((term) => term.trim()).filter((term) => term !== '');
    const parsed = KeywordQuerySchema.safeParse({
      queryId: randomBytes32(),
      terms,
      filters: input.filters,
      purpose: input.purpose,
      researcher: state.node,
      answerKey: hexOfPoint(port.messagePublicKey),
      expiresAt: new Date(Date.now() + input.days * DAY_MS).toISOString(),
    });
    if (!parsed.success) throw new VaultError('E_NODE', 'A query needs 1 to 20 terms of at most 100 characters, ages between 0 and 120, and dates as YYYY-MM-DD.');
    const query = parsed.data;
    if (query.filters.ageFrom !== undefined && query.filters.ageTo !== undefined && query.filters.ageFrom > query.filters.ageTo) throw new VaultError('E_NODE', 'The lowest age is above the highest.');
    if (query.filters.from !== undefined && query.filters.to !== undefined && query.filters.from > query.filters.to) throw new VaultError('E_NODE', 'The date range ends before it starts.');
    try {
      const signed = await signKeywordQuery(port.identity, state.network.chainId, query);
      // The server's record first: if it refuses, nothing is recorded or sent.
      await port.api.network.postQuery(signed);
      const clinics = state.map.members.filter((member) => member.roles.includes('clinic') && member.address !== state.node && member.messageKey !== undefined);
      const meta: QueryPostedMeta = { v: 1, signed, queryHash: keywordQueryHash(state.network.chainId, query), clinics: clinics.map((clinic) => clinic.address), postedAt: new Date().toISOString() };
      await port.appendEvent(MIND_KINDS.queryPosted, meta);
      const envelopes = await sealBroadcast({
        signer: walletRequestSigner(port.identity),
        role: 'clinic',
        recipients: clinics.map((clinic) => ({ address: clinic.address, messageKey: clinic.messageKey! })),
        payload: encodePayload({ type: 'keyword-query', signed }),
        ttlMs: Math.min(Date.parse(query.expiresAt) - Date.now(), BROADCAST_TTL_MS),
      });
      for (let start = 0; start < envelopes.length; start += RELAY_MAX_BATCH) await port.api.network.send({ envelopes: envelopes.slice(start, start + RELAY_MAX_BATCH) });
      await port.sync();
      return query.queryId;
    } catch (error) {
      throw asVaultError(error);
    }
  }

  private async posted(port: Port): Promise<QueryPostedMeta[]> {
    const rows = await port.db().myQueries.orderBy('at').reverse().toArray();
    return decryptMany<QueryPostedMeta>(
      port.viewKey,
      rows.map((row) => ({ table: 'myQueries', id: row.queryId, stored: row.enc })),
    );
  }

  private async answersOf(port: Port, queryId: string): Promise<QueryAnswerDetail[]> {
    const rows = await port.db().queryAnswers.where('queryId').equals(queryId).toArray();
    return decryptMany<QueryAnswerDetail>(
      port.viewKey,
      rows.map((row) => ({ table: 'queryAnswers', id: row.key, stored: row.enc })),
    );
  }

  /**
   * The members whose answers to a query count: the clinics it was sent to, and current clinic
   * members (one that joined later took it from the search service). Any member can write to this
   * node, so an "answer" from anyone else is left out.
   */
  private answeringClinics(meta: QueryPostedMeta, state: NetworkState | null): Set<string> {
    return new Set([...meta.clinics, ...(state?.map?.members ?? []).filter((member) => member.roles.includes('clinic')).map((member) => member.address)]);
  }

  /** A query's answers that count (answeringClinics), decrypted once for both the summary and the results. */
  private async countedAnswers(port: Port, meta: QueryPostedMeta, state: NetworkState | null): Promise<QueryAnswerDetail[]> {
    const fromClinics = this.answeringClinics(meta, state);
    return (await this.answersOf(port, meta.signed.query.queryId)).filter((answer) => fromClinics.has(answer.clinic));
  }

  private summaryOf(meta: QueryPostedMeta, answers: readonly QueryAnswerDetail[]): MyQuerySummary {
    return {
      queryId: meta.signed.query.queryId,
      query: meta.signed.query,
      postedAt: meta.postedAt,
      clinicsAsked: meta.clinics.length,
      answered: answers.filter((answer) => answer.payload.type === 'query-answer').length,
      declined: answers.filter((answer) => answer.payload.type === 'query-declined').length,
      expired: Date.parse(meta.signed.query.expiresAt) <= Date.now(),
    };
  }

  async list(): Promise<MyQuerySummary[]> {
    const port = this.current();
    try {
      const posted = await this.posted(port);
      const { state } = await port.api.network.status({});
      return await Promise.all(posted.map(async (meta) => this.summaryOf(meta, await this.countedAnswers(port, meta, state))));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async results(queryId: string): Promise<QueryResults> {
    const port = this.current();
    try {
      const row = await port.db().myQueries.get(queryId);
      if (row === undefined) throw new VaultError('E_NODE', 'No such query on this node.');
      const [meta] = await decryptMany<QueryPostedMeta>(port.viewKey, [{ table: 'myQueries', id: row.queryId, stored: row.enc }]);
      const { state } = await port.api.network.status({});
      const names = new Map((state?.map?.members ?? []).map((member) => [member.address, member.legalName]));
      const answers = await this.countedAnswers(port, meta!, state);
      const expired = Date.parse(meta!.signed.query.expiresAt) <= Date.now();
      const byClinic = new Map(answers.map((answer) => [answer.clinic, answer]));
      const clinics = [...new Set([...answers.map((answer) => answer.clinic), ...meta!.clinics])].map((clinic): ClinicResult => {
        const got = byClinic.get(clinic);
        const payload = got?.payload ?? null;
        return {
          clinic,
          institution: names.get(clinic) ?? clinic,
          state: payload === null ? (expired ? 'no answer' : 'waiting') : payload.type === 'query-answer' ? 'answered' : 'declined',
          answer: payload?.type === 'query-answer' ? payload : null,
          declined: payload?.type === 'query-declined' ? payload : null,
          receivedAt: got?.receivedAt ?? null,
        };
      });
      const order = { answered: 0, declined: 1, waiting: 2, 'no answer': 3 } as const;
      clinics.sort((a, b) => order[a.state] - order[b.state] || a.institution.localeCompare(b.institution));
      return { summary: this.summaryOf(meta!, answers), clinics };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async basket(): Promise<readonly BasketItem[]> {
    const port = this.current();
    const row = await port.db().meta.get(BASKET_META_KEY);
    const parsed = BasketMetaSchema.safeParse(row?.value);
    return parsed.success ? parsed.data.items : [];
  }

  async setBasket(items: readonly BasketItem[]): Promise<void> {
    const port = this.current();
    const parsed = BasketMetaSchema.safeParse({ v: 1, items });
    if (!parsed.success) throw new VaultError('E_NODE', `The basket holds at most 100 offers and ${MAX_BASKET_KEYS.toLocaleString('en')} keys in all.`);
    try {
      await port.appendEvent(MIND_KINDS.basketChanged, parsed.data);
      await port.sync();
    } catch (error) {
      throw asVaultError(error);
    }
  }
}
