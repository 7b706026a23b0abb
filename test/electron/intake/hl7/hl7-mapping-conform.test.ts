import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NormalizedIntakeSchema, type NormalizedIntake } from '../../../../shared/domain/clinical';
import { generateDemoMessages } from '../../../../electron/intake/demo/demo-population';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message, type MappingResult } from '../../../../electron/intake/hl7/hl7-mapping';
import { fixture, hl7, msh } from './hl7-test-support';

/*
 * mapHl7Message checks the intake it built with NormalizedIntakeSchema compiled by zod (z.compile)
 * and runs the safeParse loop that drops what the schema refuses only when that check fails. The
 * mind parses every intake again with the same schema (jitless, no compiled code): whatever comes
 * out with kind 'patient' must pass there, and invalid records must still be dropped and noted.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

function map(bytes: Buffer): MappingResult {
  const item = parseHl7(bytes).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  return mapHl7Message(item.message, context);
}

/** What the mind does: the plain runtime parse, without zod's generated code. */
const mindAccepts = (value: unknown) => NormalizedIntakeSchema.safeParse(value, { jitless: true }).success;

function normalized(bytes: Buffer): NormalizedIntake {
  const result = map(bytes);
  if (result.kind !== 'patient') throw new Error(result.reason);
  expect(mindAccepts(result.normalized)).toBe(true);
  return result.normalized;
}

const hl7Info = (mapping: string, notes: string[]) => ({ version: '2.5.1', sendingApplication: 'SENDAPP', sendingFacility: 'SENDFAC', mapping, dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), notes });

describe('HL7 mapping: records the schema refuses are dropped and noted', () => {
  it('an observation and a report with an impossible offset (+9999, +2500) are dropped, the rest kept', () => {
    const n = normalized(
      hl7(
        msh('ORU^R01', 'BAD-1'),
        'PID|1||MRN1^^^NORTH^MR',
        'OBR|1|PL|FL|P^Panel^L|||20250301070000+2500',
        'OBX|1|NM|1^A^L||1|u||||||F|||20250301073000+9999',
        'OBX|2|NM|2^B^L||2|u|||||F|||20250301073000+0100',
        'OBX|3|NM|3^C^L||3',
      ),
    );
    expect(n.records).toEqual([
      { type: 'observation', category: 'laboratory', code: { code: '2', display: 'B', system: 'L' }, value: { kind: 'numeric', value: 2, unit: 'u' }, status: 'F', time: '2025-03-01T07:30:00+01:00', valueType: 'NM', orderId: 'FL' },
    ]);
    expect(n).not.toHaveProperty('extendedRecords');
    expect(n.hl7).toEqual(
      hl7Info('partial', [
        'dropped observation records[0]: Invalid ISO datetime',
        'dropped observation records[2]: Invalid ISO datetime',
        'dropped report extendedRecords[0]: Invalid ISO datetime',
      ]),
    );
  });

  it('a visit and a diagnosis with an impossible offset are dropped; the allergy stays', () => {
    const n = normalized(
      hl7(
        msh('ADT^A01', 'BAD-2'),
        'EVN|A01|20250301080000',
        'PID|1||MRN2^^^NORTH^MR||Doe^Jane',
        `PV1|1|I|W^1${'|'.repeat(41)}20250301080000+0160`,
        'DG1|1||I20^Angina^I10||20250301+2400|A',
        'AL1|1|DA|70618^Penicillin^RXNORM|SV',
      ),
    );
    expect(n.patient).toEqual({ identifiers: [{ value: 'MRN2', authority: 'NORTH', type: 'MR' }], name: { family: 'Doe', given: ['Jane'] } });
    expect(n.records).toEqual([]);
    expect(n.extendedRecords).toEqual([{ type: 'allergy', allergen: { code: '70618', display: 'Penicillin', system: 'RXNORM' }, allergenType: 'DA', severity: 'SV' }]);
    expect(n.hl7).toEqual(hl7Info('partial', ['dropped visit records[0]: Invalid ISO datetime', 'dropped diagnosis extendedRecords[0]: Invalid ISO datetime']));
  });

  it('an impossible MSH-7 zone: every record that takes it is dropped, after the notes the walk made', () => {
    const n = normalized(hl7(msh('ORU^R01', 'BAD-3').replace('+0100', '+2400'), 'PID|1||MRN3^^^NORTH^MR', 'OBR|1||FL|P^Panel^L', 'OBX|1|NM|1^A^L||1', 'OBX|2|ST|2^B^L||x', 'OBX|3|ST|||no code'));
    expect(n.records).toEqual([]);
    expect(n).not.toHaveProperty('extendedRecords');
    expect(n.hl7).toEqual(
      hl7Info('partial', [
        'OBX #5: no OBX-3 code',
        'dropped observation records[0]: Invalid ISO datetime',
        'dropped observation records[1]: Invalid ISO datetime',
        'dropped report extendedRecords[0]: Invalid ISO datetime',
      ]),
    );
  });

  it('notes stop at 50 (the drops come after the walk notes and are cut with them)', () => {
    const n = normalized(hl7(msh('ORU^R01', 'BAD-4'), 'PID|1||MRN4^^^NORTH^MR', ...Array.from({ length: 60 }, (_, i) => `OBX|${i + 1}|NM|||1`), 'OBX|61|NM|1^A^L||1|||||||||20250301073000+9999'));
    expect(n.records).toEqual([]);
    expect(n.hl7?.mapping).toBe('partial');
    expect(n.hl7?.notes).toEqual(Array.from({ length: 50 }, (_, i) => `OBX #${i + 2}: no OBX-3 code`));
  });

  it('however many records are refused, each is dropped with a note and the patient is kept', () => {
    const bad = (count: number) => hl7(msh('ORU^R01', `BAD-${count}`).replace('+0100', '+2400'), 'PID|1||MRN5^^^NORTH^MR', ...Array.from({ length: count }, (_, i) => `OBX|${i + 1}|NM|${i}^A^L||${i}`));
    for (const count of [19, 20, 21, 45]) {
      const result = map(bad(count));
      expect(result).toMatchObject({ kind: 'patient', normalized: { records: [], hl7: { mapping: 'partial' } } });
      const notes = (result as { normalized: NormalizedIntake }).normalized.hl7?.notes;
      expect(notes).toEqual(Array.from({ length: count }, (_, i) => `dropped observation records[${i}]: Invalid ISO datetime`));
    }
  });

  it('a valid intake comes back as built: no notes, mapping as the walk set it', () => {
    const n = normalized(fixture('oru_vitals.hl7'));
    expect(n.hl7?.notes).toBeUndefined();
    expect(n.hl7?.mapping).toBe('mapped');
  });
});

