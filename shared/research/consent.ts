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
  /**
   * When the patient decided (YYYY-MM-DD), as the form says; the record's own time is the journal's.
   * A new record must name a real day (isCalendarDay, checked where it is recorded); the schema
   * keeps reading records journaled before that check, so replay never drops a decision made.
   */
  decidedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type ConsentRecordMeta = z.infer<typeof ConsentRecordMetaSchema>;

/** Whether `YYYY-MM-DD` names a day of the (proleptic Gregorian) calendar: 2024-02-29 does, 2026-02-30, 2025-13-01 and 2025-00-10 do not. */
export function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: years 0–99 stay those years.
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

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
  /** The PS3.15 Annex E Options released DICOM files get on top of the Basic Profile (none when not set). */
  dicomOptions: z.array(z.enum(['cleanDescriptors', 'retainInstitutionIdentity', 'retainDeviceIdentity'])).max(3).optional(),
});
export type ResearchPolicy = z.infer<typeof ResearchPolicyMetaSchema>;

export const DEFAULT_RELEASE_MAX_SHIFT_DAYS = 180;

/**
 * The Annex E Options (PS3.15 E.3) a clinic may select for its released DICOM files, beyond the
 * Basic Profile. Not offered: Retain UIDs and Retain Full Dates (unique numbers and dates, which
 * neither profile releases), Retain Patient Characteristics (the exact age and sex would be finer
 * than the release's generalized quasi-identifiers, so its verified k would not hold for the images)
 * and Retain Safe Private (every private attribute is removed). The dates Option follows the
 * release profile (Modified Dates under the longitudinal one).
 */
export type DicomReleaseOption = NonNullable<ResearchPolicy['dicomOptions']>[number];

/** Options a Safe Harbor release may not carry: device serial numbers are identifier (M) of 45 CFR 164.514(b)(2)(i). */
export const NOT_UNDER_SAFE_HARBOR: ReadonlySet<DicomReleaseOption> = new Set(['retainDeviceIdentity']);

export interface PolicyReleaseProfile {
  readonly profile: 'safe-harbor' | 'longitudinal';
  readonly maxShiftDays: number;
  /** The DICOM Options selected that the profile allows, in a fixed order. */
  readonly dicomOptions: readonly DicomReleaseOption[];
}

const DICOM_OPTION_ORDER: readonly DicomReleaseOption[] = ['cleanDescriptors', 'retainInstitutionIdentity', 'retainDeviceIdentity'];

/** The profile, largest date shift and DICOM Options a release uses under this policy (older policies: Safe Harbor, no Options). */
export function releaseProfileOf(policy: Pick<ResearchPolicy, 'releaseProfile' | 'maxShiftDays' | 'dicomOptions'>): PolicyReleaseProfile {
  const profile = policy.releaseProfile ?? 'safe-harbor';
  const selected = new Set(policy.dicomOptions ?? []);
  const dicomOptions = DICOM_OPTION_ORDER.filter((option) => selected.has(option) && !(profile === 'safe-harbor' && NOT_UNDER_SAFE_HARBOR.has(option)));
  return { profile, maxShiftDays: policy.maxShiftDays ?? DEFAULT_RELEASE_MAX_SHIFT_DAYS, dicomOptions };
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
