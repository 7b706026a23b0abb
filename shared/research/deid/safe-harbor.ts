import type { Allergy, ClinicalRecord, CodedConcept, Diagnosis, ExtendedRecord, Immunization, Observation, Order, Patient, Report, Visit } from '../../domain/clinical';
import type { DeviceInfo, DeviceReading } from '../../journal/device-meta';
import { toHex, utf8Encode } from '../../crypto/bytes';
import { isRetractionStatus, isValueStatus, resultStatusOf, type ResultStatusCode } from '../../domain/result-status';
import { ageRangeOn } from '../cohort-answer';
import type { QiValues } from './generalization';

/**
 * De-identification of the clinic's HL7-derived records under HIPAA Safe Harbor, 45 CFR
 * 164.514(b)(2) (issue 15 item 3), in the mind: it takes the records as the mind holds them
 * (domain types, plaintext in memory) and returns rows that hold none of the 18 identifier kinds,
 * ready for k-anonymization (k-anonymity.ts). Pure TypeScript plus Web Crypto: it runs in the
 * renderer and in tests.
 *
 * Two profiles:
 * - `safe-harbor`: every date becomes its year ((b)(2)(i)(C)).
 * - `longitudinal`: every date is shifted by one offset per patient (±1…maxShiftDays days, keyed by
 *   HMAC-SHA-256 of a fresh release secret and the patient's internal id), so intervals survive.
 *   Shifted dates keep day elements, so this profile is NOT Safe Harbor: it needs an Expert
 *   Determination (164.514(b)(1)) or a limited data set agreement (164.514(e)); the report says so.
 *   Everything else is as in `safe-harbor`.
 *
 * Deliberately dropped beyond the letter of the rule (each could single a patient out and none is
 * needed for the analyses the datasets serve): the country, provider and author names, visit
 * locations, vaccine lot numbers and manufacturers, device make and model, and the display text of
 * codes from local (non-standard) code systems.
 */

/** The 18 identifier kinds of 164.514(b)(2)(i), and where each occurs in the clinic's records. */
export const SAFE_HARBOR_IDENTIFIERS = [
  { item: 'A', kind: 'Names', handling: 'patient name removed; provider, author and ordering-provider names removed too' },
  { item: 'B', kind: 'Geographic subdivisions smaller than a State', handling: 'street, city, country and visit location removed; ZIP cut to its first 3 digits, 000 for the restricted 3-digit areas' },
  { item: 'C', kind: 'All elements of dates (except year); ages over 89', handling: 'birth date removed (age at the release date kept, 90+ for 90 and over); every other date reduced to its year, or shifted per patient under the longitudinal profile' },
  { item: 'D', kind: 'Telephone numbers', handling: 'patient phones (home and business) removed' },
  { item: 'E', kind: 'Fax numbers', handling: 'none held apart from phones; removed with them' },
  { item: 'F', kind: 'Electronic mail addresses', handling: 'none held in structured fields; free text (where they could appear) dropped' },
  { item: 'G', kind: 'Social security numbers', handling: 'patient identifiers of every type (SS among them) removed' },
  { item: 'H', kind: 'Medical record numbers', handling: 'patient identifiers of every type (MR among them) removed; merges (which carry them) dropped' },
  { item: 'I', kind: 'Health plan beneficiary numbers', handling: 'patient identifiers of every type removed' },
  { item: 'J', kind: 'Account numbers', handling: 'patient identifiers of every type (AN among them) removed' },
  { item: 'K', kind: 'Certificate/license numbers', handling: 'patient identifiers of every type (DL among them) removed' },
  { item: 'L', kind: 'Vehicle identifiers and serial numbers', handling: 'none held in structured fields; free text dropped' },
  { item: 'M', kind: 'Device identifiers and serial numbers', handling: 'device system id, serial number, person id and the reading dedupe key (a hash of the system id) removed' },
  { item: 'N', kind: 'Web URLs', handling: 'observation references (RP pointers) removed' },
  { item: 'O', kind: 'IP addresses', handling: 'none held per patient; free text dropped' },
  { item: 'P', kind: 'Biometric identifiers', handling: 'encapsulated observation data (ED) removed' },
  { item: 'Q', kind: 'Full-face photographs and comparable images', handling: 'encapsulated observation data (ED) removed; images are de-identified apart (DICOM PS3.15 Annex E)' },
  { item: 'R', kind: 'Any other unique identifying number, characteristic, or code', handling: 'order, document and filler numbers, OBX sub-ids and lot numbers removed; pseudonyms are random per release' },
] as const;
export type IdentifierItem = (typeof SAFE_HARBOR_IDENTIFIERS)[number]['item'];

