import { charsetTerms, decodeDicomText } from '../dicom-charset';
import { isPrivateTag, profileRowFor, type ActionCode, type ProfileOption, type ProfileRow } from './annex-e-profile';
import { DicomReadError, EXPLICIT_VR_BIG_ENDIAN, readPart10, tagString, textValue, writePart10, type DicomElement, type DicomItem } from './dicom-dataset';
import { TECHNICAL_ATTRIBUTES } from './technical-attributes';
import { type UidRemapper } from './uid-remap';

/**
 * De-identification of one DICOM instance under PS3.15 Annex E: the Basic Application Level
 * Confidentiality Profile (E.2) with the Retain and Clean Options (E.3) the caller selects, applied
 * to every attribute of the data set and, recursively, of every sequence item (E.1.1: the action
 * of a sequence's row applies to the sequence; what is kept of it is de-identified item by item).
 *
 * Not implemented, so never claimed in (0012,0063)/(0012,0064): the Clean Pixel Data Option
 * (E.3.1; instances that may have identifying pixels are refused instead, see `exclusion`), the
 * Clean Recognizable Visual Features Option (E.3.2; instances that declare such features are
 * refused), the Clean Graphics Option (E.3.3; overlays and curves are removed per the Basic
 * Profile), the Clean Structured Content Option (E.3.4; the Basic Profile applies to SR content)
 * and the Retain Safe Private Option (E.3.10; every private attribute is removed).
 */

/** The Options of Table E.1-1 this implementation applies (PS3.15 E.3.5 to E.3.9, E.3.11). */
export type SupportedOption = Extract<
  ProfileOption,
  | 'retainUids'
  | 'retainDeviceIdentity'
  | 'retainInstitutionIdentity'
  | 'retainPatientCharacteristics'
  | 'retainLongitudinalFullDates'
  | 'retainLongitudinalModifiedDates'
  | 'cleanDescriptors'
>;

