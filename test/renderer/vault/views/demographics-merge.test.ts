import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { decryptField, encryptField } from '../../../../shared/crypto/field-cipher';
import type { DirectoryName } from '../../../../renderer/vault/views/vault-db';
import { patientIdOf } from '../../../../renderer/vault/views/intake-rows';
import { fillDemographics, mergeDemographics } from '../../../../renderer/vault/views/patient-demographics';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { searchPatientIds } from '../../../../renderer/vault/views/keyword-search';
import { patientDetail, patientHits } from '../../../../renderer/vault/views/view-reads';
import { CURSOR_KEY, POSTINGS_THROUGH_KEY, readCursor } from '../../../../renderer/vault/views/vault-db';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { appendSealedRecord, type FakeBody } from '../support/fake-body';
import { viewsOnFakeBody } from '../support/fake-vault';
import { openedAfterUpgrade } from '../support/old-views';

/**
 * Issue 11: an ORU whose PID carries no address must not blank the address an ADT gave. The views
 * merge a patient's demographics field by field in journal order: a field a message leaves out
 * keeps what was known, a field it nulls (`cleared`, HL7 `""`) is removed, a value replaces.
 */

const MRN = { value: 'MRN-4711', authority: 'CLINIC', type: 'MR' };
const ADMITTED: Patient = {
  identifiers: [MRN, { value: '756.1234.5678.97', authority: 'CH', type: 'NI' }],
  name: { family: 'Brunner', given: ['Lea'] },
  birthDate: '1980-02-03',
  sex: 'F',
  address: { street: 'Hauptstrasse 5', city: 'Bern', postalCode: '3011', country: 'CH' },
  phones: ['031 555 12 12'],
};
/** What a lab system typically sends: identifier and name only. */
const LAB_PID: Patient = { identifiers: [MRN], name: { family: 'Brunner', given: ['Lea'] } };

function intake(patient: Patient, messageType: string, messageId: string): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient,
    records: [],
    hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
  };
}

const setup = () => viewsOnFakeBody('demographics-0001');

async function append(body: FakeBody, normalized: NormalizedIntake): Promise<void> {
  await appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized } });
}

