import { z } from 'zod';
import { DEFAULT_MIN_CELL_SIZE, LOWEST_MIN_CELL_SIZE } from './cohort-answer';
import { QUERY_PURPOSES, type QueryPurpose } from './keyword-query';
import { PhdAmountSchema } from './query-answer';

/**
 * Research consent on a clinic node (issue 14 item 1): an institution-wide policy set by an
 * administrator, and per-patient consent records. Both are mind events in the journal (sealed,
 * authenticated), so the ledger signs them — a patient's record as a CONSENT entry with the
 * patient's pseudonym as subject, the policy as a SETTINGS_CHANGE — and the views rebuild from them.
 *
 * Who may be counted or offered for a purpose:
 *   - the policy must enable the purpose (research with sale, research without sale);
 *   - opt-in: only a patient whose latest record for the purpose is `granted`;
 *   - opt-out with notice: every patient except one whose latest record is `refused` or `withdrawn`.
 * Withdrawal takes effect for every answer computed after it (answers already sent stay sent).
 */
export const CONSENT_STATES = ['granted', 'refused', 'withdrawn'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/** `consent.recorded`: one patient's decision for one purpose, as the operator recorded it. */
export const ConsentRecordMetaSchema = z.strictObject({
  v: z.literal(1),
  /** The patient's pseudonymous view id (the ledger entry's subject is derived from it). */
  patientId: z.string().min(1).max(128),
  purpose: z.enum(QUERY_PURPOSES),
  state: z.enum(CONSENT_STATES),
  /** When the patient decided (YYYY-MM-DD), as the form says; the record's own time is the journal's. */
  decidedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type ConsentRecordMeta = z.infer<typeof ConsentRecordMetaSchema>;

/** `settings.researchPolicy`: the institution's research policy. */
export const ResearchPolicyMetaSchema = z.strictObject({
  v: z.literal(1),
  mode: z.enum(['opt-in', 'opt-out']),
  purposes: z.strictObject({ 'research-sale': z.boolean(), 'research-no-sale': z.boolean() }),
  minCellSize: z.number().int().min(LOWEST_MIN_CELL_SIZE).max(1000),
  /** Answer queries within this policy by itself, or wait for an administrator to review each. */
  answering: z.enum(['automatic', 'review']),
  /** The price per record the clinic's offers name, in PHD tokens (the purchase issue settles it); 1 when not set. */
  pricePerRecord: PhdAmountSchema.optional(),
  /**
   * The de-identification profile datasets are released under (issue 15 item 3): HIPAA Safe Harbor
   * (dates to the year) when not set, or longitudinal (every date of a patient, in the records and
   * in the DICOM files, shifted by one offset of ±1…maxShiftDays days).
   */
  releaseProfile: z.enum(['safe-harbor', 'longitudinal']).optional(),
  /** Longitudinal profile: the largest shift in days (1–365); DEFAULT_RELEASE_MAX_SHIFT_DAYS when not set. */
  maxShiftDays: z.number().int().min(1).max(365).optional(),
});
export type ResearchPolicy = z.infer<typeof ResearchPolicyMetaSchema>;

export const DEFAULT_RELEASE_MAX_SHIFT_DAYS = 180;

/** The profile and largest date shift a release uses under this policy (older policies: Safe Harbor). */
export function releaseProfileOf(policy: Pick<ResearchPolicy, 'releaseProfile' | 'maxShiftDays'>): { readonly profile: 'safe-harbor' | 'longitudinal'; readonly maxShiftDays: number } {
  return { profile: policy.releaseProfile ?? 'safe-harbor', maxShiftDays: policy.maxShiftDays ?? DEFAULT_RELEASE_MAX_SHIFT_DAYS };
}

/** Before an administrator sets one: nothing is answered (no purpose enabled). */
export const NO_RESEARCH_POLICY: ResearchPolicy = { v: 1, mode: 'opt-in', purposes: { 'research-sale': false, 'research-no-sale': false }, minCellSize: DEFAULT_MIN_CELL_SIZE, answering: 'review' };

/** A patient's latest consent record per purpose (the fold of their records in journal order). */
export type LatestConsent = Readonly<Partial<Record<QueryPurpose, ConsentState>>>;

export function consentAllows(policy: ResearchPolicy, latest: LatestConsent | undefined, purpose: QueryPurpose): boolean {
  if (!policy.purposes[purpose]) return false;
  const state = latest?.[purpose];
  return policy.mode === 'opt-in' ? state === 'granted' : state !== 'refused' && state !== 'withdrawn';
}

/** Folds one record into a patient's latest states (records come in journal order: the last one wins). */
export function foldConsent(latest: LatestConsent | undefined, record: Pick<ConsentRecordMeta, 'purpose' | 'state'>): LatestConsent {
  return { ...latest, [record.purpose]: record.state };
}
