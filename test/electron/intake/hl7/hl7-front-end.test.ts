import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEscapes, encodeEscapes, parseHl7, peekHeader, type Hl7Item, type Hl7Message } from '../../../../electron/intake/hl7/hl7-front-end';
import { fixture, hl7, msh } from './hl7-test-support';

function only(input: ReturnType<typeof parseHl7>): Hl7Item {
  expect(input.items).toHaveLength(1);
  return input.items[0]!;
}

function message(item: Hl7Item): Hl7Message {
  if (!item.ok) throw new Error(`expected a message, got problem ${item.problem.code}: ${item.problem.text}`);
  return item.message;
}

const pid = (m: Hl7Message) => m.segments.find((s) => s.name === 'PID')!;

describe('HL7 front end: escapes', () => {
  it('decodes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ and hex, keeps formatting escapes', () => {
    expect(decodeEscapes('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f')).toBe('a|b^c&d~e\\f');
    expect(decodeEscapes('x\\X0A\\y')).toBe('x\ny');
    expect(decodeEscapes('\\XC3A9\\t\\XC3A9\\')).toBe('été');
    expect(decodeEscapes('line\\.br\\next \\H\\bold\\N\\ \\.sp2\\ \\Zcustom\\')).toBe('line\\.br\\next \\H\\bold\\N\\ \\.sp2\\ \\Zcustom\\');
    expect(decodeEscapes('unterminated \\F')).toBe('unterminated \\F');
  });

  it('round-trips through encodeEscapes', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(decodeEscapes(encodeEscapes(text))).toBe(text);
      }),
    );
  });

  it('decodes escapes in mapped field values, after splitting on the delimiters', () => {
    const m = message(only(parseHl7(fixture('oru_lab.hl7'))));
    const obx6 = m.segments.filter((s) => s.name === 'OBX')[5]!;
    expect(obx6.value(5)).toBe('Sample slightly hemolyzed & re-run | ok');
  });
});

describe('HL7 front end: header, delimiters, versions', () => {
  it('reads MSH fields and segments by index', () => {
    const m = message(only(parseHl7(fixture('adt_a01.hl7'))));
    expect(m.header).toMatchObject({ sendingApplication: 'LABSYS', sendingFacility: 'NORTH CLINIC', messageType: 'ADT^A01', messageStructure: 'ADT_A01', controlId: 'ADT-0001', version: '2.5.1', acceptAckType: '', charset: '' });
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'PV2', 'OBX', 'AL1', 'DG1', 'ZPV']);
    const p = pid(m);
    expect(p.repetitions(3)).toBe(2);
    expect(p.value(3, 4, 2)).toBe('1.2.3.4');
    expect(p.value(3, 1, 1, 1)).toBe('SSN-555');
    expect(p.value(5, 2)).toBe('Alice');
    expect(p.value(99)).toBe('');
  });

  it('rejects non-standard delimiters with AR, ERR 102 at MSH-2, still reading the header to answer', () => {
    const item = only(parseHl7(fixture('adt_custom_delims.hl7')));
    expect(item.ok).toBe(false);
    if (item.ok) return;
    expect(item.problem).toMatchObject({ code: 102, ack: 'AR', location: { segment: 'MSH', field: 2 } });
    expect(item.header?.controlId).toBe('CUST-0001');
    expect(item.header?.delimiters.field).toBe('^');
  });

  it('rejects duplicate encoding characters', () => {
    const item = only(parseHl7(fixture('adt_dup_encoding.hl7')));
    expect(item.ok === false && item.problem.code).toBe(102);
  });

  it('rejects an empty MSH-10 with ERR 101 at MSH-10', () => {
    const item = only(parseHl7(fixture('oru_no_ctrl_id.hl7')));
    expect(item.ok).toBe(false);
    if (!item.ok) expect(item.problem).toMatchObject({ code: 101, ack: 'AR', location: { segment: 'MSH', sequence: 1, field: 10 } });
  });

  it('rejects an unsupported version with ERR 203', () => {
    const item = only(parseHl7(fixture('adt_version3.hl7')));
    expect(item.ok === false && item.problem.code).toBe(203);
  });

  it('rejects input without MSH with ERR 100 and no header', () => {
    for (const bytes of [fixture('not_hl7.txt'), Buffer.alloc(0), hl7('PID|1||X')]) {
      const item = only(parseHl7(bytes));
      expect(item.ok === false && item.problem.code).toBe(100);
      expect(item.ok === false && item.header).toBe(null);
    }
  });

  it('rejects a truncated MSH (no MSH-9/10/12) with ERR 101', () => {
    const item = only(parseHl7(Buffer.from('MSH|^~\\&|APP|FAC|RECV')));
    expect(item.ok === false && item.problem.code).toBe(101);
  });
});

