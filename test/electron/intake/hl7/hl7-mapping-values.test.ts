import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type NormalizedIntake, type Observation } from '../../../../shared/domain/clinical';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { hl7, msh } from './hl7-test-support';

/**
 * Values that are not what their type says (security audit, issue 11): an NM OBX-5 that is no
 * number, a PID-7 that is no date, an MSH-7 that is no time. Each is kept as sent and said so
 * (the mapping's notes name the field, never the value), and none is read as what it is not.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

function mapped(...segments: string[]): NormalizedIntake {
  const item = parseHl7(hl7(...segments)).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, context);
  if (result.kind !== 'patient') throw new Error(result.reason);
  expect(NormalizedIntakeSchema.safeParse(result.normalized).success).toBe(true);
  return result.normalized;
}

const PID = 'PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||19450317|F';

function glucose(value: string): { observation: Observation; intake: NormalizedIntake } {
  const intake = mapped(msh('ORU^R01', 'NM-1'), PID, 'OBR|1||F-1|24323-8^Panel^LN', `OBX|1|NM|2345-7^Glucose^LN||${value}|mg/dL|70-99||||F`);
  return { observation: intake.records[0] as Observation, intake };
}

describe('OBX-2 NM with an OBX-5 that is no number', () => {
  it('text under NM ("Zyxwvut") is kept as text, never a number, and the mapping notes it (the field, not the value)', () => {
    const { observation, intake } = glucose('Zyxwvut');
    expect(observation.value).toEqual({ kind: 'text', value: 'Zyxwvut' });
    expect(observation.valueType).toBe('NM');
    expect(observation.valueDetail).toBeUndefined();
    expect(intake.hl7?.mapping).toBe('partial');
    expect(intake.hl7?.notes).toEqual(['OBX #3: OBX-5 is not a number although OBX-2 is NM; kept as sent, never charted']);
    expect(JSON.stringify(intake.hl7?.notes)).not.toContain('Zyxwvut');
  });

  it('a comparator ("<5", "> 200") reads as the SN it should have been sent as, as before: text as sent, parts and unit in the detail, no note', () => {
    const { observation, intake } = glucose('<5');
    expect(observation.value).toEqual({ kind: 'text', value: '<5' });
    expect(observation.valueDetail).toEqual({ kind: 'structured-numeric', comparator: '<', value: 5, unit: 'mg/dL' });
    expect(intake.hl7?.notes).toBeUndefined();
    expect(glucose('> 200').observation.valueDetail).toEqual({ kind: 'structured-numeric', comparator: '>', value: 200, unit: 'mg/dL' });
  });

  it('a range ("5.0-7.0") or a ratio ("1:128") under NM reads as SN too: text as sent, both numbers and the separator in the detail, no number to chart', () => {
    const range = glucose('5.0-7.0');
    expect(range.observation.value).toEqual({ kind: 'text', value: '5.0-7.0' });
    expect(range.observation.valueDetail).toEqual({ kind: 'structured-numeric', value: 5, separator: '-', value2: 7, decimals: 1, unit: 'mg/dL' });
    expect(range.intake.hl7?.notes).toBeUndefined();
    expect(glucose('1:128').observation.valueDetail).toEqual({ kind: 'structured-numeric', value: 1, separator: ':', value2: 128, unit: 'mg/dL' });
    expect(glucose('-2 - -1').observation.valueDetail).toEqual({ kind: 'structured-numeric', value: -2, separator: '-', value2: -1, unit: 'mg/dL' });
  });

  it('a decimal comma ("7,9") stays text, never 7.9, and the note says why: "decimal comma: sent 7,9" (the number only, nothing else sent)', () => {
    for (const value of ['7,9', '-0,25', ' 12,50 ']) {
      const { observation, intake } = glucose(value);
      expect(observation.value, value).toEqual({ kind: 'text', value });
      expect(observation.valueDetail, value).toBeUndefined();
      expect(intake.hl7?.notes, value).toEqual([`OBX #3: OBX-5 is not a number although OBX-2 is NM (decimal comma: sent ${value.trim()}; HL7 NM uses a period); kept as sent, never charted`]);
    }
    // Not a decimal comma: a thousands-like or a listed value keeps the plain note, its text unsaid.
    for (const value of ['1,234,5', '7,9 mg', '7,']) {
      expect(glucose(value).intake.hl7?.notes, value).toEqual(['OBX #3: OBX-5 is not a number although OBX-2 is NM; kept as sent, never charted']);
    }
  });

  it('anything else that is not one number is text with the note: a date, three numbers, a bare comparator', () => {
    for (const value of ['2025-03-01', '1-2-3', '>', 'positive', '5.0 mg']) {
      const { observation, intake } = glucose(value);
      expect(observation.value, value).toEqual({ kind: 'text', value });
      expect(observation.valueDetail, value).toBeUndefined();
      expect(intake.hl7?.notes, value).toEqual(['OBX #3: OBX-5 is not a number although OBX-2 is NM; kept as sent, never charted']);
    }
  });

  it('numbers, an empty NM and the HL7 null are read as before, without a note', () => {
    expect(glucose('5.50').observation.value).toEqual({ kind: 'numeric', value: 5.5, unit: 'mg/dL', decimals: 2 });
    expect(glucose('-3').observation.value).toEqual({ kind: 'numeric', value: -3, unit: 'mg/dL' });
    for (const value of ['', '""']) expect(glucose(value).intake.hl7?.notes, value).toBeUndefined();
  });
});

describe('PID-7 that is no valid HL7 date', () => {
  it('is kept as sent beside the birth date (never as it), noted by field, and gives no age', () => {
    const intake = mapped(msh('ADT^A04', 'BD-1'), 'PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||1945XX17|F');
    expect(intake.patient.birthDate).toBeUndefined();
    expect(intake.patient.birthDateSent).toBe('1945XX17');
    expect(intake.patient.cleared).toBeUndefined();
    expect(intake.hl7?.notes).toEqual(['PID #1: PID-7 birth date is not a valid HL7 date; shown as sent, not used']);
    expect(JSON.stringify(intake.hl7?.notes)).not.toContain('1945XX17');
  });

  it('a valid, empty or null PID-7 keeps nothing as sent', () => {
    expect(mapped(msh('ADT^A04', 'BD-2'), PID).patient).not.toHaveProperty('birthDateSent');
    expect(mapped(msh('ADT^A04', 'BD-3'), 'PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||""|F').patient).not.toHaveProperty('birthDateSent');
    expect(mapped(msh('ADT^A04', 'BD-4'), 'PID|1||MRN-1^^^CLINIC^MR||Doe^Jane|||F').patient).not.toHaveProperty('birthDateSent');
  });

  it('what is kept as sent is bounded (40 characters)', () => {
    const intake = mapped(msh('ADT^A04', 'BD-5'), `PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||${'9'.repeat(300)}|F`);
    expect(intake.patient.birthDateSent).toHaveLength(40);
  });
});

describe('MSH-7 that is no valid HL7 date-time', () => {
  it('the receipt time stands in for it, and the mapping says so', () => {
    const intake = mapped('MSH|^~\\&|LAB|N|H|N|2025XX01||ADT^A04|T-1|P|2.5.1', PID, 'PV1|1|O');
    expect(intake.records[0]).toMatchObject({ type: 'visit', start: '2025-03-01T12:00:00.000Z' });
    expect(intake.hl7?.mapping).toBe('partial');
    expect(intake.hl7?.notes).toEqual(['MSH-7 message time is not a valid HL7 date-time; the time it was received is used']);
  });

  it('an empty MSH-7 (required) is said the same way; a valid one adds no note', () => {
    expect(mapped('MSH|^~\\&|LAB|N|H|N|||ADT^A04|T-2|P|2.5.1', PID).hl7?.notes).toEqual(['MSH-7 message time is empty; the time it was received is used']);
    expect(mapped(msh('ADT^A04', 'T-3'), PID).hl7?.notes).toBeUndefined();
  });
});
