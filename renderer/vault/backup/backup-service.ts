import type { HdmsApi } from '../../../shared/ipc/contract';
import { ContractError } from '../../../shared/ipc/errors';
import { BACKUP_LABEL_ALTERED } from '../../../shared/ipc/vault-contract';
import type { ViewIndexing } from '../indexing/view-indexing';
import { keyringIntact } from '../session/keyring/keyring-integrity';
import type { SessionLifecycle } from '../session/session-lifecycle';
import { appendSessionEvent, type SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { VaultError, type RestoreOutcome, type VaultService } from '../vault-service';
import { createOpener, deriveVaultKeys, fromBase64Url, toBase64Url } from '../vault-crypto';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { BACKUP_REFUSALS, openBackupKeyring } from './backup-keyring';
import { RECOVERY_SLOT_OWNER } from '../session/keyring/keyring-edits';
import { discard, unlockThroughBody } from '../session/unlock-attempts';

/** The backup part of VaultService: export (journaled) and restore into an empty data folder. */
export type BackupService = Pick<VaultService, 'exportBackup' | 'restoreBackup'>;

export interface BackupServiceDeps {
  readonly api: HdmsApi;
  readonly state: SessionState;
  readonly lifecycle: SessionLifecycle;
  readonly indexing: ViewIndexing;
  /** "Rebuild index" (the restored views are replayed from the restored journal). */
  readonly rebuildIndex: VaultService['rebuildIndex'];
}

export function createBackupService({ api, state, lifecycle, indexing, rebuildIndex }: BackupServiceDeps): BackupService {
  return {
    async exportBackup() {
      const s = state.require();
      try {
        const written = await api.backup.export({});
        await appendSessionEvent(api, s, MIND_KINDS.backupExported, { v: 1, bytes: written.bytes });
        return written;
      } catch (error) {
        // The body's refusal (destination offline, not this vault's) is written for the user: as it is (H6).
        if (error instanceof ContractError && (error.code === 'E_BAD_REQUEST' || error.code === 'E_UNAVAILABLE')) throw new VaultError('E_BACKUP', error.message);
        throw asVaultError(error);
      }
    },

    async restoreBackup(input) {
      const status = await api.vault.status({}).catch((error: unknown) => {
        throw asVaultError(error);
      });
      if (status.state !== 'absent' || state.signedIn) throw new VaultError('E_EXISTS', 'A vault exists already in this data folder: restore into an empty one.');
      let inspected: Awaited<ReturnType<HdmsApi['backup']['inspect']>>;
      try {
        inspected = await api.backup.inspect({ path: input.path });
      } catch (error) {
        // As at backup.restore below: the body's refusal of the file (not there, not a backup,
        // damaged) is written for the user and shown as it is, not after "The node refused:" (QA s32 #10).
        if (error instanceof ContractError && error.code === 'E_BAD_REQUEST') throw new VaultError('E_BACKUP', error.message);
        throw asVaultError(error, 'E_BACKUP');
      }
      // A file moved away from the register beside it: before anything is restored, the admin
      // chooses the register or says to go on without it (README "A restore re-applies erasures").
      // Asked only once the secret opened the backup and the body found the whole file intact: a
      // copy cut short is reported as damaged, not sent to look for a register first (H8 F16).
      const registerMissing = inspected.erasureRegister !== 'beside' && input.erasureRegister === undefined && input.withoutErasureRegister !== true;
      const { keyring } = inspected;
      const { master, operator } = await openBackupKeyring(keyring, input.operatorName, input.secret);
      try {
        if (!(await keyringIntact(master, keyring))) throw new VaultError('E_BACKUP', 'The backup keyring failed its integrity check.');
        const keys = await deriveVaultKeys(master);
        let dataKey: Uint8Array;
        try {
          dataKey = await createOpener(keys.intakeKeyPair.privateKey).exportDataKey(fromBase64Url(inspected.envelopeHeader));
        } catch {
          // Its keyring opened and passed its integrity check, so the header that does not open is damaged (or foreign).
          throw new VaultError('E_BACKUP', 'The backup file is damaged: its sealed part does not open with the keys of its own keyring.');
        }
        let restored: RestoreOutcome;
        try {
          if (registerMissing) {
            // The date question too comes before the register's (the body checks it once the whole file is intact).
            await api.backup.verify({ path: input.path, dataKey: toBase64Url(dataKey), ...(input.acceptAlteredLabel === true ? { acceptAlteredLabel: true as const } : {}) });
            throw new VaultError('E_NO_ERASURE_REGISTER', BACKUP_REFUSALS.noErasureRegister);
          }
          const answer = await api.backup.restore({
            path: input.path,
            dataKey: toBase64Url(dataKey),
            ...(input.erasureRegister === undefined ? {} : { erasureRegister: input.erasureRegister }),
            ...(input.acceptAlteredLabel === true ? { acceptAlteredLabel: true as const } : {}),
          });
          restored = {
            records: answer.records,
            erasuresReapplied: answer.erasuresReapplied,
            erasureRegister: answer.erasureRegister,
            backupCreatedAt: answer.backupCreatedAt,
            ledgerSeq: answer.ledgerSeq,
          };
        } catch (error) {
          if (error instanceof VaultError) throw error;
          // The file's clear date differs from its sealed one: nothing restored, the form asks the user (H6 F5).
          if (error instanceof ContractError && error.code === 'E_CONFLICT' && error.message.endsWith(BACKUP_LABEL_ALTERED)) throw new VaultError('E_BACKUP_LABEL_ALTERED', error.message);
          // The body's refusal of the file (damaged, incomplete) is written for the user: shown as it is.
          if (error instanceof ContractError && error.code === 'E_BAD_REQUEST') throw new VaultError('E_BACKUP', error.message);
          throw asVaultError(error, 'E_BACKUP');
        } finally {
          dataKey.fill(0);
        }
        // The restored vault is locked at the body like any other: open this window's session
        // through the body with the same secret (the slot it serves is the one just opened here).
        const byPassphrase = 'passphrase' in input.secret;
        const proven = await unlockThroughBody(
          api,
          byPassphrase ? operator.operatorId : RECOVERY_SLOT_OWNER,
          byPassphrase ? 'passphrase' : 'recovery',
          'passphrase' in input.secret ? input.secret.passphrase : input.secret.recoveryKey,
          'The backup does not open with that secret.',
        );
        discard(proven);
        // Busy before the session opens and until the rebuild is done: the UI must never take the
        // unlocked, still empty views for an empty vault. The session skips its own first sync
        // (the rebuild replays everything anyway).
        const endIndexing = indexing.begin();
        try {
          await lifecycle.open(master, keyring, operator, keys, { autoSync: false });
          await rebuildIndex();
        } finally {
          endIndexing();
        }
        return restored;
      } finally {
        master.fill(0);
      }
    },
  };
}
