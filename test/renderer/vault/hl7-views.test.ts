import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { IntakeQuarantine, NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import { decryptField, encryptField } from '../../../shared/crypto/field-cipher';
import { utf8Decode } from '../../../shared/crypto/bytes';
import { createdVaultOn, viewsOnFakeBody } from './support/fake-vault';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../renderer/vault/views/keyword-search';
import { OpenedRows } from '../../../renderer/vault/views/opened-rows';
import { patientDetail, quarantineEntries, resolveSearchIds } from '../../../renderer/vault/views/view-reads';
import { openVaultDb, recordsOfPatient, type VaultDb } from '../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, type FakeBody } from './support/fake-body';

const SURVIVOR: Patient = {
  identifiers: [{ value: 'MRN-1001', authority: 'CLINIC', type: 'MR' }],
  name: { family: 'Okonkwo', given: ['Adaeze'] },
  birthDate: '1975-04-12',
  sex: 'F',
};
const MERGED: Patient = {
  identifiers: [{ value: 'MRN-2002', authority: 'CLINIC', type: 'MR' }],
  name: { family: 'Okonkwo-Duplicate', given: ['Ada'] },
  birthDate: '1975-04-12',
  sex: 'F',
};
const OTHER: Patient = {
  identifiers: [{ value: 'MRN-3003', authority: 'CLINIC', type: 'MR' }],
  name: { family: 'Lindqvist', given: ['Sven'] },
};

function hl7(patient: Patient, messageType: string, messageId: string, rest: Partial<NormalizedIntake> = {}): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient,
    records: [],
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
    ...rest,
  };
}

const RAW_ORU = 'MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01^ORU_R01|MSG0002|P|2.5.1\rPID|1||MRN-1001^^^CLINIC^MR||Okonkwo^Adaeze\r';
const RAW_BAD = 'MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01|||2.5.1\r';

const QUARANTINED: IntakeQuarantine = {
  type: 'quarantine',
  channel: 'hl7-mllp',
  disposition: 'rejected',
  reason: 'MSH-10 (message control id) is empty.',
  acks: ['AR'],
  errorCode: 101,
  errorLocation: 'MSH^1^10',
  messageType: 'ORU^R01',
  sendingApplication: 'LAB',
  sendingFacility: 'CLINIC',
  source: '10.0.0.7',
};