/** PS3.16 CID 7050 De-identification Method: the codes of what this implementation applies. */
export const CID_7050: Readonly<Record<'basic' | SupportedOption, { readonly code: string; readonly meaning: string }>> = {
  basic: { code: '113100', meaning: 'Basic Application Confidentiality Profile' },
  cleanDescriptors: { code: '113105', meaning: 'Clean Descriptors Option' },
  retainLongitudinalFullDates: { code: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  retainLongitudinalModifiedDates: { code: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  retainPatientCharacteristics: { code: '113108', meaning: 'Retain Patient Characteristics Option' },
  retainDeviceIdentity: { code: '113109', meaning: 'Retain Device Identity Option' },
  retainUids: { code: '113110', meaning: 'Retain UIDs Option' },
  retainInstitutionIdentity: { code: '113112', meaning: 'Retain Institution Identity Option' },
};

const OPTION_ORDER: readonly SupportedOption[] = ['cleanDescriptors', 'retainLongitudinalFullDates', 'retainLongitudinalModifiedDates', 'retainPatientCharacteristics', 'retainDeviceIdentity', 'retainUids', 'retainInstitutionIdentity'];

/** Who an instance belongs to, as the instance says (decoded with its character set). */
export interface SourcePatient {
  readonly patientId?: string;
  readonly issuerOfPatientId?: string;
  readonly patientName?: string;
}

export interface DeidentifyInput {
  /** A Part 10 file. */
  readonly bytes: Uint8Array;
  readonly options?: readonly SupportedOption[];
  /** The release's UID remapper (one per release: the same secret for every instance of it). */
  readonly uids: UidRemapper;
  /** The release's pseudonym for the instance's patient (the one the HL7-derived part of the release uses); undefined refuses the instance. */
  readonly pseudonymFor: (patient: SourcePatient) => string | undefined;
  /** Days to shift the patient's dates by, for the Retain Longitudinal Temporal Information Modified Dates Option (PS3.15 E.3.6). */
  readonly dateShiftDaysFor?: (patient: SourcePatient) => number;
}

export type ExclusionCode =
  | 'unreadable'
  | 'unsupported-transfer-syntax'
  | 'burned-in-annotation'
  | 'high-risk-undeclared'
  | 'recognizable-visual-features'
  | 'encapsulated-document'
  | 'no-pseudonym'
  | 'no-date-shift';

export interface DeidentifyReport {
  /** Attributes removed: by the profile (X), as private, or as not listed in Table E.1-1 nor technical. */
  readonly removed: number;
  readonly privateRemoved: number;
  /** Tags of public attributes removed because neither Table E.1-1 nor the technical list names them. */
  readonly unlistedRemoved: readonly string[];
  readonly emptied: number;
  readonly dummied: number;
  readonly uidsRemapped: number;
  readonly cleaned: number;
  readonly datesShifted: number;
}

export type DeidentifyVerdict =
  | {
      readonly ok: true;
      readonly bytes: Uint8Array;
      readonly sopClassUid: string;
      readonly sopInstanceUid: string;
      readonly studyInstanceUid: string | undefined;
      readonly seriesInstanceUid: string | undefined;
      readonly transferSyntaxUid: string;
      readonly pseudonym: string;
      readonly report: DeidentifyReport;
    }
  | { readonly ok: false; readonly code: ExclusionCode; readonly reason: string };

// ── tags ───────────────────────────────────────────────────────────────────────────────────

const SPECIFIC_CHARACTER_SET = 0x00080005;
const IMAGE_TYPE = 0x00080008;
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const MODALITY = 0x00080060;
const CODE_VALUE = 0x00080100;
const CODING_SCHEME_DESIGNATOR = 0x00080102;
const CODE_MEANING = 0x00080104;
const PATIENT_NAME = 0x00100010;
const PATIENT_ID = 0x00100020;
const ISSUER_OF_PATIENT_ID = 0x00100021;
const PATIENT_IDENTITY_REMOVED = 0x00120062;
const DEIDENTIFICATION_METHOD = 0x00120063;
const DEIDENTIFICATION_METHOD_CODE_SEQUENCE = 0x00120064;
const STUDY_INSTANCE_UID = 0x0020000d;
const SERIES_INSTANCE_UID = 0x0020000e;
const BURNED_IN_ANNOTATION = 0x00280301;
const RECOGNIZABLE_VISUAL_FEATURES = 0x00280302;
const LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED = 0x00280303;

/** Attributes this module writes itself on the top level data set. */
const WRITTEN_HERE = new Map<number, string>([
  [PATIENT_NAME, 'PN'],
  [PATIENT_ID, 'LO'],
  [PATIENT_IDENTITY_REMOVED, 'CS'],
  [DEIDENTIFICATION_METHOD, 'LO'],
  [DEIDENTIFICATION_METHOD_CODE_SEQUENCE, 'SQ'],
  [LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, 'CS'],
]);

/** The VR of a tag this module knows (Table E.1-1, the technical list, what it writes): implicit VR data sets are read with it. */
export function knownVr(tag: number): string | undefined {
  const row = profileRowFor(tag);
  if (row !== undefined && row.vr !== 'UN') return row.vr;
  return TECHNICAL_ATTRIBUTES.get(tag)?.vr ?? WRITTEN_HERE.get(tag);
}

// ── exclusion (the Clean Pixel Data Option is not implemented) ──────────────────────────────

/** PS3.4 B.5: Secondary Capture Image Storage and its multi-frame kinds (screenshots, scanned documents). */
const SECONDARY_CAPTURE_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.7.1', '1.2.840.10008.5.1.4.1.1.7.2', '1.2.840.10008.5.1.4.1.1.7.3', '1.2.840.10008.5.1.4.1.1.7.4']);
/** Ultrasound (single and multi-frame, current and retired): annotations are usually burned in. */
const ULTRASOUND_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.6', '1.2.840.10008.5.1.4.1.1.6.1', '1.2.840.10008.5.1.4.1.1.6.2', '1.2.840.10008.5.1.4.1.1.3', '1.2.840.10008.5.1.4.1.1.3.1']);
/** Visible light photographs and video (faces, labels). */
const PHOTOGRAPHIC_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.77.1.';
/** PS3.4 B.5: Encapsulated PDF, CDA, STL, OBJ, MTL: a document no attribute rule can clean. */
const ENCAPSULATED_DOCUMENT_ROOT = '1.2.840.10008.5.1.4.1.1.104.';
/** Modalities whose pixels often show identifying text or the patient: US, other, external camera photography, secondary capture, document. */
const HIGH_RISK_MODALITIES = new Set(['US', 'OT', 'XC', 'SC', 'DOC', 'ES', 'GM', 'SM']);

function exclusion(top: DicomItem, transferSyntaxUid: string): { code: ExclusionCode; reason: string } | null {
  const text = (tag: number): string => ascii(find(top, tag)).trim().toUpperCase();
  const sopClassUid = text(SOP_CLASS_UID);
  if (sopClassUid.startsWith(ENCAPSULATED_DOCUMENT_ROOT)) return { code: 'encapsulated-document', reason: 'An encapsulated document (PDF, CDA, 3D model) cannot be de-identified by attribute: its content is not cleaned.' };
  if (transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN && find(top, 0x7fe00010)?.kind === 'encapsulated') return { code: 'unsupported-transfer-syntax', reason: 'Encapsulated pixel data in big endian is not valid DICOM.' };
  const burnedIn = text(BURNED_IN_ANNOTATION);
  if (burnedIn === 'YES') return { code: 'burned-in-annotation', reason: 'Burned In Annotation (0028,0301) is YES: the pixel data shows identifying text, and the Clean Pixel Data Option is not implemented.' };
  if (text(RECOGNIZABLE_VISUAL_FEATURES) === 'YES') return { code: 'recognizable-visual-features', reason: 'Recognizable Visual Features (0028,0302) is YES, and the Clean Recognizable Visual Features Option is not implemented.' };
  const modality = text(MODALITY);
  const imageType = text(IMAGE_TYPE).split('\\').map((value) => value.trim());
  const why = HIGH_RISK_MODALITIES.has(modality)
    ? `Modality ${modality}`
    : ULTRASOUND_CLASSES.has(sopClassUid)
      ? 'an ultrasound SOP class'
      : SECONDARY_CAPTURE_CLASSES.has(sopClassUid)
        ? 'a Secondary Capture SOP class'
        : sopClassUid.startsWith(PHOTOGRAPHIC_CLASS_ROOT)
          ? 'a visible light SOP class'
          : imageType.includes('SECONDARY')
            ? 'Image Type SECONDARY'
            : null;
  if (why !== null && burnedIn !== 'NO') {
    return { code: 'high-risk-undeclared', reason: `The instance is ${why}, whose pixels often carry burned-in identifiers, and it does not declare Burned In Annotation (0028,0301) NO; the Clean Pixel Data Option is not implemented.` };
  }
  return null;
}

// ── element helpers ────────────────────────────────────────────────────────────────────────

function find(item: DicomItem, tag: number): DicomElement | undefined {
  return item.find((element) => element.tag === tag);
}

function ascii(element: DicomElement | undefined): string {
  if (element === undefined || element.kind !== 'value') return '';
  let out = '';
  for (const byte of element.bytes) out += String.fromCharCode(byte);
  return out.replace(/[\0 ]+$/, '');
}

function decoded(element: DicomElement | undefined, charset: string | undefined): string | undefined {
  if (element === undefined || element.kind !== 'value' || element.bytes.length === 0) return undefined;
  const value = decodeDicomText(element.bytes, charset).replace(/[\0 ]+$/, '').trim();
  return value === '' ? undefined : value;
}

const TEXT_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

/** PS3.5 6.2: a dummy value of a VR for the D action (non-zero length, nothing identifying). */
function dummy(vr: string): Uint8Array {
  switch (vr) {
    case 'DA':
      return textValue('19000101', vr);
    case 'DT':
      return textValue('19000101000000', vr);
    case 'TM':
      return textValue('000000', vr);
    case 'AS':
      return textValue('000Y', vr);
    case 'DS':
    case 'IS':
      return textValue('0', vr);
    case 'UR':
      return textValue('urn:x-deidentified', vr);
    case 'US':
    case 'SS':
      return new Uint8Array(2);
    case 'UL':
    case 'SL':
    case 'FL':
    case 'AT':
      return new Uint8Array(4);
    case 'FD':
    case 'SV':
    case 'UV':
      return new Uint8Array(8);
    case 'OB':
    case 'OW':
    case 'OD':
    case 'OF':
    case 'OL':
    case 'OV':
    case 'UN':
      return new Uint8Array(2);
    default:
      return textValue(vr === 'AE' || vr === 'CS' ? 'ANONYMOUS' : 'ANONYMIZED', vr);
  }
}

// ── the walk ───────────────────────────────────────────────────────────────────────────────

type Action = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U' | 'U*';

interface Walk {
  readonly options: ReadonlySet<SupportedOption>;
  readonly uids: UidRemapper;
  readonly pseudonym: string;
  readonly dateShiftDays: number | undefined;
  /** The data set's byte order (values of VR UN are little endian; they are read as their known VR only then). */
  readonly littleEndian: boolean;
  /** The instance's identifying values (what the profile removes or replaces), for cleaning descriptors. */
  readonly identifiers: readonly string[];
  readonly counts: { removed: number; privateRemoved: number; emptied: number; dummied: number; uidsRemapped: number; cleaned: number; datesShifted: number };
  readonly unlisted: Set<string>;
}

/**
 * The action for a row under the selected Options (PS3.15 E.3): an Option's K or C replaces the
 * Basic Profile's action; where two selected Options name the same row, K wins over C. The
 * combined codes are resolved so that an attribute present in the input stays valid in any IOD
 * without knowing its Type there: X/Z → Z; X/D, Z/D, X/Z/D → D (a dummy value is valid for Type
 * 1); X/Z/U* → the sequence is kept and the UIDs in its items are replaced (references survive).
 */
function effectiveAction(row: ProfileRow, options: ReadonlySet<SupportedOption>): { action: Action; by: SupportedOption | 'basic' } {
  let chosen: { action: Action; by: SupportedOption | 'basic' } | null = null;
  for (const option of OPTION_ORDER) {
    if (!options.has(option)) continue;
    const code = row.options[option];
    if (code === 'K') return { action: 'K', by: option };
    if (code === 'C' && chosen === null) chosen = { action: 'C', by: option };
  }
  if (chosen !== null) return chosen;
  return { action: resolveBasic(row.basic), by: 'basic' };
}

function resolveBasic(code: ActionCode): Action {
  switch (code) {
    case 'X/Z':
      return 'Z';
    case 'X/D':
    case 'Z/D':
    case 'X/Z/D':
      return 'D';
    case 'X/Z/U*':
      return 'U*';
    default:
      return code;
  }
}

function walkItem(item: DicomItem, walk: Walk, inheritedCharset: string | undefined): DicomElement[] {
  const own = find(item, SPECIFIC_CHARACTER_SET);
  const charset = own === undefined ? inheritedCharset : ascii(own);
  const out: DicomElement[] = [];
  for (const element of item) {
    const next = walkElement(element, walk, charset);
    if (next !== null) out.push(next);
  }
  return out;
}

function walkElement(element: DicomElement, walk: Walk, charset: string | undefined): DicomElement | null {
  const { tag } = element;
  const { counts } = walk;
  if ((tag & 0xffff) === 0x0000) {
    // Group Length (gggg,0000): retired in data sets (PS3.5 7.2), and wrong once anything changes.
    counts.removed += 1;
    return null;
  }
  if (isPrivateTag(tag)) {
    // Table E.1-1 "Private Attributes": X (the Retain Safe Private Option is not implemented).
    counts.privateRemoved += 1;
    return null;
  }
  if (tag === PATIENT_NAME || tag === PATIENT_ID) {
    // Replaced by the release's pseudonym (a D replacement) so that images and HL7-derived data agree.
    counts.dummied += 1;
    return { kind: 'value', tag, vr: tag === PATIENT_NAME ? 'PN' : 'LO', bytes: textValue(walk.pseudonym, 'LO') };
  }
  if (WRITTEN_HERE.has(tag)) {
    counts.removed += 1;
    return null;
  }
  if (element.kind === 'value' && element.vr === 'UN' && walk.littleEndian && knownVr(tag) !== undefined && knownVr(tag) !== 'SQ') {
    // PS3.5 6.2.2: a UN value is the value's little endian encoding; the VR is known here, so it is read as that VR.
    return walkElement({ ...element, vr: knownVr(tag) }, walk, charset);
  }
  if (element.kind === 'opaque' || (element.kind === 'value' && element.vr === 'UN')) {
    // A value whose VR the sender did not know cannot be cleaned or replaced reliably.
    counts.removed += 1;
    if (profileRowFor(tag) === undefined && !TECHNICAL_ATTRIBUTES.has(tag)) walk.unlisted.add(tagString(tag));
    return null;
  }
  const row = profileRowFor(tag);
  if (row === undefined) {
    if (TECHNICAL_ATTRIBUTES.has(tag)) return keep(element, walk, charset);
    counts.removed += 1;
    walk.unlisted.add(tagString(tag));
    return null;
  }
  const { action, by } = effectiveAction(row, walk.options);
  const vr = element.kind === 'sequence' ? 'SQ' : (element.vr ?? row.vr);
  switch (action) {
    case 'X':
      counts.removed += 1;
      return null;
    case 'K':
      return keep(element, walk, charset);
    case 'Z':
      counts.emptied += 1;
      return element.kind === 'sequence' ? { kind: 'sequence', tag, items: [] } : { kind: 'value', tag, vr, bytes: new Uint8Array(0) };
    case 'D':
      if (element.kind === 'sequence') return keep(element, walk, charset);
      if (vr === 'UI') return remapUids(element, walk);
      counts.dummied += 1;
      return { kind: 'value', tag, vr, bytes: dummy(vr) };
    case 'U':
      if (element.kind === 'sequence') return keep(element, walk, charset);
      if (vr !== 'UI') {
        counts.dummied += 1;
        return { kind: 'value', tag, vr, bytes: dummy(vr) };
      }
      return remapUids(element, walk);
    case 'U*':
      if (element.kind === 'sequence') return keep(element, walk, charset);
      counts.emptied += 1;
      return { kind: 'value', tag, vr, bytes: new Uint8Array(0) };
    case 'C':
      return clean(element, vr, by, walk, charset);
  }
}

/** K: the element as it is; a sequence's items are de-identified one by one (PS3.15 E.1.1). */
function keep(element: DicomElement, walk: Walk, charset: string | undefined): DicomElement {
  if (element.kind !== 'sequence') return element;
  return { kind: 'sequence', tag: element.tag, items: element.items.map((item) => walkItem(item, walk, charset)) };
}

function remapUids(element: DicomElement, walk: Walk): DicomElement {
  if (element.kind !== 'value') return element;
  const values = ascii(element).split('\\');
  const remapped = values.map((value) => (value.trim() === '' ? '' : walk.uids.remap(value)));
  walk.counts.uidsRemapped += remapped.filter((value, i) => value !== values[i]!.trim()).length;
  return { kind: 'value', tag: element.tag, vr: 'UI', bytes: textValue(remapped.join('\\'), 'UI') };
}

/**
 * C: "replace with values of similar meaning known not to contain identifying information".
 * Dates under the Modified Dates Option are shifted by the patient's offset (times of day kept);
 * a sequence's items are de-identified; a text value keeps its words less every identifying value
 * of the same instance (names, IDs, addresses, the profile's other removed values) and anything
 * shaped like a date. What cannot be cleaned this way is removed.
 */
function clean(element: DicomElement, vr: string, by: SupportedOption | 'basic', walk: Walk, charset: string | undefined): DicomElement | null {
  const { counts } = walk;
  if (element.kind === 'sequence') return keep(element, walk, charset);
  if (element.kind !== 'value') {
    counts.removed += 1;
    return null;
  }
  if (vr === 'TM') return element;
  if (vr === 'DA' || vr === 'DT') {
    if (by !== 'retainLongitudinalModifiedDates' || walk.dateShiftDays === undefined) {
      counts.removed += 1;
      return null;
    }
    const shifted = shiftDates(ascii(element), walk.dateShiftDays);
    if (shifted === null) {
      counts.removed += 1;
      return null;
    }
    counts.datesShifted += 1;
    return { kind: 'value', tag: element.tag, vr, bytes: textValue(shifted, vr) };
  }
  if (!TEXT_VRS.has(vr)) {
    counts.removed += 1;
    return null;
  }
  const original = decodeDicomText(element.bytes, charset).replace(/[\0 ]+$/, '');
  const cleaned = cleanText(original, walk.identifiers);
  counts.cleaned += 1;
  if (cleaned === original.trim()) return element;
  const utf8 = charsetTerms(charset)[0] === 'ISO_IR_192';
  // eslint-disable-next-line no-control-regex
  if (!utf8 && !/^[\x00-\x7f]*$/.test(cleaned)) {
    // Re-encoding non-ASCII text in another character set is not done here: the value goes.
    counts.removed += 1;
    return null;
  }
  return { kind: 'value', tag: element.tag, vr, bytes: textValue(cleaned, vr) };
}

const DATE_SHAPES = [/\b\d{4}[-./]\d{1,2}[-./]\d{1,2}\b/g, /\b\d{1,2}[-./]\d{1,2}[-./]\d{2,4}\b/g, /\b(19|20)\d{6}\b/g];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function cleanText(text: string, identifiers: readonly string[]): string {
  let out = text;
  for (const identifier of [...identifiers].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(identifier)}(?![\\p{L}\\p{N}])`, 'giu'), ' ');
  }
  for (const shape of DATE_SHAPES) out = out.replace(shape, ' ');
  return out.replace(/\s+/g, ' ').trim();
}

/** Shifts every YYYYMMDD at the start of a DA or DT value (and of either end of a range) by whole days; null if one is not a date. */
export function shiftDates(value: string, days: number): string | null {
  let valid = true;
  const shifted = value.replace(/(^|[\\-])(\d{4})(\d{2})(\d{2})/g, (_all, lead: string, y: string, m: string, d: string) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) valid = false;
    date.setUTCDate(date.getUTCDate() + days);
    const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
    return `${lead}${yyyy}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
  });
  return valid ? shifted : null;
}

