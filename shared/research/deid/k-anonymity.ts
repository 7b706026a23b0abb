import { hierarchiesFor, QI_NAMES, type Hierarchy, type Levels, type QiName, type QiValues } from './generalization';
import type { DeidProfile, DeidRecord } from './safe-harbor';

/**
 * k-anonymity and distinct ℓ-diversity of a released dataset (issue 15 item 3), by full-domain
 * generalization and record suppression, in the model of ARX (Prasser et al.) and Incognito
 * (LeFevre et al. 2005):
 *
 * - One row per patient; its quasi-identifiers are age, sex, ZIP3, first and last event year
 *   (generalization.ts), its sensitive attribute is the primary diagnosis (safe-harbor.ts).
 * - An equivalence class is the rows sharing all five released QI values. A class with fewer than
 *   k rows, or fewer than ℓ distinct primary diagnoses, is suppressed (its rows are left out), as
 *   long as at most `maxSuppression` of all rows are.
 * - Search: every node of the generalization lattice (one level per QI) is a candidate. Both
 *   criteria are monotone (a class of a more general node is a union of classes of a more specific
 *   one, so it is at least as large and as diverse): the rows a node suppresses include those of
 *   every more general node. So the most general node is tried first: if it fails, every node
 *   fails and the release is refused at once. Otherwise the search visits nodes by increasing
 *   precision loss and stops when no unvisited node can beat the best found.
 * - Loss (documented, reported): each released row loses the mean over the QIs of level / height
 *   (the "precision" metric of Sweeney 2002; QIs that cannot be generalized are left out of the
 *   mean); a suppressed row loses 1. The loss of a node is the mean over all rows, in 0…1. It is
 *   at least the node's precision loss, which is what lets the search stop early.
 *
 * The verifier at the end of this file shares none of this: it regroups the released rows by their
 * values, as a researcher does with a delivered file.
 */

export const MIN_K = 5;
export const MAX_K = 11;
export const DEFAULT_K = 5;
export const DEFAULT_L = 2;
/** The most rows a release may suppress (5 %); a clinic may ask for less. */
export const MAX_SUPPRESSION = 0.05;

export interface AnonymityRequirements {
  /** 5…11 (default 5). */
  readonly k?: number;
  /** Distinct primary diagnoses per class, ≥ 1 (default 2). */
  readonly l?: number;
  /** Fraction of rows that may be suppressed, 0…0.05 (default 0.05). */
  readonly maxSuppression?: number;
}

export interface CheckedRequirements {
  readonly k: number;
  readonly l: number;
  readonly maxSuppression: number;
}

export function checkRequirements(requirements: AnonymityRequirements = {}): CheckedRequirements {
  const k = requirements.k ?? DEFAULT_K;
  const l = requirements.l ?? DEFAULT_L;
  const maxSuppression = requirements.maxSuppression ?? MAX_SUPPRESSION;
  if (!Number.isSafeInteger(k) || k < MIN_K || k > MAX_K) throw new RangeError(`k is a whole number from ${MIN_K} to ${MAX_K}.`);
  if (!Number.isSafeInteger(l) || l < 1 || l > k) throw new RangeError('ℓ is a whole number from 1 to k.');
  if (!(maxSuppression >= 0 && maxSuppression <= MAX_SUPPRESSION)) throw new RangeError(`The suppression budget is 0 to ${MAX_SUPPRESSION * 100} % of the rows.`);
  return { k, l, maxSuppression };
}

/** The most rows `maxSuppression` allows out of `rows`. */
export function suppressionBudget(rows: number, maxSuppression: number): number {
  return Math.floor(rows * maxSuppression + 1e-9);
}

export interface AnonymityRow {
  readonly qi: QiValues;
  readonly sensitive: string;
}

export interface Generalization {
  readonly levels: Levels;
  /** Indexes (into the input rows) of the rows left out. */
  readonly suppressed: readonly number[];
  readonly classes: number;
  readonly loss: number;
  readonly nodesEvaluated: number;
  readonly nodesInLattice: number;
}

