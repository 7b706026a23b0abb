import { isKnownCharset } from '../../../shared/dicom/dicom-charset';
import type { DicomInstance } from '../../../shared/domain/dicom';
import { canonicalJson } from '../canonical-json';
import type { RecordText } from '../vault-crypto';
import { pseudonym } from '../vault-crypto';

/**
 * The imaging views (issue 12): studies → series → instances, from `intake.dicom` records
 * (projectors/imaging-projector.ts). Row ids are keyed pseudonyms of the patient and the DICOM UIDs
 * from the study down (imagingId; HMACs under the ledger key: a UID can identify a patient's study,
 * so it is never a key in the clear); the patient id is the same pseudonym the patient views use, so each instance is filed
 * under the patient its own Patient ID (with its issuer mapped to an assigning authority) names,
 * HL7 or DICOM alike. A Study Instance UID that also holds instances of another patient (a
 * modality's mix-up) gives one study row per patient, never one study moved to whoever came last:
 * `uid` (a pseudonym of the UID alone) finds the other rows, and the reads flag both studies.
 * Everything readable (UIDs, dates, descriptions, accession number, modality) is in `enc`.
 *
 * A resend of an instance (the same SOP Instance UID in the same study and series) gives the same
 * row ids: it is put again, never counted twice. Counts of series and instances are read from the rows, not stored.
 */

export interface StudyRowStored {
  readonly id: string;
  readonly patientId: string;
  /** Keyed pseudonym of the Study Instance UID alone (indexed): the study rows of other patients with this UID. */
  readonly uid: string;
  /** The journal seq of the latest instance that named this study (whose copy of the study fields is kept). */
  readonly seq: number;
  /**
   * Blind tokens (multiEntry index) of the study's description, accession number, date and the
   * modalities of its series (studyText): what searchStudyIds looks up, never the words. Tokens of
   * every instance of the study accumulate (a later series adds its modality).
   */
  readonly tokens: readonly string[];
  /** Encrypted StudyPayload. */
  readonly enc: Uint8Array;
}

export interface SeriesRowStored {
  readonly id: string;
  readonly studyId: string;
  readonly patientId: string;
  readonly seq: number;
  /** Encrypted SeriesPayload. */
  readonly enc: Uint8Array;
}

export interface InstanceRowStored {
  readonly id: string;
  readonly seriesId: string;
  readonly studyId: string;
  readonly patientId: string;
  /** The journal record holding the instance. */
  readonly seq: number;
  /** The sealed Part 10 bytes (what an erasure deletes and the viewer opens). */
  readonly objectId: string;
  /**
   * Earlier copies of this instance: the same SOP Instance UID in the same study and series for the same patient, received
   * before with other bytes (the body stores such a resend and flags it as a conflict, design §4
   * rule 4). Oldest first; `seq`/`objectId` above are the latest copy, the one shown. Absent: one copy.
   */
  readonly earlier?: readonly InstanceCopy[];
  /** Encrypted InstancePayload (of the latest copy). */
  readonly enc: Uint8Array;
}

/** One stored copy of an instance: its journal record and its sealed bytes. */
export interface InstanceCopy {
  readonly seq: number;
  readonly objectId: string;
  /**
   * Its encrypted InstancePayload (as the row's `enc`, under the row's id): what that copy's index
   * fields said, its transfer syntax among them. Absent on rows of views before version 28.
   */
  readonly enc?: Uint8Array;
}

/**
 * Of a study's instances received again with other bytes, those whose copies differ in their
 * transfer syntax (the same image re-encoded, as a PACS that transcodes sends it; QA s33 D3): how
 * many, the transfer syntaxes of their latest copies and those of their earlier copies that differ
 * (UIDs, distinct, in order of appearance), and whether each had one earlier copy (the first).
 */
export interface RecodedCopies {
  readonly instances: number;
  readonly latest: readonly string[];
  readonly earlier: readonly string[];
  readonly oneEarlierEach: boolean;
}

