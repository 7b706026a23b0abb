import path from 'node:path';
import { bodyFeature } from '../features/body-feature';
import { HL7_DEDUPE_DIR } from '../intake/hl7-service';
import type { BodyServices } from '../features/body-services';
import { NO_VAULT, VaultStateRefusal } from '../vault/vault-host';
import { exportBackup } from './backup-export';
import { readBackupHead } from './backup-format';
import { resolveBackupPath } from './backup-paths';
import { restoreBackup } from './backup-restore';

/** `backup.*`: one encrypted file of the whole vault, and restoring one into an empty data folder. */
export function backupFeature({ config, log, vault, keyrings, vaultLock, notifier }: BodyServices) {
  const dedupeDir = path.join(config.dataDir, ...HL7_DEDUPE_DIR);
  return bodyFeature<'backup'>({
    name: 'backup',
    handlers: {
      'backup.export': () =>
        vaultLock.run(async () => {
          const open = await vault.require();
          const keyring = await keyrings.read();
          if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
          return exportBackup({ dataDir: config.dataDir, storage: open.storage, sealer: open.sealer, keyring, dedupeDir, log });
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
          // The key is back before vault.require() opens the vault and the HL7 channel attaches.
          const restored = await restoreBackup({
            dataDir: config.dataDir,
            file: await resolveBackupPath(config.dataDir, file),
            dataKey: new Uint8Array(Buffer.from(dataKey, 'base64url')),
            dedupeDir,
            log,
          });
          const open = await vault.require();
          notifier.reset();
          notifier.note(open.storage.journal.lastSeq);
          vault.setState({ state: 'locked' }, true);
          await vault.announceOpen(open);
          return { records: restored.records, objects: restored.objects };
        }),
    },
  });
}
