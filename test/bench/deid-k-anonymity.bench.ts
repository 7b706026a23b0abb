import type { ClinicalRecord, ExtendedRecord } from '../../shared/domain/clinical';
import { findGeneralization } from '../../shared/research/deid/k-anonymity';
import { releaseDataset } from '../../shared/research/deid/release-report';
import { applySafeHarbor, type DeidSource } from '../../shared/research/deid/safe-harbor';
import { median, percentile, type BenchModule } from './bench-report';

/**
 * De-identification of a clinic's population for a dataset release (issue 15 item 3), with the
 * mind's own code (shared/research/deid, pure TypeScript: run here in Node, as in the renderer).
 *
 * - `deid_k_anonymity_100k_ms`: k-anonymity (k = 5) and distinct ℓ-diversity (ℓ = 2) with at most
 *   5 % suppression over 100,000 Safe Harbor rows with 5 QIs (age, sex, ZIP3, first and last event
 *   year): the lattice search, the released rows, the independent verifier and the report with its
 *   hashes (releaseDataset). Target ≤ 5,000 ms. Baseline, same rows and run: one pass grouping them
 *   by their raw QI tuple in a Map (the least any k-anonymity check does).
 * - `deid_records_per_s`: Safe Harbor (applySafeHarbor, year-only profile) on the same population,
 *   clinical records per second. Baseline: structuredClone of the same sources (a plain structured
 *   copy of every record).
 *
 * The population is synthetic and deterministic: ages 0–99 (a few over 90), F/M with a few O/U,
 * 40 ZIP3 areas (one restricted), 4–8 records per patient from 2008–2026 (labs, a visit, 1–2
 * diagnoses from 40 ICD-10 codes, some notes and device readings) and every identifier kind the
 * domain holds.
 */

const PATIENTS = Number(process.env['HDMS_BENCH_DEID_PATIENTS'] ?? 100_000);
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 3);
const RELEASE_DATE = '2026-12-05';

const ICD10 = ['E11.9', 'I10', 'J45.909', 'E78.5', 'M54.5', 'F32.9', 'K21.9', 'N39.0', 'J06.9', 'I48.91', 'E03.9', 'G43.909', 'M17.11', 'R51', 'L40.0', 'D64.9', 'E66.9', 'I25.10', 'J44.9', 'K57.30', 'N18.3', 'F41.1', 'G47.33', 'H40.9', 'M81.0', 'C50.911', 'C61', 'I50.9', 'E55.9', 'B20', 'Z79.4', 'K58.9', 'M06.9', 'G35', 'E10.9', 'I63.9', 'N40.0', 'L20.9', 'J30.9', 'R73.03'];

