import type { Transport } from '../../../shared/ipc/api-client';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring, KeyringOperator } from '../../../shared/ipc/vault-contract';
import { deriveNodeWallet } from '../../ledger/node-identity-key';
import type { ViewIndexing } from '../indexing/view-indexing';
import { createOpener, deriveOperatorId, deriveVaultKeys, importDirectoryKey, type GrantSecrets, type VaultKeys } from '../vault-crypto';
import { TokenCache } from '../views/token-cache';
import { OpenedRows } from '../views/opened-rows';
import { openVaultDb, type IndexedDbDeps } from '../views/vault-db';
import { keyringRoles } from '../operator-change-rule';
import type { AutoLock } from './auto-lock';
import type { OpenSessionFeature, SessionFeature, SessionPort } from './session-feature';
import { appendSessionEvent, sealerOf, type SessionState, type VaultSession } from './vault-session';

const noop = (): void => undefined;

export interface SessionLifecycleDeps {
  readonly api: HdmsApi;
  readonly transport: Transport;
  readonly state: SessionState;
  readonly indexing: ViewIndexing;
  readonly autoLock: AutoLock;
  readonly idb: IndexedDbDeps;
  readonly features: readonly SessionFeature[];
}

/**
 * Opening and closing the unlocked session: the one place that derives the session's keys, opens
 * the views, opens and closes the session features, and subscribes to journal.appended.
 */
export class SessionLifecycle {
  constructor(private readonly deps: SessionLifecycleDeps) {}

  /** Enters the unlocked state with a verified keyring and the master it opened with (copied). */
  async open(
    master: Uint8Array,
    keyring: Keyring,
    operator: KeyringOperator,
    keys?: VaultKeys,
    { autoSync = true }: { readonly autoSync?: boolean } = {},
  ): Promise<VaultSession> {
    const { state, indexing, autoLock, transport } = this.deps;
    // A session open already is closed in the mind only: the body's session is the one just proven.
    if (state.signedIn) this.close();
    const vaultKeys = keys ?? (await deriveVaultKeys(master));
    const actor = await deriveOperatorId(vaultKeys.ledgerKey, operator.operatorId);
    const identity = await deriveNodeWallet(master);
    const db = openVaultDb(keyring.vaultId, this.deps.idb);
    await db.open();
    await autoLock.load(db);
    const s: VaultSession = {
      master: master.slice(),
      keys: vaultKeys,
      keyring,
      operator,
      actor,
      opener: createOpener(vaultKeys.intakeKeyPair.privateKey),
      sealer: undefined,
      db,
      tokens: new TokenCache(vaultKeys.indexKey),
      opened: new OpenedRows(),
      queue: Promise.resolve(),
      autoQueued: false,
      unsubscribe: noop,
      features: [],
      replayedTo: 0,
    };
    s.features = this.deps.features.map((feature) => this.openFeature(feature, s, identity));
    // Records the views hold already (a feature's own, replayed in its task) need no sync.
    const appended = transport.subscribe('journal.appended', ({ lastSeq }) => {
      if (lastSeq > s.replayedTo) indexing.scheduleAutoSync(s);
    });
    // Messages arriving: automatic replays take turns with the body (view-indexing.ts).
    const activity = transport.subscribe('hl7.activity', () => indexing.noteIntakeActivity());
    s.unsubscribe = () => {
      appended();
      activity();
    };
    state.enter(s);
    autoLock.arm();
    // Busy before the UI hears of the unlock, so it never takes the views for complete meanwhile.
    if (autoSync) indexing.scheduleAutoSync(s);
    state.announce('unlocked');
    return s;
  }

  /**
   * Enters the unlocked state as a researcher or auditor (their role slot's grant): the views'
   * database is opened for the ledger's view and the directory only; no replay, no session
   * features (they need the master's keys), no journal subscription.
   */
  async openRestricted(keyring: Keyring, operator: KeyringOperator & { readonly role: 'researcher' | 'auditor' }, grant: GrantSecrets): Promise<void> {
    const { state, autoLock } = this.deps;
    if (state.signedIn) this.close();
    const directoryKey = grant.grant === 'auditor' ? await importDirectoryKey(grant.directorySecret) : null;
    const db = openVaultDb(keyring.vaultId, this.deps.idb);
    await db.open();
    await autoLock.load(db);
    state.enterRestricted({ keyring, operator, role: operator.role, directoryKey, db });
    autoLock.arm();
    state.announce('unlocked');
  }

