import { describe, expect, it } from 'vitest';
import { NormalizedIntakeSchema, type NormalizedIntake } from '../../../../shared/domain/clinical';
import { parseHl7 } from '../../../../electron/intake/hl7/hl7-front-end';
import { mapHl7Message } from '../../../../electron/intake/hl7/hl7-mapping';
import { hl7, msh } from './hl7-test-support';

/**
 * HL7 v2 null semantics for the patient's demographics (v2.5.1 §2.5.3): an empty field says
 * nothing (the receiver keeps what it knew), only `""` (the HL7 null) clears a value. The mapper
 * says which one it saw: an absent field is left out, an explicit null is listed under `cleared`.
 */

const context = { channel: 'hl7-mllp' as const, receivedAt: new Date('2025-03-01T12:00:00Z'), dedupeKey: 'a'.repeat(64), payloadSha256: 'b'.repeat(64), conflict: false };

function patientOf(pid: string): NormalizedIntake['patient'] {
  const item = parseHl7(hl7(msh('ORU^R01', 'DEMOG-1'), pid)).items[0]!;
  if (!item.ok) throw new Error(item.problem.text);
  const result = mapHl7Message(item.message, context);
  if (result.kind !== 'patient') throw new Error(result.reason);
  expect(NormalizedIntakeSchema.safeParse(result.normalized).success).toBe(true);
  return result.normalized.patient;
}

describe('PID demographics: absent versus the HL7 null', () => {
  it('an empty PID-7, -8, -11, -13 says nothing: no value and nothing cleared', () => {
    const patient = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze');
    expect(patient).toEqual({ identifiers: [{ value: 'MRN-1', authority: 'CLINIC', type: 'MR' }], name: { family: 'Okonkwo', given: ['Adaeze'] } });
  });

  it('`""` in PID-7, -8, -11 and -13 clears birth date, sex, address and phones', () => {
    const patient = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||""|""|||""||""');
    expect(patient.birthDate).toBeUndefined();
    expect(patient.sex).toBeUndefined();
    expect(patient.address).toBeUndefined();
    expect(patient.phones).toBeUndefined();
    expect(patient.cleared).toEqual(['birthDate', 'sex', 'address', 'phones']);
  });

  it('values are read as before, and a `""` component is no value (never the text "")', () => {
    const patient = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||19750412|F|||Hauptstr. 5^""^Bern^^3011^CH||031 555 12 12');
    expect(patient).toMatchObject({ birthDate: '1975-04-12', sex: 'F', address: { street: 'Hauptstr. 5', city: 'Bern', postalCode: '3011', country: 'CH' }, phones: ['031 555 12 12'] });
    expect(patient.cleared).toBeUndefined();
  });

  // Interface analyst: PID-11 `1 Elm St^Apt 2^Boston^MA^02110^USA` lost MA (XAD-4, state or province).
  it('keeps the state or province (XAD-4) of the address', () => {
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||1 Elm St^Apt 2^Boston^MA^02110^USA').address).toEqual({ street: '1 Elm St, Apt 2', city: 'Boston', state: 'MA', postalCode: '02110', country: 'USA' });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||^^^IL').address).toEqual({ state: 'IL' });
  });

  // Interface analyst (QA s33 D3): in v2.5+ XAD-1 is SAD (street or mailing address & street name & dwelling number);
  // `1000&Hospital Lane^Ste. 123^Ann Arbor^MI…` read as "1000, Ste. 123": the street name was dropped.
  it('keeps every part of a v2.5+ street address (XAD-1 SAD.1, SAD.2, SAD.3), and a v2.3 plain street', () => {
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||1000&Hospital Lane^Ste. 123^Ann Arbor^MI^99999^USA^M').address).toEqual({ street: '1000 Hospital Lane, Ste. 123', city: 'Ann Arbor', state: 'MI', postalCode: '99999', country: 'USA' });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||&Elm Street&12^^Springfield').address).toEqual({ street: 'Elm Street 12', city: 'Springfield' });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||12 Elm Street&""&""^^Springfield').address).toEqual({ street: '12 Elm Street', city: 'Springfield' });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Doe^Jane||||||12 Elm Street^Apt 3^Springfield').address).toEqual({ street: '12 Elm Street, Apt 3', city: 'Springfield' });
  });

  // QA explore-11 D19: PID-7 `202503` (a valid HL7 DT, month precision) was dropped.
  it('a birth date sent to the month or the year is kept with that precision; an impossible one is dropped', () => {
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||202503|F').birthDate).toBe('2025-03');
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||2025|F').birthDate).toBe('2025');
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||20250315|F').birthDate).toBe('2025-03-15');
    for (const bad of ['202513', '202500', '0099', '20251', '2025-03']) {
      const patient = patientOf(`PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||${bad}|F`);
      expect(patient.birthDate).toBeUndefined();
      expect(patient.birthDateSent).toBe(bad);
      expect(patient.cleared).toBeUndefined();
    }
  });

  // QA2-11 Q7: an impossible or future PID-7 was accepted without a word (mapping 'mapped').
  it('an impossible birth date is dropped and noted; one after the message is kept and noted; a valid one adds no note', () => {
    const notesOf = (pid: string) => {
      const item = parseHl7(hl7(msh('ADT^A04', 'DEMOG-2'), pid)).items[0]!;
      if (!item.ok) throw new Error(item.problem.text);
      const result = mapHl7Message(item.message, context);
      if (result.kind !== 'patient') throw new Error(result.reason);
      return { birthDate: result.normalized.patient.birthDate, mapping: result.normalized.hl7?.mapping, notes: result.normalized.hl7?.notes };
    };
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||202513|F')).toEqual({ birthDate: undefined, mapping: 'partial', notes: ['PID #1: PID-7 birth date is not a valid HL7 date; shown as sent, not used'] });
    // The message is of 2025-03-01: a birth in 2027-05, 2025-04 or on 2025-03-02 is after it.
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||202705|F')).toEqual({ birthDate: '2027-05', mapping: 'partial', notes: ['PID #1: PID-7 birth date is after the message; kept as sent'] });
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||20250302|F').notes).toEqual(['PID #1: PID-7 birth date is after the message; kept as sent']);
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||202503|F')).toEqual({ birthDate: '2025-03', mapping: 'mapped', notes: undefined });
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||20250301|F').notes).toBeUndefined();
    expect(notesOf('PID|1||MRN-1^^^CLINIC^MR||Kid^Toddler||""|F').notes).toBeUndefined();
  });

  // QA explore-11 D13: one list for PID-13 and PID-14 let an A08 with only a business phone erase the home phone.
  it('PID-13 (home) and PID-14 (business) are kept apart, each absent, given or nulled on its own', () => {
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||||||||031 111 11 11|031 222 22 22')).toMatchObject({ phones: ['031 111 11 11'], businessPhones: ['031 222 22 22'] });
    const businessOnly = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze|||||||||031 999 99 99');
    expect(businessOnly.phones).toBeUndefined();
    expect(businessOnly.businessPhones).toEqual(['031 999 99 99']);
    expect(businessOnly.cleared).toBeUndefined();
    const homeOnly = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||||||||031 555 55 55');
    expect(homeOnly).toMatchObject({ phones: ['031 555 55 55'] });
    expect(homeOnly.businessPhones).toBeUndefined();
    const homeNulled = patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||||||||""|044 123');
    expect(homeNulled).toMatchObject({ businessPhones: ['044 123'], cleared: ['phones'] });
    expect(homeNulled.phones).toBeUndefined();
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||||||||031 1|""')).toMatchObject({ phones: ['031 1'], cleared: ['businessPhones'] });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Okonkwo^Adaeze||||||||""|""').cleared).toEqual(['phones', 'businessPhones']);
  });
});

