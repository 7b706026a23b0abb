import type { ClearableField, Patient, PatientIdentifier } from '../../../shared/domain/clinical';

/**
 * A patient's demographics across messages (issue 11), with HL7 v2 null semantics: a field a
 * message leaves out says nothing, so what earlier messages gave stays (an ORU whose PID carries
 * only the MRN and name keeps the ADT's address); a field the message nulls (`cleared`, HL7 `""`)
 * is removed; a value replaces. Identifiers: the message's first (its primary decides the patient),
 * then those known before that it did not repeat. An empty name says nothing either.
 *
 * Folding a patient's messages in journal order gives the same result whichever prefix was folded
 * before (a field ends with the value of the last message that spoke of it), so replaying any
 * range of the journal again leaves the patient as a rebuild from 0 makes it.
 */
export function mergeDemographics(known: Patient | undefined, update: Patient): Patient {
  const { cleared, ...sent } = update;
  if (known === undefined) return sent;
  const gone = new Set<ClearableField>(cleared ?? []);
  const key = (identifier: PatientIdentifier) => `${identifier.authority}\u0000${identifier.value}`;
  const sentKeys = new Set(sent.identifiers.map(key));
  const identifiers = [...sent.identifiers, ...known.identifiers.filter((identifier) => !sentKeys.has(key(identifier)))].slice(0, 10);
  const named = sent.name.family !== '' || sent.name.given.length > 0;
  const merged: { -readonly [K in keyof Patient]: Patient[K] } = { identifiers, name: named ? sent.name : known.name };
  const birthDate = sent.birthDate ?? (gone.has('birthDate') ? undefined : known.birthDate);
  const sex = sent.sex ?? (gone.has('sex') ? undefined : known.sex);
  const address = sent.address ?? (gone.has('address') ? undefined : known.address);
  // Home and business phones apart (QA explore-11 D13): an A08 with only PID-14 keeps the home phone.
  const phones = sent.phones ?? (gone.has('phones') ? undefined : known.phones);
  const businessPhones = sent.businessPhones ?? (gone.has('businessPhones') ? undefined : known.businessPhones);
  if (birthDate !== undefined) merged.birthDate = birthDate;
  if (sex !== undefined) merged.sex = sex;
  if (address !== undefined) merged.address = address;
  if (phones !== undefined) merged.phones = phones;
  if (businessPhones !== undefined) merged.businessPhones = businessPhones;
  return merged;
}

/**
 * What a DICOM instance's header adds to a patient (QA explore-12 D0b): a modality is not a
 * registration system, so its header only fills what the patient does not have yet (a name, birth
 * date, sex, address or phones nobody gave) and adds identifiers not known; it never replaces or
 * clears what an HL7 ADT (or an earlier header) gave. The first header of a patient stands alone.
 */
export function fillDemographics(known: Patient | undefined, update: Patient): Patient {
  const { cleared: _never, ...sent } = update;
  if (known === undefined) return sent;
  const key = (identifier: PatientIdentifier) => `${identifier.authority}\u0000${identifier.value}`;
  const knownKeys = new Set(known.identifiers.map(key));
  const identifiers = [...known.identifiers, ...sent.identifiers.filter((identifier) => !knownKeys.has(key(identifier)))].slice(0, 10);
  const named = known.name.family !== '' || known.name.given.length > 0;
  const merged: { -readonly [K in keyof Patient]: Patient[K] } = { identifiers, name: named ? known.name : sent.name };
  const birthDate = known.birthDate ?? sent.birthDate;
  const sex = known.sex ?? sent.sex;
  const address = known.address ?? sent.address;
  const phones = known.phones ?? sent.phones;
  const businessPhones = known.businessPhones ?? sent.businessPhones;
  if (birthDate !== undefined) merged.birthDate = birthDate;
  if (sex !== undefined) merged.sex = sex;
  if (address !== undefined) merged.address = address;
  if (phones !== undefined) merged.phones = phones;
  if (businessPhones !== undefined) merged.businessPhones = businessPhones;
  return merged;
}
