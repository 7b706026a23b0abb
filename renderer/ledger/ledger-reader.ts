import { foldText } from '../../shared/crypto/blind-index';
import { decryptField } from '../../shared/crypto/field-cipher';
import type { LedgerDomain } from '../../shared/ledger/ledger-schema';
import { verifyLedger } from '../../shared/ledger/ledger-verify';
import type { DirectoryName, VaultDb } from '../vault/views/vault-db';
import type { LedgerVerification } from './ledger-service';
import type { VerifiedHead } from './verified-head';
import { bytes32ToPseudonym } from './ledger-details';

/**
 * What the ledger's read side needs of a session, whichever kind it is: a clinical session's
 * SessionLedger (session-ledger.ts), or a researcher's or auditor's RestrictedLedger
 * (restricted-ledger.ts), whose role slot holds no master. The LedgerService's reads
 * (create-ledger-service.ts) go through this; its writes need a SessionLedger.
 */
export interface LedgerReader {
  readonly domain: LedgerDomain;
  /** The node's address (the identity key's), which every entry must be signed by. */
  readonly address: string;
  readonly intakePublicKey: string;
  db(): VaultDb;
  verify(): Promise<LedgerVerification>;
  readonly last: LedgerVerification | null;
  /** Names by pseudonymous operator id, as far as this session may know them. */
  operatorNames(): Promise<Record<string, string>>;
  /** Names behind subjects (bytes32): patients for a session that holds the directory key, operators as operatorNames; {} otherwise. */
  subjectNames(subjects: readonly string[]): Promise<Record<string, string>>;
  /** The patient subjects whose name has a word starting with each word of `query` (folded); none without the directory key. */
  subjectsNamed(query: string): Promise<ReadonlySet<string>>;
}

/**
 * Subjects the directory did not name that are operators (an OPERATOR_CHANGE entry's subject is the
 * operator changed), named as `operators` (the reader's operatorNames: who this session may see).
 */
export function withOperatorSubjects(named: Record<string, string>, subjects: readonly string[], operators: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...named };
  for (const subject of subjects) {
    if (out[subject] !== undefined) continue;
    const name = operators[bytes32ToPseudonym(subject)];
    if (name !== undefined) out[subject] = name;
  }
  return out;
}

const VERIFY_PAGE = 500;

/** Yields to the event loop (the UI) between pages of a long verification. */
export const yieldToUi = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Checks the chain and every signature of the ledger view against the node's address; with `from`
 * (a verified head, verified-head.ts), only the entries after it.
 */
export async function verifyLedgerView(db: () => VaultDb, domain: LedgerDomain, node: string, from?: VerifiedHead): Promise<LedgerVerification & { readonly head?: string }> {
  async function* rows() {
    let after = from?.seq ?? 0;
    for (;;) {
      const page = await db().ledger.where(':id').above(after).limit(VERIFY_PAGE).toArray();
      for (const row of page) yield { entry: row.entry, signature: row.signature };
      if (page.length < VERIFY_PAGE) return;
      after = page.at(-1)!.seq;
      await yieldToUi();
    }
  }
  const result = await verifyLedger(rows(), { domain, node, progressEvery: 25, onProgress: yieldToUi, ...(from === undefined ? {} : { from }) });
  const checkedAt = new Date().toISOString();
  const resumed = from === undefined ? {} : { resumedAfter: { seq: from.seq, at: from.at } };
  return result.ok ? { ok: true, entries: result.entries, checkedAt, head: result.head, ...resumed } : { ok: false, entries: result.entries, checkedAt, firstBreak: result.firstBreak, ...resumed };
}

/** "Family, Given Middle": how a directory name is shown. */
export function displayName(name: DirectoryName): string {
  const given = name.given.filter((part) => part !== '').join(' ');
  return given === '' ? name.family : `${name.family}, ${given}`;
}

/** The directory id of an operator's row (vault-db.ts DirectoryRow). */
export function operatorDirectoryId(operatorPseudonym: string): string {
  return `operator:${operatorPseudonym}`;
}

/** Decrypts the directory rows of `ids` that exist; a row that does not open is left out. */
export async function directoryNames(db: VaultDb, directoryKey: CryptoKey, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const rows = unique.length === 0 ? [] : await db.directory.bulkGet(unique);
  const out = new Map<string, string>();
  await Promise.all(
    rows.map(async (row) => {
      if (row === undefined) return;
      try {
        out.set(row.id, displayName(await decryptField<DirectoryName>(directoryKey, { table: 'directory', id: row.id }, row.name)));
      } catch {
        // A row written under another key or damaged: no name, never a wrong one.
      }
    }),
  );
  return out;
}

/**
 * Patient subjects whose directory name matches `query`: every word of the query (folded: case and
 * accents ignored; spaces and commas part words, in any order) begins a word of the name. Decrypts the directory's patient rows on this
 * computer; nothing leaves it.
 */
export async function subjectsByName(db: VaultDb, directoryKey: CryptoKey, query: string): Promise<ReadonlySet<string>> {
  // A comma separates words as a space does: "Brügger, Anna" is how a name is shown (displayName), so it is typed so too.
  const wanted = foldText(query).split(/[\s,]+/).filter((word) => word !== '');
  const out = new Set<string>();
  if (wanted.length === 0) return out;
  const rows = (await db.directory.toArray()).filter((row) => row.kind === 'patient');
  const names = await directoryNames(db, directoryKey, rows.map((row) => row.id));
  for (const [id, name] of names) {
    const words = foldText(name).split(/[\s,]+/).filter((word) => word !== '');
    if (wanted.every((prefix) => words.some((word) => word.startsWith(prefix)))) out.add(id);
  }
  return out;
}
