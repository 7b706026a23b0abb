import { z } from 'zod';
import {
  NormalizedIntakeSchema,
  type ClearableField,
  type ClinicalRecord,
  type CodedConcept,
  type Allergy,
  type Diagnosis,
  type ExtendedRecord,
  type Hl7MessageInfo,
  type Immunization,
  type Merge,
  type NormalizedIntake,
  type Observation,
  type ObservationValueDetail,
  type Order,
  type Patient,
  type PatientIdentifier,
  type Report,
  type Visit,
} from '../../../shared/domain/clinical';
import { isDecimalComma } from '../../../shared/hl7/decimal-comma';
import type { Hl7Message, Hl7Segment } from './hl7-front-end';

/**
 * HL7 v2 message → shared/domain NormalizedIntake. Walks the segments once, in order:
 *
 *   PID          Patient (PID-3 identifiers with CX-4 authority and CX-5 type, PID-5, -7, -8, -11, -13/14)
 *   PV1 (+PV2)   Visit
 *   OBR          Report (ORU/OUL: a result report) or Order (ORM/OML/OMx, with its ORC)
 *   OBX          Observation typed by OBX-2; in MDM the document's text instead
 *   NTE          A comment (NTE-3) on the OBX before it, else on the OBR's report
 *   TXA          Report (document) in MDM
 *   AL1 / DG1    Allergy / Diagnosis
 *   RXA          Immunization (VXU)
 *   MRG          Merge (ADT^A40, A18, A34…): survivor = the PID before it
 *   Z…           ignored (kept in the raw bytes)
 *
 * Message types outside MAPPED_TYPES are stored with their patient (if any), no records, and
 * `hl7.mapping = 'not-mapped'`: never rejected for it. A message with no patient identifier cannot
 * be filed under a patient: the result says so and the intake holds it in quarantine (acknowledged).
 * Every string is clipped to the schema's limits; a record the schema still refuses is dropped and
 * named in `hl7.notes` (mapping `partial`), never the whole message.
 *
 * Times: HL7 TS without a zone is the sender's local time; it takes MSH-7's zone, else this
 * computer's zone at that date (clinic and node share a time zone in practice).
 */

export const MAPPED_TYPES: ReadonlySet<string> = new Set(['ADT', 'ORU', 'OUL', 'MDM', 'ORM', 'OML', 'VXU']);

export interface MappingContext {
  readonly channel: 'hl7-mllp' | 'hl7-file' | 'hl7-reprocess';
  readonly receivedAt: Date;
  readonly dedupeKey: string;
  readonly payloadSha256: string;
  readonly conflict: boolean;
  readonly batchIndex?: number;
  /** Channel hl7-reprocess: the quarantine record an operator ran again, and whether they edited it. */
  readonly reprocessOf?: { readonly quarantineSeq: number; readonly edited: boolean; readonly charset?: string };
}

export type MappingResult =
  | { readonly kind: 'patient'; readonly normalized: NormalizedIntake }
  | { readonly kind: 'no-patient'; readonly reason: string; readonly mapping: Hl7MessageInfo['mapping'] };

const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

// ---------------------------------------------------------------------------------------------
// Times

function localOffset(y: number, mo: number, d: number, h: number, mi: number): string {
  const minutes = -new Date(y, mo - 1, d, h, mi).getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const hours = Math.floor(Math.abs(minutes) / 60);
  const rest = Math.abs(minutes) % 60;
  return `${sign}${hours < 10 ? '0' : ''}${hours}:${rest < 10 ? '0' : ''}${rest}`;
}

export interface Hl7Time {
  /** YYYY-MM-DD when at least the day is given. */
  readonly date?: string;
  /** ISO 8601 with offset. */
  readonly dateTime?: string;
}

/*
 * TS/DTM is read by hand (no regex, no Date unless the offset must come from this computer's
 * zone): `YYYYMMDD[HH[MM[SS]]][.F{1,4}][±ZZZZ]`, exactly what the pattern
 * /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/ matched with the day
 * required, the date checked as Date.UTC checks it (so years 0000-0099, which Date.UTC reads as
 * 1900-1999, are refused).
 */

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const twoDigits = (text: string, at: number) => (text.charCodeAt(at) - 0x30) * 10 + text.charCodeAt(at + 1) - 0x30;

/** `±ZZZZ` at `at` (four ASCII digits after the sign). */
function isOffsetAt(text: string, at: number): boolean {
  const sign = text.charCodeAt(at);
  return (sign === 0x2b || sign === 0x2d) && isDigit(text.charCodeAt(at + 1)) && isDigit(text.charCodeAt(at + 2)) && isDigit(text.charCodeAt(at + 3)) && isDigit(text.charCodeAt(at + 4));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** How many digits (8, 10, 12 or 14) a trimmed TS starts with when it is well formed and its date exists; 0 otherwise. */
function tsDigits(text: string): number {
  const length = text.length;
  let end = 0;
  while (end < length && isDigit(text.charCodeAt(end))) end++;
  if (end < 8 || end > 14 || end % 2 !== 0) return 0;
  let i = end;
  if (i < length && text.charCodeAt(i) === 0x2e) {
    const from = ++i;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
    if (i === from || i - from > 4) return 0;
  }
  if (i < length && (length - i !== 5 || !isOffsetAt(text, i))) return 0;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 4);
  const day = twoDigits(text, 6);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 0;
  return end;
}

