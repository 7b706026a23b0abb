import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Sealer } from '../shared/crypto/envelope';
import type { HostKind } from '../shared/domain/host';
import type { IntakeStatus, Keyring, ListenerStatus, MethodName, VaultStatus } from '../shared/ipc';
import { exportBackup } from './backup/backup-export';
import { checkIntakePublicKey, createBodySealer } from './crypto/node-sealer';
import { readBackupHead } from './backup/backup-format';
import { restoreBackup } from './backup/backup-restore';
import { importDemoData } from './intake/demo/demo-import';
import { createIntakePipeline, type IntakePipeline } from './intake/intake-pipeline';
import { ExportFiles } from './ledger/export-files';
import { LedgerAppender } from './ledger/ledger-appender';
import { intakeStatusFor } from './intake/intake-status';
import { Hl7Service } from './intake/hl7-service';
import { IntakeSettingsError, IntakeSettingsStore } from './intake/intake-settings';
import { IntakeUploads, UploadError } from './intake/intake-uploads';
import { BodyEvents } from './ipc/body-events';
import { BodyError, createContractRouter, type ContractRouter, type Handlers } from './ipc/contract-router';
import { describeErrorForLog } from './logging/error-report';
import { openLogSink, type Logger, type LogSink } from './logging/logger';
import { PrefsStore } from './prefs/prefs-store';
import { StorageError } from './storage/storage-errors';
import { openVaultStorage, type VaultStorage } from './storage/vault-storage';
import { AppendNotifier } from './vault/append-notifier';
import { SerialQueue } from './async/serial-queue';
import type { KeychainPort } from './vault/keychain';
import { KeyringStore } from './vault/keyring-store';
import { UnlockThrottle } from './vault/unlock-throttle';
import { readVaultPresence } from './vault/vault-presence';

export interface BodyConfig {
  readonly dataDir: string;
  readonly host: HostKind;
  readonly productName: string;
  readonly appVersion: string;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly logToStderr?: boolean;
  /** The OS keychain (Electron's safeStorage); absent in the browser shell, which offers none. */
  readonly keychain?: KeychainPort;
  /**
   * The HL7 listener's port for this run, overriding the intake settings (`--mllp-port N`;
   * 0 = disabled). Absent or null: the settings' port (default 2575).
   */
  readonly mllpPort?: number | null;
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

/** The vault's storage as this process holds it open: one Sealer and one intake pipeline per process. */
interface OpenVault {
  readonly storage: VaultStorage;
  readonly sealer: Sealer;
  readonly pipeline: IntakePipeline;
  /** The vault's intake public key (uncompressed P-256 point). */
  readonly intakePublicKey: Uint8Array;
  /** Appends signed ledger entries (compare-and-append on the ledger seq). */
  readonly ledger: LedgerAppender;
}

const NO_VAULT = 'No vault exists in this data folder yet; create one first.';

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
  const keyrings = new KeyringStore(config.dataDir);
  const throttle = new UnlockThrottle(config.dataDir, log);
  const notifier = new AppendNotifier((lastSeq) => events.emit('journal.appended', { lastSeq }));
  /** Create, restore, erase and export run one at a time: each needs the vault to hold still. */
  const vaultLock = new SerialQueue();
  const exportFiles = new ExportFiles(config.dataDir);

  const intakeSettings = new IntakeSettingsStore(config.dataDir, log);
  await intakeSettings.load();
  const uploads = new IntakeUploads();