  /**
   * Locks: closes the mind's session and ends this connection's session with the body. `idle`:
   * the auto-lock after the idle minutes, journaled (and so ledgered) as such.
   */
  lock(idle = false): void {
    const wasOpen = this.deps.state.signedIn;
    // Before the phase changes: the unlock screen asks whom to preselect as soon as it shows.
    const operator = this.deps.state.operator;
    if (operator !== null) this.deps.state.noteLockedBy(operator.operatorId);
    this.close();
    if (wasOpen) this.deps.api.vault.lock(idle ? { idle: true } : {}).catch(noop);
  }

  /**
   * The body locked this connection's session itself (its idle lock, journaled there as an
   * auto-lock; it announced vault.sessionsEnded): when the body no longer knows the session, the
   * mind closes its own as after its auto-lock, without a vault.lock of its own (nothing is
   * journaled twice).
   */
  async closeIfEndedByBody(): Promise<void> {
    const { state, api } = this.deps;
    const before = state.restricted ?? (state.signedIn ? state.require() : null);
    if (before === null) return;
    const { session } = await api.vault.session({});
    const now = state.restricted ?? (state.signedIn ? state.require() : null);
    if (session !== null || now !== before) return;
    const operator = state.operator;
    if (operator !== null) state.noteLockedBy(operator.operatorId);
    this.close();
  }

  private close(): void {
    const { state, autoLock } = this.deps;
    const restricted = state.leaveRestricted();
    if (restricted !== null) {
      autoLock.stop();
      restricted.db.close();
      state.announce('locked');
    }
    const s = state.leave();
    if (s === null) return;
    autoLock.stop();
    s.unsubscribe();
    for (const feature of s.features) feature.close();
    s.master.fill(0);
    s.tokens.clear();
    s.opened.clear();
    s.db.close();
    state.announce('locked');
  }

  private openFeature(feature: SessionFeature, s: VaultSession, identity: SessionPort['identity']): OpenSessionFeature {
    const { api, state, indexing } = this.deps;
    const port: SessionPort = {
      api: pickNamespaces(api, feature.namespaces),
      db: () => s.db,
      viewKey: s.keys.viewKey,
      indexKey: s.keys.indexKey,
      ledgerKey: s.keys.ledgerKey,
      eventAuthKey: s.keys.eventAuthKey,
      directoryKey: s.keys.directoryKey,
      identity,
      messagePublicKey: s.keys.messageKeyPair.publicKeyRaw,
      messagePrivateKey: s.keys.messageKeyPair.privateKey,
      opener: s.opener,
      sealer: () => sealerOf(s),
      actor: s.actor,
      isAdmin: () => s.operator.role === 'admin',
      operators: () => s.keyring.operators.map((o) => ({ operatorId: o.operatorId, name: o.name })),
      roleOf: keyringRoles(() => s.keyring),
      intakePublicKey: s.keyring.intakePublicKey,
      isCurrent: () => state.isCurrent(s),
      sync: () => indexing.runSync(s).then(noop),
      replayNow: () => indexing.replayNow(s).then(noop),
      requestSync: () => {
        if (state.isCurrent(s)) indexing.scheduleAutoSync(s);
      },
      appendEvent: (kind, meta) => appendSessionEvent(api, s, kind, meta),
    };
    return feature.open(port);
  }
}

/** The part of the contract a feature declared: the port's `api` holds those namespaces only. */
function pickNamespaces<N extends keyof HdmsApi>(api: HdmsApi, namespaces: readonly N[]): Pick<HdmsApi, N> {
  const picked: Partial<Pick<HdmsApi, N>> = {};
  for (const namespace of namespaces) picked[namespace] = api[namespace];
  return picked as Pick<HdmsApi, N>;
}