describe('HL7 front end: charsets and bytes', () => {
  it('decodes 8859/1 (ü, é, ä)', () => {
    const m = message(only(parseHl7(fixture('oru_latin1.hl7'))));
    expect(m.charset).toBe('latin1');
    expect(pid(m).value(5, 1)).toBe('Müller');
    expect(pid(m).value(5, 2)).toBe('Zoé');
    expect(m.segments.find((s) => s.name === 'OBX')!.value(5)).toBe('Schäfer café');
  });

  it('decodes UNICODE UTF-8, and UTF-8 by default when MSH-18 is empty', () => {
    const m = message(only(parseHl7(fixture('adt_utf8.hl7'))));
    expect(pid(m).value(5, 1)).toBe('Sebastián');
    expect(pid(m).value(5, 2)).toBe('Jürgen');
    expect(pid(m).value(5, 3)).toBe('Øyvind');
    const plain = message(only(parseHl7(hl7(msh('ADT^A04', 'U1'), 'PID|1||X^^^A^MR||Ñandú^José'))));
    expect(pid(plain).value(5, 1)).toBe('Ñandú');
  });

  it('uses the configured default charset when MSH-18 is empty', () => {
    const latin = Buffer.from(`${msh('ADT^A04', 'L1')}\rPID|1||X^^^A^MR||Gr\u00fcn\r`, 'latin1');
    expect(only(parseHl7(latin)).ok).toBe(false); // not valid UTF-8
    expect(pid(message(only(parseHl7(latin, { defaultCharset: '8859/1' })))).value(5, 1)).toBe('Grün');
  });

  it('reads MSH-18 "ISO IR6" (table 0211\'s name for ISO 646, ASCII) as ASCII, strictly', () => {
    const m = message(only(parseHl7(hl7(msh('ADT^A04', 'IR6', '||||||ISO IR6'), 'PID|1||X^^^A^MR||Smith^Ann'))));
    expect(m.charset).toBe('ascii');
    expect(pid(m).value(5, 1)).toBe('Smith');
    const eightBit = only(parseHl7(Buffer.from(`${msh('ADT^A04', 'IR6B', '||||||ISO IR6')}\rPID|1||X^^^A^MR||Gr\u00fcn\r`, 'latin1')));
    expect(eightBit.ok === false && eightBit.problem).toMatchObject({ code: 102, ack: 'AR', location: { field: 18 } });
  });

  it('refuses each table 0211 value it does not read with a reason that names it and says what it reads', () => {
    for (const name of ['8859/3', '8859/4', '8859/6', '8859/8', '8859/9', 'ISO IR14', 'ISO IR87', 'ISO IR159', 'UNICODE', 'UNICODE UTF-16', 'UNICODE UTF-32', 'GB 18030-2000', 'KS X 1001', 'CNS 11643-1992', 'BIG-5']) {
      const item = only(parseHl7(hl7(msh('ADT^A04', 'T211', `||||||${name}`), 'PID|1||X^^^A^MR')));
      expect(item.ok === false && item.problem, name).toMatchObject({ code: 103, ack: 'AE', location: { field: 18 } });
      expect(item.ok === false && item.problem.reason, name).toContain(`MSH-18 names a character set of HL7 table 0211 that this node does not read: ${name}.`);
      expect(item.ok === false && item.problem.reason, name).toContain('It reads ASCII (also as ISO IR6), 8859/1');
    }
  });

  it('answers an MSH-18 it does not know with AE, ERR 103 at MSH-18; the quarantine reason names the value (configuration), the ACK text its length', () => {
    const item = only(parseHl7(fixture('oru_unknown_charset.hl7')));
    expect(item.ok === false && item.problem).toMatchObject({ code: 103, ack: 'AE', location: { field: 18 } });
    expect(item.ok === false && item.problem.reason).toMatch(/^MSH-18 names a character set this node does not know: KLINGON\./);
    expect(item.ok === false && item.problem.text).toMatch(/^MSH-18 names a character set this node does not know \(7 characters\)\./);
    // A table-0211 value this node does not read is said so, not called unknown.
    const utf16 = only(parseHl7(hl7(msh('ADT^A04', 'U16', '||||||UNICODE UTF-16'), 'PID|1||X^^^A^MR')));
    expect(utf16.ok === false && utf16.problem).toMatchObject({ code: 103, ack: 'AE', location: { field: 18 } });
    expect(utf16.ok === false && utf16.problem.reason).toMatch(/^MSH-18 names a character set of HL7 table 0211 that this node does not read: UNICODE UTF-16\./);
    // Whatever a sender puts there, the quoted value stays short and printable.
    const long = only(parseHl7(hl7(msh('ADT^A04', 'L1', `||||||${'X'.repeat(300)}\u0007`), 'PID|1||X^^^A^MR')));
    expect(long.ok === false && long.problem.reason!.length).toBeLessThan(400);
    expect(long.ok === false && /[^\x20-\x7e]/.test(long.problem.reason!)).toBe(false);
  });

  // The analyst's MDM^T04 copied out of a PDF: segments joined by spaces, so " EVN|T04|…" sits in
  // MSH-18 (4 characters). It was refused as "The character set in MSH-18 (3 characters) is not
  // supported": the wrong length (trimmed), and a charset problem that no charset would fix.
  it('a segment joined to MSH by a space (" EVN" in MSH-18) is named as that, with MSH-18\'s true length, not as a charset', () => {
    const bytes = Buffer.from(
      'MSH|^~\\&|SFConnect|SecureFlow Pro|XYZ||20050918000000||MDM^T04|{6AF4DC6C-5BF1-\r4563-8EBD-F54B880B3613}|P|2.3|||||| EVN|T04|20050918000000\rPID|1||355281||SMITH^JOHN\r',
      'latin1',
    );
    const item = only(parseHl7(bytes));
    expect(item.ok === false && item.problem).toMatchObject({ code: 100, ack: 'AR', location: { segment: 'MSH', field: 18 } });
    expect(item.ok === false && item.problem.text).toBe(
      'MSH-18 (4 characters) is a space and the segment name EVN: the segments seem joined by spaces, not separated by carriage returns (a message copied from a document?). Edit the message so each segment starts its own line, then reprocess it.',
    );
    expect(item.ok === false && item.problem.text).not.toContain('SMITH');
  });

  it('still reads every table-0211 value it handles (ASCII, 8859/1, /2, /5, /7, /15, UNICODE UTF-8 and its spellings)', () => {
    const cases: readonly (readonly [string, number[], string])[] = [
      ['ASCII', [0x65], 'e'],
      ['8859/1', [0xe9], 'é'],
      ['8859/2', [0xb1], 'ą'],
      ['8859/5', [0xd0], 'а'],
      ['8859/7', [0xe1], 'α'],
      ['8859/15', [0xa4], '€'],
      ['UNICODE UTF-8', [0xc3, 0xa9], 'é'],
      ['UTF-8', [0xc3, 0xa9], 'é'],
      ['unicode utf-8', [0xc3, 0xa9], 'é'],
    ];
    for (const [name, bytes, expected] of cases) {
      const head = Buffer.from(`${msh('ADT^A04', 'C1', `||||||${name}`)}\rPID|1||X^^^A^MR||Na`, 'latin1');
      const m = message(only(parseHl7(Buffer.concat([head, Buffer.from(bytes), Buffer.from('me\r')]))));
      expect(pid(m).value(5, 1), name).toBe(`Na${expected}me`);
    }
  });

  it('refuses bytes that are not valid in the declared charset (never a silent U+FFFD)', () => {
    const item = only(parseHl7(fixture('oru_declared_utf8_latin1.hl7')));
    expect(item.ok === false && item.problem).toMatchObject({ code: 102, location: { field: 18 } });
    const ascii = only(parseHl7(Buffer.from(`${msh('ADT^A04', 'A1', '||||||ASCII')}\rPID|1||X||Gr\u00fcn\r`, 'latin1')));
    expect(ascii.ok).toBe(false);
  });

  it('strips a UTF-8 BOM but keeps the raw bytes unchanged', () => {
    const bytes = fixture('adt_utf8_bom.hl7');
    const m = message(only(parseHl7(bytes)));
    expect(m.header.controlId).toBe('BOM-0001');
    expect(m.raw.equals(bytes)).toBe(true);
  });

  it('parses LF, CRLF and mixed line endings; an LF inside a value stays in the value', () => {
    for (const name of ['adt_lf.hl7', 'adt_crlf.hl7']) {
      const m = message(only(parseHl7(fixture(name))));
      expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'PID', 'PV1']);
    }
    const bytes = fixture('oru_mixed_endings.hl7');
    const m = message(only(parseHl7(bytes)));
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'PID', 'OBR', 'OBX']);
    expect(m.segments[3]!.value(5)).toBe('first line\nsecond line\nthird line');
    expect(m.raw.equals(bytes)).toBe(true);
  });
});