function tsDate(text: string): string {
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

/** The ISO date-time of a TS that tsDigits accepted (`end` its digit count), or undefined when its time is out of range. */
function tsDateTime(text: string, end: number, date: string, zone: string | undefined): string | undefined {
  const hour = end >= 10 ? twoDigits(text, 8) : 0;
  const minute = end >= 12 ? twoDigits(text, 10) : 0;
  const second = end >= 14 ? twoDigits(text, 12) : 0;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let i = end;
  let ms = '';
  if (i < text.length && text.charCodeAt(i) === 0x2e) {
    const from = ++i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    ms = `.${i - from >= 3 ? text.slice(from, from + 3) : text.slice(from, i).padEnd(3, '0')}`;
  }
  const source = i < text.length ? text.slice(i) : zone;
  const offset = source !== undefined && source.length === 5 && isOffsetAt(source, 0) ? `${source.slice(0, 3)}:${source.slice(3)}` : localOffset(twoDigits(text, 0) * 100 + twoDigits(text, 2), twoDigits(text, 4), twoDigits(text, 6), hour, minute);
  const hh = end >= 10 ? text.slice(8, 10) : '00';
  const mm = end >= 12 ? text.slice(10, 12) : '00';
  const ss = end >= 14 ? text.slice(12, 14) : '00';
  return `${date}T${hh}:${mm}:${ss}${ms}${offset}`;
}

/** HL7 TS/DTM/DT → ISO. `zone` is the offset (`+0100`) to assume when the value has none. */
export function parseHl7Time(value: string, zone?: string): Hl7Time {
  const text = value.trim();
  const end = tsDigits(text);
  if (end === 0) return {};
  const date = tsDate(text);
  const dateTime = tsDateTime(text, end, date, zone);
  return dateTime === undefined ? { date } : { date, dateTime };
}

/** parseHl7Time(value).date, without working out a time nobody reads. */
function hl7Date(value: string): string | undefined {
  const text = value.trim();
  return tsDigits(text) === 0 ? undefined : tsDate(text);
}

/**
 * PID-7 as precise as it was sent: a full date, or `YYYY-MM` / `YYYY` for a DT of month or year
 * precision (QA explore-11 D19: `202503` was dropped). Years before 0100 are refused, as for TS.
 */
function hl7BirthDate(value: string): string | undefined {
  const text = value.trim();
  const full = hl7Date(text);
  if (full !== undefined || (text.length !== 4 && text.length !== 6)) return full;
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return undefined;
  if (twoDigits(text, 0) === 0) return undefined;
  if (text.length === 4) return text;
  const month = twoDigits(text, 4);
  return month >= 1 && month <= 12 ? `${text.slice(0, 4)}-${text.slice(4)}` : undefined;
}

/** parseHl7Time(value, zone).dateTime. */
function hl7DateTime(value: string, zone: string | undefined): string | undefined {
  const text = value.trim();
  const end = tsDigits(text);
  return end === 0 ? undefined : tsDateTime(text, end, tsDate(text), zone);
}

// ---------------------------------------------------------------------------------------------
// Data types

/**
 * Records are built by assigning their fields in the schema's order, optional ones only when set:
 * the key order is part of the output (the normalized intake is serialized and sealed as it is).
 */
type Draft<T> = { -readonly [K in keyof T]?: T[K] };

/** Sets `key` to the value, clipped, unless the value is empty. */
function putText<K extends string>(target: NoInfer<{ [P in K]?: string }>, key: K, value: string, max: number): void {
  if (value !== '') target[key] = clip(value, max);
}

/** The two values joined by a space, or the non-empty one. */
function joinSpace(first: string, second: string): string {
  return first === '' ? second : second === '' ? first : `${first} ${second}`;
}

function coded(segment: Hl7Segment, field: number, repetition = 0): CodedConcept {
  let code = segment.value(field, 1, 1, repetition);
  let display = segment.value(field, 2, 1, repetition);
  let system: string;
  if (code === '' && display === '') {
    code = segment.value(field, 4, 1, repetition);
    display = segment.value(field, 5, 1, repetition);
    system = segment.value(field, 6, 1, repetition);
  } else {
    system = segment.value(field, 3, 1, repetition);
  }
  return { code: clip(code, 64), display: clip(display, 200), system: clip(system, 32) };
}

function isEmptyConcept(concept: CodedConcept): boolean {
  return concept.code === '' && concept.display === '';
}

/** XCN / XPN / CNN → "Given Family" (XCN: id^family^given; XPN: family^given). */
function personName(segment: Hl7Segment, field: number, layout: 'xcn' | 'xpn' | 'cnn', repetition = 0): string {
  if (layout === 'cnn') {
    return joinSpace(segment.value(field, 1, 3, repetition), segment.value(field, 1, 2, repetition)) || segment.value(field, 1, 1, repetition);
  }
  if (layout === 'xpn') return joinSpace(segment.value(field, 2, 1, repetition), segment.value(field, 1, 1, repetition));
  return joinSpace(segment.value(field, 3, 1, repetition), segment.value(field, 2, 1, repetition)) || segment.value(field, 1, 1, repetition);
}

function identifiers(segment: Hl7Segment, field: number): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  const repetitions = segment.repetitions(field);
  for (let r = 0; r < repetitions && out.length < 10; r++) {
    const value = segment.value(field, 1, 1, r).trim();
    if (value === '') continue;
    const authority = segment.value(field, 4, 1, r) || segment.value(field, 4, 2, r);
    out.push({ value: clip(value, 64), authority: clip(authority, 64), type: clip(segment.value(field, 5, 1, r), 8) });
  }
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Decimal places of a number written with trailing zeros (`4.0` → 1, `5.10` → 2); undefined when its value prints them all. */
function trailingDecimals(text: string): number | undefined {
  const trimmed = text.trim();
  const dot = trimmed.indexOf('.');
  if (dot < 0 || /e/i.test(trimmed) || !trimmed.endsWith('0')) return undefined;
  const decimals = trimmed.length - dot - 1;
  return decimals >= 1 && decimals <= 20 ? decimals : undefined;
}

/** NM with a comparator (`>150`, `<= 0.5`): labs send it although NM has none; SN is the type for it. */
const COMPARED = /^(<>|<=|>=|<|>|=)\s*([^\s].*)$/;

/** NM written as two numbers, a range (`5.0-7.0`) or a ratio (`1:128`, `120/80`): SN is the type for it too. */
const PAIR = /^([+-]?(?:\d+\.?\d*|\.\d+))\s*([-:/])\s*([+-]?(?:\d+\.?\d*|\.\d+))$/;

function number(text: string): number | undefined {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Segments

const SEX: Readonly<Record<string, Patient['sex']>> = { F: 'F', M: 'M', O: 'O', U: 'U', A: 'O', N: 'U', X: 'O' };

/** XTN: component 1, else "+country area local" (components 5, 6, 7), else component 12. */
function phoneNumber(pid: Hl7Segment, field: number, r: number): string {
  const telephone = pid.value(field, 1, 1, r);
  if (telephone !== '') return telephone;
  const country = pid.value(field, 5, 1, r);
  const parts = joinSpace(joinSpace(country === '' ? '' : `+${country}`, pid.value(field, 6, 1, r)), pid.value(field, 7, 1, r));
  return parts || pid.value(field, 12, 1, r);
}

/** The numbers of an XTN field (PID-13 or PID-14), up to five, the HL7 null read as none. */
function phoneNumbers(pid: Hl7Segment, field: number): string[] {
  const phones: string[] = [];
  const repetitions = pid.repetitions(field);
  for (let r = 0; r < repetitions && phones.length < 5; r++) {
    const phone = textOf(phoneNumber(pid, field, r));
    if (phone !== '') phones.push(clip(phone, 40));
  }
  return phones;
}

/** The HL7 null (`""`): an explicit "no value", unlike an empty field, which says nothing. */
const HL7_NULL = '""';

/** A component's text, with the HL7 null read as no value (never the two quote characters). */
function textOf(value: string): string {
  return value === HL7_NULL ? '' : value;
}

/** Whether a field is exactly the HL7 null: `""` in its first component and nothing else. */
function isNullField(segment: Hl7Segment, field: number): boolean {
  if (segment.value(field) !== HL7_NULL || segment.repetitions(field) > 1) return false;
  const components = segment.field(field)[0] ?? [];
  return components.every((component, index) => index === 0 || component.every((part) => part === ''));
}

/**
 * XAD-1 as one line. Since v2.5 it is SAD: street or mailing address & street name & dwelling
 * number; each part sent is kept, joined by spaces (`1000&Hospital Lane` → "1000 Hospital Lane";
 * QA s33 D3 lost the street name). Before v2.5 it is a plain string, the first subcomponent.
 */
function streetAddress(pid: Hl7Segment): string {
  return joinSpace(joinSpace(textOf(pid.value(11, 1, 1)), textOf(pid.value(11, 1, 2))), textOf(pid.value(11, 1, 3)));
}

/**
 * PID → Patient. Absent fields are left out; fields that are the HL7 null (`""`) are listed under
 * `cleared` so the views remove what earlier messages gave (an ORU that sends no address keeps
 * the ADT's; one that sends `""` erases it).
 */
function mapPatient(pid: Hl7Segment, ctx: Context): Patient | null {
  let ids = identifiers(pid, 3);
  if (ids.length === 0) ids = identifiers(pid, 2);
  if (ids.length === 0) ids = identifiers(pid, 4);
  if (ids.length === 0) return null;
  const given: string[] = [];
  const first = textOf(pid.value(5, 2));
  if (first !== '') given.push(clip(first, 100));
  const middle = textOf(pid.value(5, 3));
  if (middle !== '') {
    for (const name of middle.split(' ')) {
      if (given.length === 5) break;
      if (name !== '') given.push(clip(name, 100));
    }
  }
  const cleared: ClearableField[] = [];
  // PID-5.3 empty says nothing (the views keep the middle names they know); `""` clears them (QA s32).
  if (pid.value(5, 3) === HL7_NULL) cleared.push('middleNames');
  const birth = hl7BirthDate(pid.value(7));
  let birthSent: string | undefined;
  if (birth === undefined && isNullField(pid, 7)) cleared.push('birthDate');
  // An impossible or future birth date is said, not passed over (QA2-11 Q7). One that is no valid
  // HL7 DT/DTM (`1945XX17`) is kept as sent beside the birth date, never as it: the record shows
  // "not a valid date (sent: …)", and nothing reads an age, a search word or a match from it. A
  // future one is kept (the banner says it is in the future); compared at its own precision with MSH-7's day.
  else if (birth === undefined && pid.value(7).trim() !== '') {
    birthSent = clip(pid.value(7).trim(), 40);
    ctx.notes.push(`PID #${pid.position}: PID-7 birth date is not a valid HL7 date; shown as sent, not used`);
  } else if (birth !== undefined && birth > ctx.messageTime.slice(0, birth.length)) ctx.notes.push(`PID #${pid.position}: PID-7 birth date is after the message; kept as sent`);
  const sex = SEX[pid.value(8).toUpperCase()];
  if (sex === undefined && isNullField(pid, 8)) cleared.push('sex');
  const street = streetAddress(pid);
  const other = textOf(pid.value(11, 2));
  const city = textOf(pid.value(11, 3));
  const state = textOf(pid.value(11, 4));
  const postalCode = textOf(pid.value(11, 5));
  const country = textOf(pid.value(11, 6));
  // PID-13 (home) and PID-14 (business) stay apart: each is merged on its own (QA explore-11 D13).
  const phones = phoneNumbers(pid, 13);
  const businessPhones = phoneNumbers(pid, 14);
  const suffix = textOf(pid.value(5, 4));
  const patient: Draft<Patient> = { identifiers: ids, name: { family: clip(textOf(pid.value(5, 1)), 100), given, ...(suffix !== '' ? { suffix: clip(suffix, 40) } : {}) } };
  if (birth !== undefined) patient.birthDate = birth;
  if (birthSent !== undefined) patient.birthDateSent = birthSent;
  if (sex !== undefined) patient.sex = sex;
  if (street !== '' || other !== '' || city !== '' || state !== '' || postalCode !== '' || (country !== '' && country.length <= 3)) {
    const address: Draft<NonNullable<Patient['address']>> = {};
    putText(address, 'street', street === '' ? other : other === '' ? street : `${street}, ${other}`, 200);
    putText(address, 'city', city, 100);
    putText(address, 'state', state, 50);
    putText(address, 'postalCode', postalCode, 20);
    if (country !== '' && country.length <= 3) address.country = country;
    patient.address = address;
  } else if (isNullField(pid, 11)) {
    cleared.push('address');
  }
  if (phones.length > 0) patient.phones = phones;
  else if (isNullField(pid, 13)) cleared.push('phones');
  if (businessPhones.length > 0) patient.businessPhones = businessPhones;
  else if (isNullField(pid, 14)) cleared.push('businessPhones');
  if (cleared.length > 0) patient.cleared = cleared;
  return patient as Patient;
}

interface Context {
  readonly zone: string | undefined;
  /** MSH-7 (or the receive time) as ISO: the fallback time of every record. */
  readonly messageTime: string;
  readonly code: string;
  readonly trigger: string;
  readonly notes: string[];
  /** The last value zonedTime read and what it gave (a message repeats its times: OBX-14, OBR-7…). */
  lastTimeText: string;
  lastTime: string | undefined;
}

/** hl7DateTime(value, ctx.zone), remembering the last answer. */
function zonedTime(ctx: Context, value: string): string | undefined {
  if (value !== ctx.lastTimeText) {
    ctx.lastTime = hl7DateTime(value, ctx.zone);
    ctx.lastTimeText = value;
  }
  return ctx.lastTime;
}

/** The first of the values that reads as a date-time, else the message time. */
function timeOf(ctx: Context, first: string, second = '', third = ''): string {
  return zonedTime(ctx, first) ?? zonedTime(ctx, second) ?? zonedTime(ctx, third) ?? ctx.messageTime;
}

/** HL7 table 0004, each class as itself; any other PV1-2 (empty, `""`, a visit number) is no class, never a guess (QA s33 D2). */
const PATIENT_CLASS: Readonly<Record<string, NonNullable<Visit['patientClass']>>> = { E: 'E', I: 'I', O: 'O', P: 'P', R: 'R', B: 'B', C: 'C', N: 'N', U: 'U' };

/**
 * The ADT events that are an encounter happening (HL7 v2.5.1 §3.3: A01 admit, A02 transfer, A03
 * discharge, A04 register, A06/A07 class changes), so their event time dates the visit. Any other
 * (A08 update patient information, A05 pre-admit, cancels, A28/A31 person updates, merges) says
 * nothing of when a visit was: without PV1-44 it gives no visit (H8 F8: an A08 that only edited the
 * address became the banner's "Last visit").
 */
const ENCOUNTER_EVENTS: ReadonlySet<string> = new Set(['A01', 'A02', 'A03', 'A04', 'A06', 'A07']);

/**
 * A PV1 as a visit, dated by what the message says about the encounter (T1 D5): PV1-44 (admit
 * time); in an ADT of an encounter event, else its event time EVN-6 (event occurred), EVN-2
 * (recorded) or the message time. A message that is not an ADT (an ORU's PV1 is the results' context, not an event of the
 * visit) without PV1-44 gives no visit: dated at MSH-7 it read as one visit per lab message and
 * made the banner's "Last visit" the lab message's date. The PV1 stays in the stored raw message.
 */
function mapVisit(pv1: Hl7Segment, pv2: Hl7Segment | undefined, evn: Hl7Segment | undefined, ctx: Context): Visit | null {
  const admitted = zonedTime(ctx, pv1.value(44));
  if (admitted === undefined && (ctx.code !== 'ADT' || !ENCOUNTER_EVENTS.has(ctx.trigger.toUpperCase()))) return null;
  const location = joinSpace(joinSpace(joinSpace(pv1.value(3, 1), pv1.value(3, 2)), pv1.value(3, 3)), pv1.value(3, 4));
  const reason = pv2 === undefined ? '' : pv2.value(3, 2) || pv2.value(3, 1);
  const patientClass = Object.hasOwn(PATIENT_CLASS, pv1.value(2).toUpperCase()) ? PATIENT_CLASS[pv1.value(2).toUpperCase()] : undefined;
  const visit: Draft<Visit> = { type: 'visit' };
  if (patientClass !== undefined) visit.patientClass = patientClass;
  putText(visit, 'location', location, 100);
  putText(visit, 'attendingDoctor', personName(pv1, 7, 'xcn'), 100);
  putText(visit, 'reason', reason, 500);
  const occurred = admitted === undefined ? zonedTime(ctx, evn?.value(6) ?? '') : undefined;
  const recorded = admitted === undefined && occurred === undefined ? zonedTime(ctx, evn?.value(2) ?? '') : undefined;
  visit.start = admitted ?? occurred ?? recorded ?? ctx.messageTime;
  visit.startFrom = admitted !== undefined ? 'PV1-44' : occurred !== undefined ? 'EVN-6' : recorded !== undefined ? 'EVN-2' : 'MSH-7';
  const end = zonedTime(ctx, pv1.value(45));
  if (end !== undefined) visit.end = end;
  return visit as Visit;
}

const VITALS = new Set([
  '8867-4', '8480-6', '8462-4', '8310-5', '8331-1', '9279-1', '59408-5', '2708-6', '29463-7', '3141-9', '8302-2', '8306-3', '39156-5', '85354-9', '55284-4', '8287-5', '9843-4', '8478-0', '8456-6',
]);
const MDC = /MDC/i;

function category(code: CodedConcept, ctx: Context): Observation['category'] {
  if (MDC.test(code.system) || code.code.startsWith('MDC_') || code.display.startsWith('MDC_')) return 'device';
  if (VITALS.has(code.code)) return 'vital-signs';
  return ctx.code === 'ADT' ? 'vital-signs' : 'laboratory';
}

function base64Size(text: string): number {
  const clean = text.replace(/\s/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

function edDetail(obx: Hl7Segment): ObservationValueDetail & { kind: 'encapsulated' } {
  const v = (c: number) => obx.value(5, c);
  const encoding = v(4);
  const data = obx.field(5)[0]?.[4]?.[0] ?? '';
  const bytes = /^base64$/i.test(encoding) ? base64Size(data) : /^hex$/i.test(encoding) ? Math.floor(data.length / 2) : data.length;
  const type = v(2).toLowerCase();
  const mediaType = type === '' ? v(3).toLowerCase() : `${type === 'ap' ? 'application' : type === 'im' ? 'image' : type === 'tx' ? 'text' : type}/${v(3).toLowerCase()}`;
  return { kind: 'encapsulated', mediaType: clip(mediaType, 100), encoding: clip(encoding, 20), bytes };
}

/** OBX-5, every repetition on its own line (TX/FT/ST components joined back with `^`, others with spaces). */
function observationText(obx: Hl7Segment, valueType: string): string {
  const repetitions = obx.repetitions(5);
  const separator = valueType === 'TX' || valueType === 'FT' || valueType === 'ST' ? '^' : ' ';
  const fields = obx.field(5);
  const lines: string[] = [];
  for (let r = 0; r < repetitions; r++) {
    const components: string[] = [];
    const field = fields[r] ?? [];
    for (let c = 1; c <= field.length; c++) components.push(obx.value(5, c, 1, r));
    lines.push(components.join(separator).replace(/\^+$/, ''));
  }
  return clip(lines.join('\n'), 10_000);
}

type NumericValue = Draft<Extract<Observation['value'], { kind: 'numeric' }>>;

function numericValue(value: number, unit: string, written: string): Observation['value'] {
  const numeric: NumericValue = { kind: 'numeric', value };
  putText(numeric, 'unit', unit, 32);
  const decimals = trailingDecimals(written);
  if (decimals !== undefined) numeric.decimals = decimals;
  return numeric as Observation['value'];
}

type StructuredNumeric = Draft<Extract<ObservationValueDetail, { kind: 'structured-numeric' }>>;

/** A value that is not one number (`>150`, `1:128`): text as sent, and its parts with the unit in the detail. */
function comparedValue(text: string, detail: StructuredNumeric, first: string, unit: string): { value: Observation['value']; detail: ObservationValueDetail } {
  const decimals = detail.value === undefined ? undefined : trailingDecimals(first);
  if (decimals !== undefined) detail.decimals = decimals;
  putText(detail, 'unit', unit, 32);
  return { value: { kind: 'text', value: clip(text, 10_000) }, detail: detail as ObservationValueDetail };
}

/** SN-1 comparators and SN-3 separators / suffixes (HL7 v2.5 2A.75). */
const SN_COMPARATORS: ReadonlySet<string> = new Set(['>', '<', '>=', '<=', '=', '<>']);
const SN_SEPARATORS: ReadonlySet<string> = new Set(['-', '+', '/', '.', ':']);

/**
 * A numeric OBX-5 (NM, SN) sent with more than one value (`6.0~7.0`): each as written ("6.0",
 * ">11.1"), else undefined. HL7 v2 lets OBX-5 repeat; keeping only the first would chart it as the
 * result and drop the others without a word (QA s33 D1).
 */
function repeatedNumbers(obx: Hl7Segment, valueType: string): string[] | undefined {
  const repetitions = obx.repetitions(5);
  if (repetitions < 2 || (valueType !== 'NM' && valueType !== 'SN')) return undefined;
  const values: string[] = [];
  for (let r = 0; r < repetitions; r++) {
    const written = valueType === 'NM' ? obx.value(5, 1, 1, r) : `${obx.value(5, 1, 1, r)}${obx.value(5, 2, 1, r)}${obx.value(5, 3, 1, r)}${obx.value(5, 4, 1, r)}`;
    const value = textOf(written.trim());
    if (value !== '') values.push(value);
  }
  return values.length >= 2 ? values : undefined;
}

/**
 * OBX-5 (all repetitions) → value (+ detail) by OBX-2; `wellFormed` false when an SN's parts are not
 * in their places; `notNumber` when OBX-2 says NM and OBX-5 is text that no reading makes a number of.
 */
function observationValue(obx: Hl7Segment, valueType: string): { value: Observation['value']; detail?: ObservationValueDetail; wellFormed?: boolean; notNumber?: boolean } {
  const repeated = repeatedNumbers(obx, valueType);
  if (repeated !== undefined) {
    const detail: Draft<Extract<ObservationValueDetail, { kind: 'repeated' }>> = { kind: 'repeated', values: repeated.slice(0, 50).map((value) => clip(value, 64)) };
    putText(detail, 'unit', obx.value(6, 1) || obx.value(6, 2), 32);
    return { value: { kind: 'text', value: clip(repeated.join('; '), 10_000) }, detail: detail as ObservationValueDetail };
  }
  switch (valueType) {
    case 'NM': {
      const written = obx.value(5);
      const unit = obx.value(6, 1) || obx.value(6, 2);
      const value = number(written);
      if (value !== undefined) return { value: numericValue(value, unit, written) };
      const compared = obx.repetitions(5) === 1 ? COMPARED.exec(written.trim()) : null;
      const limit = compared === null ? undefined : number(compared[2]!);
      if (compared !== null && limit !== undefined) {
        const detail: StructuredNumeric = { kind: 'structured-numeric', comparator: compared[1]!, value: limit };
        return comparedValue(written.trim(), detail, compared[2]!, unit);
      }
      // A range or a ratio under NM (`5.0-7.0`, `1:128`): read as the SN it is, never as one number.
      const pair = obx.repetitions(5) === 1 ? PAIR.exec(written.trim()) : null;
      const first = pair === null ? undefined : number(pair[1]!);
      const second = pair === null ? undefined : number(pair[3]!);
      if (pair !== null && first !== undefined && second !== undefined) {
        const detail: StructuredNumeric = { kind: 'structured-numeric', value: first, separator: pair[2]!, value2: second };
        return comparedValue(written.trim(), detail, pair[1]!, unit);
      }
      // Text under NM ("Zyxwvut", "5,2"): kept as sent, and said, so nobody reads it as a measurement.
      const text = observationText(obx, valueType);
      const trimmed = text.trim();
      return { value: { kind: 'text', value: text }, ...(trimmed !== '' && trimmed !== HL7_NULL ? { notNumber: true } : {}) };
    }
    case 'CE':
    case 'CWE':
    case 'CNE':
    case 'CF':
      return codedValue(obx);
    case 'SN': {
      const comparator = obx.value(5, 1);
      const first = obx.value(5, 2);
      const separator = obx.value(5, 3);
      const second = obx.value(5, 4);
      const value = number(first);
      const value2 = number(second);
      const detail: StructuredNumeric = { kind: 'structured-numeric' };
      // Only parts in their HL7 form go into the detail: a part out of place (`2.0^-^4.0`) was
      // clipped into the comparator and shown as "2." (QA2-11 Q1). The text keeps what was sent.
      const validComparator = comparator === '' || SN_COMPARATORS.has(comparator);
      const validSeparator = separator === '' || SN_SEPARATORS.has(separator);
      if (validComparator && comparator !== '') detail.comparator = comparator;
      if (value !== undefined) detail.value = value;
      if (validSeparator && separator !== '') detail.separator = separator;
      if (value2 !== undefined) detail.value2 = value2;
      const unit = obx.value(6, 1) || obx.value(6, 2);
      if (value !== undefined && comparator === '' && separator === '' && second === '') {
        return { value: numericValue(value, unit, first), detail: detail as ObservationValueDetail };
      }
      const wellFormed = validComparator && validSeparator && (first === '' || value !== undefined) && (second === '' || value2 !== undefined);
      return { ...comparedValue(`${comparator}${first}${separator}${second}`, detail, first, unit), wellFormed };
    }
    case 'DT':
    case 'TS':
    case 'DTM': {
      const raw = obx.value(5);
      const parsed = parseHl7Time(raw);
      const iso = parsed.dateTime !== undefined && valueType !== 'DT' ? parsed.dateTime : (parsed.date ?? raw);
      return { value: { kind: 'text', value: clip(iso, 10_000) }, detail: { kind: 'date-time', value: clip(iso, 40) } };
    }
    case 'ED': {
      const detail = edDetail(obx);
      return { value: { kind: 'text', value: `Encapsulated data: ${detail.mediaType || 'unknown type'}, ${detail.bytes} bytes (kept in the raw message)` }, detail };
    }
    case 'RP': {
      const pointer = obx.value(5, 1);
      const mediaType = joinSlash(obx.value(5, 3).toLowerCase(), obx.value(5, 4).toLowerCase());
      const detail: Draft<Extract<ObservationValueDetail, { kind: 'reference' }>> = { kind: 'reference', pointer: clip(pointer, 500) };
      putText(detail, 'mediaType', mediaType, 100);
      return { value: { kind: 'text', value: clip(`Reference: ${pointer}`, 10_000) }, detail: detail as ObservationValueDetail };
    }
    default:
      return { value: { kind: 'text', value: observationText(obx, valueType) } };
  }
}

/**
 * A coded OBX-5: HL7 v2 lets OBX-5 repeat, and a coded result may hold several codes (organisms,
 * answers), each of which matters: the first is the value, and every non-empty repetition is kept
 * in order in the detail (issue 11: the analyst's repeated CWE kept its first code only).
 */
function codedValue(obx: Hl7Segment): { value: Observation['value']; detail?: ObservationValueDetail } {
  const repetitions = obx.repetitions(5);
  const concepts: CodedConcept[] = [];
  for (let r = 0; r < repetitions && concepts.length < 50; r++) {
    const concept = coded(obx, 5, r);
    if (!isEmptyConcept(concept)) concepts.push(concept);
  }
  const first = concepts[0] ?? coded(obx, 5);
  if (concepts.length < 2) return { value: { kind: 'coded', value: first } };
  return { value: { kind: 'coded', value: first }, detail: { kind: 'coded-list', values: concepts } };
}

/**
 * A field HL7 defines as one coded element (OBX-3, OBR-4, AL1-3, DG1-3, RXA-5): its first
 * repetition, and a note when the sender repeated it anyway, so the others are not dropped unsaid.
 */
function singleCoded(segment: Hl7Segment, field: number, ctx: Context): CodedConcept {
  const repetitions = segment.repetitions(field);
  if (repetitions > 1) {
    let sent = 0;
    for (let r = 0; r < repetitions; r++) if (!isEmptyConcept(coded(segment, field, r))) sent++;
    if (sent > 1) ctx.notes.push(`${segment.name} #${segment.position}: ${segment.name}-${field} holds ${sent} codes but HL7 defines one; the first is kept`);
  }
  return coded(segment, field);
}

function joinSlash(first: string, second: string): string {
  return first === '' ? second : second === '' ? first : `${first}/${second}`;
}

/** The OBR that OBX segments belong to, with what they read of it (read once per OBR). */
interface ObrRef {
  readonly segment: Hl7Segment;
  orderId: string | undefined;
  time: string | undefined;
}

/**
 * Why an NM value that is a decimal comma is not read: said with the value, which is then only a
 * number (any other text under NM is never quoted in a note). Not read as 7.9: HL7 NM's decimal
 * mark is the period, and "1,234" may be a thousand or a decimal; the sender must say.
 */
function decimalCommaWords(value: Observation['value']): string {
  if (value.kind !== 'text') return '';
  const sent = value.value.trim();
  return isDecimalComma(sent) ? ` (decimal comma: sent ${sent}; HL7 NM uses a period)` : '';
}

function mapObservation(obx: Hl7Segment, obr: ObrRef | undefined, ctx: Context): Observation | null {
  const code = singleCoded(obx, 3, ctx);
  if (isEmptyConcept(code)) {
    ctx.notes.push(`OBX #${obx.position}: no OBX-3 code`);
    return null;
  }
  const valueType = obx.value(2).toUpperCase();
  const { value, detail, wellFormed, notNumber } = observationValue(obx, valueType);
  if (wellFormed === false) ctx.notes.push(`OBX #${obx.position}: SN value not in the form comparator^number^separator^number; kept as written`);
  if (notNumber === true) ctx.notes.push(`OBX #${obx.position}: OBX-5 is not a number although OBX-2 is NM${decimalCommaWords(value)}; kept as sent, never charted`);
  const flags: string[] = [];
  const flagRepetitions = obx.repetitions(8);
  for (let r = 0; r < flagRepetitions && flags.length < 5; r++) {
    const flag = obx.value(8, 1, 1, r);
    if (flag !== '') flags.push(clip(flag, 4));
  }
  // OBX-11 (table 0085): F, C and P as they are; others approximated, the original kept in resultStatus.
  const sent = obx.value(11).toUpperCase();
  const known = sent === 'F' || sent === 'C' || sent === 'P';
  const status: Observation['status'] = known ? sent : sent === '' || sent === 'U' ? 'F' : 'P';
  let time = zonedTime(ctx, obx.value(14));
  let orderId = '';
  if (obr !== undefined) {
    time ??= zonedTime(ctx, (obr.time ??= obr.segment.value(7)));
    orderId = obr.orderId ??= obr.segment.value(3) || obr.segment.value(2);
  }
  const observation: Draft<Observation> = { type: 'observation', category: category(code, ctx), code, value };
  putText(observation, 'referenceRange', obx.value(7), 64);
  if (flags.length > 0) observation.abnormalFlags = flags;
  observation.status = status;
  observation.time = time ?? ctx.messageTime;
  putText(observation, 'valueType', valueType, 3);
  if (detail !== undefined) observation.valueDetail = detail;
  putText(observation, 'subId', obx.value(4), 20);
  if (!known && sent !== '') observation.resultStatus = sent.slice(0, 1);
  putText(observation, 'orderId', orderId, 100);
  return observation as Observation;
}

function mapResultReport(obr: Hl7Segment, ctx: Context): Draft<Report> {
  const report: Draft<Report> = { type: 'report', kind: 'result', code: singleCoded(obr, 4, ctx) };
  putText(report, 'status', obr.value(25), 4);
  report.time = timeOf(ctx, obr.value(7), obr.value(22));
  putText(report, 'placerOrderId', obr.value(2), 100);
  putText(report, 'fillerOrderId', obr.value(3), 100);
  putText(report, 'author', personName(obr, 32, 'cnn'), 200);
  report.observationCount = 0;
  return report;
}

function mapDocument(txa: Hl7Segment, ctx: Context): Draft<Report> {
  const type = txa.value(2, 1);
  const report: Draft<Report> = {
    type: 'report',
    kind: 'document',
    code: { code: clip(type, 64), display: clip(txa.value(2, 2), 200), system: type === '' ? '' : clip(txa.value(2, 3) || 'HL70270', 32) },
  };
  putText(report, 'status', txa.value(17), 4);
  report.time = timeOf(ctx, txa.value(4), txa.value(6), txa.value(7));
  putText(report, 'placerOrderId', txa.value(14), 100);
  putText(report, 'fillerOrderId', txa.value(15), 100);
  putText(report, 'documentId', txa.value(12), 200);
  putText(report, 'author', personName(txa, 9, 'xcn'), 200);
  report.observationCount = 0;
  return report;
}

function mapOrder(orc: Hl7Segment | undefined, obr: Hl7Segment, ctx: Context): ExtendedRecord {
  const orcValue = (field: number, component = 1) => orc?.value(field, component) ?? '';
  const provider = (orc === undefined ? '' : personName(orc, 12, 'xcn')) || personName(obr, 16, 'xcn');
  const order: Draft<Order> = { type: 'order', control: clip(orcValue(1) || 'NW', 2), code: singleCoded(obr, 4, ctx) };
  putText(order, 'placerOrderId', orcValue(2) || obr.value(2), 100);
  putText(order, 'fillerOrderId', orcValue(3) || obr.value(3), 100);
  putText(order, 'status', orcValue(5), 4);
  putText(order, 'priority', obr.value(27, 6) || orcValue(7, 6) || obr.value(5), 10);
  putText(order, 'orderingProvider', provider, 200);
  order.time = timeOf(ctx, orcValue(9), obr.value(6), obr.value(7));
  return order as Order;
}

function mapAllergy(al1: Hl7Segment, ctx: Context): ExtendedRecord | null {
  const allergen = singleCoded(al1, 3, ctx);
  if (isEmptyConcept(allergen)) {
    ctx.notes.push(`AL1 #${al1.position}: no AL1-3 allergen`);
    return null;
  }
  const reactions: string[] = [];
  const repetitions = al1.repetitions(5);
  for (let r = 0; r < repetitions && reactions.length < 10; r++) {
    const reaction = al1.value(5, 2, 1, r) || al1.value(5, 1, 1, r);
    if (reaction !== '') reactions.push(clip(reaction, 200));
  }
  const identified = hl7Date(al1.value(6));
  const allergy: Draft<Allergy> = { type: 'allergy', allergen };
  putText(allergy, 'allergenType', al1.value(2), 10);
  putText(allergy, 'severity', al1.value(4), 10);
  if (reactions.length > 0) allergy.reactions = reactions;
  if (identified !== undefined) allergy.identified = identified;
  return allergy as Allergy;
}

function mapDiagnosis(dg1: Hl7Segment, ctx: Context): ExtendedRecord | null {
  let code = singleCoded(dg1, 3, ctx);
  if (isEmptyConcept(code)) {
    const description = dg1.value(4);
    if (description === '') {
      ctx.notes.push(`DG1 #${dg1.position}: no DG1-3 code nor DG1-4 description`);
      return null;
    }
    code = { code: '', display: clip(description, 200), system: '' };
  } else if (code.display === '' && dg1.value(4) !== '') {
    code = { ...code, display: clip(dg1.value(4), 200) };
  }
  const time = zonedTime(ctx, dg1.value(5));
  const diagnosis: Draft<Diagnosis> = { type: 'diagnosis', code };
  putText(diagnosis, 'diagnosisType', dg1.value(6), 10);
  if (time !== undefined) diagnosis.time = time;
  return diagnosis as Diagnosis;
}

function mapImmunization(rxa: Hl7Segment, ctx: Context): ExtendedRecord | null {
  const vaccine = singleCoded(rxa, 5, ctx);
  if (isEmptyConcept(vaccine)) {
    ctx.notes.push(`RXA #${rxa.position}: no RXA-5 vaccine`);
    return null;
  }
  const amount = number(rxa.value(6));
  const lots: string[] = [];
  const repetitions = rxa.repetitions(15);
  for (let r = 0; r < repetitions && lots.length < 5; r++) {
    const lot = rxa.value(15, 1, 1, r);
    if (lot !== '') lots.push(clip(lot, 40));
  }
  const immunization: Draft<Immunization> = { type: 'immunization', vaccine, time: timeOf(ctx, rxa.value(3)) };
  if (amount !== undefined && amount !== 999) immunization.amount = amount;
  putText(immunization, 'unit', rxa.value(7, 1) || rxa.value(7, 2), 32);
  if (lots.length > 0) immunization.lotNumbers = lots;
  putText(immunization, 'manufacturer', rxa.value(17, 2) || rxa.value(17, 1), 200);
  putText(immunization, 'completionStatus', rxa.value(20), 4);
  putText(immunization, 'action', rxa.value(21), 2);
  return immunization as Immunization;
}

// ---------------------------------------------------------------------------------------------
// The message

const ZONE = /([+-]\d{4})$/;

function zoneOf(mshTime: string): string | undefined {
  return ZONE.exec(mshTime.trim())?.[1];
}

const ORDER_TYPES: ReadonlySet<string> = new Set(['ORM', 'OML', 'OMG', 'OMI', 'OMB', 'OMD', 'OMN', 'OMP', 'OMS']);

interface Walk {
  patient: Patient | null;
  records: ClinicalRecord[];
  extended: ExtendedRecord[];
}

function walk(message: Hl7Message, ctx: Context, mapped: boolean): Walk {
  const out: Walk = { patient: null, records: [], extended: [] };
  const segments = message.segments;
  const evn = segments.find((segment) => segment.name === 'EVN');
  let currentPid: Patient | null = null;
  let orc: Hl7Segment | undefined;
  let obr: ObrRef | undefined;
  /** The result report the OBX segments count towards (observationCount is raised in place). */
  let report: Draft<Report> | undefined;
  /** The record an NTE comments on: the OBX or OBR just before it (none after any other segment). */
  let commented: Draft<Observation> | Draft<Report> | undefined;
  const documentLines: string[] = [];
  let documentReport: Draft<Report> | undefined;
  const isOrder = ORDER_TYPES.has(ctx.code);
  const isMdm = ctx.code === 'MDM';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.name !== 'NTE') commented = undefined;
    try {
      switch (segment.name) {
        case 'PID': {
          currentPid = mapPatient(segment, ctx);
          if (out.patient === null) out.patient = currentPid;
          break;
        }
        case 'PV1': {
          if (!mapped) break;
          const next = segments[i + 1];
          const visit = mapVisit(segment, next?.name === 'PV2' ? next : undefined, evn, ctx);
          if (visit !== null) out.records.push(visit);
          break;
        }
        case 'ORC':
          orc = segment;
          break;
        case 'OBR': {
          obr = { segment, orderId: undefined, time: undefined };
          if (!mapped) break;
          if (isOrder) {
            out.extended.push(mapOrder(orc, segment, ctx));
          } else if (!isMdm) {
            report = mapResultReport(segment, ctx);
            commented = report;
            out.extended.push(report as Report);
          }
          break;
        }
        case 'TXA': {
          if (!mapped) break;
          documentReport = mapDocument(segment, ctx);
          out.extended.push(documentReport as Report);
          break;
        }
        case 'OBX': {
          if (!mapped) break;
          if (isMdm) {
            const { value } = observationValue(segment, segment.value(2).toUpperCase());
            documentLines.push(value.kind === 'coded' ? value.value.display || value.value.code : String(value.value));
            break;
          }
          const observation = mapObservation(segment, obr, ctx);
          commented = observation ?? undefined;
          if (observation !== null) {
            out.records.push(observation);
            if (report !== undefined) report.observationCount = (report.observationCount ?? 0) + 1;
          }
          break;
        }
        case 'NTE': {
          if (!mapped || commented === undefined) break;
          const lines: string[] = [];
          for (let r = 0; r < segment.repetitions(3); r++) lines.push(segment.value(3, 1, 1, r));
          const comment = clip(lines.join('\n').trim(), 10_000);
          if (comment === '' || comment === '""') break;
          const comments = (commented.comments ??= []);
          if (comments.length < 50) comments.push(comment);
          break;
        }
        case 'AL1': {
          if (!mapped) break;
          const allergy = mapAllergy(segment, ctx);
          if (allergy !== null) out.extended.push(allergy);
          break;
        }
        case 'DG1': {
          if (!mapped) break;
          const diagnosis = mapDiagnosis(segment, ctx);
          if (diagnosis !== null) out.extended.push(diagnosis);
          break;
        }
        case 'RXA': {
          if (!mapped) break;
          const immunization = mapImmunization(segment, ctx);
          if (immunization !== null) out.extended.push(immunization);
          break;
        }
        case 'MRG': {
          if (!mapped) break;
          const merged = identifiers(segment, 1);
          if (currentPid === null || merged.length === 0) {
            ctx.notes.push(`MRG #${segment.position}: no surviving PID or no MRG-1 identifier`);
            break;
          }
          const merge: Draft<Merge> = { type: 'merge', survivor: currentPid.identifiers.slice(0, 10), merged };
          putText(merge, 'event', ctx.trigger, 8);
          out.extended.push(merge as Merge);
          break;
        }
        default:
          break;
      }
    } catch (error) {
      ctx.notes.push(`${segment.name} #${segment.position}: ${error instanceof Error ? error.message : 'unreadable'}`.slice(0, 200));
    }
  }
  if (documentReport !== undefined && documentLines.length > 0) {
    // `text` lands after observationCount, as the spread { ...report, text, observationCount } put it.
    documentReport.text = clip(documentLines.join('\n'), 200_000);
    documentReport.observationCount = documentLines.length;
  }
  return out;
}

/**
 * NormalizedIntakeSchema compiled by zod (z.compile: code generated from the schema itself, so it
 * accepts exactly what the schema accepts) and built on first use. Checking a valid intake with it
 * is about ten times cheaper than safeParse, which only runs when something is to be dropped. Where
 * zod is jitless (no `new Function`), the schema itself.
 */
let compiledIntakeSchema: typeof NormalizedIntakeSchema | undefined;

function intakeSchema(): typeof NormalizedIntakeSchema {
  compiledIntakeSchema ??= z.config().jitless === true ? NormalizedIntakeSchema : z.compile(NormalizedIntakeSchema);
  return compiledIntakeSchema;
}

/** Drops what the schema refuses (records first, then optional patient fields), noting where. */
function conform(candidate: NormalizedIntake, notes: string[]): NormalizedIntake | null {
  if (intakeSchema().validate(candidate)) return candidate;
  let current: NormalizedIntake = candidate;
  // Each round drops everything the schema refused in it (all refused records at once, by their
  // index in that round's lists), so the number of bad records never decides whether the message
  // keeps its patient. A few rounds suffice: a drop never makes another record invalid.
  for (let round = 0; round < 4; round++) {
    const result = NormalizedIntakeSchema.safeParse(current);
    if (result.success) return current;
    const refused = { records: new Map<number, string>(), extendedRecords: new Map<number, string>() };
    const patientFields = new Map<'address' | 'phones' | 'businessPhones' | 'birthDate' | 'sex', string>();
    let trimNotes = false;
    for (const issue of result.error.issues) {
      const [head, index] = issue.path;
      if ((head === 'records' || head === 'extendedRecords') && typeof index === 'number') {
        if (!refused[head].has(index)) refused[head].set(index, issue.message);
      } else if (head === 'patient' && (index === 'address' || index === 'phones' || index === 'businessPhones' || index === 'birthDate' || index === 'sex')) {
        if (!patientFields.has(index)) patientFields.set(index, issue.message);
      } else if (head === 'hl7' && index === 'notes') {
        trimNotes = true;
      } else {
        return null;
      }
    }
    let next: NormalizedIntake = current;
    for (const head of ['records', 'extendedRecords'] as const) {
      const drops = refused[head];
      if (drops.size === 0) continue;
      const list = current[head] ?? [];
      for (const index of [...drops.keys()].sort((a, b) => a - b)) {
        const dropped = list[index] as { type?: string } | undefined;
        notes.push(`dropped ${dropped?.type ?? 'record'} ${head}[${index}]: ${drops.get(index)!}`.slice(0, 200));
      }
      const kept = list.filter((_, index) => !drops.has(index));
      if (head === 'records') {
        next = { ...next, records: kept as NormalizedIntake['records'] };
      } else if (kept.length > 0) {
        next = { ...next, extendedRecords: kept as NonNullable<NormalizedIntake['extendedRecords']> };
      } else {
        const { extendedRecords: _none, ...rest } = next;
        void _none;
        next = rest;
      }
    }
    if (patientFields.size > 0) {
      const patient: Record<string, unknown> = { ...next.patient };
      for (const [field, message] of patientFields) {
        delete patient[field];
        notes.push(`dropped patient ${field}: ${message}`.slice(0, 200));
      }
      next = { ...next, patient: patient as Patient };
    }
    if (trimNotes) next = { ...next, hl7: { ...next.hl7!, notes: (next.hl7!.notes ?? []).slice(0, 50).map((note) => clip(note, 200)) } };
    current = next;
  }
  return null;
}

/** One parsed message → the normalized intake (or why it names no patient). */
export function mapHl7Message(message: Hl7Message, context: MappingContext): MappingResult {
  const header = message.header;
  const zone = zoneOf(header.dateTime);
  const notes: string[] = [];
  // MSH-7 is required; one that is empty or no valid DTM gives way to the receipt time, said in the notes.
  const sentTime = hl7DateTime(header.dateTime, zone);
  if (sentTime === undefined) notes.push(`MSH-7 message time is ${header.dateTime.trim() === '' ? 'empty' : 'not a valid HL7 date-time'}; the time it was received is used`);
  const ctx: Context = {
    zone,
    messageTime: sentTime ?? context.receivedAt.toISOString(),
    code: header.messageCode.toUpperCase(),
    trigger: header.triggerEvent.toUpperCase(),
    notes,
    lastTimeText: '',
    lastTime: undefined,
  };
  const mappedType = MAPPED_TYPES.has(ctx.code);
  const { patient, records, extended } = walk(message, ctx, mappedType);
  const mapping: Hl7MessageInfo['mapping'] = !mappedType ? 'not-mapped' : notes.length > 0 ? 'partial' : 'mapped';
  if (patient === null) {
    const hasPid = message.segments.some((segment) => segment.name === 'PID');
    return { kind: 'no-patient', reason: hasPid ? 'The PID segment has no patient identifier (PID-3, PID-2 and PID-4 are empty).' : 'The message has no PID segment: there is no patient to file it under.', mapping };
  }
  const hl7: Draft<Hl7MessageInfo> = {
    version: clip(header.version, 16),
    sendingApplication: clip(header.sendingApplication, 200),
    sendingFacility: clip(header.sendingFacility, 200),
    mapping,
    dedupeKey: context.dedupeKey,
    payloadSha256: context.payloadSha256,
  };
  if (context.conflict) hl7.conflict = true;
  if (context.batchIndex !== undefined) hl7.batchIndex = context.batchIndex;
  if (context.reprocessOf !== undefined) {
    const { quarantineSeq, edited, charset } = context.reprocessOf;
    hl7.reprocessOf = { quarantineSeq, edited, ...(charset !== undefined ? { charset: clip(charset, 40) } : {}) };
  }
  const candidate: Draft<NormalizedIntake> = {
    channel: context.channel,
    messageId: clip(header.controlId, 200),
    messageType: clip(header.messageType, 40),
    patient,
    records: records.length > 10_000 ? records.slice(0, 10_000) : records,
  };
  if (extended.length > 0) candidate.extendedRecords = extended.length > 10_000 ? extended.slice(0, 10_000) : extended;
  candidate.hl7 = hl7 as Hl7MessageInfo;
  const conformed = conform(candidate as NormalizedIntake, notes);
  if (conformed === null) return { kind: 'no-patient', reason: 'The patient fields could not be read into the patient record.', mapping };
  // Nothing noted: the intake as built (hl7.mapping already says mapped or not-mapped).
  if (notes.length === 0) return { kind: 'patient', normalized: conformed };
  const finalNotes = notes.slice(0, 50).map((note) => clip(note, 200));
  const finalMapping = conformed.hl7!.mapping === 'mapped' ? 'partial' : conformed.hl7!.mapping;
  return { kind: 'patient', normalized: { ...conformed, hl7: { ...conformed.hl7!, mapping: finalMapping, notes: finalNotes } } };
}
