import { describe, expect, it } from 'vitest';
import { ACK_ID_PATTERN, ackCodesFor, ackReplyOptions, buildAck, buildAckText, buildBatchAck, hl7Timestamp, isEnhancedMode, newAckControlId, newAckId, type AckOutcome } from '../../../../electron/intake/hl7/hl7-ack';
import { ERR } from '../../../../electron/intake/hl7/hl7-errors';
import { decodeEscapes, parseHl7, readMsh, STANDARD_DELIMITERS, type MshHeader } from '../../../../electron/intake/hl7/hl7-front-end';
import { fixture, msh, segment, segmentsOf } from './hl7-test-support';

function header(line: string): MshHeader {
  const { header } = readMsh(line);
  if (header === null) throw new Error('no header');
  return header;
}

const stored: AckOutcome = { kind: 'stored' };
const rejected: AckOutcome = { kind: 'rejected', problem: ERR.requiredFieldMissing('MSH', 10, 'MSH-10 is empty.') };
const failed: AckOutcome = { kind: 'store-failed', problem: ERR.cannotStore('disk full') };
const now = new Date('2025-03-01T10:00:00Z');

describe('ACK: original mode', () => {
  it('answers AA with swapped applications, echoed control id, version, processing id and charset, fresh control id', () => {
    const h = header(msh('ORU^R01^ORU_R01', 'CTRL-1', '||||||8859/1'));
    expect(isEnhancedMode(h)).toBe(false);
    const ack = buildAck(h, 'AA', undefined, { now, controlId: 'ACK-1' });
    const m = segment(ack, 'MSH');
    expect(m.slice(0, 12)).toEqual(['MSH', '^~\\&', 'RECVAPP', 'RECVFAC', 'SENDAPP', 'SENDFAC', expect.stringMatching(/^2025030\d{7}[+-]\d{4}$/), '', 'ACK^R01^ACK', 'ACK-1', 'P', '2.5.1']);
    expect(m[17]).toBe('8859/1');
    expect(segment(ack, 'MSA')).toEqual(['MSA', 'AA', 'CTRL-1']);
    expect(segmentsOf(ack).map((s) => s[0])).toEqual(['MSH', 'MSA']);
    expect(ack.at(-1)).toBe(0x0d);
  });

  it('uses a fresh control id per ACK', () => {
    const h = header(msh('ADT^A01', 'C'));
    const ids = new Set(Array.from({ length: 100 }, () => segment(buildAck(h, 'AA'), 'MSH')[9]));
    expect(ids.size).toBe(100);
  });

  it('answers AR with MSA-3 text and an ERR (v2.5+: ERR-2 location, ERR-3 code^text^HL70357, ERR-4 severity)', () => {
    const h = header(msh('ORU^R01', '', '', '2.5'));
    const ack = buildAck(h, 'AR', ERR.requiredFieldMissing('MSH', 10, 'MSH-10 is empty.'));
    expect(segment(ack, 'MSA')).toEqual(['MSA', 'AR', '', 'MSH-10 is empty.']);
    const err = segment(ack, 'ERR');
    expect(err[2]).toBe('MSH^1^10');
    expect(err[3]).toBe('101^Required field missing^HL70357');
    expect(err[4]).toBe('E');
    expect(err[8]).toBe('MSH-10 is empty.');
  });

  it('uses ERR-1 (ELD) before v2.5 and MSH-9 without structure before v2.3.1', () => {
    const h = header(msh('ADT^A04', 'X1', '', '2.3'));
    const ack = buildAck(h, 'AE', ERR.cannotStore('disk full'));
    expect(segment(ack, 'MSH')[8]).toBe('ACK^A04');
    expect(segment(ack, 'ERR')[1]).toBe('^^^207&Application internal error&HL70357');
    const h24 = header(msh('ADT^A04', 'X1', '', '2.4'));
    expect(segment(buildAck(h24, 'AR', ERR.unsupportedVersion('no')), 'ERR')[1]).toBe('MSH^1^12^203&Unsupported version id&HL70357');
  });

  it('drops MSA-3 from v2.7 on', () => {
    const ack = buildAck(header(msh('ADT^A04', 'X1', '', '2.8')), 'AR', ERR.dataTypeError('MSH', 18, 'bad bytes'));
    expect(segment(ack, 'MSA')).toEqual(['MSA', 'AR', 'X1']);
  });

  it('answers without a header (no MSH) with standard delimiters and an empty MSA-2', () => {
    const ack = buildAck(null, 'AR', ERR.segmentSequence('no MSH'));
    expect(segment(ack, 'MSH')[8]).toBe('ACK');
    expect(segment(ack, 'MSA').slice(0, 3)).toEqual(['MSA', 'AR', '']);
    expect(segment(ack, 'ERR')[3]).toBe('100^Segment sequence error^HL70357');
  });

  it('answers in the sender\'s (non-standard) delimiters', () => {
    const item = parseHl7(fixture('adt_custom_delims.hl7')).items[0]!;
    expect(item.ok).toBe(false);
    if (item.ok) return;
    const text = buildAck(item.header, 'AR', item.problem).toString('latin1');
    expect(text.startsWith('MSH^~|\\&^HDMS^NODE^LABSYS^NORTH^')).toBe(true);
    expect(text).toContain('\rMSA^AR^CUST-0001');
  });

  it('escapes our text with the sender\'s delimiters', () => {
    const ack = buildAck(header(msh('ADT^A04', 'X1')), 'AR', ERR.dataTypeError('MSH', 2, 'only "|^~\\&" please')).toString('latin1');
    expect(ack).toContain('only "\\F\\\\S\\\\R\\\\E\\\\T\\" please');
  });

  it('echoes the control id byte for byte when the ACK\'s charset holds it (8859/1)', () => {
    const raw = Buffer.from(`${msh('ADT^A04', 'Ç-1', '||||||8859/1')}\r`, 'latin1').toString('latin1');
    const ack = buildAck(header(raw.split('\r')[0]!), 'AA');
    expect(ack.includes(Buffer.from('MSA|AA|\u00c7-1', 'latin1'))).toBe(true);
  });
});

