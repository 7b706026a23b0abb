import type { CodedConcept, Observation, ObservationValueDetail, Patient, PatientIdentifier } from '../../../shared/domain/clinical';
import type { RecordRow, ViewRecord } from '../../vault/vault-service';
import { personNameLabel } from '../../../shared/domain/person-name';
import { isDecimalComma } from '../../../shared/hl7/decimal-comma';
import { formattedTextInline, formattedTextLines } from './formatted-text';
import { unitLabel } from './ucum-units';

const SEX_WORDS: Readonly<Record<string, string>> = { F: 'Female', M: 'Male', O: 'Other', U: 'Unknown' };

export function sexLabel(sex: string | undefined): string {
  if (sex === undefined || sex === '') return 'Not recorded';
  return SEX_WORDS[sex] ?? sex;
}

export function patientName(patient: Patient): string {
  return personNameLabel(patient.name);
}

export function identifierLabel(identifier: PatientIdentifier): string {
  const context = [identifier.authority, identifier.type].filter((part) => part !== '').join(', ');
  return context === '' ? identifier.value : `${identifier.value} (${context})`;
}

/** Whether an identifier is a national one (HL7 table 0203 SS, social security number): masked wherever it is not asked for. */
export function isNationalIdentifier(identifier: PatientIdentifier): boolean {
  return identifier.type.toUpperCase() === 'SS';
}

/**
 * An identifier as the banner shows it on every patient view: a national one (SS) masked to its last
 * four characters, at most half of it ("SSN •••123 (USSSA)", tester H8 F7), as EHR banners do; the
 * patient details list it in full. Others as identifierLabel.
 */
export function bannerIdentifierLabel(identifier: PatientIdentifier): string {
  if (!isNationalIdentifier(identifier)) return identifierLabel(identifier);
  const shown = identifier.value.slice(identifier.value.length - Math.min(4, Math.floor(identifier.value.length / 2)));
  const masked = `SSN •••${shown}`;
  return identifier.authority === '' ? masked : `${masked} (${identifier.authority})`;
}

/**
 * One line: street, "postal code, town, state or province", country: "1 Elm St, Apt 2, 02110 Boston
 * MA, USA", "Hauptstrasse 5, 3011 Bern, CH". One layout for every country, not each country's
 * postal convention (which we could not get right for all and which would make one list read
 * two ways); the postal code before the town as the app always showed it, and the state right
 * after the town it qualifies, in the order HL7 sends them (XAD-3 city, XAD-4 state).
 */
export function addressLabel(patient: Patient): string {
  const address = patient.address;
  if (address === undefined) return '';
  const town = [address.postalCode, address.city, address.state].filter((part) => part !== undefined && part !== '').join(' ');
  return [address.street, town, address.country].filter((part) => part !== undefined && part !== '').join(', ');
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** `2025-03-01` → "Saturday, 1 March 2025": the calendar day as recorded, never shifted by time zone. */
export function dayLabel(isoDay: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay);
  if (match === null) return isoDay;
  return dayFormat.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))));
}

const two = (value: number) => String(value).padStart(2, '0');

/**
 * Whether a time is an instant of this system's clock, not one a sender wrote: stored in UTC (`Z`,
 * toISOString) it is a device reading's, a record's receipt time, a demo record's. HL7 times always
 * carry an offset (their own, MSH-7's, or the receiving computer's), never `Z`.
 */
export function isSystemInstant(time: string): boolean {
  return time.endsWith('Z');
}

/**
 * A record's day and clock time as the sender wrote them (their local time), from an ISO date-time:
 * clinical times are read in the clinic's own time, whatever this computer's time zone. An instant
 * of this system's clock (isSystemInstant) has no sender's wall clock: it is read in this
 * computer's zone, so a reading at 23:30 local time is listed under its day, not the UTC one.
 * Lists and the flowsheet group by this day, so a record's day heading and its clock agree.
 */
export function recordDay(time: string): string {
  if (isSystemInstant(time)) {
    const date = new Date(time);
    if (!Number.isNaN(date.getTime())) return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  }
  return time.slice(0, 10);
}

export function recordClock(time: string): string {
  if (isSystemInstant(time)) {
    const date = new Date(time);
    if (!Number.isNaN(date.getTime())) return `${two(date.getHours())}:${two(date.getMinutes())}`;
  }
  return /T(\d{2}:\d{2})/.exec(time)?.[1] ?? '';
}