/** The journal of an HL7 day: admissions, results, a vaccine, a quarantined message, a merge, and later messages. */
async function fillJournal(body: FakeBody): Promise<{ quarantineSeq: number }> {
  const meta = (normalized: NormalizedIntake) => ({ v: 1, channel: normalized.channel, receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized });
  await appendSealedRecord(body, {
    kind: 'intake.hl7',
    raw: 'MSH|^~\\&|ADT|CLINIC|||20250301||ADT^A01|MSG0001|P|2.5.1\r',
    meta: meta(
      hl7(MERGED, 'ADT^A01', 'MSG0001', {
        records: [{ type: 'visit', patientClass: 'I', location: 'Ward 3', start: '2025-03-01T08:00:00+01:00' }],
        extendedRecords: [
          { type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, allergenType: 'DA', severity: 'SV', reactions: ['Urticaria'] },
          { type: 'diagnosis', code: { code: 'I50.9', system: 'I10', display: 'Heart failure, unspecified' }, diagnosisType: 'A' },
        ],
      }),
    ),
  });
  await appendSealedRecord(body, {
    kind: 'intake.hl7',
    raw: RAW_ORU,
    meta: meta(
      hl7(SURVIVOR, 'ORU^R01', 'MSG0002', {
        records: [
          {
            type: 'observation',
            category: 'laboratory',
            code: { code: '2345-7', system: 'LN', display: 'Glucose' },
            value: { kind: 'numeric', value: 5, unit: 'mmol/L' },
            valueType: 'SN',
            valueDetail: { kind: 'structured-numeric', comparator: '<', value: 5 },
            status: 'F',
            time: '2025-03-01T08:15:00+01:00',
          },
        ],
        extendedRecords: [
          { type: 'report', kind: 'result', code: { code: '36643-5', system: 'LN', display: 'Chest X-ray' }, time: '2025-03-01T08:15:00+01:00', text: 'Cardiomegaly without effusion.', status: 'F' },
        ],
      }),
    ),
  });
  await appendSealedRecord(body, { kind: 'intake.somethingNew', meta: { v: 1 } });
  const { seq: quarantineSeq } = await appendSealedRecord(body, {
    kind: 'intake.quarantine',
    raw: RAW_BAD,
    meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:21:00.000Z', rawBytes: RAW_BAD.length, quarantine: QUARANTINED },
  });
  await appendSealedRecord(body, {
    kind: 'intake.hl7',
    meta: meta(
      hl7(OTHER, 'VXU^V04', 'MSG0003', {
        extendedRecords: [{ type: 'immunization', vaccine: { code: '141', system: 'CVX', display: 'Influenza, seasonal' }, time: '2025-03-01T09:00:00+01:00', amount: 0.5, unit: 'mL', lotNumbers: ['LOT42'] }],
      }),
    ),
  });
  // A40: MRN-2002 is merged into MRN-1001.
  await appendSealedRecord(body, {
    kind: 'intake.hl7',
    meta: meta(
      hl7(SURVIVOR, 'ADT^A40', 'MSG0004', {
        extendedRecords: [{ type: 'merge', survivor: SURVIVOR.identifiers, merged: MERGED.identifiers, event: 'A40' }],
      }),
    ),
  });
  // A late order for the merged identifier: it belongs to the survivor too.
  await appendSealedRecord(body, {
    kind: 'intake.hl7',
    meta: meta(
      hl7(MERGED, 'ORM^O01', 'MSG0005', {
        extendedRecords: [{ type: 'order', control: 'NW', code: { code: '24323-8', system: 'LN', display: 'Comprehensive metabolic panel' }, priority: 'S', time: '2025-03-02T10:00:00+01:00' }],
      }),
    ),
  });
  return { quarantineSeq };
}

const setup = () => viewsOnFakeBody('hl7-vault-0001');

async function viewDump(db: VaultDb, viewKey: CryptoKey) {
  return {
    patients: await Promise.all((await db.patients.toArray()).map(async (r) => ({ id: r.id, tokens: r.tokens, value: await decryptField(viewKey, { table: 'patients', id: r.id }, r.enc) }))),
    records: await Promise.all((await db.records.toArray()).map(async (r) => ({ ...r, enc: undefined, value: await decryptField(viewKey, { table: 'records', id: r.id }, r.enc) }))),
    merges: await db.merges.toArray(),
    quarantine: await Promise.all((await db.quarantine.toArray()).map(async (r) => ({ ...r, enc: undefined, value: await decryptField(viewKey, { table: 'quarantine', id: String(r.seq) }, r.enc) }))),
    postings: [...new Set((await db.postings.toArray()).flatMap((row) => row.ids.map((id) => `${row.id.split('|')[0]!}:${id}`)))].sort(),
  };
}

async function search(db: VaultDb, indexKey: CryptoKey, query: string): Promise<string[]> {
  return resolveSearchIds(db, await searchPatientIds(db, indexKey, query, 'chart-and-studies'), query.trim() === '');
}

