import { toHex } from '../../crypto/bytes';
import { MEASUREMENTS } from '../../domain/device-readings';
import { SUPPRESSED, UNKNOWN } from '../deid/generalization';
import type { ReleasedDataset, ReleasedRow } from '../deid/k-anonymity';
import type { DeidCode, DeidRecord } from '../deid/safe-harbor';
import { csv, ndjson, type CsvValue } from './ndjson';

/**
 * FHIR R4 resources from a released (de-identified, k-anonymized) dataset (issue 15 item 4):
 * Patient, Observation (labs, vitals and device readings), Condition, DiagnosticReport,
 * Immunization, and ImagingStudy from the DICOM files' de-identified metadata; one NDJSON stream per
 * type (FHIR Bulk Data style) and CSV flattenings of Patient and Observation.
 *
 * Nothing is added that the release does not hold: a Patient is its pseudonym (as an identifier
 * under a release-local system), gender, the released age band as an extension (no birthDate:
 * the release holds an age on the release date, often a band, and 90+ stays 90+) and the released
 * ZIP3 as address.postalCode (nothing when generalized away). Dates are what the release says:
 * a year or a shifted day become a dateTime; a span of years ("2020–2024", after generalization)
 * becomes a Period or, where the element is a dateTime only, the extension PERIOD_EXTENSION; "*"
 * and "?" become nothing. No free text is written (no Observation.note, DiagnosticReport
 * conclusion or presentedForm); displays only where Safe Harbor kept them (standard code systems).
 *
 * Ids: a fresh random 64-bit prefix per export and per resource type, then a counter in the rows'
 * order (which is by random pseudonym): unrelated across releases, and nothing of the clinic in
 * them. `resources(type)` is deterministic for one export, so the NDJSON and the CSV of a type name
 * the same ids, and every `subject` reference resolves to a Patient of the same export.
 *
 * Not exported yet (held in the rows): visits (Encounter), orders (ServiceRequest) and allergies
 * (AllergyIntolerance).
 */

export const FHIR_RESOURCE_TYPES = ['Patient', 'Observation', 'Condition', 'DiagnosticReport', 'Immunization', 'ImagingStudy'] as const;
export type FhirResourceType = (typeof FHIR_RESOURCE_TYPES)[number];

export interface FhirResource {
  readonly resourceType: FhirResourceType;
  readonly id: string;
  readonly [element: string]: unknown;
}

export const AGE_EXTENSION = 'urn:hdms:fhir:extension:age-at-release';
export const PERIOD_EXTENSION = 'urn:hdms:fhir:extension:released-period';
export const UCUM = 'http://unitsofmeasure.org';
export const MDC_SYSTEM = 'urn:iso:std:iso:11073:10101';
export const DICOM_DCM = 'http://dicom.nema.org/resources/ontology/DCM';

/** HL7 v2 coding-system names (table 0396 and common spellings) → FHIR system URIs. */
const SYSTEM_URIS: Readonly<Record<string, string>> = {
  LN: 'http://loinc.org',
  LOINC: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNOMED: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  ICD10: 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  ICD9: 'http://hl7.org/fhir/sid/icd-9-cm',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  MVX: 'http://hl7.org/fhir/sid/mvx',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CPT: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
  HCPCS: 'urn:oid:2.16.840.1.113883.6.285',
  UCUM,
  MDC: MDC_SYSTEM,
  ATC: 'http://www.whocc.no/atc',
  HL70078: 'http://terminology.hl7.org/CodeSystem/v2-0078',
  HL70127: 'http://terminology.hl7.org/CodeSystem/v2-0127',
  HL70128: 'http://terminology.hl7.org/CodeSystem/v2-0128',
};

/** A local code system's name as a URN (its name says which clinic; it said so anyway as the seller). */
export function systemUri(system: string): string {
  return SYSTEM_URIS[system.toUpperCase()] ?? `urn:hdms:code-system:${system.replace(/[^A-Za-z0-9.-]/g, '_') || '_'}`;
}

