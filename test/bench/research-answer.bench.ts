import type { NormalizedIntake } from '../../shared/domain/clinical';
import { median, percentile, type BenchModule } from './bench-report';
import { openViewsPage } from './index-build.bench';
import type * as replayModule from '../../renderer/vault/views/journal-replay';
import type * as rowsModule from '../../renderer/vault/views/intake-rows';
import type * as searchModule from '../../renderer/vault/views/keyword-search';
import type * as tokenModule from '../../renderer/vault/views/token-cache';
import type * as dbModule from '../../renderer/vault/views/vault-db';
import type * as vaultKeysModule from '../../shared/crypto/vault-keys';
import type * as cipherModule from '../../shared/crypto/field-cipher';
import type * as evaluationModule from '../../renderer/research/query-evaluation';
import type * as consentModule from '../../renderer/research/research-consent';
import type * as inboxModule from '../../renderer/research/query-inbox';
import type * as cohortModule from '../../shared/research/cohort-answer';

/**
 * A clinic answering a keyword query over 100,000 patients (issue 14's benchmark), in Chromium
 * with the mind's own code: the terms through the blind index, the consent filter (an opt-out
 * policy with 2,000 refusals recorded), the age filter on the decrypted patients, each remaining
 * patient's records decrypted for the data types and years, then the count bucket, the KEY list
 * (generalization and suppression, at most 2,000 entries) and the cohort's tags for the
 * guard. Sealing the answer to the researcher (one ECDH) and the guard's read of earlier outcomes
 * are not included.
 *
 * Baseline, same page, index and terms: the bare keyword search (renderer/vault/views/keyword-search.ts
 * searchPatientIds over 'chart-and-studies', the words the Patients search and the research terms read).
 *
 * The population is synthetic and lean (one lab message per patient: 40 % have an HbA1c result,
 * 60 % a glucose result; ages spread over 0–99), so the index of 100,000 patients builds in about a
 * minute with the mind's indexing code before the clock starts.
 */

const PATIENTS = Number(process.env['HDMS_BENCH_RESEARCH_PATIENTS'] ?? 100_000);
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const VAULT_ID = 'bench-research-answer';

const ENTRY = `
export * as replay from './renderer/vault/views/journal-replay';
export * as rows from './renderer/vault/views/intake-rows';
export * as search from './renderer/vault/views/keyword-search';
export * as tokens from './renderer/vault/views/token-cache';
export * as db from './renderer/vault/views/vault-db';
export * as vaultKeys from './shared/crypto/vault-keys';
export * as cipher from './shared/crypto/field-cipher';
export * as evaluation from './renderer/research/query-evaluation';
export * as consent from './renderer/research/research-consent';
export * as inbox from './renderer/research/query-inbox';
export * as cohort from './shared/research/cohort-answer';
`;

interface Bundle {
  replay: typeof replayModule;
  rows: typeof rowsModule;
  search: typeof searchModule;
  tokens: typeof tokenModule;
  db: typeof dbModule;
  vaultKeys: typeof vaultKeysModule;
  cipher: typeof cipherModule;
  evaluation: typeof evaluationModule;
  consent: typeof consentModule;
  inbox: typeof inboxModule;
  cohort: typeof cohortModule;
}
declare const hdmsViews: Bundle;

interface PageResult {
  readonly buildMs: number;
  readonly patients: number;
  readonly matched: number;
  readonly candidates: number;
  readonly keyList: number;
  readonly answer: number[];
  readonly bare: number[];
}

