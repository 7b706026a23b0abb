import type { SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import type { VaultService } from '../vault-service';
import { recentDeviceReports } from '../views/device-reports';

/** The devices part of VaultService (issue 13): device reports from the views, opened with the view key. */
export type DeviceService = Pick<VaultService, 'deviceReports'>;

export function createDeviceService(state: SessionState): DeviceService {
  return {
    async deviceReports(options) {
      const s = state.require();
      try {
        return await recentDeviceReports(s.db, s.keys.viewKey, options ?? {});
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
