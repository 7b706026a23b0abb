import { useId, useState, type FormEvent } from 'react';
import { TextField } from '../../app/form/text-field';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';

export const DEFAULT_DEMO_PATIENTS = 1000;
export const MAX_DEMO_PATIENTS = 200_000;

const numberFormat = new Intl.NumberFormat('en');

type Progress =
  | { readonly step: 'importing'; readonly done: number; readonly total: number }
  | { readonly step: 'indexing'; readonly applied: number }
  | { readonly step: 'done'; readonly patients: number; readonly messages: number; readonly applied: number };

/**
 * "Import demo data": a synthetic population fed through the same sealed intake path as real
 * messages, then replayed into the index so search finds it at once. Used on the empty Patients
 * page and in Settings → Data.
 */
export function ImportDemoControl(props: { onStarted?: () => void; onImported?: () => void }) {
  // The body lets administrators only import demo data (method-access.ts): others are told so, not shown a form that fails.
  const operator = useCurrentOperator();
  if (operator !== null && operator.role !== 'admin') return <p className="muted">Only an administrator can import demo data.</p>;
  return <ImportDemoForm {...props} />;
}

function ImportDemoForm({ onStarted, onImported }: { onStarted?: () => void; onImported?: () => void }) {
  const vault = useVault();
  const [count, setCount] = useState(String(DEFAULT_DEMO_PATIENTS));
  const [progress, setProgress] = useState<Progress | null>(null);
  const progressId = useId();

  const importDemo = useAction(async (patients: number) => {
    onStarted?.();
    setProgress({ step: 'importing', done: 0, total: patients });
    const imported = await vault.importDemoData(patients, (done, total) => setProgress({ step: 'importing', done, total }));
    setProgress({ step: 'indexing', applied: 0 });
    const synced = await vault.sync((p) => setProgress({ step: 'indexing', applied: p.applied }));
    setProgress({ step: 'done', patients: imported.patients, messages: imported.messages, applied: synced.applied });
    onImported?.();
  });

  const patients = Number(count);
  const valid = /^\d+$/.test(count.trim()) && patients >= 1 && patients <= MAX_DEMO_PATIENTS;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!valid || importDemo.busy) return;
    void importDemo.run(patients);
  };

  return (
    <form className="form form--inline" aria-label="Import demo data" onSubmit={submit} noValidate>
      <div className="form__row">
        <TextField
          label="Number of patients"
          value={count}
          onValue={setCount}
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_DEMO_PATIENTS}
          step={1}
          className="field--narrow"
          aria-invalid={!valid || undefined}
        />
        <button type="submit" className="button button--primary" disabled={!valid || importDemo.busy} aria-describedby={progressId}>
          Import demo data
        </button>
      </div>
      {!valid && <p className="form-actions__reason">Choose between 1 and {numberFormat.format(MAX_DEMO_PATIENTS)} patients.</p>}
      <div id={progressId} className="progress-block">
        {progress?.step === 'importing' && (
          <>
            <progress className="progress" max={Math.max(progress.total, 1)} value={progress.done} aria-label="Demo data import" />
            <p role="status">
              Importing demo data: {numberFormat.format(progress.done)} of {numberFormat.format(progress.total)}…
            </p>
          </>
        )}
        {progress?.step === 'indexing' && (
          <>
            <progress className="progress" aria-label="Indexing" />
            <p role="status">Indexing: {numberFormat.format(progress.applied)} journal records applied…</p>
          </>
        )}
        {progress?.step === 'done' && importDemo.error === null && (
          <p role="status" className="note note--ok">
            Imported {numberFormat.format(progress.patients)} demo patients ({numberFormat.format(progress.messages)} messages).
            The index is up to date.
          </p>
        )}
      </div>
      <ActionError error={importDemo.error} />
    </form>
  );
}
