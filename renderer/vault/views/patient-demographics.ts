import type { ClearableField, Patient, PatientIdentifier, PersonName } from '../../../shared/domain/clinical';
import { foldText } from '../../../shared/crypto/blind-index';

/**
 * A patient's demographics across messages (issue 11), with HL7 v2 null semantics: a field a
 * message leaves out says nothing, so what earlier messages gave stays (an ORU whose PID carries
 * only the MRN and name keeps the ADT's address); a field the message nulls (`cleared`, HL7 `""`)
 * is removed; a value replaces. Identifiers: the message's first (its primary decides the patient),
 * then those known before that it did not repeat. The name is merged by its components (mergeName).
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
  const merged: { -readonly [K in keyof Patient]: Patient[K] } = { identifiers, name: mergeName(known.name, sent.name, gone.has('middleNames')) };
  const birthDate = sent.birthDate ?? (gone.has('birthDate') ? undefined : known.birthDate);
  // A PID-7 that was no valid date (kept as sent, never read as one): a valid one or `""` takes it
  // away; a later invalid one is kept beside the valid date an earlier message gave, and said.
  const birthDateSent = sent.birthDate !== undefined || gone.has('birthDate') ? undefined : (sent.birthDateSent ?? known.birthDateSent);
  const sex = sent.sex ?? (gone.has('sex') ? undefined : known.sex);
  const address = sent.address ?? (gone.has('address') ? undefined : known.address);
  // Home and business phones apart (QA explore-11 D13): an A08 with only PID-14 keeps the home phone.
  const phones = sent.phones ?? (gone.has('phones') ? undefined : known.phones);
  const businessPhones = sent.businessPhones ?? (gone.has('businessPhones') ? undefined : known.businessPhones);
  if (birthDate !== undefined) merged.birthDate = birthDate;
  if (birthDateSent !== undefined) merged.birthDateSent = birthDateSent;
  if (sex !== undefined) merged.sex = sex;
  if (address !== undefined) merged.address = address;
  if (phones !== undefined) merged.phones = phones;
  if (businessPhones !== undefined) merged.businessPhones = businessPhones;
  return merged;
}

/**
 * A name across messages (QA s32: an ORU's PID-5 `Keller^Anna` turned "Keller, Anna Maria" into
 * "Keller, Anna", and "maria" found nobody). The null semantics of fields, one level down: a
 * component the message leaves empty says nothing. When every component the message sends agrees
 * with the chart's (as search reads words: case and accents aside), the chart keeps the given and
 * middle names the message does not send, and the spelling sent wins for those it does; a family
 * or given name that differs replaces the whole name (a marriage, a correction: no name is made of
 * two people's parts). A middle name sent as its initial ("M" or "M." for the chart's "Maria")
 * agrees and says nothing new, so the chart keeps "Maria"; another initial ("J") or another name
 * differs and replaces it (HL7 has no rule for this: it is what clinicians read an initial as); the
 * full name after an initial wins as sent. `""` in PID-5.3 (`middleNames` cleared) takes the middle
 * names away. An empty name says nothing. Whatever the message type: an ADT^A08 that drops a middle
 * name sends `""`.
 */
function mergeName(known: PersonName, sent: PersonName, clearMiddle: boolean): PersonName {
  if (sent.family === '' && sent.given.length === 0) return known;
  const same = (a: string, b: string) => foldText(a.trim()) === foldText(b.trim());
  // A middle name (index 1 on) sent as the initial of the chart's says nothing new: the chart's stays.
  const initialOf = (index: number) => index >= 1 && index < known.given.length && initialFits(sent.given[index]!, known.given[index]!);
  const agrees =
    (sent.family === '' || same(sent.family, known.family)) &&
    sent.given.every((name, index) => index >= known.given.length || same(name, known.given[index]!) || (index >= 1 && middleAgrees(name, known.given[index]!)));
  if (!agrees) return sent;
  const spoken = sent.given.map((name, index) => (initialOf(index) ? known.given[index]! : name));
  const given = clearMiddle ? (spoken.length > 0 ? spoken : known.given.slice(0, 1)) : [...spoken, ...known.given.slice(spoken.length)];
  const name: { -readonly [K in keyof PersonName]: PersonName[K] } = { ...known, ...sent, family: sent.family === '' ? known.family : sent.family, given };
  return name;
}

/**
 * Whether `initial` is one letter (a full stop after it allowed: "M", "m.") that begins `name`, a
 * longer name ("Maria"), compared as search compares words (case and accents aside: "A" fits
 * "Ángel"). An initial never fits an initial.
 */
function initialFits(initial: string, name: string): boolean {
  const letter = letterOf(initial);
  const full = foldText(name.trim()).replace(/\.$/u, '');
  return letter !== null && [...full].length > 1 && full.startsWith(letter);
}

/** The folded letter of an initial ("M", "m."), or null for anything else. */
function letterOf(initial: string): string | null {
  const letter = foldText(initial.trim()).replace(/\.$/u, '');
  return [...letter].length === 1 && /^\p{L}$/u.test(letter) ? letter : null;
}

/** Two middle names that say the same person: an initial and the name it begins, either way, or one initial with or without its full stop. */
function middleAgrees(sent: string, known: string): boolean {
  const initial = letterOf(sent);
  return initialFits(sent, known) || initialFits(known, sent) || (initial !== null && initial === letterOf(known));
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
  const birthDateSent = known.birthDateSent;
  const sex = known.sex ?? sent.sex;
  const address = known.address ?? sent.address;
  const phones = known.phones ?? sent.phones;
  const businessPhones = known.businessPhones ?? sent.businessPhones;
  if (birthDate !== undefined) merged.birthDate = birthDate;
  if (birthDateSent !== undefined) merged.birthDateSent = birthDateSent;
  if (sex !== undefined) merged.sex = sex;
  if (address !== undefined) merged.address = address;
  if (phones !== undefined) merged.phones = phones;
  if (businessPhones !== undefined) merged.businessPhones = businessPhones;
  return merged;
}