describe('HL7 views: extended records, merges, quarantine', () => {
  it('replays intake.hl7 like intake.demo, indexes extended records, skips unknown intake kinds', async () => {
    const { body, db, keys, context } = await setup();
    await fillJournal(body);
    await replayJournal(context);
    expect((await db.meta.get('problems'))?.value).toBeUndefined();

    const survivorId = (await search(db, keys.indexKey, 'MRN-1001'))[0]!;
    expect(await search(db, keys.indexKey, 'cardiomegaly')).toEqual([survivorId]); // report text words
    expect(await search(db, keys.indexKey, 'I50.9')).toEqual([survivorId]); // diagnosis code (merged patient's)
    expect(await search(db, keys.indexKey, 'penicillin')).toEqual([survivorId]); // allergy words
    expect(await search(db, keys.indexKey, '24323-8')).toEqual([survivorId]); // order code
    const other = await search(db, keys.indexKey, 'influenza');
    expect(other).toHaveLength(1);
    expect(other).not.toEqual([survivorId]);

    const detail = await patientDetail(db, keys.viewKey, survivorId);
    expect(detail.records.map((r) => r.record.type).sort()).toEqual(['allergy', 'diagnosis', 'observation', 'order', 'report', 'visit']);
    const report = detail.records.find((r) => r.record.type === 'report')!;
    expect(report.source).toMatchObject({ messageType: 'ORU^R01', messageId: 'MSG0002', mapping: 'mapped', hasRaw: true });
    // An undated allergy takes the time the message was received.
    expect(detail.records.find((r) => r.record.type === 'allergy')!.time).toBe('2025-03-01T08:20:00.000Z');
  });

  it('opens a patient again from the rows this session opened, decrypting only what was written since (OpenedRows)', async () => {
    const { body, db, keys, context } = await setup();
    await fillJournal(body);
    await replayJournal(context);
    const survivorId = (await search(db, keys.indexKey, 'MRN-1001'))[0]!;
    const opened = new OpenedRows();
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    try {
      const first = await patientDetail(db, keys.viewKey, survivorId, opened);
      const firstCalls = decrypt.mock.calls.length;
      const messageRows = opened.size;
      expect(messageRows).toBeGreaterThan(1);
      const again = await patientDetail(db, keys.viewKey, survivorId, opened);
      expect(again).toEqual(first);
      // The patient rows again, none of the message rows.
      expect(decrypt.mock.calls.length - firstCalls).toBe(firstCalls - messageRows);

      // One message row written again since (what a correction or a merge does): read afresh.
      const row = (await recordsOfPatient(db, survivorId).first())!;
      const payload = await decryptField<Record<string, unknown>>(keys.viewKey, { table: 'records', id: row.id }, row.enc);
      await db.records.put({ ...row, enc: await encryptField(keys.viewKey, { table: 'records', id: row.id }, { ...payload, messageType: 'ORU^R01^CORRECTED' }) });
      const before = decrypt.mock.calls.length;
      const third = await patientDetail(db, keys.viewKey, survivorId, opened);
      expect(decrypt.mock.calls.length - before).toBe(firstCalls - messageRows + 1);
      expect(third.records.filter((r) => r.source.seq === row.seq).map((r) => r.source.messageType)).toEqual(
        first.records.filter((r) => r.source.seq === row.seq).map(() => 'ORU^R01^CORRECTED'),
      );
    } finally {
      decrypt.mockRestore();
    }
  });

  it('applies merges: search answers the survivor, the merged patient opens as the survivor with all records', async () => {
    const { body, db, keys, context } = await setup();
    await fillJournal(body);
    await replayJournal(context);
    const [survivorId] = await search(db, keys.indexKey, 'Adaeze');
    // The merged patient's own name and MRN find the survivor.
    expect(await search(db, keys.indexKey, 'Okonkwo-Duplicate')).toEqual([survivorId]);
    expect(await search(db, keys.indexKey, 'MRN-2002')).toEqual([survivorId]);
    // Both share "Okonkwo": one hit, not two.
    expect(await search(db, keys.indexKey, 'Okonkwo')).toEqual([survivorId]);
    // The whole list leaves the merged patient out.
    expect(await search(db, keys.indexKey, '')).toHaveLength(2);

    const mergedId = (await db.merges.toArray())[0]!.merged;
    const detail = await patientDetail(db, keys.viewKey, mergedId);
    expect(detail.patientId).toBe(survivorId);
    expect(detail.patient.name.family).toBe('Okonkwo');
    expect(detail.mergedPatients?.map((p) => p.identifiers[0]!.value)).toEqual(['MRN-2002']);
    expect(detail.records.every((r) => r.patientId === survivorId)).toBe(true);
    expect(detail.records.some((r) => r.record.type === 'order')).toBe(true);
  });

  it('lists quarantined inputs with encrypted details, and marks them resolved', async () => {
    const { body, db, keys, context } = await setup();
    const { quarantineSeq } = await fillJournal(body);
    await replayJournal(context);
    const stored = await db.quarantine.get(quarantineSeq);
    expect(stored).toMatchObject({ seq: quarantineSeq, channel: 'hl7-mllp', status: 'open', at: '2025-03-01T08:21:00.000Z' });
    expect(JSON.stringify(stored)).not.toContain('MSH-10');
    expect(new TextDecoder('latin1').decode(stored!.enc)).not.toContain('control id');
    const [entry] = await quarantineEntries(db, keys.viewKey);
    expect(entry!.detail).toEqual(QUARANTINED);

    await appendSealedRecord(body, { kind: 'intake.discarded', meta: { v: 1, type: 'discarded', quarantineSeq } });
    await replayJournal(context);
    expect((await quarantineEntries(db, keys.viewKey))[0]).toMatchObject({ seq: quarantineSeq, status: 'discarded' });
  });

  it('an erasure that took quarantined inputs removes them from a window that had listed them (replay, not the erasing window)', async () => {
    const { body, db, keys, context } = await setup();
    const { quarantineSeq } = await fillJournal(body);
    await replayJournal(context);
    expect(await db.quarantine.get(quarantineSeq)).toBeDefined();
    expect(await db.messages.get(quarantineSeq)).toBeDefined();
    const countBefore = (await db.meta.get('messageCount'))?.value;
    await appendSealedRecord(body, { kind: 'erasure.patient', meta: { v: 1, patientId: 'p-erased', messages: 0, records: 0, objects: 1, quarantined: [quarantineSeq] } });
    await replayJournal(context);
    expect(await db.quarantine.get(quarantineSeq)).toBeUndefined();
    expect(await db.messages.get(quarantineSeq)).toBeUndefined();
    expect(typeof countBefore).toBe('number');
    expect((await db.meta.get('messageCount'))?.value).toBe((countBefore as number) - 1);
    expect(await quarantineEntries(db, keys.viewKey)).toEqual([]);
  });

  it('QA2-11 Q2: a reprocess held again marks the entry reprocessed and names the new entry', async () => {
    const { body, db, keys, context } = await setup();
    const { quarantineSeq } = await fillJournal(body);
    const again = await appendSealedRecord(body, { kind: 'intake.quarantine', meta: { v: 1, channel: 'hl7-reprocess', receivedAt: '2025-03-01T08:30:00.000Z', objectId: null, rawBytes: 10, quarantine: { ...QUARANTINED, channel: 'hl7-reprocess' } } });
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq, resolved: true, heldAgainAs: [again.seq], results: [] } });
    await replayJournal(context);
    const entries = await quarantineEntries(db, keys.viewKey);
    expect(entries.find((entry) => entry.seq === quarantineSeq)).toMatchObject({ status: 'reprocessed', heldAgainAs: [again.seq] });
    expect(entries.find((entry) => entry.seq === again.seq)).toMatchObject({ status: 'open' });
    expect(entries.find((entry) => entry.seq === again.seq)).not.toHaveProperty('heldAgainAs');
  });

  it('rebuilds identically: a fresh replay equals the page-by-page one', async () => {
    const { body, db, keys, context } = await setup();
    const { quarantineSeq } = await fillJournal(body);
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq, results: [] } });
    const all = [...body.journal];
    body.journal.length = 0;
    for (const part of [all.slice(0, 2), all.slice(2, 4), all.slice(4, 6), all.slice(6)]) {
      body.journal.push(...part);
      await replayJournal(context);
    }
    const incremental = await viewDump(db, keys.viewKey);
    expect(incremental.quarantine[0]).toMatchObject({ status: 'reprocessed' });
    const fresh = openVaultDb('hl7-vault-0002', { indexedDB: new IDBFactory(), IDBKeyRange });
    await replayJournal({ ...context, db: fresh });
    expect(await viewDump(fresh, keys.viewKey)).toEqual(incremental);
  });
});

