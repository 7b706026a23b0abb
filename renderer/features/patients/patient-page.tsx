import { useId, useState } from 'react';
import { hrefForRoute } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';
import type { PatientDetail } from '../../vault/vault-service';
import { ErasePatientDialog } from './erase-patient-dialog';
import { PatientDeviceVitals } from '../devices/patient-device-vitals';
import { PatientStudies } from '../imaging/patient-studies';
import { PatientAccesses } from './patient-accesses';
import { PatientConsent } from './patient-consent';
import { PatientDatasets } from './patient-datasets';
import { addressLabel, identifierLabel, isNationalIdentifier, patientName } from './record-format';
import { PatientBanner } from './patient-banner';
import { PatientResults } from './patient-results';
import { RecordTable } from './record-table';
import { Fact } from '../../app/fact';
import { useDocumentTitle } from '../../app/use-document-title';

/** One patient: who they are, then their records in time order. Opening it is journaled as an access. */
export function PatientPage({ patientId, onErased }: { patientId: string; onErased: (name: string, erasureRecordProblem: string | null) => void }) {
  const vault = useVault();
  const detail = useVaultRead(`patient:${patientId}`, () => vault.openPatient(patientId));
  // The page, not the patient: a window title leaves the app (use-document-title.ts).
  useDocumentTitle('Patient chart');
  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForRoute('patients')}>← All patients</a>
      </p>
      {detail.phase === 'loading' && <p role="status">Opening the patient…</p>}
      {detail.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The patient could not be opened: {vaultErrorMessage(detail.error)}</p>
          <button type="button" className="button" onClick={detail.reload}>
            Retry
          </button>
        </div>
      )}
      {detail.phase === 'ready' && <PatientView detail={detail.value} onErased={onErased} />}
    </>
  );
}

function PatientView({ detail, onErased }: { detail: PatientDetail; onErased: (name: string, erasureRecordProblem: string | null) => void }) {
  const operator = useCurrentOperator();
  const [erasing, setErasing] = useState(false);
  const headingId = useId();
  const recordsHeadingId = useId();
  const { patient } = detail;
  const name = patientName(patient);
  const address = addressLabel(patient);
  const primary = patient.identifiers[0];

  return (
    <>
      <section className="panel patient-header" aria-labelledby={headingId}>
        <PatientBanner
          detail={detail}
          headingId={headingId}
          actions={
            operator?.role === 'admin' && primary !== undefined ? (
              <button type="button" className="button button--danger-outline" onClick={() => setErasing(true)}>
                Erase patient…
              </button>
            ) : undefined
          }
        />
        <dl className="facts patient-facts">
          {detail.mergedPatients !== undefined && detail.mergedPatients.length > 0 && (
            <Fact term="Merged records">
              Includes the records of{' '}
              {detail.mergedPatients
                .map((merged) => `${patientName(merged)} (${merged.identifiers.map(identifierLabel).join(', ')})`)
                .join('; ')}
              , merged into this patient by the sending system.
            </Fact>
          )}
          {/* In full here only; the banner on every view masks them (H8 F7). */}
          {patient.identifiers.some(isNationalIdentifier) && (
            <Fact term="National identifiers">{patient.identifiers.filter(isNationalIdentifier).map(identifierLabel).join(', ')}</Fact>
          )}
          <Fact term="Address">{address === '' ? 'Not recorded' : address}</Fact>
          <Fact term={(patient.phones?.length ?? 0) === 1 ? 'Phone' : 'Phones'}>{patient.phones === undefined || patient.phones.length === 0 ? 'Not recorded' : patient.phones.join(', ')}</Fact>
          {/* PID-14 apart from PID-13 (QA explore-11 D13); "Phone" stays home or unspecified, as older records hold both there. */}
          {patient.businessPhones !== undefined && patient.businessPhones.length > 0 && (
            <Fact term={patient.businessPhones.length === 1 ? 'Business phone' : 'Business phones'}>{patient.businessPhones.join(', ')}</Fact>
          )}
        </dl>
      </section>
      <PatientResults patientId={detail.patientId} records={detail.records} />
      <PatientDeviceVitals patientId={detail.patientId} records={detail.records} />
      <section className="panel" aria-labelledby={recordsHeadingId}>
        <h2 id={recordsHeadingId}>Records</h2>
        {detail.records.length === 0 ? (
          <p>This patient has no records.</p>
        ) : (
          <>
            <p className="muted">
              {detail.records.length === 1 ? '1 record' : `${detail.records.length} records`}, newest first.
            </p>
            <RecordTable patientId={detail.patientId} records={detail.records} labelledBy={recordsHeadingId} />
          </>
        )}
      </section>
      <PatientStudies patientId={detail.patientId} />
      <PatientConsent patientId={detail.patientId} />
      <PatientDatasets patientId={detail.patientId} />
      <PatientAccesses patientId={detail.patientId} />
      {erasing && primary !== undefined && (
        <ErasePatientDialog
          patientId={detail.patientId}
          name={name}
          identifier={primary.value}
          onClose={() => setErasing(false)}
          onErased={(problem) => onErased(name, problem)}
        />
      )}
    </>
  );
}