/** What the most general node can reach: what a refusal tells the clinic. */
export interface BestAchievable {
  readonly levels: Levels;
  /** The largest k (with the required ℓ ignored) within the suppression budget. */
  readonly k: number;
  /** The largest distinct ℓ (with k ignored) within the suppression budget. */
  readonly l: number;
  /** Rows that would have to be suppressed for the required k and ℓ together. */
  readonly suppressionNeeded: number;
  readonly suppressionBudget: number;
}

export type RefusalConstraint = 'k' | 'l' | 'k-and-l' | 'verification';

/** A release that cannot be made safely: which constraint failed, and what was achievable. */
export class ReleaseRefusedError extends Error {
  override readonly name = 'ReleaseRefusedError';
  constructor(
    readonly constraint: RefusalConstraint,
    message: string,
    readonly best?: BestAchievable,
  ) {
    super(message);
  }
}

/** The rows' QIs as small integer codes per level (computed once; each node reads them). */
interface Encoded {
  /** codes[q][level][row] */
  readonly codes: readonly (readonly Int32Array[])[];
  /** cards[q][level]: distinct codes at that level. */
  readonly cards: readonly (readonly number[])[];
  readonly sensitive: Int32Array;
  readonly heights: readonly number[];
}

function encode(rows: readonly AnonymityRow[], profile: DeidProfile): Encoded {
  const h = hierarchiesFor(profile);
  const hierarchies = QI_NAMES.map((q) => h[q] as Hierarchy<unknown>);
  const codes: Int32Array[][] = [];
  const cards: number[][] = [];
  for (const [q, name] of QI_NAMES.entries()) {
    const hierarchy = hierarchies[q]!;
    // Generalize each distinct raw value once, then spread its codes over the rows.
    const rawIndex = new Map<unknown, number>();
    const rawOfRow = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const raw = rows[i]!.qi[name];
      let index = rawIndex.get(raw);
      if (index === undefined) rawIndex.set(raw, (index = rawIndex.size));
      rawOfRow[i] = index;
    }
    const raws = [...rawIndex.keys()];
    codes.push([]);
    cards.push([]);
    for (let level = 0; level <= hierarchy.height; level++) {
      const valueIndex = new Map<string, number>();
      const codeOfRaw = raws.map((raw) => {
        const value = hierarchy.generalize(raw, level);
        let code = valueIndex.get(value);
        if (code === undefined) valueIndex.set(value, (code = valueIndex.size));
        return code;
      });
      const levelCodes = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) levelCodes[i] = codeOfRaw[rawOfRow[i]!]!;
      codes[q]!.push(levelCodes);
      cards[q]!.push(valueIndex.size);
    }
  }
  const sensitiveIndex = new Map<string, number>();
  const sensitive = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i]!.sensitive;
    let code = sensitiveIndex.get(value);
    if (code === undefined) sensitiveIndex.set(value, (code = sensitiveIndex.size));
    sensitive[i] = code;
  }
  return { codes, cards, sensitive, heights: hierarchies.map((x) => x.height) };
}

interface NodeEvaluation {
  /** Class of each row. */
  readonly classOf: Int32Array;
  readonly sizes: Int32Array;
  /** Distinct sensitive values per class, counted up to `cap`. */
  readonly distinct: Int32Array;
  readonly classes: number;
}