function codeable(code: DeidCode): { coding: { system: string; code: string; display?: string }[] } {
  const coding: { system: string; code: string; display?: string } = { system: systemUri(code.system), code: code.code };
  if (code.display !== undefined && code.display !== '') coding.display = code.display;
  return { coding: [coding] };
}

/** Common non-UCUM spellings of units → UCUM. */
const UCUM_FIXES: Readonly<Record<string, string>> = { mmHg: 'mm[Hg]', bpm: '/min', 'beats/min': '/min', '°C': 'Cel', degC: 'Cel', '°F': '[degF]', degF: '[degF]', lbs: '[lb_av]', lb: '[lb_av]', in: '[in_i]', sec: 's', hr: 'h', mins: 'min' };
/** A conservative test of UCUM syntax: only the characters UCUM codes use, no spaces. */
const UCUM_SYNTAX = /^(?:[A-Za-z0-9%.*/^()[\]{}'_-]|\d)+$/;

/** A Quantity: the unit as sent; system/code UCUM only when the unit is (or maps to) UCUM syntax. */
export function quantity(value: number, unit: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { value };
  if (unit === undefined || unit === '') return out;
  out.unit = unit;
  const code = UCUM_FIXES[unit] ?? unit;
  if (UCUM_SYNTAX.test(code)) {
    out.system = UCUM;
    out.code = code;
  }
  return out;
}

/** A released date: a dateTime, a Period (a span of years), or nothing ("*", "?"). */
export function releasedTime(when: string | undefined): { dateTime: string } | { period: { start: string; end: string } } | null {
  if (when === undefined) return null;
  if (/^\d{4}(?:-\d{2}-\d{2})?$/.test(when)) return { dateTime: when };
  const span = /^(\d{4})[–-](\d{4})$/.exec(when);
  if (span !== null) return { period: { start: span[1]!, end: span[2]! } };
  return null;
}

/** effective[x] (dateTime or Period) into `out`. */
function effective(out: Record<string, unknown>, prefix: string, when: string | undefined): void {
  const time = releasedTime(when);
  if (time === null) return;
  if ('dateTime' in time) out[`${prefix}DateTime`] = time.dateTime;
  else out[`${prefix}Period`] = time.period;
}

/** A dateTime-only element: the dateTime, or the period as an extension. */
function dateTimeOnly(out: Record<string, unknown>, element: string, when: string | undefined): void {
  const time = releasedTime(when);
  if (time === null) return;
  if ('dateTime' in time) out[element] = time.dateTime;
  else pushExtension(out, { url: PERIOD_EXTENSION, valuePeriod: time.period });
}

function pushExtension(out: Record<string, unknown>, extension: Record<string, unknown>): void {
  const list = (out.extension as Record<string, unknown>[] | undefined) ?? [];
  list.push(extension);
  out.extension = list;
}

const GENDER: Readonly<Record<string, string>> = { F: 'female', M: 'male', O: 'other', U: 'unknown', [UNKNOWN]: 'unknown' };
/**
 * OBX-11 (table 0085) → Observation.status (R4 ObservationStatus), after the HL7 v2-to-FHIR
 * ConceptMap where it maps a code: U (made final) is final; R (not verified) and S (partial) are
 * "data may be incomplete or unverified", preliminary; I (specimen in lab) is registered, "no
 * result yet"; X (cannot be obtained) and N (not sought) cancelled, "not started or not completed".
 * W and D never get here (Safe Harbor leaves them out); entered-in-error should one ever. Any
 * other code is unknown.
 */
const OBSERVATION_STATUS: Readonly<Record<string, string>> = { F: 'final', U: 'final', C: 'corrected', P: 'preliminary', R: 'preliminary', S: 'preliminary', I: 'registered', X: 'cancelled', N: 'cancelled', W: 'entered-in-error', D: 'entered-in-error' };
/** OBR-25 (table 0123) and TXA-17 (table 0271) → DiagnosticReport.status. */
const REPORT_STATUS: Readonly<Record<string, string>> = { F: 'final', C: 'corrected', P: 'preliminary', R: 'preliminary', S: 'partial', A: 'partial', I: 'registered', O: 'registered', X: 'cancelled', AU: 'final', LA: 'final', DO: 'final', PA: 'preliminary', DI: 'preliminary', IP: 'partial', IN: 'partial' };
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const INTERPRETATION_CODES = new Set(['L', 'H', 'LL', 'HH', 'N', 'A', 'AA', 'U', 'D', 'B', 'W', 'S', 'R', 'I', 'NEG', 'POS', 'IND', 'E', 'EX', 'HX', 'LX']);
const DATA_ABSENT: Readonly<Record<string, string>> = { NaN: 'not-a-number', '+INF': 'positive-infinity', '-INF': 'negative-infinity', NRes: 'error', reserved: 'unknown' };
/** MDC partition 2 (SCADA): the device readings' term codes are in it. */
const MDC_SCADA = 2;

/** The minimal de-identified metadata of one DICOM study (from deidentifyInstance's output). */
export interface ImagingStudyInput {
  /** The release's pseudonym of the patient (the same as the rows'). */
  readonly pseudonym: string;
  /** Remapped (2.25.…) study instance UID. */
  readonly studyInstanceUid: string;
  /** As released: a year, a shifted date, or absent. */
  readonly started?: string;
  readonly series: readonly { readonly uid: string; readonly modality: string; readonly numberOfInstances: number }[];
}

/** One instance as deidentifyInstance released it (shared/dicom/deid), with its modality (0008,0060) and the released study date. */
export interface DeidentifiedInstanceMeta {
  readonly pseudonym: string;
  readonly studyInstanceUid: string | undefined;
  readonly seriesInstanceUid: string | undefined;
  readonly modality: string;
  readonly started?: string;
}

/** Groups released instances into studies and series (counting instances), in first-seen order. */
export function imagingStudiesFrom(instances: Iterable<DeidentifiedInstanceMeta>): ImagingStudyInput[] {
  const studies = new Map<string, { pseudonym: string; started?: string; series: Map<string, { uid: string; modality: string; numberOfInstances: number }> }>();
  for (const instance of instances) {
    if (instance.studyInstanceUid === undefined || instance.seriesInstanceUid === undefined) throw new RangeError('A released instance has no study or series UID (both are Type 1).');
    let study = studies.get(instance.studyInstanceUid);
    if (study === undefined) studies.set(instance.studyInstanceUid, (study = { pseudonym: instance.pseudonym, ...(instance.started === undefined ? {} : { started: instance.started }), series: new Map() }));
    if (study.pseudonym !== instance.pseudonym) throw new RangeError('One study names two patients.');
    const series = study.series.get(instance.seriesInstanceUid);
    if (series === undefined) study.series.set(instance.seriesInstanceUid, { uid: instance.seriesInstanceUid, modality: instance.modality, numberOfInstances: 1 });
    else series.numberOfInstances++;
  }
  return [...studies].map(([uid, study]) => ({ pseudonym: study.pseudonym, studyInstanceUid: uid, ...(study.started === undefined ? {} : { started: study.started }), series: [...study.series.values()] }));
}

export interface FhirExportOptions {
  readonly imaging?: readonly ImagingStudyInput[];
}

export interface FhirExport {
  /** The identifier system of the pseudonyms: local to this release. */
  readonly identifierSystem: string;
  /** The Patient id of a pseudonym of the release. */
  patientId(pseudonym: string): string | undefined;
  /** The resources of one type, generated as they are asked for (the same ids each time). */
  resources(type: FhirResourceType): Generator<FhirResource>;
}

function randomPrefix(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(8)));
}

