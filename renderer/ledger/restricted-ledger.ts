import { ledgerDomain, type LedgerDomain } from '../../shared/ledger/ledger-schema';
import type { RestrictedSession } from '../vault/session/vault-session';
import { directoryNames, subjectsByName, verifyLedgerView, withOperatorSubjects, type LedgerReader } from './ledger-reader';
import type { LedgerVerification } from './ledger-service';

/**
 * The ledger as a researcher or an auditor sees it (design §3: "a researcher's slot opens no
 * patient view; an auditor's opens the ledger and the names it needs, nothing clinical"). Their
 * role slot holds no master: no identity key to sign with, no key to open the journal. They read
 * the ledger's view, which clinical sessions project from the journal (hashes and pseudonyms, clear
 * by design), and check every signature in it. An auditor's slot also holds the directory key,
 * which resolves subjects and operators to names; a researcher sees pseudonyms only.
 *
 * The node's address is the one the view's entries name (the first entry's signer): with no
 * master there is nothing else to check it against, so a view replaced wholesale by another
 * node's valid chain would verify here; an admin's session, which derives the address, would not.
 */
export class RestrictedLedger implements LedgerReader {
  last: LedgerVerification | null = null;
  private verifying: Promise<LedgerVerification> | null = null;

  private constructor(
    private readonly session: RestrictedSession,
    readonly domain: LedgerDomain,
    readonly address: string,
    private readonly notify: () => void,
    private readonly isCurrent: () => boolean,
  ) {}

  static async open(session: RestrictedSession, chainId: number | undefined, notify: () => void, isCurrent: () => boolean): Promise<RestrictedLedger> {
    const first = await session.db.ledger.orderBy(':id').first();
    const node = first !== undefined && typeof (first.entry as { node?: unknown } | null)?.node === 'string' ? (first.entry as { node: string }).node : '';
    return new RestrictedLedger(session, ledgerDomain(chainId), node, notify, isCurrent);
  }

  get intakePublicKey(): string {
    return this.session.keyring.intakePublicKey;
  }

  db() {
    return this.session.db;
  }

  verify(): Promise<LedgerVerification> {
    this.verifying ??= verifyLedgerView(() => this.session.db, this.domain, this.address)
      .then(({ head: _head, ...verification }) => {
        if (this.isCurrent()) {
          this.last = verification;
          this.notify();
        }
        return verification;
      })
      .finally(() => {
        this.verifying = null;
      });
    return this.verifying;
  }

  async operatorNames(): Promise<Record<string, string>> {
    const key = this.session.directoryKey;
    if (key === null) return {};
    const rows = await this.session.db.directory.where(':id').startsWith('operator:').toArray();
    const names = await directoryNames(this.session.db, key, rows.map((row) => row.id));
    return Object.fromEntries([...names].map(([id, name]) => [id.slice('operator:'.length), name]));
  }

  async subjectsNamed(query: string): Promise<ReadonlySet<string>> {
    const key = this.session.directoryKey;
    return key === null ? new Set() : subjectsByName(this.session.db, key, query);
  }

  async subjectNames(subjects: readonly string[]): Promise<Record<string, string>> {
    const key = this.session.directoryKey;
    if (key === null) return {};
    const named: Record<string, string> = Object.fromEntries(await directoryNames(this.session.db, key, subjects));
    return subjects.every((subject) => named[subject] !== undefined) ? named : withOperatorSubjects(named, subjects, await this.operatorNames());
  }
}
