import { describe, expect, it } from 'vitest';
import type { NormalizedIntake, Patient } from '../../../../../shared/domain/clinical';
import { viewerStudy } from '../../../../../renderer/vault/imaging/study-instances';
import { allStudies, searchStudyIds, studiesOfPatient } from '../../../../../renderer/vault/views/imaging-reads';
import { patientIdOf } from '../../../../../renderer/vault/views/intake-rows';
import { replayJournal } from '../../../../../renderer/vault/views/journal-replay';
import { CURSOR_KEY, readCursor } from '../../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, type FakeBody } from '../../support/fake-body';
import { viewsOnFakeBody } from '../../support/fake-vault';
import { dicomIntake } from '../../support/dicom-intake';
import { openedAfterUpgrade } from '../../support/old-views';

/**
 * QA explore-12 D0: one instance naming another Patient ID under a Study Instance UID already
 * filed moved the whole study (its earlier instances too) to the other patient, silently. Each
 * instance stays under the patient its own Patient ID names; a UID that holds instances of two
 * patients is flagged on both studies.
 */

const NORTH = 'NORTHCLINIC';
/** The imaging tables as schema versions 18 to 27 declared them. */
const IMAGING_STORES = { meta: 'key', studies: 'id, patientId, uid, *tokens', series: 'id, studyId, patientId', instances: 'id, seriesId, studyId, patientId' };
const alpha: Patient = { identifiers: [{ value: 'MRN-MIX-A', authority: NORTH, type: '' }], name: { family: 'Alpha', given: ['Ana'] } };
const beta: Patient = { identifiers: [{ value: 'MRN-MIX-B', authority: NORTH, type: '' }], name: { family: 'Beta', given: ['Bruno'] } };
const STUDY = '1.2.826.0.1.3680043.8.498.12020';
const OTHER_STUDY = '1.2.826.0.1.3680043.8.498.12021';

const setup = () => viewsOnFakeBody('imaging-mix-0001');

async function stored(body: FakeBody, normalized: NormalizedIntake) {
  return appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: new Date(body.now).toISOString(), rawBytes: 10, normalized }, raw: 'DICM....' });
}