/** One HL7 message (its segments) as the body's mapper files it: the intake of a patient. */
function mapped(...segments: string[]): NormalizedIntake {
  const item = parseHl7(Buffer.from(`${segments.join('\r')}\r`, 'utf8')).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, { channel: 'hl7-mllp', receivedAt: new Date('2026-11-28T09:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false });
  if (result.kind !== 'patient') throw new Error(result.reason);
  return result.normalized;
}

async function shownPatient(setupResult: Awaited<ReturnType<typeof setup>>): Promise<Patient> {
  const { db, keys } = setupResult;
  const [id] = await searchPatientIds(db, keys.indexKey, 'MRN-4711', 'chart-and-studies');
  return (await patientDetail(db, keys.viewKey, id!)).patient;
}

describe('demographics merged across messages', () => {
  it('an ORU without address, birth date, sex or phones keeps what the ADT gave (same replay page)', async () => {
    const views = await setup();
    await append(views.body, intake(ADMITTED, 'ADT^A01', 'ADT-1'));
    await append(views.body, intake(LAB_PID, 'ORU^R01', 'ORU-1'));
    await replayJournal(views.context);
    expect(await shownPatient(views)).toEqual(ADMITTED);
  });

  it('the same when the ORU is indexed in a later replay (across pages)', async () => {
    const views = await setup();
    await append(views.body, intake(ADMITTED, 'ADT^A01', 'ADT-1'));
    await replayJournal(views.context);
    await append(views.body, intake(LAB_PID, 'ORU^R01', 'ORU-1'));
    await replayJournal(views.context);
    expect(await shownPatient(views)).toEqual(ADMITTED);
  });

  it('only the HL7 null clears; a new value replaces; a rebuild from the journal gives the same patient', async () => {
    const views = await setup();
    await append(views.body, intake(ADMITTED, 'ADT^A01', 'ADT-1'));
    await replayJournal(views.context);
    await append(views.body, intake({ ...LAB_PID, cleared: ['address'] }, 'ADT^A08', 'ADT-2'));
    await append(views.body, intake({ ...LAB_PID, phones: ['079 000 00 00'] }, 'ADT^A08', 'ADT-3'));
    await replayJournal(views.context);
    const expected: Patient = { identifiers: ADMITTED.identifiers, name: ADMITTED.name, birthDate: '1980-02-03', sex: 'F', phones: ['079 000 00 00'] };
    expect(await shownPatient(views)).toEqual(expected);

    // Replaying from 0 (a rebuild, or a cursor reset) folds the same messages to the same patient.
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    expect(await shownPatient(views)).toEqual(expected);
    await views.db.patients.clear();
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    expect(await shownPatient(views)).toEqual(expected);
  });
});

describe('mergeDemographics', () => {
  it('keeps identifiers it knew after the ones the message sends, and never stores `cleared`', () => {
    const merged = mergeDemographics(ADMITTED, { identifiers: [MRN, { value: 'X-9', authority: 'LAB', type: 'PI' }], name: { family: 'Brunner-Meier', given: ['Lea'] }, cleared: ['sex'] });
    expect(merged.identifiers.map((identifier) => identifier.value)).toEqual(['MRN-4711', 'X-9', '756.1234.5678.97']);
    expect(merged.name.family).toBe('Brunner-Meier');
    expect(merged.sex).toBeUndefined();
    expect(merged.address).toEqual(ADMITTED.address);
    expect('cleared' in merged).toBe(false);
  });

  // QA explore-11 D13: an A08 with only PID-14 erased the home phone, and the reverse.
  it('home and business phones merge apart: each kept when the message says nothing of it, cleared only by its own null', () => {
    const registered = mergeDemographics(undefined, { ...LAB_PID, phones: ['031 111 11 11'], businessPhones: ['031 222 22 22'] });
    const businessChanged = mergeDemographics(registered, { ...LAB_PID, businessPhones: ['031 999 99 99'] });
    expect(businessChanged).toMatchObject({ phones: ['031 111 11 11'], businessPhones: ['031 999 99 99'] });
    const homeChanged = mergeDemographics(businessChanged, { ...LAB_PID, phones: ['031 555 55 55'] });
    expect(homeChanged).toMatchObject({ phones: ['031 555 55 55'], businessPhones: ['031 999 99 99'] });
    const businessNulled = mergeDemographics(homeChanged, { ...LAB_PID, cleared: ['businessPhones'] });
    expect(businessNulled.phones).toEqual(['031 555 55 55']);
    expect(businessNulled.businessPhones).toBeUndefined();
    expect(mergeDemographics(homeChanged, { ...LAB_PID, cleared: ['phones'] })).toMatchObject({ businessPhones: ['031 999 99 99'] });
    // A record written before the split (one list, home and business mixed) keeps its list as "phones".
    expect(mergeDemographics(ADMITTED, { ...LAB_PID, businessPhones: ['031 999 99 99'] })).toMatchObject({ phones: ADMITTED.phones, businessPhones: ['031 999 99 99'] });
    expect(fillDemographics({ ...LAB_PID, phones: ['1'] }, { ...LAB_PID, phones: ['2'], businessPhones: ['3'] })).toMatchObject({ phones: ['1'], businessPhones: ['3'] });
  });

  it('an empty name says nothing; the first message stands alone', () => {
    expect(mergeDemographics(ADMITTED, { identifiers: [MRN], name: { family: '', given: [] } }).name).toEqual(ADMITTED.name);
    expect(mergeDemographics(undefined, { ...LAB_PID, cleared: ['address'] })).toEqual(LAB_PID);
  });
});

/**
 * QA explore-12 D0b: a modality's header rewrote the HL7-registered name, sex and birth date (the
 * chart showed the modality's typo; the directory kept it too). A DICOM instance only fills what
 * the patient does not have yet; HL7 still replaces.
 */
describe('demographics from a DICOM header', () => {
  const REGISTERED: Patient = { identifiers: [{ value: 'MRN-DEM-2', authority: 'NORTHCLINIC', type: 'MR' }], name: { family: 'Stable', given: ['Sara'] }, birthDate: '1970-01-01', sex: 'F' };
  const HEADER: Patient = { identifiers: [{ value: 'MRN-DEM-2', authority: 'NORTHCLINIC', type: '' }, { value: 'OTHER-7', authority: 'PACS', type: '' }], name: { family: 'Other', given: ['Olga'] }, birthDate: '2000-01-01', sex: 'M' };

  function dicom(patient: Patient, uid: string): NormalizedIntake {
    return {
      channel: 'dicom',
      messageId: uid,
      messageType: 'DICOM CT',
      patient,
      records: [],
      dicom: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', source: 'network', sopInstanceUid: uid, studyInstanceUid: '1.2.3.4', seriesInstanceUid: '1.2.3.4.1' },
    };
  }

  async function appendDicom(body: FakeBody, normalized: NormalizedIntake): Promise<void> {
    await appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized }, raw: 'DICM' });
  }

  async function shown(views: Awaited<ReturnType<typeof setup>>) {
    const { db, keys } = views;
    const id = await patientIdOf(keys.ledgerKey, REGISTERED);
    const chart = (await patientDetail(db, keys.viewKey, id)).patient;
    const [hit] = await patientHits(db, keys.viewKey, await searchPatientIds(db, keys.indexKey, 'MRN-DEM-2', 'chart-and-studies'));
    const directory = await db.directory.where('patientId').equals(id).toArray();
    const names = await Promise.all(directory.map((row) => decryptField<DirectoryName>(keys.directoryKey, { table: 'directory', id: row.id }, row.name)));
    return { chart, hit, names };
  }

  for (const pages of ['one page', 'two pages'] as const) {
    it(`keeps the HL7-registered name, sex, birth date and identifier type; chart, search and directory agree (${pages})`, async () => {
      const views = await setup();
      await append(views.body, { ...intake(REGISTERED, 'ADT^A04', 'ADT-DEM-2') });
      if (pages === 'two pages') await replayJournal(views.context);
      await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.1'));
      await replayJournal(views.context);
      const { chart, hit, names } = await shown(views);
      // The header's extra identifier is added after the registered ones; nothing registered changes.
      expect(chart).toEqual({ ...REGISTERED, identifiers: [...REGISTERED.identifiers, HEADER.identifiers[1]] });
      expect(hit).toMatchObject({ name: 'Stable, Sara', birthDate: '1970-01-01', sex: 'F', identifier: 'MRN-DEM-2 (NORTHCLINIC)' });
      expect(names).toEqual([{ family: 'Stable', given: ['Sara'] }]);
    });
  }

  it('fills only what HL7 did not give; a later ADT still replaces what a header filled; a rebuild gives the same patient', async () => {
    const views = await setup();
    // The images came first: the header is all the views know.
    await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.1'));
    await replayJournal(views.context);
    expect((await shown(views)).chart.name).toEqual(HEADER.name);
    const { birthDate: _none, ...withoutBirthDate } = REGISTERED;
    await append(views.body, intake(withoutBirthDate, 'ADT^A04', 'ADT-DEM-3'));
    await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.2'));
    await replayJournal(views.context);
    const expected: Patient = { ...REGISTERED, birthDate: '2000-01-01', identifiers: [...REGISTERED.identifiers, HEADER.identifiers[1]!] };
    const first = await shown(views);
    expect(first.chart).toEqual(expected);
    expect(first.names).toEqual([{ family: 'Stable', given: ['Sara'] }]);
    await views.db.patients.clear();
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    expect((await shown(views)).chart).toEqual(expected);
  });

  it('the replay from 0 after the views schema bump repairs a patient row a header had overwritten', async () => {
    const views = await setup();
    await append(views.body, intake(REGISTERED, 'ADT^A04', 'ADT-DEM-4'));
    await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.3'));
    await replayJournal(views.context);
    // What the views held before the fix: the header's demographics over the registered ones.
    const id = await patientIdOf(views.keys.ledgerKey, REGISTERED);
    const stale = await views.db.patients.get(id);
    const overwritten = mergeDemographics(REGISTERED, HEADER);
    await views.db.patients.put({ ...stale!, enc: await encryptField(views.keys.viewKey, { table: 'patients', id }, { patient: overwritten }) });
    expect((await shown(views)).chart.name).toEqual(HEADER.name);
    // Version 17's upgrade sets the cursor back to 0 (vault-db.ts); the next sync folds every message again.
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    expect((await shown(views)).chart).toEqual({ ...REGISTERED, identifiers: [...REGISTERED.identifiers, HEADER.identifiers[1]] });
  });

  // Issue 12: a header's name that the chart never shows made the HL7 patient findable under it.
  for (const pages of ['one page', 'two pages'] as const) {
    it(`search finds the patient by the names the chart shows, not by a header's name or birth date that were not applied (${pages})`, async () => {
      const views = await setup();
      await append(views.body, intake(REGISTERED, 'ADT^A04', 'ADT-DEM-5'));
      if (pages === 'two pages') await replayJournal(views.context);
      await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.5'));
      await replayJournal(views.context);
      const id = await patientIdOf(views.keys.ledgerKey, REGISTERED);
      const found = (query: string) => searchPatientIds(views.db, views.keys.indexKey, query, 'chart-and-studies');
      expect(await found('Stable Sara')).toEqual([id]);
      // The header's identifier was added to the chart: it finds the patient.
      expect(await found('OTHER-7')).toEqual([id]);
      // ('Other' is a word of that identifier too.) The header's name and birth date were not applied: they find nothing.
      expect(await found('Olga')).toEqual([]);
      expect(await found('Other Olga')).toEqual([]);
      expect(await found('Olg')).toEqual([]);
      expect(await found('2000-01-01')).toEqual([]);
    });
  }

  it("a header's name is found while the chart shows it (the images came first); a later header's other name is not", async () => {
    const views = await setup();
    await appendDicom(views.body, dicom(HEADER, '1.2.3.4.1.6'));
    await appendDicom(views.body, dicom({ ...HEADER, name: { family: 'Typo', given: ['Wrongname'] }, birthDate: '1999-12-31' }, '1.2.3.4.1.7'));
    await replayJournal(views.context);
    const id = await patientIdOf(views.keys.ledgerKey, HEADER);
    const found = (query: string) => searchPatientIds(views.db, views.keys.indexKey, query, 'chart-and-studies');
    expect(await found('Other Olga')).toEqual([id]);
    expect(await found('2000-01-01')).toEqual([id]);
    expect(await found('Typo')).toEqual([]);
    expect(await found('1999-12-31')).toEqual([]);
    // A rebuild from the journal indexes the same words.
    await views.db.patients.clear();
    await views.db.postings.clear();
    await views.db.meta.delete(POSTINGS_THROUGH_KEY);
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
    expect(await found('Other Olga')).toEqual([id]);
    expect(await found('Typo')).toEqual([]);
  });

  it('views schema version 18 clears the postings and patient rows and replays from 0, so words indexed before go', async () => {
    const db = await openedAfterUpgrade('header-words-0001', 17, { meta: 'key', patients: 'id', postings: 'id', records: 'id' }, {
      meta: [{ key: CURSOR_KEY, value: 42 }, { key: POSTINGS_THROUGH_KEY, value: Number.MAX_SAFE_INTEGER }],
      patients: [{ id: 'p', tokens: ['t'], enc: new Uint8Array(1) }],
      postings: [{ id: 't|0', ids: ['p'] }],
      records: [{ id: 'r', patientId: 'p' }],
    });
    expect(await readCursor(db)).toBe(0);
    // Message rows go too since version 23 (a message is filed on the chart holding any of its identifiers).
    expect([await db.patients.count(), await db.postings.count(), await db.records.count()]).toEqual([0, 0, 0]);
    expect((await db.meta.get(POSTINGS_THROUGH_KEY))?.value).toBe(0);
    db.close();
  });

  it('fillDemographics: the known patient wins field by field; a header never clears', () => {
    expect(fillDemographics(undefined, HEADER)).toEqual(HEADER);
    expect(fillDemographics({ identifiers: REGISTERED.identifiers, name: { family: '', given: [] } }, { ...HEADER, cleared: ['sex'] })).toEqual({ ...HEADER, identifiers: [...REGISTERED.identifiers, HEADER.identifiers[1]] });
    expect(fillDemographics(REGISTERED, { ...HEADER, cleared: ['sex', 'birthDate'] })).toEqual({ ...REGISTERED, identifiers: [...REGISTERED.identifiers, HEADER.identifiers[1]] });
  });
});

