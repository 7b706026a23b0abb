import type { ClinicalRecord, NormalizedIntake, Patient, PatientIdentifier } from '../../../shared/domain/clinical';
import { personNameWords } from '../../../shared/domain/person-name';
import { canonicalJson } from '../canonical-json';
import type { ChartRecord, ViewRecord } from '../vault-service';
import { pseudonym } from '../vault-crypto';
import { encryptField } from '../../../shared/crypto/field-cipher';
import { patientSubject } from '../../ledger/ledger-details';
import type { AliasRow, DirectoryName, DirectoryRow, MergeRow, PatientRowStored, RecordRowStored } from './vault-db';
import { STUDY_PATIENT_FIELD, studyPatientText } from './imaging-rows';
import type { Filing } from './patient-filing';
import type { TokenCache } from './token-cache';

/**
 * One normalized intake → the view rows it contributes: its patient row and its message row
 * (the message's clinical records, encrypted together). Pure apart from crypto: tokens and
 * encryption happen here, BEFORE the write transaction (journal-replay.ts writes them).
 *
 * Ids are deterministic, so every replay writes the same rows:
 *   patient  22 characters of pseudonym("view-patient", [authority, value]) of the identifier
 *            that opened the chart (an HMAC under the ledger key, which reveals nothing without
 *            the key); a later message naming any identifier the chart holds is filed on it
 *            (patient-filing.ts), whatever its first identifier
 *   message  <patientId>.<journal seq, base 36, 8 digits>
 *   record   <message id>.<index in the message>   (what RecordRow.recordId carries): clinical
 *            records first, then the extended ones (reports, orders…) numbered on after them
 * A record that several messages repeat (the demo's ORU messages repeat their ADT's visit) is
 * shown once: view-reads.ts keeps the copy of the latest message.
 */

export interface PatientPayload {
  readonly patient: Patient;
  /**
   * Search tokens only a DICOM header's name or birth date gave (no registration, identifier or
   * record gave them): they go from the index when a registration replaces that name or date
   * (patient-projector.ts, QA2-12 Q5). Absent: none.
   */
  readonly headerOnly?: { readonly name: readonly string[]; readonly birthDate: readonly string[] };
}

export interface MessagePayload {
  readonly messageType: string;
  readonly channel: string;
  readonly records: readonly ClinicalRecord[];
  // Additive (HL7 intake); older rows lack them.
  /** Reports, orders, allergies, diagnoses, immunizations (merges are applied, not stored here). */
  readonly extended?: readonly ChartRecord[];
  /** The sender's message id (MSH-10). */
  readonly messageId?: string;
  /** When the body received it: the time of extended records that carry none. */
  readonly receivedAt?: string;
  readonly mapping?: 'mapped' | 'partial' | 'not-mapped';
  readonly conflict?: boolean;
  readonly charset?: string;
}

export interface RowKeys {
  readonly viewKey: CryptoKey;
  readonly ledgerKey: CryptoKey;
  /** The subject directory's key (the names an auditor may see). */
  readonly directoryKey: CryptoKey;
}

/**
 * A patient row before encryption: PatientPage.prepare encrypts each patient once per page (the
 * page's demographics merged into what the views knew), not once per message (a patient has
 * several messages in a page, and only the last row per patient is written).
 */
export interface PatientRowDraft {
  readonly id: PatientRowStored['id'];
  /** This message's tokens, deduplicated, in no particular order: the page sorts each patient's union once. */
  readonly tokens: readonly string[];
  /**
   * A DICOM header's name and birth-date tokens, kept out of `tokens`: the header only fills what
   * the patient lacks (patient-demographics.ts fillDemographics), so PatientPage indexes each only
   * when the chart took it. A patient is never found under a name the chart does not show.
   */
  readonly headerTokens?: { readonly name: readonly string[]; readonly birthDate: readonly string[] };
}

