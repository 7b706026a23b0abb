import type { Transport } from '../../../shared/ipc/api-client';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { ViewIndexing } from '../indexing/view-indexing';
import type { SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import type { VaultService } from '../vault-service';

/** Demo data: the body generates and ingests it; the views index it before the call answers. */
export function createDemoImport(api: HdmsApi, transport: Transport, state: SessionState, indexing: ViewIndexing): Pick<VaultService, 'importDemoData'> {
  return {
    async importDemoData(patients, onProgress) {
      const s = state.require();
      const unsubscribe = transport.subscribe('demo.progress', (progress) => onProgress?.(progress.patients, progress.total));
      let result: { messages: number; patients: number };
      try {
        result = await api.demo.import({ patients });
      } catch (error) {
        throw asVaultError(error);
      } finally {
        unsubscribe();
      }
      onProgress?.(result.patients, patients);
      if (state.isCurrent(s)) await indexing.runSync(s);
      return { messages: result.messages, patients: result.patients };
    },
  };
}