/**
 * The instance's identifying values, for the Clean Descriptors Option: the decoded text of every
 * attribute (at any depth) that the profile removes or replaces and that is not itself a
 * descriptor, with person names also split into their components.
 */
function identifyingValues(item: DicomItem, options: ReadonlySet<SupportedOption>, inheritedCharset: string | undefined, out: Set<string>): Set<string> {
  const own = find(item, SPECIFIC_CHARACTER_SET);
  const charset = own === undefined ? inheritedCharset : ascii(own);
  for (const element of item) {
    if (element.kind === 'sequence') {
      for (const child of element.items) identifyingValues(child, options, charset, out);
      continue;
    }
    const row = profileRowFor(element.tag);
    if (row === undefined || row.options.cleanDescriptors !== undefined) continue;
    const vr = element.kind === 'value' && element.vr !== undefined ? element.vr : row.vr;
    if (!['PN', 'LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'AE', 'DA', 'DT'].includes(vr)) continue;
    if (effectiveAction(row, options).action === 'K') continue;
    const value = decoded(element, charset);
    if (value === undefined) continue;
    for (const part of value.split('\\')) {
      const whole = part.replace(/[\^=]+/g, ' ').replace(/\s+/g, ' ').trim();
      if (whole.length >= 2) out.add(whole);
      if (vr === 'PN') for (const component of part.split(/[\^=]/)) if (component.trim().length >= 2) out.add(component.trim());
    }
  }
  return out;
}

// ── the entry point ────────────────────────────────────────────────────────────────────────

function codeItem(code: { code: string; meaning: string }): DicomItem {
  return [
    { kind: 'value', tag: CODE_VALUE, vr: 'SH', bytes: textValue(code.code, 'SH') },
    { kind: 'value', tag: CODING_SCHEME_DESIGNATOR, vr: 'SH', bytes: textValue('DCM', 'SH') },
    { kind: 'value', tag: CODE_MEANING, vr: 'LO', bytes: textValue(code.meaning, 'LO') },
  ];
}

/** A pseudonym goes into PN and LO values of any character set: printable ASCII without delimiters. */
const PSEUDONYM_SHAPE = /^[A-Za-z0-9 ._:-]{1,64}$/;

/**
 * De-identifies one Part 10 instance: a verdict with the new Part 10 bytes (same transfer
 * syntax, new File Meta Information naming the remapped SOP Instance UID), or the reason it is
 * excluded from the release.
 */
export function deidentifyInstance(input: DeidentifyInput): DeidentifyVerdict {
  const options = new Set<SupportedOption>(input.options ?? []);
  let parsed;
  try {
    parsed = readPart10(input.bytes, knownVr);
  } catch (error) {
    if (error instanceof DicomReadError) return { ok: false, code: /deflated/.test(error.message) ? 'unsupported-transfer-syntax' : 'unreadable', reason: error.message };
    throw error;
  }
  const { dataset, transferSyntaxUid } = parsed;
  const sopClassUid = ascii(find(dataset, SOP_CLASS_UID)).trim();
  const sopInstanceUid = ascii(find(dataset, SOP_INSTANCE_UID)).trim();
  if (sopClassUid === '' || sopInstanceUid === '') return { ok: false, code: 'unreadable', reason: 'The data set lacks its SOP Class UID (0008,0016) or SOP Instance UID (0008,0018).' };
  const excluded = exclusion(dataset, transferSyntaxUid);
  if (excluded !== null) return { ok: false, ...excluded };

  const charset = ascii(find(dataset, SPECIFIC_CHARACTER_SET)) || undefined;
  const patientId = decoded(find(dataset, PATIENT_ID), charset);
  const issuerOfPatientId = decoded(find(dataset, ISSUER_OF_PATIENT_ID), charset);
  const patientName = decoded(find(dataset, PATIENT_NAME), charset);
  const patient: SourcePatient = {
    ...(patientId !== undefined ? { patientId } : {}),
    ...(issuerOfPatientId !== undefined ? { issuerOfPatientId } : {}),
    ...(patientName !== undefined ? { patientName } : {}),
  };
  const pseudonym = input.pseudonymFor(patient);
  if (pseudonym === undefined) return { ok: false, code: 'no-pseudonym', reason: 'The release has no pseudonym for this instance’s patient.' };
  if (!PSEUDONYM_SHAPE.test(pseudonym)) throw new Error('A pseudonym must be 1 to 64 characters of A-Z a-z 0-9 space . _ : -');
  // The Full Dates Option keeps the dates as they are, so it makes the Modified Dates Option moot (K wins over C).
  const shifting = options.has('retainLongitudinalModifiedDates') && !options.has('retainLongitudinalFullDates');
  const dateShiftDays = shifting ? input.dateShiftDaysFor?.(patient) : undefined;
  if (shifting && (dateShiftDays === undefined || !Number.isInteger(dateShiftDays))) return { ok: false, code: 'no-date-shift', reason: 'The Modified Dates Option needs a whole number of days to shift this patient’s dates by.' };
  if (!shifting) options.delete('retainLongitudinalModifiedDates');

  const walk: Walk = {
    options,
    uids: input.uids,
    pseudonym,
    dateShiftDays,
    littleEndian: transferSyntaxUid !== EXPLICIT_VR_BIG_ENDIAN,
    identifiers: options.has('cleanDescriptors') ? [...identifyingValues(dataset, options, undefined, new Set())] : [],
    counts: { removed: 0, privateRemoved: 0, emptied: 0, dummied: 0, uidsRemapped: 0, cleaned: 0, datesShifted: 0 },
    unlisted: new Set(),
  };
  const out = walkItem(dataset, walk, undefined);

  // PS3.15 E.1.1 and PS3.3 C.7.1.1: what the de-identified instance says about itself.
  const applied = OPTION_ORDER.filter((option) => options.has(option));
  const methods = [CID_7050.basic, ...applied.map((option) => CID_7050[option])];
  const set = (element: DicomElement): void => {
    const at = out.findIndex((existing) => existing.tag === element.tag);
    if (at >= 0) out[at] = element;
    else out.push(element);
  };
  set({ kind: 'value', tag: PATIENT_NAME, vr: 'PN', bytes: textValue(pseudonym, 'PN') });
  set({ kind: 'value', tag: PATIENT_ID, vr: 'LO', bytes: textValue(pseudonym, 'LO') });
  set({ kind: 'value', tag: PATIENT_IDENTITY_REMOVED, vr: 'CS', bytes: textValue('YES', 'CS') });
  set({ kind: 'value', tag: DEIDENTIFICATION_METHOD, vr: 'LO', bytes: textValue(`PS3.15 Annex E: ${methods.map((method) => method.meaning).join('\\')}`, 'LO') });
  set({ kind: 'sequence', tag: DEIDENTIFICATION_METHOD_CODE_SEQUENCE, items: methods.map(codeItem) });
  const temporal = options.has('retainLongitudinalFullDates') ? 'UNMODIFIED' : shifting ? 'MODIFIED' : 'REMOVED';
  set({ kind: 'value', tag: LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, vr: 'CS', bytes: textValue(temporal, 'CS') });
  out.sort((a, b) => a.tag - b.tag);

  const newSopInstanceUid = ascii(find(out, SOP_INSTANCE_UID)).trim();
  const study = ascii(find(out, STUDY_INSTANCE_UID)).trim();
  const series = ascii(find(out, SERIES_INSTANCE_UID)).trim();
  const bytes = writePart10({ sopClassUid, sopInstanceUid: newSopInstanceUid, transferSyntaxUid, dataset: out });
  return {
    ok: true,
    bytes,
    sopClassUid,
    sopInstanceUid: newSopInstanceUid,
    studyInstanceUid: study === '' ? undefined : study,
    seriesInstanceUid: series === '' ? undefined : series,
    transferSyntaxUid,
    pseudonym,
    report: { ...walk.counts, unlistedRemoved: [...walk.unlisted].sort() },
  };
}