/** Groups the rows into the node's equivalence classes (distinct values counted up to `cap`). */
function evaluateNode(encoded: Encoded, node: readonly number[], cap: number): NodeEvaluation {
  const n = encoded.sensitive.length;
  const columns = node.map((level, q) => encoded.codes[q]![level]!);
  const cards = node.map((level, q) => encoded.cards[q]![level]!);
  if (cards.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER) throw new RangeError('Too many distinct QI values to key a class by one number.');
  const [c0, c1, c2, c3, c4] = columns as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  const [m1, m2, m3, m4] = [cards[0]!, cards[0]! * cards[1]!, cards[0]! * cards[1]! * cards[2]!, cards[0]! * cards[1]! * cards[2]! * cards[3]!];
  // Open addressing on the numeric key (a Map of 100,000 non-small-integer keys costs 3× more).
  let slots = 16;
  while (slots < 2 * n) slots *= 2;
  const mask = slots - 1;
  const slotKey = new Float64Array(slots).fill(-1);
  const slotClass = new Int32Array(slots);
  let classes = 0;
  const classOf = new Int32Array(n);
  const sizes = new Int32Array(n);
  const distinct = new Int32Array(n);
  const seen = new Int32Array(n * cap);
  const sensitive = encoded.sensitive;
  for (let i = 0; i < n; i++) {
    const key = c0[i]! + m1 * c1[i]! + m2 * c2[i]! + m3 * c3[i]! + m4 * c4[i]!;
    let h = Math.imul((key | 0) ^ Math.imul((key / 4_294_967_296) | 0, 0x9e3779b1), 0x85ebca6b);
    h = (h ^ (h >>> 15)) & mask;
    while (slotKey[h] !== -1 && slotKey[h] !== key) h = (h + 1) & mask;
    let c: number;
    if (slotKey[h] === -1) {
      slotKey[h] = key;
      c = slotClass[h] = classes++;
    } else c = slotClass[h]!;
    classOf[i] = c;
    sizes[c]!++;
    const d = distinct[c]!;
    if (d < cap) {
      const s = sensitive[i]!;
      const base = c * cap;
      let found = false;
      for (let j = 0; j < d; j++) if (seen[base + j] === s) found = true;
      if (!found) {
        seen[base + d] = s;
        distinct[c] = d + 1;
      }
    }
  }
  return { classOf, sizes, distinct, classes };
}

/** Rows in classes that fail k or ℓ. */
function suppressedCount(evaluation: NodeEvaluation, k: number, l: number): number {
  let count = 0;
  for (let c = 0; c < evaluation.classes; c++) if (evaluation.sizes[c]! < k || evaluation.distinct[c]! < l) count += evaluation.sizes[c]!;
  return count;
}

const toLevels = (node: readonly number[]): Levels => Object.fromEntries(QI_NAMES.map((q, i) => [q, node[i]!])) as Record<QiName, number>;

/**
 * The minimal-loss full-domain generalization meeting k and ℓ within the suppression budget.
 * Throws ReleaseRefusedError when even the most general node cannot.
 */
export function findGeneralization(rows: readonly AnonymityRow[], profile: DeidProfile, requirements: AnonymityRequirements = {}): Generalization {
  const { k, l, maxSuppression } = checkRequirements(requirements);
  const n = rows.length;
  const budget = suppressionBudget(n, maxSuppression);
  const encoded = encode(rows, profile);
  const { heights } = encoded;
  const generalizable = heights.filter((h) => h > 0).length;
  const precision = (node: readonly number[]): number => (generalizable === 0 ? 0 : node.reduce((sum, level, q) => sum + (heights[q]! === 0 ? 0 : level / heights[q]!), 0) / generalizable);
  // Every node of the lattice, by increasing precision loss (ties: the lexicographically smaller first, for a stable choice).
  let nodes: number[][] = [[]];
  for (const height of heights) nodes = nodes.flatMap((prefix) => Array.from({ length: height + 1 }, (_, level) => [...prefix, level]));
  const ranked = nodes.map((node) => ({ node, precision: precision(node) })).sort((a, b) => a.precision - b.precision || compareNodes(a.node, b.node));
  // The most general node suppresses least (monotonicity): if it fails, all do.
  if (n === 0 || suppressedCount(evaluateNode(encoded, heights, l), k, l) > budget) throw refusal(encoded, heights, n, k, l, budget);
  let best: { node: number[]; evaluation: NodeEvaluation; loss: number } | undefined;
  let evaluated = 1;
  for (const { node, precision: p } of ranked) {
    // A node's loss is at least its precision loss: none of the rest can do better.
    if (best !== undefined && p >= best.loss) break;
    const evaluation = evaluateNode(encoded, node, l);
    evaluated++;
    const suppressed = suppressedCount(evaluation, k, l);
    if (suppressed > budget) continue;
    const loss = ((n - suppressed) * p + suppressed) / n;
    if (best === undefined || loss < best.loss) best = { node, evaluation, loss };
  }
  // Unreachable (the top node passed), but the type checker cannot know.
  if (best === undefined) throw refusal(encoded, heights, n, k, l, budget);
  const suppressed: number[] = [];
  const { classOf, sizes, distinct } = best.evaluation;
  for (let i = 0; i < n; i++) {
    const c = classOf[i]!;
    if (sizes[c]! < k || distinct[c]! < l) suppressed.push(i);
  }
  const released = new Set<number>();
  for (let i = 0; i < n; i++) if (sizes[classOf[i]!]! >= k && distinct[classOf[i]!]! >= l) released.add(classOf[i]!);
  return { levels: toLevels(best.node), suppressed, classes: released.size, loss: best.loss, nodesEvaluated: evaluated, nodesInLattice: nodes.length };
}