/** A deterministic synthetic population (mulberry32), with every identifier kind filled in. */
export function syntheticPopulation(patients: number, seed = 7): DeidSource[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const zip3s = Array.from({ length: 40 }, (_, i) => String(100 + i * 7).padStart(3, '0'));
  zip3s[39] = '036';
  const sources: DeidSource[] = [];
  for (let i = 0; i < patients; i++) {
    const age = random() < 0.02 ? 90 + Math.floor(random() * 10) : Math.floor(random() * 90);
    const birthYear = 2026 - age;
    const birthDate = `${birthYear}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const first = 2008 + Math.floor(random() * 19);
    const last = Math.min(2026, first + Math.floor(random() * 6));
    const date = (year: number) => `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T09:30:00+01:00`;
    // Zipf-ish: a few ZIP3 areas hold most patients.
    const zip3 = zip3s[Math.min(39, Math.floor(-Math.log(1 - random()) * 8))]!;
    const records: (ClinicalRecord | ExtendedRecord)[] = [
      { type: 'visit', patientClass: 'O', location: 'Ward 3 Room 12', attendingDoctor: 'Dr Who', reason: 'follow-up', start: date(first), end: date(first) },
      { type: 'diagnosis', code: { code: pick(ICD10), system: 'I10', display: 'diagnosis' }, diagnosisType: 'F', time: date(first) },
      { type: 'observation', category: 'laboratory', code: { code: '4548-4', system: 'LN', display: 'Hemoglobin A1c' }, value: { kind: 'numeric', value: 5 + random() * 5, unit: '%' }, referenceRange: '4.0-5.6', status: 'F', time: date(last), orderId: `ORD${i}` },
      { type: 'observation', category: 'laboratory', code: { code: '2345-7', system: 'LN', display: 'Glucose' }, value: { kind: 'numeric', value: 70 + random() * 100, unit: 'mg/dL' }, status: 'F', time: date(last), comments: ['fasting sample, patient called back'] },
    ];
    if (random() < 0.5) records.push({ type: 'diagnosis', code: { code: pick(ICD10), system: 'I10', display: 'diagnosis' }, diagnosisType: 'W', time: date(last) });
    if (random() < 0.3) records.push({ type: 'report', kind: 'document', code: { code: '11506-3', system: 'LN', display: 'Progress note' }, time: date(last), documentId: `DOC${i}`, author: 'Dr Who', text: `Seen today, lives at ${i} Main St.` });
    if (random() < 0.3) records.push({ type: 'observation', category: 'laboratory', code: { code: '8251-1', system: 'LN', display: 'Service comment' }, value: { kind: 'text', value: 'call 555-0100' }, valueType: 'TX', status: 'F', time: date(last) });
    const deviceReadings = random() < 0.2 ? [{ device: { systemId: (0x1000_0000_0000 + i).toString(16).padStart(16, '0'), devConfigId: 1, serialNumber: `SN${i}` }, reading: { code: 0x4a05, kind: 'systolic' as const, status: 'value' as const, value: 120, unit: 'mm[Hg]', normalizedValue: 120, normalizedUnit: 'mm[Hg]', time: date(last).replace('+01:00', 'Z'), flags: [], quality: 1, dedupeKey: 'd'.repeat(64) } }] : [];
    sources.push({
      patientId: `p${i}`,
      patient: {
        identifiers: [
          { value: `MRN${5_000_000 + i}`, authority: 'BENCH', type: 'MR' },
          { value: `${100 + (i % 800)}-${10 + (i % 89)}-${1000 + (i % 9000)}`, authority: 'SSA', type: 'SS' },
        ],
        name: { family: `Family${i % 5000}`, given: [`Given${i % 700}`] },
        birthDate,
        sex: random() < 0.01 ? 'U' : random() < 0.5 ? 'F' : 'M',
        address: { street: `${i} Main St`, city: 'Springfield', postalCode: `${zip3}${String(i % 100).padStart(2, '0')}`, country: 'US' },
        phones: [`+1 555 ${String(i % 10_000).padStart(4, '0')}`],
      },
      records,
      deviceReadings,
    });
  }
  return sources;
}

const bench: BenchModule = {
  title: `de-identification of ${PATIENTS.toLocaleString('en')} synthetic patients: Safe Harbor, then k-anonymity (k = 5, ℓ = 2, ≤ 5 % suppressed) over 5 QIs with verification`,
  async run(log) {
    const sources = syntheticPopulation(PATIENTS);
    const recordCount = sources.reduce((sum, s) => sum + s.records.length + (s.deviceReadings?.length ?? 0), 0);
    const safeHarborMs: number[] = [];
    const cloneMs: number[] = [];
    let safeHarbor = await applySafeHarbor(sources, { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      safeHarbor = await applySafeHarbor(sources, { profile: 'safe-harbor', releaseDate: RELEASE_DATE });
      safeHarborMs.push(performance.now() - t0);
      const t1 = performance.now();
      structuredClone(sources);
      cloneMs.push(performance.now() - t1);
    }
    const rows = safeHarbor.patients.map((p) => ({ qi: p.qi, sensitive: p.primaryDiagnosis }));
    const releaseMs: number[] = [];
    const searchMs: number[] = [];
    const groupMs: number[] = [];
    let summary = '';
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const release = await releaseDataset(safeHarbor, { k: 5, l: 2 });
      releaseMs.push(performance.now() - t0);
      const t1 = performance.now();
      const generalization = findGeneralization(rows, 'safe-harbor', { k: 5, l: 2 });
      searchMs.push(performance.now() - t1);
      const t2 = performance.now();
      const counts = new Map<string, number>();
      for (const { qi } of rows) {
        const key = `${qi.age}|${qi.sex}|${qi.zip3}|${qi.firstYear}|${qi.lastYear}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      groupMs.push(performance.now() - t2);
      summary = `levels ${JSON.stringify(release.report.quasiIdentifiers.map((q) => `${q.name}:${q.level}`))}, k ${release.report.achieved.k}, ℓ ${release.report.achieved.l}, ${release.report.achieved.classes} classes, ${release.report.rows.suppressed} suppressed, loss ${release.report.loss.value}, ${generalization.nodesEvaluated}/${generalization.nodesInLattice} nodes evaluated; ${counts.size} raw QI tuples`;
    }
    const perSecond = (ms: number): number => recordCount / (ms / 1000);
    log(`deid: ${PATIENTS} patients, ${recordCount} records; Safe Harbor ${safeHarborMs.map((ms) => ms.toFixed(0)).join(', ')} ms, structuredClone ${cloneMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    log(`deid: release ${releaseMs.map((ms) => ms.toFixed(0)).join(', ')} ms (search alone ${searchMs.map((ms) => ms.toFixed(0)).join(', ')} ms), raw grouping ${groupMs.map((ms) => ms.toFixed(0)).join(', ')} ms; ${summary}`);
    return [
      {
        figure: 'deid_k_anonymity_100k_ms',
        value: median(releaseMs),
        p95: percentile(releaseMs, 95),
        runs: releaseMs.length,
        target: { max: 5000 },
        baseline: { name: 'one pass grouping the same rows by their raw QI tuple (Map count)', value: median(groupMs), p95: percentile(groupMs, 95) },
        unit: 'ms',
        samples: releaseMs,
        baselineSamples: groupMs,
        notes: `${PATIENTS} rows, k = 5, ℓ = 2, ≤ 5 % suppressed; releaseDataset (search, rows, verifier, report and hashes). The lattice search alone: ${searchMs.map((ms) => ms.toFixed(0)).join(', ')} ms. ${summary}. Node ${process.version}, not Chromium.`,
      },
      {
        figure: 'deid_records_per_s',
        value: perSecond(median(safeHarborMs)),
        runs: safeHarborMs.length,
        target: {},
        baseline: { name: 'structuredClone of the same sources (records/s)', value: perSecond(median(cloneMs)) },
        unit: 'records/s',
        samples: safeHarborMs.map(perSecond),
        baselineSamples: cloneMs.map(perSecond),
        notes: `${recordCount} clinical records of ${PATIENTS} patients (device readings included); Safe Harbor profile (years only), pseudonyms drawn with crypto.getRandomValues.`,
      },
    ];
  },
};

export default bench;
