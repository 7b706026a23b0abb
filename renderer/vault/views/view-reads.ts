import { ClinicalRecordSchema, ExtendedRecordSchema, IntakeQuarantineSchema, PatientSchema } from '../../../shared/domain/clinical';
import { personNameLabel } from '../../../shared/domain/person-name';
import { VaultError, type ChartRecord, type PatientDetail, type PatientHit, type QuarantineEntry, type RecordRow, type ViewRecord } from '../vault-service';
import { decryptField, decryptMany } from '../vault-crypto';
import { canonicalJson } from '../canonical-json';
import { isChartVisit, parseRecordId, recordIdOf, recordTime, type MessagePayload, type PatientPayload } from './intake-rows';
import type { OpenedRows } from './opened-rows';
import { recordsOfPatient, type PatientRowStored, type QuarantineRowStored, type RecordRowStored, type VaultDb } from './vault-db';

/**
 * What the views do not hold (yet). A window that has just been unlocked may still be replaying the
 * journal; callers catch this to wait for the replay once before saying "not found".
 */
export class NotInViewsError extends VaultError {
  constructor(message: string) {
    super('E_NODE', message);
  }
}

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
    name: personNameLabel(patient.name),
    birthDate: patient.birthDate ?? '',
    ...(patient.birthDateSent !== undefined ? { birthDateSent: patient.birthDateSent } : {}),
    sex: patient.sex ?? '',
    identifier: primary === undefined ? '' : primary.authority === '' ? primary.value : `${primary.value} (${primary.authority})`,
  };
}

async function decryptPatient(viewKey: CryptoKey, row: PatientRowStored): Promise<PatientPayload> {
  const payload = await decryptField<PatientPayload>(viewKey, { table: 'patients', id: row.id }, row.enc);
  return { patient: PatientSchema.parse(payload.patient) };
}

/** A patient's identifiers (value, authority, type) from their row, or [] when the row is gone. */
export async function patientIdentifiers(db: VaultDb, viewKey: CryptoKey, patientId: string): Promise<PatientPayload['patient']['identifiers']> {
  const row = await db.patients.get(patientId);
  return row === undefined ? [] : (await decryptPatient(viewKey, row)).patient.identifiers;
}

/** Every record of a message payload, clinical first, then extended (their index in record ids). */
function payloadRecords(payload: MessagePayload): readonly unknown[] {
  return [...payload.records, ...(payload.extended ?? [])];
}

function parseViewRecord(raw: unknown, index: number, payload: MessagePayload): ViewRecord {
  if (index < payload.records.length) return ClinicalRecordSchema.parse(raw);
  const record = ExtendedRecordSchema.parse(raw);
  if (record.type === 'merge') throw new VaultError('E_NODE', 'A merge is not a record of its own.');
  return record satisfies ChartRecord;
}

function sourceOf(row: RecordRowStored, payload: MessagePayload): RecordRow['source'] {
  return {
    messageType: payload.messageType,
    channel: payload.channel,
    seq: row.seq,
    ...(payload.messageId === undefined ? {} : { messageId: payload.messageId }),
    ...(payload.mapping === undefined ? {} : { mapping: payload.mapping }),
    ...(payload.conflict === true ? { conflict: true } : {}),
    hasRaw: row.objectIds.length > 0,
  };
}

function rowOf(row: RecordRowStored, payload: MessagePayload, raw: unknown, index: number, patientId: string): RecordRow {
  return shownRow(row, payload, parseViewRecord(raw, index, payload), index, patientId, sourceOf(row, payload));
}

function shownRow(row: RecordRowStored, payload: MessagePayload, record: ViewRecord, index: number, patientId: string, source: RecordRow['source']): RecordRow {
  return { recordId: recordIdOf(row.id, index), patientId, time: recordTime(record, payload.receivedAt ?? ''), record, source };
}

/** Every record of a decrypted message payload, checked (the order of its record ids). */
function parsedRecords(payload: MessagePayload): ViewRecord[] {
  return payloadRecords(payload).map((raw, index) => parseViewRecord(raw, index, payload));
}

/** A cheap key that equal records share (type, time, code): only records that share it are compared in full. */
function signatureOf(shown: RecordRow): string {
  const record = shown.record;
  const code = 'code' in record ? record.code.code : record.type === 'allergy' ? record.allergen.code : record.type === 'immunization' ? record.vaccine.code : '';
  return `${record.type}\u0000${shown.time}\u0000${code}`;
}

// isChartVisit lives with the rows it also keeps out of the search index (intake-rows.ts).
export { isChartVisit };