describe('ACK: enhanced mode (MSH-15 accept, MSH-16 application)', () => {
  const cases: [string, string, AckOutcome, string[]][] = [
    ['AL', 'AL', stored, ['CA', 'AA']],
    ['AL', 'NE', stored, ['CA']],
    ['NE', 'AL', stored, ['AA']],
    ['NE', 'NE', stored, []],
    ['ER', 'AL', stored, ['AA']],
    ['SU', 'SU', stored, ['CA', 'AA']],
    ['ER', 'ER', stored, []],
    ['AL', 'ER', stored, ['CA']],
    ['', 'AL', stored, ['CA', 'AA']],
    ['AL', '', stored, ['CA', 'AA']],
    ['AL', 'AL', rejected, ['CR']],
    ['ER', 'NE', rejected, ['CR']],
    ['SU', 'AL', rejected, ['AR']],
    ['NE', 'ER', rejected, ['AR']],
    ['NE', 'NE', rejected, []],
    ['SU', 'SU', rejected, []],
    ['AL', 'AL', failed, ['CE']],
    ['ER', 'ER', failed, ['CE']],
    ['NE', 'AL', failed, ['AE']],
    ['SU', 'NE', failed, []],
  ];
  it.each(cases)('MSH-15 %s, MSH-16 %s, %j → %j', (accept, application, outcome, codes) => {
    const h = header(msh('ADT^A04', 'E1', `|||${accept}|${application}`));
    expect(isEnhancedMode(h)).toBe(true);
    expect(ackCodesFor(h, outcome)).toEqual(codes);
  });

  it('original mode when both are empty', () => {
    const h = header(msh('ADT^A04', 'E1', '|||'));
    expect(ackCodesFor(h, stored)).toEqual(['AA']);
    expect(ackCodesFor(h, rejected)).toEqual(['AR']);
    expect(ackCodesFor(h, failed)).toEqual(['AE']);
  });

  it('builds CA then AA as two messages', () => {
    const h = header(msh('ADT^A04', 'E1', '|||AL|AL'));
    const [ca, aa] = ackCodesFor(h, stored).map((code) => buildAck(h, code));
    expect(segment(ca!, 'MSA')).toEqual(['MSA', 'CA', 'E1']);
    expect(segment(aa!, 'MSA')).toEqual(['MSA', 'AA', 'E1']);
  });
});

