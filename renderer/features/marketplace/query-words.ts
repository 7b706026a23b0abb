import type { KeyListEntry } from '../../../shared/research/cohort-answer';
import { DATA_TYPES } from '../../../shared/research/cohort-answer';
import type { KeywordQuery } from '../../../shared/research/keyword-query';
import type { CountBucket } from '../../../shared/research/cohort-answer';
import { PURPOSE_LABELS } from '../patients/patient-consent';

/** The query's filters in words ("ages 40–65 · women · labs and imaging CT"), or "no filters". */
export function filtersInWords(query: Pick<KeywordQuery, 'filters'>): string {
  const { filters } = query;
  const parts: string[] = [];
  if (filters.ageFrom !== undefined || filters.ageTo !== undefined) parts.push(`ages ${filters.ageFrom ?? 0}–${filters.ageTo ?? 120}`);
  if (filters.sex !== undefined) parts.push(filters.sex === 'F' ? 'women' : 'men');
  if (filters.from !== undefined || filters.to !== undefined) parts.push(`records ${filters.from ?? 'any time'} to ${filters.to ?? 'today'}`);
  if (filters.dataTypes !== undefined && filters.dataTypes.length > 0) parts.push(`with ${filters.dataTypes.join(', ')}`);
  return parts.length === 0 ? 'no filters' : parts.join(' · ');
}

export function purposeInWords(query: Pick<KeywordQuery, 'purpose'>): string {
  return PURPOSE_LABELS[query.purpose];
}

/** A count bucket as a researcher reads it. */
export function bucketInWords(bucket: CountBucket): string {
  return bucket.kind === 'fewer' ? `Fewer than ${bucket.than}` : `About ${bucket.roundedUp.toLocaleString('en')} (rounded up)`;
}

export interface Distribution {
  readonly label: string;
  readonly rows: readonly { readonly value: string; readonly count: number }[];
}

/** How the KEY list's entries spread over age band, sex and data type (suppressed values as "not shown"). */
export function distributionsOf(entries: readonly KeyListEntry[]): Distribution[] {
  const count = (values: readonly string[], order?: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    const keys = [...counts.keys()].sort((a, b) => (order === undefined ? a.localeCompare(b, 'en', { numeric: true }) : order.indexOf(a) - order.indexOf(b)));
    return keys.map((value) => ({ value, count: counts.get(value)! }));
  };
  return [
    { label: 'Age band', rows: count(entries.map((entry) => entry.ageBand ?? 'not shown')) },
    { label: 'Sex', rows: count(entries.map((entry) => (entry.sex === 'F' ? 'female' : entry.sex === 'M' ? 'male' : (entry.sex ?? 'not shown')))) },
    { label: 'Data types', rows: count(entries.flatMap((entry) => entry.dataTypes), DATA_TYPES) },
  ];
}

export function shortAddress(address: string): string {
  return `${address.slice(0, 8)}…${address.slice(-4)}`;
}
