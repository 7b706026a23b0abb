import { mkdir } from 'node:fs/promises';
import type { HostKind } from '../shared/domain/host';
import type { EventName } from '../shared/ipc';
import type { Handlers } from './ipc/contract-router';
import { appFeature, prefsFeature } from './app/app-feature';
import { SerialQueue } from './async/serial-queue';
import { OperatorSessions } from './auth/operator-sessions';
import type { BackupDialogsPort } from './backup/backup-dialogs';
import { backupFeature } from './backup/backup-feature';
import type { FeatureLifecycle } from './features/body-feature';
import type { BodyServices } from './features/body-services';
import { demoFeature } from './intake/demo/demo-feature';
import { DeviceChannel } from './intake/devices/device-channel';
import { DeviceRegistry } from './intake/devices/device-registry';
import { devicesFeature } from './intake/devices/devices-feature';
import { dicomFeature } from './intake/dicom/dicom-feature';
import { DicomReceiver } from './intake/dicom/dicom-receiver';
import { DicomSettingsStore } from './intake/dicom/dicom-settings';
import { hl7Feature } from './intake/hl7/hl7-feature';
import { Hl7Service } from './intake/hl7-service';
import { intakeFeature } from './intake/intake-feature';
import { IntakeSettingsStore } from './intake/intake-settings';
import { BodyEvents } from './ipc/body-events';
import { createContractRouter, type ContractRouter } from './ipc/contract-router';
import { ledgerFeature } from './ledger/ledger-feature';
import type { DatasetDialogsPort } from './network/dataset-dialogs';
import type { ExportDialogsPort } from './ledger/export-dialogs';
import { networkFeature } from './network/network-feature';
import { describeErrorForLog } from './logging/error-report';
import { stopFeatures } from './features/stop-features';
import { openLogSink, type Logger, type LogSink } from './logging/logger';
import { PrefsStore } from './prefs/prefs-store';
import { journalFeature, objectsFeature } from './storage/journal-feature';
import { StorageError } from './storage/storage-errors';
import { AppendNotifier } from './vault/append-notifier';
import type { KeychainPort } from './vault/keychain';
import { KeyringStore } from './vault/keyring-store';
import { vaultFeature } from './vault/vault-feature';
import { VaultHost, VaultStateRefusal } from './vault/vault-host';

export interface BodyConfig {
  readonly dataDir: string;
  readonly host: HostKind;
  readonly productName: string;
  readonly appVersion: string;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly logToStderr?: boolean;
  /** The OS keychain (Electron's safeStorage); absent in the browser shell, which offers none. */
  readonly keychain?: KeychainPort;
  /** Native folder and file dialogs for backups (the desktop app); absent in the browser shell. */
  readonly backupDialogs?: BackupDialogsPort;
  /** The native folder dialog for saving a received dataset (the desktop app); absent in the browser shell. */
  readonly datasetDialogs?: DatasetDialogsPort;
  /** The native save dialog for a copy of an export (the desktop app); absent in the browser shell. */
  readonly exportDialogs?: ExportDialogsPort;
  /**
   * The HL7 listener's port for this run, overriding the intake settings (`--mllp-port N`;
   * 0 = disabled). Absent or null: the settings' port (default 2575).
   */
  readonly mllpPort?: number | null;
  /** Serial ports the IEEE 11073 manager opens at start (`--serial-port PATH`, repeatable), once the vault is open. */
  readonly serialPorts?: readonly string[];
  /** A TCP port on 127.0.0.1 where the IEEE 11073 manager also listens (`--device-tcp-port N`; gateways, tests). Absent or null: none. */
  readonly deviceTcpPort?: number | null;
  /**
   * The DICOM receiver's port for this run, overriding its settings (`--dicom-port N`; 0 =
   * disabled). Absent or null: the settings' port (default 11112).
   */
  readonly dicomPort?: number | null;
  /**
   * The HL7 intake worker script (out/main/hl7-prepare-worker.js beside the built entry points),
   * and optionally how many threads (default `defaultPrepareThreads()`: none on 2 CPUs or fewer):
   * MLLP frames are then parsed, mapped and sealed off the listener's thread. Absent, or 0
   * threads: the listener's thread does all of it.
   */
  readonly hl7Workers?: { readonly script: string; readonly threads?: number };
}