export interface IntakeRows {
  readonly patient: PatientRowDraft;
  readonly message: RecordRowStored;
  /** The patient's name under its ledger subject, for auditors (vault-db.ts DirectoryRow). */
  readonly directory: DirectoryRow;
  /** Patient merges the message carries (ADT^A40/A18…). */
  readonly merges?: readonly MergeRow[];
  /**
   * The demographics this message gave, with the fields it nulled (`cleared`): the projector
   * merges them into what the views knew (patient-demographics.ts) and encrypts the result as the
   * patient row's `enc`.
   */
  readonly demographics: Patient;
  /** Identifiers the chart holds from this message on (patient-filing.ts). */
  readonly aliases?: readonly AliasRow[];
  /** The message named identifiers of two charts (filed on the first: patient-filing.ts). */
  readonly identityConflict?: boolean;
}

const ID_LENGTH = 22;

/**
 * The view id of a chart opened by this patient's first identifier (a message is filed on the chart
 * that holds any of its identifiers: patient-filing.ts decides, in the replay). With `memo` (the
 * session's TokenCache), each identifier's HMAC is computed once per session: a patient has many
 * messages, and the replay meets each of them.
 */
export async function patientIdOf(ledgerKey: CryptoKey, patient: Patient, memo?: TokenCache): Promise<string> {
  return identifierPseudonym(ledgerKey, patient.identifiers[0]!, memo);
}

/** The view id a patient whose primary identifier is this one has. */
export async function identifierPseudonym(ledgerKey: CryptoKey, identifier: PatientIdentifier, memo?: TokenCache): Promise<string> {
  const input = canonicalJson([identifier.authority, identifier.value]);
  const compute = async () => (await pseudonym(ledgerKey, 'view-patient', input)).slice(0, ID_LENGTH);
  return memo === undefined ? compute() : memo.remember('view-patient', input, compute);
}

/** The patient's ledger subject (ledger-details.ts), once per patient and session. */
function subjectOf(ledgerKey: CryptoKey, patientId: string, memo: TokenCache): Promise<string> {
  return memo.remember('subject', patientId, () => patientSubject(ledgerKey, patientId));
}

/**
 * The directory row's encrypted name, encrypted once per subject and name in a session: the same
 * name comes with every message of a patient, and writing the same ciphertext again is what
 * re-encrypting would write, with a fresh IV. A changed name is encrypted afresh.
 */
function directoryNameOf(directoryKey: CryptoKey, subject: string, name: DirectoryName, memo: TokenCache): Promise<Uint8Array> {
  const json = JSON.stringify([subject, name.family, name.given]);
  return memo.remember('directory-name', json, () => encryptField(directoryKey, { table: 'directory', id: subject }, name));
}

export function messageRowId(patientId: string, seq: number): string {
  return `${patientId}.${seq.toString(36).padStart(8, '0')}`;
}

export function recordIdOf(messageId: string, index: number): string {
  return `${messageId}.${index}`;
}

/** A record id's message row id and index, or null when it is not one. */
export function parseRecordId(recordId: string): { readonly messageId: string; readonly index: number } | null {
  const match = /^([A-Za-z0-9_-]+\.[0-9a-z]+)\.(\d{1,5})$/.exec(recordId);
  return match === null ? null : { messageId: match[1]!, index: Number(match[2]) };
}

/** The patient id a record id belongs to (its prefix). */
export function patientOfRecordId(recordId: string): string {
  const dot = recordId.indexOf('.');
  return dot < 0 ? recordId : recordId.slice(0, dot);
}

/**
 * When a record happened, as an ISO date-time: an allergy's identification day is that day's
 * midnight (UTC); a record that carries no time (an undated allergy or diagnosis) takes `fallback`,
 * the time the message was received.
 */
export function recordTime(record: ViewRecord, fallback = ''): string {
  switch (record.type) {
    case 'visit':
      return record.start;
    case 'observation':
    case 'report':
    case 'order':
    case 'immunization':
      return record.time;
    case 'diagnosis':
      return record.time ?? fallback;
    case 'allergy':
      return record.identified === undefined ? fallback : `${record.identified}T00:00:00Z`;
    default: {
      const unreachable: never = record;
      return unreachable;
    }
  }
}

/**
 * Searchable text of a patient: names (with prefixes), identifiers (buildIntakeRows adds their
 * prefixes too), birth date (one full-date token).
 */