describe('ACK: batches', () => {
  it('answers a batch with a batch: FHS, BHS, the ACKs, BTS with the count, FTS', () => {
    const input = parseHl7(fixture('batch_two.hl7'));
    const texts = input.items.map((item) => (item.ok ? buildAck(item.message.wireHeader, 'AA').toString('latin1').replace(/\r$/, '') : ''));
    const ack = buildBatchAck(input.batch!, texts);
    const names = segmentsOf(ack).map((s) => s[0]);
    expect(names).toEqual(['FHS', 'BHS', 'MSH', 'MSA', 'MSH', 'MSA', 'BTS', 'FTS']);
    const bhs = segment(ack, 'BHS');
    expect(bhs[2]).toBe('HDMS');
    expect(bhs[4]).toBe('LABSYS');
    expect(bhs[11]).toBe('B-1');
    expect(segment(ack, 'BTS')[1]).toBe('2');
  });

  it('says a count mismatch of the batch answered in BTS-2 (the batch comment), ASCII and at most 80 characters', () => {
    const input = parseHl7(fixture('batch_two.hl7'));
    const ack = buildBatchAck(input.batch!, ['MSA|AA|1'], { comment: 'Count mismatch: BTS-1 said 5, the batch held 2 messages' });
    expect(segment(ack, 'BTS')).toEqual(['BTS', '1', 'Count mismatch: BTS-1 said 5, the batch held 2 messages']);
    const long = buildBatchAck(input.batch!, [], { comment: `${'x'.repeat(100)}|é` });
    expect(segment(long, 'BTS')[2]).toBe('x'.repeat(80));
  });
});