/**
 * RecodedCopies of instances given as their latest copy's transfer syntax and their earlier
 * copies' (undefined: not known, a row of views before version 28), or undefined when none of
 * them has a copy in another transfer syntax.
 */
export function recodedCopies(instances: readonly { readonly latest: string; readonly earlier: readonly (string | undefined)[] }[]): RecodedCopies | undefined {
  const latest = new Set<string>();
  const earlier = new Set<string>();
  let count = 0;
  let oneEarlierEach = true;
  for (const instance of instances) {
    const other = instance.earlier.filter((uid): uid is string => uid !== undefined && uid !== '' && uid !== instance.latest);
    if (other.length === 0) continue;
    count++;
    latest.add(instance.latest);
    for (const uid of other) earlier.add(uid);
    if (instance.earlier.length !== 1) oneEarlierEach = false;
  }
  return count === 0 ? undefined : { instances: count, latest: [...latest], earlier: [...earlier], oneEarlierEach };
}

/**
 * The row for two rows of the same instance (same patient, study, series and SOP Instance UID): the later copy
 * (by journal seq) is shown, every other distinct copy is kept as earlier. Order-free and
 * idempotent, so a page, a later page or a replay from 0 over the rows all give the same row.
 */
export function withCopies(a: InstanceRowStored, b: InstanceRowStored): InstanceRowStored {
  const latest = b.seq >= a.seq ? b : a;
  const copies = new Map<string, InstanceCopy>();
  for (const copy of [...(a.earlier ?? []), { seq: a.seq, objectId: a.objectId, enc: a.enc }, ...(b.earlier ?? []), { seq: b.seq, objectId: b.objectId, enc: b.enc }]) {
    const known = copies.get(copy.objectId);
    // The same copy met twice (a replay over the rows): the one that knows its payload.
    if (known === undefined || copy.seq < known.seq || (copy.seq === known.seq && known.enc === undefined)) copies.set(copy.objectId, copy);
  }
  copies.delete(latest.objectId);
  const { earlier: _earlier, ...row } = latest;
  const earlier = [...copies.values()].filter((copy) => copy.seq < latest.seq).sort((x, y) => x.seq - y.seq);
  return earlier.length === 0 ? row : { ...row, earlier };
}

export interface StudyPayload {
  readonly studyInstanceUid: string;
  /** YYYY-MM-DD, or '' when the instance gave none. */
  readonly date: string;
  readonly time: string;
  readonly description: string;
  readonly accessionNumber: string;
  readonly studyId: string;
  readonly referringPhysician: string;
  readonly institution: string;
  /** When the latest instance of it was received (ISO). */
  readonly receivedAt: string;
}

export interface SeriesPayload {
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly number: number | null;
  readonly description: string;
  readonly bodyPart: string;
}

export interface InstancePayload {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly number: number | null;
  readonly rows: number | null;
  readonly columns: number | null;
  readonly frames: number | null;
  readonly source: DicomInstance['source'];
  readonly callingAeTitle: string;
  /**
   * Its Specific Character Set (0008,0005) when this build does not know it: its text was read as
   * Latin-1 (the viewer says so, H6 s38 finding 6). Absent: known, or none given.
   */
  readonly unknownCharset?: string;
}

const ID_LENGTH = 22;

/**
 * The view id of a study, series or instance: a keyed pseudonym of the patient's view id and the
 * UIDs from the study down to it (a study: its Study Instance UID; a series: the study's and its
 * own; an instance: the study's, the series' and its SOP Instance UID). The same UID under two
 * Patient IDs gives two rows, and so does a Series Instance UID sent again under another study
 * (a study split or corrected at the RIS/PACS, QA s32 D1): each study keeps its own series and
 * instances, and a row never moves to another parent.
 */
