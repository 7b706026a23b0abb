import type { AutoLock } from '../session/auto-lock';
import type { SessionState, VaultSession } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { mayReadJournalIssues, VaultError, type VaultService } from '../vault-service';
import { readReplayCounts, ReplayAborted } from '../views/journal-replay';
import { deleteVaultDb, openVaultDb, type IndexedDbDeps } from '../views/vault-db';
import type { ViewIndexing } from './view-indexing';

/** The indexing part of VaultService: its state, "sync", "Rebuild index" and what the replay could not apply. */
export type IndexingService = Pick<VaultService, 'indexing' | 'sync' | 'rebuildIndex' | 'journalIssues'>;

export function createIndexingService(state: SessionState, indexing: ViewIndexing, autoLock: AutoLock, idb: IndexedDbDeps): IndexingService {
  return {
    indexing: () => indexing.current(),

    sync(onProgress) {
      let s: VaultSession;
      try {
        s = state.require();
      } catch (error) {
        return Promise.reject(error);
      }
      return indexing.runSync(s, onProgress);
    },

    async rebuildIndex(onProgress) {
      const s = state.require();
      try {
        return await indexing.enqueueIndexing(s, async () => {
          const minutes = autoLock.minutes;
          s.db.close();
          await deleteVaultDb(s.keyring.vaultId, idb);
          s.opened.clear();
          if (!state.isCurrent(s)) throw new ReplayAborted();
          s.db = openVaultDb(s.keyring.vaultId, idb);
          await s.db.open();
          await autoLock.carryOver(s.db, minutes);
          return indexing.replayOnce(s, onProgress);
        });
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async journalIssues() {
      // An auditor's session holds no master but reads the views' counts (no key needed: numbers).
      const restricted = state.restricted;
      if (restricted !== null) {
        if (!mayReadJournalIssues(restricted.role)) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator or an auditor may see this.');
        return readReplayCounts(restricted.db).catch((error: unknown) => {
          throw asVaultError(error);
        });
      }
      const s = state.require();
      if (!mayReadJournalIssues(s.operator.role)) throw new VaultError('E_NOT_ALLOWED', 'Only an administrator or an auditor may see this.');
      try {
        // In the queue: a rebuild closes and replaces s.db, and a running replay's counts are partial.
        return await indexing.enqueue(s, async () => {
          if (!state.isCurrent(s)) throw new ReplayAborted();
          return readReplayCounts(s.db);
        });
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
