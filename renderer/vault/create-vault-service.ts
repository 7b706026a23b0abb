import { PurchasedDatasetsFeature, type PurchasedDatasets } from '../research/purchased-datasets';
import type { Transport } from '../../shared/ipc/api-client';
import type { HdmsApi } from '../../shared/ipc/contract';
import { createLedgerService, type FullLedgerService } from '../ledger/create-ledger-service';
import { RestrictedLedger } from '../ledger/restricted-ledger';
import { NetworkJoinFeature, type NetworkJoiner } from '../network/network-join';
import { RelayMessengerFeature, type RelayMessenger } from '../network/relay-messenger';
import { ResearchConsentFeature, type ResearchConsent } from '../research/research-consent';
import { QueryInboxFeature, type QueryInbox } from '../research/query-inbox';
import { ResearchQueriesFeature, type ResearchQueries } from '../research/research-queries';
import { PurchasesFeature, type Purchases } from '../research/purchases';
import { LedgerFeature, type LedgerOptions } from '../ledger/session-ledger';
import { createBackupService } from './backup/backup-service';
import { createDemoImport } from './demo/demo-import-service';
import { createIndexingService } from './indexing/indexing-service';
import { ViewIndexing } from './indexing/view-indexing';
import { createDeviceService } from './devices/device-service';
import { createImagingService } from './imaging/imaging-service';
import { createMessageService } from './messages/message-service';
import { createQuarantineService } from './quarantine/quarantine-service';
import { createRecordsService } from './records/records-service';
import { AutoLock } from './session/auto-lock';
import type { IdleClock } from './session/idle-lock';
import { KeychainUnlock } from './session/keychain-unlock';
import type { SlotParams } from './session/keyring/keyring-edits';
import { KeyringStore } from './session/keyring-store';
import type { SessionFeature } from './session/session-feature';
import { EventAuthMarker } from './views/event-auth-marker';
import { OperatorDirectory } from './views/operator-directory';
import { SessionLifecycle } from './session/session-lifecycle';
import { createSessionService } from './session/session-service';
import { SessionState, summaryOf, type RestrictedSession } from './session/vault-session';
import type { VaultService } from './vault-service';
import type { IndexedDbDeps } from './views/vault-db';

export { DEFAULT_AUTO_LOCK_MINUTES } from './session/auto-lock';
export { INDEXING_NOTIFY_MS } from './indexing/view-indexing';

/**
 * The real VaultService (design §2–3), composed of small services over one session state:
 *
 *   session/     keys and the unlocked session: create, unlock, recover, lock, passphrases,
 *                auto-lock, keychain auto-unlock, operators; the session features' lifecycle
 *   indexing/    when the views are replayed from the journal, "sync", "Rebuild index"
 *   records/     search, patient pages and records (each opening journaled), raw messages, erasure
 *   quarantine/  the HL7 quarantine: list, open raw, reprocess, discard
 *   backup/      export and restore
 *   demo/        demo data import
 *
 * The UI programs against vault-service.ts. Features of the mind that live beside the vault (the
 * signed ledger today) plug into every session through session/session-feature.ts.
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
  /** Tests only: the clock of the clinic's query guard and query expiry. */
  readonly searchClock?: () => number;
}

/** Added to VaultService (additive): lets startup wait for the first phase from the body. */
export interface VaultServiceWithReady extends VaultService {
  /** Resolves once the vault's phase is known (the first vault.status answer). */
  ready(): Promise<void>;
  /** The signed ledger of this vault (renderer/ledger): usable while unlocked. */
  readonly ledger: FullLedgerService;
  /** Joining a network (an unlocked administrator only) and its relay messages (renderer/network). */
  readonly network: NetworkJoiner & RelayMessenger;
  /** Research consent: the institution's policy and the patients' records (renderer/research). */
  readonly research: ResearchConsent;
  /** The network's data search (renderer/research): a clinic's incoming queries, a research institute's own queries and basket. */
  readonly dataSearch: { readonly inbox: QueryInbox; readonly queries: ResearchQueries; readonly purchases: Purchases; readonly datasets: PurchasedDatasets };
}

const noop = (): void => undefined;