/**
 * 3-digit ZIP areas with 20,000 or fewer people (2000 Census), released as "000" ((b)(2)(i)(B)(2)):
 * the 17 listed in HHS, "Guidance Regarding Methods for De-identification of Protected Health
 * Information" (2012), §3.3 "When can ZIP codes be included in de-identified information?", from
 * the preamble at 67 FR 53182, 53233–53234 (Aug. 14, 2002). HHS asks to use newer Census data
 * once published; this table is the one HHS still publishes. Checked (Dec. 2026) against stored
 * copies of that HHS text (17 codes, same source; their table did not survive the copy) and
 * against the same 17 codes in several independent de-identification code bases.
 */
export const RESTRICTED_ZIP3 = new Set(['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893']);

export type DeidProfile = 'safe-harbor' | 'longitudinal';

/** One patient as the mind holds them: demographics and every record filed under them. */
export interface DeidSource {
  /** The mind's own id of the patient (never released; keys the date shift and the pseudonym map). */
  readonly patientId: string;
  readonly patient: Patient;
  readonly records: readonly (ClinicalRecord | ExtendedRecord)[];
  /** Device readings assigned to this patient, with the device that took them. */
  readonly deviceReadings?: readonly { readonly device: DeviceInfo; readonly reading: DeviceReading }[];
}

export interface SafeHarborOptions {
  readonly profile: DeidProfile;
  /** YYYY-MM-DD: ages are taken on this date. */
  readonly releaseDate: string;
  /** Longitudinal profile: the largest shift in days (default 182). */
  readonly maxShiftDays?: number;
  /** Longitudinal profile: the key of the shifts (fresh random 32 bytes by default; pass one only to reproduce a release). */
  readonly releaseSecret?: Uint8Array;
  /**
   * The release's pseudonyms by internal patient id, when the caller drew them already (so that the
   * DICOM files of the same release name the same patients alike); otherwise drawn here. Each
   * must be 32 lowercase hex digits and unique.
   */
  readonly pseudonyms?: ReadonlyMap<string, string>;
  /**
   * Observations whose value is free text (OBX TX/FT/ST): `drop` (default) leaves them out;
   * `coded-only` keeps their code, status and date without the text.
   */
  readonly textObservations?: 'drop' | 'coded-only';
}

export const DEFAULT_MAX_SHIFT_DAYS = 182;

/** A code as released: the display only for standard code systems (a local one's text is the sender's words). */
export interface DeidCode {
  readonly code: string;
  readonly system: string;
  readonly display?: string;
}