describe('HL7 front end: batches and several messages', () => {
  it('splits an FHS/BHS batch into its messages, each with its own raw slice', () => {
    const input = parseHl7(fixture('batch_two.hl7'));
    expect(input.batch?.fileHeader?.[11]).toBe('F-1');
    expect(input.batch?.batchHeader?.[11]).toBe('B-1');
    expect(input.items.map((item) => message(item).header.controlId)).toEqual(['BAT-0001', 'BAT-0002']);
    expect(message(input.items[1]!).raw.toString()).toMatch(/^MSH\|.*BAT-0002[^]*Batch\^Two\|?\r?PV1\|1\|O\r$/);
  });

  it('splits a file of several messages without an envelope', () => {
    const input = parseHl7(fixture('multi_two.hl7'));
    expect(input.batch).toBe(null);
    expect(input.items.map((item) => message(item).header.controlId)).toEqual(['MUL-0001', 'MUL-0002']);
  });

  it('does not split on "MSH" inside a value', () => {
    const m = message(only(parseHl7(hl7(msh('ADT^A04', 'T1'), 'PID|1||X^^^A^MR||Doe^Jane|||||||||||||MSH|x', 'NTE|1||text MSH|^~\\&|no'))));
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'PID', 'NTE']);
  });

  it('keeps Z-segments', () => {
    const m = message(only(parseHl7(fixture('adt_a01.hl7'))));
    expect(m.segments.at(-1)!.name).toBe('ZPV');
    expect(m.segments.at(-1)!.value(2)).toBe('stuff');
  });
});

