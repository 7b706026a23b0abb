import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ClinicalRecord, NormalizedIntake, Observation, Patient } from '../../../shared/domain/clinical';
import { createOpener } from '../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../shared/crypto/bytes';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { deidSourcesOf } from '../../../renderer/research/dataset-release';
import { correctionsOf } from '../../../renderer/features/patients/results-model';
import { personRecordRows } from '../../../renderer/vault/views/view-reads';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION } from '../vault/support/fake-body';

/**
 * The records a research release starts from are the patient's current results as the patient
 * views read them (results-model.ts correctionsOf, view-reads.ts): a correction replaces its
 * original, a result posted as wrong (W) or deleted (D) is no result, a U makes the preliminary
 * result final, and a lab message's PV1 stored as a visit at its message time is no encounter.
 */

const PATIENT: Patient = { identifiers: [{ value: 'MRN-1', authority: 'CLINIC', type: 'MR' }], name: { family: 'Keller', given: ['Anna'] }, sex: 'F' };
const AT = '2024-03-02T08:00:00Z';

function result(code: string, orderId: string, value: number, status: Observation['status'], resultStatus?: string): Observation {
  return { type: 'observation', category: 'laboratory', code: { code, system: 'LN', display: code }, value: { kind: 'numeric', value, unit: 'mmol/L' }, status, ...(resultStatus === undefined ? {} : { resultStatus }), time: AT, valueType: 'NM', orderId };
}

function message(messageType: string, messageId: string, records: ClinicalRecord[]): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient: PATIENT,
    records,
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) },
  };
}

describe('the records a release de-identifies', () => {
  it('are the current results and the chart’s visits: a correction without its original, no withdrawn (W) or deleted (D) result, a preliminary result a U made final, no lab-message visit', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('release-records-0001', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    await append(message('ADT^A04', 'M-1', [{ type: 'visit', patientClass: 'O', start: '2024-03-01T09:00:00Z', startFrom: 'EVN-6' }]));
    await append(
      message('ORU^R01', 'M-2', [
        // Stored before T1 D5: the lab message's PV1 without PV1-44, dated at MSH-7.
        { type: 'visit', patientClass: 'O', start: '2024-03-02T09:30:00Z' },
        result('2345-7', 'ORD-1', 5.0, 'F'),
        result('4548-4', 'ORD-2', 7.0, 'F'),
        result('2823-3', 'ORD-3', 4.0, 'P'),
        result('2951-2', 'ORD-4', 140, 'F'),
      ]),
    );
    await append(
      message('ORU^R01', 'M-3', [
        result('2345-7', 'ORD-1', 5.5, 'C'),
        result('4548-4', 'ORD-2', 7.0, 'P', 'W'),
        result('2823-3', 'ORD-3', 4.0, 'F', 'U'),
        result('2951-2', 'ORD-4', 140, 'P', 'D'),
      ]),
    );
    await replayJournal(context);
    const [row] = await db.patients.toArray();
    const [source] = await deidSourcesOf(db, keys.viewKey, [row!.id]);
    const records = source!.records.map((record) =>
      record.type === 'observation' ? [record.code.code, record.value.kind === 'numeric' ? record.value.value : null, record.resultStatus ?? record.status] : record.type === 'visit' ? ['visit', record.start] : [record.type],
    );
    expect(records).toEqual([
      ['visit', '2024-03-01T09:00:00Z'],
      ['2823-3', 4.0, 'F'],
      ['2345-7', 5.5, 'C'],
    ]);
  });

  it('a final result the lab sends again after its correction (F after C) is no second current result: the correction stays, in the views’ rule and in the release', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('release-records-0002', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    await append(message('ORU^R01', 'M-1', [result('2345-7', 'ORD-1', 5.0, 'F'), result('4548-4', 'ORD-2', 7.0, 'F')]));
    await append(message('ORU^R01', 'M-2', [result('2345-7', 'ORD-1', 5.5, 'C'), result('4548-4', 'ORD-2', 7.2, 'C')]));
    // The first message again, byte for byte (a resend), and the corrected HbA1c restated as final.
    await append(message('ORU^R01', 'M-3', [result('2345-7', 'ORD-1', 5.0, 'F')]));
    await append(message('ORU^R01', 'M-4', [result('4548-4', 'ORD-2', 7.2, 'F')]));
    await replayJournal(context);
    const [row] = await db.patients.toArray();
    const rows = (await personRecordRows(db, keys.viewKey, row!.id)).sort((a, b) => a.source.seq - b.source.seq);
    const corrections = correctionsOf(rows);
    const current = rows.filter((r) => !corrections.superseded.has(r.recordId)).map((r) => (r.record.type === 'observation' ? [r.record.code.code, r.record.value.kind === 'numeric' ? r.record.value.value : null, r.record.status] : [r.record.type]));
    expect(current).toEqual([
      ['2345-7', 5.5, 'C'],
      ['4548-4', 7.2, 'C'],
    ]);
    // The resent final is a version of the corrected result, as its original was.
    const resent = rows.find((r) => r.record.type === 'observation' && r.record.code.code === '2345-7' && r.record.status === 'F')!;
    expect(corrections.replacedBy.get(resent.recordId)?.record).toMatchObject({ status: 'C' });
    const [source] = await deidSourcesOf(db, keys.viewKey, [row!.id]);
    expect(source!.records.map((record) => (record.type === 'observation' ? [record.code.code, record.value.kind === 'numeric' ? record.value.value : null, record.status] : [record.type]))).toEqual(current);
  });

  it('a final result the lab sends again with another value (F after F) is one current result, the latest, in the views and in the release', async () => {
    const body = createFakeBody();
    const keys = await deriveVaultKeys(generateMasterSecret());
    body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
    body.session = TEST_ADMIN_SESSION;
    const db = openVaultDb('release-records-0003', { indexedDB: new IDBFactory(), IDBKeyRange });
    const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
    const append = (normalized: NormalizedIntake) => appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T05:23:00.000Z', rawBytes: 100, normalized } });
    await append(message('ORU^R01', 'M-1', [result('2345-7', 'ORD-1', 5.0, 'F')]));
    await append(message('ORU^R01', 'M-2', [result('2345-7', 'ORD-1', 5.5, 'F')]));
    await replayJournal(context);
    const [row] = await db.patients.toArray();
    const rows = (await personRecordRows(db, keys.viewKey, row!.id)).sort((a, b) => a.source.seq - b.source.seq);
    const corrections = correctionsOf(rows);
    const observed = (records: readonly { readonly type: string }[]) => (records as readonly ClinicalRecord[]).filter((record) => record.type === 'observation').map((record) => [record.code.code, record.value.kind === 'numeric' ? record.value.value : null, record.status]);
    expect(observed(rows.filter((r) => !corrections.superseded.has(r.recordId)).map((r) => r.record))).toEqual([['2345-7', 5.5, 'F']]);
    const [source] = await deidSourcesOf(db, keys.viewKey, [row!.id]);
    expect(observed(source!.records)).toEqual([['2345-7', 5.5, 'F']]);
  });
});