/** `when`: "2021" (a year), or "2021-03-04" (a shifted date, longitudinal); k-anonymization may coarsen years to spans. */
export type DeidRecord =
  | {
      readonly type: 'observation';
      readonly category: Observation['category'];
      readonly code: DeidCode;
      /** Null for a free-text value (coded-only option) and for a status whose value is no result (pending, cancelled…). */
      readonly value: { readonly kind: 'numeric'; readonly value: number; readonly unit?: string } | { readonly kind: 'coded'; readonly value: DeidCode } | { readonly kind: 'coded-list'; readonly values: readonly DeidCode[] } | null;
      readonly valueType?: string;
      readonly comparator?: string;
      readonly referenceRange?: string;
      readonly abnormalFlags?: readonly string[];
      /** OBX-11 as sent (HL7 table 0085: F, C, U, P, R, S, I, X, N, O…; never W or D, which are left out). */
      readonly status: ResultStatusCode;
      readonly when: string;
    }
  | { readonly type: 'visit'; readonly patientClass?: Visit['patientClass']; readonly when: string; readonly endWhen?: string }
  | { readonly type: 'diagnosis'; readonly code: DeidCode; readonly diagnosisType?: string; readonly when?: string }
  | { readonly type: 'allergy'; readonly allergen: DeidCode; readonly allergenType?: string; readonly severity?: string; readonly when?: string }
  | { readonly type: 'immunization'; readonly vaccine: DeidCode; readonly amount?: number; readonly unit?: string; readonly completionStatus?: string; readonly when: string }
  | { readonly type: 'report'; readonly kind: Report['kind']; readonly code: DeidCode; readonly status?: string; readonly observationCount?: number; readonly when: string }
  | { readonly type: 'order'; readonly control: string; readonly code: DeidCode; readonly status?: string; readonly priority?: string; readonly when: string }
  | { readonly type: 'device-reading'; readonly kind: DeviceReading['kind']; readonly mdcCode: number; readonly status: DeviceReading['status']; readonly value?: number; readonly unit?: string; readonly flags: readonly string[]; readonly quality: number; readonly when: string };

/** One patient after Safe Harbor, before k-anonymization. */
export interface DeidPatient {
  /** 128 random bits (hex), drawn for this release only. */
  readonly pseudonym: string;
  readonly qi: QiValues;
  /** The ℓ-diversity attribute: see primaryDiagnosis(). */
  readonly primaryDiagnosis: string;
  readonly records: readonly DeidRecord[];
}

export interface SafeHarborResult {
  readonly profile: DeidProfile;
  readonly releaseDate: string;
  readonly maxShiftDays?: number;
  readonly patients: readonly DeidPatient[];
  /** Pseudonym → the mind's patient id: stays on the clinic node (issue 15 item 8), never in a dataset. */
  readonly pseudonymMap: ReadonlyMap<string, string>;
  /**
   * Longitudinal profile: pseudonym → the patient's shift in days (clinic node only, never in a
   * dataset), so that the same release's DICOM dates move by the same offset as the records'.
   */
  readonly dateShifts?: ReadonlyMap<string, number>;
  /** How many values were removed, per identifier item, and free-text fields dropped. */
  readonly removed: Readonly<Record<IdentifierItem | 'freeText', number>>;
}

/** The value a patient without a diagnosis has for the sensitive attribute. */
export const NO_DIAGNOSIS = 'none';

const STANDARD_SYSTEMS = new Set(['LN', 'LOINC', 'SCT', 'SNOMED', 'SNM', 'I10', 'ICD10', 'I10C', 'I9', 'I9C', 'ICD9', 'CVX', 'MVX', 'RXNORM', 'NDC', 'CPT', 'C4', 'HCPCS', 'UCUM', 'MDC', 'ATC', 'HL70078', 'HL70127', 'HL70128']);

/** A ZIP's released form: its first 3 digits, 000 for a restricted area; null for anything else (a non-US postal code is a subdivision too). */
export function zip3Of(postalCode: string | undefined, country: string | undefined): string | null {
  if (postalCode === undefined) return null;
  if (country !== undefined && country !== '' && !['US', 'USA'].includes(country.toUpperCase())) return null;
  const match = /^(\d{3})\d{2}(?:-?\d{4})?$/.exec(postalCode.trim());
  if (match === null) return null;
  return RESTRICTED_ZIP3.has(match[1]!) ? '000' : match[1]!;
}

/**
 * Ages 90 and over are one category ((b)(2)(i)(C)): 90 stands for "90+". A birth date known only
 * to the month or the year (QA explore-11 D19) gives the age it is sure of, and 90+ when it may be 90.
 */
export function safeHarborAge(birthDate: string | undefined, releaseDate: string): number | null {
  const age = ageRangeOn(birthDate, releaseDate);
  return age === null ? null : age.max >= 90 ? 90 : age.min;
}