function compareNodes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The refusal, with what the most general node reaches (it suppresses least: monotonicity). */
function refusal(encoded: Encoded, heights: readonly number[], n: number, k: number, l: number, budget: number): ReleaseRefusedError {
  const top = [...heights];
  const cap = Math.max(l, MAX_K);
  const evaluation = n === 0 ? undefined : evaluateNode(encoded, top, cap);
  const classes = evaluation === undefined ? [] : Array.from({ length: evaluation.classes }, (_, c) => ({ size: evaluation.sizes[c]!, distinct: evaluation.distinct[c]! }));
  const needed = (fails: (c: { size: number; distinct: number }) => boolean): number => classes.filter(fails).reduce((sum, c) => sum + c.size, 0);
  const largest = (value: (c: { size: number; distinct: number }) => number): number => {
    // The largest threshold t such that the rows of classes below t fit the budget.
    let t = 0;
    for (const candidate of [...new Set(classes.map(value))].sort((a, b) => a - b)) if (needed((c) => value(c) < candidate) <= budget) t = candidate;
    return t;
  };
  const best: BestAchievable = {
    levels: toLevels(top),
    k: largest((c) => c.size),
    l: largest((c) => c.distinct),
    suppressionNeeded: needed((c) => c.size < k || c.distinct < l),
    suppressionBudget: budget,
  };
  const kFails = n === 0 || needed((c) => c.size < k) > budget;
  const lFails = needed((c) => c.distinct < l) > budget;
  const constraint: RefusalConstraint = kFails && !lFails ? 'k' : lFails && !kFails ? 'l' : 'k-and-l';
  const what = constraint === 'k' ? `k = ${k}` : constraint === 'l' ? `ℓ = ${l}` : `k = ${k} and ℓ = ${l} together`;
  return new ReleaseRefusedError(
    constraint,
    `Refused: ${n} rows cannot reach ${what} with at most ${budget} suppressed, even fully generalized (it would suppress ${best.suppressionNeeded}; the most reachable within the budget is k = ${best.k}, ℓ = ${best.l}).`,
    best,
  );
}

// ——— The released dataset and its independent verifier ———

/** One released row: the generalized QIs, the primary diagnosis, the patient's records. */
export interface ReleasedRow {
  readonly pseudonym: string;
  readonly age: string;
  readonly sex: string;
  readonly zip3: string;
  readonly firstYear: string;
  readonly lastYear: string;
  readonly primaryDiagnosis: string;
  readonly records: readonly DeidRecord[];
}

export interface ReleasedDataset {
  readonly profile: DeidProfile;
  /** Rows before suppression (what the clinic declares; the verifier counts the rest). */
  readonly rowsIn: number;
  readonly rows: readonly ReleasedRow[];
}

export interface VerifiedClass {
  /** The QI values in QI_NAMES order. */
  readonly values: readonly string[];
  readonly size: number;
  readonly distinctDiagnoses: number;
}

export interface Verification {
  readonly ok: boolean;
  readonly classes: readonly VerifiedClass[];
  /** The smallest class (0 when no row is released). */
  readonly k: number;
  /** The fewest distinct primary diagnoses in a class. */
  readonly l: number;
  readonly rowsOut: number;
  readonly suppressed: number;
  /** Each way the dataset fails the requirements, in words. */
  readonly problems: readonly string[];
}

const ROW_FIELDS = ['age', 'firstYear', 'lastYear', 'primaryDiagnosis', 'pseudonym', 'records', 'sex', 'zip3'];