export type StopReason = 'quit' | 'signal' | 'restart';

export interface Body {
  readonly config: BodyConfig;
  readonly router: ContractRouter;
  readonly events: BodyEvents;
  readonly log: Logger;
  /** A connection closed (a shell WebSocket, a window's renderer reloaded or gone): its session ends. */
  connectionClosed(connectionId: string): void;
  /** Whether an event may be pushed to a connection (EVENT_ACCESS); both hosts ask before each push. */
  mayHear(connectionId: string, event: EventName): boolean;
  /**
   * Registers work to finish before the body's log closes, run in reverse order of registration
   * (hosts add their transports: the shell's server, Electron's IPC binding).
   */
  onStop(hook: () => Promise<void> | void): void;
  /**
   * Tells the mind the node is stopping (while transports are still open), refuses new calls,
   * runs the stop hooks, then flushes and closes the log. Safe to call twice.
   */
  stop(reason: StopReason): Promise<void>;
}

/**
 * Composes the body from its features (each owns a contract namespace, its handlers and its
 * lifecycle; see features/body-feature.ts). main.ts, the browser shell and tests all start the
 * body through here, so every host runs the same code. No electron import, on purpose.
 */
export async function startBody(config: BodyConfig): Promise<Body> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const sink: LogSink = await openLogSink({
    dataDir: config.dataDir,
    level: config.logLevel ?? 'info',
    alsoStderr: config.logToStderr ?? false,
  });
  const log = sink.logger;
  const events = new BodyEvents();
  const prefs = new PrefsStore(config.dataDir, log);
  await prefs.load();
  const intakeSettings = new IntakeSettingsStore(config.dataDir, log);
  await intakeSettings.load();
  const dicomSettings = new DicomSettingsStore(config.dataDir, log);
  await dicomSettings.load();
  const keyrings = new KeyringStore(config.dataDir);
  const notifier = new AppendNotifier((lastSeq) => events.emit('journal.appended', { lastSeq }));
  let running = true;

  let onVaultState = (): void => undefined;
  const vault = new VaultHost({
    dataDir: config.dataDir,
    log,
    keyrings,
    notifier,
    isRunning: () => running,
    onStateChanged: (state, announce) => {
      onVaultState();
      if (announce) events.emit('vault.changed', state);
    },
  });
  await vault.refresh(false);

  const sessions = new OperatorSessions();
  const services: BodyServices = { config, log, events, vault, keyrings, vaultLock: new SerialQueue(), notifier, sessions, isRunning: () => running };
  const hl7 = new Hl7Service({
    dataDir: config.dataDir,
    log: log.child({ component: 'hl7' }),
    settings: intakeSettings,
    portOverride: config.mllpPort ?? null,
    onActivity: (totals) => events.emit('hl7.activity', { totals }),
    ...(config.hl7Workers !== undefined ? { prepareWorkers: config.hl7Workers } : {}),
  });

  const dicom = new DicomReceiver({ dataDir: config.dataDir, settings: dicomSettings, portOverride: config.dicomPort ?? null, log: log.child({ component: 'dicom' }), quarantine: hl7 });

  const deviceRegistry = new DeviceRegistry(config.dataDir, log);
  await deviceRegistry.load();
  const devices = new DeviceChannel({
    log: log.child({ component: 'devices' }),
    registry: deviceRegistry,
    tcp: config.deviceTcpPort === undefined || config.deviceTcpPort === null ? null : { address: '127.0.0.1', port: config.deviceTcpPort },
    serialPorts: config.serialPorts ?? [],
    onChange: (status) => events.emit('devices.changed', status),
  });

  const intake = intakeFeature(services, { channels: [hl7, dicom, devices], quarantine: hl7 });
  const features = {
    app: appFeature(services),
    prefs: prefsFeature(services, prefs),
    vault: vaultFeature(services),
    backup: backupFeature(services),
    journal: journalFeature(services),
    objects: objectsFeature(services),
    intake,
    hl7: hl7Feature(services, hl7, intakeSettings, intake),
    devices: devicesFeature(services, devices, deviceRegistry),
    dicom: dicomFeature(services, dicom, dicomSettings, config.dicomPort ?? null, intake),
    ledger: ledgerFeature(services),
    demo: demoFeature(services),
    network: networkFeature(services),
  };
  onVaultState = features.intake.refresh;
  const composed: readonly FeatureLifecycle[] = Object.values(features);
  for (const feature of composed) {
    const attach = feature.onVaultOpen;
    if (attach !== undefined) vault.onOpen((open) => attach.call(feature, open));
    const forget = feature.afterErasure;
    if (forget !== undefined) vault.onErased((seqs) => forget.call(feature, seqs));
  }
  // Spreading each feature's exactly typed handlers: a method no feature answers is a compile error.
  const handlers: Handlers = {
    ...features.app.handlers,
    ...features.prefs.handlers,
    ...features.vault.handlers,
    ...features.backup.handlers,
    ...features.journal.handlers,
    ...features.objects.handlers,
    ...features.intake.handlers,
    ...features.hl7.handlers,
    ...features.devices.handlers,
    ...features.dicom.handlers,
    ...features.ledger.handlers,
    ...features.demo.handlers,
    ...features.network.handlers,
  };

  /** Storage refusals become contract errors whose messages (folders, OS codes, counts) are PHI-free. */
  const translate = (method: string, error: unknown): unknown => {
    if (!(error instanceof StorageError)) return error;
    if (error.code === 'E_INVALID' || error.code === 'E_NOT_FOUND') return new VaultStateRefusal('E_BAD_REQUEST', error.message, { cause: error });
    log.error({ method, code: error.code, osCode: error.details.osCode }, 'vault storage failed');
    return new VaultStateRefusal('E_UNAVAILABLE', error.message, { cause: error });
  };
  const router = createContractRouter(handlers, log, {
    isAvailable: () => running,
    translate,
    authorize: (method, context) => sessions.authorize(method, context, vault.status.state !== 'absent'),
  });

  const stopHooks: Array<() => Promise<void> | void> = [];
  // Registered first, so it runs last: after the hosts' transports, before the log closes. The
  // features stop in reverse order of composition, then the storage closes.
  stopHooks.push(async () => {
    await stopFeatures(composed, log);
    notifier.flush();
    await vault.close();
  });

  if (vault.status.state !== 'absent') {
    try {
      await vault.announceOpen(await vault.require());
    } catch (error) {
      // The node still starts, so the UI can say what is wrong; vault calls answer the reason.
      log.error({ ...describeErrorForLog(error), code: (error as { code?: unknown }).code }, 'vault storage could not be opened at start');
    }
  }
  log.info({ host: config.host, version: config.appVersion, vault: vault.status.state, features: composed.map((feature) => feature.name) }, 'body started');

  let stopping: Promise<void> | undefined;
  return {
    config,
    router,
    events,
    log,
    mayHear: (connectionId, event) => sessions.mayHear(connectionId, event),
    connectionClosed(connectionId) {
      sessions.end(connectionId, 'closed');
    },
    onStop(hook) {
      stopHooks.push(hook);
    },
    stop(reason) {
      stopping ??= (async () => {
        running = false;
        log.info({ reason }, 'body stopping');
        notifier.flush();
        events.emit('app.stopping', { reason });
        events.close();
        for (const hook of stopHooks.reverse()) {
          try {
            await hook();
          } catch (error) {
            log.error({ errorClass: (error as Error)?.name }, 'stop hook failed');
          }
        }
        log.info({ reason }, 'body stopped');
        await sink.close();
      })();
      return stopping;
    },
  };
}