export async function imagingId(ledgerKey: CryptoKey, level: 'study' | 'series' | 'instance', patientId: string, uids: readonly [string, ...string[]]): Promise<string> {
  // A study's input is [patient, Study Instance UID], as before the series and instances were keyed by their study.
  return (await pseudonym(ledgerKey, `view-${level}`, canonicalJson([patientId, ...uids]))).slice(0, ID_LENGTH);
}

/** StudyRowStored.uid: a keyed pseudonym of the Study Instance UID alone. */
export async function studyUidKey(ledgerKey: CryptoKey, studyInstanceUid: string): Promise<string> {
  return (await pseudonym(ledgerKey, 'view-study-uid', studyInstanceUid)).slice(0, ID_LENGTH);
}

export function studyPayloadOf(dicom: DicomInstance, receivedAt: string): StudyPayload {
  return {
    studyInstanceUid: dicom.studyInstanceUid,
    date: dicom.studyDate ?? '',
    time: dicom.studyTime ?? '',
    description: dicom.studyDescription ?? '',
    accessionNumber: dicom.accessionNumber ?? '',
    studyId: dicom.studyId ?? '',
    referringPhysician: dicom.referringPhysicianName ?? '',
    institution: dicom.institutionName ?? '',
    receivedAt,
  };
}

export function seriesPayloadOf(dicom: DicomInstance): SeriesPayload {
  return {
    seriesInstanceUid: dicom.seriesInstanceUid,
    modality: dicom.modality ?? '',
    number: dicom.seriesNumber ?? null,
    description: dicom.seriesDescription ?? '',
    bodyPart: dicom.bodyPartExamined ?? '',
  };
}

export function instancePayloadOf(dicom: DicomInstance): InstancePayload {
  return {
    sopInstanceUid: dicom.sopInstanceUid,
    sopClassUid: dicom.sopClassUid,
    transferSyntaxUid: dicom.transferSyntaxUid,
    number: dicom.instanceNumber ?? null,
    rows: dicom.rows ?? null,
    columns: dicom.columns ?? null,
    frames: dicom.numberOfFrames ?? null,
    source: dicom.source,
    callingAeTitle: dicom.callingAeTitle ?? '',
    ...(dicom.specificCharacterSet !== undefined && !isKnownCharset(dicom.specificCharacterSet) && { unknownCharset: dicom.specificCharacterSet }),
  };
}

/**
 * The text a study is found by in the blind index, from one instance: its study description,
 * accession number and study date, and its series' modality (the imaging projector adds the
 * accession number's prefix tokens, as an identifier's). The patient's name and identifiers
 * are the patient's own tokens (postings), which searchStudyIds combines with these.
 */
export function studyText(dicom: DicomInstance): RecordText {
  return {
    other: [dicom.studyDescription ?? '', dicom.accessionNumber ?? '', dicom.modality ?? ''].filter((text) => text !== ''),
    dates: dicom.studyDate === undefined || dicom.studyDate === '' ? [] : [dicom.studyDate],
  };
}

/**
 * The blind-index field (shared/crypto/blind-index.ts) of the study words posted for a patient:
 * their own token domain, so the Imaging filter (searchStudyIds, which asks the patient postings
 * for name and identifier words in the default field) never takes a patient's other studies for
 * a match, and an accession number never shares a token with an MRN or a record's code.
 */
export const STUDY_PATIENT_FIELD = 'study';

/**
 * What of a study also finds its patient in the Patients search (tester T1 F9): the words of its
 * description and its accession number (buildIntakeRows adds the accession number's prefix tokens,
 * as an identifier's), posted for the patient in STUDY_PATIENT_FIELD. Not its date (a date word
 * would find the patients born that day too) nor its modality (two letters that every patient
 * with such a study shares).
 */
export function studyPatientText(dicom: DicomInstance): { readonly other: string[]; readonly accession: string[] } {
  const accession = dicom.accessionNumber ?? '';
  return {
    other: [dicom.studyDescription ?? '', accession].filter((text) => text !== ''),
    accession: accession === '' ? [] : [accession],
  };
}