/**
 * The sensitive attribute ℓ-diversity is measured on: the patient's primary diagnosis, `system:code`
 * of the earliest final diagnosis (DG1-6 "F"), else of the earliest diagnosis of any type (undated
 * ones last, then in record order); "none" when the patient has no diagnosis.
 */
export function primaryDiagnosis(records: readonly (ClinicalRecord | ExtendedRecord)[]): string {
  const diagnoses = records.filter((r): r is Diagnosis => r.type === 'diagnosis');
  if (diagnoses.length === 0) return NO_DIAGNOSIS;
  const finals = diagnoses.filter((d) => d.diagnosisType?.toUpperCase() === 'F');
  const pool = finals.length > 0 ? finals : diagnoses;
  const earliest = pool.reduce((best, d) => (d.time !== undefined && (best.time === undefined || Date.parse(d.time) < Date.parse(best.time)) ? d : best));
  return `${earliest.code.system}:${earliest.code.code}`;
}

/** Pseudonyms of 128 random bits (hex, Web Crypto), drawn 4,096 at a time: one getRandomValues call per patient costs more than the rest of Safe Harbor. */
function pseudonymSource(): () => string {
  const batch = new Uint8Array(16 * 4096);
  let offset = batch.length;
  return () => {
    if (offset === batch.length) {
      crypto.getRandomValues(batch);
      offset = 0;
    }
    offset += 16;
    return toHex(batch.subarray(offset - 16, offset));
  };
}

/**
 * The patient's shift in days: ±1…max, never 0 (a zero shift would release true dates). HMAC-SHA-256
 * of the release secret and the internal id: consistent for one patient within a release, unrelated
 * across releases (a fresh secret each), and not derivable from anything released.
 */
export async function shiftDaysOf(key: CryptoKey, patientId: string, maxShiftDays: number): Promise<number> {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8Encode(`hdms-deid-date-shift/v1\0${patientId}`)));
  const draw = new DataView(mac.buffer).getUint32(0) % (2 * maxShiftDays);
  return draw < maxShiftDays ? -(draw + 1) : draw - maxShiftDays + 1;
}

export async function shiftKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/**
 * The calendar date as written (the sender's local date), shifted by whole days: YYYY-MM-DD.
 * Proleptic Gregorian day arithmetic (H. Hinnant's days_from_civil / civil_from_days) rather than
 * a Date per value: it runs for every date of every patient under the longitudinal profile.
 */
export function shiftDate(dateOrDateTime: string, days: number): string {
  const y0 = Number(dateOrDateTime.slice(0, 4));
  const m0 = Number(dateOrDateTime.slice(5, 7));
  const d0 = Number(dateOrDateTime.slice(8, 10));
  // days_from_civil
  const yy = y0 - (m0 <= 2 ? 1 : 0);
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m0 + (m0 > 2 ? -3 : 9)) + 2) / 5) + d0 - 1;
  const z = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy + days;
  // civil_from_days (z counted from 0000-03-01)
  const era2 = Math.floor(z / 146_097);
  const doe = z - era2 * 146_097;
  const yoe2 = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy2 = doe - (365 * yoe2 + Math.floor(yoe2 / 4) - Math.floor(yoe2 / 100));
  const mp = Math.floor((5 * doy2 + 2) / 153);
  const d = doy2 - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe2 + era2 * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** Safe Harbor on a whole population: one row per patient, with pseudonyms drawn for this release. */