/** A FHIR export of a released dataset (see above). Refuses imaging of a patient the release does not hold (suppressed or unknown). */
export function fhirExport(dataset: ReleasedDataset, options: FhirExportOptions = {}): FhirExport {
  const prefixes = Object.fromEntries(FHIR_RESOURCE_TYPES.map((type) => [type, randomPrefix()])) as Record<FhirResourceType, string>;
  const identifierSystem = `urn:hdms:release:${randomPrefix()}${randomPrefix()}:pseudonym`;
  const patientIds = new Map<string, string>();
  for (const [i, row] of dataset.rows.entries()) patientIds.set(row.pseudonym, `${prefixes.Patient}-${i}`);
  const imaging = options.imaging ?? [];
  for (const study of imaging) {
    if (!patientIds.has(study.pseudonym)) throw new RangeError('An imaging study names a patient the release does not hold (suppressed or unknown): it must be left out of the package.');
    if (!/^[0-9.]{1,64}$/.test(study.studyInstanceUid) || study.series.some((s) => !/^[0-9.]{1,64}$/.test(s.uid))) throw new RangeError('A study or series UID is not a DICOM UID.');
  }
  const subject = (pseudonym: string): { reference: string } => ({ reference: `Patient/${patientIds.get(pseudonym)!}` });

  function* resources(type: FhirResourceType): Generator<FhirResource> {
    let n = 0;
    const id = (): string => `${prefixes[type]}-${n++}`;
    if (type === 'ImagingStudy') {
      for (const study of imaging) yield imagingStudy(id(), study, subject(study.pseudonym));
      return;
    }
    for (const row of dataset.rows) {
      if (type === 'Patient') {
        yield patient(patientIds.get(row.pseudonym)!, row, identifierSystem);
        continue;
      }
      const ref = subject(row.pseudonym);
      for (const record of row.records) {
        const resource = resourceOf(type, record, ref, id);
        if (resource !== null) yield resource;
      }
    }
  }

  return { identifierSystem, patientId: (pseudonym) => patientIds.get(pseudonym), resources };
}

