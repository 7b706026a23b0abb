import { toHex, utf8Encode } from '../../crypto/bytes';
import { generalizeQis, hierarchiesFor, QI_NAMES, YEAR_HIERARCHY, type Levels, type QiName } from './generalization';
import { checkRequirements, findGeneralization, ReleaseRefusedError, verifyRelease, type AnonymityRequirements, type ReleasedDataset, type ReleasedRow, type Verification } from './k-anonymity';
import { SAFE_HARBOR_IDENTIFIERS, type DeidRecord, type SafeHarborResult } from './safe-harbor';
import { CID_7050, type SupportedOption } from '../../dicom/deid/deidentify-dataset';
import type { DicomReleaseOption } from '../consent';

/**
 * A de-identified release end to end (issue 15 item 3): the Safe Harbor rows are k-anonymized
 * (k-anonymity.ts), the released dataset is checked again by the independent verifier, and the
 * release report says what was done. The report travels with the dataset; its canonical JSON
 * (RFC 8785 style: sorted keys, no spaces) is hashed with SHA-256 for the ledger. The report does
 * not hash the rows (a canonical JSON of 100,000 patients' records costs seconds and ~90 MB): the
 * package's manifest binds the report to the delivered files. A release the verifier does not
 * confirm exactly is refused, never delivered.
 */

export interface ReleaseReport {
  readonly v: 1;
  readonly type: 'hdms.deid-release-report';
  /** When the release was made (ISO 8601, UTC). */
  readonly createdAt: string;
  /** Ages are taken on this date. */
  readonly releaseDate: string;
  readonly profile: 'safe-harbor' | 'longitudinal';
  /** The method in words: Safe Harbor, or why the longitudinal profile is not. */
  readonly method: string;
  readonly maxShiftDays?: number;
  readonly required: { readonly k: number; readonly l: number; readonly maxSuppression: number };
  readonly achieved: { readonly k: number; readonly l: number; readonly classes: number };
  readonly sensitiveAttribute: string;
  /** Per QI, in QI_NAMES order: the level chosen and what it means. */
  readonly quasiIdentifiers: readonly { readonly name: QiName; readonly level: number; readonly height: number; readonly meaning: string }[];
  /** Under Safe Harbor, record dates are released at the level of the coarser event year. */
  readonly recordDates: string;
  readonly rows: { readonly in: number; readonly out: number; readonly suppressed: number };
  readonly loss: { readonly metric: string; readonly value: number };
  readonly search: { readonly nodesEvaluated: number; readonly nodesInLattice: number };
  /** Values removed per 164.514(b)(2)(i) item (A…R), and free-text fields dropped. */
  readonly identifiersRemoved: Readonly<Record<string, number>>;
  /**
   * How the release's DICOM files (if any) are de-identified: PS3.15 Annex E's Basic Profile and the
   * Options applied, as PS3.16 CID 7050 codes, the same each file's (0012,0064) names. Absent from
   * reports made before the Options were selectable.
   */
  readonly dicom?: { readonly methods: readonly { readonly code: string; readonly meaning: string }[] };
  /**
   * Each row is one person: patient charts merged into another (HL7 ADT^A40, A34…) are read with
   * the surviving chart, never as people of their own. How many such charts were folded into the
   * rows given to de-identification, and how many records they added (those the surviving chart
   * did not hold already). Absent from reports made before, and when the caller does not say.
   */
  readonly merged?: { readonly charts: number; readonly records: number };
}

/** What merged charts added to the persons of a release (ReleaseReport.merged). */
export interface MergedCharts {
  readonly charts: number;
  readonly records: number;
}

export interface Release {
  readonly dataset: ReleasedDataset;
  readonly report: ReleaseReport;
  /** The report's canonical JSON and its SHA-256 (hex): what the ledger entry names. */
  readonly reportJson: string;
  readonly reportSha256: string;
  readonly verification: Verification;
  /** Released pseudonym → the mind's patient id (clinic node only). */
  readonly pseudonymMap: ReadonlyMap<string, string>;
  /** Longitudinal profile: released pseudonym → the patient's date shift in days (clinic node only; the DICOM files' dates move by the same). */
  readonly dateShifts?: ReadonlyMap<string, number>;
  /** The Annex E Options the release's DICOM files get (the policy's, and the dates Option of the longitudinal profile: dicomOptionsFor). */
  readonly dicomOptions: readonly SupportedOption[];
}

/**
 * The Annex E Options a release's DICOM files get: those the policy selected, and Modified Dates
 * under the longitudinal profile; in CID 7050 code order, the order (0012,0064) lists them in.
 */
export function dicomOptionsFor(profile: 'safe-harbor' | 'longitudinal', selected: readonly DicomReleaseOption[]): SupportedOption[] {
  const options = new Set<SupportedOption>([...selected, ...(profile === 'longitudinal' ? (['retainLongitudinalModifiedDates'] as const) : [])]);
  return [...options].sort((a, b) => Number(CID_7050[a].code) - Number(CID_7050[b].code));
}

export const LOSS_METRIC = 'mean over rows of: for a released row, the mean over generalizable QIs of level/height; for a suppressed row, 1';

/** Canonical JSON: object keys sorted (UTF-16 order), no whitespace, undefined members left out; finite numbers only. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('Canonical JSON holds finite numbers only.');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`Canonical JSON cannot hold a ${typeof value}.`);
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8Encode(text))));
}

/** The level every record date is released at (Safe Harbor profile): the coarser of the two event years. */
export function recordDateLevel(levels: Levels): number {
  return Math.max(levels.firstYear, levels.lastYear);
}

