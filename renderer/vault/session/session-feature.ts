import type { Wallet } from 'ethers';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Opener, Sealer } from '../vault-crypto';
import type { VaultDb } from '../views/vault-db';
import type { RoleOfAccount } from '../operator-change-rule';
import { VaultError } from '../vault-service';

/**
 * How a feature of the mind (the ledger today; the network and the marketplace next) joins an
 * unlocked session without the session code knowing it. The vault service is composed with a list
 * of features; for every session it:
 *
 *   1. opens each feature once the session is open (keys derived, views opened), before the first
 *      replay, handing it a SessionPort: the contract namespaces it declared, the keys it may use
 *      and the session's replay and journal hooks; nothing else of the session;
 *   2. calls `afterReplay()` at the end of every replay of the views, inside the replay queue, in
 *      the order the features were listed (the views are current then);
 *   3. calls `close()` when the session ends (lock, auto-lock, another unlock); the port's
 *      isCurrent() answers false from then on.
 */
export interface SessionFeature<N extends keyof HdmsApi = keyof HdmsApi> {
  /** For messages and tests: which feature this is ("ledger"). */
  readonly name: string;
  /** The contract namespaces the feature calls; its port's `api` holds exactly these. */
  readonly namespaces: readonly N[];
  open(port: SessionPort<N>): OpenSessionFeature;
}

/** A feature while one session is open. */
export interface OpenSessionFeature {
  /** Runs after each replay of the views, inside the replay queue; should not throw (a throw fails that sync). */
  afterReplay?(): Promise<void>;
  /** The session is over: stop timers, drop references. */
  close(): void;
}

/** What a session lends a feature. */
export interface SessionPort<N extends keyof HdmsApi = keyof HdmsApi> {
  readonly api: Pick<HdmsApi, N>;
  /** The views (read what you need; the feature's own tables are written by its journal projector). */
  db(): VaultDb;
  /** AES key of the view rows: for a feature reading the rows its own projector wrote (relay messages). */
  readonly viewKey: CryptoKey;
  /** HMAC key of the blind index: for a feature that searches the views (a research query). */
  readonly indexKey: CryptoKey;
  /** HMAC key for pseudonyms (patients, operators) that leave the vault: ledger subjects, network ids. */
  readonly ledgerKey: CryptoKey;
  /** AES key of the subject directory (names behind ledger pseudonyms, vault-db.ts DirectoryRow). */
  readonly directoryKey: CryptoKey;
  /** HMAC key of the mind events' authenticator (renderer/vault/mind-events.ts), to check them. */
  readonly eventAuthKey: CryptoKey;
  /** The node's identity key (secp256k1; signs ledger entries and, later, network requests). */
  readonly identity: Wallet;
  /** The node's message public key (raw uncompressed P-256 point): what network members encrypt to. */
  readonly messagePublicKey: Uint8Array;
  /** Its private key (non-extractable): opens what was sealed to it outside the relay, a key keeper's released share. */
  readonly messagePrivateKey: CryptoKey;
  /** Opens sealed journal metas and objects (the intake private key). */
  readonly opener: Opener;
  sealer(): Promise<Sealer>;
  /** The acting operator's pseudonymous id (journal `operator`). */
  readonly actor: string;
  isAdmin(): boolean;
  /** The keyring's operators (local ids and names), e.g. to show names next to pseudonyms. */
  operators(): readonly { readonly operatorId: string; readonly name: string }[];
  /** The role the keyring gives an account id (the recovery key's holder: admin), null when it holds none (operator-change-rule.ts). */
  readonly roleOf: RoleOfAccount;
  /** The vault's intake public key as the keyring holds it (raw P-256 point, base64url). */
  readonly intakePublicKey: string;
  /** False once the session is over (lock, another unlock). */
  isCurrent(): boolean;
  /** Replays the journal into the views (afterReplay() runs at its end), serialized with all others. */
  sync(): Promise<void>;
  /**
   * Replays the views now, inside the replay task that is running (for afterReplay): records the
   * feature has just appended reach the views at once, and their journal.appended needs no other sync.
   */
  replayNow(): Promise<void>;
  /** Asks for a replay soon, without waiting (what a journal.appended event does). */
  requestSync(): void;
  /** Appends one of the mind's own events (sealed meta) as the acting operator; answers its seq. */
  appendEvent(kind: string, meta: unknown): Promise<number>;
}

/**
 * The port of the session a feature serves now: `open` keeps it, its `close` forgets it (unless a
 * newer session replaced it meanwhile), `get` answers it or E_LOCKED. What every feature that acts
 * for the UI between replays (joining, relay messages, research consent) needs the same way.
 */
export class CurrentPort<N extends keyof HdmsApi> {
  private port: SessionPort<N> | null = null;

  open(port: SessionPort<N>): OpenSessionFeature {
    this.port = port;
    return {
      close: () => {
        if (this.port === port) this.port = null;
      },
    };
  }

  get(): SessionPort<N> {
    const port = this.port;
    if (port === null || !port.isCurrent()) throw new VaultError('E_LOCKED', 'The vault is locked: unlock it first.');
    return port;
  }
}