const bench: BenchModule = {
  title: `a clinic's answer to a keyword query over ${PATIENTS.toLocaleString('en')} patients (blind index, consent, filters, generalization) vs the bare keyword search`,
  async run(log) {
    const views = await openViewsPage(ENTRY);
    try {
      const result = await views.page.evaluate(
        async ({ patients, runs, vaultId }): Promise<PageResult> => {
          const { replay, rows, search, tokens, db: views, vaultKeys, cipher, evaluation, consent, inbox, cohort } = hdmsViews;
          const keys = await vaultKeys.deriveVaultKeys(vaultKeys.generateMasterSecret());
          await views.deleteVaultDb(vaultId);
          const db = views.openVaultDb(vaultId);
          await db.open();
          const cache = new tokens.TokenCache(keys.indexKey);
          // A lean synthetic population: one lab message per patient (deterministic).
          let state = 42;
          const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
          const intakeOf = (i: number): NormalizedIntake => {
            const year = 1926 + Math.floor(random() * 100);
            const records: NormalizedIntake['records'] = [];
            const lab = (code: string, display: string, value: number, unit: string) => records.push({ type: 'observation', category: 'laboratory', code: { code, system: 'LN', display }, value: { kind: 'numeric', value, unit }, status: 'F', time: `${2019 + (i % 6)}-0${1 + (i % 9)}-15T08:00:00Z` });
            if (i % 5 < 2) lab('4548-4', 'Hemoglobin A1c', 5 + random() * 6, '%');
            if (i % 5 >= 2) lab('2345-7', 'Glucose', 70 + random() * 100, 'mg/dL');
            return {
              channel: 'hl7-mllp',
              messageId: `R${i}`,
              messageType: 'ORU^R01',
              patient: { identifiers: [{ value: `MRN${String(5_000_000 + i)}`, authority: 'BENCH', type: 'MR' }], name: { family: `Benchfam${i % 5000}`, given: [`Given${i % 700}`] }, birthDate: `${year}-0${1 + (i % 9)}-1${i % 10}`, sex: i % 2 === 0 ? 'F' : 'M' },
              records,
              hl7: { version: '2.5.1', sendingApplication: 'LAB', sendingFacility: 'BENCH', mapping: 'mapped', dedupeKey: `R${i}`.padEnd(64, '0'), payloadSha256: 'b'.repeat(64) },
            };
          };
          const PAGE = 500;
          const started = performance.now();
          for (let i = 0; i < patients; i += PAGE) {
            const slice = Array.from({ length: Math.min(PAGE, patients - i) }, (_, k) => ({ seq: i + k + 1, kind: 'intake.hl7', objects: [] as string[], intake: intakeOf(i + k) }));
            const built = await Promise.all(slice.map((input) => rows.buildIntakeRows(keys, cache, input)));
            await replay.writeIntakeRows(db, built, slice.at(-1)!.seq, keys.viewKey);
          }
          const buildMs = performance.now() - started;
          // 2,000 patients refused consent (an opt-out policy counts everyone else).
          const ids = (await db.patients.toCollection().primaryKeys()) as string[];
          const refused = ids.filter((_, i) => i % 50 === 0);
          const consentRows = await Promise.all(
            refused.map(async (patientId, i) => {
              const seq = patients + 1 + i;
              const [enc] = await cipher.encryptMany(keys.viewKey, [{ table: 'consents', id: String(seq), value: { purpose: 'research-sale', state: 'refused', decidedOn: '2026-01-01', operator: null, recordedAt: '2026-01-01T00:00:00.000Z' } }]);
              return { seq, patientId, enc: enc! };
            }),
          );
          await db.consents.bulkPut(consentRows);
          const policy = { v: 1 as const, mode: 'opt-out' as const, purposes: { 'research-sale': true, 'research-no-sale': false }, minCellSize: 11, answering: 'automatic' as const };
          const query = { terms: ['4548-4'], filters: { ageFrom: 40, ageTo: 65 }, purpose: 'research-sale' as const };
          const today = '2026-12-05';
          let matched = 0;
          let keyList = 0;
          let candidates = 0;
          const answerOnce = async () => {
            const { cohort: ids, members } = await evaluation.evaluateQuery(db, keys, query, (candidateIds) => consent.allowedByConsent(db, keys.viewKey, policy, candidateIds, query.purpose), today);
            const bucket = cohort.countBucket(ids.length, policy.minCellSize);
            const listed = members.length > 2000 ? members.slice(0, 2000) : members;
            const list = cohort.keyList(listed, { today, minCellSize: policy.minCellSize, randomKey: () => crypto.randomUUID().replace(/-/g, '') });
            await inbox.cohortTagsOf(keys.indexKey, ids.length > 10_000 ? [] : ids);
            matched = ids.length;
            keyList = list.length;
            return bucket;
          };
          const answer: number[] = [];
          const bare: number[] = [];
          await answerOnce();
          candidates = (await search.searchPatientIds(db, keys.indexKey, '4548-4', 'chart-and-studies')).length;
          for (let run = 0; run < runs; run++) {
            const t0 = performance.now();
            await answerOnce();
            answer.push(performance.now() - t0);
            const t1 = performance.now();
            await search.searchPatientIds(db, keys.indexKey, '4548-4', 'chart-and-studies');
            bare.push(performance.now() - t1);
          }
          const count = await db.patients.count();
          db.close();
          await views.deleteVaultDb(vaultId);
          return { buildMs, patients: count, matched, candidates, keyList, answer, bare };
        },
        { patients: PATIENTS, runs: RUNS, vaultId: VAULT_ID },
      );
      log(`research answer: ${result.patients} patients indexed in ${(result.buildMs / 1000).toFixed(1)} s; term matches ${result.candidates}, cohort ${result.matched}, KEY list ${result.keyList}; answer ${result.answer.map((ms) => ms.toFixed(0)).join(', ')} ms; bare search ${result.bare.map((ms) => ms.toFixed(0)).join(', ')} ms`);
      return [
        {
          figure: 'research_answer_ms',
          value: median(result.answer),
          p95: percentile(result.answer, 95),
          runs: result.answer.length,
          // The issue names no target for this figure: it is measured against its baseline.
          target: {},
          baseline: { name: 'the bare keyword search of the same term (searchPatientIds), same page and index', value: median(result.bare), p95: percentile(result.bare, 95) },
          unit: 'ms',
          samples: result.answer,
          baselineSamples: result.bare,
          notes: `${result.patients} patients; the term matches ${result.candidates}, the cohort (consent, ages 40–65) ${result.matched}, KEY list ${result.keyList} entries. Index built in ${(result.buildMs / 1000).toFixed(1)} s before the clock.`,
        },
      ];
    } finally {
      await views.close();
    }
  },
};

export default bench;