export async function applySafeHarbor(sources: readonly DeidSource[], options: SafeHarborOptions): Promise<SafeHarborResult> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.releaseDate)) throw new RangeError('The release date is YYYY-MM-DD.');
  const longitudinal = options.profile === 'longitudinal';
  const maxShiftDays = options.maxShiftDays ?? DEFAULT_MAX_SHIFT_DAYS;
  if (longitudinal && (!Number.isSafeInteger(maxShiftDays) || maxShiftDays < 1 || maxShiftDays > 3650)) throw new RangeError('The largest date shift is 1 to 3650 days.');
  const key = longitudinal ? await shiftKey(options.releaseSecret ?? crypto.getRandomValues(new Uint8Array(32))) : undefined;
  const removed = Object.fromEntries([...SAFE_HARBOR_IDENTIFIERS.map((i) => [i.item, 0]), ['freeText', 0]]) as Removed;
  const pseudonymMap = new Map<string, string>();
  const dateShifts = new Map<string, number>();
  const patients: DeidPatient[] = [];
  const nextPseudonym = pseudonymSource();
  // The shifts' HMACs are asked for 1,024 at a time: awaiting each one alone cost 60 µs a patient.
  const CHUNK = 1024;
  for (let start = 0; start < sources.length; start += CHUNK) {
    const chunk = sources.slice(start, start + CHUNK);
    const shifts = key === undefined ? undefined : await Promise.all(chunk.map((source) => shiftDaysOf(key, source.patientId, maxShiftDays)));
    for (const [i, source] of chunk.entries()) {
      let pseudonym = options.pseudonyms?.get(source.patientId);
      if (pseudonym === undefined) {
        if (options.pseudonyms !== undefined) throw new RangeError('A patient of the release has no pseudonym.');
        do pseudonym = nextPseudonym();
        while (pseudonymMap.has(pseudonym));
      } else if (!/^[0-9a-f]{32}$/.test(pseudonym) || pseudonymMap.has(pseudonym)) throw new RangeError('A pseudonym is 32 hex digits, one per patient.');
      pseudonymMap.set(pseudonym, source.patientId);
      if (shifts !== undefined) dateShifts.set(pseudonym, shifts[i]!);
      patients.push(deidentifyPatient(source, pseudonym, options, shifts?.[i] ?? 0, removed));
    }
  }
  return { profile: options.profile, releaseDate: options.releaseDate, ...(longitudinal ? { maxShiftDays, dateShifts } : {}), patients, pseudonymMap, removed };
}

/** One patient; `shift` is 0 under the Safe Harbor profile (years only) and the patient's offset otherwise. */
function deidentifyPatient(source: DeidSource, pseudonym: string, options: SafeHarborOptions, shift: number, removed: Removed): DeidPatient {
  const { patient } = source;
  // (A) names, (G)(H)(I)(J)(K) every identifier, (D)(E) phones, (B) the address but ZIP3: none is copied.
  removed.A++;
  for (const identifier of patient.identifiers) removed[IDENTIFIER_ITEM[identifier.type.toUpperCase()] ?? 'R']++;
  if (patient.phones !== undefined) removed.D += patient.phones.length;
  if (patient.businessPhones !== undefined) removed.D += patient.businessPhones.length;
  if (patient.address !== undefined) removed.B++;
  // A PID-7 kept as sent because it was no valid date (birthDateSent) is a date element too: not copied, counted.
  if (patient.birthDate !== undefined || patient.birthDateSent !== undefined) removed.C++;
  const context: RecordContext = { shift: options.profile === 'longitudinal' ? shift : null, textObservations: options.textObservations ?? 'drop', removed };
  const records: DeidRecord[] = [];
  for (const record of source.records) {
    const out = deidentifyRecord(record, context);
    if (out !== null) records.push(out);
  }
  for (const { reading } of source.deviceReadings ?? []) {
    removed.M++;
    const out: Mutable<DeidRecord & { type: 'device-reading' }> = { type: 'device-reading', kind: reading.kind, mdcCode: reading.code, status: reading.status, flags: [...reading.flags], quality: reading.quality, when: dateOf(reading.time, context) };
    const value = reading.normalizedValue ?? reading.value;
    const unit = reading.normalizedValue !== undefined ? reading.normalizedUnit : reading.unit;
    if (value !== undefined) out.value = value;
    if (unit !== undefined) out.unit = unit;
    records.push(out);
  }
  const years = eventYears(records);
  return {
    pseudonym,
    qi: {
      age: safeHarborAge(patient.birthDate, options.releaseDate),
      sex: patient.sex ?? null,
      zip3: zip3Of(patient.address?.postalCode, patient.address?.country),
      firstYear: years?.first ?? null,
      lastYear: years?.last ?? null,
    },
    primaryDiagnosis: primaryDiagnosis(source.records),
    records,
  };
}

