import { deidentifyInstance, type ExclusionCode, type SupportedOption } from '../../dicom/deid/deidentify-dataset';
import { createUidRemapper } from '../../dicom/deid/uid-remap';
import { SUPPRESSED, UNKNOWN, YEAR_HIERARCHY } from '../deid/generalization';
import type { ReleasedRow } from '../deid/k-anonymity';
import { shiftDate } from '../deid/safe-harbor';
import type { PackageFile } from './dataset-package';
import type { DeidentifiedInstanceMeta } from './fhir-r4';

/**
 * The DICOM part of a dataset package (issue 15 item 4): the released patients' instances, each
 * de-identified under PS3.15 Annex E (shared/dicom/deid, the Basic Profile: private attributes
 * removed, dates removed, (0012,0062)/(0012,0063) written; under the longitudinal profile with the
 * Modified Dates Option instead, each date shifted by the patient's offset) with one UID
 * remapper for the whole release (the study/series/instance structure and every reference hold
 * inside the dataset, nothing joins it to another release), written as
 * `dicom/<study>/<series>/<instance>.dcm` under the remapped UIDs.
 *
 * - Patient ID and Patient's Name are the release's pseudonym of the patient (the one the FHIR
 *   Patient and the CSV carry); the instance's own Patient ID is not trusted to say whose it is:
 *   the vault filed it under a patient, and that patient's pseudonym is used.
 * - Instances of patients the release does not hold (suppressed for k or ℓ) are not read at all.
 * - Instances the profile excludes (burned-in annotation, ultrasound, secondary capture,
 *   screenshots and other high-risk kinds not declaring Burned In Annotation NO, encapsulated
 *   documents, unreadable ones) are left out and counted by reason.
 * - Streaming: one instance is read, de-identified and handed on at a time; what is kept of each is
 *   its metadata for ImagingStudy (pseudonym, remapped UIDs, modality, the released year).
 */

export const DICOM_MEDIA_TYPE = 'application/dicom';

/** One instance of a released patient, as the vault holds it. */
export interface ReleaseDicomInstance {
  /** The mind's patient id the instance is filed under. */
  readonly patientId: string;
  /** The study date as the views hold it (YYYY-MM-DD, or '' when the instance gave none). */
  readonly studyDate: string;
  /** The series' modality (0008,0060), as the views hold it. */
  readonly modality: string;
  /** Its Part 10 bytes, read when its turn comes (once). */
  read(): Promise<Uint8Array>;
}

export interface DicomReleaseOptions {
  /** The released rows (after suppression): whose instances go, under which pseudonym. */
  readonly rows: readonly ReleasedRow[];
  /** Released pseudonym → the mind's patient id (Release.pseudonymMap). */
  readonly pseudonymMap: ReadonlyMap<string, string>;
  /** The level record dates are released at (release-report.ts recordDateLevel); null: no study date is released. */
  readonly dateLevel: number | null;
  /**
   * The longitudinal profile: released pseudonym → the patient's date shift in days (Release.dateShifts,
   * the offset their records' dates moved by). When given, instances are de-identified with the
   * Retain Longitudinal Temporal Information with Modified Dates Option (PS3.15 E.3.6, CID 7050
   * 113107): dates and date-times move by the patient's offset instead of going, and ImagingStudy's
   * `started` is the shifted study date. A released patient without a shift has no instance released.
   */
  readonly dateShifts?: ReadonlyMap<string, number>;
  /** The Annex E Options besides the dates one (Release.dicomOptions: those the research policy selected). */
  readonly options?: readonly SupportedOption[];
  /** The UID remapping secret (≥ 16 bytes); a fresh random one by default. Pass one only in tests. */
  readonly secret?: Uint8Array;
}

export interface DicomTally {
  /** Instances written to the package. */
  readonly released: number;
  /** Instances left out, by reason. */
  readonly excluded: Readonly<Partial<Record<ExclusionCode, number>>>;
  /** Bytes of de-identified DICOM written. */
  readonly bytes: number;
}

export interface DicomPackageFiles {
  /** The de-identified files, produced as they are read (iterate once). */
  readonly files: AsyncIterable<PackageFile>;
  /** The released instances' metadata for ImagingStudy (complete once `files` has ended). */
  released(): readonly DeidentifiedInstanceMeta[];
  /** What was released and excluded so far. */
  tally(): DicomTally;
  /** The manifest's counts: "dicom" (instances written), "dicomExcluded" and one "dicomExcluded:<reason>" per reason. */
  counts(): Record<string, number>;
}

const UID = /^[0-9.]{1,64}$/;

/** First and last calendar year a released year value covers ("2021", "2020–2024"), or null ("*", "?"). */
function yearsOf(value: string): { low: number; high: number } | null {
  if (value === SUPPRESSED || value === UNKNOWN) return null;
  const match = /^(\d{4})(?:[–-](\d{4}))?$/.exec(value);
  if (match === null) return null;
  return { low: Number(match[1]), high: Number(match[2] ?? match[1]) };
}

