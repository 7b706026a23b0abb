import type { Wallet } from 'ethers';
import { LEDGER_PUBLISH_MAX } from '../../shared/ipc/ledger-contract';
import { ledgerDomain, type LedgerDomain } from '../../shared/ledger/ledger-schema';
import type { OpenSessionFeature, SessionFeature, SessionPort } from '../vault/session/session-feature';
import type { VaultDb } from '../vault/views/vault-db';
import { deriveOperatorId } from './ledger-crypto';
import { RECOVERY_OPERATOR } from '../vault/views/operator-directory';
import { directoryNames, subjectsByName, verifyLedgerView, withOperatorSubjects, type LedgerReader } from './ledger-reader';
import { readVerifiedHead, storeVerifiedHead } from './verified-head';
import type { LedgerVerification } from './ledger-service';
import type { BatchRules } from './ledger-planner';
import { LedgerWriter } from './ledger-writer';

/**
 * The ledger of one unlocked session: the identity key, the writer that runs after every replay,
 * the timer that comes back for an open intake batch, and verification (at unlock, in the
 * background, and on demand). It joins the vault as a session feature (LedgerFeature below;
 * renderer/vault/session/session-feature.ts): opened when a session opens, afterReplay() at the
 * end of each replay, closed at lock.
 */

/** The contract namespaces the ledger calls. */
export const LEDGER_NAMESPACES = ['journal', 'ledger', 'network'] as const;

/** What the vault lends the ledger for one session. */
export type LedgerSessionPort = SessionPort<(typeof LEDGER_NAMESPACES)[number]>;

export interface LedgerOptions {
  /** Tests: the batching rule (ledger-planner.ts DEFAULT_BATCH_RULES otherwise). */
  readonly batchRules?: BatchRules;
  /** The EIP-712 chain id (DEFAULT_LEDGER_CHAIN_ID otherwise). */
  readonly chainId?: number;
  /** Verify the whole chain in the background after the first replay of a session (default true). */
  readonly verifyAtUnlock?: boolean;
  /** Tests: the clock (Date.now otherwise). */
  readonly now?: () => number;
}

/** How soon a restored vault asks an unreachable notary again (its acts are not signed meanwhile). */
const RECOVERY_RETRY_MS = 60_000;

/** Why a restored vault of a network member signs nothing while its notary cannot be reached (the Ledger area shows it). */
export const RESTORE_HOLD =
  'this vault was restored from a backup, and the notary of this node’s network cannot be reached to say how far this node’s chain went after the backup. ' +
  'Signing now could give a second entry for a seq the earlier copy signed, so nothing is signed until the notary answers (asked again every minute); the acts are kept in the journal and signed then.';

export class SessionLedger implements LedgerReader {
  readonly domain: LedgerDomain;
  readonly writer: LedgerWriter;
  readonly wallet: Wallet;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushNext = false;
  private verifiedOnce = false;
  private recoveredOnce = false;
  /** While a restored vault's signing is held (RESTORE_HOLD): no new ask of the notary before this time (ms). */
  private holdUntil = 0;
  /** Why this session's recovery from the network's log stopped (an alarm: what the notary served did not check), or null. */
  recoveryProblem: string | null = null;
  private closed = false;
  private verifying: Promise<LedgerVerification> | null = null;
  last: LedgerVerification | null = null;
  /** The last failure of the writer (a refused append, a malformed head), or null. */
  writerProblem: string | null = null;

  constructor(
    readonly port: LedgerSessionPort,
    private readonly options: LedgerOptions,
    private readonly notify: () => void,
  ) {
    this.wallet = port.identity;
    this.domain = ledgerDomain(options.chainId);
    this.writer = new LedgerWriter({
      api: port.api,
      db: () => port.db(),
      opener: port.opener,
      sealer: () => port.sealer(),
      ledgerKey: port.ledgerKey,
      eventAuthKey: port.eventAuthKey,
      roleOf: port.roleOf,
      signer: port.identity,
      domain: this.domain,
      isCurrent: () => port.isCurrent() && !this.closed,
      ...(options.batchRules === undefined ? {} : { rules: options.batchRules }),
    });
  }

  private clock(): number {
    return this.options.now?.() ?? Date.now();
  }

  get address(): string {
    return this.wallet.address;
  }

