import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { ConsentRecordMetaSchema, consentAllows, isCalendarDay, foldConsent, NO_RESEARCH_POLICY, NOT_UNDER_SAFE_HARBOR, ResearchPolicyMetaSchema, type ConsentRecordMeta, type ConsentState, type LatestConsent, type ResearchPolicy } from '../../shared/research/consent';
import { countBucket, keyList, type CountBucket, type KeyListEntry } from '../../shared/research/cohort-answer';
import type { KeywordQuery, QueryPurpose } from '../../shared/research/keyword-query';
import { evaluateQuery } from './query-evaluation';
import { CurrentPort, type OpenSessionFeature, type SessionFeature, type SessionPort } from '../vault/session/session-feature';
import { asVaultError } from '../vault/vault-errors';
import { VaultError } from '../vault/vault-service';
import { decryptMany, deriveOperatorId } from '../vault/vault-crypto';
import { RESEARCH_POLICY_META_KEY, type ConsentDetail } from '../vault/views/projectors/consent-projector';
import type { VaultDb } from '../vault/views/vault-db';

/** One consent record as the patient page lists it. */
export interface ConsentEntry extends ConsentDetail {
  readonly seq: number;
  /** The recording operator's name when this vault knows it, else null (the pseudonym is in `operator`). */
  readonly operatorName: string | null;
}

export interface ResearchConsent {
  /** The institution's research policy (NO_RESEARCH_POLICY until an administrator sets one). */
  policy(): Promise<ResearchPolicy>;
  /** Administrators only: sets the policy (a SETTINGS_CHANGE ledger entry). */
  setPolicy(policy: Omit<ResearchPolicy, 'v'>): Promise<void>;
  /** A patient's consent records, newest first. */
  history(patientId: string): Promise<ConsentEntry[]>;
  /** Records a patient's decision for a purpose (a CONSENT ledger entry under the patient's pseudonym). */
  record(input: { readonly patientId: string; readonly purpose: QueryPurpose; readonly state: ConsentState; readonly decidedOn: string }): Promise<void>;
  /**
   * Whether each of `patientIds` may be counted or offered for `purpose` under the current policy
   * (shared/research/consent.ts consentAllows): the set of those that may.
   */
  allowed(patientIds: readonly string[], purpose: QueryPurpose): Promise<Set<string>>;
  /**
   * What this clinic would answer to a query under its current policy (query-evaluation.ts, then
   * shared/research/cohort-answer.ts): the count bucket and the KEY list, and — for this node's own
   * eyes only — how many patients matched.
   */
  evaluate(query: Pick<KeywordQuery, 'terms' | 'filters' | 'purpose'>, today?: string): Promise<{ readonly bucket: CountBucket; readonly keyList: readonly KeyListEntry[]; readonly matched: number }>;
}

const NAMESPACES = [] as const;

/**
 * Which of `patientIds` the policy and their latest consent records let be counted or offered for
 * `purpose` (shared/research/consent.ts consentAllows), from the views' consent records. Consent is
 * a person's: a chart merged into another (HL7 ADT^A40…) and its survivor are one person, whose
 * latest decision on either chart is theirs (a withdrawal recorded on the merged chart before the
 * merge still holds; a grant recorded on the survivor after it counts for both).
 */
export async function allowedByConsent(db: VaultDb, viewKey: CryptoKey, policy: ResearchPolicy, patientIds: readonly string[], purpose: QueryPurpose): Promise<Set<string>> {
  if (!policy.purposes[purpose]) return new Set();
  const survivorOf = new Map((await db.merges.toArray()).map((row) => [row.merged, row.survivor]));
  const personOf = (id: string): string => {
    const seen = new Set([id]);
    let current = id;
    for (let next = survivorOf.get(current); next !== undefined && !seen.has(next); next = survivorOf.get(current)) {
      seen.add(next);
      current = next;
    }
    return current;
  };
  const wanted = new Set(patientIds.map(personOf));
  // Every record, in journal order (few: one per decision), folded per person.
  const rows = (await db.consents.orderBy('seq').toArray()).map((row) => ({ row, person: personOf(row.patientId) }));
  const relevant = rows.filter(({ person }) => wanted.has(person));
  const details = await decryptMany<ConsentDetail>(
    viewKey,
    relevant.map(({ row }) => ({ table: 'consents', id: String(row.seq), stored: row.enc })),
  );
  const latest = new Map<string, LatestConsent>();
  relevant.forEach(({ person }, i) => latest.set(person, foldConsent(latest.get(person), details[i]!)));
  return new Set(patientIds.filter((id) => consentAllows(policy, latest.get(personOf(id)), purpose)));
}

/** 128 random bits, hex: a KEY-list entry's one-time key. */
function randomKey(): string {
  let hex = '';
  for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(16))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
type Port = SessionPort<never>;

/**
 * Research consent, the mind's half (issue 14 item 1): reads the consent records and the policy its
 * projector put in the views, and journals new ones as authenticated mind events, which the ledger
 * signs (CONSENT with the patient's pseudonym as subject; the policy as SETTINGS_CHANGE).
 */