function generalizeRecordDates(records: readonly DeidRecord[], level: number): DeidRecord[] {
  if (level === 0) return [...records];
  const year = (when: string): string => YEAR_HIERARCHY.generalize(Number(when), level);
  return records.map((record) => {
    const out = { ...record } as { when?: string; endWhen?: string } & DeidRecord;
    if (out.when !== undefined) out.when = year(out.when);
    if (out.endWhen !== undefined) out.endWhen = year(out.endWhen);
    return out;
  });
}

/**
 * k-anonymizes the Safe Harbor rows, verifies the result independently and writes the report.
 * Throws ReleaseRefusedError when k or ℓ cannot be met within the suppression budget, or when the
 * verifier disagrees with the search.
 */
export async function releaseDataset(safeHarbor: SafeHarborResult, requirements: AnonymityRequirements = {}, createdAt = new Date().toISOString(), selectedDicomOptions: readonly DicomReleaseOption[] = [], merged?: MergedCharts): Promise<Release> {
  const required = checkRequirements(requirements);
  const { profile, patients } = safeHarbor;
  const generalization = findGeneralization(
    patients.map((p) => ({ qi: p.qi, sensitive: p.primaryDiagnosis })),
    profile,
    required,
  );
  const { levels } = generalization;
  const suppressed = new Set(generalization.suppressed);
  const dateLevel = profile === 'safe-harbor' ? recordDateLevel(levels) : 0;
  const rows: ReleasedRow[] = [];
  const pseudonymMap = new Map<string, string>();
  const dateShifts = safeHarbor.dateShifts === undefined ? undefined : new Map<string, number>();
  for (const [i, patient] of patients.entries()) {
    if (suppressed.has(i)) continue;
    const shift = safeHarbor.dateShifts?.get(patient.pseudonym);
    if (dateShifts !== undefined && shift !== undefined) dateShifts.set(patient.pseudonym, shift);
    rows.push({ pseudonym: patient.pseudonym, ...generalizeQis(patient.qi, levels, profile), primaryDiagnosis: patient.primaryDiagnosis, records: generalizeRecordDates(patient.records, dateLevel) });
    pseudonymMap.set(patient.pseudonym, safeHarbor.pseudonymMap.get(patient.pseudonym)!);
  }
  // Ordered by the random pseudonyms: the order of the clinic's records says nothing.
  rows.sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : a.pseudonym > b.pseudonym ? 1 : 0));
  const dataset: ReleasedDataset = { profile, rowsIn: patients.length, rows };
  const verification = verifyRelease(dataset, required);
  const disagreements = [
    ...verification.problems,
    ...(verification.suppressed === generalization.suppressed.length ? [] : [`the verifier counts ${verification.suppressed} suppressed rows, the search ${generalization.suppressed.length}`]),
    ...(verification.classes.length === generalization.classes ? [] : [`the verifier counts ${verification.classes.length} classes, the search ${generalization.classes}`]),
  ];
  if (disagreements.length > 0) throw new ReleaseRefusedError('verification', `Refused: the verification of the released rows failed: ${disagreements.slice(0, 5).join('; ')}.`);
  const hierarchies = hierarchiesFor(profile);
  const dicomOptions = dicomOptionsFor(profile, selectedDicomOptions);
  const report: ReleaseReport = {
    v: 1,
    type: 'hdms.deid-release-report',
    createdAt,
    releaseDate: safeHarbor.releaseDate,
    profile,
    method:
      profile === 'safe-harbor'
        ? 'HIPAA Safe Harbor, 45 CFR 164.514(b)(2): the 18 identifier kinds removed, dates reduced to years'
        : `Date-shifted: the 18 identifier kinds removed except that dates are shifted by one offset per patient (±1…${safeHarbor.maxShiftDays ?? 0} days); not Safe Harbor, an Expert Determination (45 CFR 164.514(b)(1)) or a limited data set agreement is needed`,
    ...(safeHarbor.maxShiftDays === undefined ? {} : { maxShiftDays: safeHarbor.maxShiftDays }),
    required,
    achieved: { k: verification.k, l: verification.l, classes: verification.classes.length },
    sensitiveAttribute: 'primary diagnosis: system:code of the earliest final diagnosis (DG1-6 F), else of the earliest diagnosis, else "none"',
    quasiIdentifiers: QI_NAMES.map((name) => ({ name, level: levels[name], height: hierarchies[name].height, meaning: hierarchies[name].levels[levels[name]]! })),
    recordDates: profile === 'safe-harbor' ? `${YEAR_HIERARCHY.levels[dateLevel]!} (the coarser of the two event years)` : 'shifted dates (YYYY-MM-DD)',
    rows: { in: patients.length, out: rows.length, suppressed: verification.suppressed },
    loss: { metric: LOSS_METRIC, value: Math.round(generalization.loss * 1e6) / 1e6 },
    search: { nodesEvaluated: generalization.nodesEvaluated, nodesInLattice: generalization.nodesInLattice },
    identifiersRemoved: Object.fromEntries([...SAFE_HARBOR_IDENTIFIERS.map(({ item }) => [item, safeHarbor.removed[item]] as const), ['freeText', safeHarbor.removed.freeText] as const]),
    dicom: { methods: [CID_7050.basic, ...dicomOptions.map((option) => CID_7050[option])].map(({ code, meaning }) => ({ code, meaning })) },
    ...(merged === undefined ? {} : { merged: { charts: merged.charts, records: merged.records } }),
  };
  const reportJson = canonicalJson(report);
  return { dataset, report, reportJson, reportSha256: await sha256Hex(reportJson), verification, pseudonymMap, ...(dateShifts === undefined ? {} : { dateShifts }), dicomOptions };
}
