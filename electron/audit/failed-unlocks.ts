import type { SessionAuditMeta } from '../../shared/journal/audit-meta';

/** An unlock attempt the body served and counted as a failure until a proof clears it. */
export interface CountedAttempt {
  readonly connectionId: string;
  readonly operatorId: string;
  readonly role: SessionAuditMeta['role'];
  readonly slot: SessionAuditMeta['slot'];
  /** Failures on this slot since its last sign-in, before this attempt. */
  readonly failuresBefore: number;
  readonly begunAt: Date;
}

/**
 * Failed unlocks as facts of their own (issue 11: failures never followed by a sign-in must be in
 * the audit too). A wrong passphrase never reaches the body (the mind's slot simply does not
 * open), so an attempt is a failure once it can no longer succeed: the window says its slot did
 * not open (vault.unlockFailed), its connection began another one (the mind retries only after a
 * failure), its proof did not verify, its connection locked or closed, or it expired. Each is settled once, through `settle` (the body journals it sealed, and
 * the next clinical session signs it); a proven attempt is never settled. Attempts still pending
 * when the body stops are not journaled (the body writes nothing once it stops); they stay in the
 * throttle count, which the next sign-in of that operator reports.
 */
export class FailedUnlocks {
  private readonly pending = new Map<string, { readonly attempt: CountedAttempt; readonly timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly settle: (attempt: CountedAttempt) => void,
    /** How long an attempt waits for its proof (operator-sessions.ts ATTEMPT_TTL_MS). */
    private readonly expiresAfterMs: number,
  ) {}

  /**
   * The connection begins another attempt: its earlier ones are settled as failed (the mind begins
   * again only after an attempt did not open). Returns their ids: they must not finish later.
   */
  supersede(connectionId: string): string[] {
    const superseded = [...this.pending].filter(([, { attempt }]) => attempt.connectionId === connectionId).map(([id]) => id);
    for (const id of superseded) this.failed(id);
    return superseded;
  }

  /** A counted attempt began. */
  begun(attemptId: string, attempt: CountedAttempt): void {
    const timer = setTimeout(() => this.failed(attemptId), this.expiresAfterMs);
    timer.unref?.();
    this.pending.set(attemptId, { attempt, timer });
  }

  /** The attempt was proven (a sign-in): no failure. True when it was counted. */
  proven(attemptId: string): boolean {
    const entry = this.pending.get(attemptId);
    if (entry === undefined) return false;
    clearTimeout(entry.timer);
    this.pending.delete(attemptId);
    return true;
  }

  /** The attempt can no longer succeed: settled as a failed unlock (once). */
  failed(attemptId: string): void {
    const entry = this.pending.get(attemptId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(attemptId);
    this.settle(entry.attempt);
  }

  /** Whether `attemptId` is pending for this connection (a connection speaks for its own attempts only). */
  pendingFor(attemptId: string, connectionId: string): boolean {
    return this.pending.get(attemptId)?.attempt.connectionId === connectionId;
  }

  /** The connection locked or closed: its pending attempts failed. */
  connectionEnded(connectionId: string): void {
    for (const [id, { attempt }] of [...this.pending]) if (attempt.connectionId === connectionId) this.failed(id);
  }

  /** The body stops: forget everything, settle nothing. */
  stop(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}