  /**
   * Called at the end of every replay (the session feature's afterReplay), inside its queue: signs what the journal calls
   * for. Never throws (a replay must not fail because of the ledger); a problem is kept in
   * writerProblem and retried at the next replay.
   */
  async afterReplay(): Promise<void> {
    if (this.closed) return;
    const flush = this.flushNext;
    this.flushNext = false;
    try {
      // Held: the replays in between (acts journaled meanwhile) do not each wait for the notary's timeout.
      if (this.writerProblem === RESTORE_HOLD && this.clock() < this.holdUntil) return;
      if (!this.recoveredOnce) {
        // Before anything new is signed: what the network's log has of this node beyond our head.
        this.recoveredOnce = true;
        let unreachable = false;
        this.recoveryProblem = await this.recover().then(
          (outcome) => {
            unreachable = outcome === 'unreachable';
            return null;
          },
          (error: unknown) => (error instanceof Error ? error.message : 'The ledger could not be recovered from the network.'),
        );
        // A restored vault whose network's notary does not answer: the earlier copy may have signed
        // entries after the backup's last one, so the next seq may be taken already. Sign nothing
        // (the acts wait in the journal) and ask again, rather than fork the chain (tester T2 S35 F3).
        if (unreachable && (await this.writer.restorePending())) {
          this.recoveredOnce = false;
          this.writerProblem = RESTORE_HOLD;
          this.holdUntil = this.clock() + RECOVERY_RETRY_MS;
          this.setTimer(RECOVERY_RETRY_MS);
          return;
        }
      }
      const { signed, waitMs } = await this.writer.catchUp({ flush });
      this.writerProblem = null;
      this.setTimer(waitMs);
      if (signed > 0) {
        await this.port.replayNow();
        this.notify();
      }
    } catch (error) {
      this.writerProblem = error instanceof Error ? error.message : 'The ledger writer failed.';
    }
    await this.backfillOutbox().catch(() => undefined);
    if (!this.verifiedOnce && this.options.verifyAtUnlock !== false) {
      this.verifiedOnce = true;
      // In the background: the unlock never waits for it; the UI hears of the result. Only what is
      // new since the last verified head (issue 10 item 8); "Verify" in the UI checks everything.
      setTimeout(() => void this.verify({ resume: true }).catch(() => undefined), 0);
    }
  }

  /**
   * Recovery (issue 10 item 10): entries of this node that the network's log holds beyond the head
   * of this vault's ledger (an older vault put back, a lost profile replaying a shorter journal),
   * fetched and checked by the body, appended in order; the chain then continues where the network
   * has it. A node with no network, or a notary that cannot be reached, recovers nothing now: the
   * next session tries again (its next entry would be refused as a fork, and the sync says so).
   * 'unreachable': a member's notary did not answer (afterReplay holds a restored vault's signing).
   */
  private async recover(): Promise<'done' | 'unreachable'> {
    for (;;) {
      const head = await this.writer.head();
      let answer;
      try {
        answer = await this.port.api.network.recover({ afterSeq: head.seq, headHash: head.hash });
      } catch (error) {
        // A member whose notary is unreachable: nothing now, the next session asks again (after a
        // restore, sooner: afterReplay). An alarm (what the notary served does not check) is kept in
        // recoveryProblem; signing goes on either way. A node with no network answers no entries.
        if ((error as { code?: string }).code === 'E_UNAVAILABLE') return 'unreachable';
        throw error;
      }
      if (answer.entries.length === 0) return 'done';
      await this.writer.appendRecovered(answer.entries);
      await this.port.replayNow();
      this.notify();
      if (!answer.more) return 'done';
    }
  }

  /**
   * Gives the body's outbox (the clear copies the notary receives) the entries it lacks, from the
   * view: those signed before the outbox existed, or one a crash lost between the journal and it.
   */
  private async backfillOutbox(): Promise<void> {
    const { outboxLastSeq, journalLastSeq } = await this.port.api.ledger.outboxStatus({});
    let after = outboxLastSeq;
    while (after < journalLastSeq && this.port.isCurrent() && !this.closed) {
      const rows = await this.port.db().ledger.where(':id').between(after, journalLastSeq, false, true).limit(LEDGER_PUBLISH_MAX).toArray();
      // Only a contiguous run the view holds (a replay may not have reached the newest yet).
      const run = rows.filter((row, index) => row.seq === after + index + 1);
      if (run.length === 0) return;
      ({ lastSeq: after } = await this.port.api.ledger.publish({ entries: run.map((row) => ({ entry: row.entry, signature: row.signature })) }));
    }
  }