describe('HL7 front end: properties', () => {
  it('never throws on arbitrary bytes, and every item is either a message or a problem with raw bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const input = parseHl7(bytes);
        expect(input.items.length).toBeGreaterThan(0);
        for (const item of input.items) if (!item.ok) expect(Buffer.isBuffer(item.raw)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated real messages (random bytes spliced into a valid one)', () => {
    const base = fixture('oru_lab.hl7');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (at, insert, cut) => {
        const bytes = Buffer.concat([base.subarray(0, at), insert, base.subarray(Math.min(base.length, at + cut))]);
        const input = parseHl7(bytes);
        for (const item of input.items) if (item.ok) expect(item.message.segments[0]!.name).toBe('MSH');
      }),
      { numRuns: 500 },
    );
  });

  it('reads any field text back through escapes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const m = message(only(parseHl7(hl7(msh('ADT^A04', 'P1'), `PID|1||X^^^A^MR||${encodeEscapes(text)}^Given`))));
        expect(pid(m).value(5, 1)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The front end reads a message along one of several paths (all-ASCII bytes are not decoded; a
 * message whose lines are CR-terminated with nothing merged is its decoded bytes as they stand;
 * anything else is split again after decoding), and reads a value either in place or from the
 * field split on an earlier field() call. Every path must give the same message.
 */
describe('HL7 front end: every reading path gives the same message', () => {
  type Snapshot = { text: string; header: unknown; segments: unknown[] };

  function snapshot(m: Hl7Message, fieldsFirst: boolean): Snapshot {
    const segments = m.segments.map((s) => {
      const read = () => {
        const values: unknown[] = [];
        for (let n = -1; n <= 14; n++) {
          values.push(s.repetitions(n), s.value(n));
          for (let r = 0; r <= 2; r++) for (let c = 0; c <= 5; c++) for (let sc = 0; sc <= 3; sc++) values.push(s.value(n, c, sc, r));
        }
        return values;
      };
      const fields = () => Array.from({ length: 16 }, (_, n) => s.field(n));
      if (fieldsFirst) {
        const split = fields();
        return [s.name, s.position, split, read()];
      }
      const values = read();
      return [s.name, s.position, fields(), values];
    });
    return { text: m.text, header: m.header, segments };
  }

  const lines = [
    msh('ORU^R01^ORU_R01', 'PATH-1'),
    'PID|1||X^^^A^MR~Y^^^B^MR||Doe^Jane^Q||19700101|F|||Main St 1^^Town^^12345',
    'OBR|1|||C^Code^LN',
    'OBX|1|ST|C^Code^LN~D^Other^LN||a\\F\\b\\S\\c&sub&\\T\\~second^x||||||F',
    'OBX|2|TX|||\\XC3A9\\t\\.br\\é|||',
    'NTE|1||plain',
  ];
  const variants = (segments: string[]): [string, Buffer][] => {
    const cr = segments.join('\r');
    return [
      ['CR', Buffer.from(`${cr}\r`, 'utf8')],
      ['LF', Buffer.from(`${segments.join('\n')}\n`, 'utf8')],
      ['CRLF', Buffer.from(`${segments.join('\r\n')}\r\n`, 'utf8')],
      ['no final CR', Buffer.from(cr, 'utf8')],
      ['leading blank lines', Buffer.from(`\r\n\r\n${cr}\r`, 'utf8')],
      ['empty lines between', Buffer.from(`${segments.join('\r\r')}\r\r`, 'utf8')],
      ['trailing BTS', Buffer.from(`${cr}\rBTS|1\r`, 'utf8')],
    ];
  };

  it.each([
    ['all ASCII', lines],
    ['UTF-8', [...lines, 'ZNA|1|Müller^Zoé|Łódź']],
    ['UTF-8 in the header', [msh('ORU^R01', 'PATH-1').replace('SENDFAC', 'Zürich'), ...lines.slice(1)]],
  ])('%s: CR, LF, CRLF, blank lines, alone or in a batch; values read before or after field()', (_name, segments) => {
    const [, base] = variants(segments)[0]!;
    const expected = snapshot(message(only(parseHl7(base))), true);
    for (const [variant, bytes] of variants(segments)) {
      for (const fieldsFirst of [true, false]) {
        expect(snapshot(message(only(parseHl7(bytes))), fieldsFirst), `${variant}${fieldsFirst ? '' : ', values first'}`).toEqual(expected);
      }
    }
    const batch = Buffer.concat([Buffer.from('FHS|^~\\&|A|B\rBHS|^~\\&|A|B\r'), base, base, Buffer.from('BTS|2\rFTS|1\r')]);
    const items = parseHl7(batch).items;
    expect(items).toHaveLength(2);
    for (const item of items) expect(snapshot(message(item), false)).toEqual(expected);
  });

  it('compares BTS-1 with the messages of its batch and FTS-1 with the batches of its file (counts only, never content)', () => {
    const base = hl7(msh('ADT^A04', 'C1'), 'PID|1||M1^^^A^MR||X^Y');
    const two = (bts: string, fts: string) => Buffer.concat([Buffer.from('FHS|^~\\&|A|B\rBHS|^~\\&|A|B\r'), base, base, Buffer.from(`${bts}\r${fts}\r`)]);
    expect(parseHl7(two('BTS|2', 'FTS|1')).batch!.countMismatches).toEqual([]);
    expect(parseHl7(two('BTS', 'FTS')).batch!.countMismatches).toEqual([]);
    expect(parseHl7(two('BTS|5', 'FTS|1')).batch!.countMismatches).toEqual([{ segment: 'BTS', stated: 5, found: 2 }]);
    expect(parseHl7(two('BTS|2', 'FTS|3')).batch!.countMismatches).toEqual([{ segment: 'FTS', stated: 3, found: 1 }]);
    // Two batches in one file: each BTS counts its own batch.
    const file = Buffer.concat([Buffer.from('FHS|^~\\&|A|B\rBHS|^~\\&|A|B\r'), base, Buffer.from('BTS|1\rBHS|^~\\&|A|B\r'), base, base, Buffer.from('BTS|1\rFTS|2\r')]);
    expect(parseHl7(file).batch!.countMismatches).toEqual([{ segment: 'BTS', stated: 1, found: 2 }]);
  });

  it('reads the same values in place as from the split field (property)', () => {
    const atom = fc.constantFrom('', 'A', 'b1', 'Müller', '\\F\\', '\\S\\', '\\T\\', '\\E\\', '\\X41\\', '\\.br\\', ' ');
    const sub = fc.array(atom, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('&'));
    const component = fc.array(sub, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('^'));
    const field = fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('~'));
    fc.assert(
      fc.property(fc.array(field, { maxLength: 8 }), fc.boolean(), (fields, ascii) => {
        const values = ascii ? fields.map((f) => f.replace(/ü/g, 'u')) : fields;
        const bytes = hl7(msh('ADT^A04', 'V1'), `ZZZ|${values.join('|')}`);
        const inPlace = message(only(parseHl7(bytes))).segments[1]!;
        const split = message(only(parseHl7(bytes))).segments[1]!;
        for (let n = 0; n <= values.length + 1; n++) {
          const shape = split.field(n);
          expect(inPlace.repetitions(n)).toBe(shape.length);
          for (let r = 0; r <= shape.length; r++) {
            for (let c = 1; c <= (shape[r]?.length ?? 0) + 1; c++) {
              for (let s = 1; s <= (shape[r]?.[c - 1]?.length ?? 0) + 1; s++) {
                const raw = shape[r]?.[c - 1]?.[s - 1] ?? '';
                expect(inPlace.value(n, c, s, r)).toBe(raw === '' ? '' : decodeEscapes(raw));
                expect(split.value(n, c, s, r)).toBe(inPlace.value(n, c, s, r));
              }
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('HL7 front end: peekHeader (the head of an oversize frame)', () => {
  it('reads the MSH found within the first 16 bytes, up to its line end, as latin1', () => {
    const line = msh('ORU^R01', 'BIG-1').replace('SENDFAC', 'Z\u00fcrich');
    for (const [prefix, rest] of [['', '\rPID|1||X'], ['\x0b', '\nPID|1||X'], [' '.repeat(16), '\r\nPID'], ['', '']] as const) {
      const header = peekHeader(Buffer.from(`${prefix}${line}${rest}`, 'latin1'));
      expect(header).toMatchObject({ controlId: 'BIG-1', messageType: 'ORU^R01', sendingFacility: 'Z\u00fcrich', version: '2.5.1' });
    }
    expect(peekHeader(Buffer.from(`${' '.repeat(17)}${line}\r`, 'latin1'))).toBe(null);
    expect(peekHeader(Buffer.from('PID|1||X\rMSH|^~\\&|A', 'latin1'))?.sendingApplication).toBe('A'); // the first MSH within 16 bytes, wherever
    expect(peekHeader(Buffer.from('PID|1||XXXXXXXXXX\rMSH|^~\\&|A', 'latin1'))).toBe(null);
    expect(peekHeader(Buffer.from(line.slice(0, 30), 'latin1'))?.controlId).toBe('');
    const inner = Buffer.from(`xx${line}\r`, 'latin1');
    expect(peekHeader(new Uint8Array(inner.buffer, inner.byteOffset + 2, inner.length - 2))?.controlId).toBe('BIG-1');
  });
});