/**
 * The year a study is released as (ImagingStudy.started): its year at the release's record-date
 * level, and only when that lies within the patient's released first and last event years, so it
 * tells nothing the released quasi-identifiers do not already; otherwise none.
 */
export function releasedStudyYear(row: Pick<ReleasedRow, 'firstYear' | 'lastYear'>, studyDate: string, level: number | null): string | undefined {
  if (level === null) return undefined;
  const year = /^(\d{4})-\d{2}-\d{2}$/.exec(studyDate)?.[1];
  if (year === undefined) return undefined;
  const released = YEAR_HIERARCHY.generalize(Number(year), level);
  const span = yearsOf(released);
  const first = yearsOf(row.firstYear);
  const last = yearsOf(row.lastYear);
  if (span === null || first === null || last === null) return undefined;
  return first.low <= span.low && span.high <= last.high ? released : undefined;
}

/** The study date as released under the longitudinal profile: shifted by the patient's offset (YYYY-MM-DD), or none. */
export function shiftedStudyDate(studyDate: string, shift: number): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(studyDate) ? shiftDate(studyDate, shift) : undefined;
}

/** The de-identified DICOM files of a release (see above). */
export function dicomPackageFiles(instances: AsyncIterable<ReleaseDicomInstance> | Iterable<ReleaseDicomInstance>, options: DicomReleaseOptions): DicomPackageFiles {
  const fresh = options.secret === undefined ? globalThis.crypto.getRandomValues(new Uint8Array(32)) : null;
  // The remapper keeps its own copy; the fresh secret is not kept anywhere else.
  const uids = createUidRemapper(fresh ?? options.secret!);
  fresh?.fill(0);
  const rowOf = new Map<string, ReleasedRow>();
  for (const row of options.rows) {
    const patientId = options.pseudonymMap.get(row.pseudonym);
    if (patientId !== undefined) rowOf.set(patientId, row);
  }
  const released: DeidentifiedInstanceMeta[] = [];
  const excluded: Partial<Record<ExclusionCode, number>> = {};
  const paths = new Set<string>();
  let bytes = 0;
  const exclude = (code: ExclusionCode): void => void (excluded[code] = (excluded[code] ?? 0) + 1);

  // The dates Option only with the shifts it needs (the longitudinal profile's).
  const selected = [...new Set<SupportedOption>([...(options.options ?? []).filter((option) => option !== 'retainLongitudinalModifiedDates'), ...(options.dateShifts === undefined ? [] : (['retainLongitudinalModifiedDates'] as const))])];
  async function* files(): AsyncGenerator<PackageFile> {
    for await (const instance of instances) {
      const row = rowOf.get(instance.patientId);
      // Not in the release (suppressed, or not purchased): never read.
      if (row === undefined) continue;
      let source: Uint8Array;
      try {
        source = await instance.read();
      } catch {
        exclude('unreadable');
        continue;
      }
      const shift = options.dateShifts?.get(row.pseudonym);
      const verdict = deidentifyInstance({ bytes: source, uids, pseudonymFor: () => row.pseudonym, options: selected, ...(shift === undefined ? {} : { dateShiftDaysFor: () => shift }) });
      if (!verdict.ok) {
        exclude(verdict.code);
        continue;
      }
      const { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop } = verdict;
      if (study === undefined || series === undefined || !UID.test(study) || !UID.test(series) || !UID.test(sop)) {
        exclude('unreadable');
        continue;
      }
      const path = `dicom/${study}/${series}/${sop}.dcm`;
      // The same instance twice (a resend filed twice): once in the package.
      if (paths.has(path)) continue;
      paths.add(path);
      const started = shift === undefined ? releasedStudyYear(row, instance.studyDate, options.dateLevel) : shiftedStudyDate(instance.studyDate, shift);
      released.push({ pseudonym: row.pseudonym, studyInstanceUid: study, seriesInstanceUid: series, modality: instance.modality.trim() === '' ? 'OT' : instance.modality.trim(), ...(started === undefined ? {} : { started }) });
      bytes += verdict.bytes.byteLength;
      yield { path, mediaType: DICOM_MEDIA_TYPE, data: verdict.bytes };
    }
  }

  const tally = (): DicomTally => ({ released: released.length, excluded: { ...excluded }, bytes });
  return {
    files: files(),
    released: () => released,
    tally,
    counts() {
      const out: Record<string, number> = { dicom: released.length, dicomExcluded: Object.values(excluded).reduce((sum, n) => sum + n, 0) };
      for (const [code, n] of Object.entries(excluded)) out[`dicomExcluded:${code}`] = n;
      return out;
    },
  };
}
