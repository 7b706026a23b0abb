import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import type { Keyring, KeyringOperator } from '../../shared/ipc/vault-contract';
import { withBytes } from './intake-bytes';
import { appendMindEvent } from './mind-events';
import {
  buildFirstKeyring,
  keychainSlotOf,
  passphraseSlotOf,
  recoverySlotOf,
  withKeychainSlot,
  withNewOperator,
  withNewPassphrase,
  withOperatorDisabled,
  withoutKeychainSlot,
  type SlotParams,
} from './keyring/keyring-edits';
import { keyringIntact } from './keyring/keyring-integrity';
import { checkNewPassphrase } from './keyring/passphrase-rules';
import { IdleLock, type IdleClock } from './session/idle-lock';
import { asVaultError, tamperedKeyring } from './vault-errors';
import {
  VaultError,
  type IndexingState,
  type OperatorSummary,
  type RawMessage,
  type SyncProgress,
  type VaultPhase,
  type VaultService,
} from './vault-service';
import {
  concatBytes,
  createOpener,
  createSealer,
  deriveOperatorId,
  deriveVaultKeys,
  fromBase64Url,
  generateMasterSecret,
  KeySlotError,
  parseRecoveryKey,
  randomBytes,
  toBase64Url,
  unwrapSlot,
  type Opener,
  type Sealer,
  type VaultKeys,
} from './vault-crypto';
import {
  MIND_KINDS,
  type AccessMeta,
  type AutoUnlockMeta,
  type AutoUnlockSettingMeta,
  type ErasureMeta,
  type OperatorChangedMeta,
} from './views/journal-payloads';
import { deletePatientRows, patientTables, replayJournal, ReplayAborted } from './views/journal-replay';
import { searchPatientIds } from './views/keyword-search';
import { TokenCache } from './views/token-cache';
import { mergedInto, messageOfRecord, patientDetail, patientHits, quarantineEntries, quarantineEntry, recordRow, resolvePatientId, resolveSearchIds } from './views/view-reads';
import { deleteVaultDb, openVaultDb, recordsOfPatient, type IndexedDbDeps, type VaultDb } from './views/vault-db';
import { createLedgerService, type FullLedgerService } from '../ledger/create-ledger-service';
import { deriveNodeWallet } from '../ledger/node-identity-key';
import { SessionLedger, type LedgerOptions } from '../ledger/session-ledger';

/**
 * The real VaultService (design §2–3): keys and unlock, operators, the Dexie views replayed from
 * the journal, blind keyword search, audited reads, demo import, erasure and backup. The UI
 * programs against vault-service.ts; this file composes the pieces under keyring/, session/ and
 * views/.
 *
 * Secrets: the master secret and the derived CryptoKeys live only in the session object, which
 * exists only while unlocked; lock() zeroes the master bytes, clears the token memo, closes the
 * views and drops every reference. Nothing secret goes to IndexedDB, localStorage or the body.
 *
 * Auto-lock minutes are stored in the views' `meta` table of the vault (not secret; per vault
 * and per browser profile, so the Electron window and the shell each keep their own). The value
 * survives "Rebuild index" (it is carried over) but not the loss of the browser profile, where it
 * falls back to 15 minutes. The body's prefs would be the other home, but the contract has no
 * field for it, and the setting is read only after unlock anyway.
 *
 * Unlock automatically on this computer (design §3, Electron only): an admin's setAutoUnlock(true)
 * adds the vault's one keychain slot (the master wrapped under a random 32-byte key) for that
 * admin and hands the key to the body, which keeps it in the OS keychain (safeStorage). At startup
 * ready() asks the body for that entry and, if it opens the slot and the keyring's integrity tag
 * holds, opens the session as that operator and journals `vault.autoUnlock`. Any failure leaves
 * the vault locked without a word (a key that no longer opens its slot is cleared from the
 * keychain). Only startup unlocks this way: lock() and auto-lock stay locked until someone types
 * a passphrase (a reload of the window is a startup, though).
 */

export interface CreateVaultServiceOptions {
  readonly api: HdmsApi;
  readonly transport: Transport;
  readonly host: 'electron' | 'shell';
  /** Tests pass fake-indexeddb; the app uses the window's IndexedDB. */
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
  /** Tests only: PBKDF2 iterations for new passphrase slots. The app always uses 600,000. */
  readonly testOnlyPbkdf2Iterations?: number;
  /** Tests only: the auto-lock clock. */
  readonly clock?: IdleClock;
  /** The signed ledger's options (tests: batching rule, no verification at unlock). */
  readonly ledger?: LedgerOptions;
}

/** Added to VaultService (additive): lets startup wait for the first phase from the body. */
export interface VaultServiceWithReady extends VaultService {
  /** Resolves once the vault's phase is known (the first vault.status answer). */
  ready(): Promise<void>;
  /** The signed ledger of this vault (renderer/ledger): usable while unlocked. */
  readonly ledger: FullLedgerService;
}

