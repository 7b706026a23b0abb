import type { PersonName } from './clinical';

/**
 * A person's name as the app shows it: "Family, Given Middle Suffix" ("Everyman, Adam A III"), then the same name in ideographic
 * and phonetic writing when it was sent so, in brackets: "Yamada, Tarou (山田 太郎 · やまだ たろう)"
 * (QA12 D4). One line, so lists, the patient banner and the viewer header read alike.
 */
export function personNameLabel(name: PersonName): string {
  const given = name.given.join(' ');
  const named = name.family === '' ? given : given === '' ? name.family : `${name.family}, ${given}`;
  const main = name.suffix === undefined || name.suffix === '' || named === '' ? named : `${named} ${name.suffix}`;
  const other = [name.ideographic, name.phonetic].filter((part): part is string => part !== undefined && part !== '');
  if (other.length === 0) return main;
  return main === '' ? other.join(' · ') : `${main} (${other.join(' · ')})`;
}

/** The words of a name to index (names get prefix tokens): family, given, and the ideographic and phonetic writing. */
export function personNameWords(name: PersonName): string[] {
  return [name.family, ...name.given, ...(name.ideographic === undefined ? [] : [name.ideographic]), ...(name.phonetic === undefined ? [] : [name.phonetic])];
}
