import { foldText } from '../../shared/crypto/blind-index';
import type { Patient } from '../../shared/domain/clinical';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';

/**
 * The demo population as the tests know it: the same generator the body's `demo.import` runs, so a
 * test knows which names, MRNs and birth dates went into the vault without reading the vault.
 * Names and MRNs depend only on the seed; birth dates also on the UTC day of the body's "now".
 */

/** The generator's default seed (demo-population.ts), which the body uses when `demo.import` gets none. */
export const DEFAULT_DEMO_SEED = 20_261_121;

export interface DemoIdentity {
  readonly mrn: string;
  readonly family: string;
  readonly given: readonly string[];
  /** YYYY-MM-DD, one per "now" the population was generated for (see `demoIdentities`). */
  readonly birthDates: readonly string[];
}

function uniquePatients(patients: number, seed: number, now: Date): Map<string, Patient> {
  const byMrn = new Map<string, Patient>();
  for (const message of generateDemoMessages({ patients, seed, now })) {
    const patient = message.normalized.patient;
    const mrn = patient.identifiers[0]?.value;
    if (mrn !== undefined && !byMrn.has(mrn)) byMrn.set(mrn, patient);
  }
  return byMrn;
}

/**
 * Every patient of a demo import of `patients` patients with `seed`. Birth dates are computed for
 * each of `nows` (pass the instants just before and after the import, so an import that straddles
 * UTC midnight is covered).
 */
export function demoIdentities(patients: number, seed = DEFAULT_DEMO_SEED, nows: readonly Date[] = [new Date()]): DemoIdentity[] {
  const generations = nows.map((now) => uniquePatients(patients, seed, now));
  const first = generations[0];
  if (first === undefined) throw new Error('demoIdentities needs at least one "now".');
  return [...first.entries()].map(([mrn, patient]) => ({
    mrn,
    family: patient.name.family,
    given: patient.name.given,
    birthDates: [...new Set(generations.map((generation) => generation.get(mrn)?.birthDate).filter((date): date is string => date !== undefined))],
  }));
}

/** Family names with diacritics that no doctor, street or city of the demo catalog shares once folded. */
const SEARCHABLE_DIACRITIC_FAMILIES = [
  'Müller', 'Schäfer', 'Köhler', 'Dvořák', 'Svobodová', 'García', 'Martínez', 'Ibáñez', 'Lefèvre', 'Bérubé', 'Benoît',
  'Öztürk', 'Çelik', 'Kovács', 'Szabó', 'Tóth', 'Horváth', 'Gonçalves', 'Araújo', 'Jovanović', 'Wiśniewski', 'Novák',
] as const;

export interface FamilyQuery {
  /** The family name as stored, with its diacritics. */
  readonly family: string;
  /** The same name typed without diacritics ("Dvorak" for "Dvořák"). */
  readonly typed: string;
  /** The MRNs of the patients with that family name. */
  readonly mrns: readonly string[];
}

/** The most frequent diacritic family name of the population, to search for typed without its diacritics. */
export function familyToSearch(identities: readonly DemoIdentity[]): FamilyQuery {
  let best: FamilyQuery | undefined;
  for (const family of SEARCHABLE_DIACRITIC_FAMILIES) {
    const mrns = identities.filter((identity) => identity.family === family).map((identity) => identity.mrn);
    if (mrns.length === 0) continue;
    const typed = foldText(family);
    const candidate = { family, typed: typed.charAt(0).toUpperCase() + typed.slice(1), mrns };
    if (best === undefined || mrns.length > best.mrns.length) best = candidate;
  }
  if (best === undefined) throw new Error('The demo population has none of the expected diacritic family names.');
  if (best.typed.toLowerCase() === best.family.toLowerCase()) throw new Error(`${best.family} has no diacritics to drop.`);
  return best;
}
