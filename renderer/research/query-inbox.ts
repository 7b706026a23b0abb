import { releaseProfileOf } from '../../shared/research/consent';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import type { NetworkState } from '../../shared/ipc/network-contract';
import { sealMessage } from '../../shared/network/relay';
import { encodePayload } from '../../shared/network/relay-payload';
import { walletRequestSigner } from '../../shared/network/signed-request';
import { countBucket, DEFAULT_KEY_LIST_K, describeBucket, keyList, suppressRare } from '../../shared/research/cohort-answer';
import { queryFingerprint, type KeywordQuery } from '../../shared/research/keyword-query';
import { decide, DEFAULT_QUERY_GUARD_POLICY, type GuardedAnswer, type QueryGuardState, type ResearcherRecord } from '../../shared/research/query-guard';
import { DECLINE_WORDS, MAX_KEY_LIST, type DeclineReason, type QueryDeclinedPayload } from '../../shared/research/query-answer';
import { MAX_GUARD_COHORT, type QueryAnsweredMeta, type QueryDeclinedMeta, type QueryReceivedMeta } from '../../shared/research/research-meta';
import { keywordQueryHash, verifyKeywordQuery } from '../../shared/research/search-api';
import { evaluateQuery } from './query-evaluation';
import type { ResearchConsent } from './research-consent';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { decryptMany } from '../vault/vault-crypto';
import type { IncomingQueryDetail, QueryOutcomeDetail } from '../vault/views/research-rows';

/** How long an answer waits at the relay for the researcher. */
const ANSWER_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** How often an unlocked clinic also asks the Data Search Service for open queries the relay did not bring. */
const CATCH_UP_MS = 10 * 60 * 1000;
/** The guard looks this far back (its longest window: repeats in 30 days). */
const GUARD_HISTORY_MS = DEFAULT_QUERY_GUARD_POLICY.repeatPeriodMs;

export type IncomingState = 'waiting' | 'answered' | 'declined' | 'expired';

/** A query as Marketplace › Incoming queries lists it. */
export interface IncomingQuery {
  readonly queryId: string;
  readonly query: KeywordQuery;
  /** The researcher's institution from the network map, or null when the map does not list it (then it is not answered). */
  readonly institution: string | null;
  readonly receivedAt: number;
  readonly via: IncomingQueryDetail['via'];
  readonly state: IncomingState;
  /** For an answered query: the count answered ("fewer than 11", "20 (rounded up…)"), whether it repeated an earlier answer, and the KEY list's length. */
  readonly answered: { readonly bucket: string; readonly repeat: boolean; readonly keys: number; readonly offerId: string | null } | null;
  /** For a declined one: why, and until when a locked-out researcher stays locked. */
  readonly declined: { readonly reason: string; readonly lockedUntil: string | null } | null;
}

export interface QueryInbox {
  /** Queries received, newest first, with what became of each. */
  incoming(): Promise<IncomingQuery[]>;
  /** Administrators: answers a waiting query now (within the policy and the guard). */
  answer(queryId: string): Promise<void>;
  /** Administrators: declines a waiting query (the researcher is told "declined"). */
  decline(queryId: string): Promise<void>;
}

const NAMESPACES = ['network'] as const;
type Port = SessionPort<(typeof NAMESPACES)[number]>;
type Member = NonNullable<NetworkState['map']>['members'][number];

function randomHex(bytes: number): string {
  let hex = '';
  for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(bytes))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** A uniformly random `n` of the indices 0…count-1 (Fisher–Yates on a copy), in order. */
function sampleOf(count: number, n: number): number[] {
  const index = Array.from({ length: count }, (_, i) => i);
  if (count <= n) return index;
  const random = new Uint32Array(n);
  globalThis.crypto.getRandomValues(random);
  for (let i = 0; i < n; i++) {
    const j = i + (random[i]! % (index.length - i));
    [index[i], index[j]] = [index[j]!, index[i]!];
  }
  return index.slice(0, n).sort((a, b) => a - b);
}

/**
 * An earlier answer served again for a repeat (same or nearly the same query): the same keys, less
 * the entries of patients no longer in the cohort (a withdrawn consent must leave every later
 * answer), with rare values suppressed again, and the count bucket of what remains.
 */