/**
 * QA2-12 Q5: images first (header 'Wrongly^Spelt'), then the ADT ('Rightly^Spelt'): the chart took
 * the ADT's name, but search still found the patient by 'Wrongly'. A header's words go from the
 * index once the chart no longer shows them, as when the ADT came first; words the ADT gave stay.
 */
describe("a header's words after the chart takes another name", () => {
  const MRN = { value: 'MRN-QORD2', authority: 'NORTHCLINIC', type: 'MR' };
  const HEADER: Patient = { identifiers: [{ ...MRN, type: '' }], name: { family: 'Wrongly', given: ['Spelt'] }, birthDate: '1980-05-05' };
  const ADT: Patient = { identifiers: [MRN], name: { family: 'Rightly', given: ['Spelt'] } };

  function dicom(uid: string): NormalizedIntake {
    return {
      channel: 'dicom',
      messageId: uid,
      messageType: 'DICOM CT',
      patient: HEADER,
      records: [],
      dicom: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', source: 'network', sopInstanceUid: uid, studyInstanceUid: '1.2.3.9', seriesInstanceUid: '1.2.3.9.1' },
    };
  }

  for (const pages of ['one page', 'two pages'] as const) {
    it(`search no longer finds the patient by the header's name; by the ADT's and the header's birth date still (${pages})`, async () => {
      const views = await setup();
      await appendSealedRecord(views.body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-01T08:20:00.000Z', rawBytes: 100, normalized: dicom('1.2.3.9.1.1') }, raw: 'DICM' });
      await replayJournal(views.context);
      const id = await patientIdOf(views.keys.ledgerKey, HEADER);
      const found = (query: string) => searchPatientIds(views.db, views.keys.indexKey, query, 'chart-and-studies');
      expect(await found('Wrongly')).toEqual([id]);
      await append(views.body, intake(ADT, 'ADT^A04', 'ADT-QORD2'));
      if (pages === 'two pages') await replayJournal(views.context);
      // A second image after the ADT: its header's name is not the chart's, so not indexed either.
      await appendSealedRecord(views.body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-01T08:21:00.000Z', rawBytes: 100, normalized: dicom('1.2.3.9.1.2') }, raw: 'DICM' });
      await replayJournal(views.context);
      expect((await patientDetail(views.db, views.keys.viewKey, id)).patient.name).toEqual(ADT.name);
      expect(await found('Wrongly')).toEqual([]);
      expect(await found('Wron')).toEqual([]);
      expect(await found('Rightly Spelt')).toEqual([id]);
      expect(await found('Spelt')).toEqual([id]);
      expect(await found('MRN-QORD2')).toEqual([id]);
      // The ADT gave no birth date: the chart still shows the header's, and finds by it.
      expect(await found('1980-05-05')).toEqual([id]);
      // A rebuild from the journal indexes the same words.
      await views.db.patients.clear();
      await views.db.postings.clear();
      await views.db.meta.delete(POSTINGS_THROUGH_KEY);
      await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
      await replayJournal(views.context);
      expect(await found('Wrongly')).toEqual([]);
      expect(await found('Rightly Spelt')).toEqual([id]);
    });
  }

  it('views schema version 20 clears the postings and patient rows and replays from 0, so rows without their header-only words are rebuilt', async () => {
    const db = await openedAfterUpgrade('header-only-0001', 19, { meta: 'key', patients: 'id', postings: 'id', records: 'id' }, {
      meta: [{ key: CURSOR_KEY, value: 42 }, { key: POSTINGS_THROUGH_KEY, value: 7 }],
      patients: [{ id: 'p', tokens: ['t'], enc: new Uint8Array(1) }],
      postings: [{ id: 't|0', ids: ['p'] }],
      records: [{ id: 'r', patientId: 'p' }],
    });
    expect(await readCursor(db)).toBe(0);
    // Message rows go too since version 23 (a message is filed on the chart holding any of its identifiers).
    expect([await db.patients.count(), await db.postings.count(), await db.records.count()]).toEqual([0, 0, 0]);
    expect((await db.meta.get(POSTINGS_THROUGH_KEY))?.value).toBe(0);
    db.close();
  });
});

/**
 * QA s32 (t3): ADT^A04 `Keller^Anna^Maria`, then an ORU^R01 with PID-5 `Keller^Anna`: the chart read
 * "Keller, Anna" and "maria" found nobody. A name component the message leaves empty says nothing,
 * as a field does: a name whose non-empty components agree with the chart's keeps the middle names
 * it does not send; a different family or given name replaces the name; `""` in PID-5.3 clears them.
 */
describe('a name without the middle names the chart has', () => {
  const MRN_K = { value: '300001', authority: 'CLINIC', type: 'MR' };
  const REGISTERED: Patient = { identifiers: [MRN_K], name: { family: 'Keller', given: ['Anna', 'Maria'] }, birthDate: '1984-06-01', sex: 'F' };
  const LAB: Patient = { identifiers: [MRN_K], name: { family: 'Keller', given: ['Anna'] } };

  async function chartOf(views: Awaited<ReturnType<typeof setup>>) {
    const { db, keys } = views;
    const id = await patientIdOf(keys.ledgerKey, REGISTERED);
    const chart = (await patientDetail(db, keys.viewKey, id)).patient;
    const directory = await db.directory.where('patientId').equals(id).toArray();
    const names = await Promise.all(directory.map((row) => decryptField<DirectoryName>(keys.directoryKey, { table: 'directory', id: row.id }, row.name)));
    const found = async (query: string) => (await searchPatientIds(db, keys.indexKey, query, 'chart-and-studies')).includes(id);
    return { id, chart, names, found };
  }

  async function rebuild(views: Awaited<ReturnType<typeof setup>>): Promise<void> {
    await views.db.patients.clear();
    await views.db.postings.clear();
    await views.db.directory.clear();
    await views.db.meta.delete(POSTINGS_THROUGH_KEY);
    await views.db.meta.put({ key: CURSOR_KEY, value: 0 });
    await replayJournal(views.context);
  }

  for (const pages of ['one page', 'two pages'] as const) {
    it(`an ORU with PID-5 Keller^Anna keeps "Keller, Anna Maria"; "maria" still finds her, after a rebuild too (${pages})`, async () => {
      const views = await setup();
      await append(views.body, intake(REGISTERED, 'ADT^A04', 'ADT-K-1'));
      if (pages === 'two pages') await replayJournal(views.context);
      await append(views.body, intake(LAB, 'ORU^R01', 'ORU-K-1'));
      await replayJournal(views.context);
      for (const state of ['replayed', 'rebuilt'] as const) {
        if (state === 'rebuilt') await rebuild(views);
        const { chart, names, found } = await chartOf(views);
        expect(chart, state).toEqual(REGISTERED);
        expect(names, state).toEqual([{ family: 'Keller', given: ['Anna', 'Maria'] }]);
        expect(await found('maria'), state).toBe(true);
        expect(await found('mar'), state).toBe(true);
        expect(await found('keller anna maria'), state).toBe(true);
      }
    });
  }

  it("the tester's messages through the body's mapper: A04 Keller^Anna^Maria, ORU Keller^Anna, then an A08 with Keller^Anna^\"\"", async () => {
    const views = await setup();
    await append(views.body, mapped('MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|20261127090000+0100||ADT^A04^ADT_A01|ADT-3001|P|2.5.1', 'EVN|A04|20261127090000+0100', 'PID|1||300001^^^CLINIC^MR||Keller^Anna^Maria||19700505|F', 'PV1|1|O'));
    await replayJournal(views.context);
    await append(views.body, mapped('MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|20261128090000+0100||ORU^R01^ORU_R01|ORU-3002|P|2.5.1', 'PID|1||300001^^^CLINIC^MR||Keller^Anna', 'OBR|1||L-900|24323-8^Metabolic panel^LN|||20261128080000+0100|||||||||||||||||F', 'OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|3.5-5.1|N|||F|||20261128080000+0100'));
    await replayJournal(views.context);
    let shown = await chartOf(views);
    expect(shown.chart.name).toEqual({ family: 'Keller', given: ['Anna', 'Maria'] });
    expect(await shown.found('maria')).toBe(true);
    await append(views.body, mapped('MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|20261129090000+0100||ADT^A08^ADT_A01|ADT-3003|P|2.5.1', 'EVN|A08|20261129090000+0100', 'PID|1||300001^^^CLINIC^MR||Keller^Anna^""'));
    await replayJournal(views.context);
    await rebuild(views);
    shown = await chartOf(views);
    expect(shown.chart.name).toEqual({ family: 'Keller', given: ['Anna'] });
    expect(await shown.found('maria')).toBe(false);
  });

  it('the same for "Müller, José Antonio" after an ORU with Müller^José: "antonio" finds him', async () => {
    const views = await setup();
    const mrn = { value: '100234', authority: 'CLINIC', type: 'MR' };
    await append(views.body, intake({ identifiers: [mrn], name: { family: 'Müller', given: ['José', 'Antonio'] } }, 'ADT^A04', 'ADT-M-1'));
    await replayJournal(views.context);
    await append(views.body, intake({ identifiers: [mrn], name: { family: 'Müller', given: ['José'] } }, 'ORU^R01', 'ORU-M-1'));
    await replayJournal(views.context);
    const [id] = await searchPatientIds(views.db, views.keys.indexKey, '100234', 'chart-and-studies');
    expect((await patientDetail(views.db, views.keys.viewKey, id!)).patient.name).toEqual({ family: 'Müller', given: ['José', 'Antonio'] });
    expect(await searchPatientIds(views.db, views.keys.indexKey, 'antonio', 'chart-and-studies')).toEqual([id]);
  });

  it('an A08 with another family name renames (a marriage): the old name and middle name find nothing, after a rebuild too', async () => {
    const views = await setup();
    await append(views.body, intake(REGISTERED, 'ADT^A04', 'ADT-K-2'));
    await append(views.body, intake(LAB, 'ORU^R01', 'ORU-K-2'));
    await replayJournal(views.context);
    await append(views.body, intake({ ...LAB, name: { family: 'Brunner', given: ['Anna'] } }, 'ADT^A08', 'ADT-K-3'));
    await replayJournal(views.context);
    for (const state of ['replayed', 'rebuilt'] as const) {
      if (state === 'rebuilt') await rebuild(views);
      const { chart, names, found } = await chartOf(views);
      expect(chart.name, state).toEqual({ family: 'Brunner', given: ['Anna'] });
      expect(names, state).toEqual([{ family: 'Brunner', given: ['Anna'] }]);
      expect(await found('brunner anna'), state).toBe(true);
      expect(await found('keller'), state).toBe(false);
      expect(await found('maria'), state).toBe(false);
    }
  });

  it('`""` in PID-5.3 (cleared middleNames) takes the middle name out of the chart and the index', async () => {
    const views = await setup();
    await append(views.body, intake(REGISTERED, 'ADT^A04', 'ADT-K-4'));
    await replayJournal(views.context);
    await append(views.body, intake({ ...LAB, cleared: ['middleNames'] }, 'ADT^A08', 'ADT-K-5'));
    await append(views.body, intake(LAB, 'ORU^R01', 'ORU-K-5'));
    await replayJournal(views.context);
    for (const state of ['replayed', 'rebuilt'] as const) {
      if (state === 'rebuilt') await rebuild(views);
      const { chart, found } = await chartOf(views);
      expect(chart.name, state).toEqual({ family: 'Keller', given: ['Anna'] });
      expect(await found('maria'), state).toBe(false);
      expect(await found('keller anna'), state).toBe(true);
    }
  });

  it('an ORU with PID-5 Keller^Anna^M (an initial of "Maria") keeps "Keller, Anna Maria"; one with Keller^Anna^J replaces it, after a rebuild too', async () => {
    const views = await setup();
    const oru = (name: string, id: string) =>
      mapped(`MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|20261128090000+0100||ORU^R01^ORU_R01|${id}|P|2.5.1`, `PID|1||300001^^^CLINIC^MR||${name}`, 'OBR|1||L-900|24323-8^Metabolic panel^LN|||20261128080000+0100|||||||||||||||||F', 'OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|3.5-5.1|N|||F|||20261128080000+0100');
    await append(views.body, mapped('MSH|^~\\&|LABSYS|KANTLAB|HDMS|NODE|20261127090000+0100||ADT^A04^ADT_A01|ADT-4001|P|2.5.1', 'EVN|A04|20261127090000+0100', 'PID|1||300001^^^CLINIC^MR||Keller^Anna^Maria||19700505|F', 'PV1|1|O'));
    await replayJournal(views.context);
    await append(views.body, oru('Keller^Anna^M', 'ORU-4002'));
    await append(views.body, oru('KELLER^ANNA^m.', 'ORU-4003'));
    await replayJournal(views.context);
    for (const state of ['replayed', 'rebuilt'] as const) {
      if (state === 'rebuilt') await rebuild(views);
      const { chart, names, found } = await chartOf(views);
      expect(chart.name, state).toEqual({ family: 'KELLER', given: ['ANNA', 'Maria'] });
      expect(names, state).toEqual([{ family: 'KELLER', given: ['ANNA', 'Maria'] }]);
      expect(await found('maria'), state).toBe(true);
    }
    await append(views.body, oru('Keller^Anna^J', 'ORU-4004'));
    await replayJournal(views.context);
    for (const state of ['replayed', 'rebuilt'] as const) {
      if (state === 'rebuilt') await rebuild(views);
      const { chart, found } = await chartOf(views);
      expect(chart.name, state).toEqual({ family: 'Keller', given: ['Anna', 'J'] });
      expect(await found('maria'), state).toBe(false);
    }
  });

  // [version, what the rows hold, the version before it, the database's name]
  it.each([
    [26, 'an initial in place of a middle name', 25, 'middle-initials-0001'],
    [25, 'an erased middle name', 24, 'middle-names-0001'],
  ] as const)('views schema version %i rebuilds patient rows, postings and patient directory rows that hold %s', async (_version, _held, from, name) => {
    const db = await openedAfterUpgrade(name, from, { meta: 'key', patients: 'id', postings: 'id', records: 'id', directory: 'id, patientId' }, {
      meta: [{ key: CURSOR_KEY, value: 42 }, { key: POSTINGS_THROUGH_KEY, value: 7 }],
      patients: [{ id: 'p', tokens: ['t'], enc: new Uint8Array(1) }],
      postings: [{ id: 't|0', ids: ['p'] }],
      directory: [{ id: 's', kind: 'patient', patientId: 'p', name: new Uint8Array(1) }, { id: 'operator:o', kind: 'operator', name: new Uint8Array(1) }],
    });
    expect(await readCursor(db)).toBe(0);
    expect([await db.patients.count(), await db.postings.count()]).toEqual([0, 0]);
    expect((await db.directory.toArray()).map((row) => row.id)).toEqual(['operator:o']);
    expect((await db.meta.get(POSTINGS_THROUGH_KEY))?.value).toBe(0);
    db.close();
  });
});

describe('mergeDemographics: names component by component', () => {
  const ID = [{ value: '300001', authority: 'CLINIC', type: 'MR' }];
  const known: Patient = { identifiers: ID, name: { family: 'Keller', given: ['Anna', 'Maria'] } };
  const named = (family: string, ...given: string[]): Patient => ({ identifiers: ID, name: { family, given } });

  it('components the message leaves empty keep what the chart has', () => {
    expect(mergeDemographics(known, named('Keller', 'Anna')).name).toEqual(known.name);
    expect(mergeDemographics(known, named('', 'Anna')).name).toEqual(known.name);
    expect(mergeDemographics(known, named('Keller')).name).toEqual(known.name);
  });

  it('agreement is read as search reads words (case and accents), and the spelling sent wins', () => {
    expect(mergeDemographics(known, named('KELLER', 'ANNA')).name).toEqual({ family: 'KELLER', given: ['ANNA', 'Maria'] });
    const jose = named('Müller', 'José', 'Antonio');
    expect(mergeDemographics(jose, named('Muller', 'Jose')).name).toEqual({ family: 'Muller', given: ['Jose', 'Antonio'] });
  });

  it('more names than the chart has are added; a different one replaces the whole name', () => {
    expect(mergeDemographics(named('Keller', 'Anna'), named('Keller', 'Anna', 'Maria')).name).toEqual(known.name);
    expect(mergeDemographics(known, named('Keller', 'Anna', 'Marie')).name).toEqual({ family: 'Keller', given: ['Anna', 'Marie'] });
    expect(mergeDemographics(known, named('Keller', 'Anne')).name).toEqual({ family: 'Keller', given: ['Anne'] });
    expect(mergeDemographics(known, named('Brunner', 'Anna')).name).toEqual({ family: 'Brunner', given: ['Anna'] });
  });

  it('a middle initial ("M", "M.") consistent with the known middle name says nothing new; another initial or name replaces it', () => {
    expect(mergeDemographics(known, named('Keller', 'Anna', 'M')).name).toEqual(known.name);
    expect(mergeDemographics(known, named('Keller', 'Anna', 'm.')).name).toEqual(known.name);
    expect(mergeDemographics(named('Müller', 'José', 'Ángel'), named('Muller', 'Jose', 'A')).name).toEqual({ family: 'Muller', given: ['Jose', 'Ángel'] });
    const two = named('Keller', 'Anna', 'Maria', 'Luise');
    expect(mergeDemographics(two, named('Keller', 'Anna', 'M', 'L.')).name).toEqual(two.name);
    expect(mergeDemographics(two, named('Keller', 'Anna', 'M')).name).toEqual(two.name);
    expect(mergeDemographics(known, named('Keller', 'Anna', 'J')).name).toEqual({ family: 'Keller', given: ['Anna', 'J'] });
    expect(mergeDemographics(known, named('Keller', 'Anna', 'Marta')).name).toEqual({ family: 'Keller', given: ['Anna', 'Marta'] });
    // The full name after an initial: the name sent wins (it says more).
    expect(mergeDemographics(named('Keller', 'Anna', 'M'), named('Keller', 'Anna', 'Maria')).name).toEqual(known.name);
    expect(mergeDemographics(named('Keller', 'Anna', 'M'), named('Keller', 'Anna', 'M.')).name).toEqual({ family: 'Keller', given: ['Anna', 'M.'] });
    // Only the middle names: a given name is not read as an initial, nor are two letters.
    expect(mergeDemographics(known, named('Keller', 'A')).name).toEqual({ family: 'Keller', given: ['A'] });
    expect(mergeDemographics(known, named('Keller', 'Anna', 'Ma')).name).toEqual({ family: 'Keller', given: ['Anna', 'Ma'] });
  });

  it('`""` in the middle-name component clears the middle names; the first given name stays unless sent', () => {
    expect(mergeDemographics(known, { ...named('Keller', 'Anna'), cleared: ['middleNames'] }).name).toEqual({ family: 'Keller', given: ['Anna'] });
    expect(mergeDemographics(known, { ...named('Keller'), cleared: ['middleNames'] }).name).toEqual({ family: 'Keller', given: ['Anna'] });
    expect('cleared' in mergeDemographics(known, { ...named('Keller', 'Anna'), cleared: ['middleNames'] })).toBe(false);
  });

  it('folding any suffix of the messages again onto the result gives the same result (a replay from a reset cursor)', () => {
    const names = [named('Keller', 'Anna', 'Maria'), named('Keller', 'Anna'), named('KELLER', 'ANNA'), named('Brunner', 'Anna'), named('Keller', 'Anna', 'Maria', 'Luise'), named('Keller', 'Anne'), named('', 'Anna'), { ...named('Keller', 'Anna'), cleared: ['middleNames'] } satisfies Patient, named('Keller', 'Anna', 'M'), named('Keller', 'Anna', 'M.', 'L'), named('Keller', 'Anna', 'J'), named('Keller', 'Anna', 'M', 'Luise')];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % names.length;
    for (let run = 0; run < 400; run++) {
      const messages = Array.from({ length: 1 + (run % 6) }, () => names[next()]!);
      const fold = (start: Patient | undefined, list: readonly Patient[]) => list.reduce<Patient | undefined>((patient, message) => mergeDemographics(patient, message), start)!;
      const result = fold(undefined, messages);
      for (let from = 0; from < messages.length; from++) expect(fold(result, messages.slice(from)), JSON.stringify(messages.map((m) => m.name))).toEqual(result);
    }
  });
});
