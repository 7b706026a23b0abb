import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { KeySlot } from '../../shared/crypto/key-slots';
import { sessionProofMessage, SESSION_CHALLENGE_LENGTH } from '../../shared/crypto/operator-signing';
import type { SESSION_REVOCATION_CAUSES } from '../../shared/journal/audit-meta';
import { EVENT_ACCESS, METHOD_ACCESS, ROLES_OF_ACCESS, type EventName, type Keyring, type MethodName, type OperatorRoleName, type OperatorSession } from '../../shared/ipc';
import { Refusal } from '../errors/refusal';
import type { CallContext } from '../ipc/contract-router';

/** The caller has no session, or not one of the role the method needs. */
export class AccessRefusal extends Refusal {}

/** Who holds the recovery slot: a session opened with it acts as an administrator (to reset passphrases). */
export const RECOVERY_PRINCIPAL = 'recovery';

/** An unlock attempt waits this long for its proof. */
export const ATTEMPT_TTL_MS = 10 * 60 * 1000;
/** Attempts in flight at once, over all connections (each holds a challenge, nothing more). */
const MAX_PENDING_ATTEMPTS = 256;

interface Attempt {
  readonly connectionId: string;
  readonly challenge: Buffer;
  readonly slot: KeySlot;
  readonly expiresAt: number;
}

/**
 * Why a session ended: vault.lock (the operator, or auto-lock), its connection closed (a window, a
 * tab), or a keyring change took it away (SessionRevocation).
 */
export type SessionEndReason = 'locked' | 'closed' | SessionRevocation;
/** A keyring change ended the session: its operator was disabled, removed or given another role, or no recovery slot is left. */
export type SessionRevocation = (typeof SESSION_REVOCATION_CAUSES)[number];

export interface SessionRecord extends OperatorSession {
  /** Seqs of `erasure.patient` records this session journaled and has not yet used. */
  readonly erasures: Set<number>;
}

/**
 * The operator sessions of this body, one per connection (a WebSocket of the shell, a window of
 * the desktop app). A session exists only after the connection proved, with a signature from the
 * signing key inside a key slot, that it opened that slot: the body never sees a passphrase or a
 * key, and a role claimed in a payload proves nothing. Sessions live in memory only: a restart,
 * a closed connection or vault.lock ends them.
 */
