import { ComingLaterPanel } from '../../app/layout/coming-later-panel';

export function PatientsArea() {
  return (
    <ComingLaterPanel>
      <p>
        Patients will let staff search patients and their records by keyword (names, identifiers, codes) and open a
        patient page that lists that patient’s records in time order.
      </p>
      <p>
        The search runs on a blind index inside the encrypted vault, so nothing readable about a patient is written to
        disk, and every opened record is recorded for the audit trail.
      </p>
    </ComingLaterPanel>
  );
}