export function repeatOf(earlier: QueryAnsweredMeta, current: ReadonlySet<string>, minCellSize: number, queryId: string, now: number): Pick<QueryAnsweredMeta, 'answer' | 'matched' | 'keyTags'> {
  const keep = earlier.keyTags.map((tag) => current.has(tag));
  const removedFromCohort = earlier.cohortTags.length > 0 ? earlier.cohortTags.filter((tag) => !current.has(tag)).length : keep.filter((kept) => !kept).length;
  const matched = Math.max(0, earlier.matched - removedFromCohort);
  const bucket = countBucket(matched, minCellSize);
  const enough = bucket.kind === 'count';
  const entries = enough ? suppressRare(earlier.answer.keyList.filter((_, i) => keep[i])) : [];
  const keyTags = enough ? earlier.keyTags.filter((_, i) => keep[i]) : [];
  const offer = earlier.answer.offer === null || entries.length === 0 ? null : { ...earlier.answer.offer, records: entries.length };
  return {
    matched,
    keyTags,
    answer: { ...earlier.answer, queryId, bucket, keyList: entries.map((entry) => ({ ...entry, dataTypes: [...entry.dataTypes] })), offer, repeat: true, answeredAt: new Date(now).toISOString() },
  };
}

/**
 * A clinic's incoming queries (issue 14 items 3 and 4), in the mind of an unlocked clinic node.
 * Queries arrive in the journal while the vault is locked (the body's relay inbox); at unlock (and
 * every 10 minutes while unlocked) this feature also takes the open queries the Data Search Service
 * holds that the relay never brought (the node joined after they were sent). Under an "answer
 * automatically" policy it answers every waiting query after each replay, in any clinical session
 * (the administrator decided by setting the policy); under "review" an administrator answers or
 * declines each.
 *
 * Answering: the query's signature and expiry are checked, and its researcher must be a current
 * member with the research role whose message key is the query's answer key; then the cohort is
 * evaluated (blind index, consent, filters: query-evaluation.ts) and the guard decides (a new
 * answer, an earlier one served again, or a lockout: shared/research/query-guard.ts), its state
 * folded from this clinic's earlier outcomes in the views. The answer (count bucket, KEY list,
 * offer) is sealed to the researcher and sent through the relay, then journaled as `query.answered`:
 * a QUERY_ANSWERED ledger entry naming the query's hash and the count bucket, never the KEY list.
 */
export class QueryInboxFeature implements SessionFeature<(typeof NAMESPACES)[number]>, QueryInbox {
  readonly name = 'query-inbox';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<(typeof NAMESPACES)[number]>();
  /** One answering pass at a time (automatic answering runs after every replay). */
  private running: Promise<void> = Promise.resolve();
  /** Queries answered or declined in this session whose event the views may not show yet (a replay pending). */
  private readonly handled = new Set<string>();

  constructor(
    private readonly consent: ResearchConsent,
    /** The guard's and the expiry's clock (tests move it across the guard's windows). */
    private readonly clock: () => number = Date.now,
  ) {}

  open(port: Port): OpenSessionFeature {
    const opened = this.session.open(port);
    this.handled.clear();
    let fetchedAt = -Infinity;
    return {
      afterReplay: async () => {
        if (this.clock() - fetchedAt >= CATCH_UP_MS) {
          fetchedAt = this.clock();
          // Not awaited: the replay queue must not wait on the network.
          void this.fetchOpenQueries(port).catch(() => undefined);
        }
        void this.autoAnswer(port).catch(() => undefined);
      },
      close: opened.close,
    };
  }

  private current(): Port {
    return this.session.get();
  }

  private async clinicState(port: Port): Promise<(NetworkState & { map: NonNullable<NetworkState['map']> }) | null> {
    const { state } = await port.api.network.status({});
    if (state === null || state.status !== 'approved' || state.map === null || !state.roles.includes('clinic')) return null;
    return state as NetworkState & { map: NonNullable<NetworkState['map']> };
  }

  /** The open queries the Data Search Service holds and the views do not: journaled as `query.received`. */
  private async fetchOpenQueries(port: Port): Promise<void> {
    if ((await this.clinicState(port)) === null) return;
    let after = 0;
    for (;;) {
      const page = await port.api.network.openQueries({ after });
      const known = new Set((await port.db().incomingQueries.bulkGet(page.queries.map((entry) => entry.signed.query.queryId))).flatMap((row) => (row === undefined ? [] : [row.queryId])));
      let added = 0;
      for (const entry of page.queries) {
        if (known.has(entry.signed.query.queryId)) continue;
        const meta: QueryReceivedMeta = { v: 1, signed: entry.signed, receivedAt: new Date().toISOString() };
        await port.appendEvent(MIND_KINDS.queryReceived, meta);
        added++;
      }
      if (added > 0) port.requestSync();
      if (page.queries.length === 0 || page.next === after) return;
      after = page.next;
    }
  }

