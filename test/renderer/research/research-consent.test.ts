import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../shared/domain/clinical';
import { NO_RESEARCH_POLICY, releaseProfileOf } from '../../../shared/research/consent';
import { createVaultService } from '../../../renderer/vault/create-vault-service';
import { appendSealedRecord, createFakeBody, type FakeBody } from '../vault/support/fake-body';

/**
 * Research consent in the mind (issue 14 item 1; its Tests: "consent gating"): the policy and the
 * patients' records are journaled as authenticated mind events and read back from the views; only
 * patients the policy and their latest record allow are ever counted, and a withdrawal removes the
 * patient from every later answer.
 */
const patient = (mrn: string, family: string): Patient => ({ identifiers: [{ value: mrn, authority: 'CLINIC', type: 'MR' }], name: { family, given: ['Test'] }, birthDate: '1970-05-05', sex: 'F' });

async function admit(body: FakeBody, p: Patient, id: string, records: NormalizedIntake['records'] = []): Promise<void> {
  const normalized: NormalizedIntake = {
    channel: 'hl7-mllp',
    messageId: id,
    messageType: records.length > 0 ? 'ORU^R01' : 'ADT^A01',
    patient: p,
    records,
    hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: id.padEnd(64, '0'), payloadSha256: 'b'.repeat(64) },
  };
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-03-01T08:20:00.000Z', rawBytes: 100, normalized } });
}

async function setup() {
  const body = createFakeBody();
  const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
  await vault.ready();
  await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
  await admit(body, patient('MRN-1', 'Ahlberg'), 'MSG1');
  await admit(body, patient('MRN-2', 'Brandt'), 'MSG2');
  await admit(body, patient('MRN-3', 'Castell'), 'MSG3');
  await vault.sync();
  const ids = Object.fromEntries(await Promise.all(['Ahlberg', 'Brandt', 'Castell'].map(async (name) => [name, (await vault.search(name)).patientIds[0]!] as const)));
  return { body, vault, ids };
}

