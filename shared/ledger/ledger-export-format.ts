import { z } from 'zod';
import { AddressSchema, ENTRY_TYPES, LEDGER_DOMAIN_NAME, LEDGER_DOMAIN_VERSION, type LedgerDomain } from './ledger-schema';
import type { SignedEntryInput } from './ledger-verify';

/**
 * The ledger export: JSON Lines (UTF-8, "\n" after every line), written to
 * `<data>/exports/ledger-<UTC>.jsonl`.
 *
 *   line 1   {"format":"hdms-ledger","version":1,"domain":{"name":"HDMS Ledger","version":"1","chainId":31337},
 *             "types":{"Entry":[{"name":"seq","type":"uint64"},…]},"node":"0x…","entries":N,"exportedAt":"…Z"}
 *   line 2…  {"entry":{"seq":1,"prevHash":"0x00…","kind":"OPERATOR_CHANGE",…},"signature":"0x…"}
 *
 * Entries are in seq order. The header's `types` must equal the fixed Entry type (a verifier never
 * takes types from the file it checks); `entries` is the count that follows.
 *
 * Verifying without this app, with nothing but ethers 6 (Node ≥ 18, ES module):
 *
 *   import { readFileSync } from 'node:fs';
 *   import { TypedDataEncoder, verifyTypedData } from 'ethers';
 *   const [head, ...lines] = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
 *   let prev = '0x' + '00'.repeat(32);
 *   lines.forEach(({ entry, signature }, i) => {
 *     if (entry.seq !== i + 1) throw new Error(`entry ${i + 1} is missing`);
 *     if (entry.prevHash !== prev) throw new Error(`entry ${entry.seq}: prevHash does not match entry ${entry.seq - 1}`);
 *     if (verifyTypedData(head.domain, head.types, entry, signature) !== head.node) throw new Error(`entry ${entry.seq}: bad signature`);
 *     prev = TypedDataEncoder.hash(head.domain, head.types, entry);
 *   });
 *   console.log(`ok: ${lines.length} entries signed by ${head.node}`);
 *
 * (That snippet trusts the header's types and does not reject extra fields; `npm run ledger:verify`
 * also checks the strict schema and pins the types.)
 */

export const LEDGER_EXPORT_FORMAT = 'hdms-ledger';
export const LEDGER_EXPORT_VERSION = 1;

const TypedFieldSchema = z.strictObject({ name: z.string(), type: z.string() });

export const LedgerDomainSchema = z.strictObject({
  name: z.literal(LEDGER_DOMAIN_NAME),
  version: z.literal(LEDGER_DOMAIN_VERSION),
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const LedgerExportHeaderSchema = z.strictObject({
  format: z.literal(LEDGER_EXPORT_FORMAT),
  version: z.literal(LEDGER_EXPORT_VERSION),
  domain: LedgerDomainSchema,
  types: z.strictObject({ Entry: z.array(TypedFieldSchema) }).refine((types) => JSON.stringify(types.Entry) === JSON.stringify(ENTRY_TYPES.Entry), 'types are not the HDMS Ledger Entry type'),
  node: AddressSchema,
  entries: z.number().int().nonnegative(),
  exportedAt: z.iso.datetime(),
});
export type LedgerExportHeader = Readonly<z.infer<typeof LedgerExportHeaderSchema>>;

export const LedgerExportLineSchema = z.strictObject({ entry: z.unknown(), signature: z.unknown() });

export function exportHeader(domain: LedgerDomain, node: string, entries: number, exportedAt: Date): LedgerExportHeader {
  return {
    format: LEDGER_EXPORT_FORMAT,
    version: LEDGER_EXPORT_VERSION,
    domain: { name: LEDGER_DOMAIN_NAME, version: LEDGER_DOMAIN_VERSION, chainId: domain.chainId },
    types: { Entry: ENTRY_TYPES.Entry.map((field) => ({ name: field.name, type: field.type })) },
    node,
    entries,
    exportedAt: exportedAt.toISOString(),
  };
}

export function exportLine(signed: SignedEntryInput): string {
  return JSON.stringify({ entry: signed.entry, signature: signed.signature });
}

export class ExportFormatError extends Error {
  constructor(
    message: string,
    readonly seq: number,
  ) {
    super(message);
    this.name = 'ExportFormatError';
  }
}

/** The header line, parsed strictly; throws ExportFormatError with a precise message. */
export function parseExportHeader(line: string | undefined): LedgerExportHeader {
  if (line === undefined || line.trim() === '') throw new ExportFormatError('the file is empty: line 1 must be the hdms-ledger header', 0);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ExportFormatError('line 1 (the header) is not JSON', 0);
  }
  const parsed = LedgerExportHeaderSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExportFormatError(`line 1 (the header): ${issue === undefined ? 'invalid' : `${issue.path.map(String).join('.') || 'header'} ${issue.message}`}`, 0);
  }
  return parsed.data;
}

/** One entry line; throws ExportFormatError naming the line when it is not a JSON {entry, signature}. */
export function parseExportLine(line: string, lineNumber: number, expectedSeq: number): SignedEntryInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ExportFormatError(`line ${lineNumber} (entry ${expectedSeq}) is not JSON`, expectedSeq);
  }
  const parsed = LedgerExportLineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const what = issue?.code === 'unrecognized_keys' ? `has unexpected field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} beside entry and signature` : 'is not an {entry, signature} object';
    throw new ExportFormatError(`line ${lineNumber} (entry ${expectedSeq}) ${what}`, expectedSeq);
  }
  if (!('entry' in parsed.data) || !('signature' in parsed.data)) {
    throw new ExportFormatError(`line ${lineNumber} (entry ${expectedSeq}) is missing its ${'entry' in parsed.data ? 'signature' : 'entry'}`, expectedSeq);
  }
  return parsed.data;
}
