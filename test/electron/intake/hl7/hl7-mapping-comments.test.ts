import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type NormalizedIntake } from '../../../../shared/domain/clinical';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { hl7, msh } from './hl7-test-support';

/** Issue 11: a report's comments (NTE) reach the patient page; the mapper files each NTE under the OBR or OBX before it. */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

describe('NTE comments', () => {
  function intakeOf(...segments: string[]): NormalizedIntake {
    const item = parseHl7(hl7(msh('ORU^R01', 'NTE-1'), 'PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze', ...segments)).items[0]!;
    if (!item.ok) throw new Error(item.problem.text);
    const result = mapHl7Message(item.message, context);
    if (result.kind !== 'patient') throw new Error(result.reason);
    expect(NormalizedIntakeSchema.safeParse(result.normalized).success).toBe(true);
    return result.normalized;
  }

  it('an NTE after OBR comments on the report, after OBX on that result; other segments end the run', () => {
    const intake = intakeOf(
      'OBR|1||F-1|24323-8^Metabolic panel^LN|||20250301081500',
      'NTE|1|L|Specimen slightly haemolysed.',
      'NTE|2|L|Repeat advised~within 24 h.',
      'OBX|1|NM|2823-3^Potassium^LN||6.8|mmol/L|3.5-5.1|HH|||F',
      'NTE|1|L|Called to ward 3 at 08:20.',
      'SPM|1|||BLD',
      'NTE|1|L|About the specimen, not the result.',
    );
    const report = intake.extendedRecords?.find((record) => record.type === 'report');
    expect(report?.type === 'report' && report.comments).toEqual(['Specimen slightly haemolysed.', 'Repeat advised\nwithin 24 h.']);
    const observation = intake.records.find((record) => record.type === 'observation');
    expect(observation?.type === 'observation' && observation.comments).toEqual(['Called to ward 3 at 08:20.']);
  });
});
