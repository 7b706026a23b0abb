import type { ClinicalRecord, Observation, Patient, PatientIdentifier } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../vault/vault-service';

const SEX_WORDS: Readonly<Record<string, string>> = { F: 'Female', M: 'Male', O: 'Other', U: 'Unknown' };

export function sexLabel(sex: string | undefined): string {
  if (sex === undefined || sex === '') return 'Not recorded';
  return SEX_WORDS[sex] ?? sex;
}

export function patientName(patient: Patient): string {
  const given = patient.name.given.join(' ');
  if (patient.name.family === '') return given;
  return given === '' ? patient.name.family : `${patient.name.family}, ${given}`;
}

export function identifierLabel(identifier: PatientIdentifier): string {
  const context = [identifier.authority, identifier.type].filter((part) => part !== '').join(', ');
  return context === '' ? identifier.value : `${identifier.value} (${context})`;
}

export function addressLabel(patient: Patient): string {
  const address = patient.address;
  if (address === undefined) return '';
  const town = [address.postalCode, address.city].filter((part) => part !== undefined && part !== '').join(' ');
  return [address.street, town, address.country].filter((part) => part !== undefined && part !== '').join(', ');
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** `2025-03-01` → "Saturday, 1 March 2025": the calendar day as recorded, never shifted by time zone. */
export function dayLabel(isoDay: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay);
  if (match === null) return isoDay;
  return dayFormat.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))));
}

/**
 * A record's day and clock time as the sender wrote them (their local time), from an ISO date-time:
 * clinical times are read in the clinic's own time, whatever this computer's time zone.
 */
export function recordDay(time: string): string {
  return time.slice(0, 10);
}

export function recordClock(time: string): string {
  return /T(\d{2}:\d{2})/.exec(time)?.[1] ?? '';
}

/** `2025-03-01T08:15:00+01:00` → "2025-03-01 08:15 (UTC+01:00)". */
export function recordDateTime(time: string): string {
  const zone = /(Z|[+-]\d{2}:\d{2})$/.exec(time)?.[1];
  const zoneText = zone === undefined ? '' : zone === 'Z' ? ' (UTC)' : ` (UTC${zone})`;
  return `${recordDay(time)} ${recordClock(time)}${zoneText}`;
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

export function recordTypeLabel(record: ClinicalRecord): string {
  return record.type === 'visit' ? 'Visit' : CATEGORY_WORDS[record.category];
}

const PATIENT_CLASS_WORDS = { I: 'Inpatient', O: 'Outpatient', E: 'Emergency' } as const;

export function patientClassLabel(patientClass: 'I' | 'O' | 'E'): string {
  return PATIENT_CLASS_WORDS[patientClass];
}

export function recordName(record: ClinicalRecord): string {
  if (record.type === 'visit') return `${patientClassLabel(record.patientClass)} visit`;
  return record.code.display !== '' ? record.code.display : record.code.code;
}

export function recordValue(record: ClinicalRecord): string {
  if (record.type === 'visit') return record.reason ?? record.location ?? '';
  const value = record.value;
  switch (value.kind) {
    case 'numeric':
      return value.unit === undefined || value.unit === '' ? String(value.value) : `${value.value} ${value.unit}`;
    case 'text':
      return value.value;
    case 'coded':
      return value.value.display !== '' ? value.value.display : value.value.code;
  }
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
}

/** The abnormal flags of an observation (N, normal, is left out). */
export function abnormalFlags(record: ClinicalRecord): Flag[] {
  if (record.type !== 'observation') return [];
  return (record.abnormalFlags ?? [])
    .filter((code) => code !== '' && code !== 'N')
    .map((code) => ({
      code,
      label: FLAG_WORDS[code] ?? `Flag ${code}`,
      direction: code.startsWith('H') || code === '>' ? 'high' : code.startsWith('L') || code === '<' ? 'low' : 'abnormal',
    }));
}

export function flagLabel(code: string): string {
  return FLAG_WORDS[code] ?? `Flag ${code}`;
}
