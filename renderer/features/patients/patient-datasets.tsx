import { useEffect, useId, useState } from 'react';
import { ErrorNote } from '../../app/error-note';
import { useDataSearch } from '../../app/research-context';
import type { PatientDataset } from '../../research/purchases';
import { PURPOSE_LABELS } from './patient-consent';

const PROFILE_WORDS: Readonly<Record<'safe-harbor' | 'longitudinal', string>> = { 'safe-harbor': 'Safe Harbor', longitudinal: 'date-shifted' };

/**
 * "Datasets that included this patient" (issue 15 item 8): every delivered research dataset this
 * patient went out in, from the clinic's record of what left (the views' dataset-out rows): when,
 * to whom, under which pseudonym, for which purpose, with which profile and k/ℓ. Shown only where
 * the node has the marketplace, and only when there is something to show.
 */
export function PatientDatasets({ patientId }: { patientId: string }) {
  const purchases = useDataSearch()?.purchases;
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; datasets: PatientDataset[] }>({ phase: 'loading' });
  useEffect(() => {
    if (purchases === undefined) return;
    let live = true;
    purchases.datasetsOfPatient(patientId).then(
      (datasets) => live && setLoaded({ phase: 'ready', datasets }),
      (error: unknown) => live && setLoaded({ phase: 'failed', error }),
    );
    return () => {
      live = false;
    };
  }, [purchases, patientId]);
  if (purchases === undefined || (loaded.phase === 'ready' && loaded.datasets.length === 0) || loaded.phase === 'loading') return null;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Datasets that included this patient</h2>
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The datasets could not be listed" />}
      {loaded.phase === 'ready' && (
        <>
          <p className="muted">De-identified research datasets delivered with this patient in them. The pseudonym is what the dataset calls them; only this node can tell who it is.</p>
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Delivered</th>
                <th scope="col">To</th>
                <th scope="col">Pseudonym</th>
                <th scope="col">Purpose</th>
                <th scope="col">Profile</th>
              </tr>
            </thead>
            <tbody>
              {loaded.datasets.map((dataset) => (
                <tr key={dataset.purchaseId}>
                  <td>
                    <time dateTime={new Date(dataset.at).toISOString()}>{new Date(dataset.at).toLocaleString()}</time>
                  </td>
                  <td>
                    {dataset.institution ?? 'A researcher no longer in the network map'}{' '}
                    <span className="muted">
                      (purchase <code title={dataset.purchaseId}>{dataset.purchaseId.slice(0, 10)}…</code>, {dataset.released.toLocaleString('en')} records)
                    </span>
                  </td>
                  <td>
                    <code>{dataset.pseudonym}</code>
                  </td>
                  <td>{dataset.purpose === null ? 'Not recorded' : PURPOSE_LABELS[dataset.purpose]}</td>
                  <td>
                    {dataset.profile === null ? 'Not recorded' : PROFILE_WORDS[dataset.profile]}, k = {dataset.k}, ℓ = {dataset.l}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
