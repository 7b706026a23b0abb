// The front end reads segments itself; hl7-standard is the reference it must agree with.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import HL7 from 'hl7-standard';
import { describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../../../electron/intake/demo/demo-population';
import { parseHl7, type Hl7Message } from '../../../../electron/intake/hl7/hl7-front-end';

/**
 * The front end splits segments and fields itself (hl7-standard's transform() was ~40 % of the
 * layer's CPU). These tests read every message both ways and require the same segments, in the
 * same order, with the same field shapes (repetitions → components → subcomponents), for every
 * field number up to past the last one: the project's fixtures, the shared public corpus, demo
 * messages, and generated messages full of empty fields, repetitions, components, subcomponents
 * and escapes.
 */

type StdValue = string | string[] | Record<string, string | string[]> | Record<string, string | string[]>[] | undefined;
type Field = readonly (readonly (readonly string[])[])[];

/** hl7-standard's shapes → repetitions → components → subcomponents (the front end's former reading). */
function normalize(value: StdValue): Field {
  const components = (object: Record<string, string | string[]>) => Object.values(object).map((v) => (Array.isArray(v) ? v : [v]));
  if (value === undefined || value === '') return [];
  if (typeof value === 'string') return [[[value]]];
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    if (typeof value[0] === 'object') return (value as Record<string, string | string[]>[]).map(components);
    return [[value as string[]]];
  }
  return [components(value)];
}

/** The message's text read by hl7-standard: [name, fields by number] in segment order. */
function reference(text: string): { name: string; data: Record<string, StdValue> }[] | Error {
  try {
    const parser = new HL7(text, { lineEndings: '\r' });
    parser.transform();
    const all: { name: string; index: number; data: Record<string, StdValue> }[] = [];
    for (const [name, list] of Object.entries(parser.transformed as unknown as Record<string, { index: number; data: Record<string, StdValue> }[]>)) {
      for (const segment of list) all.push({ name, index: segment.index, data: segment.data });
    }
    return all.sort((a, b) => a.index - b.index);
  } catch (error) {
    return error as Error;
  }
}

function expectSameAsReference(message: Hl7Message): void {
  const expected = reference(message.text);
  if (expected instanceof Error) throw new Error(`hl7-standard refused a message the front end accepted: ${expected.message}`);
  expect(message.segments.map((s) => s.name)).toEqual(expected.map((s) => s.name));
  for (const [i, segment] of message.segments.entries()) {
    expect(segment.position).toBe(i);
    const fields = Math.max(3, ...Object.keys(expected[i]!.data).map((key) => Number(key.split('.')[1]))) + 2;
    for (let n = 0; n <= fields; n++) {
      expect(segment.field(n), `${segment.name}-${n}`).toEqual(normalize(expected[i]!.data[`${segment.name}.${n}`]));
    }
  }
}

function messagesOf(bytes: Uint8Array): Hl7Message[] {
  return parseHl7(bytes).items.flatMap((item) => (item.ok ? [item.message] : []));
}

const FIXTURES = fileURLToPath(new URL('../../../fixtures/hl7/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../../../shared/corpus/hl7/', import.meta.url));

function filesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.hl7') || name.endsWith('.txt'))
      .map((name) => `${folder}${name}`);
  } catch {
    return [];
  }
}

describe('HL7 front end: segments read as hl7-standard reads them', () => {
  it.each(filesIn(FIXTURES).map((file) => [file.slice(FIXTURES.length), file] as const))('fixture %s', (_name, file) => {
    for (const message of messagesOf(readFileSync(file))) expectSameAsReference(message);
  });

  // The corpus lives outside the repository: skipped (and reported as skipped) where it is absent.
  it.skipIf(filesIn(CORPUS).length === 0)('the shared public corpus', () => {
    const unread: string[] = [];
    let checked = 0;
    for (const file of filesIn(CORPUS)) {
      const items = parseHl7(readFileSync(file)).items;
      // A file the parser refuses (custom delimiters, no control id…) still answers with a refusal.
      if (items.length === 0) unread.push(file.slice(CORPUS.length));
      for (const item of items) {
        if (!item.ok) continue;
        expectSameAsReference(item.message);
        checked++;
      }
    }
    expect(unread).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('demo messages', () => {
    for (const demo of generateDemoMessages({ patients: 40, seed: 5, now: new Date('2026-01-01T00:00:00Z') })) {
      const [message] = messagesOf(demo.raw);
      expectSameAsReference(message!);
    }
  });

  it('property: generated messages with empty fields, repetitions, components, subcomponents and escapes', () => {
    const atom = fc.constantFrom('', 'A', 'b1', '12.5', 'Müller', '\\F\\', '\\S\\', '\\R\\', '\\T\\', '\\E\\', '\\X41\\', '\\.br\\', ' ', '#');
    const sub = fc.array(atom, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('&'));
    const component = fc.array(sub, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('^'));
    const field = fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('~'));
    const name = fc.constantFrom('PID', 'PV1', 'OBX', 'OBR', 'NTE', 'ZXY', 'AL1', 'DG1', 'EVN', 'Z01');
    const segment = fc.tuple(name, fc.array(field, { maxLength: 25 })).map(([n, fields]) => (fields.length === 0 ? `${n}|` : `${n}|${fields.join('|')}`));
    const mshTail = fc.array(field, { maxLength: 20 }).map((fields) => fields.join('|'));
    fc.assert(
      fc.property(mshTail, fc.array(fc.oneof(segment, name), { maxLength: 12 }), (tail, segments) => {
        const text = [`MSH|^~\\&|APP|FAC|R|RF|20250301081500||ADT^A01|C${tail.length}|P|2.5.1${tail === '' ? '' : `|${tail}`}`, ...segments].join('\r');
        const items = parseHl7(Buffer.from(`${text}\r`, 'utf8')).items;
        for (const item of items) if (item.ok) expectSameAsReference(item.message);
      }),
      { numRuns: 300 },
    );
  });

  it('values decode as before (escapes, components, repetitions)', () => {
    const [message] = messagesOf(Buffer.from('MSH|^~\\&|A|B|C|D|20250301||ORU^R01|X1|P|2.5.1\rOBX|1|ST|C^Code^LN~D^Other^LN||a\\F\\b\\S\\c&sub||\rPV1\r', 'utf8'));
    const obx = message!.segments[1]!;
    expect(message!.segments.map((s) => s.name)).toEqual(['MSH', 'OBX']); // a line without "|" is not a segment (as in hl7-standard)
    expect(obx.value(3, 2, 1, 1)).toBe('Other');
    expect(obx.repetitions(3)).toBe(2);
    expect(obx.value(5)).toBe('a|b^c');
    expect(obx.value(5, 1, 2)).toBe('sub');
    expect(message!.segments[0]!.value(2)).toBe('^~\\&');
    expect(message!.segments[0]!.value(9, 2)).toBe('R01');
  });
});
