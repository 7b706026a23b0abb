import { describe, expect, it } from 'vitest';
import { queryTokens, recordTokens } from '../../../shared/crypto/blind-index';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { patientText, recordText } from '../../../renderer/vault/views/intake-rows';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { lab, row, visit } from './clinical-fixtures';
import { bulkPatientId, createFakeVault, makePatient, type FakePatient } from './fake-vault-service';

/**
 * The fake vault's search must find what the real blind index finds and nothing else, so that a
 * UI test cannot pass on a search the real service does not do (substrings, one letter, a year…).
 * The reference here is the real thing: tokens of the texts intake-rows.ts indexes, and a query's
 * token groups, matched as keyword-search.ts matches them.
 */

const keys = await deriveVaultKeys(generateMasterSecret());

const PATIENTS: FakePatient[] = [
  makePatient(1, { name: { family: 'Müller', given: ['Zoë'] } }, [row('r1', lab('8867-4', 'Heart rate', 72, '/min', '2026-01-02T10:00:00Z'))]),
  makePatient(2, { name: { family: 'Mueller', given: ['Jan'] }, sex: 'M', birthDate: '1955-12-24' }),
  makePatient(3, { name: { family: 'Novák', given: ['Eva'] }, identifiers: [{ value: 'MRN-000123', authority: 'CZ', type: 'MR' }] }, [row('r2', visit('2026-01-03T09:00:00Z', 'Chest pain'))]),
];

const QUERIES = [
  'muller', 'MÜLLER', 'mül', 'mue', 'mueller', 'muel', 'müller ', 'zoë mueller', '24.12.1955', '24/12/1955', 'e', 'ev', 'eva', 'nov', 'nov ', 'novak zoe', 'zoe muller', 'zo',
  'heart', 'hea', 'heart rate', '8867-4', '88674', '8867', 'chest pain', 'pai', 'cardiology',
  '1955-12-24', '19551224', '1955/12/24', '1955', '1980-02-01', '12-24',
  'mrn00000002', 'MRN00000002', '00000002', 'mrn-000123', '000123', 'mrn', 'hdms-demo', 'demo', 'cz',
  'mrn00000', 'MRN0000000', '0001', 'mrn-0001', 'mrn00000 ', 'hdm',
];

/** The real search's answer, in its order: most whole-word matches first, then patient id. */
async function realMatches(query: string): Promise<string[]> {
  const { groups } = await queryTokens(keys.indexKey, query);
  const scored: { id: string; score: number }[] = [];
  for (const entry of PATIENTS) {
    const texts = [patientText(entry.patient), ...entry.records.map((r) => recordText(r.record))];
    const tokens = new Set((await Promise.all(texts.map((text) => recordTokens(keys.indexKey, text)))).flat());
    // Identifiers get prefix tokens too (intake-rows.ts buildIntakeRows).
    for (const token of await new TokenCache(keys.indexKey).identifierPrefixTokens(entry.patient.identifiers.map((identifier) => identifier.value))) tokens.add(token);
    if (groups.length > 0 && groups.every((group) => group.anyOf.some((token) => tokens.has(token)))) {
      scored.push({ id: entry.patientId, score: groups.filter((group) => group.anyOf.slice(0, group.wholeWords).some((token) => tokens.has(token))).length });
    }
  }
  return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).map(({ id }) => id);
}

describe('the fake vault search', () => {
  it.each(QUERIES)('finds for %j what the blind index finds', async (query) => {
    const vault = createFakeVault({ phase: 'unlocked', patients: PATIENTS });
    const { patientIds } = await vault.search(query);
    expect(patientIds).toEqual(await realMatches(query));
  });

  it('lists every patient for an empty query in id order (not by name: the real index cannot sort by name)', async () => {
    const vault = createFakeVault({ phase: 'unlocked', patients: PATIENTS });
    expect((await vault.search('  ')).patientIds).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('searches bulk patients by the same rules', async () => {
    const vault = createFakeVault({ phase: 'unlocked' });
    vault.seedBulk(3);
    expect((await vault.search('bulk')).patientIds).toEqual([bulkPatientId(1), bulkPatientId(2), bulkPatientId(3)]);
    expect((await vault.search('bu')).patientIds).toEqual([]);
    expect((await vault.search('mrn00000002')).patientIds).toEqual([bulkPatientId(2)]);
  });
});