export class ResearchConsentFeature implements SessionFeature<never>, ResearchConsent {
  readonly name = 'research-consent';
  readonly namespaces = NAMESPACES;
  private readonly session = new CurrentPort<never>();

  open(port: Port): OpenSessionFeature {
    return this.session.open(port);
  }

  private current(): Port {
    return this.session.get();
  }

  async policy(): Promise<ResearchPolicy> {
    const port = this.current();
    const row = await port.db().meta.get(RESEARCH_POLICY_META_KEY);
    const parsed = ResearchPolicyMetaSchema.safeParse(row?.value);
    return parsed.success ? parsed.data : NO_RESEARCH_POLICY;
  }

  async setPolicy(policy: Omit<ResearchPolicy, 'v'>): Promise<void> {
    const port = this.current();
    if (!port.isAdmin()) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator sets the research policy.');
    const parsed = ResearchPolicyMetaSchema.safeParse({ v: 1, ...policy });
    if (!parsed.success) throw new VaultError('E_NODE', 'The research policy is not complete: a mode, the purposes, a minimum cell size of at least 5, how queries are answered, and a release profile (a largest date shift of 1 to 365 days).');
    if ((parsed.data.releaseProfile ?? 'safe-harbor') === 'safe-harbor' && parsed.data.dicomOptions?.some((option) => NOT_UNDER_SAFE_HARBOR.has(option))) {
      throw new VaultError('E_NODE', 'Retain Device Identity is not allowed under HIPAA Safe Harbor: device serial numbers are identifiers. Choose the longitudinal profile, or leave the Option out.');
    }
    try {
      await port.appendEvent(MIND_KINDS.researchPolicy, parsed.data);
      await port.sync();
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async history(patientId: string): Promise<ConsentEntry[]> {
    const port = this.current();
    try {
      const rows = await port.db().consents.where('patientId').equals(patientId).toArray();
      const details = await decryptMany<ConsentDetail>(
        port.viewKey,
        rows.map((row) => ({ table: 'consents', id: String(row.seq), stored: row.enc })),
      );
      const names = await this.operatorNames(port);
      return rows.map((row, i) => ({ ...details[i]!, seq: row.seq, operatorName: details[i]!.operator === null ? null : (names.get(details[i]!.operator!) ?? null) })).sort((a, b) => b.seq - a.seq);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async record(input: { readonly patientId: string; readonly purpose: QueryPurpose; readonly state: ConsentState; readonly decidedOn: string }): Promise<void> {
    const port = this.current();
    const parsed = ConsentRecordMetaSchema.safeParse({ v: 1, ...input });
    if (!parsed.success) throw new VaultError('E_NODE', 'A consent record needs the patient, the purpose, the decision and the date it was given (YYYY-MM-DD).');
    const meta: ConsentRecordMeta = parsed.data;
    // Checked before the future: "2026-13-45" is no day at all, not a day to come (QA round 4, #7). The value is not repeated here (the form says it).
    if (!isCalendarDay(meta.decidedOn)) throw new VaultError('E_NODE', 'Decided on: the date of the decision is not a date (YYYY-MM-DD, a day of the calendar).');
    // This computer's calendar day, as the form shows it (a UTC day would refuse "today" just after midnight east of Greenwich).
    const now = new Date();
    const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    if (meta.decidedOn > today) throw new VaultError('E_NODE', 'The date of the decision cannot be in the future.');
    try {
      if ((await port.db().patients.get(meta.patientId)) === undefined) throw new VaultError('E_NODE', 'No such patient in this vault.');
      await port.appendEvent(MIND_KINDS.consentRecorded, meta);
      await port.sync();
    } catch (error) {
      throw asVaultError(error);
    }
  }

  async allowed(patientIds: readonly string[], purpose: QueryPurpose): Promise<Set<string>> {
    const port = this.current();
    return allowedByConsent(port.db(), port.viewKey, await this.policy(), patientIds, purpose);
  }

  async evaluate(query: Pick<KeywordQuery, 'terms' | 'filters' | 'purpose'>, today = new Date().toISOString().slice(0, 10)): Promise<{ readonly bucket: CountBucket; readonly keyList: readonly KeyListEntry[]; readonly matched: number }> {
    const port = this.current();
    try {
      const policy = await this.policy();
      const { cohort, members } = await evaluateQuery(port.db(), { indexKey: port.indexKey, viewKey: port.viewKey }, query, (ids) => this.allowed(ids, query.purpose), today);
      return { bucket: countBucket(cohort.length, policy.minCellSize), keyList: keyList(members, { today, minCellSize: policy.minCellSize, randomKey }), matched: cohort.length };
    } catch (error) {
      throw asVaultError(error);
    }
  }

  private async operatorNames(port: Port): Promise<Map<string, string>> {
    // The journal names operators by pseudonym (deriveOperatorId), the keyring by local id.
    const names = new Map<string, string>();
    for (const operator of port.operators()) names.set(await deriveOperatorId(port.ledgerKey, operator.operatorId), operator.name);
    return names;
  }
}