export function patientText(patient: Patient): { names: string[]; other: string[]; dates: string[] } {
  return {
    // With the name's ideographic and phonetic writing (QA12 D4: 山田 and やまだ find Yamada Tarou).
    names: personNameWords(patient.name),
    other: patient.identifiers.map((identifier) => identifier.value),
    // A birth date known to the year only is no word: a year token would link everyone born that year (D19).
    dates: patient.birthDate === undefined || patient.birthDate.length < 7 ? [] : [patient.birthDate],
  };
}

/**
 * Searchable text of a record: codes and their words; a visit's reason and location; a report's
 * text; an allergy's reactions; a vaccine's manufacturer.
 */
export function recordText(record: ViewRecord): { other: string[] } {
  switch (record.type) {
    case 'observation': {
      const other = [record.code.code, record.code.display];
      if (record.value.kind === 'coded') other.push(record.value.value.code, record.value.value.display);
      // Every code of a repeated coded result (the first is the value, above).
      if (record.valueDetail?.kind === 'coded-list') for (const concept of record.valueDetail.values.slice(1)) other.push(concept.code, concept.display);
      return { other };
    }
    case 'visit':
      return { other: [record.reason ?? '', record.location ?? ''] };
    case 'report':
      return { other: [record.code.code, record.code.display, record.text ?? ''] };
    case 'order':
      return { other: [record.code.code, record.code.display] };
    case 'allergy':
      return { other: [record.allergen.code, record.allergen.display, ...(record.reactions ?? [])] };
    case 'diagnosis':
      return { other: [record.code.code, record.code.display] };
    case 'immunization':
      return { other: [record.vaccine.code, record.vaccine.display, record.manufacturer ?? ''] };
    default: {
      const unreachable: never = record;
      return unreachable;
    }
  }
}

/**
 * Whether a record is listed on the chart: anything but a visit the body stored at a lab message's
 * time (T1 D5). Before visits said where their start came from (`startFrom`), a PV1 without PV1-44
 * in any HL7 message became a visit at MSH-7, one per lab message; such a visit of a message that
 * is not an ADT cannot be told from one with PV1-44, so it is not listed (nor the banner's "Last
 * visit") nor are its location and reason search words (buildIntakeRows). Its record page still
 * opens by id, and the raw message keeps the PV1.
 */
export function isChartVisit(record: ViewRecord, payload: Pick<MessagePayload, 'channel' | 'messageType'>): boolean {
  if (record.type !== 'visit' || record.startFrom !== undefined) return true;
  return !payload.channel.startsWith('hl7-') || payload.messageType.toUpperCase().startsWith('ADT');
}

export interface IntakeInput {
  readonly seq: number;
  readonly kind: string;
  readonly objects: readonly string[];
  readonly intake: NormalizedIntake;
  /** From the sealed metadata (IntakeMeta.receivedAt), else the journal record's time. */
  readonly receivedAt?: string;
  /** The chart it is filed on (patient-filing.ts); absent: the chart of its first identifier. */
  readonly filing?: Filing;
}

/** The extended records a patient page shows (everything but merges), in message order. */
export function chartRecordsOf(intake: NormalizedIntake): ChartRecord[] {
  return (intake.extendedRecords ?? []).filter((record): record is ChartRecord => record.type !== 'merge');
}

/** The identifiers a message's merge records name: each record's first survivor identifier, then its merged ones. */
export function mergeIdentifiersOf(intake: NormalizedIntake): PatientIdentifier[] {
  return (intake.extendedRecords ?? []).flatMap((record) => (record.type === 'merge' ? [record.survivor[0]!, ...record.merged] : []));
}

/**
 * merged → survivor pairs of a message's merge records (ids of every merged identifier). With a
 * filing, each identifier names the chart that holds it (Filing.looked, in mergeIdentifiersOf's order).
 */
async function mergeRowsOf(ledgerKey: CryptoKey, intake: NormalizedIntake, seq: number, memo: TokenCache, filing?: Filing): Promise<MergeRow[]> {
  const rows: MergeRow[] = [];
  let looked = 0;
  const chartOf = (identifier: PatientIdentifier) => (filing === undefined ? identifierPseudonym(ledgerKey, identifier, memo) : Promise.resolve(filing.looked[looked++]!));
  for (const record of intake.extendedRecords ?? []) {
    if (record.type !== 'merge') continue;
    const survivor = await chartOf(record.survivor[0]!);
    const merged: string[] = [];
    for (const identifier of record.merged) merged.push(await chartOf(identifier));
    for (const id of new Set(merged)) if (id !== survivor) rows.push({ merged: id, survivor, seq });
  }
  return rows;
}