  private async details(port: Port): Promise<{ readonly detail: IncomingQueryDetail; readonly outcome: QueryOutcomeDetail | null }[]> {
    const db = port.db();
    const rows = await db.incomingQueries.orderBy('at').reverse().toArray();
    const details = await decryptMany<IncomingQueryDetail>(
      port.viewKey,
      rows.map((row) => ({ table: 'incomingQueries', id: row.queryId, stored: row.enc })),
    );
    const outcomeRows = await db.queryOutcomes.where('queryId').anyOf(rows.map((row) => row.queryId)).toArray();
    const outcomes = await decryptMany<QueryOutcomeDetail>(
      port.viewKey,
      outcomeRows.map((row) => ({ table: 'queryOutcomes', id: String(row.seq), stored: row.enc })),
    );
    // The first outcome of a query is the one that counts.
    const first = new Map<string, QueryOutcomeDetail>();
    outcomeRows.forEach((row, i) => {
      const existing = first.get(row.queryId);
      if (existing === undefined) first.set(row.queryId, outcomes[i]!);
    });
    return details.map((detail) => ({ detail, outcome: first.get(detail.signed.query.queryId) ?? null }));
  }

  async incoming(): Promise<IncomingQuery[]> {
    const port = this.current();
    try {
      const state = await this.clinicState(port);
      const names = new Map((state?.map.members ?? []).map((member) => [member.address, member.legalName]));
      const now = this.clock();
      return (await this.details(port)).map(({ detail, outcome }) => {
        const { query } = detail.signed;
        const stateOf: IncomingState = outcome !== null ? (outcome.kind === 'answered' ? 'answered' : 'declined') : Date.parse(query.expiresAt) <= now ? 'expired' : 'waiting';
        return {
          queryId: query.queryId,
          query,
          institution: names.get(query.researcher) ?? null,
          receivedAt: detail.receivedAt,
          via: detail.via,
          state: stateOf,
          answered: outcome?.kind === 'answered' ? { bucket: describeBucket(outcome.answer.bucket), repeat: outcome.decision === 'repeat', keys: outcome.answer.keyList.length, offerId: outcome.answer.offer?.offerId ?? null } : null,
          declined: outcome?.kind === 'declined' ? { reason: DECLINE_WORDS[outcome.reason], lockedUntil: outcome.lockedUntil } : null,
        };
      });
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async answer(queryId: string): Promise<void> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator answers a query.');
    await this.serialized(() => this.answerOne(port, queryId, 'manual'));
  }

  async decline(queryId: string): Promise<void> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator declines a query.');
    await this.serialized(async () => {
      const { detail, outcome } = await this.waiting(port, queryId);
      if (outcome !== null) throw new VaultError('E_NODE', 'This query was answered or declined already.');
      const state = await this.clinicState(port);
      if (state === null) throw new VaultError('E_NODE', 'This node is not an approved clinic member of a network.');
      await this.sendDecline(port, state, detail.signed.query, 'declined', null, null);
    });
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const run = this.running.then(task, task);
    this.running = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw asVaultError(error);
    });
  }

  private async waiting(port: Port, queryId: string): Promise<{ readonly detail: IncomingQueryDetail; readonly outcome: QueryOutcomeDetail | null }> {
    const found = (await this.details(port)).find((entry) => entry.detail.signed.query.queryId === queryId);
    if (found === undefined) throw new VaultError('E_NODE', 'No such query on this node.');
    if (found.outcome === null && this.handled.has(queryId)) throw new VaultError('E_NODE', 'This query was answered or declined already.');
    return found;
  }

  private async autoAnswer(port: Port): Promise<void> {
    if (!port.isCurrent()) return;
    const policy = await this.consent.policy();
    if (policy.answering !== 'automatic') return;
    await this.serialized(async () => {
      const now = this.clock();
      for (const { detail, outcome } of await this.details(port)) {
        if (!port.isCurrent()) return;
        if (outcome !== null || this.handled.has(detail.signed.query.queryId) || Date.parse(detail.signed.query.expiresAt) <= now) continue;
        // One query that cannot be answered (a researcher no longer a member) does not stop the others.
        await this.answerOne(port, detail.signed.query.queryId, 'automatic').catch(() => undefined);
      }
    });
  }

  private async answerOne(port: Port, queryId: string, how: 'manual' | 'automatic'): Promise<void> {
    const { detail, outcome } = await this.waiting(port, queryId);
    if (outcome !== null) {
      if (how === 'manual') throw new VaultError('E_NODE', 'This query was answered or declined already.');
      return;
    }
    let state = await this.clinicState(port);
    if (state === null) throw new VaultError('E_NODE', 'This node is not an approved clinic member of a network.');
    // A researcher who joined after this node's last look at the network map: ask the server for the current map once.
    if (!state.map.members.some((member) => member.address === detail.signed.query.researcher && member.messageKey === detail.signed.query.answerKey)) {
      await port.api.network.refresh({});
      state = (await this.clinicState(port)) ?? state;
    }
    const signed = verifyKeywordQuery(state.network, detail.signed);
    if (signed === null) throw new VaultError('E_NODE', 'The query’s signature does not verify for this network: it is not answered.');
    const { query } = signed;
    if (Date.parse(query.expiresAt) <= this.clock()) throw new VaultError('E_NODE', 'The query has expired.');
    const researcher = state.map.members.find((member) => member.address === query.researcher);
    if (researcher === undefined || !researcher.roles.includes('research')) throw new VaultError('E_NODE', 'The researcher is not a research member of the network (any longer): the query is not answered.');
    if (researcher.messageKey !== query.answerKey) throw new VaultError('E_NODE', 'The query’s answer key is not the researcher’s message key in the network map: it is not answered.');

    const policy = await this.consent.policy();
    if (!policy.purposes[query.purpose]) {
      await this.sendDecline(port, state, query, 'purpose-not-offered', null, null);
      return;
    }
    const now = this.clock();
    const today = new Date(now).toISOString().slice(0, 10);
    const { cohort, members } = await evaluateQuery(port.db(), { indexKey: port.indexKey, viewKey: port.viewKey }, query, (ids) => this.consent.allowed(ids, query.purpose), today);
    const cohortTags = cohort.length > MAX_GUARD_COHORT ? [] : await this.tags(port, cohort);
    const fingerprint = queryFingerprint(query);
    const guardPolicy = { ...DEFAULT_QUERY_GUARD_POLICY, minCellSize: policy.minCellSize };
    const decision = decide(await this.guardState(port, query.researcher, now), query.researcher, { fingerprint, cohort: cohortTags }, now, guardPolicy);
    if (decision.kind === 'locked') {
      await this.sendDecline(port, state, query, 'locked-out', new Date(decision.until).toISOString(), decision.reason);
      return;
    }
    let given: Pick<QueryAnsweredMeta, 'answer' | 'matched' | 'keyTags'>;
    if (decision.kind === 'repeat') {
      // The earlier answer again, less the patients no longer in the cohort (consent withdrawn, erased).
      const current = new Set(cohortTags.length > 0 || cohort.length === 0 ? cohortTags : await this.tags(port, cohort));
      given = repeatOf(decision.earlier.answer, current, policy.minCellSize, query.queryId, now);
    } else {
      const bucket = countBucket(cohort.length, policy.minCellSize);
      const listed = sampleOf(members.length, MAX_KEY_LIST);
      // Each entry's random key, drawn in member order, names its patient's tag (sealed in the journal only).
      const drawn = listed.map(() => randomHex(16));
      const listedTags = await this.tags(port, listed.map((i) => cohort[i]!));
      const tagOfKey = new Map(drawn.map((key, i) => [key, listedTags[i]!]));
      let next = 0;
      const keys = keyList(
        listed.map((i) => members[i]!),
        { today, minCellSize: policy.minCellSize, randomKey: () => drawn[next++]! },
      );
      given = {
        matched: cohort.length,
        keyTags: keys.map((entry) => tagOfKey.get(entry.key)!),
        answer: {
          type: 'query-answer',
          queryId: query.queryId,
          bucket,
          keyList: keys.map((entry) => ({ ...entry, dataTypes: [...entry.dataTypes] })),
          keyListTruncated: listed.length < members.length,
          offer:
            keys.length === 0
              ? null
              : {
                  offerId: `0x${randomHex(32)}`,
                  currency: 'PHD',
                  pricePerRecord: policy.pricePerRecord ?? '1',
                  // What the release will be: the policy's profile now, kept with the offer (the release follows the offer, not a later policy).
                  profile: releaseProfileOf(policy).profile === 'longitudinal' ? 'hipaa-longitudinal-k' : 'hipaa-safe-harbor-k',
                  k: DEFAULT_KEY_LIST_K,
                  records: keys.length,
                  validUntil: query.expiresAt,
                },
          repeat: false,
          answeredAt: new Date(now).toISOString(),
        },
      };
    }
    const answer = given.answer;
    const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: researcher.address, recipientMessageKey: query.answerKey, payload: encodePayload(answer), ttlMs: ANSWER_TTL_MS });
    await port.api.network.send({ envelopes: [envelope] });
    this.handled.add(query.queryId);
    const meta: QueryAnsweredMeta = { v: 1, queryId: query.queryId, researcher: query.researcher, queryHash: keywordQueryHash(state.network.chainId, query), fingerprint, cohortTags, matched: given.matched, keyTags: given.keyTags, decision: decision.kind, answer, messageId: envelope.id };
    await port.appendEvent(MIND_KINDS.queryAnswered, meta);
    port.requestSync();
  }

  private async sendDecline(port: Port, state: NetworkState & { map: NonNullable<NetworkState['map']> }, query: KeywordQuery, reason: DeclineReason, lockedUntil: string | null, lockReason: 'budget' | 'repeats' | null): Promise<void> {
    const researcher: Member | undefined = state.map.members.find((member) => member.address === query.researcher);
    // A researcher the map no longer lists is not written to; the decline is still recorded here.
    if (researcher?.messageKey === query.answerKey) {
      const payload: QueryDeclinedPayload = { type: 'query-declined', queryId: query.queryId, reason };
      const envelope = await sealMessage({ signer: walletRequestSigner(port.identity), recipient: researcher.address, recipientMessageKey: query.answerKey, payload: encodePayload(payload), ttlMs: ANSWER_TTL_MS });
      await port.api.network.send({ envelopes: [envelope] });
    }
    this.handled.add(query.queryId);
    const meta: QueryDeclinedMeta = { v: 1, queryId: query.queryId, researcher: query.researcher, reason, lockedUntil, lockReason };
    await port.appendEvent(MIND_KINDS.queryDeclined, meta);
    port.requestSync();
  }

  /** The guard's state for one researcher, folded from this clinic's outcomes of the last 30 days. */
  private async guardState(port: Port, researcher: string, now: number): Promise<QueryGuardState<QueryAnsweredMeta>> {
    const rows = (await port.db().queryOutcomes.where('researcher').equals(researcher).toArray()).filter((row) => row.at > now - GUARD_HISTORY_MS);
    const outcomes = await decryptMany<QueryOutcomeDetail>(
      port.viewKey,
      rows.map((row) => ({ table: 'queryOutcomes', id: String(row.seq), stored: row.enc })),
    );
    const answers: GuardedAnswer<QueryAnsweredMeta>[] = [];
    const repeats: number[] = [];
    let lockedUntil: number | null = null;
    let lockReason: ResearcherRecord<QueryAnsweredMeta>['lockReason'] = null;
    rows.forEach((row, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'answered') {
        if (outcome.decision === 'answer') {
          const { kind: _kind, ...meta } = outcome;
          answers.push({ fingerprint: outcome.fingerprint, cohort: outcome.cohortTags, answeredAt: row.at, answer: meta });
        }
        else repeats.push(row.at);
      } else if (outcome.lockedUntil !== null) {
        const until = Date.parse(outcome.lockedUntil);
        if (lockedUntil === null || until > lockedUntil) {
          lockedUntil = until;
          lockReason = outcome.lockReason;
        }
      }
    });
    return { [researcher]: { answers, repeats, lockedUntil, lockReason } };
  }

  private tags(port: Port, ids: readonly string[]): Promise<string[]> {
    return cohortTagsOf(port.indexKey, ids);
  }
}

/** Short keyed tags of patients' view ids (HMAC with the blind-index key, 48 bits): the guard compares cohorts by them. */
export async function cohortTagsOf(indexKey: CryptoKey, ids: readonly string[]): Promise<string[]> {
  const encoder = new TextEncoder();
  const macs = await Promise.all(ids.map((id) => globalThis.crypto.subtle.sign('HMAC', indexKey, encoder.encode(`research-cohort\n${id}`))));
  return macs.map((mac) => {
    let hex = '';
    for (const byte of new Uint8Array(mac).subarray(0, 6)) hex += byte.toString(16).padStart(2, '0');
    return hex;
  });
}
