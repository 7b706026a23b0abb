import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackupListing, BackupSettings } from '../../shared/ipc/vault-contract';
import { Refusal } from '../errors/refusal';
import { bodyFeature } from '../features/body-feature';
import { DEVICE_DEDUPE_DIR } from '../intake/devices/device-duplicates';
import { DICOM_DEDUPE_DIR } from '../intake/dicom/dicom-duplicates';
import { HL7_DEDUPE_DIR } from '../intake/hl7-service';
import type { BodyServices } from '../features/body-services';
import { NO_VAULT, VaultStateRefusal, type OpenVault } from '../vault/vault-host';
import { exportBackup } from './backup-export';
import { BACKUP_EXTENSION, BackupRefusal, readBackupHead } from './backup-format';
import { journalBackupAct } from './backup-journal';
import { resolveBackupPath } from './backup-paths';
import { restoreBackup } from './backup-restore';
import { BackupScheduler, BackupStatusStore, pruneScheduledBackups, scheduledBackupFileName } from './backup-schedule';
import { BackupSettingsStore, defaultBackupFolder } from './backup-settings';
import { copyErasureRegister, keepRegister, registersForRestore } from './erasure-register';

const MAX_LISTED = 1000;

/** A failure in words for the status line: a refusal's own (PHI-free) message, else the system's error code. */
function describeFailure(error: unknown): string {
  if (error instanceof Refusal) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC') return 'The backup destination is full.';
  if (code === 'EACCES' || code === 'EPERM') return 'This app may not write into the backup destination.';
  return `The backup could not be written (${typeof code === 'string' ? code : 'see the log'}).`;
}

/**
 * `backup.*`: one encrypted file of the whole vault, into a destination folder, on demand or on a
 * schedule with retention; the last backup's status; restoring one into an empty data folder,
 * with the erasure register's erasures applied again.
 */
export function backupFeature({ config, log, vault, keyrings, vaultLock, notifier, isRunning }: BodyServices) {
  const dedupeDir = path.join(config.dataDir, ...HL7_DEDUPE_DIR);
  const dicomDedupeDir = path.join(config.dataDir, ...DICOM_DEDUPE_DIR);
  const deviceDedupeDir = path.join(config.dataDir, ...DEVICE_DEDUPE_DIR);
  const settings = new BackupSettingsStore(config.dataDir, log);
  const status = new BackupStatusStore(config.dataDir);
  const loaded = Promise.all([settings.load(), status.load()]);

  /** One backup into the destination; the caller holds the vault lock. */
  const makeBackup = async (open: OpenVault, scheduled: boolean): Promise<{ path: string; bytes: number; pruned: number }> => {
    const keyring = await keyrings.read();
    if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
    const folder = settings.folder();
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
    await copyErasureRegister(config.dataDir, folder);
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
        const made = await makeBackup(open, true);
        await journalBackupAct(open, 'scheduled', { bytes: made.bytes, pruned: made.pruned });
        log.info({ bytes: made.bytes, pruned: made.pruned }, 'scheduled backup made');
        return true;
      }),
    describe: describeFailure,
    onFailure: (error) => log.warn({ reason: describeFailure(error) }, 'scheduled backup failed'),
  });

  const settingsAnswer = (current: BackupSettings) => ({ settings: current, folder: settings.folder(), dialogs: config.backupDialogs !== undefined });

  return bodyFeature<'backup'>({
    name: 'backup',
    async onVaultOpen() {
      await loaded;
      scheduler.arm();
    },
    async stop() {
      await scheduler.stop();
    },
    handlers: {
      'backup.export': () =>
        vaultLock.run(async () => {
          await loaded;
          const open = await vault.require();
          try {
            const made = await makeBackup(open, false);
            return { path: made.path, bytes: made.bytes };
          } catch (error) {
            await status.failed(new Date(), describeFailure(error)).catch(() => undefined);
            throw error;
          }
        }),
      'backup.inspect': async ({ path: file }) => {
        const head = await readBackupHead(await resolveBackupPath(config.dataDir, file));
        return {
          keyring: head.preamble.keyring,
          createdAt: head.preamble.createdAt,
          envelopeHeader: Buffer.from(head.envelopeHeader).toString('base64url'),
          bytes: head.bytes,
        };
      },
      'backup.restore': ({ path: file, dataKey }) =>
        vaultLock.run(async () => {
          if (vault.isOpen || (await keyrings.exists())) {
            throw new VaultStateRefusal('E_CONFLICT', 'This data folder holds a vault already; restore into an empty data folder.');
          }
          const resolved = await resolveBackupPath(config.dataDir, file);
          // Read first: a damaged register stops the restore before anything is written.
          const register = await registersForRestore(config.dataDir, resolved);
          // The keys are back before vault.require() opens the vault and the HL7, DICOM and device channels attach.
          const restored = await restoreBackup({
            dataDir: config.dataDir,
            file: resolved,
            dataKey: new Uint8Array(Buffer.from(dataKey, 'base64url')),
            dedupeDir,
            dicomDedupeDir,
            deviceDedupeDir,
            register,
            log,
          });
          await keepRegister(config.dataDir, register);
          const open = await vault.require();
          await journalBackupAct(open, 'restored', restored.reapplied);
          notifier.reset();
          notifier.note(open.storage.journal.lastSeq);
          vault.setState({ state: 'locked' }, true);
          await vault.announceOpen(open);
          return { records: restored.records, objects: restored.objects, erasuresReapplied: restored.reapplied.erasures };
        }),
      'backup.getSettings': async () => {
        await loaded;
        return settingsAnswer(settings.get());
      },
      'backup.updateSettings': async (change) => {
        await loaded;
        const before = JSON.stringify(settings.get().schedule);
        const next = await settings.update(change);
        if (JSON.stringify(next.schedule) !== before) await scheduler.scheduleChanged();
        else scheduler.arm();
        log.info({ schedule: next.schedule.kind, keep: next.keep, destination: next.destination === null ? 'default' : 'chosen' }, 'backup settings saved');
        return settingsAnswer(next);
      },
      'backup.status': async () => {
        await loaded;
        return status.answer((await keyrings.exists()) ? scheduler.nextAt() : null);
      },
      'backup.list': async () => {
        await loaded;
        const folders = [...new Set([settings.folder(), defaultBackupFolder(config.dataDir)])];
        const backups: BackupListing[] = [];
        for (const folder of folders) {
          const names = await readdir(folder).catch(() => [] as string[]);
          for (const name of names) {
            if (backups.length >= MAX_LISTED) break;
            if (path.extname(name).toLowerCase() !== BACKUP_EXTENSION || name.startsWith('.')) continue;
            const full = path.join(folder, name);
            const info = await stat(full).catch(() => null);
            if (info === null || !info.isFile()) continue;
            const createdAt = await readBackupHead(full).then(
              (head) => head.preamble.createdAt,
              () => null,
            );
            backups.push({ path: full, name, bytes: info.size, createdAt });
          }
        }
        backups.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.name.localeCompare(a.name));
        return { backups };
      },
      'backup.choose': async ({ what }) => {
        const dialogs = config.backupDialogs;
        if (dialogs === undefined) {
          throw new BackupRefusal('E_UNAVAILABLE', 'This host has no native dialogs (the browser shell): type the path instead.');
        }
        return { path: what === 'folder' ? await dialogs.chooseFolder() : await dialogs.chooseBackupFile() };
      },
    },
  });
}
