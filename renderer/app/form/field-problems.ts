import type { z } from 'zod';

/**
 * Field-level messages for settings forms (issue 11, Errors: no raw validation text reaches a
 * user). A form names its fields once (`FieldSpecs`: the label a person sees, and what one item of
 * a list field is called); its draft is checked with the contract's own request schema before it is
 * sent, and a refusal the body still answers ("Invalid request for m: path: code") is read back to
 * the same fields. What is shown is "<label>[, line N]: <what is wrong>", never a schema path or an
 * issue code.
 */

export interface FieldSpec {
  readonly label: string;
  /** For a list field: what one entry is called in the form ("line"), counted from 1. */
  readonly item?: string;
  /** What is wrong when an entry or the value is not in an accepted form (zod's invalid_union/format). */
  readonly invalid?: string;
  /** How a bound reads in this field's unit (a size in bytes shown in MiB, say). */
  readonly bound?: (value: number) => string;
  /** For a list of objects: what each part of an entry is called ("AE title"), by its key. */
  readonly parts?: Readonly<Record<string, string>>;
}

/** A list field names at most this many bad entries at once; the rest are counted (QA s35 T2 F12). */
export const LIST_PROBLEMS_SHOWN = 10;

/** One bad entry of a list field: which (from 0) and what is wrong, "line 3, AE title: takes at most 16 characters". */
export interface LineProblem {
  readonly index: number;
  readonly text: string;
}

/** A list field's bad entries as one message: every entry (in order, once each), up to LIST_PROBLEMS_SHOWN, then how many more. */
export function listProblemMessage(spec: FieldSpec, problems: readonly LineProblem[]): string {
  const seen = new Set<number>();
  const ordered = [...problems].sort((a, b) => a.index - b.index).filter((problem) => !seen.has(problem.index) && seen.add(problem.index) !== undefined);
  const shown = ordered.slice(0, LIST_PROBLEMS_SHOWN).map((problem) => problem.text);
  const more = ordered.length - shown.length;
  const item = spec.item ?? 'entry';
  if (more > 0) shown.push(`and ${more} more ${more === 1 ? item : `${item}s`}`);
  return `${spec.label}, ${shown.join('; ')}.`;
}

export type FieldSpecs<K extends string> = Readonly<Record<K, FieldSpec>>;

export interface FieldProblem<K extends string = string> {
  /** The field (a key of the form's specs), or null when the problem is not one field's. */
  readonly field: K | null;
  /** "Allowed peers, line 2: is not an IP address." */
  readonly message: string;
}

interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly code: string;
  readonly message?: string;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly origin?: unknown;
  readonly expected?: unknown;
  readonly input?: unknown;
  readonly values?: unknown;
}

/** What is wrong, in words, from an issue code and its bounds (the value itself is never quoted). */
export function problemWords(issue: IssueLike, spec?: FieldSpec): string {
  const counted = issue.origin === 'array' || issue.origin === 'set' ? 'entries' : issue.origin === 'string' ? 'characters' : null;
  const bound = (value: unknown): string => (typeof value === 'number' && spec?.bound !== undefined ? spec.bound(value) : String(value));
  switch (issue.code) {
    case 'too_big':
      // A refusal read back from the body names no bound.
      if (issue.maximum === undefined) return 'is too large (or too long)';
      return counted === null ? `must be at most ${bound(issue.maximum)}` : `takes at most ${String(issue.maximum)} ${counted}`;
    case 'too_small':
      if (issue.minimum === undefined) return 'is too small (or too short)';
      if (counted === 'characters' && issue.minimum === 1) return 'must not be empty';
      return counted === null ? `must be at least ${bound(issue.minimum)}` : `needs at least ${String(issue.minimum)} ${counted}`;
    case 'invalid_type':
      if (issue.input === undefined) return 'is missing';
      if (issue.expected === 'number' || issue.expected === 'int') return 'must be a number';
      return 'is not in an accepted form';
    case 'invalid_value':
      return Array.isArray(issue.values) && issue.values.length <= 8 ? `must be one of ${issue.values.map(String).join(', ')}` : 'is not one of the accepted values';
    case 'not_multiple_of':
      return 'must be a whole number';
    case 'unrecognized_keys':
      return 'is not a setting this node knows';
    case 'invalid_format':
      // A pattern the contract explains ("An AE title is up to 16 printable…"), else the field's words.
      if (typeof issue.message === 'string' && issue.message !== '' && !issue.message.startsWith('Invalid')) return lowerFirst(issue.message.replace(/\.$/, ''));
      return spec?.invalid ?? 'is not in an accepted form';
    case 'custom':
      // Refinements in the contract carry sentences written for people.
      return typeof issue.message === 'string' && issue.message !== '' && issue.message !== 'Invalid input' ? lowerFirst(issue.message.replace(/\.$/, '')) : (spec?.invalid ?? 'is not valid');
    default:
      // invalid_union, invalid_format, invalid_key, invalid_element…
      return spec?.invalid ?? 'is not in an accepted form';
  }
}