describe('ACK: timestamps, control ids, MSH layout', () => {
  it('writes local time as YYYYMMDDHHMMSS±ZZZZ', () => {
    for (const date of [new Date(2025, 0, 2, 3, 4, 5), new Date(1999, 11, 31, 23, 59, 59), new Date(2030, 6, 15, 12, 0, 0)]) {
      const offset = -date.getTimezoneOffset();
      const zone = `${offset >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
      const local = [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()].map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')).join('');
      expect(hl7Timestamp(date)).toBe(`${local}${zone}`);
    }
  });

  it('gives distinct control ids of at most 20 characters, many within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newAckControlId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^A[0-9a-z]{1,19}$/);
  });

  it('dates the ACKs of a message by their ACK id: the same id gives the same MSH-7 and MSH-10 (a resend after a restart)', () => {
    const at = new Date(2026, 11, 6, 19, 29, 15, 123).getTime();
    const id = newAckId(at);
    expect(id).toMatch(ACK_ID_PATTERN);
    expect(newAckId(at)).not.toBe(id);
    expect(ackReplyOptions(id, 0)).toEqual({ controlId: `${id}0`, now: new Date(at) });
    expect(ackReplyOptions(id, 1).controlId).toBe(`${id}1`);
    const enhanced = header(msh('ADT^A01', 'X1', '|||AL|AL'));
    const first = [0, 1].map((i) => buildAckText(enhanced, i === 0 ? 'CA' : 'AA', undefined, ackReplyOptions(id, i)));
    const again = [0, 1].map((i) => buildAckText(enhanced, i === 0 ? 'CA' : 'AA', undefined, ackReplyOptions(id, i)));
    expect(again).toEqual(first);
    expect(first[0]!.split('\r')[0]!.split('|').slice(6, 10)).toEqual([hl7Timestamp(new Date(at)), '', 'ACK^A01^ACK', `${id}0`]);
  });

  it('keeps MSH-13…17 empty and ends the MSH at MSH-12 unless the sender gave MSH-18', () => {
    const plain = buildAckText(header(msh('ADT^A04', 'X1')), 'AA', undefined, { now, controlId: 'C' }).split('\r')[0]!;
    expect(plain.split('|')).toHaveLength(12);
    expect(plain.endsWith('|C|P|2.5.1')).toBe(true);
    const withCharset = buildAckText(header(msh('ADT^A04', 'X1', '||||||UNICODE UTF-8')), 'AA', undefined, { now, controlId: 'C' }).split('\r')[0]!;
    expect(withCharset.endsWith('|C|P|2.5.1||||||UNICODE UTF-8')).toBe(true);
  });

  // MSH-18 of the ACK is the ACK's own character set (HL7 v2.5.1 §2.14.9.18: the character set of
  // the entire message; empty, the default). An MSH-18 this node does not read is not echoed: the
  // ACK is not written in KLINGON; it is left empty.
  it('states in MSH-18 the character set the ACK is written in: a charset it reads by its table 0211 name, any other left empty', () => {
    const msh18 = (extra: string) => buildAckText(header(msh('ADT^A04', 'X1', extra)), 'AE', ERR.unknownCharset('x', 'x'), { now, controlId: 'C' }).split('\r')[0]!.split('|')[17];
    expect(msh18('||||||KLINGON')).toBeUndefined();
    expect(msh18('||||||UNICODE UTF-16')).toBeUndefined();
    expect(msh18('||||||8859/9')).toBeUndefined();
    expect(msh18('||||||8859/1~ISO IR87')).toBe('8859/1');
    expect(msh18('||||||utf-8')).toBe('UNICODE UTF-8');
    expect(msh18('||||||ISO IR6')).toBe('ISO IR6');
    expect(msh18('||||||ascii')).toBe('ASCII');
  });
});

// The ACK is written in the charset its MSH-18 states (HL7 v2.5.1 §2.14.9.18; empty: ASCII). Fields
// echoed from the sender's header whose bytes that charset cannot hold (8-bit bytes under ASCII,
// bytes that are not UTF-8 under UNICODE UTF-8) go as the hex escape \Xhh\ (§2.7), which decodes
// back to the sender's bytes; MSH-18 never claims a charset nobody declared.
describe('ACK: echoed header bytes in the charset the ACK declares', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const refusedOrHeld = (line: string, defaultCharset?: string) => {
    const input = parseHl7(latin1(`${line}\rPID|1||X1\r`), defaultCharset === undefined ? {} : { defaultCharset });
    const item = input.items[0]!;
    return item.ok ? { header: item.message.wireHeader, problem: undefined, doubt: item.message.charsetDoubt } : { header: item.header!, problem: item.problem, doubt: undefined };
  };
  const nonAscii = (ack: Buffer) => ack.some((byte) => byte > 0x7f);

  it('MSH-18 ASCII with an 8-bit byte in MSH-3 and MSH-10 (refused): the ACK stays ASCII, those bytes as \\Xhh\\', () => {
    const { header, problem } = refusedOrHeld('MSH|^~\\&|LAB\u00dc|FAC|RECVAPP|RECVFAC|20250301081500||ORU^R01|C\u00c7\u00c81|P|2.5.1||||||ASCII');
    expect(problem?.ack).toBe('AR');
    const ack = buildAck(header, 'AR', problem);
    expect(nonAscii(ack)).toBe(false);
    const m = segment(ack, 'MSH');
    expect(m[17]).toBe('ASCII');
    expect(m[4]).toBe('LAB\\XDC\\');
    expect(segment(ack, 'MSA')[2]).toBe('C\\XC7C8\\1');
    // The escape decodes back to the sender's bytes.
    expect(decodeEscapes(segment(ack, 'MSA')[2]!, STANDARD_DELIMITERS, false)).toBe('C\u00c7\u00c81');
  });

  it('MSH-18 empty (ASCII) over UTF-8 bytes, held for the operator: the ACK\'s MSH-18 stays empty and its bytes ASCII', () => {
    const { header, doubt } = refusedOrHeld(`MSH|^~\\&|${Buffer.from('LABÜ', 'utf8').toString('latin1')}|FAC|RECVAPP|RECVFAC|20250301081500||ORU^R01|C1|P|2.5.1`, 'ASCII');
    expect(doubt).toBeDefined();
    const ack = buildAck(header, 'AA');
    expect(nonAscii(ack)).toBe(false);
    expect(segment(ack, 'MSH')).toHaveLength(12);
    expect(segment(ack, 'MSH')[4]).toBe('LAB\\XC39C\\');
  });

  it('MSH-18 UNICODE UTF-8 over bytes that are not UTF-8 (refused): escaped; well-formed UTF-8 is echoed as sent', () => {
    const bad = refusedOrHeld('MSH|^~\\&|LAB\u00dc|FAC|RECVAPP|RECVFAC|20250301081500||ORU^R01|C1|P|2.5.1||||||UNICODE UTF-8');
    expect(bad.problem?.ack).toBe('AR');
    const refused = buildAck(bad.header, 'AR', bad.problem);
    expect(segment(refused, 'MSH')[17]).toBe('UNICODE UTF-8');
    expect(segment(refused, 'MSH')[4]).toBe('LAB\\XDC\\');
    const good = refusedOrHeld(`MSH|^~\\&|${Buffer.from('LABÜ', 'utf8').toString('latin1')}|FAC|RECVAPP|RECVFAC|20250301081500||ORU^R01|C1|P|2.5.1||||||UNICODE UTF-8`);
    expect(buildAck(good.header, 'AA').includes(Buffer.from('|LABÜ|', 'utf8'))).toBe(true);
  });

  it('a header byte inside an escape sequence of the sender\'s does not break the ACK\'s escapes', () => {
    const ack = buildAck(header(msh('ADT^A04', 'A\\H\\B\\Z\u00e9\\C')), 'AA');
    expect(nonAscii(ack)).toBe(false);
    const msa2 = segment(ack, 'MSA')[2]!;
    expect(msa2).toBe('A\\H\\B\\E\\Z\\XE9\\\\E\\C');
    expect(decodeEscapes(msa2, STANDARD_DELIMITERS, false)).toBe('A\\H\\B\\Z\u00e9\\C');
  });
});

// A batch answered with a batch is one byte stream: the envelope (FHS/BHS) echoes the sender's
// FHS/BHS-3…6 and -11, and FHS/BHS have no MSH-18. The envelope is written in the charset the ACKs
// inside state, when they all state the same one; else (they differ, or none is sent) in ASCII,
// which every one of them reads. Bytes it cannot hold go as \Xhh\, as in an ACK's MSH (§2.7).
describe('ACK: batch envelope bytes in the charset of the ACKs it holds', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const nonAscii = (bytes: Buffer) => bytes.some((byte) => byte > 0x7f);
  const batchOf = (sendingApp: string, msh18s: readonly string[], defaultCharset?: string) => {
    const messages = msh18s.map((charset, i) => `${msh('ADT^A04', `B${i}`, charset === '' ? '' : `||||||${charset}`)}\rPID|1||X${i}\r`).join('');
    const input = parseHl7(latin1(`FHS|^~\\&|${sendingApp}|FAC|HDMS|NODE|20250301||f|c|F\u00c71\rBHS|^~\\&|${sendingApp}|FAC|HDMS|NODE|20250301||||B\u00c71\r${messages}BTS|${msh18s.length}\rFTS|1\r`), defaultCharset === undefined ? {} : { defaultCharset });
    const texts = input.items.map((item) => (item.ok ? buildAckText(item.message.wireHeader, 'AA', undefined, { now }) : buildAckText(item.header, item.problem.ack, item.problem, { now })));
    return buildBatchAck(input.batch!, texts, { now });
  };

  it('ACKs with an empty MSH-18 (ASCII), even read with the listener\'s default 8859/1: the envelope is ASCII, 8-bit bytes as \\Xhh\\ that decode back', () => {
    const ack = batchOf('LAB\u00dc', ['', ''], '8859/1');
    expect(nonAscii(ack)).toBe(false);
    for (const name of ['FHS', 'BHS']) {
      const fields = segment(ack, name);
      expect(fields[4]).toBe('LAB\\XDC\\');
      expect(fields[11]).toBe(`${name[0]}\\XC7\\1`);
      expect(decodeEscapes(fields[4]!, STANDARD_DELIMITERS, false)).toBe('LAB\u00dc');
    }
  });

  it('ACKs that all state 8859/1: the envelope echoes the sender\'s bytes as sent', () => {
    const ack = batchOf('LAB\u00dc', ['8859/1', '8859/1']);
    expect(segment(ack, 'BHS')[4]).toBe('LAB\u00dc');
    expect(segment(ack, 'FHS')[11]).toBe('F\u00c71');
    expect(segment(ack, 'BHS')[11]).toBe('B\u00c71');
  });

  it('ACKs that state different charsets (8859/1, UNICODE UTF-8): the envelope is ASCII', () => {
    const ack = batchOf('LAB\u00dc', ['8859/1', 'UNICODE UTF-8']);
    expect(segment(ack, 'BHS')[4]).toBe('LAB\\XDC\\');
    const envelope = ack.toString('latin1').split('\r').filter((line) => /^(FHS|BHS|BTS|FTS)/.test(line));
    expect(envelope.some((line) => /[\x80-\xff]/.test(line))).toBe(false);
  });

  it('ACKs that all state UNICODE UTF-8: UTF-8 in the envelope is echoed as sent', () => {
    const ack = batchOf(Buffer.from('LABÜ', 'utf8').toString('latin1'), ['UNICODE UTF-8']);
    expect(ack.includes(Buffer.from('BHS|^~\\&|HDMS|NODE|LABÜ|', 'utf8'))).toBe(true);
    // BHS-11 "B\xC71" is not UTF-8: escaped.
    expect(segment(ack, 'BHS')[11]).toBe('B\\XC7\\1');
  });
});
