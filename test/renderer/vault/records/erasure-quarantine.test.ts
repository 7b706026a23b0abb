import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { IntakeQuarantine, NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import { DEFAULT_DICOM_SETTINGS } from '../../../../shared/ipc/dicom-contract';
import { createVaultService } from '../../../../renderer/vault/create-vault-service';
import { dicomPatientIdentifier, hl7PatientIdentifiers, QUARANTINE_SCAN_PAGE } from '../../../../renderer/vault/records/erasure-quarantine';
import { instanceElements, part10File } from '../../../electron/intake/dicom/dicom-test-support';
import { appendSealedRecord, createFakeBody } from '../support/fake-body';

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));

describe('identifiers a quarantined input names', () => {
  it('reads every PID-3 identifier with its assigning authority (CX-4 namespace, else universal id), with the message’s own delimiters', () => {
    const raw = latin1(
      'MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20250301||ADT^A01|C1|P|2.5.1|||||||8859/1\r' +
        'PID|1||QQ1^^^CLINIC^MR~QQ2^^^&1.2.3.4&ISO^PI~^^^NOVALUE||Größe^Wiebke\r' +
        'MSH#$%\\*#ADT#CLINIC#HDMS#NODE#20250301##ADT$A08#C2#P#2.5.1\n' +
        'PID#1##QQ3$$$OTHER$MR%QQ4$$$*urn:x*ISO\n',
    );
    expect(hl7PatientIdentifiers(raw)).toEqual([
      { value: 'QQ1', authority: 'CLINIC' },
      { value: 'QQ2', authority: '1.2.3.4' },
      { value: 'QQ3', authority: 'OTHER' },
      { value: 'QQ4', authority: 'urn:x' },
    ]);
    expect(hl7PatientIdentifiers(latin1('no hl7 at all'))).toEqual([]);
  });

  it('reads a DICOM instance’s Patient ID and Issuer of Patient ID, also from a file cut short', () => {
    const whole = part10File(instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.5.1', patientId: 'QQ9988776655', issuer: 'CLINIC', patientName: 'Zqxwvutsrq^Yplmkojnib' }));
    expect(dicomPatientIdentifier(whole)).toEqual({ value: 'QQ9988776655', issuer: 'CLINIC' });
    expect(dicomPatientIdentifier(whole.subarray(0, whole.length - 20))).toEqual({ value: 'QQ9988776655', issuer: 'CLINIC' });
    expect(dicomPatientIdentifier(part10File(instanceElements({ sopInstanceUid: '1.2.3.4', patientName: 'No^Id' })))).toBeNull();
  });
});

describe('identifiers a quarantined input names, read as the intake files them (HL7 escapes, PID-2/PID-4, limits)', () => {
  const message = (pid: string, msh = 'MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20250301||ADT^A01|E1|P|2.5.1') => latin1(`${msh}\r${pid}\r`);

  it('decodes escapes in the identifier: \\T\\ \\S\\ \\F\\ \\R\\ \\E\\ are the delimiters, as the chart has them', () => {
    expect(hl7PatientIdentifiers(message('PID|1||MRN\\T\\01^^^CLINIC^MR~A\\S\\B\\F\\C\\R\\D\\E\\E^^^CLINIC^PI||Name'))).toEqual([
      { value: 'MRN&01', authority: 'CLINIC' },
      { value: 'A^B|C~D\\E', authority: 'CLINIC' },
    ]);
  });

  it('decodes escapes in the assigning authority (namespace, and universal id when the namespace is empty)', () => {
    expect(hl7PatientIdentifiers(message('PID|1||QQ1^^^ST\\T\\MARY^MR~QQ2^^^&urn\\S\\x\\E\\y&ISO^PI||Name'))).toEqual([
      { value: 'QQ1', authority: 'ST&MARY' },
      { value: 'QQ2', authority: 'urn^x\\y' },
    ]);
  });

  it('decodes hex escapes (\\Xhh\\), trimming and clipping the decoded value as the intake does', () => {
    expect(hl7PatientIdentifiers(message(`PID|1||QQ\\X41\\7^^^\\X434C494E4943\\^MR~\\X20\\QQ8\\X20\\^^^CLINIC~${'A'.repeat(60)}\\X42\\^^^CLINIC||Name`))).toEqual([
      { value: 'QQA7', authority: 'CLINIC' },
      { value: 'QQ8', authority: 'CLINIC' },
      { value: `${'A'.repeat(60)}B`, authority: 'CLINIC' },
    ]);
  });

  it('decodes escapes with the message’s own delimiters (a custom escape character)', () => {
    const raw = message('PID#1##QQ!T!9$$$ST!S!MARY$MR%QQ!E!10$$$!F!X||', 'MSH#$%!*#ADT#CLINIC#HDMS#NODE#20250301##ADT$A08#C2#P#2.5.1');
    expect(hl7PatientIdentifiers(raw)).toEqual([
      { value: 'QQ*9', authority: 'ST$MARY' },
      { value: 'QQ!10', authority: '#X||' },
    ]);
  });

  it('falls back to PID-2, then PID-4, when PID-3 has no identifier (as the intake files the patient)', () => {
    expect(hl7PatientIdentifiers(message('PID|1|OLD\\T\\7^^^LEGACY^PI||Name'))).toEqual([{ value: 'OLD&7', authority: 'LEGACY' }]);
    expect(hl7PatientIdentifiers(message('PID|1||^^^CLINIC^MR~ ^^^CLINIC|ALT-4^^^OTHER^PI|Name'))).toEqual([{ value: 'ALT-4', authority: 'OTHER' }]);
    // PID-3 wins when it has one: PID-2 and PID-4 are not what the intake files then.
    expect(hl7PatientIdentifiers(message('PID|1|OLD-7^^^LEGACY|QQ1^^^CLINIC|ALT-4^^^OTHER|Name'))).toEqual([{ value: 'QQ1', authority: 'CLINIC' }]);
  });

  it('reads at most 10 identifiers of a PID, the empty repetitions not counted (as the intake files them)', () => {
    const repetitions = ['^^^CLINIC', ...Array.from({ length: 12 }, (_, i) => `QQ${i}^^^CLINIC`)].join('~');
    expect(hl7PatientIdentifiers(message(`PID|1||${repetitions}||Name`))).toEqual(Array.from({ length: 10 }, (_, i) => ({ value: `QQ${i}`, authority: 'CLINIC' })));
  });
});

const QUARANTINED: IntakeQuarantine = { type: 'quarantine', channel: 'hl7-mllp', disposition: 'rejected', reason: 'MSH-18 names a character set the bytes are not in.', acks: ['AR'] };
const DICOM_QUARANTINED: IntakeQuarantine = { type: 'quarantine', channel: 'dicom', disposition: 'rejected', reason: 'The data set ends inside Pixel Data.', acks: [] };

describe('erasure: quarantined inputs never filed that name the patient (issue 11)', () => {
  it('erases those naming one of the patient’s identifiers with its authority, lists them first, and keeps another authority’s, a name alone and other patients’', { timeout: 60_000 }, async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const hl7Quarantine = (raw: Uint8Array) => ({ kind: 'intake.quarantine', raw, meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:21:00.000Z', rawBytes: raw.length, quarantine: QUARANTINED } });
    const dicomQuarantine = (raw: Uint8Array) => ({ kind: 'intake.quarantine', raw, meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-01T08:22:00.000Z', rawBytes: raw.length, quarantine: DICOM_QUARANTINED } });
    const pid = (cx: string, name: string) => latin1(`MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20250301||ADT^A01|Q${cx.length}|P|2.5.1|||||||UNICODE UTF-8\rPID|1||${cx}||${name}\r`);
    const dicom = (uid: string, fields: { patientId: string; issuer?: string }) => {
      const whole = part10File(instanceElements({ sopInstanceUid: uid, patientName: 'Zqxwvutsrq^Yplmkojnib', ...fields }));
      return whole.subarray(0, whole.length - 20);
    };

    // Her chart: one ADT filed under QQ9988776655 of CLINIC.
    const patient: Patient = { identifiers: [{ value: 'QQ9988776655', authority: 'CLINIC', type: 'MR' }], name: { family: 'Zqxwvutsrq', given: ['Yplmkojnib'] } };
    const normalized: NormalizedIntake = {
      channel: 'hl7-mllp',
      messageId: 'FILED1',
      messageType: 'ADT^A01',
      patient,
      records: [],
      hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64) },
    };
    await appendSealedRecord(body, { kind: 'intake.hl7', raw: 'MSH|^~\\&|ADT|CLINIC|||20250301||ADT^A01|FILED1|P|2.5.1\rPID|1||QQ9988776655^^^CLINIC^MR||Zqxwvutsrq^Yplmkojnib\r', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:00:00.000Z', rawBytes: 100, normalized } });
    // Quarantined, never filed: held for a wrong charset (latin1 bytes under UTF-8), her MRN in PID-3 (second repetition).
    const charset = await appendSealedRecord(body, hl7Quarantine(pid('X-1^^^LAB^PI~QQ9988776655^^^CLINIC^MR', 'Zqxwvutsrq^Yplmkojnib^Größe')));
    // A DICOM instance cut short, her Patient ID with CLINIC as issuer.
    const instance = await appendSealedRecord(body, dicomQuarantine(dicom('1.2.826.0.1.3680043.10.999.6.1', { patientId: 'QQ9988776655', issuer: 'CLINIC' })));
    // Not hers: the same number from another authority, her name with another MRN, an instance without issuer, someone else.
    const otherAuthority = await appendSealedRecord(body, hl7Quarantine(pid('QQ9988776655^^^OTHERCLINIC^MR', 'Other^Person')));
    const nameOnly = await appendSealedRecord(body, hl7Quarantine(pid('ZZ-1^^^CLINIC^MR', 'Zqxwvutsrq^Yplmkojnib')));
    const noIssuer = await appendSealedRecord(body, dicomQuarantine(dicom('1.2.826.0.1.3680043.10.999.6.2', { patientId: 'QQ9988776655' })));
    const someoneElse = await appendSealedRecord(body, hl7Quarantine(pid('MRN-3003^^^CLINIC^MR', 'Lindqvist^Sven')));
    // More quarantine than one page, so the scan reads it in pages.
    for (let i = 0; i < QUARANTINE_SCAN_PAGE; i++) await appendSealedRecord(body, { kind: 'intake.quarantine', meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T09:00:00.000Z', objectId: null, rawBytes: 0, quarantine: QUARANTINED } });
    const late = await appendSealedRecord(body, hl7Quarantine(pid('QQ9988776655^^^CLINIC^MR', 'Zqxwvutsrq^Yplmkojnib')));
    await vault.sync();

    const [patientId] = (await vault.search('Zqxwvutsrq')).patientIds;
    expect(await vault.erasurePreview(patientId!)).toEqual({ quarantined: 3, reports: 0 });
    await vault.erasePatient(patientId!);

    const kindOf = (seq: number) => body.journal[seq - 1]!.kind;
    expect([charset, instance, late].map((record) => kindOf(record.seq))).toEqual(['erased', 'erased', 'erased']);
    expect([otherAuthority, nameOnly, noIssuer, someoneElse].map((record) => kindOf(record.seq))).toEqual(Array(4).fill('intake.quarantine'));
    const erased = body.calls.filter((call) => call.method === 'vault.erase').map((call) => call.payload as { seqs: number[]; objects: string[] });
    expect(erased.flatMap((call) => call.objects)).toEqual(expect.arrayContaining([charset.objectId, instance.objectId, late.objectId]));
    for (const kept of [otherAuthority, nameOnly, noIssuer, someoneElse]) expect(erased.flatMap((call) => call.objects)).not.toContain(kept.objectId);
    // Gone from this window's quarantine, and from a rebuild (the ERASURE event lists their seqs).
    const left = async () => new Set((await vault.quarantine()).map((entry) => entry.seq));
    for (const gone of [charset, instance, late]) expect((await left()).has(gone.seq)).toBe(false);
    await vault.rebuildIndex();
    const rebuilt = await left();
    for (const gone of [charset, instance, late]) expect(rebuilt.has(gone.seq)).toBe(false);
    for (const kept of [otherAuthority, nameOnly, noIssuer, someoneElse]) expect(rebuilt.has(kept.seq)).toBe(true);
  });

  it('erases the quarantined HL7 inputs naming her identifier escaped (MRN\\T\\01 is the chart’s MRN&01) or only in PID-2', { timeout: 30_000 }, async () => {
    const body = createFakeBody();
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    // Her chart as the intake filed it: the escapes decoded.
    const patient: Patient = { identifiers: [{ value: 'MRN&01', authority: 'ST^MARY', type: 'MR' }], name: { family: 'Qwmnbvcxz', given: ['Plokijuh'] } };
    await appendSealedRecord(body, {
      kind: 'intake.hl7',
      raw: 'MSH|^~\\&|ADT|CLINIC|||20250301||ADT^A01|F6|P|2.5.1\rPID|1||MRN\\T\\01^^^ST\\S\\MARY^MR||Qwmnbvcxz^Plokijuh\r',
      meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:00:00.000Z', rawBytes: 100, normalized: { channel: 'hl7-mllp', messageId: 'F6', messageType: 'ADT^A01', patient, records: [], hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'e'.repeat(64), payloadSha256: 'f'.repeat(64) } } },
    });
    const quarantined = (pid: string) => {
      const raw = latin1(`MSH|^~\\&|ADT|CLINIC|HDMS|NODE|20250301||ADT^A01|Q${pid.length}|P|2.5.1|||||||UNICODE UTF-8\r${pid}\r`);
      return appendSealedRecord(body, { kind: 'intake.quarantine', raw, meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:21:00.000Z', rawBytes: raw.length, quarantine: QUARANTINED } });
    };
    const escaped = await quarantined('PID|1||MRN\\T\\01^^^ST\\S\\MARY^MR||Qwmnbvcxz^Plokijuh^Größe');
    const hex = await quarantined('PID|1||MRN\\X2630\\1^^^ST\\X5E\\MARY^MR||Qwmnbvcxz^Plokijuh');
    const pid2 = await quarantined('PID|1|MRN\\T\\01^^^ST\\S\\MARY||^^^ST\\S\\MARY||Qwmnbvcxz^Plokijuh');
    // Not hers: the same MRN from another authority.
    const other = await quarantined('PID|1||MRN\\T\\01^^^ST\\S\\JOHN^MR||Other^Person');
    await vault.sync();
    const [patientId] = (await vault.search('Qwmnbvcxz')).patientIds;
    expect(await vault.erasurePreview(patientId!)).toEqual({ quarantined: 3, reports: 0 });
    await vault.erasePatient(patientId!);
    expect([escaped, hex, pid2, other].map((record) => body.journal[record.seq - 1]!.kind)).toEqual(['erased', 'erased', 'erased', 'intake.quarantine']);
  });

  it('matches a DICOM instance by the authority the receiver’s issuer map gives its issuer', { timeout: 30_000 }, async () => {
    const body = createFakeBody({
      handlers: { 'dicom.getSettings': () => ({ settings: { ...DEFAULT_DICOM_SETTINGS, issuerAuthorities: { 'NORTH-PACS': 'CLINIC' } }, portOverride: null, listener: { channel: 'dicom', state: 'closed' } }) },
    });
    const vault = createVaultService({ api: body.api, transport: body.transport, host: 'shell', indexedDB: new IDBFactory(), IDBKeyRange, testOnlyPbkdf2Iterations: 1000 });
    await vault.ready();
    await vault.create({ operatorName: 'Ada Admin', passphrase: 'violet tractor amber seventeen' });
    const patient: Patient = { identifiers: [{ value: 'QQ5', authority: 'CLINIC', type: 'MR' }], name: { family: 'Pqowieuryt', given: ['Alskdjfhg'] } };
    await appendSealedRecord(body, {
      kind: 'intake.hl7',
      raw: 'MSH|^~\\&|ADT|CLINIC|||20250301||ADT^A01|F5|P|2.5.1\rPID|1||QQ5^^^CLINIC^MR||Pqowieuryt^Alskdjfhg\r',
      meta: { v: 1, channel: 'hl7-mllp', receivedAt: '2025-03-01T08:00:00.000Z', rawBytes: 100, normalized: { channel: 'hl7-mllp', messageId: 'F5', messageType: 'ADT^A01', patient, records: [], hl7: { version: '2.5.1', sendingApplication: 'ADT', sendingFacility: 'CLINIC', mapping: 'mapped', dedupeKey: 'c'.repeat(64), payloadSha256: 'd'.repeat(64) } } },
    });
    const raw = part10File(instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.7.1', patientId: 'QQ5', issuer: 'NORTH-PACS', patientName: 'Pqowieuryt^Alskdjfhg' }));
    const mapped = await appendSealedRecord(body, { kind: 'intake.quarantine', raw, meta: { v: 1, channel: 'dicom', receivedAt: '2025-03-01T08:22:00.000Z', rawBytes: raw.length, quarantine: DICOM_QUARANTINED } });
    await vault.sync();
    const [patientId] = (await vault.search('Pqowieuryt')).patientIds;
    await vault.erasePatient(patientId!);
    expect(body.journal[mapped.seq - 1]!.kind).toBe('erased');
  });
});