export class OperatorSessions {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly endListeners: ((session: SessionRecord, reason: SessionEndReason) => void)[] = [];
  private readonly connectionEndListeners: ((connectionId: string) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts an attempt on `slot` for a connection; the role is what the keyring gives the slot's owner. */
  begin(connectionId: string, slot: KeySlot, keyring: Keyring): { attempt: string; challenge: Buffer } {
    if (roleOf(slot.operatorId, keyring) === null) throw new AccessRefusal('E_FORBIDDEN', 'That operator account is disabled or does not exist.');
    this.prune();
    if (this.attempts.size >= MAX_PENDING_ATTEMPTS) throw new AccessRefusal('E_UNAVAILABLE', 'Too many unlock attempts are in progress; try again in a moment.');
    const attempt = randomBytes(18).toString('base64url');
    const challenge = randomBytes(SESSION_CHALLENGE_LENGTH);
    this.attempts.set(attempt, { connectionId, challenge, slot, expiresAt: this.now() + ATTEMPT_TTL_MS });
    return { attempt, challenge };
  }

  /** The attempt a connection began, if it is still open (not used up, not expired). */
  pending(connectionId: string, attemptId: string): Readonly<Pick<Attempt, 'slot'>> | null {
    const attempt = this.attempts.get(attemptId);
    return attempt === undefined || attempt.connectionId !== connectionId || attempt.expiresAt < this.now() ? null : attempt;
  }

  /**
   * Checks the proof of an attempt. On success the connection holds a session for the slot's
   * owner; the attempt is used up either way. Returns null when the proof does not verify.
   * `upgraded`: the attempt's format-1 slot was just re-made as format 2 (same id), and the proof
   * is checked with the new slot's key.
   */
  finish(connectionId: string, attemptId: string, signature: Buffer, keyring: Keyring, upgraded = false): SessionRecord | null {
    const checked = this.check(connectionId, attemptId, signature, keyring, upgraded);
    this.attempts.delete(attemptId);
    if (checked === null) return null;
    const session: SessionRecord = { ...checked, erasures: new Set() };
    this.sessions.set(connectionId, session);
    return session;
  }

  /**
   * Whether `signature` proves the attempt against `keyring` (for an upgrade: the keyring as it
   * would be), without using the attempt up: the body checks a format-1 upgrade's proof before it
   * writes the upgraded keyring.
   */
  proofHolds(connectionId: string, attemptId: string, signature: Buffer, keyring: Keyring): boolean {
    return this.check(connectionId, attemptId, signature, keyring, true) !== null;
  }

  private check(connectionId: string, attemptId: string, signature: Buffer, keyring: Keyring, upgraded: boolean): OperatorSession | null {
    const attempt = this.attempts.get(attemptId);
    if (attempt === undefined || attempt.connectionId !== connectionId || attempt.expiresAt < this.now()) {
      this.attempts.delete(attemptId);
      throw new AccessRefusal('E_CONFLICT', 'That unlock attempt is unknown or expired; start again.');
    }
    // The keyring may have changed since the attempt began: the slot must still be there, unchanged
    // (or, for an upgrade, re-made as format 2 under the same id).
    const current = keyring.slots.find((slot) => slot.id === attempt.slot.id);
    const role = roleOf(attempt.slot.operatorId, keyring);
    const same = upgraded ? attempt.slot.publicKey === undefined && current?.publicKey !== undefined : current?.publicKey === attempt.slot.publicKey;
    if (current === undefined || current.publicKey === undefined || !same || role === null) {
      this.attempts.delete(attemptId);
      throw new AccessRefusal('E_CONFLICT', 'The keyring changed during the unlock; start again.');
    }
    if (!verifyProof(current.publicKey, sessionProofMessage(attempt.challenge, attempt.slot.id), signature)) return null;
    return { operatorId: attempt.slot.operatorId, role, slotId: attempt.slot.id };
  }

  get(connectionId: string): SessionRecord | null {
    return this.sessions.get(connectionId) ?? null;
  }

  /**
   * Who is acting on this call: the account id of the connection's session, for a body that
   * records the actor (a quarantine act, a counters reset). Never a value from the payload (tester's
   * finding 1: a clinician recorded their discard as an administrator's). The router has checked
   * the session already; a session ended since is refused like a locked vault.
   */
  actorOf(context: CallContext): string {
    const session = this.sessions.get(context.connectionId);
    if (session === undefined) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
    return session.operatorId;
  }

  /** Ends a connection's session and its attempts (lock, or the connection closed); tells the listeners when a session ended. */
  end(connectionId: string, reason: SessionEndReason = 'locked'): void {
    const session = this.sessions.get(connectionId);
    this.sessions.delete(connectionId);
    for (const [id, attempt] of this.attempts) if (attempt.connectionId === connectionId) this.attempts.delete(id);
    if (session !== undefined) for (const listener of this.endListeners) listener(session, reason);
    for (const listener of this.connectionEndListeners) listener(connectionId);
  }

  /** Called whenever end() runs, with or without a session (its pending attempts are gone). */
  onConnectionEnd(listener: (connectionId: string) => void): void {
    this.connectionEndListeners.push(listener);
  }

  /** Forgets an attempt: it can no longer be finished (the audit settled it as failed). */
  drop(attemptId: string): void {
    this.attempts.delete(attemptId);
  }

  /** Called whenever end() ends a session (the audit trail journals it). */
  onEnd(listener: (session: SessionRecord, reason: SessionEndReason) => void): void {
    this.endListeners.push(listener);
  }

  /**
   * After a keyring change: ends every session whose operator is gone, disabled or holds another
   * role now, and a recovery session once no recovery slot is left. A changed passphrase (a new
   * slot of the same operator) keeps the session. Each ends through end(), so its listeners run
   * (the idle lock, exports, pending attempts); answers the ended sessions and why, for the caller
   * to journal and announce.
   */
  revalidate(keyring: Keyring): { session: SessionRecord; reason: SessionRevocation }[] {
    const ended: { connectionId: string; session: SessionRecord; reason: SessionRevocation }[] = [];
    for (const [connectionId, session] of this.sessions) {
      const reason = revocationOf(session, keyring);
      if (reason !== null) ended.push({ connectionId, session, reason });
    }
    // Ended after the walk: end() deletes from the map being walked.
    for (const { connectionId, reason } of ended) this.end(connectionId, reason);
    return ended.map(({ session, reason }) => ({ session, reason }));
  }

  /** The router's check: refuses a method whose access level the caller's session does not meet. */
  authorize(method: MethodName, context: CallContext, vaultExists: boolean): void {
    const access = METHOD_ACCESS[method];
    if (access === 'anyone' || (access === 'setup' && !vaultExists)) return;
    // With no vault there can be no session: say what is missing rather than "locked".
    if (!vaultExists) throw new AccessRefusal('E_CONFLICT', 'No vault exists in this data folder yet; create one first.');
    const session = this.sessions.get(context.connectionId);
    if (session === undefined) throw new AccessRefusal('E_FORBIDDEN', 'The vault is locked: unlock it to do this.');
    const roles = ROLES_OF_ACCESS[access === 'setup' ? 'admin' : access];
    if (!roles.includes(session.role)) throw new AccessRefusal('E_FORBIDDEN', `Your role (${session.role}) may not do this.`);
  }

  /** Whether a connection may hear an event (EVENT_ACCESS): the hosts ask before each push. */
  mayHear(connectionId: string, event: EventName): boolean {
    return EVENT_ACCESS[event] === 'anyone' || this.sessions.has(connectionId);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, attempt] of this.attempts) if (attempt.expiresAt < now) this.attempts.delete(id);
  }
}

/** The role of a principal in a keyring, or null when it may not sign in (unknown or disabled). */
export function roleOf(principal: string, keyring: Keyring): OperatorRoleName | null {
  if (principal === RECOVERY_PRINCIPAL) return 'admin';
  const operator = keyring.operators.find((candidate) => candidate.operatorId === principal);
  return operator === undefined || operator.disabled ? null : operator.role;
}

/** Why `keyring` takes `session` away, or null when the session keeps its principal and role. */
function revocationOf(session: SessionRecord, keyring: Keyring): SessionRevocation | null {
  if (session.operatorId === RECOVERY_PRINCIPAL) return keyring.slots.some((slot) => slot.kind === 'recovery') ? null : 'recoveryRemoved';
  const operator = keyring.operators.find((candidate) => candidate.operatorId === session.operatorId);
  if (operator === undefined) return 'removed';
  if (operator.disabled) return 'disabled';
  return operator.role === session.role ? null : 'roleChanged';
}

/** ECDSA P-256 / SHA-256 with an IEEE P1363 signature, against an uncompressed public point. */
function verifyProof(publicKey: string, message: Uint8Array, signature: Buffer): boolean {
  const point = Buffer.from(publicKey, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
