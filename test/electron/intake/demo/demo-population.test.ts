import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type NormalizedIntake } from '../../../../shared/domain/clinical';
import { generateDemoMessages } from '../../../../electron/intake/demo/demo-population';
import { renderDemoHl7 } from '../../../../electron/intake/demo/demo-hl7';

const now = new Date('2026-11-21T12:00:00Z');

describe('demo population', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = [...generateDemoMessages({ patients: 20, seed: 1, now })];
    const b = [...generateDemoMessages({ patients: 20, seed: 1, now })];
    const c = [...generateDemoMessages({ patients: 20, seed: 2, now })];
    expect(a.map((m) => m.normalized)).toEqual(b.map((m) => m.normalized));
    expect(a.map((m) => m.normalized)).not.toEqual(c.map((m) => m.normalized));
  });

  it('produces valid normalized intakes: an admission then results per patient', () => {
    const messages = [...generateDemoMessages({ patients: 50, now })];
    for (const message of messages) expect(NormalizedIntakeSchema.safeParse(message.normalized).success).toBe(true);
    const mrns = new Set(messages.map((m) => m.normalized.patient.identifiers[0]!.value));
    expect(mrns.size).toBe(50);
    const admissions = messages.filter((m) => m.normalized.messageType === 'ADT^A04');
    expect(admissions).toHaveLength(50);
    expect(new Set(messages.map((m) => m.normalized.messageId)).size).toBe(messages.length);
    const observations = messages.flatMap((m) => m.normalized.records).filter((r) => r.type === 'observation');
    expect(observations.some((o) => o.category === 'laboratory')).toBe(true);
    expect(observations.some((o) => o.category === 'vital-signs')).toBe(true);
    for (const o of observations) expect(new Date(o.time).getTime()).toBeLessThanOrEqual(now.getTime() + 5 * 3_600_000);
  });

  it('uses names with diacritics, as real clinics have', () => {
    const names = [...generateDemoMessages({ patients: 200, now })].map((m) => `${m.normalized.patient.name.family} ${m.normalized.patient.name.given.join(' ')}`);
    expect(names.some((name) => name !== name.normalize('NFKD').replace(/\p{M}/gu, ''))).toBe(true);
  });

  it('renders HL7 v2.5.1 in UTF-8 with escaped delimiters and the message id in MSH-10', () => {
    const [first] = generateDemoMessages({ patients: 1, now });
    const message: NormalizedIntake = {
      ...first!.normalized,
      patient: { ...first!.normalized.patient, name: { family: 'O|Brien^&Co~\\', given: ['Zoë'] } },
    };
    const text = new TextDecoder().decode(renderDemoHl7(message, now));
    const segments = text.split('\r').filter(Boolean);
    const msh = segments[0]!.split('|');
    expect(msh[9]).toBe(message.messageId);
    expect(msh[17]).toBe('UNICODE UTF-8');
    const pid = segments.find((s) => s.startsWith('PID|'))!;
    expect(pid).toContain('O\\F\\Brien\\S\\\\T\\Co\\R\\\\E\\^Zoë');
    expect(pid.split('|')).toHaveLength(14);
  });
});
