import type { SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import type { VaultService } from '../vault-service';
import { allStudies, studiesOfPatient } from '../views/imaging-reads';
import { patientHits } from '../views/view-reads';

/** The imaging part of VaultService (issue 12): the studies DICOM brought, listed from the views. */
export type ImagingService = Pick<VaultService, 'studies' | 'patientStudies'>;

export function createImagingService(state: SessionState): ImagingService {
  return {
    async studies() {
      const s = state.require();
      try {
        const studies = await allStudies(s.db, s.keys.viewKey);
        const hits = await patientHits(s.db, s.keys.viewKey, [...new Set(studies.map((study) => study.patientId))]);
        const byId = new Map(hits.map((hit) => [hit.patientId, hit]));
        return studies.map((study) => ({ ...study, patient: byId.get(study.patientId) ?? null }));
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientStudies(patientId) {
      const s = state.require();
      try {
        return await studiesOfPatient(s.db, s.keys.viewKey, patientId);
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