/** Years a released year value covers: 1 for "2021", 5 for "2015–2019", Infinity for "*"; null for "?" or a date. */
function yearWidth(value: string): number | null {
  if (value === '*') return Infinity;
  if (/^\d{4}$/.test(value)) return 1;
  const span = /^(\d{4})–(\d{4})$/.exec(value);
  return span === null ? null : Number(span[2]) - Number(span[1]) + 1;
}

/**
 * Recomputes, from the released rows alone, the equivalence classes, k, ℓ and the rows
 * suppressed, and checks them against the requirements. It also checks what would undo the
 * generalization: a row with fields beyond the released ones, a repeated pseudonym, or (Safe
 * Harbor profile) a record dated more finely than the row's event years.
 */
export function verifyRelease(dataset: ReleasedDataset, requirements: AnonymityRequirements = {}): Verification {
  const { k, l, maxSuppression } = checkRequirements(requirements);
  const problems: string[] = [];
  const groups = new Map<string, { values: string[]; size: number; diagnoses: Set<string> }>();
  const pseudonyms = new Set<string>();
  // Few distinct date values: each one's width is computed once.
  const widths = new Map<string, number | null>();
  const widthOf = (value: string): number | null => {
    let width = widths.get(value);
    if (width === undefined && !widths.has(value)) widths.set(value, (width = yearWidth(value)));
    return width ?? null;
  };
  const rows = dataset.rows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let known = 0;
    for (const field in row) if (ROW_FIELDS.includes(field)) known++;
    if (known !== ROW_FIELDS.length || Object.keys(row).length !== ROW_FIELDS.length) problems.push(`row ${i} has fields other than ${ROW_FIELDS.join(', ')}`);
    if (pseudonyms.has(row.pseudonym)) problems.push(`row ${i} repeats a pseudonym`);
    pseudonyms.add(row.pseudonym);
    const key = `${row.age}\u0000${row.sex}\u0000${row.zip3}\u0000${row.firstYear}\u0000${row.lastYear}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { values: [row.age, row.sex, row.zip3, row.firstYear, row.lastYear], size: 0, diagnoses: new Set<string>() }));
    group.size++;
    group.diagnoses.add(row.primaryDiagnosis);
    if (dataset.profile !== 'safe-harbor') continue;
    const rowWidth = Math.max(widthOf(row.firstYear) ?? 1, widthOf(row.lastYear) ?? 1);
    for (const record of row.records) {
      for (let d = 0; d < 2; d++) {
        const date = d === 0 ? record.when : record.type === 'visit' ? record.endWhen : undefined;
        if (date === undefined) continue;
        const width = widthOf(date);
        if (width === null || width < rowWidth) problems.push(`row ${i} has a record dated "${date}", finer than its event years`);
      }
    }
  }
  const classes = [...groups.values()].map((g) => ({ values: g.values, size: g.size, distinctDiagnoses: g.diagnoses.size }));
  const achievedK = classes.reduce((min, c) => Math.min(min, c.size), classes.length === 0 ? 0 : Infinity);
  const achievedL = classes.reduce((min, c) => Math.min(min, c.distinctDiagnoses), classes.length === 0 ? 0 : Infinity);
  const suppressed = dataset.rowsIn - dataset.rows.length;
  if (classes.length === 0) problems.push('no row is released');
  for (const c of classes) {
    if (c.size < k) problems.push(`class ${c.values.join(' | ')} has ${c.size} rows, fewer than k = ${k}`);
    if (c.distinctDiagnoses < l) problems.push(`class ${c.values.join(' | ')} has ${c.distinctDiagnoses} distinct diagnoses, fewer than ℓ = ${l}`);
  }
  if (suppressed < 0) problems.push(`${dataset.rows.length} rows released out of ${dataset.rowsIn} declared`);
  if (suppressed > suppressionBudget(dataset.rowsIn, maxSuppression)) problems.push(`${suppressed} rows suppressed, more than ${maxSuppression * 100} % of ${dataset.rowsIn}`);
  // A badly broken file would list every row: the first 100 say enough.
  const listed = problems.length > 100 ? [...problems.slice(0, 100), `… and ${problems.length - 100} more`] : problems;
  return { ok: problems.length === 0, classes, k: achievedK, l: achievedL, rowsOut: dataset.rows.length, suppressed, problems: listed };
}
