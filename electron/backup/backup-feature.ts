import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { BackupListing, BackupSettings } from '../../shared/ipc/vault-contract';
import { Refusal } from '../errors/refusal';
import { bodyFeature } from '../features/body-feature';
import { DEVICE_DEDUPE_DIR } from '../intake/devices/device-duplicates';
import { DICOM_DEDUPE_DIR } from '../intake/dicom/dicom-duplicates';
import { HL7_DEDUPE_DIR } from '../intake/hl7-service';
import type { BodyServices } from '../features/body-services';
import { NO_VAULT, VaultStateRefusal, type OpenVault } from '../vault/vault-host';
import { DestinationUnavailable, ensureDestinationMarked } from './backup-destination';
import { exportBackup } from './backup-export';
import { BackupRefusal, readBackupHead } from './backup-format';
import { backupFolderToList, backupsIn, MAX_LISTED, newestFirst } from './backup-listing';
import { failureWorthJournaling, journalBackupAct } from './backup-journal';
import { resolveBackupPath } from './backup-paths';
import { restoreBackup, verifyBackup } from './backup-restore';
import { BackupScheduler, BackupStatusStore, pruneScheduledBackups, scheduledBackupFileName } from './backup-schedule';
import { BackupSettingsStore, defaultBackupFolder } from './backup-settings';
import { pathExists } from '../storage/durable-files';
import { copyErasureRegister, keepRegister, registerSourceFor, registersForRestore } from './erasure-register';
import { SettingsAudit } from '../audit/settings-audit';
import { backupSettingChanges } from '../audit/settings-changes';


/** A failure in words for the status line: a refusal's own (PHI-free) message, else the system's error code. */
function describeFailure(error: unknown): string {
  if (error instanceof Refusal) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC') return 'The backup destination is full.';
  if (code === 'EACCES' || code === 'EPERM') return 'This app may not write into the backup destination.';
  return `The backup could not be written (${typeof code === 'string' ? code : 'see the log'}).`;
}

/** Why the register could not be copied, in words (no path: the status reaches every screen). */
function describeCopyFailure(error: unknown): string {
  if (error instanceof DestinationUnavailable) return error.brief;
  if (error instanceof Refusal) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'the backup destination folder is not there (a share offline, a disk removed?)';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the backup destination is full';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'this app may not write into the backup destination';
  return `it could not be written (${typeof code === 'string' ? code : 'see the log'})`;
}

/** While an erasure's record is not beside the backups, the copy is tried again this often. */
const REGISTER_RETRY_MS = 5 * 60_000;

/**
 * `backup.*`: one encrypted file of the whole vault, into a destination folder, on demand or on a
 * schedule with retention; the last backup's status; restoring one into an empty data folder,
 * with the erasure register's erasures applied again.
 */
