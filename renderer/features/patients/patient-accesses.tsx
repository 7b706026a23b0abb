import { useEffect, useId, useState } from 'react';
import { CopyButton } from '../../app/copy-button';
import { SaveFileButton } from '../../app/save-file-button';
import { useLedger } from '../../app/ledger-context';
import { hrefForPath } from '../../app/router/hash-route';
import { useAction } from '../../app/use-action';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import type { ExportedFile, LedgerService } from '../../ledger/ledger-service';
import { ledgerPseudonym, ledgerTime, otherOperatorWords } from '../ledger/ledger-format';

/** How many accesses show before "Show all". */
export const ACCESSES_SHOWN = 20;

type Access = Awaited<ReturnType<LedgerService['accessesOf']>>[number];

type Loaded =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly value: readonly Access[] };

/**
 * "Who accessed this record": the rows of this patient's access report (what its CSV export
 * holds: opens, exports, quarantine acts on their messages), newest first, each linking to its
 * signed entry. Nothing when this window has no ledger.
 */
export function PatientAccesses({ patientId }: { patientId: string }) {
  const ledger = useLedger();
  if (ledger === null) return null;
  return <AccessList ledger={ledger} patientId={patientId} />;
}

/** Bumps whenever the ledger says it changed (entries signed), where the service says so. */
function useLedgerVersion(ledger: LedgerService): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const subscribe = (ledger as LedgerService & { subscribe?: (listener: () => void) => () => void }).subscribe;
    if (typeof subscribe !== 'function') return undefined;
    return subscribe.call(ledger, () => setVersion((n) => n + 1));
  }, [ledger]);
  return version;
}

function AccessList({ ledger, patientId }: { ledger: LedgerService; patientId: string }) {
  const headingId = useId();
  // Reloaded whenever the ledger signs something, so this visit's access shows as soon as it is
  // signed (an act is signed at the replay right after it is journaled); the list shown stays
  // until the new one is read.
  const version = useLedgerVersion(ledger);
  const [attempt, setAttempt] = useState(0);
  const [loaded, setLoaded] = useState<{ readonly patientId: string; readonly state: Loaded } | null>(null);
  useEffect(() => {
    let current = true;
    ledger.accessesOf(patientId).then(
      (value) => {
        if (current) setLoaded({ patientId, state: { phase: 'ready', value } });
      },
      (error: unknown) => {
        if (current) setLoaded({ patientId, state: { phase: 'failed', error } });
      },
    );
    return () => {
      current = false;
    };
  }, [ledger, patientId, version, attempt]);
  const accesses: Loaded = loaded !== null && loaded.patientId === patientId ? loaded.state : { phase: 'loading' };
  const [showAll, setShowAll] = useState(false);
  const [exported, setExported] = useState<{ readonly path: string; readonly rows: number; readonly file: ExportedFile } | null>(null);
  const exportCsv = useAction(async () => {
    setExported(null);
    setExported(await ledger.exportAccessReport({ patientId }));
  });

  return (
    <section className="panel patient-accesses" aria-labelledby={headingId}>
      <h2 id={headingId}>Who accessed this record</h2>
      {accesses.phase === 'loading' && (
        <p role="status" className="loading-text">
          Loading the accesses…
        </p>
      )}
      {accesses.phase === 'failed' && (
        <div role="alert" className="note note--error">
          <p>The accesses could not be loaded: {vaultErrorMessage(accesses.error)}</p>
          <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {accesses.phase === 'ready' && accesses.value.length === 0 && (
        <p className="muted">The ledger records no access to this patient yet.</p>
      )}
      {accesses.phase === 'ready' && accesses.value.length > 0 && (
        <>
          <p className="muted">
            {accesses.value.length === 1 ? '1 access' : `${accesses.value.length} accesses`}, newest first, from the signed
            ledger. Repeated views by one person within half an hour of one session count once.
          </p>
          <div className="table-wrap">
            <table className="data-table" aria-labelledby={headingId}>
              <thead>
                <tr>
                  <th scope="col">Operator</th>
                  <th scope="col">Time</th>
                  <th scope="col">What</th>
                  <th scope="col">Workstation</th>
                  <th scope="col">Ledger entry</th>
                </tr>
              </thead>
              <tbody>
                {(showAll ? accesses.value : accesses.value.slice(0, ACCESSES_SHOWN)).map((access) => (
                  <tr key={access.seq}>
                    <th scope="row">
                      {access.operatorName !== '' ? (
                        access.operatorName
                      ) : (
                        // Names of other operators are for administrators and auditors; others read the role, the pseudonym on hover.
                        <span title={`Ledger pseudonym ${ledgerPseudonym(access.operator)}`}>{otherOperatorWords(access.operatorRole)}</span>
                      )}
                    </th>
                    <td className="ledger-time">
                      <time dateTime={access.at}>{ledgerTime(access.at)}</time>
                    </td>
                    <td>{access.what ?? ''}</td>
                    <td>{access.workstation === undefined || access.workstation === '' ? <span className="muted">not recorded</span> : access.workstation}</td>
                    <td>
                      <a href={hrefForPath('ledger', String(access.seq))} aria-label={`Entry ${access.seq}`}>
                        {access.seq}
                      </a>
                      {access.leafIndex !== undefined && <span className="muted"> (notary leaf {access.leafIndex})</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {!showAll && accesses.value.length > ACCESSES_SHOWN && (
            <div className="form-actions patient-accesses__more">
              <button type="button" className="button" onClick={() => setShowAll(true)}>
                Show all {accesses.value.length} accesses
              </button>
            </div>
          )}
        </>
      )}
      <div className="form-actions">
        <button type="button" className="button" disabled={exportCsv.busy} aria-busy={exportCsv.busy || undefined} onClick={() => void exportCsv.run()}>
          Export access report (CSV)
        </button>
        <a href={hrefForPath('ledger', 'access')}>All accesses and sign-ins</a>
      </div>
      <ActionError error={exportCsv.error} />
      {exported !== null && (
        <div className="note note--ok ledger-export">
          <p role="status">
            Exported {exported.rows === 1 ? '1 row' : `${exported.rows} rows`} to <code className="path">{exported.path}</code>
          </p>
          <p className="ledger-export__hint">The file names the patient: keep it as you would a printed report.</p>
          <SaveFileButton file={exported.file} label="Download report (CSV)" />
          <CopyButton variant="path" value={exported.path} label="Copy report path" />
        </div>
      )}
    </section>
  );
}