  let vault: VaultStatus = await readVaultPresence(config.dataDir);
  /** Recomputes the intake status (vault presence + the HL7 listener) and announces a change. */
  const refreshIntake = (): void => {
    const next = intakeStatusFor(vault, hl7.listenerStatus());
    if (JSON.stringify(next) !== JSON.stringify(intake)) {
      intake = next;
      events.emit('intake.statusChanged', intake);
    }
  };
  const hl7: Hl7Service = new Hl7Service({
    dataDir: config.dataDir,
    log: log.child({ component: 'hl7' }),
    settings: intakeSettings,
    portOverride: config.mllpPort ?? null,
    onStatusChanged: () => refreshIntake(),
    onActivity: (totals) => events.emit('intake.activity', { totals }),
    ...(config.hl7Workers !== undefined ? { prepareWorkers: config.hl7Workers } : {}),
  });
  let intake: IntakeStatus = intakeStatusFor(vault, hl7.listenerStatus());
  const hl7Listener = (): ListenerStatus => intake.listeners.find((listener) => listener.channel === 'hl7-mllp') ?? hl7.listenerStatus();
  let running = true;
  let opened: OpenVault | null = null;
  let opening: Promise<OpenVault> | null = null;
  let demoImport: Promise<unknown> | null = null;

  const setVaultState = (next: VaultStatus, announce: boolean): void => {
    vault = next;
    refreshIntake();
    if (announce) events.emit('vault.changed', vault);
  };

