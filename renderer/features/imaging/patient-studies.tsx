import { useId } from 'react';
import { ErrorNote } from '../../app/error-note';
import { useVaultRead } from '../../app/use-vault-read';
import { useVault } from '../../vault/vault-context';
import { StudyTable } from './study-table';

/** A patient's imaging studies (DICOM), newest first; nothing when the patient has none. */
export function PatientStudies({ patientId }: { patientId: string }) {
  const vault = useVault();
  const headingId = useId();
  const studies = useVaultRead(`studies:${patientId}`, () => vault.patientStudies(patientId));
  if (studies.phase === 'ready' && studies.value.length === 0) return null;
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={studies.phase === 'loading'}>
      <h2 id={headingId}>Imaging studies</h2>
      {studies.phase === 'loading' && <p role="status">Loading the studies…</p>}
      {studies.phase === 'failed' && <ErrorNote error={studies.error} what="The studies could not be loaded" />}
      {studies.phase === 'ready' && (
        <>
          <p className="muted">{studies.value.length === 1 ? '1 study' : `${studies.value.length} studies`}, newest first.</p>
          <StudyTable studies={studies.value} labelledBy={headingId} withPatient={false} />
        </>
      )}
    </section>
  );
}
