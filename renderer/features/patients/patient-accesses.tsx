import { useId, useState } from 'react';
import { useLedger } from '../../app/ledger-context';
import { hrefForPath } from '../../app/router/hash-route';
import { useVaultRead } from '../../app/use-vault-read';
import { vaultErrorMessage } from '../../app/vault-errors';
import type { LedgerService } from '../../ledger/ledger-service';
import { ledgerTime, shortHash } from '../ledger/ledger-format';

/** How many accesses show before "Show all". */
export const ACCESSES_SHOWN = 20;

/**
 * "Who accessed this record": the ledger's ACCESS entries for this patient, newest first, each
 * linking to its signed entry. Nothing when this window has no ledger.
 */
export function PatientAccesses({ patientId }: { patientId: string }) {
  const ledger = useLedger();
  if (ledger === null) return null;
  return <AccessList ledger={ledger} patientId={patientId} />;
}

function AccessList({ ledger, patientId }: { ledger: LedgerService; patientId: string }) {
  const headingId = useId();
  const accesses = useVaultRead(`accesses:${patientId}`, () => ledger.accessesOf(patientId));
  const [showAll, setShowAll] = useState(false);

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
          <button type="button" className="button" onClick={accesses.reload}>
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
            ledger.
          </p>
          <div className="table-wrap">
            <table className="data-table" aria-labelledby={headingId}>
              <thead>
                <tr>
                  <th scope="col">Operator</th>
                  <th scope="col">Time</th>
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
                        // Names of other operators are for administrators; others see the pseudonym.
                        <code className="hash" title={access.operator}>
                          {shortHash(access.operator)}
                        </code>
                      )}
                    </th>
                    <td className="ledger-time">
                      <time dateTime={access.at}>{ledgerTime(access.at)}</time>
                    </td>
                    <td>
                      <a href={hrefForPath('ledger', String(access.seq))} aria-label={`Entry ${access.seq}`}>
                        {access.seq}
                      </a>
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
    </section>
  );
}