type Removed = Record<IdentifierItem | 'freeText', number>;

/** Which item of (b)(2)(i) a patient identifier falls under, by its HL7 table 0203 type (the rest: (R)). */
const IDENTIFIER_ITEM: Readonly<Record<string, IdentifierItem>> = {
  SS: 'G',
  MR: 'H',
  MRN: 'H',
  PI: 'H',
  PT: 'H',
  MB: 'I',
  SN: 'I',
  MA: 'I',
  MC: 'I',
  NH: 'I',
  JHN: 'I',
  AN: 'J',
  AND: 'J',
  DL: 'K',
  LN: 'K',
  PPN: 'K',
};
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface RecordContext {
  /** Days to shift every date by (longitudinal), or null: years only. */
  readonly shift: number | null;
  readonly textObservations: 'drop' | 'coded-only';
  readonly removed: Removed;
}

/** A record date as released: its year (as written, the sender's local date), or the shifted date. */
function dateOf(date: string, context: RecordContext): string {
  return context.shift === null ? date.slice(0, 4) : shiftDate(date, context.shift);
}

function codeOf(concept: CodedConcept): DeidCode {
  return STANDARD_SYSTEMS.has(concept.system.toUpperCase()) ? { code: concept.code, system: concept.system, display: concept.display } : { code: concept.code, system: concept.system };
}

/** A reference range is kept only when it is numbers and comparators ("70-110", "<5.7"), never words. */
const NUMERIC_RANGE = /^\s*[<>≤≥=]{0,2}\s*-?\d+(?:[.,]\d+)?(?:\s*[-–]\s*-?\d+(?:[.,]\d+)?)?\s*$/;

