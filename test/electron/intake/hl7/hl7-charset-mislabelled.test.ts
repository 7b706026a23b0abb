import { describe, expect, it } from 'vitest';
import { IntakeQuarantineSchema } from '../../../../shared/domain/clinical';
import { parseHl7, type Hl7Item, type Hl7Message } from '../../../../electron/intake/hl7/hl7-front-end';
import { makeIntake, msh, segment, segmentsOf } from './hl7-test-support';

/**
 * Tester T2 D5: an interface engine re-encoded an ADT^A08 to UTF-8 but left MSH-18 `8859/1`;
 * PID-5 `Müller^Heike` (ü as C3 BC) was answered AA and filed as "MÃ¼ller, Heike", and an accepted
 * message has no Reprocess. Such a message is now held in the quarantine (answered as a held
 * message is: AA), with a reason naming the field, for the operator's charset override.
 */

const peer = { address: '127.0.0.1', port: 40000 };

/** The tester's ADT^A08: MSH-18 as given, PID-5 Müller^Heike, further segments as given. */
function a08(charset: string, controlId = 'A08-0001', ...more: string[]): string {
  return [msh('ADT^A08^ADT_A01', controlId, charset === '' ? '' : `||||||${charset}`), 'EVN|A08|20250301081500', 'PID|1||MRN4471^^^NORTH^MR||Müller^Heike||19800512|F', 'PV1|1|O', ...more].join('\r') + '\r';
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const latin1 = (text: string) => Buffer.from(text, 'latin1');

function only(items: ReturnType<typeof parseHl7>): Hl7Item {
  expect(items.items).toHaveLength(1);
  return items.items[0]!;
}

function message(item: Hl7Item): Hl7Message {
  if (!item.ok) throw new Error(`expected a message, got problem ${item.problem.code}: ${item.problem.text}`);
  return item.message;
}

const pid5 = (m: Hl7Message) => m.segments.find((s) => s.name === 'PID')!.value(5, 1);

const REPROCESS = 'check with the sender; reprocess with the character set it was written in';

describe('HL7 front end: UTF-8 bytes under a single-byte charset', () => {
  it('UTF-8 bytes under MSH-18 8859/1 are read as declared but marked, the reason naming the first field that reads as UTF-8, never its text', () => {
    const m = message(only(parseHl7(utf8(a08('8859/1')))));
    // What would have been filed: the declared charset's reading.
    expect(pid5(m)).toBe('MÃ¼ller');
    expect(m.charsetDoubt).toEqual({
      reason: `MSH-18 says 8859/1, but the bytes read as UTF-8 (e.g. segment PID, field 5): ${REPROCESS} (UNICODE UTF-8, used even when MSH-18 names another).`,
      location: { segment: 'PID', sequence: 1, field: 5 },
    });
    expect(m.charsetDoubt!.reason).not.toMatch(/ller|Heike|MRN4471/);
  });

  it('the same under the other 8859 charsets and ASCII (whose decoder would refuse the bytes: they are read one byte a character instead)', () => {
    for (const charset of ['8859/2', '8859/15', 'ASCII', 'ascii']) {
      const m = message(only(parseHl7(utf8(a08(charset)))));
      expect(m.charsetDoubt?.reason, charset).toBe(`MSH-18 says ${charset}, but the bytes read as UTF-8 (e.g. segment PID, field 5): ${REPROCESS} (UNICODE UTF-8, used even when MSH-18 names another).`);
    }
  });

  it('an empty MSH-18 read with an 8859 default charset is marked too; with the UTF-8 default it simply reads', () => {
    const bytes = utf8(a08(''));
    const m = message(only(parseHl7(bytes, { defaultCharset: '8859/1' })));
    expect(m.charsetDoubt?.reason).toBe(`MSH-18 is empty and this node's default character set is 8859/1, but the bytes read as UTF-8 (e.g. segment PID, field 5): ${REPROCESS} (UNICODE UTF-8).`);
    const read = message(only(parseHl7(bytes)));
    expect(pid5(read)).toBe('Müller');
    expect(read.charsetDoubt).toBeUndefined();
  });

  it('names the segment\'s number when it repeats, and MSH fields as MSH-n', () => {
    const obx = `${[msh('ORU^R01', 'O-1', '||||||8859/1'), 'PID|1||MRN1^^^A^MR||Doe^Jane', 'OBX|1|NM|2951-2^Sodium^LN||140|mmol/L', 'OBX|2|TX|NOTE^Note||Häm olyse'].join('\r')}\r`;
    expect(message(only(parseHl7(utf8(obx)))).charsetDoubt?.location).toEqual({ segment: 'OBX', sequence: 2, field: 5 });
    expect(message(only(parseHl7(utf8(obx)))).charsetDoubt?.reason).toContain('(e.g. segment OBX number 2, field 5)');
    const facility = `MSH|^~\\&|LAB|Zürich|HDMS|NODE|20250301081500||ADT^A04|F-1|P|2.5.1||||||8859/1\rPID|1||X^^^A^MR||Doe^Jane\r`;
    expect(message(only(parseHl7(utf8(facility)))).charsetDoubt?.location).toEqual({ segment: 'MSH', sequence: 1, field: 4 });
  });

  it('genuine Latin-1 under 8859/1 is read as before, unmarked; UTF-8 declared stays as is; an operator\'s forced charset is never second-guessed', () => {
    const latin = message(only(parseHl7(latin1(a08('8859/1')))));
    expect(pid5(latin)).toBe('Müller');
    expect(latin.charsetDoubt).toBeUndefined();
    const declared = message(only(parseHl7(utf8(a08('UNICODE UTF-8')))));
    expect(pid5(declared)).toBe('Müller');
    expect(declared.charsetDoubt).toBeUndefined();
    const forced = message(only(parseHl7(utf8(a08('8859/1')), { forceCharset: '8859/1' })));
    expect(pid5(forced)).toBe('MÃ¼ller');
    expect(forced.charsetDoubt).toBeUndefined();
    const toUtf8 = message(only(parseHl7(utf8(a08('8859/1')), { forceCharset: 'UNICODE UTF-8' })));
    expect(pid5(toUtf8)).toBe('Müller');
    expect(toUtf8.charsetDoubt).toBeUndefined();
    // All ASCII: nothing to doubt.
    expect(message(only(parseHl7(utf8(a08('8859/1').replace('Müller', 'Muller'))))).charsetDoubt).toBeUndefined();
  });

  it('ASCII declared with 8-bit bytes that are not UTF-8 is still refused (AR, ERR 102 at MSH-18), the reason now naming where, never what', () => {
    const item = only(parseHl7(latin1(a08('ASCII'))));
    expect(item.ok === false && item.problem).toMatchObject({ code: 102, ack: 'AR', location: { segment: 'MSH', field: 18 } });
    expect(item.ok === false && item.problem.text).toBe(`The bytes are not valid ASCII: MSH-18 says ASCII, but segment PID, field 5 holds a byte above 0x7F. ${REPROCESS[0]!.toUpperCase()}${REPROCESS.slice(1)}.`);
  });
});

describe('HL7 intake: a message whose bytes read as UTF-8 under a single-byte charset', () => {
  it('is held in the quarantine (AA, as a held message), not filed with "MÃ¼ller"; the ACK and the log hold no name; a resend is answered as before', async () => {
    const { intake, pipeline, log } = makeIntake();
    const bytes = utf8(a08('8859/1'));
    const [ack, ...rest] = await intake.handleFrame(bytes, peer);
    expect(rest).toEqual([]);
    expect(segment(ack!, 'MSA')).toEqual(['MSA', 'AA', 'A08-0001']);
    expect(segmentsOf(ack!).map((fields) => fields[0])).toEqual(['MSH', 'MSA']);
    expect(pipeline.ingested).toHaveLength(0);
    const q = pipeline.quarantined[0]!;
    expect(Buffer.from(q.raw).equals(bytes)).toBe(true);
    expect(IntakeQuarantineSchema.parse(q.quarantine)).toMatchObject({ disposition: 'held', acks: ['AA'], messageType: 'ADT^A08', messageId: 'A08-0001', charset: '8859/1' });
    expect(q.quarantine.reason).toBe(`MSH-18 says 8859/1, but the bytes read as UTF-8 (e.g. segment PID, field 5): ${REPROCESS} (UNICODE UTF-8, used even when MSH-18 names another).`);
    expect(intake.stats().recent[0]).toMatchObject({ controlId: 'A08-0001', acks: 'AA', quarantined: true });
    const logged = JSON.stringify(log.lines);
    expect(logged).toContain('PID-5');
    for (const needle of ['ller', 'Heike', 'MRN4471']) {
      expect(logged).not.toContain(needle);
      expect(ack!.toString('latin1')).not.toContain(needle);
    }
    const [again] = await intake.handleFrame(bytes, peer);
    expect(segment(again!, 'MSA')[1]).toBe('AA');
    expect(pipeline.quarantined).toHaveLength(1);
  });

  it('reprocessed with the override UNICODE UTF-8 it is filed as "Müller, Heike"; an operator\'s 8859/1 for an empty MSH-18 is taken as chosen', async () => {
    const { intake, pipeline, dedupe } = makeIntake();
    const bytes = utf8(a08('8859/1'));
    await intake.handleFrame(bytes, peer);
    const quarantineSeq = pipeline.state.seq;
    // The reprocess runs on an intake whose charset wins over MSH-18 (Hl7Service.withIntake), same duplicate index.
    const overridden = makeIntake({ dedupe, forceCharset: 'UNICODE UTF-8' });
    const results = await overridden.intake.importFile(bytes, { name: `reprocess of record ${quarantineSeq}`, reprocess: { quarantineSeq, edited: false, charset: 'UNICODE UTF-8', charsetOverride: true } });
    expect(results).toEqual([expect.objectContaining({ ack: 'AA', controlId: 'A08-0001', mapping: 'mapped' })]);
    expect(results[0]).not.toHaveProperty('quarantined');
    const filed = overridden.pipeline.ingested[0]!.normalized;
    expect(filed.patient.name).toMatchObject({ family: 'Müller', given: ['Heike'] });
    expect(filed.hl7).toMatchObject({ reprocessOf: { quarantineSeq, edited: false, charset: 'UNICODE UTF-8' } });

    // MSH-18 empty, the node's default 8859/1: held the same way. UTF-8 chosen for the empty MSH-18
    // at reprocess files Müller; an operator who picks 8859/1 instead has chosen (a false alarm):
    // filed as read, not answered "as before" from the held record.
    const bare = utf8(a08('', 'A08-0002'));
    for (const [charset, family] of [['UNICODE UTF-8', 'Müller'], ['8859/1', 'MÃ¼ller']] as const) {
      const latinNode = makeIntake({ defaultCharset: '8859/1' });
      expect((await latinNode.intake.importFile(bare))[0]).toMatchObject({ ack: 'AA', quarantined: true });
      expect(latinNode.pipeline.quarantined[0]!.quarantine.disposition).toBe('held');
      const heldSeq = latinNode.pipeline.state.seq;
      // Hl7Service.withIntake: a charset for an empty MSH-18 is the run's default charset.
      const run = charset === '8859/1' ? latinNode : makeIntake({ dedupe: latinNode.dedupe, defaultCharset: charset });
      const rerun = await run.intake.importFile(bare, { reprocess: { quarantineSeq: heldSeq, edited: false, charset } });
      expect(rerun, charset).toEqual([expect.objectContaining({ ack: 'AA' })]);
      expect(rerun[0], charset).not.toHaveProperty('quarantined');
      expect(rerun[0], charset).not.toHaveProperty('duplicate');
      expect(run.pipeline.ingested[0]!.normalized.patient.name.family, charset).toBe(family);
    }
  });

  it('genuine Latin-1 under 8859/1 and UTF-8 under UNICODE UTF-8 are filed as before ("Müller")', async () => {
    const { intake, pipeline } = makeIntake();
    const [latinAck] = await intake.handleFrame(latin1(a08('8859/1', 'L-1')), peer);
    const [utf8Ack] = await intake.handleFrame(utf8(a08('UNICODE UTF-8', 'U-1')), peer);
    expect([segment(latinAck!, 'MSA')[1], segment(utf8Ack!, 'MSA')[1]]).toEqual(['AA', 'AA']);
    expect(pipeline.quarantined).toHaveLength(0);
    expect(pipeline.ingested.map((input) => input.normalized.patient.name.family)).toEqual(['Müller', 'Müller']);
  });
});
