import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { IntakeQuarantine, NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { createOpener } from '../../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../../shared/crypto/vault-keys';
import { toBase64Url } from '../../../../shared/crypto/bytes';
import { replayJournal } from '../../../../renderer/vault/views/journal-replay';
import { normalizeMessageType } from '../../../../renderer/vault/views/message-log';
import { messageBySeq, messageRecords, quarantineResolution, searchMessages, type MessageQuery } from '../../../../renderer/vault/views/message-reads';
import { readMessageFacets } from '../../../../renderer/vault/views/projectors/message-projector';
import { TokenCache } from '../../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../../renderer/vault/views/vault-db';
import { appendSealedRecord, createFakeBody, TEST_ADMIN_SESSION, type FakeBody } from '../support/fake-body';
import { dumpAllDatabases } from '../support/idb-dump';

/** Issue 11: the message browser over every HL7 message stored or quarantined. */

function patient(mrn: string, family: string): Patient {
  return { identifiers: [{ value: mrn, authority: 'CLINIC', type: 'MR' }], name: { family, given: ['Test'] } };
}

const ACK = (control: string, code = 'AA') => `MSH|^~\\&|HDMS|NODE|LAB|NORTH|20250301082000||ACK^R01^ACK|A${control}|P|2.5.1\rMSA|${code}|${control}`;

function hl7Intake(of: Patient, messageId: string, messageType: string, extra: { app?: string; conflict?: boolean; mapping?: 'mapped' | 'not-mapped' } = {}): NormalizedIntake {
  return {
    channel: 'hl7-mllp',
    messageId,
    messageType,
    patient: of,
    records: [],
    hl7: {
      version: '2.5.1',
      sendingApplication: extra.app ?? 'LAB',
      sendingFacility: 'NORTH',
      mapping: extra.mapping ?? 'mapped',
      dedupeKey: 'k'.repeat(64),
      payloadSha256: 'p'.repeat(64),
      ack: 'AA',
      ackTexts: [ACK(messageId)],
      ...(extra.conflict === true ? { conflict: true } : {}),
    },
  };
}

function rejected(messageId: string, disposition: 'rejected' | 'held' = 'rejected'): IntakeQuarantine {
  return {
    type: 'quarantine',
    channel: 'hl7-mllp',
    disposition,
    reason: 'MSH-12 (version) is not supported.',
    acks: [disposition === 'held' ? 'AA' : 'AR'],
    ackTexts: [ACK(messageId, disposition === 'held' ? 'AA' : 'AR')],
    messageType: 'ADT^A01',
    messageId,
    sendingApplication: 'ADT',
    sendingFacility: 'EAST',
    version: '9.9',
    source: '127.0.0.1:50000',
  };
}

async function setup() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  const factory = new IDBFactory();
  const db = openVaultDb('messages-0001', { indexedDB: factory, IDBKeyRange });
  const context = { api: body.api, db, keys, opener: createOpener(keys.intakeKeyPair.privateKey), tokens: new TokenCache(keys.indexKey), isCurrent: () => true };
  return { body, keys, db, factory, context };
}

async function stored(body: FakeBody, at: string, normalized: NormalizedIntake, raw = 'MSH|...') {
  body.now = Date.parse(at);
  return appendSealedRecord(body, { kind: 'intake.hl7', meta: { v: 1, channel: normalized.channel, receivedAt: at, rawBytes: raw.length, normalized }, raw });
}

async function quarantined(body: FakeBody, at: string, quarantine: IntakeQuarantine) {
  body.now = Date.parse(at);
  return appendSealedRecord(body, { kind: 'intake.quarantine', meta: { v: 1, channel: quarantine.channel, receivedAt: at, rawBytes: 7, quarantine }, raw: 'MSH|bad' });
}