function patient(id: string, row: ReleasedRow, identifierSystem: string): FhirResource {
  const out: Record<string, unknown> = { resourceType: 'Patient', id, identifier: [{ system: identifierSystem, value: row.pseudonym }] };
  if (row.sex !== SUPPRESSED) out.gender = GENDER[row.sex] ?? 'unknown';
  if (row.age !== SUPPRESSED && row.age !== UNKNOWN) pushExtension(out, { url: AGE_EXTENSION, valueString: row.age });
  if (/^\d{3}$/.test(row.zip3) || /^\d{1,2}\*+$/.test(row.zip3)) out.address = [{ postalCode: row.zip3 }];
  return out as FhirResource;
}

function resourceOf(type: FhirResourceType, record: DeidRecord, subject: { reference: string }, id: () => string): FhirResource | null {
  switch (record.type) {
    case 'observation':
      return type === 'Observation' ? observation(id(), record, subject) : null;
    case 'device-reading':
      return type === 'Observation' ? deviceObservation(id(), record, subject) : null;
    case 'diagnosis':
      return type === 'Condition' ? condition(id(), record, subject) : null;
    case 'report':
      return type === 'DiagnosticReport' ? diagnosticReport(id(), record, subject) : null;
    case 'immunization':
      return type === 'Immunization' ? immunization(id(), record, subject) : null;
    default:
      return null;
  }
}

function category(code: string): { coding: { system: string; code: string }[] }[] {
  return [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }];
}

function observation(id: string, record: Extract<DeidRecord, { type: 'observation' }>, subject: { reference: string }): FhirResource {
  const out: Record<string, unknown> = { resourceType: 'Observation', id, status: OBSERVATION_STATUS[record.status] ?? 'unknown' };
  if (record.category === 'laboratory' || record.category === 'vital-signs') out.category = category(record.category);
  out.code = codeable(record.code);
  out.subject = subject;
  effective(out, 'effective', record.when);
  if (record.value?.kind === 'numeric') {
    const q = quantity(record.value.value, record.value.unit);
    if (record.comparator !== undefined && ['<', '<=', '>=', '>'].includes(record.comparator)) q.comparator = record.comparator;
    out.valueQuantity = q;
  } else if (record.value?.kind === 'coded') out.valueCodeableConcept = codeable(record.value.value);
  // A repeated coded result (several organisms) is several answers, not one concept in several
  // systems: one component each, under the test's code (obs-7: then no value[x]).
  else if (record.value?.kind === 'coded-list') out.component = record.value.values.map((value) => ({ code: codeable(record.code), valueCodeableConcept: codeable(value) }));
  const flags = (record.abnormalFlags ?? []).filter((flag) => INTERPRETATION_CODES.has(flag));
  if (flags.length > 0) out.interpretation = flags.map((code) => ({ coding: [{ system: INTERPRETATION, code }] }));
  if (record.referenceRange !== undefined) out.referenceRange = [{ text: record.referenceRange }];
  return out as FhirResource;
}

