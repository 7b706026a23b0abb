import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring, KeyringOperator } from '../../../shared/ipc/vault-contract';
import { appendMindEvent } from '../mind-events';
import { VaultError, type OperatorSummary, type VaultPhase } from '../vault-service';
import { createSealer, type Opener, type Sealer, type VaultKeys } from '../vault-crypto';
import type { TokenCache } from '../views/token-cache';
import type { OpenedRows } from '../views/opened-rows';
import type { VaultDb } from '../views/vault-db';
import type { OpenSessionFeature } from './session-feature';

/**
 * The unlocked session and the vault's phase, shared by the vault's services (session/, records/,
 * quarantine/, backup/, indexing/).
 *
 * Secrets: the master secret and the derived CryptoKeys live only in the session object, which
 * exists only while unlocked; lock (session-lifecycle.ts) zeroes the master bytes, clears the token
 * memo, closes the views and drops every reference. Nothing secret goes to IndexedDB,
 * localStorage or the body.
 */
export interface VaultSession {
  readonly master: Uint8Array;
  readonly keys: VaultKeys;
  keyring: Keyring;
  operator: KeyringOperator;
  /** Pseudonymous id of the operator, recorded with every journal event. */
  readonly actor: string;
  readonly opener: Opener;
  sealer: Promise<Sealer> | undefined;
  db: VaultDb;
  readonly tokens: TokenCache;
  /** Message rows already decrypted and checked (patient pages opened again); cleared at lock. */
  readonly opened: OpenedRows;
  /** Serializes replays and rebuilds. */
  queue: Promise<unknown>;
  autoQueued: boolean;
  unsubscribe: () => void;
  /** The session features (session-feature.ts), opened with the session, in the composition's order. */
  features: readonly OpenSessionFeature[];
  /** The journal seq the views were last replayed to in this session. */
  replayedTo: number;
}

/**
 * The session of a researcher or an auditor (design §3, roles are keys): their role slot holds no
 * master, so there are no view keys, no opener and no identity here; what they see is the ledger's
 * view (clear by design: hashes and pseudonyms) and, for an auditor, the subject directory. Every
 * vault service that needs clinical keys refuses (SessionState.require: E_NOT_ALLOWED).
 */
export interface RestrictedSession {
  readonly keyring: Keyring;
  readonly operator: KeyringOperator;
  readonly role: 'researcher' | 'auditor';
  /** The directory key an auditor's slot holds (names behind ledger pseudonyms); null for a researcher. */
  readonly directoryKey: CryptoKey | null;
  readonly db: VaultDb;
}

export function summaryOf(operator: KeyringOperator): OperatorSummary {
  return { operatorId: operator.operatorId, name: operator.name, role: operator.role, disabled: operator.disabled };
}

export function sealerOf(s: VaultSession): Promise<Sealer> {
  s.sealer ??= createSealer(s.keys.intakeKeyPair.publicKeyRaw);
  return s.sealer;
}

/** Appends one of the mind's own events as the session's operator. */
export async function appendSessionEvent(api: Pick<HdmsApi, 'journal'>, s: VaultSession, kind: string, meta: unknown): Promise<number> {
  return appendMindEvent(api, await sealerOf(s), s.keys.eventAuthKey, { kind, operator: s.actor, meta });
}

/** The phase, the open session (if any) and the listeners of VaultService.subscribe. */
export class SessionState {
  private phaseNow: VaultPhase = 'absent';
  private open: VaultSession | null = null;
  private restrictedOpen: RestrictedSession | null = null;
  private readonly listeners = new Set<() => void>();
  private lockedByNow: string | null = null;

  get phase(): VaultPhase {
    return this.phaseNow;
  }

  /** The open session of an operator who holds the master (admin, clinician), or null. */
  get current(): VaultSession | null {
    return this.open;
  }

  /** The open session of a researcher or auditor, or null. */
  get restricted(): RestrictedSession | null {
    return this.restrictedOpen;
  }

  /** Whether any operator is signed in (a clinical or a restricted session). */
  get signedIn(): boolean {
    return this.open !== null || this.restrictedOpen !== null;
  }

  /** Who is signed in, whichever kind of session. */
  get operator(): KeyringOperator | null {
    return this.open?.operator ?? this.restrictedOpen?.operator ?? null;
  }

  /** The operator whose session was locked last in this window (VaultService.lockedBy); null until a lock. */
  get lockedBy(): string | null {
    return this.lockedByNow;
  }

  /** Session bookkeeping for session-lifecycle.ts only: who is being locked out. */
  noteLockedBy(operatorId: string): void {
    this.lockedByNow = operatorId;
  }

  /** Whether `s` is still the open session (false after lock or another unlock). */
  isCurrent(s: VaultSession): boolean {
    return this.open === s;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  setPhase(next: VaultPhase): void {
    if (next === this.phaseNow) return;
    this.phaseNow = next;
    this.notify();
  }

  /** Session bookkeeping for session-lifecycle.ts only; announces nothing (see announce). */
  enter(s: VaultSession): void {
    this.open = s;
  }

  enterRestricted(r: RestrictedSession): void {
    this.restrictedOpen = r;
  }

  leave(): VaultSession | null {
    const s = this.open;
    this.open = null;
    return s;
  }

  leaveRestricted(): RestrictedSession | null {
    const r = this.restrictedOpen;
    this.restrictedOpen = null;
    return r;
  }

  /** Sets the phase and tells the listeners, even when the phase stays (the operator changed). */
  announce(phase: VaultPhase): void {
    this.phaseNow = phase;
    this.notify();
  }

  require(): VaultSession {
    if (this.open === null && this.restrictedOpen !== null) {
      throw new VaultError('E_NOT_ALLOWED', `Your role (${this.restrictedOpen.role}) does not open patient data; its key slot holds no key for it.`);
    }
    if (this.open === null) throw new VaultError('E_LOCKED', 'The vault is locked: unlock it first.');
    return this.open;
  }

  requireAdmin(): VaultSession {
    const s = this.require();
    if (s.operator.role !== 'admin') throw new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.');
    return s;
  }
}
