import type { HdmsApi } from '../../../shared/ipc/contract';
import type { DeviceAssignmentMeta, DeviceDecisionMeta } from '../../../shared/journal/device-meta';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { ViewIndexing } from '../indexing/view-indexing';
import { appendSessionEvent, type SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { VaultError, type VaultService } from '../vault-service';
import { patientDeviceReports, recentDeviceReports } from '../views/device-reports';

/** The devices part of VaultService (issue 13): device reports from the views, and assigning a device session to a patient. */
export type DeviceService = Pick<VaultService, 'deviceReports' | 'patientDeviceReports' | 'assignDeviceSession' | 'journalDeviceDecision'>;

export function createDeviceService(api: HdmsApi, state: SessionState, indexing: ViewIndexing): DeviceService {
  return {
    async deviceReports(options) {
      const s = state.require();
      try {
        return await recentDeviceReports(s.db, s.keys.viewKey, options ?? {});
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientDeviceReports(patientId) {
      const s = state.require();
      try {
        // The approved-devices list is the body's (admins decide there): a device approved since its readings came shows them.
        const { devices } = await api.devices.approvals({});
        const decisionOf = (systemId: string): 'approved' | 'rejected' | 'pending' => {
          const best = devices.filter((d) => systemId.startsWith(d.systemIdPrefix)).sort((a, b) => b.systemIdPrefix.length - a.systemIdPrefix.length)[0];
          return best?.decision ?? 'pending';
        };
        return await patientDeviceReports(s.db, s.keys.viewKey, patientId, decisionOf);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async assignDeviceSession(session, patientId, personId) {
      const s = state.require();
      try {
        if ((await s.db.patients.get(patientId)) === undefined) throw new VaultError('E_NODE', 'That patient is not in this vault’s views.');
        const meta: DeviceAssignmentMeta = { v: 1, session, patientId, ...(personId === undefined ? {} : { personId }), at: new Date().toISOString() };
        await appendSessionEvent(api, s, MIND_KINDS.deviceAssigned, meta);
        if (state.isCurrent(s)) await indexing.runSync(s);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async journalDeviceDecision(input) {
      const s = state.require();
      try {
        const meta: DeviceDecisionMeta = { v: 1, ...input, at: new Date().toISOString() };
        await appendSessionEvent(api, s, MIND_KINDS.deviceDecision, meta);
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