/** "The passphrase…" → "the passphrase…" (a sentence put after a field's label). */
export function lowerFirst(text: string): string {
  return text.length > 1 && /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** "allowedPeers" → "Allowed peers" (for a path no spec names). */
function humanKey(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One issue as a field problem: the spec's label (or the key in words), the entry, what is wrong. */
export function fieldProblemOf<K extends string>(issue: IssueLike, specs: FieldSpecs<K>): FieldProblem<K> {
  const [first, second, third] = issue.path;
  const key = typeof first === 'string' && Object.hasOwn(specs, first) ? (first as K) : null;
  const spec = key === null ? undefined : specs[key];
  const label = spec?.label ?? (typeof first === 'string' ? humanKey(first) : null);
  const part = typeof third === 'string' ? `, ${spec?.parts?.[third] ?? humanKey(third).toLowerCase()}` : '';
  const entry = typeof second === 'number' ? `, ${spec?.item ?? 'entry'} ${second + 1}${part}` : typeof second === 'string' && key !== null ? `, “${second.slice(0, 40)}”` : '';
  const words = problemWords(issue, spec);
  return { field: key, message: label === null ? `The request as a whole ${words}.` : `${label}${entry}: ${words}.` };
}

/** The bad entries of the list field `field` among `issues` (the first issue of each entry). */
function lineProblemsOf<K extends string>(issues: readonly IssueLike[], field: K, specs: FieldSpecs<K>): LineProblem[] {
  const out: LineProblem[] = [];
  for (const issue of issues) {
    const [first, second] = issue.path;
    if (first !== field || typeof second !== 'number') continue;
    // "Allowed peers, line 2: is not…" without the label: the message's entry part onward.
    const message = fieldProblemOf(issue, specs).message;
    out.push({ index: second, text: message.slice(specs[field].label.length + 2).replace(/\.$/, '') });
  }
  return out;
}

/** The bad entries of one list field of `value` under `schema` (for a form that also finds some itself). */
export function lineProblems<K extends string>(schema: z.ZodType, value: unknown, field: K, specs: FieldSpecs<K>): LineProblem[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : lineProblemsOf(parsed.error.issues as readonly IssueLike[], field, specs);
}

/**
 * The problems of `value` under `schema`, one per field (the first of each; a list field's names
 * every bad entry: listProblemMessage), in the form's field order.
 */
export function fieldProblems<K extends string>(schema: z.ZodType, value: unknown, specs: FieldSpecs<K>): FieldProblem<K>[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  const issues = parsed.error.issues as readonly IssueLike[];
  const problems = issues.map((issue) => {
    const problem = fieldProblemOf(issue, specs);
    const field = problem.field;
    if (field === null || specs[field].item === undefined || typeof issue.path[1] !== 'number') return problem;
    return { field, message: listProblemMessage(specs[field], lineProblemsOf(issues, field, specs)) };
  });
  return onePerField(problems, specs);
}

function onePerField<K extends string>(problems: readonly FieldProblem<K>[], specs: FieldSpecs<K>): FieldProblem<K>[] {
  const seen = new Set<string>();
  const order = Object.keys(specs);
  return problems
    .filter((problem) => {
      const key = problem.field ?? problem.message;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.field === null ? order.length : order.indexOf(a.field)) - (b.field === null ? order.length : order.indexOf(b.field)));
}

const REFUSAL = /^Invalid request for ([\w.]+): (.*?)\.?$/s;

/**
 * The body's schema refusal (contract-router.ts: "Invalid request for m: a.1: invalid_union; b:
 * too_big.") read back into field problems; null for any other error. The refusal names paths and
 * codes only (no bounds), so the words are the code's.
 */
export function refusalProblems<K extends string>(message: string, specs: FieldSpecs<K>): FieldProblem<K>[] | null {
  const match = REFUSAL.exec(message);
  if (match === null) return null;
  const issues: IssueLike[] = match[2]!.split('; ').map((part) => {
    const at = part.lastIndexOf(': ');
    const pathText = at < 0 ? '' : part.slice(0, at);
    const code = at < 0 ? part : part.slice(at + 2);
    const path = pathText === '' || pathText === '(payload)' ? [] : pathText.split('.').map((piece) => (/^\d+$/.test(piece) ? Number(piece) : piece));
    return { path, code };
  });
  return onePerField(issues.map((issue) => fieldProblemOf(issue, specs)), specs);
}

/**
 * A refusal the body worded for a person and began with a field's label as the form shows it
 * ("Bind address: 10.9.9.9 is not an address of this computer…"): that field's problem, whole.
 * Null for anything else.
 */
export function labelledRefusal<K extends string>(message: string, specs: FieldSpecs<K>): FieldProblem<K>[] | null {
  for (const [field, spec] of Object.entries(specs) as [K, FieldSpec][]) {
    if (message.startsWith(`${spec.label}: `)) return [{ field, message }];
  }
  return null;
}

const PREFIXED = /^([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*): (.+)$/s;

/**
 * A refusal the body worded itself but prefixed with the request field it concerns ("url: use
 * https://…"): the field's label instead of its key. Null for anything else.
 */
export function prefixedProblem<K extends string>(message: string, specs: FieldSpecs<K>): FieldProblem<K> | null {
  const match = PREFIXED.exec(message);
  if (match === null || REFUSAL.test(message)) return null;
  const [first = '', ...rest] = match[1]!.split('.');
  const key = Object.hasOwn(specs, first) ? (first as K) : null;
  const label = key === null ? humanKey([first, ...rest].join(' ')) : specs[key].label;
  return { field: key, message: `${label}: ${match[2]!}` };
}

/** A refusal's text for a place with no fields to point at: every problem, in words; null when it is already in words. */
export function refusalSentence(message: string): string | null {
  const problems = refusalProblems(message, {});
  if (problems === null) return prefixedProblem(message, {})?.message ?? null;
  return `The node did not accept this: ${problems.map((problem) => problem.message).join(' ')}`;
}
