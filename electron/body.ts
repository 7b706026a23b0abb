import { mkdir } from 'node:fs/promises';
import type { HostKind } from '../shared/domain/host';
import type { IntakeStatus, VaultStatus } from '../shared/ipc';
import { intakeStatusFor } from './intake/intake-status';
import { BodyEvents } from './ipc/body-events';
import { createContractRouter, type ContractRouter, type Handlers } from './ipc/contract-router';
import { openLogSink, type Logger, type LogSink } from './logging/logger';
import { PrefsStore } from './prefs/prefs-store';
import { readVaultPresence } from './vault/vault-presence';

export interface BodyConfig {
  readonly dataDir: string;
  readonly host: HostKind;
  readonly productName: string;
  readonly appVersion: string;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly logToStderr?: boolean;
}

export type StopReason = 'quit' | 'signal' | 'restart';

export interface Body {
  readonly config: BodyConfig;
  readonly router: ContractRouter;
  readonly events: BodyEvents;
  readonly log: Logger;
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
 * Composes the body's services from a config. main.ts, the browser shell and tests all start the
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
  const startedAt = new Date().toISOString();
  const events = new BodyEvents();
  const prefs = new PrefsStore(config.dataDir, log);
  await prefs.load();

  let vault: VaultStatus = await readVaultPresence(config.dataDir);
  let intake: IntakeStatus = intakeStatusFor(vault);
  let running = true;

  const handlers: Handlers = {
    'app.info': async () => ({
      productName: config.productName,
      version: config.appVersion,
      host: config.host,
      platform: process.platform,
      dataDir: config.dataDir,
      startedAt,
    }),
    'prefs.get': async () => prefs.get(),
    'prefs.update': async (change) => {
      const next = await prefs.update(change);
      log.info({ keys: Object.keys(change) }, 'preferences changed');
      events.emit('prefs.changed', next);
      return next;
    },
    'vault.status': async () => {
      vault = await readVaultPresence(config.dataDir);
      const nextIntake = intakeStatusFor(vault);
      if (JSON.stringify(nextIntake) !== JSON.stringify(intake)) {
        intake = nextIntake;
        events.emit('intake.statusChanged', intake);
      }
      return vault;
    },
    'intake.status': async () => intake,
  };

  const router = createContractRouter(handlers, log, () => running);
  log.info({ host: config.host, version: config.appVersion, vault: vault.state }, 'body started');

  const stopHooks: Array<() => Promise<void> | void> = [];
  let stopping: Promise<void> | undefined;
  return {
    config,
    router,
    events,
    log,
    onStop(hook) {
      stopHooks.push(hook);
    },
    stop(reason) {
      stopping ??= (async () => {
        running = false;
        log.info({ reason }, 'body stopping');
        events.emit('app.stopping', { reason });
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
