import { queryTokens, type QueryTokens } from '../vault-crypto';
import { STUDY_PATIENT_FIELD } from './imaging-rows';
import { postingsOf, type VaultDb } from './vault-db';

/**
 * Keyword search over the blind index (design §2, §8). The query is cut into words exactly as the
 * indexed text was (shared/crypto/blind-index.ts); each word becomes a group of tokens (the full
 * word and, typed with an umlaut, its transliteration; while the last word is still being typed,
 * its name prefixes), in the default field and in the field of the study words posted for a
 * patient (tester T1 F9); a patient matches when it holds at least one token of every group.
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
 * Each query word's tokens in the default field and in the study words' field (a patient's studies'
 * descriptions and accession numbers: imaging-rows.ts STUDY_PATIENT_FIELD): whole words of both
 * first, then the prefixes of both, so `wholeWords` still ranks.
 */
async function patientQueryGroups(indexKey: CryptoKey, query: string): Promise<QueryTokens['groups']> {
  const [chart, study] = await Promise.all([queryTokens(indexKey, query), queryTokens(indexKey, query, { field: STUDY_PATIENT_FIELD })]);
  return chart.groups.map((group, index) => {
    const other = study.groups[index]!;
    return {
      anyOf: [...group.anyOf.slice(0, group.wholeWords), ...other.anyOf.slice(0, other.wholeWords), ...group.anyOf.slice(group.wholeWords), ...other.anyOf.slice(other.wholeWords)],
      wholeWords: group.wholeWords + other.wholeWords,
    };
  });
}

export async function searchPatientIds(db: VaultDb, indexKey: CryptoKey, query: string): Promise<string[]> {
  if (query.trim() === '') return allPatientIds(db);
  const groups = await patientQueryGroups(indexKey, query);
  if (groups.length === 0) return [];
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
    return { exact, any };
  });
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
  return [...scores.keys()].sort((a, b) => scores.get(b)! - scores.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}