export function createVaultService(options: CreateVaultServiceOptions): VaultServiceWithReady {
  const { api, transport } = options;
  const notifyLedgerListeners = (): void => {
    for (const listener of [...ledgerListeners]) listener();
  };
  const idb: IndexedDbDeps = {
    ...(options.indexedDB === undefined ? {} : { indexedDB: options.indexedDB }),
    ...(options.IDBKeyRange === undefined ? {} : { IDBKeyRange: options.IDBKeyRange }),
  };
  const slotParams: SlotParams = options.testOnlyPbkdf2Iterations === undefined ? {} : { testOnlyIterations: options.testOnlyPbkdf2Iterations };

  // The ledger: a session feature, and the LedgerService over its current session.
  const ledgerListeners = new Set<() => void>();
  const ledgerFeature = new LedgerFeature(options.ledger ?? {}, () => notifyLedgerListeners());
  let appVersion: Promise<string> | null = null;
  // A researcher's or auditor's session reads the ledger through a RestrictedLedger of its own.
  const restrictedLedgers = new WeakMap<RestrictedSession, Promise<RestrictedLedger>>();
  const restrictedLedgerOpen = new WeakMap<RestrictedSession, RestrictedLedger>();
  const notifyLedger = notifyLedgerListeners;
  const ledger = createLedgerService(
    {
      current: () => ledgerFeature.current(),
      restricted: async () => {
        const r = state.restricted;
        if (r === null) return null;
        let opening = restrictedLedgers.get(r);
        if (opening === undefined) {
          opening = RestrictedLedger.open(r, options.ledger?.chainId, notifyLedger, () => state.restricted === r).then((opened) => {
            restrictedLedgerOpen.set(r, opened);
            return opened;
          });
          restrictedLedgers.set(r, opening);
        }
        return opening;
      },
      restrictedNow: () => {
        const r = state.restricted;
        return r === null ? null : (restrictedLedgerOpen.get(r) ?? null);
      },
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
      writeAccessReport: ({ subjects, ...input }) => api.ledger.exportAccessReport({ ...input, ...(subjects === undefined ? {} : { subjects: [...subjects] }) }),
      exportFiles: api.ledger,
      restrictedRole: () => state.restricted?.role ?? null,
    },
    ledgerListeners,
  );
  // The marker first: the ledger then signs with the legacy window as the views decided it.
  const joiner = new NetworkJoinFeature();
  const messenger = new RelayMessengerFeature();
  const network: NetworkJoiner & RelayMessenger = {
    join: (input) => joiner.join(input),
    messages: () => messenger.messages(),
    sendNote: (input) => messenger.sendNote(input),
  };
  const research = new ResearchConsentFeature();
  const inbox = new QueryInboxFeature(research, options.searchClock);
  const queries = new ResearchQueriesFeature();
  const purchases = new PurchasesFeature(research, options.searchClock);
  const datasets = new PurchasedDatasetsFeature(options.searchClock);
  const features: readonly SessionFeature[] = [new EventAuthMarker(), new OperatorDirectory(), ledgerFeature, joiner, messenger, research, inbox, queries, purchases, datasets];

  const state = new SessionState();
  const indexing = new ViewIndexing(api, state);
  const autoLock = new AutoLock(
    () => lifecycle.lock(true),
    (minutes) => void api.vault.activity({ autoLockMinutes: minutes }).catch(noop),
    options.clock,
  );
  const lifecycle = new SessionLifecycle({ api, transport, state, indexing, autoLock, idb, features });
  const keyrings = new KeyringStore(api, state);
  const keychain = new KeychainUnlock(api, state, keyrings, lifecycle);
  const indexingService = createIndexingService(state, indexing, autoLock, idb);

  // The body knows absent/locked; unlocked is the mind's own state and wins while a session exists.
  // An existing vault may then open itself through the OS keychain.
  const ready: Promise<void> = api.vault.status({}).then(async (status) => {
    if (state.signedIn) return;
    state.setPhase(status.state === 'absent' ? 'absent' : 'locked');
    if (status.state !== 'absent') await keychain.atStartup();
  }, noop);
  // The body's idle lock (a hung or throttled page missed its own): lock screen as after auto-lock.
  transport.subscribe('vault.sessionsEnded', () => void lifecycle.closeIfEndedByBody().catch(noop));
  transport.subscribe('vault.changed', (status) => {
    if (!state.signedIn) state.setPhase(status.state === 'absent' ? 'absent' : 'locked');
  });

  return {
    ready: () => ready,
    ledger,
    network,
    research,
    dataSearch: { inbox, queries, purchases, datasets },
    phase: () => state.phase,
    subscribe: (listener) => state.subscribe(listener),
    currentOperator: () => {
      const operator = state.operator;
      return operator === null ? null : summaryOf(operator);
    },
    lockedBy: () => state.lockedBy,
    ...createSessionService({ api, state, lifecycle, keyrings, keychain, autoLock, slotParams }),
    ...indexingService,
    ...createDemoImport(api, transport, state, indexing),
    ...createRecordsService(api, state, indexing),
    ...createQuarantineService(api, state, indexing),
    ...createMessageService(api, state, indexing),
    ...createImagingService(api, state),
    ...createDeviceService(api, state, indexing),
    ...createBackupService({ api, state, lifecycle, indexing, rebuildIndex: indexingService.rebuildIndex }),
  };
}