// QA s32 (t3): an ORU's PID-5 `Keller^Anna` erased the middle name an ADT gave. The mapper tells
// an empty PID-5.3 (says nothing) from `""` (clears the middle names) for the views' name merge.
describe('PID-5 middle names: absent versus the HL7 null', () => {
  it('an empty PID-5.3 clears nothing; `""` in PID-5.3 is listed as cleared middleNames', () => {
    expect(patientOf('PID|1||300001^^^CLINIC^MR||Keller^Anna').cleared).toBeUndefined();
    expect(patientOf('PID|1||300001^^^CLINIC^MR||Keller^Anna^Maria')).toMatchObject({ name: { family: 'Keller', given: ['Anna', 'Maria'] } });
    expect(patientOf('PID|1||300001^^^CLINIC^MR||Keller^Anna^""')).toEqual({ identifiers: [{ value: '300001', authority: 'CLINIC', type: 'MR' }], name: { family: 'Keller', given: ['Anna'] }, cleared: ['middleNames'] });
    expect(patientOf('PID|1||300001^^^CLINIC^MR||Keller^Anna^""||""|""|||""||""|""').cleared).toEqual(['middleNames', 'birthDate', 'sex', 'address', 'phones', 'businessPhones']);
  });
});

describe('PID-5.4 name suffix (QA s33)', () => {
  it('keeps the suffix ("III", "JR") with the name; none when PID-5.4 is empty', () => {
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Everyman^Adam^A^III^^^L').name).toEqual({ family: 'Everyman', given: ['Adam', 'A'], suffix: 'III' });
    expect(patientOf('PID|1||MRN-1^^^CLINIC^MR||Everyman^Adam^A').name).toEqual({ family: 'Everyman', given: ['Adam', 'A'] });
  });
});