/** `2025-03-01T08:15:00+01:00` → "2025-03-01 08:15 (UTC+01:00)"; an instant of this system's clock "… (local time)". */
export function recordDateTime(time: string): string {
  const zone = /(Z|[+-]\d{2}:\d{2})$/.exec(time)?.[1];
  const zoneText = zone === undefined ? '' : zone === 'Z' ? ' (local time)' : ` (UTC${zone})`;
  return `${recordDay(time)} ${recordClock(time)}${zoneText}`;
}

/**
 * Whether a record's time is not its own but the time its message was received (recordTime's
 * fallback): an allergy without AL1-6, a diagnosis without DG1-5. Such a record says "No onset
 * date recorded" and when it was recorded, never a time that reads as documented then (T1 D6).
 */
export function timeIsReceipt(record: ViewRecord): boolean {
  return (record.type === 'allergy' && record.identified === undefined) || (record.type === 'diagnosis' && record.time === undefined);
}

/** What a record without its own date lacks: "No onset date recorded" (allergy), "No diagnosis date recorded". */
export function undatedText(record: ViewRecord): string {
  return record.type === 'diagnosis' ? 'No diagnosis date recorded' : 'No onset date recorded';
}


/** An instant in this computer's zone, "2026-12-07 06:23 (local time)": when a message was received, not a clinical time. */
export function localDateTime(time: string): string {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return time;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())} (local time)`;
}

export function sortNewestFirst(rows: readonly RecordRow[]): RecordRow[] {
  return [...rows].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.source.seq - a.source.seq);
}

/** Newest day first, newest record first within the day. */
export function groupByDay(rows: readonly RecordRow[]): { readonly day: string; readonly rows: RecordRow[] }[] {
  const groups: { day: string; rows: RecordRow[] }[] = [];
  for (const row of sortNewestFirst(rows)) {
    const day = recordDay(row.time);
    const last = groups.at(-1);
    if (last !== undefined && last.day === day) last.rows.push(row);
    else groups.push({ day, rows: [row] });
  }
  return groups;
}

const CATEGORY_WORDS: Readonly<Record<Observation['category'], string>> = {
  laboratory: 'Lab',
  'vital-signs': 'Vital sign',
  device: 'Device',
};

export function recordTypeLabel(record: ViewRecord): string {
  switch (record.type) {
    case 'visit':
      return 'Visit';
    case 'observation':
      return CATEGORY_WORDS[record.category];
    case 'report':
      return record.kind === 'document' ? 'Document' : 'Report';
    case 'order':
      return 'Order';
    case 'allergy':
      return 'Allergy';
    case 'diagnosis':
      return 'Diagnosis';
    case 'immunization':
      return 'Immunization';
  }
}

/** A coded concept in words: its display, else its code. */
export function conceptLabel(concept: CodedConcept): string {
  return concept.display !== '' ? concept.display : concept.code;
}

type PatientClass = Extract<ViewRecord, { type: 'visit' }>['patientClass'];

/** HL7 table 0004 (PV1-2) in words. */
const PATIENT_CLASS_WORDS: Readonly<Record<NonNullable<PatientClass>, string>> = {
  I: 'Inpatient',
  O: 'Outpatient',
  E: 'Emergency',
  P: 'Preadmit',
  R: 'Recurring patient',
  B: 'Obstetrics',
  C: 'Commercial account',
  N: 'Not applicable',
  U: 'Unknown',
};

/** A visit's patient class as a fact ("Inpatient", "Not recorded" when the message gave none: QA s33 D2, never a made-up Outpatient). */
export function patientClassLabel(patientClass: PatientClass): string {
  return patientClass === undefined ? 'Not recorded' : PATIENT_CLASS_WORDS[patientClass];
}

/** A visit's class after its date in a line ("Inpatient", "preadmit", "class not recorded"). */
export function visitClassLabel(patientClass: PatientClass): string {
  if (patientClass === 'I' || patientClass === 'O' || patientClass === 'E') return PATIENT_CLASS_WORDS[patientClass];
  if (patientClass === 'N' || patientClass === 'U' || patientClass === undefined) return `class ${patientClassLabel(patientClass).toLowerCase()}`;
  return PATIENT_CLASS_WORDS[patientClass].toLowerCase();
}

/** A visit's name: "Inpatient visit", or "Visit (preadmit)", "Visit (class not recorded)". */
function visitName(patientClass: PatientClass): string {
  return patientClass === 'I' || patientClass === 'O' || patientClass === 'E' ? `${PATIENT_CLASS_WORDS[patientClass]} visit` : `Visit (${visitClassLabel(patientClass)})`;
}

export function recordName(record: ViewRecord): string {
  switch (record.type) {
    case 'visit':
      return visitName(record.patientClass);
    case 'observation':
    case 'report':
    case 'order':
    case 'diagnosis':
      return conceptLabel(record.code);
    case 'allergy':
      return conceptLabel(record.allergen);
    case 'immunization':
      return conceptLabel(record.vaccine);
  }
}

/** The value column of a record: a measurement, a reaction, a status… in one short line. */
export function recordValue(record: ViewRecord): string {
  switch (record.type) {
    case 'visit':
      return record.reason ?? record.location ?? '';
    case 'observation':
      return observationValue(record);
    case 'report':
      return reportSummary(record.text, record.observationCount);
    case 'order':
      return [orderControlLabel(record.control), record.priority === undefined ? '' : priorityLabel(record.priority)].filter((part) => part !== '').join(', ');
    case 'allergy':
      return [...(record.reactions ?? []), record.severity === undefined ? '' : severityLabel(record.severity)].filter((part) => part !== '').join(', ');
    case 'diagnosis':
      return record.diagnosisType === undefined ? '' : diagnosisTypeLabel(record.diagnosisType);
    case 'immunization': {
      const dose = record.amount === undefined ? '' : record.unit === undefined || record.unit === '' ? String(record.amount) : `${record.amount} ${record.unit}`;
      const status = record.completionStatus === undefined || record.completionStatus === 'CP' ? '' : completionLabel(record.completionStatus);
      return [dose, status].filter((part) => part !== '').join(', ');
    }
  }
}

function observationValue(record: Observation): string {
  const { amount, unit } = observationParts(record);
  const flag = notNumberNote(record);
  if (record.value.kind === 'text' && record.valueDetail === undefined) return `${formattedTextInline(amount)}${flag === null ? '' : ` ${flag}`}`;
  const note = repeatedValuesNote(record) ?? flag;
  return `${unit === '' ? amount : `${amount} ${unitLabel(unit)}`}${note === null ? '' : ` ${note}`}`;
}

/**
 * "(not a number: sent as NM)" after a result whose OBX-2 says NM (or SN) but whose value is text
 * that holds no number ("Zyxwvut"): shown as sent and never charted, so nobody reads it as a
 * measurement (security audit, issue 11); a decimal comma ("5,2") says so instead: "(decimal comma:
 * HL7 NM uses a period; not charted)". A comparator or a range ("<5", "5.0-7.0") reads as the SN
 * it is, without it. Null for any other result, and for an empty value or the HL7 null.
 */
export function notNumberNote(record: Observation): string | null {
  const type = (record.valueType ?? '').toUpperCase();
  if ((type !== 'NM' && type !== 'SN') || record.value.kind !== 'text') return null;
  const text = record.value.value.trim();
  if (text === '' || text === '""') return null;
  const detail = record.valueDetail;
  // An SN whose parts came out of place (`2.0^-^4.0`) still reads as its numbers: only one without a digit is flagged.
  const noNumber = detail === undefined || (detail.kind === 'structured-numeric' && detail.value === undefined && detail.value2 === undefined && !/\d/.test(text));
  if (!noNumber) return null;
  // A decimal comma gets the body's reason (its mapping note), not "not a number" that its reader would doubt.
  return isDecimalComma(text) ? `(decimal comma: HL7 ${type} uses a period; not charted)` : `(not a number: sent as ${type})`;
}

/**
 * "(the lab sent 2 values)" after a result whose OBX-5 the lab repeated (`6.0~7.0`), shown with all
 * its values and never charted (QA s33 D1); null for any other result.
 */
export function repeatedValuesNote(record: Observation): string | null {
  return record.valueDetail?.kind === 'repeated' ? `(the lab sent ${record.valueDetail.values.length} values)` : null;
}

/** A number as the lab wrote it: with the decimals it reported (`4.0`), where the record kept them (QA explore-11 D8). */
export function numberText(value: number, decimals: number | undefined): string {
  return decimals === undefined || !Number.isFinite(value) ? String(value) : value.toFixed(decimals);
}

/** An observation's unit (UCUM code, '' when none): a number's, or the one a compared value (`>150`) was sent with. */
export function observationUnit(record: Observation): string {
  if (record.value.kind === 'numeric') return record.value.unit ?? '';
  return record.valueDetail?.kind === 'structured-numeric' || record.valueDetail?.kind === 'repeated' ? (record.valueDetail.unit ?? '') : '';
}

/** An observation's value without its unit, and its unit's UCUM code ('' when none): for views that mark the unit up. */
export function observationParts(record: Observation): { readonly amount: string; readonly unit: string } {
  const unit = observationUnit(record);
  // A compared or structured value (`>150`, `2.0-4.0`, `2+`) reads as the lab wrote it: its text is
  // what was sent, whole; the detail's parts lose a range's decimals and a suffix (QA2-11 Q1, Q5).
  if (record.valueDetail?.kind === 'structured-numeric' && record.value.kind === 'text') return { amount: writtenLabel(record.value.value), unit };
  // A plain SN number (`^5.10`) is numeric, with the decimals the lab wrote, which its detail does not carry.
  if (record.valueDetail !== undefined && !(record.valueDetail.kind === 'structured-numeric' && record.value.kind === 'numeric')) {
    const detail = valueDetailLabel(record.valueDetail);
    if (detail !== null) return record.valueDetail.kind === 'structured-numeric' || record.valueDetail.kind === 'repeated' ? { amount: detail, unit } : { amount: detail, unit: '' };
  }
  const value = record.value;
  switch (value.kind) {
    case 'numeric':
      return { amount: numberText(value.value, value.decimals), unit };
    case 'text':
      return { amount: value.value, unit: '' };
    case 'coded':
      return { amount: conceptLabel(value.value), unit: '' };
  }
}

/** A compared value as written, its comparator apart from the number ("> 150") so it is not read as part of it. */
function writtenLabel(text: string): string {
  const compared = /^(<>|<=|>=|<|>|=)\s*(\S.*)$/s.exec(text.trim());
  return compared === null ? text.trim() : `${compared[1]} ${compared[2]}`;
}

/** An observation's value as sent when it is more than `value` says (`<5`, `1:128`, a PDF…). */
export function valueDetailLabel(detail: ObservationValueDetail): string | null {
  switch (detail.kind) {
    case 'structured-numeric': {
      const first = detail.value === undefined ? '' : numberText(detail.value, detail.decimals);
      const second = detail.value2 === undefined ? '' : String(detail.value2);
      // "> 150": the comparator apart from the number, so it is not read as part of it.
      const comparator = detail.comparator === undefined || detail.comparator === '' ? '' : first === '' ? detail.comparator : `${detail.comparator} `;
      const text = `${comparator}${first}${second === '' ? '' : `${detail.separator ?? ''}${second}`}`;
      return text === '' ? null : text;
    }
    case 'date-time':
      return detail.value;
    case 'encapsulated':
      return `Attached ${detail.mediaType === '' ? 'data' : detail.mediaType} (${detail.bytes} bytes, ${detail.encoding})`;
    case 'reference':
      return `Reference: ${detail.pointer}`;
    case 'repeated':
      return detail.values.join('; ');
    case 'coded-list':
      // Every code the lab sent in a repeated OBX-5 (issue 11), in its order.
      return detail.values.map(conceptLabel).join('; ');
  }
}

/** A report's text on one line (its first line, shortened), or how many results it holds. */
export function reportSummary(text: string | undefined, observations: number | undefined): string {
  const first = formattedTextLines(text ?? '').find((line) => line.trim() !== '')?.trim() ?? '';
  if (first !== '') return first.length > 80 ? `${first.slice(0, 79)}…` : first;
  if (observations === undefined) return '';
  return observations === 1 ? '1 result' : `${observations} results`;
}

const ORDER_CONTROL_WORDS: Readonly<Record<string, string>> = {
  NW: 'New order',
  CA: 'Cancel request',
  CR: 'Cancelled as requested',
  OC: 'Order cancelled',
  XO: 'Change request',
  XX: 'Changed',
  SC: 'Status changed',
  DC: 'Discontinue request',
  OD: 'Discontinued',
  HD: 'Hold request',
  OH: 'On hold',
  RP: 'Replacement',
  SN: 'Send number',
  NA: 'Number assigned',
  OK: 'Accepted',
  RE: 'Observations follow',
};

/** HL7 table 0119 (ORC-1) in words. */
export function orderControlLabel(code: string): string {
  return ORDER_CONTROL_WORDS[code] ?? code;
}

const PRIORITY_WORDS: Readonly<Record<string, string>> = { S: 'Stat', A: 'As soon as possible', R: 'Routine', P: 'Pre-operative', T: 'Timing critical' };

export function priorityLabel(code: string): string {
  return PRIORITY_WORDS[code] ?? code;
}

const ORDER_STATUS_WORDS: Readonly<Record<string, string>> = {
  A: 'Some results available',
  CA: 'Cancelled',
  CM: 'Completed',
  DC: 'Discontinued',
  ER: 'Error',
  HD: 'On hold',
  IP: 'In process',
  RP: 'Replaced',
  SC: 'Scheduled',
};

/** HL7 table 0038 (ORC-5). */
export function orderStatusLabel(code: string): string {
  return ORDER_STATUS_WORDS[code] ?? code;
}

const RESULT_STATUS_WORDS: Readonly<Record<string, string>> = {
  O: 'Order received',
  I: 'In progress',
  S: 'Scheduled',
  A: 'Some results available',
  P: 'Preliminary',
  C: 'Corrected',
  R: 'Not yet verified',
  F: 'Final',
  X: 'Cannot be done',
  // TXA-17 document completion status (table 0271)
  AU: 'Authenticated',
  DI: 'Dictated',
  DO: 'Documented',
  IN: 'Incomplete',
  IP: 'In progress',
  LA: 'Legally authenticated',
  PA: 'Pre-authenticated',
};

/** OBR-25 (table 0123) or TXA-17 (table 0271) in words. */
export function reportStatusLabel(code: string): string {
  return RESULT_STATUS_WORDS[code] ?? code;
}

const ALLERGEN_TYPE_WORDS: Readonly<Record<string, string>> = {
  DA: 'Drug',
  FA: 'Food',
  MA: 'Miscellaneous',
  MC: 'Miscellaneous contraindication',
  EA: 'Environmental',
  AA: 'Animal',
  PA: 'Plant',
  LA: 'Pollen',
};

export function allergenTypeLabel(code: string): string {
  return ALLERGEN_TYPE_WORDS[code] ?? code;
}

const SEVERITY_WORDS: Readonly<Record<string, string>> = { SV: 'Severe', MO: 'Moderate', MI: 'Mild', U: 'Unknown severity' };

export function severityLabel(code: string): string {
  return SEVERITY_WORDS[code] ?? code;
}

const DIAGNOSIS_TYPE_WORDS: Readonly<Record<string, string>> = { A: 'Admitting', W: 'Working', F: 'Final' };

export function diagnosisTypeLabel(code: string): string {
  return DIAGNOSIS_TYPE_WORDS[code] ?? code;
}

const COMPLETION_WORDS: Readonly<Record<string, string>> = { CP: 'Complete', RE: 'Refused', NA: 'Not administered', PA: 'Partially administered' };

export function completionLabel(code: string): string {
  return COMPLETION_WORDS[code] ?? code;
}

const ACTION_WORDS: Readonly<Record<string, string>> = { A: 'Add', U: 'Update', D: 'Delete' };

export function immunizationActionLabel(code: string): string {
  return ACTION_WORDS[code] ?? code;
}

const MAPPING_WORDS = { mapped: 'Mapped', partial: 'Partly mapped', 'not-mapped': 'Not mapped (stored raw)' } as const;

export function mappingLabel(mapping: 'mapped' | 'partial' | 'not-mapped'): string {
  return MAPPING_WORDS[mapping];
}

const STATUS_WORDS = { F: 'Final', P: 'Preliminary', C: 'Corrected' } as const;

export function statusLabel(status: 'F' | 'P' | 'C'): string {
  return STATUS_WORDS[status];
}

const FLAG_WORDS: Readonly<Record<string, string>> = {
  H: 'High',
  L: 'Low',
  HH: 'Critically high',
  LL: 'Critically low',
  A: 'Abnormal',
  AA: 'Critically abnormal',
  '>': 'Above the measurable range',
  '<': 'Below the measurable range',
  N: 'Normal',
};

export interface Flag {
  readonly code: string;
  readonly label: string;
  /** high, low or abnormal: how the flag is marked (a symbol and the word, not colour alone). */
  readonly direction: 'high' | 'low' | 'abnormal';
  /** A critical (panic) value, HH, LL or AA: marked apart from plain H, L and A. */
  readonly critical: boolean;
}

const CRITICAL_FLAGS: ReadonlySet<string> = new Set(['HH', 'LL', 'AA']);

/** Whether an observation carries a critical flag (HH, LL, AA). */
export function isCritical(record: ViewRecord): boolean {
  return record.type === 'observation' && (record.abnormalFlags ?? []).some((code) => CRITICAL_FLAGS.has(code));
}

/** The abnormal flags of an observation (N, normal, is left out). */
export function abnormalFlags(record: ViewRecord): Flag[] {
  if (record.type !== 'observation') return [];
  return (record.abnormalFlags ?? [])
    .filter((code) => code !== '' && code !== 'N')
    .map((code) => ({
      code,
      label: FLAG_WORDS[code] ?? `Flag ${code}`,
      direction: code.startsWith('H') || code === '>' ? 'high' : code.startsWith('L') || code === '<' ? 'low' : 'abnormal',
      critical: CRITICAL_FLAGS.has(code),
    }));
}

export function flagLabel(code: string): string {
  return FLAG_WORDS[code] ?? `Flag ${code}`;
}