describe('research consent', () => {
  it('counts nobody before a policy enables a purpose', async () => {
    const { vault, ids } = await setup();
    expect(await vault.research.policy()).toEqual(NO_RESEARCH_POLICY);
    await vault.research.record({ patientId: ids['Ahlberg']!, purpose: 'research-sale', state: 'granted', decidedOn: '2026-01-10' });
    expect(await vault.research.allowed(Object.values(ids), 'research-sale')).toEqual(new Set());
  });

  it('opt-in counts only granted patients, and a withdrawal removes the patient; opt-out counts all but refused and withdrawn', async () => {
    const { body, vault, ids } = await setup();
    await vault.research.setPolicy({ mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review' });
    await vault.research.record({ patientId: ids['Ahlberg']!, purpose: 'research-sale', state: 'granted', decidedOn: '2026-01-10' });
    await vault.research.record({ patientId: ids['Brandt']!, purpose: 'research-sale', state: 'refused', decidedOn: '2026-01-11' });
    await vault.research.record({ patientId: ids['Castell']!, purpose: 'research-no-sale', state: 'granted', decidedOn: '2026-01-12' });
    const all = Object.values(ids);
    expect(await vault.research.allowed(all, 'research-sale')).toEqual(new Set([ids['Ahlberg']]));
    expect(await vault.research.allowed(all, 'research-no-sale')).toEqual(new Set());

    await vault.research.record({ patientId: ids['Ahlberg']!, purpose: 'research-sale', state: 'withdrawn', decidedOn: '2026-02-01' });
    expect(await vault.research.allowed(all, 'research-sale')).toEqual(new Set());

    await vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic' });
    expect(await vault.research.allowed(all, 'research-sale')).toEqual(new Set([ids['Castell']]));
    expect(await vault.research.allowed(all, 'research-no-sale')).toEqual(new Set(all));

    // The history, newest first, with who recorded it; each record and the policy are journaled as mind events.
    const history = await vault.research.history(ids['Ahlberg']!);
    expect(history.map((entry) => [entry.state, entry.decidedOn, entry.operatorName])).toEqual([
      ['withdrawn', '2026-02-01', 'Ada Admin'],
      ['granted', '2026-01-10', 'Ada Admin'],
    ]);
    expect(body.journal.filter((record) => record.kind === 'consent.recorded')).toHaveLength(4);
    expect(body.journal.filter((record) => record.kind === 'settings.researchPolicy')).toHaveLength(2);
    // Nothing of the patient in the journal's plaintext: the kind and the operator's pseudonym only.
    for (const record of body.journal.filter((r) => r.kind === 'consent.recorded')) expect(JSON.stringify(record)).not.toMatch(/Ahlberg|MRN-1|research-sale/);
  });

  it('a chart merged into another (ADT^A40) is the same person: the latest decision on either chart is theirs', async () => {
    const { body, vault, ids } = await setup();
    await admit(body, patient('MRN-4', 'Ahlbergg'), 'MSG4');
    await vault.sync();
    const mergedId = (await vault.search('Ahlbergg')).patientIds[0]!;
    await vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'review' });
    // Withdrawn on the chart that was later merged into Ahlberg's.
    await vault.research.record({ patientId: mergedId, purpose: 'research-sale', state: 'withdrawn', decidedOn: '2026-01-10' });
    const merge: NormalizedIntake = {
      channel: 'hl7-mllp',
      messageId: 'A40-1',
      messageType: 'ADT^A40',
      patient: patient('MRN-1', 'Ahlberg'),
      records: [],
      extendedRecords: [{ type: 'merge', survivor: patient('MRN-1', 'Ahlberg').identifiers, merged: patient('MRN-4', 'Ahlbergg').identifiers, event: 'A40' }],
      hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'A40-1'.padEnd(64, '0'), payloadSha256: 'b'.repeat(64) },
    };
    await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2026-03-01T08:21:00.000Z', rawBytes: 100, normalized: merge } });
    await vault.sync();
    expect(await vault.research.allowed([ids['Ahlberg']!, ids['Brandt']!], 'research-sale')).toEqual(new Set([ids['Brandt']]));
    expect(await vault.research.allowed([mergedId], 'research-no-sale')).toEqual(new Set([mergedId]));
    // Opt-in: a grant recorded on the surviving chart after the merge is the person's latest decision.
    await vault.research.setPolicy({ mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'review' });
    await vault.research.record({ patientId: ids['Ahlberg']!, purpose: 'research-sale', state: 'granted', decidedOn: '2026-02-01' });
    expect(await vault.research.allowed([ids['Ahlberg']!, mergedId], 'research-sale')).toEqual(new Set([ids['Ahlberg'], mergedId]));
    expect(await vault.research.allowed([ids['Ahlberg']!], 'research-no-sale')).toEqual(new Set());
  });

  it('journals the release profile with the policy; a policy without one releases under Safe Harbor; a shift over 365 days is refused', async () => {
    const { body, vault } = await setup();
    const base = { mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review' } as const;
    await vault.research.setPolicy(base);
    expect(releaseProfileOf(await vault.research.policy())).toEqual({ profile: 'safe-harbor', maxShiftDays: 180, dicomOptions: [] });
    await vault.research.setPolicy({ ...base, releaseProfile: 'longitudinal', maxShiftDays: 90 });
    expect(await vault.research.policy()).toEqual({ v: 1, ...base, releaseProfile: 'longitudinal', maxShiftDays: 90 });
    expect(releaseProfileOf(await vault.research.policy())).toEqual({ profile: 'longitudinal', maxShiftDays: 90, dicomOptions: [] });
    expect(body.journal.filter((record) => record.kind === 'settings.researchPolicy')).toHaveLength(2);
    await expect(vault.research.setPolicy({ ...base, releaseProfile: 'longitudinal', maxShiftDays: 366 })).rejects.toThrow(/1 to 365 days/);
    expect(body.journal.filter((record) => record.kind === 'settings.researchPolicy')).toHaveLength(2);
  });

  it('journals the DICOM Options with the policy, in a fixed order; Retain Device Identity only under the longitudinal profile', async () => {
    const { body, vault } = await setup();
    const base = { mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'review' } as const;
    await vault.research.setPolicy({ ...base, dicomOptions: ['retainInstitutionIdentity', 'cleanDescriptors'] });
    expect(releaseProfileOf(await vault.research.policy())).toEqual({ profile: 'safe-harbor', maxShiftDays: 180, dicomOptions: ['cleanDescriptors', 'retainInstitutionIdentity'] });
    await expect(vault.research.setPolicy({ ...base, dicomOptions: ['retainDeviceIdentity'] })).rejects.toThrow(/not allowed under HIPAA Safe Harbor: device serial numbers/);
    await expect(vault.research.setPolicy({ ...base, dicomOptions: ['retainUids' as 'cleanDescriptors'] })).rejects.toThrow(/not complete/);
    expect(body.journal.filter((record) => record.kind === 'settings.researchPolicy')).toHaveLength(1);
    await vault.research.setPolicy({ ...base, releaseProfile: 'longitudinal', dicomOptions: ['retainDeviceIdentity'] });
    expect(releaseProfileOf(await vault.research.policy()).dicomOptions).toEqual(['retainDeviceIdentity']);
    // Read under Safe Harbor (a purchase whose offers were Safe Harbor), the Option is left out.
    expect(releaseProfileOf({ ...(await vault.research.policy()), releaseProfile: 'safe-harbor' }).dicomOptions).toEqual([]);
  });

  it('refuses a record for an unknown patient, a date in the future, and a policy below the minimum cell size', async () => {
    const { vault, ids } = await setup();
    await expect(vault.research.record({ patientId: 'nobody', purpose: 'research-sale', state: 'granted', decidedOn: '2026-01-10' })).rejects.toThrow(/No such patient/);
    await expect(vault.research.record({ patientId: ids['Brandt']!, purpose: 'research-sale', state: 'granted', decidedOn: '2999-01-01' })).rejects.toThrow(/future/);
    await expect(vault.research.setPolicy({ mode: 'opt-in', purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 4, answering: 'review' })).rejects.toThrow(/at least 5/);
  });

  it('QA round 4, #7: refuses a decision dated on a day no calendar has (2026-02-30, 2025-13-01, 2026-13-45), saying it is not a date; nothing is recorded', async () => {
    const { vault, ids } = await setup();
    for (const decidedOn of ['2026-02-30', '2025-13-01', '2026-13-45', '2025-00-10', '2025-04-31', '2025-02-29']) {
      await expect(vault.research.record({ patientId: ids['Brandt']!, purpose: 'research-sale', state: 'granted', decidedOn }), decidedOn).rejects.toThrow(/is not a date/);
    }
    expect(await vault.research.history(ids['Brandt']!)).toEqual([]);
    // A leap day is a date.
    await vault.research.record({ patientId: ids['Brandt']!, purpose: 'research-sale', state: 'granted', decidedOn: '2024-02-29' });
    expect((await vault.research.history(ids['Brandt']!)).map((entry) => entry.decidedOn)).toEqual(['2024-02-29']);
  });
});

