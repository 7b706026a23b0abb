import { describe, expect, it } from 'vitest';
import { hl7ScanCount, parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { hl7, msh } from './hl7-test-support';

/**
 * Issue 9 §3: a field with N repetitions cost O(N²) (every repetition's value was found by
 * rescanning the field from its start), so a 300 KB message froze intake for minutes. The cost is
 * measured in characters the value lookups may examine (hl7ScanCount), never in time: parse and
 * map must examine a bounded multiple of the message's length, and twice the repetitions must
 * cost about twice as much.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

/** Every field the mapping loops over repetitions of, each with `n` empty repetitions before one value. */
function pathological(n: number): Buffer {
  const empty = '~'.repeat(n);
  return hl7(
    msh('ADT^A40^ADT_A39', `REP-${n}`),
    'EVN|A40|20250301081500',
    `PID|1||${empty}12345^^^HOSP^MR||DOE^JOHN||19800101|M|||||${empty}555-0100|${empty}555-0101`,
    `MRG|${empty}99999^^^HOSP^MR`,
    `AL1|1|DA|PEN^Penicillin|SV|${empty}HIVES^Hives`,
    `RXA|0|1|20250301|20250301|08^HepB^CVX|0.5|mL||||||||${empty}LOT1`,
    `OBX|1|ST|8867-4^Heart rate^LN||${empty}72||||||F|||20250301081500`,
  );
}

/** Characters examined to parse and map the message, and its length. */
function cost(bytes: Buffer): { scanned: number; length: number } {
  const before = hl7ScanCount();
  const item = parseHl7(bytes).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, context);
  expect(result.kind).toBe('patient');
  return { scanned: hl7ScanCount() - before, length: bytes.length };
}

describe('HL7 repeated fields cost linear time', () => {
  it('parse + map examine a bounded multiple of the message length (2,000 repetitions per field)', () => {
    const { scanned, length } = cost(pathological(2_000));
    expect(scanned).toBeLessThanOrEqual(8 * length);
  });

  it('twice the repetitions cost about twice as much, not four times', () => {
    const small = cost(pathological(2_000)).scanned;
    const large = cost(pathological(4_000)).scanned;
    expect(large / small).toBeLessThan(2.2);
  });

  it('300,000 repetitions of PID-3 and PID-13 parse and map within the same bound, and still find the values', () => {
    const n = 300_000;
    const bytes = hl7(msh('ADT^A01^ADT_A01', 'REP-300K'), `PID|1||${'~'.repeat(n)}12345^^^HOSP^MR||DOE^JOHN||19800101|M|||||${'~'.repeat(n)}555-0100`);
    const before = hl7ScanCount();
    const item = parseHl7(bytes).items[0]!;
    if (!item.ok) throw new Error(item.problem.text);
    const result = mapHl7Message(item.message, context);
    expect(hl7ScanCount() - before).toBeLessThanOrEqual(8 * bytes.length);
    if (result.kind !== 'patient') throw new Error(result.reason);
    expect(result.normalized.patient.identifiers).toEqual([{ value: '12345', authority: 'HOSP', type: 'MR' }]);
    expect(result.normalized.patient.phones).toEqual(['555-0100']);
  });

  it('values of far repetitions read the same as splitting the field', () => {
    const item = parseHl7(hl7(msh('ADT^A01', 'REP-X'), 'PID|1||A1^^^H1~~B2^x&y^^H2^PT~C3\\F\\z^^^H3|')).items[0]!;
    if (!item.ok) throw new Error(item.problem.text);
    const pid = item.message.segments[1]!;
    expect(pid.repetitions(3)).toBe(4);
    expect([0, 1, 2, 3, 4].map((r) => pid.value(3, 1, 1, r))).toEqual(['A1', '', 'B2', 'C3|z', '']);
    expect(pid.value(3, 2, 2, 2)).toBe('y');
    expect(pid.value(3, 4, 1, 2)).toBe('H2');
    expect(pid.value(3, 5, 1, 2)).toBe('PT');
    expect(pid.value(3, 4, 1, 3)).toBe('H3');
    const decoded = parseHl7(hl7(msh('ADT^A01', 'REP-Y'), 'PID|1||A1~B2~C3\\F\\z^^^H3|')).items[0]!;
    if (!decoded.ok) throw new Error(decoded.problem.text);
    expect(decoded.message.segments[1]!.value(3, 1, 1, 2)).toBe('C3|z');
    expect(decoded.message.segments[1]!.value(3, 4, 1, 2)).toBe('H3');
  });
});