/**
 * The records of decrypted message rows, each record once (the latest message's copy), filed under
 * `patientId`. Equal content means an equal signature, so the canonical JSON of a record (costly
 * for thousands of results) is computed only when its signature was seen before.
 */
function recordRowsOf(messages: readonly { row: RecordRowStored; payload: MessagePayload; records: readonly ViewRecord[] }[], patientId: string): RecordRow[] {
  const bySignature = new Map<string, RecordRow | Map<string, RecordRow>>();
  for (const { row, payload, records } of [...messages].sort((a, b) => a.row.seq - b.row.seq)) {
    const source = sourceOf(row, payload);
    records.forEach((record, index) => {
      if (!isChartVisit(record, payload)) return;
      const shown = shownRow(row, payload, record, index, patientId, source);
      const signature = signatureOf(shown);
      const seen = bySignature.get(signature);
      if (seen === undefined) {
        bySignature.set(signature, shown);
        return;
      }
      const byContent = seen instanceof Map ? seen : new Map([[canonicalJson(seen.record), seen]]);
      byContent.set(canonicalJson(shown.record), shown);
      bySignature.set(signature, byContent);
    });
  }
  return [...bySignature.values()].flatMap((entry) => (entry instanceof Map ? [...entry.values()] : [entry]));
}

// ------------------------------------------------------------------------------------------------
// Merges (vault-db.ts MergeRow): resolved at read time.

/** Follows merged → survivor to the end of the chain (a cycle stops where it closes). */
export async function resolvePatientId(db: VaultDb, patientId: string): Promise<string> {
  let current = patientId;
  const seen = new Set([current]);
  for (;;) {
    const next = await db.merges.get(current);
    if (next === undefined || seen.has(next.survivor)) return current;
    seen.add(next.survivor);
    current = next.survivor;
  }
}

/** Every patient id merged (directly or through a chain) into `survivor`, not including it. */
export async function mergedInto(db: VaultDb, survivor: string): Promise<string[]> {
  const found = new Set<string>([survivor]);
  let frontier = [survivor];
  while (frontier.length > 0) {
    const rows = await db.merges.where('survivor').anyOf(frontier).toArray();
    frontier = rows.map((row) => row.merged).filter((id) => !found.has(id));
    for (const id of frontier) found.add(id);
  }
  found.delete(survivor);
  return [...found].sort();
}

/**
 * Search ids → the patients to show: each merged patient replaced by its survivor (in the place of
 * the first of them), each survivor once. `all`: the whole list, where merged patients are left out.
 */