describe('message browser', () => {
  it('finds every message by control id, sender, type, status, date range and patient identifier, newest first, and pages through them', async () => {
    const { body, keys, db, factory, context } = await setup();
    const novak = patient('MRN00000007', 'Novak');
    const horvat = patient('MRN00000008', 'Horvat');
    // 1..60: ORU^R01 from LAB|NORTH, half Novak's, half Horvat's, one a day in March 2025.
    for (let i = 1; i <= 60; i++) {
      const day = String(1 + ((i - 1) % 28)).padStart(2, '0');
      const month = i <= 28 ? '03' : i <= 56 ? '04' : '05';
      await stored(body, `2025-${month}-${day}T08:00:00.000Z`, hl7Intake(i % 2 === 0 ? novak : horvat, `LAB-${i}`, 'ORU^R01^ORU_R01'));
    }
    await stored(body, '2025-05-10T08:00:00.000Z', hl7Intake(novak, 'ADT-1', 'ADT^A08', { app: 'ADT' }));
    await stored(body, '2025-05-11T08:00:00.000Z', hl7Intake(novak, 'LAB-1', 'ORU^R01', { conflict: true }));
    await stored(body, '2025-05-12T08:00:00.000Z', hl7Intake(horvat, 'MFN-1', 'MFN^M02', { mapping: 'not-mapped' }));
    const bad = await quarantined(body, '2025-05-13T08:00:00.000Z', rejected('BAD-1'));
    const held = await quarantined(body, '2025-05-14T08:00:00.000Z', rejected('HELD-1', 'held'));
    const fixed = await quarantined(body, '2025-05-15T08:00:00.000Z', rejected('BAD-2'));
    body.now = Date.parse('2025-05-16T08:00:00.000Z');
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: fixed.seq, resolved: true, results: [] } });
    await appendSealedRecord(body, { kind: 'intake.discarded', meta: { v: 1, type: 'discarded', quarantineSeq: held.seq } });
    await replayJournal(context);

    const search = (query: MessageQuery) => searchMessages(db, keys, query);
    const controls = async (query: MessageQuery) => (await search(query)).messages.map((m) => m.controlId);

    // The row count is kept in meta, and a replay of the same records from 0 does not count them twice.
    expect((await db.meta.get('messageCount'))?.value).toBe(66);
    await db.meta.put({ key: 'cursor', value: 0 });
    await replayJournal(context);
    expect((await db.meta.get('messageCount'))?.value).toBe(66);

    // Everything: 66 messages, newest first, 50 to a page, the total known.
    const first = await search({});
    expect(first.messages).toHaveLength(50);
    expect(first.more).toBe(true);
    expect(first.total).toBe(66);
    expect(first.messages[0]!.controlId).toBe('BAD-2');
    const second = await search({ before: first.messages.at(-1)!.seq });
    expect(second.messages).toHaveLength(16);
    expect(second.more).toBe(false);
    expect(new Set([...first.messages, ...second.messages].map((m) => m.seq)).size).toBe(66);

    // Control id: by its start, in any case (F10), the conflicting resend included.
    expect(await controls({ controlId: 'LAB-1' })).toEqual(['LAB-1', ...Array.from({ length: 10 }, (_, i) => `LAB-${19 - i}`), 'LAB-1']);
    expect(await controls({ controlId: ' BAD-1 ' })).toEqual(['BAD-1']);
    expect((await search({ controlId: 'LAB-' })).total).toBe(61);

    // Sender, type, status.
    expect(await controls({ sender: 'ADT|NORTH' })).toEqual(['ADT-1']);
    expect(await controls({ sender: 'ADT|EAST' })).toEqual(['BAD-2', 'HELD-1', 'BAD-1']);
    expect((await search({ types: ['oru_r01'] })).total).toBe(61);
    expect(await controls({ types: ['ADT^A08', 'MFN^M02'] })).toEqual(['MFN-1', 'ADT-1']);
    expect(await controls({ status: 'conflict' })).toEqual(['LAB-1']);
    expect(await controls({ status: 'not-mapped' })).toEqual(['MFN-1']);
    expect(await controls({ status: 'rejected' })).toEqual(['BAD-1']);
    expect(await controls({ status: 'reprocessed' })).toEqual(['BAD-2']);
    expect(await controls({ status: 'discarded' })).toEqual(['HELD-1']);
    expect((await search({ status: 'accepted' })).total).toBe(61);
    expect(await controls({ status: 'accepted', sender: 'ADT|NORTH' })).toEqual(['ADT-1']);
    // Sender with type: their own index, exact pairs only.
    expect(await controls({ sender: 'LAB|NORTH', types: ['MFN^M02', 'ADT^A08'] })).toEqual(['MFN-1']);
    expect((await search({ sender: 'LAB|NORTH', types: ['ORU^R01'], limit: 100 })).messages).toHaveLength(61);
    expect((await search({ sender: 'LAB|NORTH', types: ['ORU^R01'] })).total).toBe(61);

    // Date range [from, to): April's 28, combined with a type and a sender.
    const april = await search({ from: '2025-04-01T00:00:00.000Z', to: '2025-05-01T00:00:00.000Z', limit: 100 });
    expect(april.messages).toHaveLength(28);
    expect(april.messages.every((m) => m.at.startsWith('2025-04'))).toBe(true);
    expect(await controls({ from: '2025-05-11T00:00:00.000Z', to: '2025-05-13T00:00:00.000Z' })).toEqual(['MFN-1', 'LAB-1']);
    expect(await controls({ from: '2025-06-01T00:00:00.000Z' })).toEqual([]);

    // Patient: by a partial MRN in the blind index; Novak's 30 ORUs, the ADT and the conflict.
    const novaks = await search({ patient: 'MRN00000007', limit: 100 });
    expect(novaks.messages).toHaveLength(32);
    expect(new Set(novaks.messages.map((m) => m.patientId)).size).toBe(1);
    expect(await controls({ patient: 'MRN00000007', types: ['ADT^A08'] })).toEqual(['ADT-1']);
    expect((await search({ patient: 'MRN0000000', limit: 100 })).messages).toHaveLength(63);
    expect(await controls({ patient: 'nobody' })).toEqual([]);

    // A row: what was sent back, the status and the patient.
    const conflict = (await search({ status: 'conflict' })).messages[0]!;
    expect(conflict).toMatchObject({ sender: 'LAB|NORTH', messageType: 'ORU^R01', acks: ['AA'], ackTexts: [ACK('LAB-1')], kind: 'intake.hl7' });
    expect((await messageBySeq(db, keys.viewKey, bad.seq))).toMatchObject({ status: 'rejected', acks: ['AR'], reason: 'MSH-12 (version) is not supported.', patientId: '' });
    expect(await readMessageFacets(db, keys.viewKey)).toEqual({ senders: ['ADT|EAST', 'ADT|NORTH', 'LAB|NORTH'], types: ['ADT^A01', 'ADT^A08', 'MFN^M02', 'ORU^R01'] });

    // Nothing readable at rest: no control id, sender, type or MRN in IndexedDB.
    const dump = await dumpAllDatabases(factory);
    for (const secret of ['LAB-1', 'BAD-1', 'LAB|NORTH', 'NORTH', 'ORU^R01', 'MRN00000007', 'Novak']) expect(dump).not.toContain(secret);
    db.close();
  });

  it('F10: a control id is found by its start, in any case; under 3 characters only whole; nothing readable at rest', async () => {
    const { body, keys, db, factory, context } = await setup();
    const novak = patient('MRN00000007', 'Novak');
    const long = 'MSG-2026-12-07-ABCDEFGHIJKLMNOP-1';
    const ids = ['ORU0001', 'ORU0002', 'oru0100', 'ADT0001', 'AB', long, `${long.slice(0, 24)}XYZ`];
    for (const [index, id] of ids.entries()) await stored(body, `2026-12-07T08:0${index}:00.000Z`, hl7Intake(novak, id, 'ORU^R01'));
    await quarantined(body, '2026-12-07T09:00:00.000Z', rejected('Oru0003'));
    await replayJournal(context);
    const controls = async (controlId: string) => (await searchMessages(db, keys, { controlId })).messages.map((m) => m.controlId);

    expect(await controls('ORU0001')).toEqual(['ORU0001']);
    expect(await controls('oru0001')).toEqual(['ORU0001']);
    expect(await controls('ORU000')).toEqual(['Oru0003', 'ORU0002', 'ORU0001']);
    expect(await controls('oru')).toEqual(['Oru0003', 'oru0100', 'ORU0002', 'ORU0001']);
    expect((await searchMessages(db, keys, { controlId: 'Oru' })).total).toBe(4);
    // Under 3 characters: the whole id only (no prefix tokens that short).
    expect(await controls('ab')).toEqual(['AB']);
    expect(await controls('OR')).toEqual([]);
    // Past 24 characters (the longest prefix indexed) the rest of what was typed is checked too.
    expect(await controls(long.toLowerCase())).toEqual([long]);
    expect(await controls(long.slice(0, 26))).toEqual([long]);
    expect(await controls(long.slice(0, 24))).toEqual([`${long.slice(0, 24)}XYZ`, long]);
    expect(await controls('ORU0001X')).toEqual([]);
    // The whole id as received (a conflict's page: the other messages with its control id).
    const exact = async (controlId: string) => (await searchMessages(db, keys, { controlId, controlIdExact: true })).messages.map((m) => m.controlId);
    expect(await exact('ORU0001')).toEqual(['ORU0001']);
    expect(await exact('ORU000')).toEqual([]);
    expect(await exact('oru0100')).toEqual(['oru0100']);
    expect(await exact('ORU0100')).toEqual([]);
    expect(await exact(long)).toEqual([long]);
    // With another filter, and with keyset paging.
    expect((await searchMessages(db, keys, { controlId: 'oru', status: 'rejected' })).messages.map((m) => m.controlId)).toEqual(['Oru0003']);
    const page = await searchMessages(db, keys, { controlId: 'oru', limit: 2 });
    expect(page.more).toBe(true);
    expect((await searchMessages(db, keys, { controlId: 'oru', limit: 2, before: page.messages.at(-1)!.seq })).messages.map((m) => m.controlId)).toEqual(['ORU0002', 'ORU0001']);

    const dump = await dumpAllDatabases(factory);
    for (const secret of ['ORU0001', 'oru0001', 'ORU000', 'ADT0001']) expect(dump).not.toContain(secret);
    db.close();
  });

  it('QA round 4 #11: counts the messages of a date range, alone or with one other filter, as it counts a type or a status', async () => {
    const { body, keys, db, context } = await setup();
    const novak = patient('MRN00000007', 'Novak');
    // 30 ORUs on 2026-12-05, 70 on 2026-12-06 (60 ORU, 10 ADT), 5 on 2026-12-07.
    const days: [string, number, string][] = [['2026-12-05', 30, 'ORU^R01'], ['2026-12-06', 60, 'ORU^R01'], ['2026-12-06', 10, 'ADT^A01'], ['2026-12-07', 5, 'ORU^R01']];
    let n = 0;
    for (const [day, count, type] of days) {
      for (let i = 0; i < count; i++) {
        n++;
        const minute = String(n % 60).padStart(2, '0');
        await stored(body, `${day}T${String(8 + Math.floor(n / 60)).padStart(2, '0')}:${minute}:00.000Z`, hl7Intake(novak, `M-${n}`, type));
      }
    }
    await replayJournal(context);
    const day = { from: '2026-12-06T00:00:00.000Z', to: '2026-12-07T00:00:00.000Z' };
    const oneDay = await searchMessages(db, keys, day);
    expect(oneDay.messages).toHaveLength(50);
    expect(oneDay.more).toBe(true);
    expect(oneDay.total).toBe(70);
    expect(oneDay.totalCapped).toBeUndefined();
    expect((await searchMessages(db, keys, { ...day, types: ['ORU^R01'] })).total).toBe(60);
    expect((await searchMessages(db, keys, { from: '2026-12-06T00:00:00.000Z' })).total).toBe(75);
    expect((await searchMessages(db, keys, { to: '2026-12-07T00:00:00.000Z', limit: 10 })).total).toBe(100);
    expect((await searchMessages(db, keys, { ...day, status: 'accepted', limit: 10 })).total).toBe(70);
    db.close();
  });

  it('drops the messages of an erased patient, in journal order within a page', async () => {
    const { body, keys, db, context } = await setup();
    const novak = patient('MRN00000007', 'Novak');
    await stored(body, '2025-03-01T08:00:00.000Z', hl7Intake(novak, 'A', 'ADT^A04'));
    await replayJournal(context);
    expect((await searchMessages(db, keys, {})).total).toBe(1);
    const patientId = (await searchMessages(db, keys, {})).messages[0]!.patientId;
    // Erased, then a new admission of the same patient in the same page: the new one stays.
    await appendSealedRecord(body, { kind: 'erasure.patient', meta: { v: 1, patientId, messages: 1, records: 0, objects: 1 } });
    await stored(body, '2025-03-02T08:00:00.000Z', hl7Intake(novak, 'B', 'ADT^A04'));
    // (An unauthenticated mind event before any marker is legacy and applied.)
    await replayJournal(context);
    expect((await searchMessages(db, keys, {})).messages.map((m) => m.controlId)).toEqual(['B']);
    expect((await db.meta.get('messageCount'))?.value).toBe(1);
    db.close();
  });

  it('keeps which quarantine entry a reprocessed message came from, and whether the operator edited it', async () => {
    const { body, db, keys, context } = await setup();
    const held = await quarantined(body, '2025-03-01T08:00:00.000Z', rejected('NOPID-1', 'held'));
    const base = hl7Intake(patient('MRN1', 'Keller'), 'NOPID-1', 'ORU^R01^ORU_R01');
    const { seq } = await stored(body, '2025-03-01T08:05:00.000Z', { ...base, channel: 'hl7-reprocess', hl7: { ...base.hl7!, reprocessOf: { quarantineSeq: held.seq, edited: true } } });
    await replayJournal(context);
    const row = await messageBySeq(db, keys.viewKey, seq);
    expect(row).toMatchObject({ channel: 'hl7-reprocess', status: 'accepted', reprocessOf: { quarantineSeq: held.seq, edited: true } });
  });

  it('QA round 4 #8: a quarantined message reprocessed since names the copies it filed and the entries it was held again as', async () => {
    const { body, db, keys, context } = await setup();
    const bad = await quarantined(body, '2025-03-01T08:00:00.000Z', rejected('CS-2'));
    const other = await quarantined(body, '2025-03-01T08:01:00.000Z', rejected('CS-3'));
    const open = await quarantined(body, '2025-03-01T08:02:00.000Z', rejected('CS-4'));
    // A message from a sender in between, then the edited copy of CS-2 and the act that settled it.
    await stored(body, '2025-03-01T08:04:00.000Z', hl7Intake(patient('MRN2', 'Other'), 'LAB-9', 'ORU^R01'));
    const base = hl7Intake(patient('MRN1', 'Größe'), 'CS-2', 'ADT^A01');
    const copy = await stored(body, '2025-03-01T08:05:00.000Z', { ...base, channel: 'hl7-reprocess', hl7: { ...base.hl7!, reprocessOf: { quarantineSeq: bad.seq, edited: true } } });
    body.now = Date.parse('2025-03-01T08:05:01.000Z');
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: bad.seq, resolved: true, results: [] } });
    // CS-3 reprocessed and held again as a new quarantine entry.
    const again = await quarantined(body, '2025-03-01T08:06:00.000Z', rejected('CS-3', 'held'));
    await appendSealedRecord(body, { kind: 'intake.reprocessed', meta: { v: 1, type: 'reprocessed', quarantineSeq: other.seq, resolved: true, heldAgainAs: [again.seq], results: [] } });
    await replayJournal(context);

    expect(await quarantineResolution(db, keys.viewKey, bad.seq)).toEqual({ status: 'reprocessed', at: '2025-03-01T08:05:01.000Z', copies: [{ seq: copy.seq, controlId: 'CS-2', edited: true }], heldAgainAs: [] });
    expect(await quarantineResolution(db, keys.viewKey, other.seq)).toMatchObject({ status: 'reprocessed', copies: [], heldAgainAs: [again.seq] });
    expect(await quarantineResolution(db, keys.viewKey, open.seq)).toBeNull();
    db.close();
  });

  it('issue 11/12 tester #1: a quarantined DICOM input is no message of the HL7 browser (a row a view built before kept goes at the next replay)', async () => {
    const { body, db, keys, context } = await setup();
    const hl7 = await quarantined(body, '2025-03-01T08:00:00.000Z', rejected('HL7-1'));
    const dicom: IntakeQuarantine = { type: 'quarantine', channel: 'dicom', disposition: 'rejected', reason: 'The data set ends inside (7FE0,0010).', acks: [], source: 'MODALITY@127.0.0.1', messageType: 'DICOM', messageId: '1.2.826.0.1.3680043.8.498.1' };
    const garbage = await quarantined(body, '2025-03-01T08:01:00.000Z', dicom);
    const held = await quarantined(body, '2025-03-01T08:02:00.000Z', { ...dicom, disposition: 'held', reason: 'The instance has no Patient ID (0010,0020): stored, not filed under a patient.', messageId: '1.2.826.0.1.3680043.8.498.2' });
    body.now = Date.parse('2025-03-01T08:03:00.000Z');
    await appendSealedRecord(body, { kind: 'intake.discarded', meta: { v: 1, type: 'discarded', quarantineSeq: held.seq } });
    await replayJournal(context);
    expect((await searchMessages(db, keys, {})).messages.map((m) => m.seq)).toEqual([hl7.seq]);
    expect((await searchMessages(db, keys, { types: ['DICOM'] })).messages).toEqual([]);
    expect(await messageBySeq(db, keys.viewKey, garbage.seq)).toBeNull();
    expect((await db.meta.get('messageCount'))?.value).toBe(1);
    expect((await readMessageFacets(db, keys.viewKey)).types).toEqual(['ADT^A01']);
    // A view built by an earlier version listed them: a replay from the start takes the rows out and counts them down.
    const stale = (await db.messages.get(hl7.seq))!;
    await db.messages.bulkPut([{ ...stale, seq: garbage.seq }, { ...stale, seq: held.seq }]);
    await db.meta.put({ key: 'messageCount', value: 3 });
    await db.meta.put({ key: 'cursor', value: 0 });
    await replayJournal(context);
    expect(await db.messages.count()).toBe(1);
    expect((await db.meta.get('messageCount'))?.value).toBe(1);
    db.close();
  });

  it('normalizes message types as stored and as typed', () => {
    expect(normalizeMessageType('ORU^R01^ORU_R01')).toBe('ORU^R01');
    expect(normalizeMessageType('oru_r01', true)).toBe('ORU^R01');
    expect(normalizeMessageType('ADT-A08', true)).toBe('ADT^A08');
    expect(normalizeMessageType(' ack ')).toBe('ACK');
  });
  it('QA s34 D4: a message whose header names no sender is listed, offered and found under the label the counters and the quarantine use', async () => {
    const { body, keys, db, context } = await setup();
    const { sendingApplication: _app, sendingFacility: _facility, ...noSender } = rejected('NOMSH-1');
    await quarantined(body, '2025-06-01T08:00:00.000Z', { ...noSender, source: '127.0.0.1:50412', reason: 'The first segment is not MSH.' });
    await quarantined(body, '2025-06-01T08:01:00.000Z', { ...rejected('NOMSH-2'), sendingApplication: '', sendingFacility: '', source: '127.0.0.1:50999' });
    await replayJournal(context);
    const label = 'No readable sender (from 127.0.0.1)';
    const found = await searchMessages(db, keys, {});
    expect(found.messages.map((m) => m.sender)).toEqual([label, label]);
    expect((await readMessageFacets(db, keys.viewKey)).senders).toContain(label);
    expect((await searchMessages(db, keys, { sender: label })).messages.map((m) => m.controlId)).toEqual(['NOMSH-2', 'NOMSH-1']);
  });
  it('QA s34 D6: the records a message filed, in message order, each under its patient; an update filed none', async () => {
    const { body, keys, db, context } = await setup();
    const novak = patient('MRN00000007', 'Novak');
    const glucose = { type: 'observation', category: 'laboratory', code: { code: '2345-7', system: 'LN', display: 'Glucose' }, value: { kind: 'numeric', value: 5.4, unit: 'mmol/L' }, time: '2025-03-01T08:00:00.000Z', status: 'F' } as const;
    const potassium = { ...glucose, code: { code: '2823-3', system: 'LN', display: 'Potassium' }, value: { kind: 'numeric', value: 4.1, unit: 'mmol/L' } } as const;
    const oru = await stored(body, '2025-03-01T08:00:00.000Z', { ...hl7Intake(novak, 'LAB-1', 'ORU^R01'), records: [glucose, potassium] as never });
    const a08 = await stored(body, '2025-03-02T08:00:00.000Z', hl7Intake({ ...novak, name: { family: 'Novak-Horvat', given: ['Test'] } }, 'ADT-2', 'ADT^A08'));
    await replayJournal(context);
    const message = (await messageBySeq(db, keys.viewKey, oru.seq))!;
    expect(message.records).toBe(2);
    const rows = await messageRecords(db, keys.viewKey, message.patientId, oru.seq, message.records!);
    expect(rows.map((r) => [r.patientId, r.source.seq, r.record.type === 'observation' ? r.record.code.display : ''])).toEqual([
      [message.patientId, oru.seq, 'Glucose'],
      [message.patientId, oru.seq, 'Potassium'],
    ]);
    const update = (await messageBySeq(db, keys.viewKey, a08.seq))!;
    expect(update.records).toBe(0);
    expect(await messageRecords(db, keys.viewKey, update.patientId, a08.seq, 0)).toEqual([]);
  });
});