describe('a query evaluated on the clinic\'s views', () => {
  const hba1c = (value: number, time: string): NormalizedIntake['records'][number] => ({ type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value, unit: '%' }, status: 'F', time });

  it('counts only consenting matches, hides a cohort under the minimum cell size, and gives a KEY list only above it', async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000, ledger: { verifyAtUnlock: false } });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    for (let i = 0; i < 14; i++) await admit(body, { ...patient(`MRN-${100 + i}`, `Diab${String.fromCharCode(97 + i)}`), birthDate: i < 12 ? '1970-05-05' : '1990-05-05' }, `LAB${i}`, [hba1c(9.5, '2025-06-01T08:00:00Z')]);
    await admit(body, patient('MRN-999', 'Other'), 'ADT999');
    await vault.sync();
    const query = { terms: ['Hemoglobin A1c'], filters: {}, purpose: 'research-no-sale' as const };
    // No policy yet: nobody.
    expect((await vault.research.evaluate(query, '2026-12-04')).matched).toBe(0);
    await vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': false, 'research-no-sale': true }, minCellSize: 11, answering: 'review' });
    const all = await vault.research.evaluate(query, '2026-12-04');
    expect(all.matched).toBe(14);
    expect(all.bucket).toEqual({ kind: 'count', roundedUp: 20 });
    expect(all.keyList).toHaveLength(14);
    expect(all.keyList.filter((entry) => entry.ageBand === '50–59' && entry.dataTypes.includes('labs') && entry.years === '2025–2025')).toHaveLength(12);
    // The two aged 36 are fewer than k = 5: their age band is suppressed.
    expect(all.keyList.filter((entry) => entry.ageBand === null)).toHaveLength(2);
    // An age filter: 12 match.
    expect((await vault.research.evaluate({ ...query, filters: { ageFrom: 50, ageTo: 59 } }, '2026-12-04')).matched).toBe(12);
    // Four refuse: 10 left, "fewer than 11", no KEY list.
    const ids = (await vault.search('Hemoglobin')).patientIds.slice(0, 4);
    for (const id of ids) await vault.research.record({ patientId: id, purpose: 'research-no-sale', state: 'refused', decidedOn: '2026-11-01' });
    const fewer = await vault.research.evaluate(query, '2026-12-04');
    expect(fewer.matched).toBe(10);
    expect(fewer.bucket).toEqual({ kind: 'fewer', than: 11 });
    expect(fewer.keyList).toEqual([]);
    // Every term must match.
    expect((await vault.research.evaluate({ ...query, terms: ['Hemoglobin A1c', 'Other'] }, '2026-12-04')).matched).toBe(0);
  });
});