export async function resolveSearchIds(db: VaultDb, ids: readonly string[], all: boolean): Promise<string[]> {
  const merges = await db.merges.toArray();
  if (merges.length === 0) return [...ids];
  const next = new Map(merges.map((row) => [row.merged, row.survivor]));
  if (all) return ids.filter((id) => !next.has(id));
  const resolve = (id: string): string => {
    let current = id;
    const seen = new Set([current]);
    for (let step = next.get(current); step !== undefined && !seen.has(step); step = next.get(current)) {
      seen.add(step);
      current = step;
    }
    return current;
  };
  return [...new Set(ids.map(resolve))];
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

/**
 * A patient with every record: its own and those of the patients merged into it. Asked for a merged
 * patient, it answers the survivor (when the survivor has no patient row, the one asked for).
 */
export async function patientDetail(db: VaultDb, viewKey: CryptoKey, patientId: string, opened?: OpenedRows): Promise<PatientDetail> {
  const { shownId, row, members, memberRows, recordRows } = await db.transaction('r', [db.patients, db.records, db.merges], async () => {
    const survivor = await resolvePatientId(db, patientId);
    const survivorRow = await db.patients.get(survivor);
    const shown = survivorRow === undefined ? patientId : survivor;
    const merged = survivorRow === undefined ? [] : await mergedInto(db, survivor);
    const ids = [shown, ...merged];
    const [rows, records] = await Promise.all([
      db.patients.bulkGet(merged),
      Promise.all(ids.map((id) => recordsOfPatient(db, id).toArray())),
    ]);
    return {
      shownId: shown,
      row: survivorRow ?? (await db.patients.get(patientId)),
      members: merged,
      memberRows: rows.filter((r): r is PatientRowStored => r !== undefined),
      recordRows: records.flat(),
    };
  });
  if (row === undefined) throw new NotInViewsError('No such patient in this vault (erased, or not indexed yet).');
  // Rows this session opened before (unchanged since) are not decrypted and checked again.
  const known = recordRows.map((r) => opened?.get(r));
  const fresh = recordRows.filter((_, index) => known[index] === undefined);
  const [payload, decrypted, mergedPayloads] = await Promise.all([
    decryptPatient(viewKey, row),
    decryptMany<MessagePayload>(
      viewKey,
      fresh.map((r) => ({ table: 'records', id: r.id, stored: r.enc })),
    ),
    Promise.all(memberRows.map((r) => decryptPatient(viewKey, r))),
  ]);
  let next = 0;
  const messages = recordRows.map((r, index) => {
    const hit = known[index];
    if (hit !== undefined) return { row: r, payload: hit.payload, records: hit.records };
    const message = decrypted[next++]!;
    const records = parsedRecords(message);
    opened?.set(r, message, records);
    return { row: r, payload: message, records };
  });
  return {
    patientId: shownId,
    patient: payload.patient,
    records: recordRowsOf(messages, shownId).sort(byTimeDescending),
    ...(members.length === 0 ? {} : { mergedPatients: mergedPayloads.map((p) => p.patient) }),
  };
}

/**
 * One person's records as the chart lists them (the research release reads them): those of the
 * chart `patientId` and of the charts `merged` into it (mergedInto), each record once (the latest
 * message's copy: a result sent for both charts before the merge is one result), no lab-message
 * visit (isChartVisit), all filed under `patientId`. A record's id still names the chart its
 * message was filed under (intake-rows.ts patientOfRecordId).
 */
export async function personRecordRows(db: VaultDb, viewKey: CryptoKey, patientId: string, merged: readonly string[] = []): Promise<RecordRow[]> {
  const rows = (await Promise.all([patientId, ...merged].map((id) => recordsOfPatient(db, id).toArray()))).flat();
  const payloads = await decryptMany<MessagePayload>(
    viewKey,
    rows.map((row) => ({ table: 'records', id: row.id, stored: row.enc })),
  );
  return recordRowsOf(
    rows.map((row, index) => ({ row, payload: payloads[index]!, records: parsedRecords(payloads[index]!) })),
    patientId,
  );
}

/** The message row (and its decrypted payload) a record id names. */
export async function messageOfRecord(db: VaultDb, viewKey: CryptoKey, recordId: string): Promise<{ row: RecordRowStored; payload: MessagePayload; index: number }> {
  const parsed = parseRecordId(recordId);
  const row = parsed === null ? undefined : await db.records.get(parsed.messageId);
  if (row === undefined || parsed === null) throw new NotInViewsError('No such record in this vault (erased, or not indexed yet).');
  const payload = await decryptField<MessagePayload>(viewKey, { table: 'records', id: row.id }, row.enc);
  return { row, payload, index: parsed.index };
}

/** The quarantine, newest first, decrypted. */
export async function quarantineEntries(db: VaultDb, viewKey: CryptoKey): Promise<QuarantineEntry[]> {
  const rows = await db.quarantine.reverse().toArray();
  const details = await decryptMany<unknown>(
    viewKey,
    rows.map((row) => ({ table: 'quarantine', id: String(row.seq), stored: row.enc })),
  );
  return rows.map((row, index) => quarantineEntryOf(row, details[index]));
}

function quarantineEntryOf(row: QuarantineRowStored, detail: unknown): QuarantineEntry {
  return {
    seq: row.seq,
    at: row.at,
    channel: row.channel,
    objectId: row.objectId,
    rawBytes: row.rawBytes,
    status: row.status,
    ...(row.resolvedAt === undefined ? {} : { resolvedAt: row.resolvedAt }),
    ...(row.heldAgainAs === undefined ? {} : { heldAgainAs: row.heldAgainAs }),
    detail: IntakeQuarantineSchema.parse(detail),
  };
}

export async function quarantineEntry(db: VaultDb, viewKey: CryptoKey, seq: number): Promise<QuarantineEntry> {
  const row = await db.quarantine.get(seq);
  if (row === undefined) throw new VaultError('E_NODE', 'No such quarantined message in this vault (not indexed yet?).');
  return quarantineEntryOf(row, await decryptField<unknown>(viewKey, { table: 'quarantine', id: String(row.seq) }, row.enc));
}

/** One record; its patientId is the survivor's when its patient was merged. */
export async function recordRow(db: VaultDb, viewKey: CryptoKey, recordId: string): Promise<RecordRow> {
  const { row, payload, index } = await messageOfRecord(db, viewKey, recordId);
  const raw = payloadRecords(payload)[index];
  if (raw === undefined) throw new VaultError('E_NODE', 'No such record in this vault.');
  const survivor = await resolvePatientId(db, row.patientId);
  const patientId = survivor !== row.patientId && (await db.patients.get(survivor)) !== undefined ? survivor : row.patientId;
  return rowOf(row, payload, raw, index, patientId);
}
