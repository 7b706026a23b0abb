import { useCallback, useEffect, useRef, useState } from 'react';
import { hrefForPath, hrefForRoute } from '../../app/router/hash-route';
import { RawMessageView } from '../intake/raw-message-view';
import { useSetupReturn } from '../../app/setup-return-context';
import { NotFoundView } from '../../app/layout/not-found-view';
import { useVault, useVaultIndexing, useVaultPhase } from '../../vault/vault-context';
import { HitCache } from './hit-cache';
import { IndexingNotice } from './indexing-notice';
import { PatientPage } from './patient-page';
import { PatientSearchView } from './patient-search-view';
import { RecordDetail } from './record-detail';
import { PatientIdentity } from './patient-identity';
import { useDocumentTitle } from '../../app/use-document-title';
import { useSlashToSearch } from './slash-to-search';
import { usePatientSearch } from './use-patient-search';

/**
 * Patients: `#/patients` (search), `#/patients/<id>` (patient page) and
 * `#/patients/<id>/records/<recordId>` (record detail). The search, its results and the decrypted
 * rows live here, above the pages, so returning from a patient finds the list as it was; locking
 * the vault unmounts all of it.
 */
export function PatientsArea({ path }: { path: readonly string[] }) {
  const phase = useVaultPhase();
  if (phase !== 'unlocked') return <NoVaultYet />;
  return <OpenPatientsArea path={path} />;
}

function OpenPatientsArea({ path }: { path: readonly string[] }) {
  const vault = useVault();
  const indexing = useVaultIndexing();
  const search = usePatientSearch(vault, indexing.busy);
  const [hits] = useState(() => new HitCache(vault));
  useRowsReadAfterEachReplay(hits, indexing.busy);
  const [notice, setNotice] = useState<string | null>(null);
  // The erasure's record could not be copied beside the backups: the administrator must know.
  const [erasureProblem, setErasureProblem] = useState<string | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);
  const onList = path.length === 0;
  const focusHandled = useCallback(() => setFocusRequest(0), []);
  useSlashToSearch(() => {
    if (!onList) window.location.hash = hrefForRoute('patients');
    setFocusRequest((count) => count + 1);
  });

  const dataChanged = (): void => {
    hits.clear();
    search.refresh();
  };

  const erased = (name: string, problem: string | null): void => {
    setNotice(`${name} was erased. An ERASURE entry without personal data remains in the journal.`);
    setErasureProblem(problem);
    dataChanged();
    window.location.hash = hrefForRoute('patients');
  };

  const [patientId, section, recordId, ...rest] = path;
  if (patientId === undefined) {
    return (
      <>
        {erasureProblem !== null && (
          <p role="alert" className="note note--error">
            {erasureProblem}
          </p>
        )}
        <PatientSearchView search={search} hits={hits} notice={notice} indexing={indexing} onDataChanged={dataChanged} focusRequest={focusRequest} onFocused={focusHandled} />
      </>
    );
  }
  if (section === undefined) {
    return (
      <>
        <IndexingNotice indexing={indexing} />
        <PatientPage key={patientId} patientId={patientId} onErased={erased} />
      </>
    );
  }
  if (section === 'records' && recordId !== undefined && rest.length === 1 && rest[0] === 'raw') {
    return <RecordRawMessage key={recordId} patientId={patientId} recordId={recordId} />;
  }
  if (section === 'records' && recordId !== undefined && rest.length === 0) {
    return (
      <>
        <IndexingNotice indexing={indexing} />
        <RecordDetail key={recordId} patientId={patientId} recordId={recordId} />
      </>
    );
  }
  return <NotFoundView />;
}

/** The raw message a record came from, under whose record it is; the title names the page. */
function RecordRawMessage({ patientId, recordId }: { patientId: string; recordId: string }) {
  const vault = useVault();
  useDocumentTitle('Raw message – Patient record');
  return (
    <RawMessageView
      readKey={`record-raw:${recordId}`}
      load={() => vault.openRecordRaw(recordId)}
      backHref={hrefForPath('patients', patientId, 'records', recordId)}
      backText="Back to the record"
      header={<PatientIdentity patientId={patientId} />}
    />
  );
}

/**
 * The result rows are decrypted once and cached by patient; a replay may have changed any patient
 * (an ADT^A08 renames or redates one, QA11 D1). When the views stop being busy, every cached row
 * is dropped and the rows on screen are read again, so a clinician who picks a patient by name and
 * birth date sees what the chart shows now, never a state from before the replay.
 */
function useRowsReadAfterEachReplay(hits: HitCache, busy: boolean): void {
  const wasBusy = useRef(busy);
  useEffect(() => {
    if (wasBusy.current && !busy) hits.clear();
    wasBusy.current = busy;
  }, [hits, busy]);
}

function NoVaultYet() {
  const backToSetup = useSetupReturn();
  return (
    <div className="panel">
      <p>
        Patients lets staff search patients and their records by keyword (names, identifiers, codes) and open a patient
        page with that patient’s records in time order. The search runs on a blind index inside the encrypted vault.
      </p>
      <p>This node has no vault yet, so there is nothing to show.</p>
      {backToSetup !== null && (
        <button type="button" className="button button--primary" onClick={backToSetup}>
          Set up the vault
        </button>
      )}
    </div>
  );
}
