import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { utf8Encode } from '../../../../shared/crypto/bytes';
import { quarantinedPatientId } from '../../../../renderer/vault/quarantine/quarantined-patient';
import { patientIdOf } from '../../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord } from '../support/fake-body';
import { ledgerVaultFixture } from '../../ledger/support/ledger-fixture';

/** H8 F1: a quarantined message that names a known patient is an access of that patient. */

const OKONKWO: Patient = { identifiers: [{ value: 'MRN100234', authority: 'CLINIC1', type: 'MR' }], name: { family: 'Okonkwo', given: ['Adaeze'] } };
const SECOND: Patient = { identifiers: [{ value: 'MRN200', authority: 'CLINIC1', type: 'MR' }], name: { family: 'Merged', given: ['Into'] } };

function intake(patient: Patient, messageId: string, rest: Partial<NormalizedIntake> = {}): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType: 'ADT^A04',
    patient,
    records: [],
    hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC1', mapping: 'mapped', dedupeKey: messageId.padEnd(64, 'a'), payloadSha256: 'b'.repeat(64) },
    ...rest,
  };
}

async function viewsOf(patients: readonly NormalizedIntake[]) {
  const f = await ledgerVaultFixture();
  for (const normalized of patients) {
    await appendSealedRecord(f.body, { kind: 'intake.hl7', raw: 'MSH|^~\\&|ADT|CLINIC1\r', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-12-07T15:00:00.000Z', rawBytes: 20, normalized } });
  }
  const db = openVaultDb(`test-quarantined-patient-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await replayJournal({ api: f.body.api, db, keys: f.keys, opener: f.opener, tokens: new TokenCache(f.keys.indexKey), isCurrent: () => true, roleOf: () => null });
  return { db, ledgerKey: f.keys.ledgerKey };
}

const NO_TYPE = (pid: string) => utf8Encode(`MSH|^~\\&|ADT|CLINIC1|HDMS|NODE|20261206150000||||BADTYPE-1|P|2.5.1\rEVN||20261206150000\r${pid}\rPV1|1|O\r`);

describe('quarantinedPatientId', () => {
  it("finds the chart a quarantined message's PID-3 names (the message with no type of H8's F1)", async () => {
    const { db, ledgerKey } = await viewsOf([intake(OKONKWO, 'A1')]);
    const found = await quarantinedPatientId(db, ledgerKey, NO_TYPE('PID|1||MRN100234^^^CLINIC1^MR||Okonkwo^Adaeze'));
    expect(found).toBe(await patientIdOf(ledgerKey, OKONKWO));
  });

  it('follows a merge to the surviving chart, and finds a chart by a later repetition of PID-3', async () => {
    const merge = intake(OKONKWO, 'A40', { messageType: 'ADT^A40', extendedRecords: [{ type: 'merge', survivor: OKONKWO.identifiers, merged: SECOND.identifiers, event: 'A40' }] });
    const { db, ledgerKey } = await viewsOf([intake(OKONKWO, 'A1'), intake(SECOND, 'A2'), merge]);
    const found = await quarantinedPatientId(db, ledgerKey, NO_TYPE('PID|1||UNKNOWN9^^^ELSEWHERE^MR~MRN200^^^CLINIC1^MR||Merged^Into'));
    expect(found).toBe(await patientIdOf(ledgerKey, OKONKWO));
  });

  it('names no one for a patient the vault does not hold, no PID, or bytes that are not HL7', async () => {
    const { db, ledgerKey } = await viewsOf([intake(OKONKWO, 'A1')]);
    expect(await quarantinedPatientId(db, ledgerKey, NO_TYPE('PID|1||MRN999^^^CLINIC1^MR||Nobody^Known'))).toBeNull();
    // Same value, another authority: another patient.
    expect(await quarantinedPatientId(db, ledgerKey, NO_TYPE('PID|1||MRN100234^^^OTHER^MR||Okonkwo^Adaeze'))).toBeNull();
    expect(await quarantinedPatientId(db, ledgerKey, utf8Encode('MSH|^~\\&|ADT|CLINIC1|||20261206||ADT^A04|X|P|2.5.1\r'))).toBeNull();
    expect(await quarantinedPatientId(db, ledgerKey, Uint8Array.of(0xff, 0x00, 0x41, 0x42))).toBeNull();
  });

  it("reads the PID with the message's own delimiters and escapes, as the intake filed it", async () => {
    const escaped: Patient = { identifiers: [{ value: 'A|7', authority: '1.2.3', type: 'MR' }], name: { family: 'Escaped', given: ['Ida'] } };
    const { db, ledgerKey } = await viewsOf([intake(escaped, 'A1')]);
    const bytes = utf8Encode('MSH#*~\\&#ADT#CLINIC1\rPID#1##A|7*2*3*&1.2.3*MR~ #X\r');
    expect(await quarantinedPatientId(db, ledgerKey, bytes)).toBe(await patientIdOf(ledgerKey, escaped));
    expect(await quarantinedPatientId(db, ledgerKey, NO_TYPE('PID|1||A\\F\\7^^^&1.2.3&ISO^MR||Escaped^Ida'))).toBe(await patientIdOf(ledgerKey, escaped));
  });
});