describe('VaultService: raw messages', () => {
  it('opens a quarantined input and a record’s raw message (the latter journaled as an access)', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    const { quarantineSeq } = await fillJournal(body);
    await vault.sync();

    const [entry] = await vault.quarantine();
    expect(entry).toMatchObject({ seq: quarantineSeq, status: 'open', detail: { reason: QUARANTINED.reason } });
    const raw = await vault.openQuarantinedRaw(quarantineSeq);
    expect(utf8Decode(raw.bytes)).toBe(RAW_BAD);

    const { patientIds } = await vault.search('cardiomegaly');
    const detail = await vault.openPatient(patientIds[0]!);
    const report = detail.records.find((r) => r.record.type === 'report')!;
    const accesses = () => body.journal.filter((r) => r.kind === 'view.access').length;
    const accessesBefore = accesses();
    const message = await vault.openRecordRaw(report.recordId);
    expect(utf8Decode(message.bytes)).toBe(RAW_ORU);
    // The whole message is an access of its own, though the patient page was opened just now (QA11 D2).
    expect(accesses()).toBe(accessesBefore + 1);
    // The same message again, from the message browser, and the record itself: views the window holds already.
    expect(utf8Decode((await vault.openMessageRaw(message.seq)).bytes)).toBe(RAW_ORU);
    await vault.openRecord(report.recordId);
    await vault.openPatient(patientIds[0]!);
    expect(accesses()).toBe(accessesBefore + 1);
    // Another raw message of the same patient (the admission of the identifier merged into her): another access.
    const admission = body.journal.find((r) => r.kind === 'intake.hl7' && r.objects.length > 0 && r.seq !== message.seq)!;
    await vault.openMessageRaw(admission.seq);
    expect(accesses()).toBe(accessesBefore + 2);
  });

  it('a message\'s page in the browser (its patient, the records it filed) is an access of that patient, once per window with her chart (tester T2 S35 F1)', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    await fillJournal(body);
    await vault.sync();
    const accesses = () => body.journal.filter((r) => r.kind === 'view.access').length;
    const { messages } = await vault.messages({});
    const filed = messages.filter((m) => m.kind === 'intake.hl7' && (m.records ?? 0) > 0);
    expect(filed.length).toBeGreaterThan(1);
    const before = accesses();
    const detail = await vault.openMessage(filed[0]!.seq);
    expect(detail.patient).not.toBeNull();
    expect(detail.records?.length).toBeGreaterThan(0);
    expect(accesses()).toBe(before + 1);
    // Her other message, her page: the window is open. A quarantined input's page names no patient: none.
    await vault.openMessage(filed[1]!.seq);
    await vault.openPatient(detail.patient!.patientId);
    const quarantined = messages.find((m) => m.kind === 'intake.quarantine')!;
    expect((await vault.openMessage(quarantined.seq)).patient).toBeNull();
    expect(accesses()).toBe(before + 1);
  });

  it('QA s33 D4: a message reprocessed with the operator\'s charset opens read as that charset, from the browser and from its record', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    // Latin-1 bytes, MSH-18 empty: the body read them as 8859/1 because the operator chose it at reprocess.
    const raw = Uint8Array.from(Buffer.from('MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01|L-1|P|2.3.1\rPID|1||MRN-1001^^^CLINIC^MR||Schäfer^Max\r', 'latin1'));
    const quarantined = await appendSealedRecord(body, { kind: 'intake.quarantine', raw, meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:30:00.000Z', rawBytes: raw.length, quarantine: QUARANTINED } });
    const patient: Patient = { identifiers: [{ value: 'MRN-1001', authority: 'CLINIC', type: 'MR' }], name: { family: 'Schäfer', given: ['Max'] } };
    const reprocessOf = { quarantineSeq: quarantined.seq, edited: false, charset: '8859/1' };
    const stored = await appendSealedRecord(body, {
      kind: 'intake.hl7',
      raw,
      meta: { v: 1, channel: 'hl7-reprocess', receivedAt: '2025-03-01T08:40:00.000Z', rawBytes: raw.length, normalized: hl7(patient, 'ORU^R01', 'L-1', { channel: 'hl7-reprocess', records: [{ type: 'observation', category: 'laboratory', code: { code: '2951-2', system: 'LN', display: 'Sodium' }, value: { kind: 'numeric', value: 140, unit: 'mmol/L' }, status: 'F', time: '2025-03-01T08:00:00+01:00' }], hl7: { version: '2.3.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'e'.repeat(64), payloadSha256: 'f'.repeat(64), reprocessOf } }) },
    });
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: quarantined.seq, resolved: true, charset: '8859/1', results: [] } });
    await vault.sync();

    expect(await vault.openMessageRaw(stored.seq)).toMatchObject({ charset: '8859/1', charsetChosenAtReprocess: true });
    const { patientIds } = await vault.search('MRN-1001');
    const detail = await vault.openPatient(patientIds[0]!);
    expect(await vault.openRecordRaw(detail.records[0]!.recordId)).toMatchObject({ charset: '8859/1', charsetChosenAtReprocess: true });
    // The quarantined original keeps what its own header says (nothing chosen for it).
    expect(await vault.openMessageRaw(quarantined.seq)).not.toHaveProperty('charsetChosenAtReprocess');
  });

  it('QA s33 D5: an MFN or inbound ACK kept "not mapped" is listed in the message browser as such, never in the quarantine', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    const mfn = 'MSH|^~\\&|HRSYS|CLINIC|HDMS|NODE|20250301081500||MFN^M02|MFN-1|P|2.5.1\rMFI|PRA||UPD\r';
    const unmapped = (messageType: string, messageId: string, acks: string[]) => ({
      v: 1,
      channel: 'hl7-mllp',
      receivedAt: '2025-03-01T08:30:00.000Z',
      rawBytes: mfn.length,
      quarantine: { type: 'quarantine', channel: 'hl7-mllp', disposition: 'not-mapped', reason: 'Stored, type not mapped.', acks, messageType, messageId, sendingApplication: 'HRSYS', sendingFacility: 'CLINIC', source: '10.0.0.7' },
    });
    const stored = await appendSealedRecord(body, { kind: 'intake.quarantine', raw: mfn, meta: unmapped('MFN^M02', 'MFN-1', ['AA']) });
    const ack = await appendSealedRecord(body, { kind: 'intake.quarantine', raw: mfn, meta: unmapped('ACK^A01', 'ACK-1', []) });
    await appendSealedRecord(body, { kind: 'intake.quarantine', raw: RAW_BAD, meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:31:00.000Z', rawBytes: 10, quarantine: QUARANTINED } });
    await vault.sync();

    expect((await vault.quarantine()).map((entry) => entry.detail.disposition)).toEqual(['rejected']);
    const page = await vault.messages({ status: 'not-mapped' });
    expect(page.messages.map((message) => [message.seq, message.status, message.messageType])).toEqual([
      [ack.seq, 'not-mapped', 'ACK^A01'],
      [stored.seq, 'not-mapped', 'MFN^M02'],
    ]);
  });

  it('reads a patient\'s allergies for their record page (the merged identifier\'s too) without journaling another access', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    await fillJournal(body);
    await vault.sync();
    const { patientIds } = await vault.search('MRN-1001');
    const before = body.journal.length;
    const allergies = await vault.patientAllergies(patientIds[0]!);
    expect(allergies.map((row) => row.record)).toEqual([{ type: 'allergy', allergen: { code: '7980', system: 'RXNORM', display: 'Penicillin G' }, allergenType: 'DA', severity: 'SV', reactions: ['Urticaria'] }]);
    expect(body.journal.length).toBe(before);
    expect(await vault.patientAllergies((await vault.search('influenza')).patientIds[0]!)).toEqual([]);
  });

  it('journals an access when a quarantined input is opened (its raw bytes may name a patient)', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    const { quarantineSeq } = await fillJournal(body);
    await vault.sync();
    const before = body.journal.length;
    await vault.openQuarantinedRaw(quarantineSeq);
    const added = body.journal.slice(before);
    expect(added.map((r) => r.kind)).toEqual(['view.quarantined']);
    const operatorIds = new Set(body.journal.filter((r) => r.kind === 'operator.changed').map((r) => r.operator));
    expect(operatorIds.has(added[0]!.operator)).toBe(true);
  });

  it('erasing a patient also erases the quarantined inputs their records were reprocessed from, edited or not, held again or not (security audit round 4 #1)', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    const quarantineMeta = (raw: string) => ({ v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:21:00.000Z', rawBytes: raw.length, quarantine: QUARANTINED });
    const intakeMeta = (normalized: NormalizedIntake) => ({ v: 1, channel: 'hl7-reprocess', receivedAt: '2025-03-01T08:40:00.000Z', rawBytes: 100, normalized });
    // The patient's input, quarantined (no control id), reprocessed once, held again, then edited and reprocessed into her chart.
    const firstRaw = 'PIDX|no MSH Zqxwvutsrq QQ9988776655 19230417';
    const first = await appendSealedRecord(body, { kind: 'intake.quarantine', raw: firstRaw, meta: quarantineMeta(firstRaw) });
    const again = await appendSealedRecord(body, { kind: 'intake.quarantine', raw: firstRaw, meta: { ...quarantineMeta(firstRaw), channel: 'hl7-reprocess' } });
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: first.seq, resolved: true, heldAgainAs: [again.seq], results: [] } });
    const patient: Patient = { identifiers: [{ value: 'QQ9988776655', authority: 'CLINIC', type: 'MR' }], name: { family: 'Zqxwvutsrq', given: ['Yplmkojnib'] } };
    const filed = await appendSealedRecord(body, {
      kind: 'intake.hl7',
      raw: 'MSH|^~\\&|ADT|CLINIC|||20250301||ADT^A01|EDITED1|P|2.5.1\rPID|1||QQ9988776655^^^CLINIC^MR||Zqxwvutsrq^Yplmkojnib\r',
      meta: intakeMeta(hl7(patient, 'ADT^A01', 'EDITED1', { channel: 'hl7-reprocess', hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'c'.repeat(64), payloadSha256: 'd'.repeat(64), reprocessOf: { quarantineSeq: again.seq, edited: true } } })),
    });
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: again.seq, resolved: true, results: [] } });
    // Another patient's quarantined input stays.
    const otherRaw = 'MSH|^~\\&|LAB|CLINIC|HDMS|NODE|20250301081500||ORU^R01|||2.5.1\rPID|1||MRN-3003^^^CLINIC^MR||Lindqvist^Sven\r';
    const other = await appendSealedRecord(body, { kind: 'intake.quarantine', raw: otherRaw, meta: quarantineMeta(otherRaw) });
    await vault.sync();
    expect((await vault.quarantine()).map((entry) => entry.seq).sort()).toEqual([first.seq, again.seq, other.seq]);

    const [patientId] = (await vault.search('Zqxwvutsrq')).patientIds;
    await vault.erasePatient(patientId!);
    const kindOf = (seq: number) => body.journal[seq - 1]!.kind;
    expect([kindOf(first.seq), kindOf(again.seq), kindOf(filed.seq)]).toEqual(['erased', 'erased', 'erased']);
    expect(kindOf(other.seq)).toBe('intake.quarantine');
    const erased = body.calls.filter((call) => call.method === 'vault.erase').map((call) => call.payload as { objects: string[] });
    expect(erased.flatMap((call) => call.objects)).toEqual(expect.arrayContaining([first.objectId, again.objectId, filed.objectId]));
    expect(erased.flatMap((call) => call.objects)).not.toContain(other.objectId);
    // This window, and a window that rebuilds its views from the journal, list only the other input.
    expect((await vault.quarantine()).map((entry) => entry.seq)).toEqual([other.seq]);
    expect((await vault.messages({})).messages.map((message) => message.seq)).toEqual([other.seq]);
    await vault.rebuildIndex();
    expect((await vault.quarantine()).map((entry) => entry.seq)).toEqual([other.seq]);
    const erasure = body.journal.find((r) => r.kind === 'erasure.patient')!;
    expect(erasure.seq).toBeGreaterThan(other.seq);
  });

  it('erases a survivor together with the patients merged into it', async () => {
    const body = createFakeBody();
    const vault = await createdVaultOn(body);
    await fillJournal(body);
    await vault.sync();
    const [survivorId] = (await vault.search('Adaeze')).patientIds;
    await vault.erasePatient(survivorId!);
    expect((await vault.search('Okonkwo')).patientIds).toEqual([]);
    expect((await vault.search('penicillin')).patientIds).toEqual([]);
    expect(body.journal.filter((r) => r.kind === 'erasure.patient')).toHaveLength(2);
  });
});