// ---------------------------------------------------------------------------------------------
// The compiled schema against the runtime parse, on valid intakes and on broken copies of them.

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** Every place in the value: [container, key] pairs. */
function places(value: Json, out: [Json[] | Record<string, Json | undefined>, string | number][] = []): [Json[] | Record<string, Json | undefined>, string | number][] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([value, i]);
      places(item, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push([value, key]);
      places(item as Json, out);
    }
  }
  return out;
}

const REPLACEMENTS: readonly unknown[] = [
  '',
  'x'.repeat(3),
  'x'.repeat(9),
  'x'.repeat(65),
  'x'.repeat(201),
  'x'.repeat(10_001),
  '😀'.repeat(40),
  '😀'.repeat(150),
  '2025-02-29T00:00:00+01:00',
  '2024-02-29T00:00:00+01:00',
  '2025-03-01T24:00:00+01:00',
  '2025-03-01T08:15:00+01:60',
  '2025-03-01T08:15:00.1234+01:00',
  '2025-03-01T08:15+01:00',
  '2025-03-01T08:15:00Z',
  '2025-03-01T08:15:00',
  '2025-03-01',
  '1900-02-29',
  'F',
  'Q',
  'visit',
  'numeric',
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  null,
  undefined,
  [],
  ['x'],
  {},
];

function mutate(intake: NormalizedIntake, next: () => number): unknown {
  const copy = structuredClone(intake) as unknown as Json;
  const all = places(copy);
  const [container, key] = all[Math.floor(next() * all.length)]!;
  const roll = next();
  const target = container as Record<string | number, unknown>;
  if (roll < 0.15 && !Array.isArray(container)) delete target[key];
  else if (roll < 0.25 && !Array.isArray(container)) target[`${String(key)}Extra`] = 'x';
  else if (roll < 0.35 && Array.isArray(target[key])) (target[key] as unknown[]).push(...Array.from({ length: 10 }, () => structuredClone((target[key] as unknown[])[0] ?? 'x')));
  else target[key] = REPLACEMENTS[Math.floor(next() * REPLACEMENTS.length)];
  return copy;
}

describe('HL7 mapping: the compiled intake schema accepts exactly what the schema accepts', () => {
  const compiled = z.compile(NormalizedIntakeSchema);
  const fixtures = readdirSync(fileURLToPath(new URL('../../../fixtures/hl7/', import.meta.url))).filter((name) => name.endsWith('.hl7'));
  const intakes: NormalizedIntake[] = [];
  for (const name of fixtures) {
    for (const item of parseHl7(fixture(name)).items) {
      if (!item.ok) continue;
      const result = mapHl7Message(item.message, { ...context, conflict: true, batchIndex: item.index });
      if (result.kind === 'patient') intakes.push(result.normalized);
    }
  }
  for (const demo of generateDemoMessages({ patients: 20, seed: 3, now: new Date('2026-01-01T00:00:00Z') })) {
    const result = map(Buffer.from(demo.raw));
    if (result.kind === 'patient') intakes.push(result.normalized);
  }

  it('every mapped fixture and demo message passes both', () => {
    expect(intakes.length).toBeGreaterThan(40);
    for (const intake of intakes) {
      expect(compiled.validate(intake)).toBe(true);
      expect(mindAccepts(intake)).toBe(true);
    }
  });

  it('broken copies: the compiled check never accepts what the runtime parse refuses (nor the reverse)', () => {
    const next = random(20_250_301);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 6_000; i++) {
      const candidate = mutate(intakes[i % intakes.length]!, next);
      const mind = mindAccepts(candidate);
      const fast = compiled.validate(candidate);
      if (fast !== mind) throw new Error(`compiled ${String(fast)}, runtime ${String(mind)}: ${JSON.stringify(candidate).slice(0, 2000)}`);
      expect(NormalizedIntakeSchema.safeParse(candidate).success).toBe(mind);
      if (mind) accepted++;
      else refused++;
    }
    // Both outcomes are well represented.
    expect(accepted).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(1_000);
  });
});