/** The payload's optional fields, only those present (so older rows and new ones compare alike). */
function messageExtras(input: IntakeInput): Partial<MessagePayload> {
  const { intake } = input;
  const extended = chartRecordsOf(intake);
  const extras: { -readonly [K in keyof MessagePayload]?: MessagePayload[K] } = {};
  if (extended.length > 0) extras.extended = extended;
  if (intake.hl7 !== undefined) {
    extras.messageId = intake.messageId;
    extras.mapping = intake.hl7.mapping;
    if (intake.hl7.conflict === true) extras.conflict = true;
  }
  if (input.receivedAt !== undefined && (extended.length > 0 || intake.hl7 !== undefined)) extras.receivedAt = input.receivedAt;
  return extras;
}

export async function buildIntakeRows(keys: RowKeys, tokens: TokenCache, input: IntakeInput): Promise<IntakeRows> {
  const { intake, seq } = input;
  const extended = chartRecordsOf(intake);
  const header = intake.channel === 'dicom';
  const text = patientText(intake.patient);
  // A DICOM instance's study description and accession number find its patient too (tester T1 F9).
  const study = intake.dicom === undefined ? null : studyPatientText(intake.dicom);
  const [patientId, patientTokens, identifierPrefixes, recordTokens, merges, headerTokens, studyTokens] = await Promise.all([
    input.filing?.patientId ?? patientIdOf(keys.ledgerKey, intake.patient, tokens),
    tokens.tokensOf(header ? { other: text.other } : text),
    tokens.identifierPrefixTokens(intake.patient.identifiers.map((identifier) => identifier.value)),
    // A lab message's pseudo-visit stored before PV1-44 counted (isChartVisit) is no search word either.
    Promise.all([...intake.records, ...extended].filter((record) => isChartVisit(record, intake)).map((record) => tokens.tokensOf(recordText(record)))),
    mergeRowsOf(keys.ledgerKey, intake, seq, tokens, input.filing),
    header ? Promise.all([tokens.tokensOf({ names: text.names }), tokens.tokensOf({ dates: text.dates })]).then(([name, birthDate]) => ({ name, birthDate })) : undefined,
    study === null || study.other.length === 0 ? [] : tokens.fieldTokensOf(STUDY_PATIENT_FIELD, { other: study.other }, study.accession),
  ]);
  const messageId = messageRowId(patientId, seq);
  const message: MessagePayload = { messageType: intake.messageType, channel: intake.channel, records: intake.records, ...messageExtras(input) };
  const subject = await subjectOf(keys.ledgerKey, patientId, tokens);
  const name: DirectoryName = { family: intake.patient.name.family, given: intake.patient.name.given };
  const [messageEnc, nameEnc] = await Promise.all([
    encryptField(keys.viewKey, { table: 'records', id: messageId }, message),
    directoryNameOf(keys.directoryKey, subject, name, tokens),
  ]);
  const allTokens = new Set(patientTokens);
  for (const token of identifierPrefixes) allTokens.add(token);
  for (const list of recordTokens) for (const token of list) allTokens.add(token);
  for (const token of studyTokens) allTokens.add(token);
  return {
    patient: { id: patientId, tokens: [...allTokens], ...(headerTokens === undefined ? {} : { headerTokens }) },
    message: { id: messageId, patientId, seq, kind: input.kind, objectIds: [...input.objects], count: intake.records.length + extended.length, enc: messageEnc },
    directory: { id: subject, kind: 'patient', patientId, name: nameEnc },
    ...(merges.length === 0 ? {} : { merges }),
    demographics: intake.patient,
    ...(input.filing === undefined || input.filing.aliases.length === 0 ? {} : { aliases: input.filing.aliases }),
    ...(input.filing?.conflict === true ? { identityConflict: true } : {}),
  };
}