const alphaInstances = [
  dicomIntake(alpha, { sopInstanceUid: `${STUDY}.1.1`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, seriesNumber: 1, studyDescription: 'MIX STUDY A', accessionNumber: 'ACCMIXA' }),
  dicomIntake(alpha, { sopInstanceUid: `${STUDY}.1.2`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, seriesNumber: 1, studyDescription: 'MIX STUDY A', accessionNumber: 'ACCMIXA' }),
];
const betaInstance = dicomIntake(beta, { sopInstanceUid: `${STUDY}.2.1`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.2`, seriesNumber: 2, modality: 'MR', studyDescription: 'MIX STUDY B', accessionNumber: 'ACCMIXB' });

describe('imaging projector: a Study Instance UID with instances of two patients (QA D0)', () => {
  for (const order of ['alpha first', 'beta first'] as const) {
    for (const pages of ['one page', 'a page per instance'] as const) {
      it(`files each instance under its own patient and flags both studies (${order}, ${pages})`, async () => {
        const { body, keys, db, context } = await setup();
        // An unrelated study of Alpha's, never flagged.
        await stored(body, dicomIntake(alpha, { sopInstanceUid: `${OTHER_STUDY}.1.1`, studyInstanceUid: OTHER_STUDY, seriesInstanceUid: `${OTHER_STUDY}.1`, studyDescription: 'ALPHA ONLY' }));
        const sequence = order === 'alpha first' ? [...alphaInstances, betaInstance] : [betaInstance, ...alphaInstances];
        for (const instance of sequence) {
          await stored(body, instance);
          if (pages === 'a page per instance') await replayJournal(context);
        }
        await replayJournal(context);

        const alphaId = await patientIdOf(keys.ledgerKey, alpha);
        const betaId = await patientIdOf(keys.ledgerKey, beta);
        const alphaStudies = await studiesOfPatient(db, keys.viewKey, alphaId);
        const betaStudies = await studiesOfPatient(db, keys.viewKey, betaId);
        expect(alphaStudies.map((study) => [study.study.description, study.series.length, study.instances, study.sharedWithOtherPatient]).sort()).toEqual([
          ['ALPHA ONLY', 1, 1, false],
          ['MIX STUDY A', 1, 2, true],
        ]);
        expect(betaStudies.map((study) => [study.study.description, study.modalities, study.series.length, study.instances, study.sharedWithOtherPatient])).toEqual([['MIX STUDY B', ['MR'], 1, 1, true]]);
        const shared = alphaStudies.find((study) => study.study.description === 'MIX STUDY A')!;
        expect(shared.study.studyInstanceUid).toBe(STUDY);
        expect(shared.series[0]!.seriesInstanceUid).toBe(`${STUDY}.1`);
        expect(betaStudies[0]!.study.studyInstanceUid).toBe(STUDY);
        expect(shared.studyId).not.toBe(betaStudies[0]!.studyId);

        // The list shows both, each under its own patient.
        const all = await allStudies(db, keys.viewKey);
        expect(all.map((study) => [study.patientId === alphaId ? 'alpha' : study.patientId === betaId ? 'beta' : '?', study.study.description, study.sharedWithOtherPatient]).sort()).toEqual([
          ['alpha', 'ALPHA ONLY', false],
          ['alpha', 'MIX STUDY A', true],
          ['beta', 'MIX STUDY B', true],
        ]);

        // Search by either patient's name finds that patient's study, not the other's.
        const found = async (query: string) => {
          const ids = new Set(await searchStudyIds(db, keys, query));
          return all.filter((study) => ids.has(study.studyId)).map((study) => study.study.description).sort();
        };
        expect(await found('Alpha ')).toEqual(['ALPHA ONLY', 'MIX STUDY A']);
        expect(await found('Beta ')).toEqual(['MIX STUDY B']);
        expect(await found('ACCMIXA ')).toEqual(['MIX STUDY A']);

        // The viewer opens Alpha's study with Alpha's instances only, under Alpha, flagged.
        const opened = await viewerStudy(db, keys.viewKey, shared.studyId);
        expect(opened.patientId).toBe(alphaId);
        expect(opened.sharedWithOtherPatient).toBe(true);
        expect(opened.series.flatMap((series) => series.instances.map((instance) => instance.sopInstanceUid))).toEqual([`${STUDY}.1.1`, `${STUDY}.1.2`]);
        const openedBeta = await viewerStudy(db, keys.viewKey, betaStudies[0]!.studyId);
        expect(openedBeta.patientId).toBe(betaId);
        expect(openedBeta.series.flatMap((series) => series.instances.map((instance) => instance.sopInstanceUid))).toEqual([`${STUDY}.2.1`]);
      });
    }
  }

  it('erasing one of the two patients removes only its rows, and the other study is no longer flagged', async () => {
    const { body, keys, db, context } = await setup();
    for (const instance of [...alphaInstances, betaInstance]) await stored(body, instance);
    await replayJournal(context);
    const alphaId = await patientIdOf(keys.ledgerKey, alpha);
    const betaId = await patientIdOf(keys.ledgerKey, beta);
    await appendSealedRecord(body, { kind: 'erasure.patient', meta: { v: 1, patientId: betaId, messages: 1, records: 0, objects: 1 } });
    await replayJournal(context);
    expect(await studiesOfPatient(db, keys.viewKey, betaId)).toEqual([]);
    const [kept] = await studiesOfPatient(db, keys.viewKey, alphaId);
    expect([kept!.instances, kept!.sharedWithOtherPatient]).toEqual([2, false]);
    expect(await db.instances.count()).toBe(2);
  });

  it('a patient merged into the other is not a conflict: both studies are the same patient’s', async () => {
    const { body, keys, db, context } = await setup();
    for (const instance of [...alphaInstances, betaInstance]) await stored(body, instance);
    // ADT^A40: Beta's record merged into Alpha's.
    await appendSealedRecord(body, {
      kind: 'intake.hl7',
      meta: {
        v: 1,
        channel: 'hl7-mllp',
        receivedAt: new Date(body.now).toISOString(),
        rawBytes: 10,
        normalized: { channel: 'hl7-mllp', messageId: 'A40-1', messageType: 'ADT^A40', patient: alpha, records: [], extendedRecords: [{ type: 'merge', survivor: alpha.identifiers, merged: beta.identifiers }] },
      },
    });
    await replayJournal(context);
    const alphaId = await patientIdOf(keys.ledgerKey, alpha);
    const studies = await studiesOfPatient(db, keys.viewKey, alphaId);
    expect(studies.map((study) => [study.study.description, study.sharedWithOtherPatient]).sort()).toEqual([
      ['MIX STUDY A', false],
      ['MIX STUDY B', false],
    ]);
  });
});

describe('views schema version 17', () => {
  it('imaging rows keyed by the UID alone (version 16) are cleared and the journal replays from 0', async () => {
    const db = await openedAfterUpgrade(
      'imaging-upgrade-0001',
      16,
      { meta: 'key', patients: 'id', studies: 'id, patientId, *tokens', series: 'id, studyId, patientId', instances: 'id, seriesId, studyId, patientId' },
      {
        meta: [{ key: CURSOR_KEY, value: 42 }, { key: 'problems', value: 1 }],
        studies: [{ id: 's', patientId: 'p', seq: 1, tokens: ['t'], enc: new Uint8Array(1) }],
        series: [{ id: 'r', studyId: 's', patientId: 'p', seq: 1, enc: new Uint8Array(1) }],
        instances: [{ id: 'i', seriesId: 'r', studyId: 's', patientId: 'p', seq: 1, objectId: 'o', enc: new Uint8Array(1) }],
        patients: [{ id: 'p', tokens: [], enc: new Uint8Array(1) }],
      },
    );
    expect(await readCursor(db)).toBe(0);
    expect([await db.studies.count(), await db.series.count(), await db.instances.count()]).toEqual([0, 0, 0]);
    // Other views are not cleared by version 17 (the replay puts the same rows again); version 18,
    // applied in the same open, clears the patient rows (their header words: demographics-merge.test.ts).
    expect(await db.patients.count()).toBe(0);
    expect(await db.meta.get('problems')).toBeUndefined();
    expect(await db.studies.where('uid').equals('x').count()).toBe(0);
    db.close();
  });
});

/**
 * QA explore-12 D4: a resend of a SOP Instance UID with other bytes was counted as a conflict by
 * the receiver, but the views kept only the newer copy, silently. The instance row keeps the latest
 * copy (shown) and the earlier ones (openable); the study and the instance say so.
 */
describe('imaging projector: the same SOP Instance UID again with other bytes (QA D4)', () => {
  const UID = `${STUDY}.9.1`;
  const EXPLICIT = '1.2.840.10008.1.2.1';
  const DEFLATED = '1.2.840.10008.1.2.1.99';
  const version = (description: string, conflict: boolean) =>
    dicomIntake(alpha, { sopInstanceUid: UID, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.9`, seriesNumber: 9, studyDescription: 'CONFLICT CHECK', seriesDescription: description, ...(conflict ? { conflict: true } : {}) });
  const storedAs = (body: FakeBody, normalized: NormalizedIntake, raw: string) =>
    appendSealedRecord(body, { kind: 'intake.dicom', meta: { v: 1, channel: 'dicom', receivedAt: new Date(body.now).toISOString(), rawBytes: raw.length, normalized }, raw });

  for (const pages of ['one page', 'a page per instance'] as const) {
    it(`keeps both copies, shows the latest, flags the study and the instance (${pages})`, async () => {
      const { body, keys, db, context } = await setup();
      await stored(body, dicomIntake(alpha, { sopInstanceUid: `${OTHER_STUDY}.1.1`, studyInstanceUid: OTHER_STUDY, seriesInstanceUid: `${OTHER_STUDY}.1`, studyDescription: 'ALPHA ONLY' }));
      const one = await storedAs(body, version('VERSION ONE', false), 'DICM one');
      if (pages === 'a page per instance') await replayJournal(context);
      const two = await storedAs(body, version('VERSION TWO', true), 'DICM two');
      if (pages === 'a page per instance') await replayJournal(context);
      const three = await storedAs(body, version('VERSION THREE', true), 'DICM three');
      await replayJournal(context);

      const all = await allStudies(db, keys.viewKey);
      expect(all.map((study) => [study.study.description, study.instances, study.instancesWithOtherCopies]).sort()).toEqual([
        ['ALPHA ONLY', 1, 0],
        ['CONFLICT CHECK', 1, 1],
      ]);
      const flagged = all.find((study) => study.study.description === 'CONFLICT CHECK')!;
      const opened = await viewerStudy(db, keys.viewKey, flagged.studyId);
      expect(opened.instancesWithOtherCopies).toBe(1);
      const [instance] = opened.series.flatMap((series) => series.instances);
      // The latest copy is the one shown; the earlier ones, oldest first, can be opened too.
      expect(opened.series[0]!.description).toBe('VERSION THREE');
      expect(instance!.objectId).toBe(three.objectId);
      expect(instance!.copy).toBe(3);
      expect(instance!.earlierCopies.map((copy) => [copy.copy, copy.objectId])).toEqual([
        [1, one.objectId],
        [2, two.objectId],
      ]);
      expect(new Set([instance!.instanceId, ...instance!.earlierCopies.map((copy) => copy.instanceId)]).size).toBe(3);

      // A rebuild from the journal gives the same rows.
      await db.instances.clear();
      await db.meta.put({ key: CURSOR_KEY, value: 0 });
      await replayJournal(context);
      const again = (await viewerStudy(db, keys.viewKey, flagged.studyId)).series[0]!.instances[0]!;
      expect([again.objectId, again.earlierCopies.map((copy) => copy.objectId)]).toEqual([three.objectId, [one.objectId, two.objectId]]);
      // Replaying again from 0 over the rows (a cursor reset) adds nothing.
      await db.meta.put({ key: CURSOR_KEY, value: 0 });
      await replayJournal(context);
      expect((await viewerStudy(db, keys.viewKey, flagged.studyId)).series[0]!.instances[0]!.earlierCopies).toHaveLength(2);
    });
  }

  it('views schema version 19 clears the instance rows (they kept only the latest copy) and replays from 0', async () => {
    const db = await openedAfterUpgrade('imaging-copies-0001', 18, IMAGING_STORES, {
      meta: [{ key: CURSOR_KEY, value: 42 }],
      studies: [{ id: 's', patientId: 'p', uid: 'u', seq: 1, tokens: ['t'], enc: new Uint8Array(1) }],
      instances: [{ id: 'i', seriesId: 'r', studyId: 's', patientId: 'p', seq: 2, objectId: 'o2', enc: new Uint8Array(1) }],
    });
    expect(await readCursor(db)).toBe(0);
    // Version 22 (one-character Han words, QA12 D4) rebuilds the study rows' tokens too.
    expect([await db.studies.count(), await db.instances.count()]).toEqual([0, 0]);
    db.close();
  });

  it('an instance of another Patient ID under the same SOP Instance UID is no copy of it (that is the shared-UID flag)', async () => {
    const { body, keys, db, context } = await setup();
    await storedAs(body, version('VERSION ONE', false), 'DICM one');
    await storedAs(body, { ...version('VERSION TWO', true), patient: beta }, 'DICM two');
    await replayJournal(context);
    const all = await allStudies(db, keys.viewKey);
    expect(all.map((study) => [study.instancesWithOtherCopies, study.sharedWithOtherPatient])).toEqual([
      [0, true],
      [0, true],
    ]);
  });

  // QA s33 D3: a resend of the same image in another transfer syntax read only "received again with
  // other bytes"; it stays a conflict, and the study and the viewer say in which transfer syntaxes.
  for (const pages of ['one page', 'a page per instance'] as const) {
    it(`says which instances came again in another transfer syntax, and each copy's (${pages})`, async () => {
      const { body, keys, db, context } = await setup();
      const inSyntax = (uid: string, transferSyntaxUid: string, conflict: boolean) =>
        dicomIntake(alpha, { sopInstanceUid: uid, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.9`, seriesNumber: 9, studyDescription: 'CONFLICT CHECK', transferSyntaxUid, ...(conflict ? { conflict: true } : {}) });
      await storedAs(body, inSyntax(UID, EXPLICIT, false), 'DICM explicit');
      // Another instance sent again in the same transfer syntax with other bytes (a true edit).
      await storedAs(body, inSyntax(`${STUDY}.9.2`, EXPLICIT, false), 'DICM edit one');
      if (pages === 'a page per instance') await replayJournal(context);
      await storedAs(body, inSyntax(UID, DEFLATED, true), 'DICM deflated');
      await storedAs(body, inSyntax(`${STUDY}.9.2`, EXPLICIT, true), 'DICM edit two');
      await replayJournal(context);

      const [summary] = await allStudies(db, keys.viewKey);
      expect(summary!.instancesWithOtherCopies).toBe(2);
      expect(summary!.recodedCopies).toEqual({ instances: 1, latest: [DEFLATED], earlier: [EXPLICIT], oneEarlierEach: true });
      const opened = await viewerStudy(db, keys.viewKey, summary!.studyId);
      expect(opened.recodedCopies).toEqual(summary!.recodedCopies);
      const byUid = new Map(opened.series[0]!.instances.map((instance) => [instance.sopInstanceUid, instance]));
      expect([byUid.get(UID)!.transferSyntaxUid, byUid.get(UID)!.earlierCopies.map((copy) => copy.transferSyntaxUid)]).toEqual([DEFLATED, [EXPLICIT]]);
      expect([byUid.get(`${STUDY}.9.2`)!.transferSyntaxUid, byUid.get(`${STUDY}.9.2`)!.earlierCopies.map((copy) => copy.transferSyntaxUid)]).toEqual([EXPLICIT, [EXPLICIT]]);

      // Sent a third time, back in the first transfer syntax: two earlier copies, one of another syntax.
      await storedAs(body, inSyntax(UID, EXPLICIT, true), 'DICM explicit again');
      await replayJournal(context);
      const [third] = await allStudies(db, keys.viewKey);
      expect(third!.recodedCopies).toEqual({ instances: 1, latest: [EXPLICIT], earlier: [DEFLATED], oneEarlierEach: false });
    });
  }

  it('a study whose copies all share a transfer syntax has no re-encoded copies', async () => {
    const { body, keys, db, context } = await setup();
    await storedAs(body, version('VERSION ONE', false), 'DICM one');
    await storedAs(body, version('VERSION TWO', true), 'DICM two');
    await replayJournal(context);
    const [summary] = await allStudies(db, keys.viewKey);
    expect([summary!.instancesWithOtherCopies, summary!.recodedCopies]).toEqual([1, undefined]);
    expect((await viewerStudy(db, keys.viewKey, summary!.studyId)).recodedCopies).toBeUndefined();
  });

  it('views schema version 28 clears the instance rows (their earlier copies kept no transfer syntax) and replays from 0', async () => {
    const db = await openedAfterUpgrade('imaging-recoded-0001', 27, IMAGING_STORES, {
      meta: [{ key: CURSOR_KEY, value: 42 }],
      studies: [{ id: 's', patientId: 'p', uid: 'u', seq: 1, tokens: ['t'], enc: new Uint8Array(1) }],
      instances: [{ id: 'i', seriesId: 'r', studyId: 's', patientId: 'p', seq: 2, objectId: 'o2', earlier: [{ seq: 1, objectId: 'o1' }], enc: new Uint8Array(1) }],
    });
    expect(await readCursor(db)).toBe(0);
    expect(await db.instances.count()).toBe(0);
    db.close();
  });
});

/**
 * QA s32 D1: a series resent under a new Study Instance UID (a study split or corrected at the
 * RIS/PACS: new study, new SOP Instance UIDs, the same Series Instance UID) took the first study's
 * series and instance away: it read "0 series, 1 instance", no modality, and its viewer never
 * loaded. Each study keeps its own series and instances.
 */
describe('imaging projector: one Series Instance UID in two studies of a patient (QA s32 D1)', () => {
  const FIRST = '1.2.826.0.1.3680043.8.498.32001';
  const SPLIT = '1.2.826.0.1.3680043.8.498.32002';
  const SERIES = '1.2.826.0.1.3680043.8.498.32001.1';
  const first = dicomIntake(alpha, { sopInstanceUid: `${SERIES}.1`, studyInstanceUid: FIRST, seriesInstanceUid: SERIES, seriesNumber: 1, studyDescription: 'CT θώρακος', accessionNumber: 'ACC-3001' });
  const split = dicomIntake(alpha, { sopInstanceUid: `${SERIES}.901`, studyInstanceUid: SPLIT, seriesInstanceUid: SERIES, seriesNumber: 1, studyDescription: 'CT follow-up', accessionNumber: 'ACC-3002' });

  for (const pages of ['one page', 'a page per instance'] as const) {
    it(`each study lists, counts and opens its own series and instance (${pages})`, async () => {
      const { body, keys, db, context } = await setup();
      await stored(body, first);
      if (pages === 'a page per instance') await replayJournal(context);
      await stored(body, split);
      await replayJournal(context);

      const alphaId = await patientIdOf(keys.ledgerKey, alpha);
      const studies = await studiesOfPatient(db, keys.viewKey, alphaId);
      expect(studies.map((study) => [study.study.description, study.modalities, study.series.length, study.instances]).sort()).toEqual([
        ['CT follow-up', ['CT'], 1, 1],
        ['CT θώρακος', ['CT'], 1, 1],
      ]);
      for (const study of studies) {
        const opened = await viewerStudy(db, keys.viewKey, study.studyId);
        const expected = study.study.description === 'CT θώρακος' ? `${SERIES}.1` : `${SERIES}.901`;
        expect(opened.series.map((series) => [series.seriesInstanceUid, series.instances.map((instance) => instance.sopInstanceUid)])).toEqual([[SERIES, [expected]]]);
      }
      const all = await allStudies(db, keys.viewKey);
      expect(all.map((study) => [study.study.accessionNumber, study.series.length, study.instances]).sort()).toEqual([
        ['ACC-3001', 1, 1],
        ['ACC-3002', 1, 1],
      ]);
      expect([await db.series.count(), await db.instances.count()]).toEqual([2, 2]);

      // Erasing the patient takes both studies' rows.
      await appendSealedRecord(body, { kind: 'erasure.patient', meta: { v: 1, patientId: alphaId, messages: 2, records: 0, objects: 2 } });
      await replayJournal(context);
      expect([await db.studies.count(), await db.series.count(), await db.instances.count()]).toEqual([0, 0, 0]);
    });
  }

  it('views schema version 24 clears the imaging rows (a series keyed without its study) and replays from 0', async () => {
    const db = await openedAfterUpgrade('imaging-split-0001', 23, IMAGING_STORES, {
      meta: [{ key: CURSOR_KEY, value: 42 }, { key: 'problems', value: 1 }],
      studies: [{ id: 's', patientId: 'p', uid: 'u', seq: 1, tokens: ['t'], enc: new Uint8Array(1) }],
      series: [{ id: 'r', studyId: 's', patientId: 'p', seq: 1, enc: new Uint8Array(1) }],
      instances: [{ id: 'i', seriesId: 'r', studyId: 's', patientId: 'p', seq: 1, objectId: 'o', enc: new Uint8Array(1) }],
    });
    expect(await readCursor(db)).toBe(0);
    expect([await db.studies.count(), await db.series.count(), await db.instances.count()]).toEqual([0, 0, 0]);
    expect(await db.meta.get('problems')).toBeUndefined();
    db.close();
  });
});
