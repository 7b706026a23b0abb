import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { UncompressedPointSchema } from '../network/network-domain';
import { DATA_TYPES } from './cohort-answer';

/**
 * A researcher's keyword query (issue 14 item 2), as clinics receive it: terms as written (each
 * clinic evaluates them against its own blind index), filters, the purpose the patients' consent
 * must allow, the researcher's encryption key for the answer, and an expiry.
 */
export const QUERY_PURPOSES = ['research-sale', 'research-no-sale'] as const;
export type QueryPurpose = (typeof QUERY_PURPOSES)[number];

const term = z.string().trim().min(1).max(100);

export const QueryFiltersSchema = z.strictObject({
  ageFrom: z.number().int().min(0).max(120).optional(),
  ageTo: z.number().int().min(0).max(120).optional(),
  sex: z.enum(['F', 'M']).optional(),
  /** Records dated in this range (YYYY-MM-DD, inclusive). */
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  /** The patient must have every one of these. */
  dataTypes: z.array(z.enum(DATA_TYPES)).max(DATA_TYPES.length).optional(),
});
export type QueryFilters = z.infer<typeof QueryFiltersSchema>;

export const KeywordQuerySchema = z.strictObject({
  /** 32 random bytes, hex: names the query in answers, the relay and the ledger. */
  queryId: z.string().regex(/^0x[0-9a-f]{64}$/),
  /** Every term must match (codes or words: diagnosis, lab, medication, procedure, free words). */
  terms: z.array(term).min(1).max(20),
  filters: QueryFiltersSchema,
  purpose: z.enum(QUERY_PURPOSES),
  /** The researcher node's address (the signer). */
  researcher: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  /**
   * The researcher's encryption key for the answers (its P-256 message key, 0x04 ‖ x ‖ y): signed
   * into the query, so a clinic seals its answer to the key the researcher named, and checks that
   * the network map names the same one for that member.
   */
  answerKey: UncompressedPointSchema,
  /** ISO instant after which clinics no longer answer. */
  expiresAt: z.iso.datetime(),
});
export type KeywordQuery = z.infer<typeof KeywordQuerySchema>;

/** Terms as a clinic compares them: case and spacing folded, each once, in order. */
export function normalizedTerms(terms: readonly string[]): string[] {
  return [...new Set(terms.map((value) => value.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()).filter((value) => value !== ''))].sort();
}

/**
 * What makes two queries "the same" for a clinic's repeat protection: the normalized terms, the
 * filters with their keys in order and data types sorted, and the purpose — not the id, the expiry
 * or the wording's case and spacing. Hex SHA-256 of that canonical JSON.
 */
export function queryFingerprint(query: Pick<KeywordQuery, 'terms' | 'filters' | 'purpose'>): string {
  const filters = query.filters;
  const canonical = JSON.stringify({
    terms: normalizedTerms(query.terms),
    filters: {
      ageFrom: filters.ageFrom ?? null,
      ageTo: filters.ageTo ?? null,
      sex: filters.sex ?? null,
      from: filters.from ?? null,
      to: filters.to ?? null,
      dataTypes: [...new Set(filters.dataTypes ?? [])].sort(),
    },
    purpose: query.purpose,
  });
  let hex = '';
  for (const byte of sha256(new TextEncoder().encode(canonical))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