  const openVault = async (keyring: Keyring): Promise<OpenVault> => {
    const intakePublicKey = new Uint8Array(Buffer.from(keyring.intakePublicKey, 'base64url'));
    const sealer = await createBodySealer(intakePublicKey);
    const storage = await openVaultStorage(config.dataDir, log);
    const { repairedTornTail, records, lastSeq } = storage.journal.openResult;
    if (repairedTornTail !== null) {
      // A crash cut a write short; only unacknowledged bytes were dropped (see Journal.open).
      log.warn({ truncatedBytes: repairedTornTail.truncatedBytes, offset: repairedTornTail.offset, records, lastSeq }, 'vault journal had a torn tail; repaired at open');
    }
    const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer, onDurable: (seq) => notifier.note(seq) });
    log.info({ records, lastSeq: storage.journal.lastSeq }, 'vault storage open');
    return { storage, sealer, pipeline, intakePublicKey, ledger: new LedgerAppender(storage.journal) };
  };

  /** The open vault, opening its storage on first use; E_CONFLICT when there is no vault. */
  const requireVault = async (): Promise<OpenVault> => {
    if (opened !== null) return opened;
    if (!running) throw new BodyError('E_UNAVAILABLE', 'The node is shutting down.');
    opening ??= (async () => {
      try {
        const keyring = await keyrings.read();
        if (keyring === null) throw new BodyError('E_CONFLICT', NO_VAULT);
        opened = await openVault(keyring);
        return opened;
      } finally {
        opening = null;
      }
    })();
    return opening;
  };

  /**
   * Design §4 rule 0: once a vault's storage is open, the HL7 listener opens, without any UI or
   * unlock (it seals to the vault's public key). A failure leaves it closed with the reason shown.
   */
  const startIntake = async (open: OpenVault): Promise<void> => {
    if (!running) return;
    try {
      await hl7.attach({ pipeline: open.pipeline, journal: open.storage.journal, sealer: open.sealer, intakePublicKey: open.intakePublicKey, onDurable: (seq) => notifier.note(seq) });
    } catch (error) {
      log.error({ ...describeErrorForLog(error) }, 'HL7 intake could not start');
    }
  };

  /** Bytes sent inline by the mind (base64url, already length-checked by the contract). */
  const decode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

  const uploadCall = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (error instanceof UploadError) throw new BodyError(error.code, error.message);
      throw error;
    }
  };

  const requireKeychain = (): KeychainPort => {
    if (config.keychain === undefined || !config.keychain.available()) {
      throw new BodyError(
        'E_UNAVAILABLE',
        config.keychain === undefined
          ? 'This host offers no OS keychain (the browser shell never does); unlock with a passphrase.'
          : 'The OS keychain is not available for this user account now; unlock with a passphrase.',
      );
    }
    return config.keychain;
  };

  /** Storage refusals become contract errors whose messages (folders, OS codes, counts) are PHI-free. */
  const translate = (method: MethodName, error: unknown): unknown => {
    if (!(error instanceof StorageError)) return error;
    if (error.code === 'E_INVALID' || error.code === 'E_NOT_FOUND') return new BodyError('E_BAD_REQUEST', error.message, { cause: error });
    log.error({ method, code: error.code, osCode: error.details.osCode }, 'vault storage failed');
    return new BodyError('E_UNAVAILABLE', error.message, { cause: error });
  };

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
      setVaultState(await readVaultPresence(config.dataDir), false);
      return vault;
    },
    'intake.status': async () => intake,
    'intake.monitor': async () => ({ ...hl7.monitor(), listener: hl7Listener() }),
    'intake.uploadBegin': async () => uploadCall(() => ({ handle: uploads.begin() })),
    'intake.uploadAppend': async ({ handle, file, chunk }) => uploadCall(() => ({ bytes: uploads.append(handle, file, decode(chunk)) })),
    'intake.uploadAbort': async ({ handle }) => {
      uploads.abort(handle);
      return {};
    },
    'intake.importFiles': async ({ upload, files, charset }) => {
      const bytes = upload !== undefined ? uploadCall(() => uploads.take(upload)) : (files ?? []).map((file) => decode(file.bytes));
      return hl7.importFiles(bytes, charset);
    },
    'intake.reprocess': async ({ quarantineSeq, operator, raw, upload, charset }) => {
      let bytes: Uint8Array;
      if (raw !== undefined) bytes = decode(raw);
      else {
        const files = uploadCall(() => uploads.take(upload!));
        if (files.length !== 1) throw new BodyError('E_BAD_REQUEST', `upload: a reprocess takes exactly one file; the upload holds ${files.length}.`);
        bytes = files[0]!;
      }
      return hl7.reprocess(quarantineSeq, bytes, operator, charset);
    },
    'intake.discard': async ({ quarantineSeq, operator }) => hl7.discard(quarantineSeq, operator),
    'intake.getSettings': async () => ({ settings: intakeSettings.get(), portOverride: config.mllpPort ?? null, listener: hl7Listener() }),
    'intake.updateSettings': async (change) => {
      try {
        await hl7.updateSettings(change);
      } catch (error) {
        if (error instanceof IntakeSettingsError) throw new BodyError('E_BAD_REQUEST', error.message);
        throw error;
      }
      log.info({ keys: Object.keys(change) }, 'intake settings changed');
      return { settings: intakeSettings.get(), portOverride: config.mllpPort ?? null, listener: hl7Listener() };
    },

    'vault.keyring': async () => ({ keyring: await keyrings.read() }),
    'vault.create': ({ keyring }) =>
      vaultLock.run(async () => {
        if (await keyrings.exists()) throw new BodyError('E_CONFLICT', 'A vault exists already in this data folder; unlock it, or choose another data folder.');
        try {
          // node:crypto ECDH only: Electron's WebCrypto AES-KW is not to be relied on (see node-sealer.ts).
          checkIntakePublicKey(Buffer.from(keyring.intakePublicKey, 'base64url'));
        } catch {
          throw new BodyError('E_BAD_REQUEST', 'keyring.intakePublicKey is not an uncompressed P-256 public key.');
        }
        await keyrings.create(keyring);
        const open = await requireVault();
        // A system event: the body knows operators only by their local account ids, which keys.json
        // links to names. The mind journals who created the vault under the operator's pseudonym.
        const { seq } = await open.storage.journal.append({ kind: 'vault.created', operator: null, objects: [], meta: null });
        notifier.note(seq);
        log.info({ operators: keyring.operators.length, slots: keyring.slots.length }, 'vault created');
        setVaultState({ state: 'locked' }, true);
        await startIntake(open);
        return vault;
      }),
    'vault.updateKeyring': async ({ keyring, expectedRevision }) => {
      const next = await keyrings.update(keyring, expectedRevision);
      log.info({ revision: next.revision, operators: next.operators.length, slots: next.slots.length }, 'keyring updated');
      return { revision: next.revision };
    },
    'vault.unlockThrottle': async ({ operatorId }) => throttle.retryAfterMs(operatorId),
    'vault.reportUnlock': async ({ operatorId, ok }) => {
      const result = await throttle.report(operatorId, ok);
      if (!ok) log.warn({ failures: result.failures, retryAfterMs: result.retryAfterMs }, 'unlock failed');
      return result;
    },
    'vault.keychainStatus': async () => ({ available: config.keychain?.available() ?? false }),
    'vault.keychainStore': async ({ operatorId, key }) => {
      await requireKeychain().store({ operatorId, key: new Uint8Array(Buffer.from(key, 'base64url')) });
      log.info('keychain entry stored');
      return {};
    },
    'vault.keychainLoad': async () => {
      const entry = await requireKeychain().load();
      return { entry: entry === null ? null : { operatorId: entry.operatorId, key: Buffer.from(entry.key).toString('base64url') } };
    },
    'vault.keychainClear': async () => {
      await requireKeychain().clear();
      log.info('keychain entry cleared');
      return {};
    },
    /*
     * Erasure (GDPR Art. 17), by compaction rather than per-patient keys: the records become
     * `erased` tombstones in a rewritten journal (their seq stays, so cursors and vault:check hold)
     * and the sealed objects are deleted. Per-patient keys would need the body to know which
     * patient a message belongs to before sealing (it must not parse identities into plaintext
     * state) and would keep every erased ciphertext on disk forever; compaction removes them.
     * The journal is rewritten first and the objects deleted after: a crash in between leaves
     * unreferenced objects (vault:check stays clean) and repeating the same erase finishes it.
     * Limits, stated plainly: freed disk blocks are not overwritten (they hold ciphertext only),
     * and backups made before the erasure still hold the data: a restore of such a backup must be
     * followed by erasing the patient again (the mind's ERASURE events, in the restored journal
     * up to the backup's date only, cannot do that by themselves).
     */
    'vault.erase': ({ seqs, objects }) =>
      vaultLock.run(async () => {
        const open = await requireVault();
        const toDelete = new Set(objects);
        const result = await open.storage.journal.rewrite(new Set(seqs), toDelete);
        if (result.stillReferenced.length > 0) {
          throw new BodyError(
            'E_CONFLICT',
            `${result.stillReferenced.length} of the objects to delete are still referred to by records that are not being erased; nothing was changed. Erase those records too.`,
          );
        }
        open.ledger.reset();
        // Inline objects went with their records in the rewrite; object files are deleted now.
        let deletedObjects = result.droppedInline.filter((id) => toDelete.has(id)).length;
        for (const id of toDelete) if (await open.storage.objects.delete(id)) deletedObjects++;
        log.info({ erasedRecords: result.erased, deletedObjects }, 'erasure applied');
        return { erasedRecords: result.erased, deletedObjects };
      }),

    'backup.export': () =>
      vaultLock.run(async () => {
        const open = await requireVault();
        const keyring = await keyrings.read();
        if (keyring === null) throw new BodyError('E_CONFLICT', NO_VAULT);
        return exportBackup({ dataDir: config.dataDir, storage: open.storage, sealer: open.sealer, keyring, log });
      }),
    'backup.inspect': async ({ path: file }) => {
      const head = await readBackupHead(resolveBackupPath(config.dataDir, file));
      return {
        keyring: head.preamble.keyring,
        createdAt: head.preamble.createdAt,
        envelopeHeader: Buffer.from(head.envelopeHeader).toString('base64url'),
        bytes: head.bytes,
      };
    },
    'backup.restore': ({ path: file, dataKey }) =>
      vaultLock.run(async () => {
        if (opened !== null || (await keyrings.exists())) {
          throw new BodyError('E_CONFLICT', 'This data folder holds a vault already; restore into an empty data folder.');
        }
        const restored = await restoreBackup({ dataDir: config.dataDir, file: resolveBackupPath(config.dataDir, file), dataKey: new Uint8Array(Buffer.from(dataKey, 'base64url')), log });
        const open = await requireVault();
        notifier.reset();
        notifier.note(open.storage.journal.lastSeq);
        setVaultState({ state: 'locked' }, true);
        await startIntake(open);
        return { records: restored.records, objects: restored.objects };
      }),

    'journal.read': async ({ after, limit }) => {
      const open = await requireVault();
      const result = await open.storage.journal.read({ after, limit });
      return {
        records: result.records.map(({ seq, kind, at, operator, objects, meta }) => ({ seq, kind, at, operator, objects: [...objects], meta })),
        nextCursor: result.nextCursor,
        end: result.end,
      };
    },
    'journal.append': async ({ kind, operator, objects, meta }) => {
      const open = await requireVault();
      for (const id of objects) {
        if (!(await open.storage.objects.has(id))) throw new BodyError('E_BAD_REQUEST', 'objects: a referenced object does not exist in this vault.');
      }
      // The journal checks `meta` is a sealed journalMetadata envelope (header and length) and the kind and operator shapes.
      const { seq } = await open.storage.journal.append({ kind, operator, objects, meta });
      notifier.note(seq);
      return { seq };
    },
    'objects.read': async ({ id, offset, length }) => {
      const open = await requireVault();
      const { bytes, size } = await open.storage.objects.readSlice(id, offset, length);
      return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url'), size };
    },

    'ledger.append': async ({ ledgerSeq, meta }) => {
      const open = await requireVault();
      const { seq } = await open.ledger.append({ ledgerSeq, meta });
      notifier.note(seq);
      return { seq };
    },
    'ledger.exportBegin': ({ kind }) => exportFiles.begin(kind),
    'ledger.exportAppend': ({ handle, text }) => exportFiles.append(handle, text),
    'ledger.exportFinish': async ({ handle }) => {
      const written = await exportFiles.finish(handle);
      log.info({ bytes: written.bytes }, 'export written');
      return written;
    },
    'ledger.exportAbort': ({ handle }) => exportFiles.abort(handle),

    'demo.import': async ({ patients, seed }) => {
      const open = await requireVault();
      if (demoImport !== null) throw new BodyError('E_CONFLICT', 'A demo import is running already; wait for it to finish.');
      const started = performance.now();
      const run = importDemoData({
        pipeline: open.pipeline,
        patients,
        ...(seed === undefined ? {} : { seed }),
        onProgress: (progress) => events.emit('demo.progress', progress),
        shouldContinue: () => running,
      });
      demoImport = run;
      try {
        const result = await run;
        notifier.flush();
        log.info({ messages: result.messages, patients: result.patients, lastSeq: result.lastSeq, ms: Math.round(performance.now() - started) }, 'demo data imported');
        return result;
      } finally {
        demoImport = null;
      }
    },
  };

  const guarded = Object.fromEntries(
    (Object.entries(handlers) as Array<[MethodName, (request: unknown, context: unknown) => Promise<unknown>]>).map(([method, handler]) => [
      method,
      async (request: unknown, context: unknown) => {
        try {
          return await handler(request, context);
        } catch (error) {
          throw translate(method, error);
        }
      },
    ]),
  ) as unknown as Handlers;

  const router = createContractRouter(guarded, log, () => running);

  const stopHooks: Array<() => Promise<void> | void> = [];
  // Registered first, so it runs last: after the hosts' transports, before the log closes.
  stopHooks.push(async () => {
    await demoImport?.catch(() => undefined);
    await opening?.catch(() => undefined);
    await exportFiles.abortAll();
    notifier.flush();
    await opened?.storage.close();
  });
  // Registered second, so it runs just before the storage closes: the listener stops taking
  // frames, lets in-flight ACKs finish, then the duplicate index closes.
  stopHooks.push(async () => {
    uploads.clear();
    await hl7.stop();
  });

  if (vault.state !== 'absent') {
    try {
      await startIntake(await requireVault());
    } catch (error) {
      // The node still starts, so the UI can say what is wrong; vault calls answer the reason.
      log.error({ ...describeErrorForLog(error), code: (error as { code?: unknown }).code }, 'vault storage could not be opened at start');
    }
  }
  log.info({ host: config.host, version: config.appVersion, vault: vault.state }, 'body started');

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
        notifier.flush();
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

/** A backup path from the mind: absolute, or a file name inside `<data>/backups/`. */
function resolveBackupPath(dataDir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(dataDir, 'backups', file);
}
