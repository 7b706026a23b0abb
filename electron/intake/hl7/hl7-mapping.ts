import {
  NormalizedIntakeSchema,
  type ClinicalRecord,
  type CodedConcept,
  type ExtendedRecord,
  type Hl7MessageInfo,
  type NormalizedIntake,
  type Observation,
  type ObservationValueDetail,
  type Patient,
  type PatientIdentifier,
  type Report,
  type Visit,
} from '../../../shared/domain/clinical';
import type { Hl7Message, Hl7Segment } from './hl7-front-end';

/**
 * HL7 v2 message → shared/domain NormalizedIntake. Walks the segments once, in order:
 *
 *   PID          Patient (PID-3 identifiers with CX-4 authority and CX-5 type, PID-5, -7, -8, -11, -13/14)
 *   PV1 (+PV2)   Visit
 *   OBR          Report (ORU/OUL: a result report) or Order (ORM/OML/OMx, with its ORC)
 *   OBX          Observation typed by OBX-2; in MDM the document's text instead
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
  readonly channel: 'hl7-mllp' | 'hl7-file';
  readonly receivedAt: Date;
  readonly dedupeKey: string;
  readonly payloadSha256: string;
  readonly conflict: boolean;
  readonly batchIndex?: number;
}

export type MappingResult =
  | { readonly kind: 'patient'; readonly normalized: NormalizedIntake }
  | { readonly kind: 'no-patient'; readonly reason: string; readonly mapping: Hl7MessageInfo['mapping'] };

const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);
const nonEmpty = (values: readonly string[]) => values.filter((value) => value !== '');

// ---------------------------------------------------------------------------------------------
// Times

const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function localOffset(y: number, mo: number, d: number, h: number, mi: number): string {
  const minutes = -new Date(y, mo - 1, d, h, mi).getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

export interface Hl7Time {
  /** YYYY-MM-DD when at least the day is given. */
  readonly date?: string;
  /** ISO 8601 with offset. */
  readonly dateTime?: string;
}

/** HL7 TS/DTM/DT → ISO. `zone` is the offset (`+0100`) to assume when the value has none. */
export function parseHl7Time(value: string, zone?: string): Hl7Time {
  const match = TS.exec(value.trim());
  if (match === null) return {};
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  if (mo === undefined || d === undefined) return {};
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return {};
  if (hour > 23 || minute > 59 || second > 59) return { date: `${y}-${mo}-${d}` };
  const sourceZone = offset ?? zone;
  const iso = sourceZone !== undefined && /^[+-]\d{4}$/.test(sourceZone) ? `${sourceZone.slice(0, 3)}:${sourceZone.slice(3)}` : localOffset(year, month, day, hour, minute);
  const ms = fraction === undefined ? '' : `.${fraction.slice(1).padEnd(3, '0').slice(0, 3)}`;
  return { date: `${y}-${mo}-${d}`, dateTime: `${y}-${mo}-${d}T${pad(hour)}:${pad(minute)}:${pad(second)}${ms}${iso}` };
}

// ---------------------------------------------------------------------------------------------
// Data types

function coded(segment: Hl7Segment, field: number, repetition = 0): CodedConcept {
  const v = (component: number) => segment.value(field, component, 1, repetition);
  let [code, display, system] = [v(1), v(2), v(3)];
  if (code === '' && display === '') [code, display, system] = [v(4), v(5), v(6)];
  return { code: clip(code, 64), display: clip(display, 200), system: clip(system, 32) };
}

function isEmptyConcept(concept: CodedConcept): boolean {
  return concept.code === '' && concept.display === '';
}

/** XCN / XPN / CNN → "Given Family" (XCN: id^family^given; XPN: family^given). */
function personName(segment: Hl7Segment, field: number, layout: 'xcn' | 'xpn' | 'cnn', repetition = 0): string {
  if (layout === 'cnn') {
    const sub = (n: number) => segment.value(field, 1, n, repetition);
    return nonEmpty([sub(3), sub(2)]).join(' ') || sub(1);
  }
  const v = (component: number) => segment.value(field, component, 1, repetition);
  const [family, given, id] = layout === 'xcn' ? [v(2), v(3), v(1)] : [v(1), v(2), ''];
  return nonEmpty([given, family]).join(' ') || id;
}

