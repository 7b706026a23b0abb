import { describe, expect, it } from 'vitest';
import { IntakeQuarantineSchema, NormalizedIntakeSchema } from '../../../../shared/domain/clinical';
import { MAX_NAMED_SENDERS, OTHER_SENDERS } from '../../../../electron/intake/hl7/hl7-intake';
import { fixture, hl7, makeIntake, msh, segment, segmentsOf } from './hl7-test-support';

const peer = { address: '127.0.0.1', port: 40000 };

describe('HL7 intake: accepted messages', () => {
  it('stores the raw bytes unchanged with the normalized record, then answers AA', async () => {
    const { intake, pipeline } = makeIntake();
    const bytes = fixture('oru_lab.hl7');
    const [ack, ...rest] = await intake.handleFrame(bytes, peer);
    expect(rest).toEqual([]);
    expect(segment(ack!, 'MSA')).toEqual(['MSA', 'AA', 'LAB-0001']);
    expect(pipeline.ingested).toHaveLength(1);
    const [input] = pipeline.ingested;
    expect(Buffer.from(input!.raw).equals(bytes)).toBe(true);
    expect(input!.kind).toBe('intake.hl7');
    expect(NormalizedIntakeSchema.parse(input!.normalized).hl7).toMatchObject({ mapping: 'mapped', ack: 'AA', payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('answers only after the pipeline resolved (journal fsync)', async () => {
    const { intake, pipeline } = makeIntake();
    pipeline.state.delayMs = 50;
    let answered = false;
    const pending = intake.handleFrame(fixture('adt_a04.hl7'), peer).then((acks) => {
      answered = true;
      return acks;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    expect(pipeline.ingested).toHaveLength(0);
    await pending;
    expect(pipeline.ingested).toHaveLength(1);
  });

  it('enhanced mode: CA then AA', async () => {
    const { intake } = makeIntake();
    const acks = await intake.handleFrame(fixture('adt_enhanced_al_al.hl7'), peer);
    expect(acks.map((ack) => segment(ack, 'MSA')[1])).toEqual(['CA', 'AA']);
  });

  it('an unmapped type is stored and acknowledged AA, marked not mapped', async () => {
    const { intake, pipeline } = makeIntake();
    const [ack] = await intake.handleFrame(fixture('siu_s12_unmapped.hl7'), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested[0]!.normalized.hl7?.mapping).toBe('not-mapped');
  });

  it('a type that never names a patient (MFN, no PID) is acknowledged AA and kept "not mapped", not held (QA s33 D5)', async () => {
    const { intake, pipeline } = makeIntake();
    const [ack] = await intake.handleFrame(fixture('mfn_no_pid.hl7'), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(0);
    expect(pipeline.quarantined[0]!.quarantine).toMatchObject({ disposition: 'not-mapped', acks: ['AA'], messageType: 'MFN^M02', messageId: 'MFN-0001' });
  });

  it('a mapped type without a PID is still held in quarantine (an edit can add one)', async () => {
    const { intake, pipeline } = makeIntake();
    const oru = 'MSH|^~\\&|LAB|NORTH|HDMS|NODE|20260301120000||ORU^R01|ORU-NOPID|P|2.5.1\rOBR|1||ACC-1|2951-2^Sodium^LN\rOBX|1|NM|2951-2^Sodium^LN||140|mmol/L|||||F';
    const [ack] = await intake.handleFrame(Buffer.from(oru), peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(pipeline.quarantined[0]!.quarantine).toMatchObject({ disposition: 'held', acks: ['AA'], messageType: 'ORU^R01' });
  });
});

describe('HL7 intake: rejected input', () => {
  it.each([
    ['oru_no_ctrl_id.hl7', 101, 'MSH^1^10'],
    ['adt_custom_delims.hl7', 102, 'MSH^1^2'],
    ['adt_version3.hl7', 203, 'MSH^1^12'],
    ['not_hl7.txt', 100, undefined],
  ])('%s → quarantine (raw sealed, reason) then AR with ERR %i', async (name, code, location) => {
    const { intake, pipeline } = makeIntake();
    const bytes = fixture(name);
    const [ack] = await intake.handleFrame(bytes, peer);
    const text = ack!.toString('latin1');
    expect(text).toMatch(/\r?MSA[|^]AR/);
    expect(text).toContain(`${code}`);
    expect(pipeline.ingested).toHaveLength(0);
    expect(pipeline.quarantined).toHaveLength(1);
    const q = pipeline.quarantined[0]!;
    expect(Buffer.from(q.raw).equals(bytes)).toBe(true);
    expect(IntakeQuarantineSchema.parse(q.quarantine)).toMatchObject({ disposition: 'rejected', channel: 'hl7-mllp', errorCode: code, acks: ['AR'], source: '127.0.0.1:40000' });
    if (location !== undefined) expect(q.quarantine.errorLocation).toBe(location);
  });

  it('an MSH-18 this node does not know (KLINGON) → quarantined with the reason naming it, then AE with ERR 103 at MSH-18', async () => {
    const { intake, pipeline } = makeIntake();
    const bytes = fixture('oru_unknown_charset.hl7');
    const [ack] = await intake.handleFrame(bytes, peer);
    expect(segment(ack!, 'MSA').slice(0, 3)).toEqual(['MSA', 'AE', 'CS-0001']);
    expect(segment(ack!, 'ERR')[2]).toBe('MSH^1^18');
    expect(segment(ack!, 'ERR')[3]).toBe('103^Table value not found^HL70357');
    expect(pipeline.ingested).toHaveLength(0);
    const q = pipeline.quarantined[0]!;
    expect(Buffer.from(q.raw).equals(bytes)).toBe(true);
    expect(IntakeQuarantineSchema.parse(q.quarantine)).toMatchObject({ disposition: 'rejected', errorCode: 103, errorLocation: 'MSH^1^18', acks: ['AE'], charset: 'KLINGON' });
    expect(q.quarantine.reason).toMatch(/^MSH-18 names a character set this node does not know: KLINGON\./);
    // The reason names the field, never the patient's data (PID-5 of the fixture is A^B).
    expect(q.quarantine.reason).not.toMatch(/MRN1|\bA\^B\b/);
    // The analyst's way out: reprocess with the quarantine's charset override, which wins over MSH-18.
    const quarantineSeq = pipeline.state.seq;
    const overridden = makeIntake({ forceCharset: '8859/1' });
    const results = await overridden.intake.importFile(bytes, { name: `reprocess of record ${quarantineSeq}`, reprocess: { quarantineSeq, edited: false, charset: '8859/1', charsetOverride: true } });
    expect(results[0]).toMatchObject({ ack: 'AA', controlId: 'CS-0001' });
    expect(overridden.pipeline.ingested[0]!.normalized.hl7).toMatchObject({ reprocessOf: { quarantineSeq, edited: false, charset: '8859/1' } });
  });

  it('empty MSH-10: MSA-2 empty, ERR 101', async () => {
    const { intake } = makeIntake();
    const [ack] = await intake.handleFrame(fixture('oru_no_ctrl_id.hl7'), peer);
    expect(segment(ack!, 'MSA').slice(0, 3)).toEqual(['MSA', 'AR', '']);
    expect(segment(ack!, 'ERR')[3]).toBe('101^Required field missing^HL70357');
  });

  it('AE (retryable) when the node cannot store; nothing remembered, the resend is stored', async () => {
    const { intake, pipeline } = makeIntake();
    pipeline.state.fail = 1;
    const [ae] = await intake.handleFrame(fixture('adt_a04.hl7'), peer);
    expect(segment(ae!, 'MSA')[1]).toBe('AE');
    expect(segment(ae!, 'ERR')[1]).toContain('207&Application internal error');
    const [aa] = await intake.handleFrame(fixture('adt_a04.hl7'), peer);
    expect(segment(aa!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(1);
  });

  it('enhanced mode: CE when the node cannot store, CR when rejected', async () => {
    const { intake, pipeline } = makeIntake();
    pipeline.state.fail = 1;
    expect((await intake.handleFrame(fixture('adt_enhanced_al_al.hl7'), peer)).map((a) => segment(a, 'MSA')[1])).toEqual(['CE']);
    const bad = hl7(msh('ADT^A04', 'E9', '|||AL|AL||KLINGON'), 'PID|1||X^^^A^MR');
    expect((await intake.handleFrame(bad, peer)).map((a) => segment(a, 'MSA')[1])).toEqual(['CR']);
  });

  it('oversize: AR echoing the head\'s MSH, quarantined with the head only', async () => {
    const { intake, pipeline } = makeIntake();
    const head = Buffer.from(`${msh('ORU^R01', 'BIG-1')}\rOBX|1|ED|x||AAAA`);
    const [ack] = await intake.handleOversize(head, 20_000_000, peer);
    expect(segment(ack!, 'MSA').slice(0, 3)).toEqual(['MSA', 'AR', 'BIG-1']);
    expect(pipeline.quarantined[0]!.quarantine.reason).toMatch(/larger than/);
    expect(intake.stats().totals.oversize).toBe(1);
  });
});

describe('HL7 intake: duplicates', () => {
  it('an identical resend gets the same ACK and no second record; a changed one is stored and flagged', async () => {
    const { intake, pipeline } = makeIntake();
    const first = await intake.handleFrame(fixture('dup_a.hl7'), peer);
    const again = await intake.handleFrame(fixture('dup_a.hl7'), peer);
    expect(again.map((b) => b.toString('latin1'))).toEqual(first.map((b) => b.toString('latin1')));
    expect(pipeline.ingested).toHaveLength(1);
    const [conflict] = await intake.handleFrame(fixture('dup_b_conflict.hl7'), peer);
    expect(segment(conflict!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(2);
    expect(pipeline.ingested[1]!.normalized.hl7?.conflict).toBe(true);
    const stats = intake.stats();
    expect(stats.senders).toEqual([expect.objectContaining({ sender: 'LABSYS|NORTH CLINIC', received: 3, accepted: 2, duplicates: 1, conflicts: 1 })]);
    expect(stats.recent.map((r) => [r.controlId, r.acks, r.duplicate ?? false, r.conflict ?? false])).toEqual([
      ['DUP-0001', 'AA', false, true],
      ['DUP-0001', 'AA', true, false],
      ['DUP-0001', 'AA', false, false],
    ]);
  });

  it('two identical messages at once (two connections) are stored once', async () => {
    const { intake, pipeline } = makeIntake();
    pipeline.state.delayMs = 20;
    const [a, b] = await Promise.all([intake.handleFrame(fixture('dup_a.hl7'), peer), intake.handleFrame(fixture('dup_a.hl7'), { address: '127.0.0.2' })]);
    expect(segment(a![0]!, 'MSA')[1]).toBe('AA');
    expect(segment(b![0]!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested).toHaveLength(1);
  });

  it('a resend of a rejected message is answered the same, not quarantined twice', async () => {
    const { intake, pipeline } = makeIntake();
    await intake.handleFrame(fixture('oru_unknown_charset.hl7'), peer);
    await intake.handleFrame(fixture('oru_unknown_charset.hl7'), peer);
    expect(pipeline.quarantined).toHaveLength(1);
  });
});

describe('HL7 intake: an operator reprocesses a quarantined message', () => {
  const noPid = hl7(msh('ORU^R01^ORU_R01', 'NOPID-1'), 'OBR|1||ACC-1|2951-2^Sodium^LN', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F');
  const withPid = hl7(msh('ORU^R01^ORU_R01', 'NOPID-1'), 'PID|1||MRN-5^^^SENDFAC^MR||Doe^Jan', 'OBR|1||ACC-1|2951-2^Sodium^LN', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F');

  it('D3: the edited copy of a held message is stored as the operator\'s reprocess of that entry, not a conflict or a file import', async () => {
    const { intake, pipeline } = makeIntake();
    const [ack] = await intake.handleFrame(noPid, peer);
    expect(segment(ack!, 'MSA')[1]).toBe('AA');
    expect(pipeline.quarantined[0]!.quarantine).toMatchObject({ disposition: 'held', messageId: 'NOPID-1' });
    const quarantineSeq = pipeline.state.seq;

    const results = await intake.importFile(withPid, { name: `reprocess of record ${quarantineSeq}`, reprocess: { quarantineSeq, edited: true } });
    expect(results).toEqual([{ index: 0, messageType: 'ORU^R01', controlId: 'NOPID-1', ack: 'AA', mapping: 'mapped' }]);
    expect(pipeline.ingested).toHaveLength(1);
    const normalized = NormalizedIntakeSchema.parse(pipeline.ingested[0]!.normalized);
    expect(normalized.channel).toBe('hl7-reprocess');
    expect(normalized.hl7).toMatchObject({ reprocessOf: { quarantineSeq, edited: true } });
    expect(normalized.hl7).not.toHaveProperty('conflict');
    expect(normalized.hl7).not.toHaveProperty('ackTexts');

    // The sender sent one message: its row counts that one; the reprocess is counted apart (D4).
    const stats = intake.stats();
    expect(stats.senders).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 1, accepted: 1, conflicts: 0, duplicates: 0, reprocessed: 1 })]);
    expect(stats.totals).toMatchObject({ received: 1, accepted: 1, conflicts: 0, duplicates: 0, reprocessed: 1 });
    expect(stats.recent.map((entry) => [entry.channel, entry.conflict ?? false])).toEqual([
      ['hl7-reprocess', false],
      ['hl7-mllp', false],
    ]);

    // The sender's own traffic is judged as before: another content under the same control id is a conflict.
    const [resend] = await intake.handleFrame(hl7(msh('ORU^R01^ORU_R01', 'NOPID-1'), 'PID|1||MRN-6^^^SENDFAC^MR||Roe^Kim', 'OBR|1||ACC-2|2951-2^Sodium^LN'), peer);
    expect(segment(resend!, 'MSA')[1]).toBe('AA');
    expect(pipeline.ingested[1]!.normalized.hl7?.conflict).toBe(true);
    expect(intake.stats().senders[0]).toMatchObject({ received: 2, conflicts: 1, reprocessed: 1 });
  });

  it('D4: an un-edited reprocess of a message stored before is still a duplicate, and counts apart from what the sender sent', async () => {
    const { intake, pipeline } = makeIntake();
    await intake.handleFrame(withPid, peer);
    const badVersion = hl7(msh('ADT^A01^ADT_A01', 'BADVER-1', '', '9.9'), 'PID|1||MRN-7^^^SENDFAC^MR||Doe^Jan');
    const [rejected] = await intake.handleFrame(badVersion, peer);
    expect(segment(rejected!, 'MSA')[1]).toBe('AR');
    const quarantineSeq = pipeline.state.seq;

    // The same bytes as a stored message: recognized, not stored again.
    expect(await intake.importFile(withPid, { reprocess: { quarantineSeq, edited: false } })).toEqual([expect.objectContaining({ ack: 'AA', duplicate: true })]);
    expect(pipeline.ingested).toHaveLength(1);
    // The rejected message unchanged: rejected again, not quarantined twice.
    expect(await intake.importFile(badVersion, { reprocess: { quarantineSeq, edited: false } })).toEqual([expect.objectContaining({ ack: 'AR', duplicate: true, quarantined: true })]);
    expect(pipeline.quarantined).toHaveLength(1);

    const stats = intake.stats();
    expect(stats.senders).toEqual([expect.objectContaining({ sender: 'SENDAPP|SENDFAC', received: 2, accepted: 1, errored: 1, duplicates: 0, conflicts: 0, reprocessed: 2 })]);
    expect(stats.totals).toMatchObject({ received: 2, accepted: 1, errored: 1, duplicates: 0, reprocessed: 2 });
  });
});

describe('HL7 intake: batches and files', () => {
  it('answers an MLLP batch with a batch of ACKs, one record per message', async () => {
    const { intake, pipeline } = makeIntake();
    const [ack, ...rest] = await intake.handleFrame(fixture('batch_two.hl7'), peer);
    expect(rest).toEqual([]);
    expect(segmentsOf(ack!).map((s) => s[0])).toEqual(['FHS', 'BHS', 'MSH', 'MSA', 'MSH', 'MSA', 'BTS', 'FTS']);
    expect(segmentsOf(ack!).filter((s) => s[0] === 'MSA').map((s) => s[2])).toEqual(['BAT-0001', 'BAT-0002']);
    expect(pipeline.ingested.map((i) => i.normalized.hl7?.batchIndex)).toEqual([0, 1]);
    expect(pipeline.ingested[1]!.raw.length).toBeLessThan(fixture('batch_two.hl7').length);
  });

  // Interface analyst: `BTS|5` closing 2 messages was accepted silently and the reply said BTS|2.
  // HL7 v2 defines BTS-1 as the count of the batch's messages and BTS-2 as a free comment: the
  // messages are taken (each has its own ACK), and the mismatch is said in the reply's BTS-2 and the log.
  it('a batch whose BTS-1 disagrees with its messages: all are stored, the reply says so in BTS-2, the log says so without content', async () => {
    const { intake, pipeline, log } = makeIntake();
    const batch = Buffer.from(fixture('batch_two.hl7').toString('latin1').replace('BTS|2', 'BTS|5'), 'latin1');
    const [ack] = await intake.handleFrame(batch, peer);
    expect(pipeline.ingested).toHaveLength(2);
    expect(segmentsOf(ack!).filter((s) => s[0] === 'MSA').map((s) => s[1])).toEqual(['AA', 'AA']);
    const bts = segment(ack!, 'BTS');
    expect(bts[1]).toBe('2');
    expect(bts[2]).toBe('Count mismatch: BTS-1 said 5, the batch held 2 messages');
    const warning = log.lines.find((line) => line.level === 'warn' && /BTS-1/.test(line.message));
    expect(warning?.object).toEqual({ channel: 'hl7-mllp', source: '127.0.0.1:40000', segment: 'BTS', stated: 5, found: 2 });

    // A file import: the same, and each of the batch's results carries the note for the import's summary.
    const file = Buffer.from(batch.toString('latin1').replace(/BAT-000/g, 'FIL-000'), 'latin1');
    const results = await intake.importFile(file, { name: 'file 1 of 1' });
    expect(results.map((result) => result.batchNote)).toEqual(['Count mismatch: BTS-1 said 5, the batch held 2 messages', 'Count mismatch: BTS-1 said 5, the batch held 2 messages']);
    // A batch that counts right has no note, and its reply no comment.
    const right = await intake.handleFrame(Buffer.from(fixture('batch_two.hl7').toString('latin1').replace(/BAT-000/g, 'OK-000'), 'latin1'), peer);
    expect(segment(right[0]!, 'BTS')).toEqual(['BTS', '2']);
  });

  // The reply's FHS/BHS echo the sender's; they have no MSH-18, and the ACKs inside state none (an
  // empty MSH-18 is ASCII, whatever charset the listener read the messages with): the reply is ASCII.
  it('answers a batch whose FHS/BHS hold 8-bit bytes, read with the listener\'s default 8859/1, in ASCII: those bytes as \\Xhh\\', async () => {
    const { intake } = makeIntake({ defaultCharset: '8859/1' });
    const batch = Buffer.from(fixture('batch_two.hl7').toString('latin1').replace(/\|NORTH\|/g, '|N\u00d6RTH|'), 'latin1');
    const [ack] = await intake.handleFrame(batch, peer);
    expect(ack!.some((byte) => byte > 0x7f)).toBe(false);
    expect(segment(ack!, 'FHS')[5]).toBe('N\\XD6\\RTH');
    expect(segment(ack!, 'BHS')[5]).toBe('N\\XD6\\RTH');
    expect(segmentsOf(ack!).filter((s) => s[0] === 'MSA').map((s) => s[1])).toEqual(['AA', 'AA']);
  });

  it('imports a file: per-message results', async () => {
    const { intake, pipeline } = makeIntake();
    expect(await intake.importFile(fixture('multi_two.hl7'), { name: 'multi_two.hl7' })).toEqual([
      { index: 0, messageType: 'ADT^A04', controlId: 'MUL-0001', ack: 'AA', mapping: 'mapped' },
      { index: 1, messageType: 'ADT^A04', controlId: 'MUL-0002', ack: 'AA', mapping: 'mapped' },
    ]);
    expect(pipeline.ingested.every((i) => i.normalized.channel === 'hl7-file')).toBe(true);
    expect(await intake.importFile(fixture('multi_two.hl7'))).toMatchObject([{ duplicate: true }, { duplicate: true }]);
    expect(await intake.importFile(fixture('not_hl7.txt'), { name: 'x.txt' })).toMatchObject([{ index: 0, ack: 'AR', quarantined: true, reason: expect.stringMatching(/MSH/) }]);
    expect(pipeline.quarantined[0]!.quarantine).toMatchObject({ channel: 'hl7-file', source: 'x.txt', acks: ['AR'] });
  });

  it('keeps no PHI in the monitor view (no names, no identifiers)', async () => {
    const { intake, log } = makeIntake();
    await intake.handleFrame(fixture('adt_a01.hl7'), peer);
    await intake.handleFrame(fixture('oru_no_ctrl_id.hl7'), peer);
    const visible = JSON.stringify([intake.stats(), log.lines]);
    for (const phi of ['Testperson', 'Alice', 'MRN1001', '19800215', 'Sample Street', '555-0100']) expect(visible).not.toContain(phi);
  });
});

describe('HL7 intake: per-sender counters stay bounded', () => {
  it('garbage from many connections of one system is one sender row (its address), not one row per connection', async () => {
    const { intake } = makeIntake();
    for (let port = 41000; port < 41050; port++) await intake.handleFrame(Buffer.from('not an HL7 message\r'), { address: '10.0.0.7', port });
    const stats = intake.stats();
    expect(stats.senders).toEqual([expect.objectContaining({ sender: 'No readable sender (from 10.0.0.7)', received: 50, errored: 50 })]);
  });

  it('a flood of distinct sender names keeps at most MAX_NAMED_SENDERS rows; the rest are counted in one row', async () => {
    const { intake } = makeIntake();
    const total = MAX_NAMED_SENDERS + 300;
    for (let i = 0; i < total; i++) {
      const message = hl7(`MSH|^~\\&|APP${i}|FAC|RECVAPP|RECVFAC|20250301081500+0100||ADT^A04|C${i}|P|2.5.1`, 'PID|1||MRN-B1^^^CLINIC^MR||Bound^Test');
      await intake.handleFrame(message, peer);
    }
    const stats = intake.stats();
    expect(stats.totals.received).toBe(total);
    expect(stats.senders).toHaveLength(MAX_NAMED_SENDERS + 1);
    expect(stats.senders.find((row) => row.sender === OTHER_SENDERS)).toMatchObject({ received: 300, accepted: 300 });
    // Senders already listed keep being counted by name once the table is full.
    await intake.handleFrame(hl7(`MSH|^~\\&|APP0|FAC|RECVAPP|RECVFAC|20250301081500+0100||ADT^A04|AGAIN|P|2.5.1`, 'PID|1||MRN-B1^^^CLINIC^MR||Bound^Test'), peer);
    expect(intake.stats().senders.find((row) => row.sender === 'APP0|FAC')).toMatchObject({ received: 2 });
  });
});
