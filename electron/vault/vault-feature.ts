import { checkIntakePublicKey } from '../crypto/node-sealer';
import { bodyFeature } from '../features/body-feature';
import type { BodyServices } from '../features/body-services';
import type { KeychainPort } from './keychain';
import { KeyringRefusal } from './keyring-store';
import { UnlockThrottle } from './unlock-throttle';
import { VaultStateRefusal } from './vault-host';

/** No OS keychain on this host, or none usable now. */
export class KeychainRefusal extends KeyringRefusal {}

/** `vault.*`: the vault's presence, keyring, unlock throttle, OS keychain and erasure. */
export function vaultFeature(services: BodyServices) {
  const { config, log, vault, keyrings, vaultLock } = services;
  const throttle = new UnlockThrottle(config.dataDir, log);

  const requireKeychain = (): KeychainPort => {
    if (config.keychain === undefined || !config.keychain.available()) {
      throw new KeychainRefusal(
        'E_UNAVAILABLE',
        config.keychain === undefined
          ? 'This host offers no OS keychain (the browser shell never does); unlock with a passphrase.'
          : 'The OS keychain is not available for this user account now; unlock with a passphrase.',
      );
    }
    return config.keychain;
  };

  return bodyFeature<'vault'>({
    name: 'vault',
    handlers: {
      'vault.status': () => vault.refresh(false),
      'vault.keyring': async () => ({ keyring: await keyrings.read() }),
      'vault.create': ({ keyring }) =>
        vaultLock.run(async () => {
          if (await keyrings.exists()) throw new VaultStateRefusal('E_CONFLICT', 'A vault exists already in this data folder; unlock it, or choose another data folder.');
          try {
            // node:crypto ECDH only: Electron's WebCrypto AES-KW is not to be relied on (see node-sealer.ts).
            checkIntakePublicKey(Buffer.from(keyring.intakePublicKey, 'base64url'));
          } catch {
            throw new KeyringRefusal('E_BAD_REQUEST', 'keyring.intakePublicKey is not an uncompressed P-256 public key.');
          }
          await keyrings.create(keyring);
          const open = await vault.require();
          // A system event: the body knows operators only by their local account ids, which keys.json
          // links to names. The mind journals who created the vault under the operator's pseudonym.
          const { seq } = await open.storage.journal.append({ kind: 'vault.created', operator: null, objects: [], meta: null });
          open.onDurable(seq);
          log.info({ operators: keyring.operators.length, slots: keyring.slots.length }, 'vault created');
          vault.setState({ state: 'locked' }, true);
          await vault.announceOpen(open);
          return vault.status;
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
       * followed by erasing the patient again.
       */
      'vault.erase': ({ seqs, objects }) =>
        vaultLock.run(async () => {
          const open = await vault.require();
          const toDelete = new Set(objects);
          const result = await open.storage.journal.rewrite(new Set(seqs), toDelete);
          if (result.stillReferenced.length > 0) {
            throw new VaultStateRefusal(
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
    },
  });
}
