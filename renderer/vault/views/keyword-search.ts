import { queryTokens, type QueryTokens } from '../vault-crypto';
import { STUDY_PATIENT_FIELD, type StudyRowStored } from './imaging-rows';
import { postingsOf, type VaultDb } from './vault-db';

/**
 * Keyword search over the blind index (design §2, §8). The query is cut into words exactly as the
 * indexed text was (shared/crypto/blind-index.ts); each word becomes a group of tokens (the full
 * word and, typed with an umlaut, its transliteration; while the last word is still being typed,
 * its name prefixes), in the default field and, when the caller's scope takes them, in the field of
 * the study words posted for a patient (tester T1 F9; PatientSearchScope); a patient matches when it
 * holds at least one token of every group.
 *
 * Every token is one primary-key range scan of its posting chunks (vault-db.ts `postings`:
 * token → patient ids; nothing is decrypted). Patients are posted under the tokens of their
 * records too (intake-rows.ts), so a LOINC code that 100,000 records share is one scan returning
 * the few thousand patients who have it, not 100,000 record keys to map back to patients.
 *
 * Display order: best match first, then patient id. "Best" counts the words that matched as whole
 * words rather than only as a name prefix ("mül" ranks Mül before Müller… only when one is an
 * exact word). The id is a keyed pseudonym, so ties come in an order that is stable for the
 * vault and says nothing about the patients. Sorting by name would need every hit decrypted
 * (100,000 hits ≈ seconds) or a name-ordered plaintext sort key (an order-revealing leak of every
 * name), so the result list is not alphabetical; the UI pages through it lazily (patientHits).
 *
 * An empty query lists every patient (in id order); a query without a searchable word (a single
 * letter, punctuation) finds nothing.
 */

export async function allPatientIds(db: VaultDb): Promise<string[]> {
  return (await db.patients.toCollection().primaryKeys()) as string[];
}

/**
 * Which of a patient's words a search reads. `chart`: the default field, the patient's names,
 * identifiers, birth date and record words (the message browser's patient filter: issue 11, "patient
 * identifier"). `chart-and-studies`: also the study words' field, their studies' descriptions and
 * accession numbers (imaging-rows.ts STUDY_PATIENT_FIELD: the Patients search, tester T1 F9, and
 * research terms, which name imaging procedures too).
 */
export type PatientSearchScope = 'chart' | 'chart-and-studies';

/**
 * Each query word's tokens in the default field and, in scope, in the study words' field: whole
 * words of both first, then the prefixes of both, so `wholeWords` still ranks. `chart` and `study`
 * keep each field's tokens apart, to tell which field matched (searchPatientMatches).
 */
async function patientQueryGroups(indexKey: CryptoKey, query: string, scope: PatientSearchScope): Promise<(QueryTokens['groups'][number] & { chart: readonly string[]; study: readonly string[] })[]> {
  const [chart, study] = await Promise.all([queryTokens(indexKey, query), scope === 'chart' ? null : queryTokens(indexKey, query, { field: STUDY_PATIENT_FIELD })]);
  return chart.groups.map((group, index) => {
    const other = study?.groups[index] ?? { anyOf: [], wholeWords: 0 };
    return {
      anyOf: [...group.anyOf.slice(0, group.wholeWords), ...other.anyOf.slice(0, other.wholeWords), ...group.anyOf.slice(group.wholeWords), ...other.anyOf.slice(other.wholeWords)],
      wholeWords: group.wholeWords + other.wholeWords,
      chart: group.anyOf,
      study: other.anyOf,
    };
  });
}

export interface PatientMatches {
  /** As searchPatientIds. */
  readonly ids: string[];
  /**
   * The patients (of `ids`, before merges are resolved) that matched a query word through their
   * studies' words (tester T1 F9, H9): their study ids whose own tokens hold such a word, most of
   * those words first. A patient matched only by name, identifiers or record words is not here.
   */
  readonly matchedStudies: Map<string, string[]>;
}

/** The patients matching a query in `scope` (each caller says which words it means), ids only: no study row is read. */
export async function searchPatientIds(db: VaultDb, indexKey: CryptoKey, query: string, scope: PatientSearchScope): Promise<string[]> {
  return (await patientMatches(db, indexKey, query, scope, false)).ids;
}