function identifiers(segment: Hl7Segment, field: number): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  for (let r = 0; r < segment.repetitions(field) && out.length < 10; r++) {
    const value = segment.value(field, 1, 1, r).trim();
    if (value === '') continue;
    const authority = segment.value(field, 4, 1, r) || segment.value(field, 4, 2, r);
    out.push({ value: clip(value, 64), authority: clip(authority, 64), type: clip(segment.value(field, 5, 1, r), 8) });
  }
  return out;
}

function number(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Segments

const SEX: Readonly<Record<string, Patient['sex']>> = { F: 'F', M: 'M', O: 'O', U: 'U', A: 'O', N: 'U', X: 'O' };

function mapPatient(pid: Hl7Segment): Patient | null {
  let ids = identifiers(pid, 3);
  if (ids.length === 0) ids = identifiers(pid, 2);
  if (ids.length === 0) ids = identifiers(pid, 4);
  if (ids.length === 0) return null;
  const given = nonEmpty([pid.value(5, 2), ...pid.value(5, 3).split(' ')])
    .slice(0, 5)
    .map((name) => clip(name, 100));
  const birth = parseHl7Time(pid.value(7)).date;
  const sex = SEX[pid.value(8).toUpperCase()];
  const street = nonEmpty([pid.value(11, 1), pid.value(11, 2)]).join(', ');
  const address = {
    ...(street !== '' ? { street: clip(street, 200) } : {}),
    ...(pid.value(11, 3) !== '' ? { city: clip(pid.value(11, 3), 100) } : {}),
    ...(pid.value(11, 5) !== '' ? { postalCode: clip(pid.value(11, 5), 20) } : {}),
    ...(pid.value(11, 6) !== '' && pid.value(11, 6).length <= 3 ? { country: pid.value(11, 6) } : {}),
  };
  const phones: string[] = [];
  for (const field of [13, 14]) {
    for (let r = 0; r < pid.repetitions(field) && phones.length < 5; r++) {
      const v = (c: number) => pid.value(field, c, 1, r);
      const phone = v(1) || nonEmpty([v(5) && `+${v(5)}`, v(6), v(7)]).join(' ') || v(12);
      if (phone !== '') phones.push(clip(phone, 40));
    }
  }
  return {
    identifiers: ids,
    name: { family: clip(pid.value(5, 1), 100), given },
    ...(birth !== undefined ? { birthDate: birth } : {}),
    ...(sex !== undefined ? { sex } : {}),
    ...(Object.keys(address).length > 0 ? { address } : {}),
    ...(phones.length > 0 ? { phones } : {}),
  };
}

interface Context {
  readonly zone: string | undefined;
  /** MSH-7 (or the receive time) as ISO: the fallback time of every record. */
  readonly messageTime: string;
  readonly code: string;
  readonly trigger: string;
  readonly notes: string[];
}

function timeOf(ctx: Context, ...values: string[]): string {
  for (const value of values) {
    const parsed = parseHl7Time(value, ctx.zone).dateTime;
    if (parsed !== undefined) return parsed;
  }
  return ctx.messageTime;
}

const PATIENT_CLASS: Readonly<Record<string, Visit['patientClass']>> = { I: 'I', O: 'O', E: 'E', P: 'O', R: 'O', B: 'I', C: 'O', N: 'O', U: 'O' };

function mapVisit(pv1: Hl7Segment, pv2: Hl7Segment | undefined, evn: Hl7Segment | undefined, ctx: Context): Visit {
  const location = nonEmpty([pv1.value(3, 1), pv1.value(3, 2), pv1.value(3, 3), pv1.value(3, 4)]).join(' ');
  const attending = personName(pv1, 7, 'xcn');
  const reason = pv2 === undefined ? '' : pv2.value(3, 2) || pv2.value(3, 1);
  const end = parseHl7Time(pv1.value(45), ctx.zone).dateTime;
  return {
    type: 'visit',
    patientClass: PATIENT_CLASS[pv1.value(2).toUpperCase()] ?? 'O',
    ...(location !== '' ? { location: clip(location, 100) } : {}),
    ...(attending !== '' ? { attendingDoctor: clip(attending, 100) } : {}),
    ...(reason !== '' ? { reason: clip(reason, 500) } : {}),
    start: timeOf(ctx, pv1.value(44), evn?.value(6) ?? '', evn?.value(2) ?? ''),
    ...(end !== undefined ? { end } : {}),
  };
}

const VITALS = new Set([
  '8867-4', '8480-6', '8462-4', '8310-5', '8331-1', '9279-1', '59408-5', '2708-6', '29463-7', '3141-9', '8302-2', '8306-3', '39156-5', '85354-9', '55284-4', '8287-5', '9843-4', '8478-0', '8456-6',
]);

function category(code: CodedConcept, ctx: Context): Observation['category'] {
  if (/MDC/i.test(code.system) || code.code.startsWith('MDC_') || /^MDC_/.test(code.display)) return 'device';
  if (VITALS.has(code.code)) return 'vital-signs';
  return ctx.code === 'ADT' ? 'vital-signs' : 'laboratory';
}

function statusOf(value: string): { status: Observation['status']; resultStatus?: string } {
  const upper = value.toUpperCase();
  if (upper === 'F' || upper === 'C' || upper === 'P') return { status: upper };
  if (upper === '') return { status: 'F' };
  return { status: upper === 'U' ? 'F' : 'P', resultStatus: upper.slice(0, 1) };
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

/** OBX-5 (all repetitions) → value (+ detail) by OBX-2. */
function observationValue(obx: Hl7Segment, valueType: string): { value: Observation['value']; detail?: ObservationValueDetail } {
  const reps = obx.repetitions(5);
  const texts = () => {
    const lines: string[] = [];
    for (let r = 0; r < reps; r++) {
      const components: string[] = [];
      const field = obx.field(5)[r] ?? [];
      for (let c = 1; c <= field.length; c++) components.push(obx.value(5, c, 1, r));
      lines.push(components.join(valueType === 'TX' || valueType === 'FT' || valueType === 'ST' ? '^' : ' ').replace(/\^+$/, ''));
    }
    return clip(lines.join('\n'), 10_000);
  };
  switch (valueType) {
    case 'NM': {
      const value = number(obx.value(5));
      const unit = obx.value(6, 1) || obx.value(6, 2);
      if (value !== undefined) return { value: { kind: 'numeric', value, ...(unit !== '' ? { unit: clip(unit, 32) } : {}) } };
      return { value: { kind: 'text', value: texts() } };
    }
    case 'CE':
    case 'CWE':
    case 'CNE':
    case 'CF':
      return { value: { kind: 'coded', value: coded(obx, 5) } };
    case 'SN': {
      const [comparator, first, separator, second] = [obx.value(5, 1), obx.value(5, 2), obx.value(5, 3), obx.value(5, 4)];
      const value = number(first);
      const value2 = number(second);
      const detail: ObservationValueDetail = {
        kind: 'structured-numeric',
        ...(comparator !== '' ? { comparator: clip(comparator, 2) } : {}),
        ...(value !== undefined ? { value } : {}),
        ...(separator !== '' ? { separator: clip(separator, 1) } : {}),
        ...(value2 !== undefined ? { value2 } : {}),
      };
      const unit = obx.value(6, 1) || obx.value(6, 2);
      if (value !== undefined && comparator === '' && separator === '' && second === '') {
        return { value: { kind: 'numeric', value, ...(unit !== '' ? { unit: clip(unit, 32) } : {}) }, detail };
      }
      return { value: { kind: 'text', value: clip(`${comparator}${first}${separator}${second}`, 10_000) }, detail };
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
      const mediaType = nonEmpty([obx.value(5, 3).toLowerCase(), obx.value(5, 4).toLowerCase()]).join('/');
      return {
        value: { kind: 'text', value: clip(`Reference: ${pointer}`, 10_000) },
        detail: { kind: 'reference', pointer: clip(pointer, 500), ...(mediaType !== '' ? { mediaType: clip(mediaType, 100) } : {}) },
      };
    }
    default:
      return { value: { kind: 'text', value: texts() } };
  }
}

function mapObservation(obx: Hl7Segment, obr: Hl7Segment | undefined, ctx: Context): Observation | null {
  const code = coded(obx, 3);
  if (isEmptyConcept(code)) {
    ctx.notes.push(`OBX #${obx.position}: no OBX-3 code`);
    return null;
  }
  const valueType = obx.value(2).toUpperCase();
  const { value, detail } = observationValue(obx, valueType);
  const flags: string[] = [];
  for (let r = 0; r < obx.repetitions(8) && flags.length < 5; r++) {
    const flag = obx.value(8, 1, 1, r);
    if (flag !== '') flags.push(clip(flag, 4));
  }
  const { status, resultStatus } = statusOf(obx.value(11));
  const range = obx.value(7);
  const subId = obx.value(4);
  const orderId = obr === undefined ? '' : obr.value(3) || obr.value(2);
  return {
    type: 'observation',
    category: category(code, ctx),
    code,
    value,
    ...(range !== '' ? { referenceRange: clip(range, 64) } : {}),
    ...(flags.length > 0 ? { abnormalFlags: flags } : {}),
    status,
    time: timeOf(ctx, obx.value(14), obr?.value(7) ?? ''),
    ...(valueType !== '' ? { valueType: clip(valueType, 3) } : {}),
    ...(detail !== undefined ? { valueDetail: detail } : {}),
    ...(subId !== '' ? { subId: clip(subId, 20) } : {}),
    ...(resultStatus !== undefined ? { resultStatus } : {}),
    ...(orderId !== '' ? { orderId: clip(orderId, 100) } : {}),
  };
}

function optional<K extends string>(key: K, value: string, max: number): { [P in K]?: string } {
  return (value === '' ? {} : { [key]: clip(value, max) }) as { [P in K]?: string };
}

function mapResultReport(obr: Hl7Segment, ctx: Context): Report {
  return {
    type: 'report',
    kind: 'result',
    code: coded(obr, 4),
    ...optional('status', obr.value(25), 4),
    time: timeOf(ctx, obr.value(7), obr.value(22)),
    ...optional('placerOrderId', obr.value(2), 100),
    ...optional('fillerOrderId', obr.value(3), 100),
    ...optional('author', personName(obr, 32, 'cnn'), 200),
    observationCount: 0,
  };
}

function mapDocument(txa: Hl7Segment, ctx: Context): Report {
  const type = txa.value(2, 1);
  return {
    type: 'report',
    kind: 'document',
    code: { code: clip(type, 64), display: clip(txa.value(2, 2), 200), system: type === '' ? '' : clip(txa.value(2, 3) || 'HL70270', 32) },
    ...optional('status', txa.value(17), 4),
    time: timeOf(ctx, txa.value(4), txa.value(6), txa.value(7)),
    ...optional('placerOrderId', txa.value(14), 100),
    ...optional('fillerOrderId', txa.value(15), 100),
    ...optional('documentId', txa.value(12), 200),
    ...optional('author', personName(txa, 9, 'xcn'), 200),
    observationCount: 0,
  };
}

function mapOrder(orc: Hl7Segment | undefined, obr: Hl7Segment, ctx: Context): ExtendedRecord {
  const orcValue = (field: number, component = 1) => orc?.value(field, component) ?? '';
  const provider = (orc === undefined ? '' : personName(orc, 12, 'xcn')) || personName(obr, 16, 'xcn');
  return {
    type: 'order',
    control: clip(orcValue(1) || 'NW', 2),
    code: coded(obr, 4),
    ...optional('placerOrderId', orcValue(2) || obr.value(2), 100),
    ...optional('fillerOrderId', orcValue(3) || obr.value(3), 100),
    ...optional('status', orcValue(5), 4),
    ...optional('priority', obr.value(27, 6) || orcValue(7, 6) || obr.value(5), 10),
    ...optional('orderingProvider', provider, 200),
    time: timeOf(ctx, orcValue(9), obr.value(6), obr.value(7)),
  };
}

function mapAllergy(al1: Hl7Segment, ctx: Context): ExtendedRecord | null {
  const allergen = coded(al1, 3);
  if (isEmptyConcept(allergen)) {
    ctx.notes.push(`AL1 #${al1.position}: no AL1-3 allergen`);
    return null;
  }
  const reactions: string[] = [];
  for (let r = 0; r < al1.repetitions(5) && reactions.length < 10; r++) {
    const reaction = al1.value(5, 2, 1, r) || al1.value(5, 1, 1, r);
    if (reaction !== '') reactions.push(clip(reaction, 200));
  }
  const identified = parseHl7Time(al1.value(6)).date;
  return {
    type: 'allergy',
    allergen,
    ...optional('allergenType', al1.value(2), 10),
    ...optional('severity', al1.value(4), 10),
    ...(reactions.length > 0 ? { reactions } : {}),
    ...(identified !== undefined ? { identified } : {}),
  };
}

function mapDiagnosis(dg1: Hl7Segment, ctx: Context): ExtendedRecord | null {
  let code = coded(dg1, 3);
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
  const time = parseHl7Time(dg1.value(5), ctx.zone).dateTime;
  return { type: 'diagnosis', code, ...optional('diagnosisType', dg1.value(6), 10), ...(time !== undefined ? { time } : {}) };
}

function mapImmunization(rxa: Hl7Segment, ctx: Context): ExtendedRecord | null {
  const vaccine = coded(rxa, 5);
  if (isEmptyConcept(vaccine)) {
    ctx.notes.push(`RXA #${rxa.position}: no RXA-5 vaccine`);
    return null;
  }
  const amount = number(rxa.value(6));
  const lots: string[] = [];
  for (let r = 0; r < rxa.repetitions(15) && lots.length < 5; r++) {
    const lot = rxa.value(15, 1, 1, r);
    if (lot !== '') lots.push(clip(lot, 40));
  }
  return {
    type: 'immunization',
    vaccine,
    time: timeOf(ctx, rxa.value(3)),
    ...(amount !== undefined && amount !== 999 ? { amount } : {}),
    ...optional('unit', rxa.value(7, 1) || rxa.value(7, 2), 32),
    ...(lots.length > 0 ? { lotNumbers: lots } : {}),
    ...optional('manufacturer', rxa.value(17, 2) || rxa.value(17, 1), 200),
    ...optional('completionStatus', rxa.value(20), 4),
    ...optional('action', rxa.value(21), 2),
  };
}

// ---------------------------------------------------------------------------------------------
// The message

function zoneOf(mshTime: string): string | undefined {
  return /([+-]\d{4})$/.exec(mshTime.trim())?.[1];
}

interface Walk {
  patient: Patient | null;
  records: ClinicalRecord[];
  extended: ExtendedRecord[];
}

function walk(message: Hl7Message, ctx: Context, mapped: boolean): Walk {
  const out: Walk = { patient: null, records: [], extended: [] };
  const segments = message.segments;
  const find = (name: string) => segments.find((segment) => segment.name === name);
  const evn = find('EVN');
  let currentPid: Patient | null = null;
  let orc: Hl7Segment | undefined;
  let obr: Hl7Segment | undefined;
  let report: Report | undefined;
  const reportIndex = new Map<Report, number>();
  const documentLines: string[] = [];
  let documentReport: Report | undefined;
  const isOrder = ['ORM', 'OML', 'OMG', 'OMI', 'OMB', 'OMD', 'OMN', 'OMP', 'OMS'].includes(ctx.code);
  const isMdm = ctx.code === 'MDM';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    try {
      switch (segment.name) {
        case 'PID': {
          currentPid = mapPatient(segment);
          if (out.patient === null) out.patient = currentPid;
          break;
        }
        case 'PV1': {
          if (!mapped) break;
          const next = segments[i + 1];
          out.records.push(mapVisit(segment, next?.name === 'PV2' ? next : undefined, evn, ctx));
          break;
        }
        case 'ORC':
          orc = segment;
          break;
        case 'OBR': {
          obr = segment;
          if (!mapped) break;
          if (isOrder) {
            out.extended.push(mapOrder(orc, segment, ctx));
          } else if (!isMdm) {
            report = mapResultReport(segment, ctx);
            reportIndex.set(report, out.extended.length);
            out.extended.push(report);
          }
          break;
        }
        case 'TXA': {
          if (!mapped) break;
          documentReport = mapDocument(segment, ctx);
          reportIndex.set(documentReport, out.extended.length);
          out.extended.push(documentReport);
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
          if (observation !== null) {
            out.records.push(observation);
            if (report !== undefined) report = bump(out, reportIndex, report);
          }
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
          out.extended.push({ type: 'merge', survivor: currentPid.identifiers.slice(0, 10), merged, ...optional('event', ctx.trigger, 8) });
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
    const index = reportIndex.get(documentReport)!;
    out.extended[index] = { ...documentReport, text: clip(documentLines.join('\n'), 200_000), observationCount: documentLines.length };
  }
  return out;
}

function bump(out: Walk, reportIndex: Map<Report, number>, report: Report): Report {
  const index = reportIndex.get(report)!;
  const next: Report = { ...report, observationCount: (report.observationCount ?? 0) + 1 };
  out.extended[index] = next;
  reportIndex.delete(report);
  reportIndex.set(next, index);
  return next;
}

/** Drops what the schema refuses (records first, then optional patient fields), noting where. */
function conform(candidate: NormalizedIntake, notes: string[]): NormalizedIntake | null {
  let current: NormalizedIntake = candidate;
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = NormalizedIntakeSchema.safeParse(current);
    if (result.success) return current;
    const issue = result.error.issues[0]!;
    const [head, index, field] = issue.path;
    if ((head === 'records' || head === 'extendedRecords') && typeof index === 'number') {
      const list = [...(current[head] ?? [])];
      const dropped = list.splice(index, 1)[0] as { type?: string } | undefined;
      notes.push(`dropped ${dropped?.type ?? 'record'} ${head}[${index}]: ${issue.message}`.slice(0, 200));
      current = { ...current, [head]: list };
    } else if (head === 'patient' && (index === 'address' || index === 'phones' || index === 'birthDate' || index === 'sex')) {
      const { [index]: _dropped, ...patient } = current.patient;
      void _dropped;
      notes.push(`dropped patient ${index}: ${issue.message}`.slice(0, 200));
      current = { ...current, patient: patient as Patient };
    } else if (head === 'hl7' && index === 'notes') {
      current = { ...current, hl7: { ...current.hl7!, notes: (current.hl7!.notes ?? []).slice(0, 50).map((note) => clip(note, 200)) } };
    } else {
      void field;
      return null;
    }
  }
  return null;
}

/** One parsed message → the normalized intake (or why it names no patient). */
export function mapHl7Message(message: Hl7Message, context: MappingContext): MappingResult {
  const header = message.header;
  const zone = zoneOf(header.dateTime);
  const notes: string[] = [];
  const ctx: Context = {
    zone,
    messageTime: parseHl7Time(header.dateTime, zone).dateTime ?? context.receivedAt.toISOString(),
    code: header.messageCode.toUpperCase(),
    trigger: header.triggerEvent.toUpperCase(),
    notes,
  };
  const mappedType = MAPPED_TYPES.has(ctx.code);
  const { patient, records, extended } = walk(message, ctx, mappedType);
  const mapping: Hl7MessageInfo['mapping'] = !mappedType ? 'not-mapped' : notes.length > 0 ? 'partial' : 'mapped';
  if (patient === null) {
    const hasPid = message.segments.some((segment) => segment.name === 'PID');
    return { kind: 'no-patient', reason: hasPid ? 'The PID segment has no patient identifier (PID-3, PID-2 and PID-4 are empty).' : 'The message has no PID segment: there is no patient to file it under.', mapping };
  }
  const hl7: Hl7MessageInfo = {
    version: clip(header.version, 16),
    sendingApplication: clip(header.sendingApplication, 200),
    sendingFacility: clip(header.sendingFacility, 200),
    mapping,
    dedupeKey: context.dedupeKey,
    payloadSha256: context.payloadSha256,
    ...(context.conflict ? { conflict: true } : {}),
    ...(context.batchIndex !== undefined ? { batchIndex: context.batchIndex } : {}),
  };
  const candidate: NormalizedIntake = {
    channel: context.channel,
    messageId: clip(header.controlId, 200),
    messageType: clip(header.messageType, 40),
    patient,
    records: records.slice(0, 10_000),
    ...(extended.length > 0 ? { extendedRecords: extended.slice(0, 10_000) } : {}),
    hl7,
  };
  const conformed = conform(candidate, notes);
  if (conformed === null) return { kind: 'no-patient', reason: 'The patient fields could not be read into the patient record.', mapping };
  const finalNotes = notes.slice(0, 50).map((note) => clip(note, 200));
  const finalMapping = conformed.hl7!.mapping === 'mapped' && finalNotes.length > 0 ? 'partial' : conformed.hl7!.mapping;
  return {
    kind: 'patient',
    normalized: { ...conformed, hl7: { ...conformed.hl7!, mapping: finalMapping, ...(finalNotes.length > 0 ? { notes: finalNotes } : {}) } },
  };
}