// Records are built by assignment (no spreads of optional fields): this runs for every record of
// every patient in a release, and the short-lived objects of spreads doubled its time.
function deidentifyRecord(record: ClinicalRecord | ExtendedRecord, context: RecordContext): DeidRecord | null {
  const { removed } = context;
  switch (record.type) {
    case 'observation': {
      const o: Observation = record;
      // Posted as wrong (W: e.g. sent for the wrong patient) or a deletion (D): no result of this patient.
      const status = resultStatusOf(o);
      if (isRetractionStatus(status)) return null;
      if (o.orderId !== undefined || o.subId !== undefined) removed.R++;
      if (o.comments !== undefined) removed.freeText += o.comments.length;
      if (o.valueDetail?.kind === 'reference') removed.N++;
      if (o.valueDetail?.kind === 'encapsulated') removed.P++;
      let value: Extract<DeidRecord, { type: 'observation' }>['value'];
      if (o.value.kind === 'text') {
        removed.freeText++;
        if (context.textObservations === 'drop') return null;
        value = null;
      } else if (!isValueStatus(status)) {
        // Pending, cannot be obtained, not asked…: whatever value came with it is no result (the views never read one).
        value = null;
      } else if (o.value.kind === 'numeric') {
        value = o.value.unit === undefined ? { kind: 'numeric', value: o.value.value } : { kind: 'numeric', value: o.value.value, unit: o.value.unit };
      } else if (o.valueDetail?.kind === 'coded-list') {
        // A repeated coded OBX-5 (several organisms): every code, not the first alone.
        value = { kind: 'coded-list', values: o.valueDetail.values.map(codeOf) };
      } else value = { kind: 'coded', value: codeOf(o.value.value) };
      const out: Mutable<DeidRecord & { type: 'observation' }> = { type: 'observation', category: o.category, code: codeOf(o.code), value, status, when: dateOf(o.time, context) };
      if (o.valueType !== undefined) out.valueType = o.valueType;
      if (o.valueDetail?.kind === 'structured-numeric' && o.valueDetail.comparator) out.comparator = o.valueDetail.comparator;
      if (o.referenceRange !== undefined) {
        if (NUMERIC_RANGE.test(o.referenceRange)) out.referenceRange = o.referenceRange.trim();
        else removed.freeText++;
      }
      if (o.abnormalFlags !== undefined) out.abnormalFlags = [...o.abnormalFlags];
      return out;
    }
    case 'visit': {
      const v: Visit = record;
      if (v.location !== undefined) removed.B++;
      if (v.attendingDoctor !== undefined) removed.A++;
      if (v.reason !== undefined) removed.freeText++;
      const out: Mutable<DeidRecord & { type: 'visit' }> = { type: 'visit', ...(v.patientClass === undefined ? {} : { patientClass: v.patientClass }), when: dateOf(v.start, context) };
      if (v.end !== undefined) out.endWhen = dateOf(v.end, context);
      return out;
    }
    case 'diagnosis': {
      const d: Diagnosis = record;
      const out: Mutable<DeidRecord & { type: 'diagnosis' }> = { type: 'diagnosis', code: codeOf(d.code) };
      if (d.diagnosisType !== undefined) out.diagnosisType = d.diagnosisType;
      if (d.time !== undefined) out.when = dateOf(d.time, context);
      return out;
    }
    case 'allergy': {
      const a: Allergy = record;
      if (a.reactions !== undefined) removed.freeText += a.reactions.length;
      const out: Mutable<DeidRecord & { type: 'allergy' }> = { type: 'allergy', allergen: codeOf(a.allergen) };
      if (a.allergenType !== undefined) out.allergenType = a.allergenType;
      if (a.severity !== undefined) out.severity = a.severity;
      if (a.identified !== undefined) out.when = dateOf(a.identified, context);
      return out;
    }
    case 'immunization': {
      const i: Immunization = record;
      if (i.lotNumbers !== undefined) removed.R += i.lotNumbers.length;
      if (i.manufacturer !== undefined) removed.freeText++;
      const out: Mutable<DeidRecord & { type: 'immunization' }> = { type: 'immunization', vaccine: codeOf(i.vaccine), when: dateOf(i.time, context) };
      if (i.amount !== undefined) out.amount = i.amount;
      if (i.unit !== undefined) out.unit = i.unit;
      if (i.completionStatus !== undefined) out.completionStatus = i.completionStatus;
      return out;
    }
    case 'report': {
      const r: Report = record;
      removed.R += (r.placerOrderId === undefined ? 0 : 1) + (r.fillerOrderId === undefined ? 0 : 1) + (r.documentId === undefined ? 0 : 1);
      if (r.author !== undefined) removed.A++;
      if (r.text !== undefined) removed.freeText++;
      if (r.comments !== undefined) removed.freeText += r.comments.length;
      const out: Mutable<DeidRecord & { type: 'report' }> = { type: 'report', kind: r.kind, code: codeOf(r.code), when: dateOf(r.time, context) };
      if (r.status !== undefined) out.status = r.status;
      if (r.observationCount !== undefined) out.observationCount = r.observationCount;
      return out;
    }
    case 'order': {
      const o: Order = record;
      removed.R += (o.placerOrderId === undefined ? 0 : 1) + (o.fillerOrderId === undefined ? 0 : 1);
      if (o.orderingProvider !== undefined) removed.A++;
      const out: Mutable<DeidRecord & { type: 'order' }> = { type: 'order', control: o.control, code: codeOf(o.code), when: dateOf(o.time, context) };
      if (o.status !== undefined) out.status = o.status;
      if (o.priority !== undefined) out.priority = o.priority;
      return out;
    }
    case 'merge':
      // A merge is two patients' identifiers and nothing else.
      removed.H += record.survivor.length + record.merged.length;
      return null;
  }
}

/** The years of a patient's first and last dated record (after Safe Harbor: a year or a shifted date). */
export function eventYears(records: readonly DeidRecord[]): { first: number; last: number } | null {
  let first = Infinity;
  let last = -Infinity;
  for (const record of records) {
    for (let d = 0; d < 2; d++) {
      const date = d === 0 ? record.when : record.type === 'visit' ? record.endWhen : undefined;
      if (date === undefined) continue;
      const year = Number(date.slice(0, 4));
      if (year < first) first = year;
      if (year > last) last = year;
    }
  }
  return first === Infinity ? null : { first, last };
}