/**
 * The Patients search: searchPatientIds over `chart-and-studies`, also saying which patients matched
 * through a study and which of their studies it was. The study field's postings name patients only;
 * the studies are found by the same words' default-field tokens among the study rows' own tokens
 * (the Imaging filter's: imaging-projector.ts), in memory. No token is added and nothing is
 * decrypted; with no study-field match (a name or MRN search) no study row is read.
 */
export async function searchPatientMatches(db: VaultDb, indexKey: CryptoKey, query: string): Promise<PatientMatches> {
  return patientMatches(db, indexKey, query, 'chart-and-studies', true);
}

async function patientMatches(db: VaultDb, indexKey: CryptoKey, query: string, scope: PatientSearchScope, studies: boolean): Promise<PatientMatches> {
  if (query.trim() === '') return { ids: await allPatientIds(db), matchedStudies: new Map() };
  const groups = await patientQueryGroups(indexKey, query, scope);
  if (groups.length === 0) return { ids: [], matchedStudies: new Map() };
  const unique = [...new Set(groups.flatMap((group) => group.anyOf))];
  const hits = new Map<string, readonly string[]>();
  await Promise.all(
    unique.map(async (token) => {
      const chunks = await postingsOf(db, token).toArray();
      hits.set(token, chunks.length === 1 ? chunks[0]!.ids : chunks.flatMap((chunk) => chunk.ids));
    }),
  );
  // Per group: the patients matching it, and whether by a whole word (score) or a prefix only.
  const groupSets = groups.map((group) => {
    const exact = new Set(group.anyOf.slice(0, group.wholeWords).flatMap((token) => hits.get(token) ?? []));
    const any = new Set(exact);
    for (const token of group.anyOf.slice(group.wholeWords)) for (const id of hits.get(token) ?? []) any.add(id);
    return { exact, any, group };
  });
  const ordered = [...groupSets];
  groupSets.sort((a, b) => a.any.size - b.any.size);
  const [smallest, ...rest] = groupSets;
  const scores = new Map<string, number>();
  for (const id of smallest!.any) {
    let score = smallest!.exact.has(id) ? 1 : 0;
    let matches = true;
    for (const group of rest) {
      if (!group.any.has(id)) {
        matches = false;
        break;
      }
      if (group.exact.has(id)) score++;
    }
    if (matches) scores.set(id, score);
  }
  const ids = [...scores.keys()].sort((a, b) => scores.get(b)! - scores.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  return { ids, matchedStudies: studies ? await studiesMatched(db, scores, ordered.map(({ group }) => group), hits) : new Map() };
}

/** Per matched patient with a study-field hit: its study rows holding the default-field tokens of those words. */
async function studiesMatched(db: VaultDb, matched: ReadonlyMap<string, number>, groups: readonly { chart: readonly string[]; study: readonly string[] }[], hits: ReadonlyMap<string, readonly string[]>): Promise<Map<string, string[]>> {
  // Per patient, the words (group indexes) it matched through the study field.
  const viaStudy = new Map<string, Set<number>>();
  groups.forEach((group, index) => {
    for (const token of group.study)
      for (const id of hits.get(token) ?? []) {
        if (!matched.has(id)) continue;
        const words = viaStudy.get(id) ?? new Set<number>();
        words.add(index);
        viaStudy.set(id, words);
      }
  });
  const found = new Map<string, string[]>();
  if (viaStudy.size === 0) return found;
  const wanted = [...new Set([...viaStudy.values()].flatMap((words) => [...words]))];
  const rows = (await db.studies.where('tokens').anyOf([...new Set(wanted.flatMap((index) => groups[index]!.chart))]).distinct().toArray()) as StudyRowStored[];
  const counts = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const words = viaStudy.get(row.patientId);
    if (words === undefined) continue;
    const own = new Set(row.tokens);
    const count = [...words].filter((index) => groups[index]!.chart.some((token) => own.has(token))).length;
    if (count === 0) continue;
    const perPatient = counts.get(row.patientId) ?? new Map<string, number>();
    perPatient.set(row.id, count);
    counts.set(row.patientId, perPatient);
  }
  for (const [patientId, perStudy] of counts) found.set(patientId, [...perStudy.keys()].sort((a, b) => perStudy.get(b)! - perStudy.get(a)! || (a < b ? -1 : 1)));
  return found;
}
