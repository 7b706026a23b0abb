import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type NormalizedIntake } from '../../../../shared/domain/clinical';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { hl7, msh } from './hl7-test-support';

/**
 * Tester T1 D5: every ORU made a "visit" at the message's time (MSH-7) from a PV1 without PV1-44,
 * so the banner's "Last visit" was the lab message's date and the records list had a visit per
 * lab message. A PV1 is an encounter with a time only when the message gives one.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2026-12-07T05:23:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };
const PID = 'PID|1||MRN-1^^^CLINIC^MR||Keller^Anna';
const OBX = 'OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.1||||F|||20250301070000+0100';

function normalized(...segments: string[]): NormalizedIntake {
  const item = parseHl7(hl7(...segments)).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, context);
  if (result.kind !== 'patient') throw new Error(result.reason);
  expect(NormalizedIntakeSchema.safeParse(result.normalized).success).toBe(true);
  return result.normalized;
}

const visits = (n: NormalizedIntake) => n.records.filter((record) => record.type === 'visit');

describe('T1 D5: a visit is dated by what the message says about the encounter', () => {
  it('an ORU whose PV1 has no PV1-44 makes no visit (not one at MSH-7); its results are kept and the mapping is not partial', () => {
    const n = normalized(msh('ORU^R01', 'V-1'), PID, 'PV1|1|O|PRAXIS||||0815^Keller^Hans', 'OBR|1||F-1|24323-8^Panel^LN|||20250301070000+0100', OBX);
    expect(visits(n)).toEqual([]);
    expect(n.records.filter((record) => record.type === 'observation')).toHaveLength(1);
    expect(n.hl7?.mapping).toBe('mapped');
  });

  it('an ORU whose PV1 gives PV1-44 keeps that encounter, saying its start is the admit time', () => {
    const n = normalized(msh('ORU^R01', 'V-2'), PID, `PV1|1|O|PRAXIS||||0815^Keller^Hans${'|'.repeat(37)}20250228090000+0100`, OBX);
    expect(visits(n)).toEqual([{ type: 'visit', patientClass: 'O', location: 'PRAXIS', attendingDoctor: 'Hans Keller', start: '2025-02-28T09:00:00+01:00', startFrom: 'PV1-44' }]);
  });

  it('an ADT without PV1-44 takes the event time: EVN-6 when it is sent, else EVN-2, else MSH-7; each says which', () => {
    const adt = (evn: string) => visits(normalized(msh('ADT^A04', 'V-3'), evn, PID, 'PV1|1|O|PRAXIS'))[0];
    expect(adt('EVN|A04|20250301083000+0100||||20250301080000+0100')).toMatchObject({ start: '2025-03-01T08:00:00+01:00', startFrom: 'EVN-6' });
    expect(adt('EVN|A04|20250301083000+0100')).toMatchObject({ start: '2025-03-01T08:30:00+01:00', startFrom: 'EVN-2' });
    expect(visits(normalized(msh('ADT^A04', 'V-4'), PID, 'PV1|1|O|PRAXIS'))[0]).toMatchObject({ start: '2025-03-01T08:15:00+01:00', startFrom: 'MSH-7' });
  });

  it('an A08 (update patient information) is no visit unless its PV1 gives PV1-44: an edit of the registration is not an encounter (H8 F8)', () => {
    const a08 = (pv1: string) => visits(normalized(msh('ADT^A08', 'V-5'), 'EVN|A08|20261206090000', PID, pv1));
    expect(a08('PV1|1|O|CLINIC^^^CLINIC1')).toEqual([]);
    expect(a08(`PV1|1|O|PRAXIS${'|'.repeat(41)}20261201090000`)).toMatchObject([{ start: expect.stringMatching(/^2026-12-01T09:00:00/), startFrom: 'PV1-44' }]);
    // A registration or an admission stays dated by its event without PV1-44.
    expect(visits(normalized(msh('ADT^A01', 'V-6'), 'EVN|A01|20261206090000', PID, 'PV1|1|I|WARD'))).toHaveLength(1);
  });
});
