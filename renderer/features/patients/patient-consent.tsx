import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { CONSENT_STATES, isCalendarDay, type ConsentState, type ResearchPolicy } from '../../../shared/research/consent';
import { QUERY_PURPOSES, type QueryPurpose } from '../../../shared/research/keyword-query';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useResearchConsent } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import type { ConsentEntry } from '../../research/research-consent';
import { ledgerTime } from '../ledger/ledger-format';
import { ChoiceGroup } from '../settings/choice-group';
import { useCurrentOperator } from '../../vault/vault-context';

export const PURPOSE_LABELS: Readonly<Record<QueryPurpose, string>> = {
  'research-sale': 'Research, with sale of anonymized data',
  'research-no-sale': 'Research, without sale',
};

const STATE_LABELS: Readonly<Record<ConsentState, string>> = { granted: 'Granted', refused: 'Refused', withdrawn: 'Withdrawn' };

function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** Whether the patient is counted for a purpose, in words, under the institution's policy. */
function countedSentence(policy: ResearchPolicy, latest: ConsentState | undefined, purpose: QueryPurpose): string {
  if (!policy.purposes[purpose]) return 'not offered by this institution';
  if (policy.mode === 'opt-in') return latest === 'granted' ? 'counted (consent granted)' : 'not counted (no consent granted)';
  return latest === 'refused' || latest === 'withdrawn' ? 'not counted (refused or withdrawn)' : 'counted (opt-out: no refusal recorded)';
}

/**
 * The patient page's research consent (issue 14 item 1): where the patient stands for each purpose
 * under the institution's policy, every decision recorded (newest first, with who recorded it),
 * and a form to record a new one. Each record is a CONSENT ledger entry.
 */
export function PatientConsent({ patientId }: { patientId: string }) {
  const research = useResearchConsent();
  const operator = useCurrentOperator();
  const headingId = useId();
  const [loaded, setLoaded] = useState<{ phase: 'loading' } | { phase: 'failed'; error: unknown } | { phase: 'ready'; policy: ResearchPolicy; history: ConsentEntry[] }>({ phase: 'loading' });
  const [purpose, setPurpose] = useState<QueryPurpose>('research-sale');
  const [state, setState] = useState<ConsentState>('granted');
  const [decidedOn, setDecidedOn] = useState(today);

  const load = useCallback(() => {
    if (research === null) return;
    Promise.all([research.policy(), research.history(patientId)]).then(
      ([policy, history]) => setLoaded({ phase: 'ready', policy, history }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [research, patientId]);
  useEffect(load, [load]);

  const record = useAction(async () => {
    await research!.record({ patientId, purpose, state, decidedOn });
    load();
  });

  if (research === null) return null;
  const canRecord = operator?.role === 'admin' || operator?.role === 'clinician';
  // The field's own problems (its form, a day no calendar has) are shown under it; the future under the button as before.
  const fieldProblem = !/^\d{4}-\d{2}-\d{2}$/.test(decidedOn) ? 'Enter the date as YYYY-MM-DD.' : !isCalendarDay(decidedOn) ? `Decided on: ${decidedOn} is not a date.` : null;
  const problem = fieldProblem ?? (decidedOn > today() ? 'The date cannot be in the future.' : null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problem === null && !record.busy) void record.run();
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Research consent</h2>
      {loaded.phase === 'loading' && <p role="status">Loading the consent records…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The consent records could not be loaded" />}
      {loaded.phase === 'ready' && (
        <>
          <ul className="consent-status">
            {QUERY_PURPOSES.map((p) => (
              <li key={p}>
                <strong>{PURPOSE_LABELS[p]}:</strong> {countedSentence(loaded.policy, loaded.history.find((entry) => entry.purpose === p)?.state, p)}
              </li>
            ))}
          </ul>
          {loaded.history.length === 0 ? (
            <p className="muted">No decision recorded.</p>
          ) : (
            <div className="table-wrap">
              <table className="data-table" aria-label="Consent decisions">
                <thead>
                  <tr>
                    <th scope="col">Purpose</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Decided on</th>
                    <th scope="col">Recorded by</th>
                    <th scope="col">Recorded at</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.history.map((entry) => (
                    <tr key={entry.seq}>
                      <td>{PURPOSE_LABELS[entry.purpose]}</td>
                      <td>{STATE_LABELS[entry.state]}</td>
                      <td>{entry.decidedOn}</td>
                      <td>{entry.operatorName ?? 'Another operator'}</td>
                      <td className="nowrap">
                        <time dateTime={entry.recordedAt}>{ledgerTime(entry.recordedAt)}</time>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {canRecord && (
            <form className="form subform" aria-label="Record a consent decision" onSubmit={submit} noValidate>
              <ChoiceGroup legend="Purpose" name="consent-purpose" choices={QUERY_PURPOSES.map((p) => ({ value: p, label: PURPOSE_LABELS[p] }))} value={purpose} onChange={setPurpose} />
              <ChoiceGroup legend="Decision" name="consent-state" choices={CONSENT_STATES.map((s) => ({ value: s, label: STATE_LABELS[s] }))} value={state} onChange={setState} />
              <TextField label="Decided on" value={decidedOn} onValue={setDecidedOn} className="field--narrow" hint="The date the patient gave the decision (YYYY-MM-DD)." problem={fieldProblem} />
              <SubmitRow label="Record the decision" problem={problem} busy={record.busy} busyText="Recording…" />
              {record.error !== null && <ErrorNote error={record.error} what="The decision was not recorded" />}
            </form>
          )}
        </>
      )}
    </section>
  );
}