export function backupFeature(services: BodyServices) {
  const { config, log, events, vault, keyrings, vaultLock, notifier, isRunning } = services;
  const settingsAudit = new SettingsAudit(services);
  const dedupeDir = path.join(config.dataDir, ...HL7_DEDUPE_DIR);
  const dicomDedupeDir = path.join(config.dataDir, ...DICOM_DEDUPE_DIR);
  const deviceDedupeDir = path.join(config.dataDir, ...DEVICE_DEDUPE_DIR);
  const settings = new BackupSettingsStore(config.dataDir, log);
  /**
   * Pushes the status as the body answers it now (`backup.statusChanged`), after every change of
   * it and of the next scheduled time, so Settings and the lock screen follow without asking.
   */
  const announce = (): void => {
    void (async () => {
      if (!isRunning()) return;
      const nextAt = (await keyrings.exists()) ? scheduler.nextAt() : null;
      events.emit('backup.statusChanged', status.answer(nextAt));
    })().catch(() => log.warn({}, 'backup status not announced'));
  };
  const status = new BackupStatusStore(config.dataDir, announce);
  const loaded = Promise.all([settings.load(), status.load()]);

  /**
   * Where a restore looks for the erasure register: beside the backup file it restores, so the
   * destination, and `<data>/backups` when it holds backups from before a destination was chosen.
   * A chosen destination that is missing is a failure; the default folder before any backup is not.
   */
  const registerFolders = async (): Promise<string[]> => {
    const fallback = defaultBackupFolder(config.dataDir);
    const folders = settings.get().destination === null ? [] : [settings.folder()];
    if (!folders.includes(fallback) && (await pathExists(fallback))) folders.push(fallback);
    return folders;
  };
  /**
   * Before anything is written into the chosen destination: its marker must name this vault (an
   * unmounted share's empty mount point has none). `<data>/backups/` needs no marker.
   */
  const ensureMarked = async (folder: string): Promise<void> => {
    if (settings.get().destination === null || folder !== settings.folder()) return;
    const keyring = await keyrings.read();
    if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
    await ensureDestinationMarked(config.dataDir, folder, keyring.vaultId);
  };
  let retryTimer: NodeJS.Timeout | null = null;
  const stopRetrying = (): void => {
    if (retryTimer !== null) clearInterval(retryTimer);
    retryTimer = null;
  };
  /**
   * Copies the erasure register beside the backups now (durably: written, synced, renamed). A
   * failure does not undo anything: it is kept in the backup status (Settings, the lock screen)
   * and the copy is tried again every few minutes, at the next backup and when the destination
   * is saved. The caller holds the vault lock (erasures and backups run under it).
   */
  const copyRegister = async (): Promise<boolean> => {
    await loaded;
    try {
      for (const folder of await registerFolders()) {
        await ensureMarked(folder);
        await copyErasureRegister(config.dataDir, folder);
      }
    } catch (error) {
      const reason = `The record of an erasure could not be copied beside the backups: ${describeCopyFailure(error)}. The erasure itself is done. Until the copy is made, restoring an older backup on a new installation would bring the erased data back; it is copied at the next backup, when the backup destination is saved, or when the destination is back (tried every 5 minutes).`;
      log.warn({ reason: describeCopyFailure(error) }, 'erasure register not copied beside the backups');
      await status.erasureRecordNotCopied(new Date(), reason).catch(() => undefined);
      retryTimer ??= setInterval(() => {
        if (!isRunning()) return stopRetrying();
        void vaultLock.run(copyRegister).catch(() => undefined);
      }, REGISTER_RETRY_MS);
      retryTimer.unref();
      return false;
    }
    stopRetrying();
    await status.erasureRecordCopied();
    return true;
  };

  /** One backup into the destination; the caller holds the vault lock. */
  const makeBackup = async (open: OpenVault, scheduled: boolean): Promise<{ path: string; bytes: number; pruned: number }> => {
    const keyring = await keyrings.read();
    if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
    const folder = settings.folder();
    await ensureMarked(folder);
    const at = new Date();
    const written = await exportBackup({
      dataDir: config.dataDir,
      storage: open.storage,
      sealer: open.sealer,
      keyring,
      dedupeDir,
      dicomDedupeDir,
      deviceDedupeDir,
      log,
      now: at,
      ...(settings.get().destination === null ? {} : { folder }),
      ...(scheduled ? { fileName: scheduledBackupFileName } : {}),
    });
    // The register travels with the backups: a restore from this folder on another machine still
    // re-applies the erasures made before (and after) this backup.
    await copyErasureRegister(config.dataDir, folder, { evenEmpty: true });
    // And to the other folder a restore consults; a warning left by an erasure is cleared.
    await copyRegister();
    const pruned = scheduled ? (await pruneScheduledBackups(folder, settings.get().keep)).length : 0;
    await status.succeeded(at, written.bytes, scheduled);
    return { ...written, pruned };
  };

  const scheduler = new BackupScheduler({
    schedule: () => settings.get().schedule,
    status,
    run: () =>
      vaultLock.run(async () => {
        if (!isRunning() || !(await keyrings.exists())) return false;
        const open = await vault.require();
        const made = await makeBackup(open, true).catch(async (error: unknown) => {
          await journalFailure(open, { scheduled: true }, error);
          throw error;
        });
        await journalBackupAct(open, 'scheduled', { bytes: made.bytes, pruned: made.pruned });
        log.info({ bytes: made.bytes, pruned: made.pruned }, 'scheduled backup made');
        return true;
      }),
    describe: describeFailure,
    onFailure: (error) => log.warn({ reason: describeFailure(error) }, 'scheduled backup failed'),
  });

  /**
   * A backup that could not be made, into the journal (tester T2 F10: the ledger had successes
   * only): before the status records it, so the failure held from before decides whether a
   * scheduled retry is a new record. The reason is words without a path; the log has the details.
   */
  const journalFailure = async (open: OpenVault, by: { scheduled: true } | { scheduled: false; operatorId: string }, error: unknown): Promise<void> => {
    const reason = describeFailure(error);
    if (!failureWorthJournaling(status.stored.failure, reason, by.scheduled)) return;
    // One by hand names who clicked (H8): the calling session's account, sealed like a settings change's actor.
    const words: Record<string, string> = by.scheduled ? { reason } : { reason, operatorId: by.operatorId };
    await journalBackupAct(open, 'failed', { scheduled: by.scheduled ? 1 : 0 }, new Date(), words).catch(() => log.warn({}, 'backup failure not journaled'));
  };

  const settingsAnswer = (current: BackupSettings) => ({ settings: current, folder: settings.folder(), defaultFolder: defaultBackupFolder(config.dataDir), dialogs: config.backupDialogs !== undefined });

  return bodyFeature<'backup'>({
    name: 'backup',
    async onVaultOpen() {
      await loaded;
      scheduler.arm();
      announce();
      if (status.stored.erasureRecord !== null) void vaultLock.run(copyRegister).catch(() => undefined);
    },
    // Right after an erasure, before it is reported done (the vault lock is held by vault.erase).
    async afterErasure() {
      await copyRegister();
    },
    async stop() {
      stopRetrying();
      await scheduler.stop();
    },
    handlers: {
      'backup.export': (_request, context) => {
        // The session's administrator, never one the payload names; taken when the click arrives.
        const operatorId = services.sessions.actorOf(context);
        return vaultLock.run(async () => {
          await loaded;
          const open = await vault.require();
          try {
            const made = await makeBackup(open, false);
            return { path: made.path, bytes: made.bytes };
          } catch (error) {
            await journalFailure(open, { scheduled: false, operatorId }, error);
            await status.failed(new Date(), describeFailure(error)).catch(() => undefined);
            throw error;
          }
        });
      },
      'backup.inspect': async ({ path: file }) => {
        const resolved = await resolveBackupPath(config.dataDir, file);
        const head = await readBackupHead(resolved);
        return {
          erasureRegister: await registerSourceFor(config.dataDir, resolved),
          keyring: head.preamble.keyring,
          createdAt: head.preamble.createdAt,
          envelopeHeader: Buffer.from(head.envelopeHeader).toString('base64url'),
          bytes: head.bytes,
        };
      },
      'backup.verify': async ({ path: file, dataKey, acceptAlteredLabel }) => {
        const resolved = await resolveBackupPath(config.dataDir, file);
        await verifyBackup(resolved, new Uint8Array(Buffer.from(dataKey, 'base64url')), acceptAlteredLabel === true);
        return {};
      },
      'backup.restore': ({ path: file, dataKey, erasureRegister, acceptAlteredLabel }) =>
        vaultLock.run(async () => {
          if (vault.isOpen || (await keyrings.exists())) {
            throw new VaultStateRefusal('E_CONFLICT', 'This data folder holds a vault already; restore into an empty data folder.');
          }
          const resolved = await resolveBackupPath(config.dataDir, file);
          // Read first: a damaged register stops the restore before anything is written.
          const { register, source } = await registersForRestore(config.dataDir, resolved, erasureRegister);
          // The keys are back before vault.require() opens the vault and the HL7, DICOM and device channels attach.
          const restored = await restoreBackup({
            dataDir: config.dataDir,
            file: resolved,
            dataKey: new Uint8Array(Buffer.from(dataKey, 'base64url')),
            dedupeDir,
            dicomDedupeDir,
            deviceDedupeDir,
            register,
            acceptAlteredLabel: acceptAlteredLabel === true,
            log,
          });
          await keepRegister(config.dataDir, register);
          const open = await vault.require();
          // With the backup's date and last ledger entry: the RESTORE entry says what the restore rewound.
          await journalBackupAct(open, 'restored', { ...restored.reapplied, ledgerSeq: restored.ledgerSeq }, new Date(), { backupCreatedAt: restored.backupCreatedAt });
          notifier.reset();
          notifier.note(open.storage.journal.lastSeq);
          vault.setState({ state: 'locked' }, true);
          await vault.announceOpen(open);
          return {
            records: restored.records,
            objects: restored.objects,
            erasuresReapplied: restored.reapplied.erasures,
            erasureRegister: source,
            backupCreatedAt: restored.backupCreatedAt,
            ledgerSeq: restored.ledgerSeq,
          };
        }),
      'backup.getSettings': async () => {
        await loaded;
        return settingsAnswer(settings.get());
      },
      'backup.updateSettings': async (change, context) => {
        // Journaled (a SETTINGS_CHANGE ledger entry) as the session's administrator; never the destination's path.
        const actor = settingsAudit.actorOf(context);
        await loaded;
        const before = settings.get();
        const keyring = await keyrings.read();
        if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
        const next = await settings.update(change, keyring.vaultId);
        // A new destination holds the erasure register before any backup is made there (and one
        // marked again now gets the copy an erasure could not make).
        if (next.destination !== before.destination || status.stored.erasureRecord !== null) await vaultLock.run(copyRegister);
        if (JSON.stringify(next.schedule) !== JSON.stringify(before.schedule)) await scheduler.scheduleChanged();
        else scheduler.arm();
        announce();
        log.info({ schedule: next.schedule.kind, keep: next.keep, destination: next.destination === null ? 'default' : 'chosen' }, 'backup settings saved');
        await settingsAudit.record(actor, 'backup', backupSettingChanges(before, next));
        return settingsAnswer(next);
      },
      'backup.status': async () => {
        await loaded;
        return status.answer((await keyrings.exists()) ? scheduler.nextAt() : null);
      },
      // Settings' "Check again" (QA s32 #6): the check a backup makes before it writes (the folder is
      // there and its marker names this vault: ensureDestinationMarked), then whether this process
      // may write there (access, no probe file). Nothing is written, except the marker a destination
      // saved before markers existed gets when it holds this vault's backups, as a backup would.
      'backup.checkDestination': async () => {
        await loaded;
        const checkedAt = new Date().toISOString();
        const folder = settings.folder();
        try {
          await ensureMarked(folder);
          // <data>/backups/ is made by the first backup: not there yet is not a failure.
          if (settings.get().destination !== null || (await pathExists(folder))) await access(folder, constants.W_OK);
          return { available: true, reason: null, checkedAt };
        } catch (error) {
          return { available: false, reason: describeFailure(error), checkedAt };
        }
      },
      'backup.list': async ({ folder }) => {
        await loaded;
        const folders = folder === undefined ? [...new Set([settings.folder(), defaultBackupFolder(config.dataDir)])] : [await backupFolderToList(folder)];
        const backups: BackupListing[] = [];
        // Known by their content, as a restore knows them (a copy renamed .bak is listed, a foreign .hdmsbak is not).
        for (const each of folders) backups.push(...(await backupsIn(each, MAX_LISTED - backups.length)));
        return { backups: newestFirst(backups) };
      },
      'backup.choose': async ({ what }) => {
        const dialogs = config.backupDialogs;
        if (dialogs === undefined) {
          throw new BackupRefusal('E_UNAVAILABLE', 'This host has no native dialogs (the browser shell): type the path instead.');
        }
        return { path: what === 'folder' ? await dialogs.chooseFolder() : what === 'register' ? await dialogs.chooseRegisterFile() : await dialogs.chooseBackupFile() };
      },
    },
  });
}