function deviceObservation(id: string, record: Extract<DeidRecord, { type: 'device-reading' }>, subject: { reference: string }): FhirResource {
  const spec = MEASUREMENTS.get(record.mdcCode);
  const out: Record<string, unknown> = { resourceType: 'Observation', id, status: 'final' };
  if (record.kind !== 'glucose' && record.kind !== 'other') out.category = category('vital-signs');
  const coding: Record<string, string> = { system: MDC_SYSTEM, code: String(record.mdcCode > 0xffff ? record.mdcCode : MDC_SCADA * 65536 + record.mdcCode) };
  if (spec !== undefined) coding.display = spec.label;
  out.code = { coding: [coding] };
  out.subject = subject;
  effective(out, 'effective', record.when);
  if (record.status === 'value' && record.value !== undefined) out.valueQuantity = quantity(record.value, record.unit);
  else out.dataAbsentReason = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: DATA_ABSENT[record.status] ?? 'unknown' }] };
  return out as FhirResource;
}

function condition(id: string, record: Extract<DeidRecord, { type: 'diagnosis' }>, subject: { reference: string }): FhirResource {
  const out: Record<string, unknown> = { resourceType: 'Condition', id };
  const type = record.diagnosisType?.toUpperCase();
  if (type === 'F' || type === 'W' || type === 'A') out.verificationStatus = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: type === 'F' ? 'confirmed' : 'provisional' }] };
  out.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }];
  out.code = codeable(record.code);
  out.subject = subject;
  dateTimeOnly(out, 'recordedDate', record.when);
  return out as FhirResource;
}

function diagnosticReport(id: string, record: Extract<DeidRecord, { type: 'report' }>, subject: { reference: string }): FhirResource {
  const out: Record<string, unknown> = { resourceType: 'DiagnosticReport', id, status: (record.status === undefined ? undefined : REPORT_STATUS[record.status.toUpperCase()]) ?? 'unknown', code: codeable(record.code), subject };
  effective(out, 'effective', record.when);
  return out as FhirResource;
}

function immunization(id: string, record: Extract<DeidRecord, { type: 'immunization' }>, subject: { reference: string }): FhirResource {
  const notDone = ['NA', 'RE'].includes(record.completionStatus?.toUpperCase() ?? '');
  const out: Record<string, unknown> = { resourceType: 'Immunization', id, status: notDone ? 'not-done' : 'completed', vaccineCode: codeable(record.vaccine), patient: subject };
  const time = releasedTime(record.when);
  // occurrence[x] is required: dateTime, else the released span (or "unknown") as occurrenceString.
  if (time !== null && 'dateTime' in time) out.occurrenceDateTime = time.dateTime;
  else out.occurrenceString = time === null ? 'unknown' : `${time.period.start}–${time.period.end}`;
  if (record.amount !== undefined) out.doseQuantity = quantity(record.amount, record.unit);
  return out as FhirResource;
}