export const DEFAULT_AUTO_LOCK_MINUTES = 15;
const AUTO_LOCK_KEY = 'autoLockMinutes';
/** Progress of a running replay reaches the listeners at most this often (busy flips at once). */
export const INDEXING_NOTIFY_MS = 250;
const IDLE: IndexingState = { busy: false, applied: 0 };
/** objects.read slices (its maximum is 4 MiB) and the largest raw message the viewer opens. */
const OBJECT_SLICE_BYTES = 4 * 1024 * 1024;
const MAX_RAW_OBJECT_BYTES = 64 * 1024 * 1024;

interface Session {
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
  /** Serializes replays and rebuilds. */
  queue: Promise<unknown>;
  autoQueued: boolean;
  unsubscribe: () => void;
  /** The session's signed ledger (identity key, writer, verification); null only while opening. */
  ledger: SessionLedger | null;
  /** The journal seq the views were last replayed to in this session. */
  replayedTo: number;
}

function summaryOf(operator: KeyringOperator): OperatorSummary {
  return { operatorId: operator.operatorId, name: operator.name, role: operator.role, disabled: operator.disabled };
}

const noop = (): void => undefined;

export function createVaultService(options: CreateVaultServiceOptions): VaultServiceWithReady {
  const { api, transport } = options;
  const idb: IndexedDbDeps = {
    ...(options.indexedDB === undefined ? {} : { indexedDB: options.indexedDB }),
    ...(options.IDBKeyRange === undefined ? {} : { IDBKeyRange: options.IDBKeyRange }),
  };
  const slotParams: SlotParams =
    options.testOnlyPbkdf2Iterations === undefined ? {} : { testOnlyIterations: options.testOnlyPbkdf2Iterations };

  let phase: VaultPhase = 'absent';
  let session: Session | null = null;
  let autoLockMinutes = DEFAULT_AUTO_LOCK_MINUTES;
  /**
   * Startup found the keychain without a usable entry (none, or a key that did not open): a
   * keychain slot still in the keyring opens nothing, so Settings shows auto-unlock as off and
   * switching it on again makes a fresh slot and key.
   */
  let keychainStale = false;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const idle = new IdleLock(() => lock(), options.clock);

  /**
   * Indexing (VaultService.indexing): busy while any replay or rebuild is queued or running (of
   * any session: one cut short by lock() still settles), and while restoreBackup holds it on
   * from before opening the session until its rebuild is done. `applied` is the running replay's own
   * count; it is published with the busy flips and at most every INDEXING_NOTIFY_MS in between.
   */
  let indexingHolds = 0;
  let appliedNow = 0;
  let indexingState: IndexingState = IDLE;
  let lastProgressNotice = 0;

  function publishIndexing(): void {
    const busy = indexingHolds > 0;
    const applied = busy ? appliedNow : 0;
    if (busy === indexingState.busy && applied === indexingState.applied) return;
    indexingState = busy ? { busy, applied } : IDLE;
    lastProgressNotice = performance.now();
    notify();
  }

  /** Marks the views busy until the returned `end` is called (once). */
  function beginIndexing(): () => void {
    if (indexingHolds === 0) appliedNow = 0;
    indexingHolds += 1;
    publishIndexing();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      indexingHolds -= 1;
      publishIndexing();
    };
  }

  function indexingProgress(progress: SyncProgress): void {
    appliedNow = progress.applied;
    if (performance.now() - lastProgressNotice >= INDEXING_NOTIFY_MS) publishIndexing();
  }

  const setPhase = (next: VaultPhase): void => {
    if (next === phase) return;
    phase = next;
    notify();
  };

  // The body knows absent/locked; unlocked is the mind's own state and wins while a session exists.
  // An existing vault may then open itself through the OS keychain (autoUnlockAtStartup).
  const ready: Promise<void> = api.vault.status({}).then(
    async (status) => {
      if (session !== null) return;
      setPhase(status.state === 'absent' ? 'absent' : 'locked');
      if (status.state !== 'absent') await autoUnlockAtStartup();
    },
    noop,
  );
  transport.subscribe('vault.changed', (status) => {
    if (session === null) setPhase(status.state === 'absent' ? 'absent' : 'locked');
  });

  // ----------------------------------------------------------------------------------------------
  // Session

  function requireSession(): Session {
    if (session === null) throw new VaultError('E_LOCKED', 'The vault is locked: unlock it first.');
    return session;
  }

  function requireAdmin(): Session {
    const s = requireSession();
    if (s.operator.role !== 'admin') throw new VaultError('E_NOT_ALLOWED', 'Only an administrator may do this.');
    return s;
  }

  function sealerOf(s: Session): Promise<Sealer> {
    s.sealer ??= createSealer(s.keys.intakeKeyPair.publicKeyRaw);
    return s.sealer;
  }

  async function loadAutoLock(db: VaultDb): Promise<number> {
    const row = await db.meta.get(AUTO_LOCK_KEY);
    return typeof row?.value === 'number' && Number.isFinite(row.value) && row.value >= 0 ? row.value : DEFAULT_AUTO_LOCK_MINUTES;
  }

  /** Enters the unlocked state with a verified keyring and the master it opened with (copied). */
  async function openSession(
    master: Uint8Array,
    keyring: Keyring,
    operator: KeyringOperator,
    keys?: VaultKeys,
    { autoSync = true }: { readonly autoSync?: boolean } = {},
  ): Promise<Session> {
    if (session !== null) lock();
    const vaultKeys = keys ?? (await deriveVaultKeys(master));
    const actor = await deriveOperatorId(vaultKeys.ledgerKey, operator.operatorId);
    const wallet = await deriveNodeWallet(master);
    const db = openVaultDb(keyring.vaultId, idb);
    await db.open();
    autoLockMinutes = await loadAutoLock(db);
    const s: Session = {
      master: master.slice(),
      keys: vaultKeys,
      keyring,
      operator,
      actor,
      opener: createOpener(vaultKeys.intakeKeyPair.privateKey),
      sealer: undefined,
      db,
      tokens: new TokenCache(vaultKeys.indexKey),
      queue: Promise.resolve(),
      autoQueued: false,
      unsubscribe: noop,
      ledger: null,
      replayedTo: 0,
    };
    s.ledger = new SessionLedger(ledgerPortOf(s), wallet, options.ledger ?? {}, notifyLedger);
    // Records the views hold already (the ledger's own entries, replayed in its task) need no sync.
    s.unsubscribe = transport.subscribe('journal.appended', ({ lastSeq }) => {
      if (lastSeq > s.replayedTo) scheduleAutoSync(s);
    });
    session = s;
    idle.start(autoLockMinutes);
    // Busy before the UI hears of the unlock, so it never takes the views for complete meanwhile.
    if (autoSync) scheduleAutoSync(s);
    phase = 'unlocked';
    notify();
    return s;
  }

  function lock(): void {
    const s = session;
    if (s === null) return;
    session = null;
    idle.stop();
    s.unsubscribe();
    s.ledger?.close();
    s.master.fill(0);
    s.tokens.clear();
    s.db.close();
    autoLockMinutes = DEFAULT_AUTO_LOCK_MINUTES;
    phase = 'locked';
    notify();
  }

  // ----------------------------------------------------------------------------------------------
  // Replay

  function replayOnce(s: Session, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    appliedNow = 0;
    return replayViews(s, onProgress).then(async (progress) => {
      // The ledger signs what the replayed journal calls for (never throws; see SessionLedger).
      if (session === s) await s.ledger?.afterReplay();
      return progress;
    });
  }

  /** The views' replay alone; notes how far the views are (journal.appended up to there needs no sync). */
  async function replayViews(s: Session, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    const progress = await replayJournal(
      { api, db: s.db, keys: s.keys, opener: s.opener, tokens: s.tokens, isCurrent: () => session === s },
      (step) => {
        indexingProgress(step);
        onProgress?.(step);
      },
    );
    s.replayedTo = Math.max(s.replayedTo, progress.cursor);
    return progress;
  }

  // ----------------------------------------------------------------------------------------------
  // Ledger (renderer/ledger): the session lends it the views, keys and journal; nothing more.

  const ledgerListeners = new Set<() => void>();
  function notifyLedger(): void {
    for (const listener of [...ledgerListeners]) listener();
  }
  let appVersion: Promise<string> | null = null;
  const ledgerService = createLedgerService(
    {
      current: () => session?.ledger ?? null,
      appVersion: () => {
        appVersion ??= api.app.info({}).then(
          (info) => info.version,
          () => {
            appVersion = null;
            return 'unknown';
          },
        );
        return appVersion;
      },
    },
    ledgerListeners,
  );

  function ledgerPortOf(s: Session): ConstructorParameters<typeof SessionLedger>[0] {
    return {
      api,
      db: () => s.db,
      ledgerKey: s.keys.ledgerKey,
      opener: s.opener,
      sealer: () => sealerOf(s),
      actor: s.actor,
      isAdmin: () => s.operator.role === 'admin',
      operators: () => s.keyring.operators.map((o) => ({ operatorId: o.operatorId, name: o.name })),
      intakePublicKey: s.keyring.intakePublicKey,
      isCurrent: () => session === s,
      sync: () => runSync(s).then(noop),
      replayNow: () => replayViews(s).then(noop),
      requestSync: () => {
        if (session === s) scheduleAutoSync(s);
      },
      appendEvent: (kind, meta) => sealerOf(s).then((sealer) => appendMindEvent(api, sealer, { kind, operator: s.actor, meta })),
    };
  }

  /** Runs `task` after every queued replay or rebuild of the session. */
  function enqueue<T>(s: Session, task: () => Promise<T>): Promise<T> {
    const run = s.queue.then(task);
    s.queue = run.then(noop, noop);
    return run;
  }

  /** enqueue() for a replay or rebuild: the views count as busy from now until it settles. */
  function enqueueIndexing<T>(s: Session, task: () => Promise<T>): Promise<T> {
    const end = beginIndexing();
    const run = enqueue(s, task);
    run.then(end, end);
    return run;
  }

  function scheduleAutoSync(s: Session): void {
    if (s.autoQueued) return;
    s.autoQueued = true;
    enqueueIndexing(s, () => {
      s.autoQueued = false;
      return replayOnce(s);
    }).catch(noop); // a locked vault or a failing page: the next sync (explicit or on the next append) retries
  }

  async function runSync(s: Session, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    try {
      return await enqueueIndexing(s, () => replayOnce(s, onProgress));
    } catch (error) {
      throw asVaultError(error);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Keyring

  async function currentKeyring(): Promise<Keyring | null> {
    try {
      return (await api.vault.keyring({})).keyring;
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** Re-reads the keyring, checks it, applies `edit`, stores revision + 1 (unless `edit` answers null: nothing to change). */
  async function changeKeyring(s: Session, edit: (keyring: Keyring) => Promise<Keyring | null>): Promise<Keyring> {
    const fresh = await currentKeyring();
    if (fresh === null) throw new VaultError('E_NODE', 'The node no longer has a vault keyring.');
    if (fresh.vaultId !== s.keyring.vaultId || !(await keyringIntact(s.master, fresh))) throw tamperedKeyring();
    const edited = await edit(fresh);
    if (edited === null) {
      if (session === s) {
        s.keyring = fresh;
        notify();
      }
      return fresh;
    }
    const next = edited;
    try {
      await api.vault.updateKeyring({ keyring: next, expectedRevision: fresh.revision });
    } catch (error) {
      throw asVaultError(error);
    }
    if (session === s) {
      s.keyring = next;
      const me = next.operators.find((o) => o.operatorId === s.operator.operatorId);
      if (me !== undefined) s.operator = me;
      notify();
    }
    return next;
  }

  async function journalOperatorChange(s: Session, target: KeyringOperator, action: OperatorChangedMeta['action']): Promise<void> {
    const meta: OperatorChangedMeta = { v: 1, action, subject: await deriveOperatorId(s.keys.ledgerKey, target.operatorId), role: target.role };
    try {
      await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.operatorChanged, operator: s.actor, meta });
    } catch (error) {
      throw asVaultError(error);
    }
  }

  function findOperator(keyring: Keyring, operatorId: string): KeyringOperator {
    const operator = keyring.operators.find((o) => o.operatorId === operatorId);
    if (operator === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'No such operator in this vault.');
    return operator;
  }

  async function throttleCheck(operatorId: string): Promise<void> {
    let retryAfterMs: number;
    try {
      ({ retryAfterMs } = await api.vault.unlockThrottle({ operatorId }));
    } catch (error) {
      throw asVaultError(error);
    }
    if (retryAfterMs > 0) {
      throw new VaultError('E_THROTTLED', `Too many wrong attempts: try again in ${Math.ceil(retryAfterMs / 1000)} s.`, retryAfterMs);
    }
  }

  /** Tells the body how the attempt went; a wrong secret becomes E_WRONG_PASSPHRASE with the new delay. */
  async function reportFailure(operatorId: string, message: string): Promise<never> {
    let retryAfterMs = 0;
    try {
      ({ retryAfterMs } = await api.vault.reportUnlock({ operatorId, ok: false }));
    } catch {
      // The attempt failed either way; the delay is advisory for the form.
    }
    throw new VaultError('E_WRONG_PASSPHRASE', message, retryAfterMs);
  }

  /** Master from a slot; a wrong secret is reported and thrown as E_WRONG_PASSPHRASE. */
  async function openSlot(operatorId: string, slot: unknown, secret: string | Uint8Array, wrongMessage: string): Promise<Uint8Array> {
    try {
      return await unwrapSlot(slot, secret);
    } catch (error) {
      if (error instanceof KeySlotError && error.code === 'E_WRONG_SECRET') return reportFailure(operatorId, wrongMessage);
      throw asVaultError(error);
    }
  }

  async function verified(master: Uint8Array, keyring: Keyring): Promise<void> {
    if (!(await keyringIntact(master, keyring))) {
      master.fill(0);
      throw tamperedKeyring();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // The service

  const service: VaultServiceWithReady = {
    ready: () => ready,
    ledger: ledgerService,
    phase: () => phase,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    currentOperator: () => (session === null ? null : summaryOf(session.operator)),
    indexing: () => indexingState,

    async create(input) {
      const status = await api.vault.status({}).catch((error: unknown) => {
        throw asVaultError(error);
      });
      if (status.state !== 'absent' || session !== null) throw new VaultError('E_EXISTS', 'A vault exists already in this data folder.');
      const name = input.operatorName.trim();
      if (name === '') throw new VaultError('E_NOT_ALLOWED', 'The first operator needs a name.');
      checkNewPassphrase(input.passphrase, [name]);
      const master = generateMasterSecret();
      try {
        const keys = await deriveVaultKeys(master);
        const { keyring, recoveryKey, adminId } = await buildFirstKeyring({ master, keys, operatorName: name, passphrase: input.passphrase, params: slotParams });
        try {
          await api.vault.create({ keyring });
        } catch (error) {
          throw asVaultError(error);
        }
        const s = await openSession(master, keyring, findOperator(keyring, adminId), keys);
        await journalOperatorChange(s, s.operator, 'created');
        if (input.autoUnlock !== true) return { recoveryKey, autoUnlock: false };
        // The vault exists now and its recovery key must reach the screen: a keychain that refuses
        // leaves auto-unlock off (Settings › Security can try again) rather than failing create.
        const autoUnlock = await service.setAutoUnlock(true).then(
          () => true,
          () => false,
        );
        return { recoveryKey, autoUnlock };
      } finally {
        master.fill(0);
      }
    },

    async operators() {
      const keyring = await currentKeyring();
      return keyring === null ? [] : keyring.operators.map(summaryOf);
    },

    async unlock(input) {
      const keyring = await currentKeyring();
      if (keyring === null) throw new VaultError('E_NODE', 'There is no vault in this data folder yet.');
      const operator = findOperator(keyring, input.operatorId);
      if (operator.disabled) throw new VaultError('E_OPERATOR_DISABLED', 'This operator account is disabled; an administrator can enable it.');
      await throttleCheck(operator.operatorId);
      const slot = passphraseSlotOf(keyring, operator.operatorId);
      if (slot === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'This operator has no passphrase; use the recovery key.');
      const master = await openSlot(operator.operatorId, slot, input.passphrase, 'The passphrase is wrong.');
      try {
        await verified(master, keyring);
        await api.vault.reportUnlock({ operatorId: operator.operatorId, ok: true }).catch(noop);
        await openSession(master, keyring, operator);
      } finally {
        master.fill(0);
      }
    },

    async recover(input) {
      const keyring = await currentKeyring();
      if (keyring === null) throw new VaultError('E_NODE', 'There is no vault in this data folder yet.');
      const operator = findOperator(keyring, input.operatorId);
      if (operator.disabled) throw new VaultError('E_OPERATOR_DISABLED', 'This operator account is disabled; an administrator can enable it.');
      const recoveryKey = await parseRecoveryKey(input.recoveryKey).catch((error: unknown) => {
        throw asVaultError(error);
      });
      try {
        checkNewPassphrase(input.newPassphrase, [operator.name]);
        // Not throttled: the recovery key is 256 random bits (no guessing to slow down), and it is
        // what an operator locked out by wrong passphrases reaches for.
        const slot = recoverySlotOf(keyring);
        if (slot === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'This vault has no recovery key slot.');
        const master = await unwrapSlot(slot, recoveryKey).catch((error: unknown) => {
          throw asVaultError(error);
        });
        try {
          await verified(master, keyring);
          await api.vault.reportUnlock({ operatorId: operator.operatorId, ok: true }).catch(noop);
          const s = await openSession(master, keyring, operator);
          await changeKeyring(s, (fresh) => withNewPassphrase(s.master, fresh, operator.operatorId, input.newPassphrase, slotParams));
          await journalOperatorChange(s, operator, 'recovered');
        } finally {
          master.fill(0);
        }
      } finally {
        recoveryKey.fill(0);
      }
    },

    lock,

    async changePassphrase(input) {
      const s = requireSession();
      const slot = passphraseSlotOf(s.keyring, s.operator.operatorId);
      if (slot === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'This operator has no passphrase slot.');
      try {
        (await unwrapSlot(slot, input.current)).fill(0);
      } catch (error) {
        throw asVaultError(error);
      }
      checkNewPassphrase(input.next, [s.operator.name]);
      await changeKeyring(s, (fresh) => withNewPassphrase(s.master, fresh, s.operator.operatorId, input.next, slotParams));
      await journalOperatorChange(s, s.operator, 'passphrase-changed');
    },

    autoLockMinutes: () => autoLockMinutes,

    async setAutoLockMinutes(minutes) {
      const s = requireSession();
      if (!Number.isFinite(minutes) || minutes < 0 || minutes > 24 * 60) throw new VaultError('E_NOT_ALLOWED', 'Auto-lock is 0 (never) to 1440 minutes.');
      await s.db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
      autoLockMinutes = minutes;
      idle.setMinutes(minutes);
      notify();
    },

    noteActivity() {
      idle.noteActivity();
    },

    autoUnlockAvailable: keychainAvailable,

    autoUnlockEnabled: () => !keychainStale && session !== null && keychainSlotOf(session.keyring, session.operator.operatorId) !== undefined,

    async setAutoUnlock(enabled) {
      // Admins only, both ways: it decides whether this workstation opens the vault with nobody present.
      const s = requireAdmin();
      if (enabled) {
        if (!(await keychainAvailable())) {
          throw new VaultError('E_NODE', 'This host has no OS keychain; the browser shell always asks for a passphrase.');
        }
        const kek = randomBytes(32);
        try {
          await changeKeyring(s, (fresh) => withKeychainSlot(s.master, fresh, s.operator.operatorId, kek));
          try {
            await api.vault.keychainStore({ operatorId: s.operator.operatorId, key: toBase64Url(kek) });
          } catch (error) {
            // A slot whose key no keychain holds opens nothing; take it out again.
            await changeKeyring(s, (fresh) => dropKeychainSlot(s, fresh)).catch(noop);
            throw asVaultError(error);
          }
        } finally {
          kek.fill(0);
        }
      } else {
        // The slot goes first: once it is out of the keyring, the kept key opens nothing.
        await changeKeyring(s, (fresh) => dropKeychainSlot(s, fresh));
        await clearKeychain();
      }
      keychainStale = false;
      notify();
      const meta: AutoUnlockSettingMeta = { v: 1, enabled };
      try {
        await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.autoUnlockSetting, operator: s.actor, meta });
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async addOperator(input) {
      const s = requireAdmin();
      const name = input.name.trim();
      if (name === '') throw new VaultError('E_NOT_ALLOWED', 'An operator needs a name.');
      if (s.keyring.operators.some((o) => o.name.toLowerCase() === name.toLowerCase())) {
        throw new VaultError('E_EXISTS', 'An operator with this name exists already.');
      }
      checkNewPassphrase(input.passphrase, [name]);
      let added: KeyringOperator | undefined;
      await changeKeyring(s, async (fresh) => {
        const result = await withNewOperator(s.master, fresh, { name, role: input.role, passphrase: input.passphrase }, slotParams);
        added = result.operator;
        return result.keyring;
      });
      await journalOperatorChange(s, added!, 'added');
      return summaryOf(added!);
    },

    async setOperatorDisabled(operatorId, disabled) {
      const s = requireAdmin();
      if (operatorId === s.operator.operatorId && disabled) {
        throw new VaultError('E_NOT_ALLOWED', 'You cannot disable your own account; another administrator can.');
      }
      const target = findOperator(s.keyring, operatorId);
      await changeKeyring(s, (fresh) => withOperatorDisabled(s.master, fresh, operatorId, disabled));
      await journalOperatorChange(s, target, disabled ? 'disabled' : 'enabled');
    },

    async resetOperatorPassphrase(operatorId, passphrase) {
      const s = requireAdmin();
      const target = findOperator(s.keyring, operatorId);
      checkNewPassphrase(passphrase, [target.name]);
      await changeKeyring(s, (fresh) => withNewPassphrase(s.master, fresh, operatorId, passphrase, slotParams));
      await journalOperatorChange(s, target, 'passphrase-reset');
    },

    async importDemoData(patients, onProgress) {
      const s = requireSession();
      const unsubscribe = transport.subscribe('demo.progress', (progress) => onProgress?.(progress.patients, progress.total));
      let result: { messages: number; patients: number };
      try {
        result = await api.demo.import({ patients });
      } catch (error) {
        throw asVaultError(error);
      } finally {
        unsubscribe();
      }
      onProgress?.(result.patients, patients);
      if (session === s) await runSync(s);
      return { messages: result.messages, patients: result.patients };
    },

    sync(onProgress) {
      let s: Session;
      try {
        s = requireSession();
      } catch (error) {
        return Promise.reject(error);
      }
      return runSync(s, onProgress);
    },

    async rebuildIndex(onProgress) {
      const s = requireSession();
      try {
        return await enqueueIndexing(s, async () => {
          const minutes = autoLockMinutes;
          s.db.close();
          await deleteVaultDb(s.keyring.vaultId, idb);
          if (session !== s) throw new ReplayAborted();
          s.db = openVaultDb(s.keyring.vaultId, idb);
          await s.db.open();
          await s.db.meta.put({ key: AUTO_LOCK_KEY, value: minutes });
          return replayOnce(s, onProgress);
        });
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async search(query) {
      const s = requireSession();
      const started = performance.now();
      try {
        const found = await searchPatientIds(s.db, s.keys.indexKey, query);
        // Merged patients (HL7 A40/A18) answer as their survivor; the whole list leaves them out.
        const patientIds = await resolveSearchIds(s.db, found, query.trim() === '');
        return { patientIds, tookMs: performance.now() - started };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientHits(patientIds) {
      const s = requireSession();
      try {
        return await patientHits(s.db, s.keys.viewKey, patientIds);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openPatient(patientId) {
      const s = requireSession();
      try {
        // The access is durable in the journal before the page shows; decryption overlaps the append.
        // A merged patient opens as its survivor: the access is the survivor's.
        const shown = await resolvePatientId(s.db, patientId);
        const [detail] = await Promise.all([patientDetail(s.db, s.keys.viewKey, patientId), journalAccess(s, shown, null)]);
        return detail;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openRecord(recordId) {
      const s = requireSession();
      try {
        const row = await recordRow(s.db, s.keys.viewKey, recordId);
        await journalAccess(s, row.patientId, recordId);
        return row;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async erasePatient(patientId) {
      const s = requireAdmin();
      try {
        // Index everything first, so every message of the patient is among its message rows.
        await runSync(s);
        // The patients merged into this one are the same person: their rows go too, one ERASURE each.
        const members = [patientId, ...(await mergedInto(s.db, patientId))];
        for (const member of members) {
          const [messages, patient] = await Promise.all([recordsOfPatient(s.db, member).toArray(), s.db.patients.get(member)]);
          if (patient === undefined && messages.length === 0) {
            if (member === patientId) throw new VaultError('E_NODE', 'No such patient in this vault.');
            continue;
          }
          const seqs = messages.map((message) => message.seq);
          const objects = [...new Set(messages.flatMap((message) => message.objectIds))];
          const records = messages.reduce((sum, message) => sum + message.count, 0);
          const erased = await api.vault.erase({ seqs, objects });
          await enqueue(s, () =>
            s.db.transaction('rw', patientTables(s.db), () => deletePatientRows(s.db, member)),
          );
          const meta: ErasureMeta = { v: 1, patientId: member, messages: erased.erasedRecords, records, objects: erased.deletedObjects };
          await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.erasure, operator: s.actor, meta });
        }
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async quarantine() {
      const s = requireSession();
      try {
        return await quarantineEntries(s.db, s.keys.viewKey);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openQuarantinedRaw(seq) {
      const s = requireSession();
      try {
        const entry = await quarantineEntry(s.db, s.keys.viewKey, seq);
        if (entry.objectId === null) throw new VaultError('E_NODE', 'This quarantined input has no raw bytes in the vault.');
        const bytes = await openObject(s, entry.objectId);
        return { seq, objectId: entry.objectId, bytes, ...(entry.detail.charset === undefined ? {} : { charset: entry.detail.charset }) };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async reprocessQuarantined(seq, options = {}) {
      const s = requireSession();
      try {
        const entry = await quarantineEntry(s.db, s.keys.viewKey, seq);
        if (entry.objectId === null) throw new VaultError('E_NODE', 'This quarantined input has no raw bytes in the vault.');
        const bytes = await openObject(s, entry.objectId);
        const answer = await withBytes(api, [bytes], (carrier) =>
          api.intake.reprocess({
            quarantineSeq: seq,
            operator: s.actor,
            ...('upload' in carrier ? { upload: carrier.upload } : { raw: carrier.files[0]!.bytes }),
            ...(options.charset === undefined ? {} : { charset: options.charset }),
          }),
        );
        if (session === s) await runSync(s);
        return { resolved: answer.resolved, results: answer.results };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async discardQuarantined(seq) {
      const s = requireSession();
      try {
        await api.intake.discard({ quarantineSeq: seq, operator: s.actor });
        if (session === s) await runSync(s);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openRecordRaw(recordId) {
      const s = requireSession();
      try {
        const { row } = await messageOfRecord(s.db, s.keys.viewKey, recordId);
        const objectId = row.objectIds[0];
        if (objectId === undefined) throw new VaultError('E_NODE', 'This record has no raw message in the vault.');
        const [bytes] = await Promise.all([openObject(s, objectId), journalAccess(s, await resolvePatientId(s.db, row.patientId), recordId)]);
        return { seq: row.seq, objectId, bytes } satisfies RawMessage;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async exportBackup() {
      const s = requireSession();
      try {
        const written = await api.backup.export({});
        await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.backupExported, operator: s.actor, meta: { v: 1, bytes: written.bytes } });
        return written;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async restoreBackup(input) {
      const status = await api.vault.status({}).catch((error: unknown) => {
        throw asVaultError(error);
      });
      if (status.state !== 'absent' || session !== null) throw new VaultError('E_EXISTS', 'A vault exists already in this data folder: restore into an empty one.');
      let inspected: Awaited<ReturnType<HdmsApi['backup']['inspect']>>;
      try {
        inspected = await api.backup.inspect({ path: input.path });
      } catch (error) {
        throw asVaultError(error, 'E_BACKUP');
      }
      const { keyring } = inspected;
      const { master, operator } = await openBackupKeyring(keyring, input.operatorName, input.secret);
      try {
        if (!(await keyringIntact(master, keyring))) throw new VaultError('E_BACKUP', 'The backup keyring failed its integrity check.');
        const keys = await deriveVaultKeys(master);
        let dataKey: Uint8Array;
        try {
          dataKey = await createOpener(keys.intakeKeyPair.privateKey).exportDataKey(fromBase64Url(inspected.envelopeHeader));
        } catch {
          throw new VaultError('E_BACKUP', 'The backup file was not sealed to this keyring’s vault key.');
        }
        try {
          await api.backup.restore({ path: input.path, dataKey: toBase64Url(dataKey) });
        } catch (error) {
          throw asVaultError(error, 'E_BACKUP');
        } finally {
          dataKey.fill(0);
        }
        // Busy before the session opens and until the rebuild is done: the UI must never take the
        // unlocked, still empty views for an empty vault. The session skips its own first sync
        // (the rebuild replays everything anyway).
        const endIndexing = beginIndexing();
        try {
          await openSession(master, keyring, operator, keys, { autoSync: false });
          await service.rebuildIndex();
        } finally {
          endIndexing();
        }
      } finally {
        master.fill(0);
      }
    },
  };

  /** The keyring without its keychain slot, or null when it has none (nothing to store). */
  function dropKeychainSlot(s: Session, keyring: Keyring): Promise<Keyring | null> {
    return keychainSlotOf(keyring) === undefined ? Promise.resolve(null) : withoutKeychainSlot(s.master, keyring);
  }

  async function keychainAvailable(): Promise<boolean> {
    try {
      return (await api.vault.keychainStatus({})).available;
    } catch {
      return false; // an older body, or a transport hiccup: no auto-unlock offered
    }
  }

  async function clearKeychain(): Promise<void> {
    try {
      await api.vault.keychainClear({});
    } catch {
      // No keychain now (Linux keyring gone): its entry cannot open a slot that is no longer there.
    }
  }

  /**
   * Startup: opens the vault through the OS keychain entry, if there is one that opens its
   * operator's keychain slot and the keyring's integrity holds. Never throws and reports nothing:
   * any failure leaves the vault locked for a passphrase. A key that does not open its slot (or
   * an entry whose slot is gone) is cleared, since it never will.
   */
  async function autoUnlockAtStartup(): Promise<void> {
    try {
      if (!(await keychainAvailable())) return;
      const { entry } = await api.vault.keychainLoad({});
      if (entry === null) keychainStale = true;
      if (entry === null || session !== null) return;
      const keyring = await currentKeyring();
      if (keyring === null) return;
      const operator = keyring.operators.find((o) => o.operatorId === entry.operatorId);
      const slot = keychainSlotOf(keyring, entry.operatorId);
      if (operator === undefined || slot === undefined) {
        keychainStale = true;
        await clearKeychain();
        return;
      }
      if (operator.disabled) return;
      const kek = fromBase64Url(entry.key);
      let master: Uint8Array;
      try {
        master = await unwrapSlot(slot, kek);
      } catch {
        keychainStale = true;
        await clearKeychain();
        return;
      } finally {
        kek.fill(0);
      }
      try {
        if (!(await keyringIntact(master, keyring)) || session !== null) return;
        const s = await openSession(master, keyring, operator);
        const meta: AutoUnlockMeta = { v: 1, at: new Date().toISOString() };
        try {
          await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.autoUnlock, operator: s.actor, meta });
        } catch {
          // An unattended unlock that the journal does not record does not stay open.
          if (session === s) lock();
        }
      } finally {
        master.fill(0);
      }
    } catch {
      // Stay locked: the unlock screen asks for a passphrase as usual.
    }
  }

  /** Reads a sealed object in slices and opens it with the intake private key (raw HL7 messages are small). */
  async function openObject(s: Session, objectId: string): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const slice = await api.objects.read({ id: objectId, offset, length: OBJECT_SLICE_BYTES });
      const bytes = fromBase64Url(slice.bytes);
      parts.push(bytes);
      offset += bytes.length;
      if (offset >= slice.size || bytes.length === 0) break;
      if (offset > MAX_RAW_OBJECT_BYTES) throw new VaultError('E_NODE', 'This object is too large to show as a message.');
    }
    const sealed = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    const opened = await s.opener.open(sealed);
    return opened.plaintext;
  }

  async function journalAccess(s: Session, patientId: string, recordId: string | null): Promise<void> {
    const meta: AccessMeta = { v: 1, patientId, recordId, at: new Date().toISOString() };
    await appendMindEvent(api, await sealerOf(s), { kind: MIND_KINDS.access, operator: s.actor, meta });
  }

  /**
   * The master of a backup's keyring: with a passphrase, each enabled operator's passphrase slot
   * (only those named `operatorName`, when given) until one opens; with the recovery key, the
   * recovery slot, and the session's operator is the one named, else the first enabled admin.
   */
  async function openBackupKeyring(
    keyring: Keyring,
    operatorName: string | undefined,
    secret: { readonly passphrase: string } | { readonly recoveryKey: string },
  ): Promise<{ master: Uint8Array; operator: KeyringOperator }> {
    const wanted = operatorName?.trim().toLowerCase();
    const named = keyring.operators.filter((o) => !o.disabled && (wanted === undefined || wanted === '' || o.name.toLowerCase() === wanted));
    if (named.length === 0) throw new VaultError('E_BACKUP', 'No enabled operator of that name in the backup.');
    if ('passphrase' in secret) {
      for (const operator of named) {
        const slot = passphraseSlotOf(keyring, operator.operatorId);
        if (slot === undefined) continue;
        try {
          return { master: await unwrapSlot(slot, secret.passphrase), operator };
        } catch (error) {
          if (!(error instanceof KeySlotError)) throw asVaultError(error, 'E_BACKUP');
        }
      }
      throw new VaultError('E_BACKUP', 'The backup does not open with that passphrase.');
    }
    const key = await parseRecoveryKey(secret.recoveryKey).catch((error: unknown) => {
      throw asVaultError(error);
    });
    try {
      const slot = recoverySlotOf(keyring);
      if (slot === undefined) throw new VaultError('E_BACKUP', 'The backup has no recovery key slot.');
      const master = await unwrapSlot(slot, key).catch(() => {
        throw new VaultError('E_BACKUP', 'The backup does not open with that recovery key.');
      });
      const operator = wanted === undefined || wanted === '' ? (named.find((o) => o.role === 'admin') ?? named[0]!) : named[0]!;
      return { master, operator };
    } finally {
      key.fill(0);
    }
  }

  return service;
}