  /** Signs everything pending now (an open intake batch included) and waits until the view shows it. */
  async flush(): Promise<void> {
    this.flushNext = true;
    await this.port.sync();
  }

  /**
   * Checks the chain and every signature of the ledger view, one verification at a time; with
   * `resume`, only the entries after the last verified head (verified-head.ts), when it holds.
   */
  verify(options: { readonly resume?: boolean } = {}): Promise<LedgerVerification> {
    this.verifying ??= this.runVerify(options.resume === true).finally(() => {
      this.verifying = null;
    });
    return this.verifying;
  }

  private async runVerify(resume: boolean): Promise<LedgerVerification> {
    const db = this.port.db();
    const from = resume ? await readVerifiedHead(db, this.port.eventAuthKey, this.domain) : null;
    const { head, ...verification } = await verifyLedgerView(() => this.port.db(), this.domain, this.address, from ?? undefined);
    if (verification.ok && head !== undefined && verification.entries > 0 && this.port.isCurrent()) {
      await storeVerifiedHead(this.port.db(), this.port.eventAuthKey, { seq: verification.entries, head, at: verification.checkedAt }).catch(() => undefined);
    }
    if (this.port.isCurrent() && !this.closed) {
      this.last = verification;
      this.notify();
    }
    return verification;
  }

  get intakePublicKey(): string {
    return this.port.intakePublicKey;
  }

  db(): VaultDb {
    return this.port.db();
  }

  /** Names by pseudonymous operator id: every operator for an administrator, oneself otherwise. */
  async operatorNames(): Promise<Record<string, string>> {
    const port = this.port;
    const out: Record<string, string> = {};
    // Sessions opened with the recovery key sign in under this principal (the body's audit records).
    const recovery = await deriveOperatorId(port.ledgerKey, RECOVERY_OPERATOR.operatorId);
    if (port.isAdmin() || recovery === port.actor) out[recovery] = RECOVERY_OPERATOR.name;
    await Promise.all(
      port.operators().map(async (operator) => {
        const id = await deriveOperatorId(port.ledgerKey, operator.operatorId);
        if (port.isAdmin() || id === port.actor) out[id] = operator.name;
      }),
    );
    return out;
  }

  subjectsNamed(query: string): Promise<ReadonlySet<string>> {
    return subjectsByName(this.port.db(), this.port.directoryKey, query);
  }

  /** Names behind subjects: patients from the subject directory (the key every clinical session holds), operators as operatorNames. */
  async subjectNames(subjects: readonly string[]): Promise<Record<string, string>> {
    const named: Record<string, string> = Object.fromEntries(await directoryNames(this.port.db(), this.port.directoryKey, subjects));
    return subjects.every((subject) => named[subject] !== undefined) ? named : withOperatorSubjects(named, subjects, await this.operatorNames());
  }

  close(): void {
    this.closed = true;
    this.setTimer(null);
  }

  private setTimer(waitMs: number | null): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (waitMs === null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.port.requestSync();
    }, Math.max(0, waitMs) + 10);
  }
}

/**
 * The ledger as a session feature: one SessionLedger per unlocked session. current() is what the
 * LedgerService (create-ledger-service.ts) works on: the open session's ledger, or null when locked.
 */
export class LedgerFeature implements SessionFeature<(typeof LEDGER_NAMESPACES)[number]> {
  readonly name = 'ledger';
  readonly namespaces = LEDGER_NAMESPACES;
  private ledger: SessionLedger | null = null;

  constructor(
    private readonly options: LedgerOptions,
    private readonly notify: () => void,
  ) {}

  current(): SessionLedger | null {
    return this.ledger;
  }

  open(port: LedgerSessionPort): OpenSessionFeature {
    const ledger = new SessionLedger(port, this.options, this.notify);
    this.ledger = ledger;
    return {
      afterReplay: () => ledger.afterReplay(),
      close: () => {
        ledger.close();
        if (this.ledger === ledger) this.ledger = null;
      },
    };
  }
}
