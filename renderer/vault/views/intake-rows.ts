import type { ClinicalRecord, NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import { canonicalJson } from '../keyring/canonical-json';
import { encryptMany, pseudonym } from '../vault-crypto';
import type { PatientRowStored, RecordRowStored } from './vault-db';
import type { TokenCache } from './token-cache';

/**
 * One normalized intake → the view rows it contributes: its patient row and its message row
 * (the message's clinical records, encrypted together). Pure apart from crypto: tokens and
 * encryption happen here, BEFORE the write transaction (journal-replay.ts writes them).
 *
 * Ids are deterministic, so every replay writes the same rows:
 *   patient  22 characters of pseudonym("view-patient", [authority, value]) of the primary
 *            identifier: an HMAC under the ledger key, which reveals nothing without the key
 *   message  <patientId>.<journal seq, base 36, 8 digits>
 *   record   <message id>.<index in the message>   (what RecordRow.recordId carries)
 * A record that several messages repeat (the demo's ORU messages repeat their ADT's visit) is
 * shown once: view-reads.ts keeps the copy of the latest message.
 */

export interface PatientPayload {
  readonly patient: Patient;
}

export interface MessagePayload {
  readonly messageType: string;
  readonly channel: string;
  readonly records: readonly ClinicalRecord[];
}

export interface RowKeys {
  readonly viewKey: CryptoKey;
  readonly ledgerKey: CryptoKey;
}

export interface IntakeRows {
  readonly patient: PatientRowStored;
  readonly message: RecordRowStored;
}

const ID_LENGTH = 22;

export async function patientIdOf(ledgerKey: CryptoKey, patient: Patient): Promise<string> {
  const primary = patient.identifiers[0]!;
  return (await pseudonym(ledgerKey, 'view-patient', canonicalJson([primary.authority, primary.value]))).slice(0, ID_LENGTH);
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

export function recordTime(record: ClinicalRecord): string {
  return record.type === 'visit' ? record.start : record.time;
}

/** Searchable text of a patient: names (with prefixes), identifiers, birth date. */
export function patientText(patient: Patient): { names: string[]; other: string[] } {
  return {
    names: [patient.name.family, ...patient.name.given],
    other: [...patient.identifiers.map((identifier) => identifier.value), ...(patient.birthDate === undefined ? [] : [patient.birthDate])],
  };
}

/** Searchable text of a record: codes and their words; a visit's reason and location. */
export function recordText(record: ClinicalRecord): { other: string[] } {
  switch (record.type) {
    case 'observation': {
      const other = [record.code.code, record.code.display];
      if (record.value.kind === 'coded') other.push(record.value.value.code, record.value.value.display);
      return { other };
    }
    case 'visit':
      return { other: [record.reason ?? '', record.location ?? ''] };
    default: {
      const unreachable: never = record;
      return unreachable;
    }
  }
}

export interface IntakeInput {
  readonly seq: number;
  readonly kind: string;
  readonly objects: readonly string[];
  readonly intake: NormalizedIntake;
}

export async function buildIntakeRows(keys: RowKeys, tokens: TokenCache, input: IntakeInput): Promise<IntakeRows> {
  const { intake, seq } = input;
  const [patientId, patientTokens, recordTokens] = await Promise.all([
    patientIdOf(keys.ledgerKey, intake.patient),
    tokens.tokensOf(patientText(intake.patient)),
    Promise.all(intake.records.map((record) => tokens.tokensOf(recordText(record)))),
  ]);
  const messageId = messageRowId(patientId, seq);
  const message: MessagePayload = { messageType: intake.messageType, channel: intake.channel, records: intake.records };
  const [patientEnc, messageEnc] = await encryptMany(keys.viewKey, [
    { table: 'patients', id: patientId, value: { patient: intake.patient } satisfies PatientPayload },
    { table: 'records', id: messageId, value: message },
  ]);
  const allTokens = new Set(patientTokens);
  for (const list of recordTokens) for (const token of list) allTokens.add(token);
  return {
    patient: { id: patientId, tokens: [...allTokens].sort(), enc: patientEnc! },
    message: { id: messageId, patientId, seq, kind: input.kind, objectIds: [...input.objects], count: intake.records.length, enc: messageEnc! },
  };
}
