import { PatientSchema, ClinicalRecordSchema } from '../../../shared/domain/clinical';
import { VaultError, type PatientDetail, type PatientHit, type RecordRow } from '../vault-service';
import { decryptField, decryptMany } from '../vault-crypto';
import { canonicalJson } from '../keyring/canonical-json';
import { parseRecordId, recordIdOf, recordTime, type MessagePayload, type PatientPayload } from './intake-rows';
import { recordsOfPatient, type PatientRowStored, type RecordRowStored, type VaultDb } from './vault-db';

/**
 * Reading the views: rows are fetched first, then decrypted after the read transaction (awaiting
 * WebCrypto inside a Dexie transaction would end it), and re-validated, since a decryption that
 * authenticates still deserves a schema check before the UI renders it.
 */

export function hitOf(patientId: string, payload: PatientPayload): PatientHit {
  const { patient } = payload;
  const primary = patient.identifiers[0];
  return {
    patientId,
    name: patient.name.given.length === 0 ? patient.name.family : `${patient.name.family}, ${patient.name.given.join(' ')}`,
    birthDate: patient.birthDate ?? '',
    sex: patient.sex ?? '',
    identifier: primary === undefined ? '' : primary.authority === '' ? primary.value : `${primary.value} (${primary.authority})`,
  };
}

async function decryptPatient(viewKey: CryptoKey, row: PatientRowStored): Promise<PatientPayload> {
  const payload = await decryptField<PatientPayload>(viewKey, { table: 'patients', id: row.id }, row.enc);
  return { patient: PatientSchema.parse(payload.patient) };
}

/** The clinical records of decrypted message rows, each record once (the latest message's copy). */
function recordRowsOf(messages: readonly { row: RecordRowStored; payload: MessagePayload }[]): RecordRow[] {
  const byContent = new Map<string, RecordRow>();
  for (const { row, payload } of [...messages].sort((a, b) => a.row.seq - b.row.seq)) {
    payload.records.forEach((raw, index) => {
      const record = ClinicalRecordSchema.parse(raw);
      byContent.set(canonicalJson(record), {
        recordId: recordIdOf(row.id, index),
        patientId: row.patientId,
        time: recordTime(record),
        record,
        source: { messageType: payload.messageType, channel: payload.channel, seq: row.seq },
      });
    });
  }
  return [...byContent.values()];
}

/** Summary rows for the given ids, in the order asked; unknown ids are left out. */
export async function patientHits(db: VaultDb, viewKey: CryptoKey, ids: readonly string[]): Promise<PatientHit[]> {
  const rows = (await db.patients.bulkGet([...ids])).filter((row): row is PatientRowStored => row !== undefined);
  const payloads = await Promise.all(rows.map((row) => decryptPatient(viewKey, row)));
  return rows.map((row, index) => hitOf(row.id, payloads[index]!));
}

/** Newest first; equal times by record id, so the order is stable. */
export function byTimeDescending(a: RecordRow, b: RecordRow): number {
  return a.time < b.time ? 1 : a.time > b.time ? -1 : a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0;
}

export async function patientDetail(db: VaultDb, viewKey: CryptoKey, patientId: string): Promise<PatientDetail> {
  const [row, recordRows] = await db.transaction('r', [db.patients, db.records], () =>
    Promise.all([db.patients.get(patientId), recordsOfPatient(db, patientId).toArray()]),
  );
  if (row === undefined) throw new VaultError('E_NODE', 'No such patient in this vault (erased, or not indexed yet).');
  const [payload, records] = await Promise.all([
    decryptPatient(viewKey, row),
    decryptMany<MessagePayload>(
      viewKey,
      recordRows.map((r) => ({ table: 'records', id: r.id, stored: r.enc })),
    ),
  ]);
  return {
    patientId,
    patient: payload.patient,
    records: recordRowsOf(recordRows.map((row, index) => ({ row, payload: records[index]! }))).sort(byTimeDescending),
  };
}

export async function recordRow(db: VaultDb, viewKey: CryptoKey, recordId: string): Promise<RecordRow> {
  const parsed = parseRecordId(recordId);
  const row = parsed === null ? undefined : await db.records.get(parsed.messageId);
  if (row === undefined || parsed === null) throw new VaultError('E_NODE', 'No such record in this vault (erased, or not indexed yet).');
  const payload = await decryptField<MessagePayload>(viewKey, { table: 'records', id: row.id }, row.enc);
  const raw = payload.records[parsed.index];
  if (raw === undefined) throw new VaultError('E_NODE', 'No such record in this vault.');
  const record = ClinicalRecordSchema.parse(raw);
  return {
    recordId,
    patientId: row.patientId,
    time: recordTime(record),
    record,
    source: { messageType: payload.messageType, channel: payload.channel, seq: row.seq },
  };
}