function imagingStudy(id: string, study: ImagingStudyInput, subject: { reference: string }): FhirResource {
  const modalities = [...new Set(study.series.map((s) => s.modality))];
  const out: Record<string, unknown> = {
    resourceType: 'ImagingStudy',
    id,
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${study.studyInstanceUid}` }],
    status: 'available',
    modality: modalities.map((code) => ({ system: DICOM_DCM, code })),
    subject,
  };
  dateTimeOnly(out, 'started', study.started);
  out.numberOfSeries = study.series.length;
  out.numberOfInstances = study.series.reduce((sum, s) => sum + s.numberOfInstances, 0);
  out.series = study.series.map((s) => ({ uid: s.uid, modality: { system: DICOM_DCM, code: s.modality }, numberOfInstances: s.numberOfInstances }));
  return out as FhirResource;
}

// ——— CSV flattenings ———

export const PATIENT_CSV_HEADER = ['id', 'pseudonym', 'gender', 'age', 'zip3'] as const;
export const OBSERVATION_CSV_HEADER = ['id', 'patient', 'category', 'code_system', 'code', 'display', 'value', 'unit', 'value_system', 'value_code', 'effective', 'status', 'interpretation'] as const;

function extensionValue(resource: FhirResource, url: string): string | undefined {
  return (resource.extension as { url: string; valueString?: string }[] | undefined)?.find((e) => e.url === url)?.valueString;
}

export function patientCsvRow(resource: FhirResource): CsvValue[] {
  const identifier = (resource.identifier as { value: string }[])[0]!;
  const address = resource.address as { postalCode?: string }[] | undefined;
  return [resource.id, identifier.value, resource.gender as string | undefined, extensionValue(resource, AGE_EXTENSION), address?.[0]?.postalCode];
}

export function observationCsvRow(resource: FhirResource): CsvValue[] {
  type Coding = { system: string; code: string; display?: string };
  const coding = (resource.code as { coding: Coding[] }).coding[0]!;
  const cat = (resource.category as { coding: Coding[] }[] | undefined)?.[0]?.coding[0]?.code;
  const q = resource.valueQuantity as { value: number; unit?: string; comparator?: string } | undefined;
  // A repeated coded result: its components' codes in order, joined by ";" (value_system alike).
  const codings = resource.valueCodeableConcept !== undefined ? [(resource.valueCodeableConcept as { coding: Coding[] }).coding[0]!] : ((resource.component as { valueCodeableConcept?: { coding: Coding[] } }[] | undefined) ?? []).flatMap((c) => (c.valueCodeableConcept === undefined ? [] : [c.valueCodeableConcept.coding[0]!]));
  const cc = codings.length === 0 ? undefined : { system: codings.map((c) => c.system).join(';'), code: codings.map((c) => c.code).join(';') };
  const period = resource.effectivePeriod as { start: string; end: string } | undefined;
  const when = (resource.effectiveDateTime as string | undefined) ?? (period === undefined ? undefined : `${period.start}/${period.end}`);
  const interpretation = (resource.interpretation as { coding: Coding[] }[] | undefined)?.map((i) => i.coding[0]!.code).join(' ');
  return [resource.id, (resource.subject as { reference: string }).reference.slice('Patient/'.length), cat, coding.system, coding.code, coding.display, q === undefined ? undefined : `${q.comparator ?? ''}${q.value}`, q?.unit, cc?.system, cc?.code, when, resource.status as string, interpretation];
}

// ——— Package files ———

export interface FhirPackageFile {
  readonly path: string;
  readonly mediaType: string;
  readonly data: AsyncIterable<Uint8Array>;
}

/**
 * The package files of an export: fhir/<Type>.ndjson for each type (in FHIR_RESOURCE_TYPES order),
 * then csv/Patient.csv and csv/Observation.csv; generated as they are read. `counts()` gives the
 * resources written per type once the NDJSON files were read.
 */
export function fhirPackageFiles(fhir: FhirExport): { readonly files: FhirPackageFile[]; counts(): Record<string, number> } {
  const counts: Record<string, number> = Object.fromEntries(FHIR_RESOURCE_TYPES.map((type) => [type, 0]));
  const files: FhirPackageFile[] = FHIR_RESOURCE_TYPES.map((type) => ({
    path: `fhir/${type}.ndjson`,
    mediaType: 'application/fhir+ndjson',
    data: lazy(() => ndjson(fhir.resources(type), () => void counts[type]!++)),
  }));
  files.push(
    { path: 'csv/Patient.csv', mediaType: 'text/csv; charset=utf-8; header=present', data: lazy(() => csv(PATIENT_CSV_HEADER, map(fhir.resources('Patient'), patientCsvRow))) },
    { path: 'csv/Observation.csv', mediaType: 'text/csv; charset=utf-8; header=present', data: lazy(() => csv(OBSERVATION_CSV_HEADER, map(fhir.resources('Observation'), observationCsvRow))) },
  );
  return { files, counts: () => ({ ...counts }) };
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** An async iterable that starts its generator only when iterated. */
function lazy(start: () => AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => start()[Symbol.asyncIterator]() };
}
