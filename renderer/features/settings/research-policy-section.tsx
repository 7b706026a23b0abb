import { useEffect, useId, useState, type FormEvent } from 'react';
import { LOWEST_MIN_CELL_SIZE } from '../../../shared/research/cohort-answer';
import type { ResearchPolicy } from '../../../shared/research/consent';
import { QUERY_PURPOSES } from '../../../shared/research/keyword-query';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useResearchConsent } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import { useCurrentOperator } from '../../vault/vault-context';
import { PURPOSE_LABELS } from '../patients/patient-consent';
import { ChoiceGroup } from './choice-group';

/**
 * Settings › Research (issue 14 item 1): the institution's research policy. Administrators set it
 * (a SETTINGS_CHANGE ledger entry); everyone else with a clinical session reads it. Until a purpose
 * is enabled, no patient is counted or offered for it.
 */
export function ResearchPolicySection() {
  const research = useResearchConsent();
  const operator = useCurrentOperator();
  const headingId = useId();
  const [saved, setSaved] = useState<ResearchPolicy | null>(null);
  const [draft, setDraft] = useState<ResearchPolicy | null>(null);
  const [minCell, setMinCell] = useState('');
  const [loadError, setLoadError] = useState<unknown>(null);

  useEffect(() => {
    research?.policy().then(
      (policy) => {
        setSaved(policy);
        setDraft(policy);
        setMinCell(String(policy.minCellSize));
      },
      (error: unknown) => setLoadError(error),
    );
  }, [research]);

  const save = useAction(async (policy: ResearchPolicy) => {
    const { v: _v, ...rest } = policy;
    await research!.setPolicy(rest);
    setSaved(policy);
  });

  if (research === null) return null;
  const admin = operator?.role === 'admin';
  const cell = Number(minCell);
  const problem = !/^\d{1,4}$/.test(minCell) || cell < LOWEST_MIN_CELL_SIZE ? `Minimum cell size: a whole number of at least ${LOWEST_MIN_CELL_SIZE}.` : null;
  const changed = draft !== null && saved !== null && (JSON.stringify({ ...draft, minCellSize: cell }) !== JSON.stringify(saved));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft !== null && problem === null && !save.busy) void save.run({ ...draft, minCellSize: cell });
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Research</h2>
      <p className="muted">
        This policy decides which patients may ever be counted for researchers’ keyword queries: only those whose
        consent allows the query’s purpose, with counts under the minimum cell size hidden. Receiving and answering
        queries from the network is not available in this version yet; the policy and the patients’ decisions are
        recorded (and signed in the ledger) now.
      </p>
      {loadError !== null && <ErrorNote error={loadError} what="The research policy could not be loaded" />}
      {draft !== null && (
        <form className="form subform" aria-label="Research policy" onSubmit={submit} noValidate>
          <ChoiceGroup
            legend="Consent model"
            name="research-mode"
            choices={[
              { value: 'opt-in', label: 'Opt-in: only patients who granted consent' },
              { value: 'opt-out', label: 'Opt-out with notice: every patient except those who refused or withdrew' },
            ]}
            value={draft.mode}
            onChange={(mode) => admin && setDraft({ ...draft, mode })}
          />
          <fieldset className="field">
            <legend className="field__label">Purposes this institution answers</legend>
            {QUERY_PURPOSES.map((purpose) => (
              <label key={purpose} className="checkbox">
                <input type="checkbox" disabled={!admin} checked={draft.purposes[purpose]} onChange={(event) => setDraft({ ...draft, purposes: { ...draft.purposes, [purpose]: event.target.checked } })} /> {PURPOSE_LABELS[purpose]}
              </label>
            ))}
          </fieldset>
          <TextField label="Minimum cell size" value={minCell} onValue={setMinCell} disabled={!admin} inputMode="numeric" className="field--narrow" hint={`Smaller cohorts are answered “fewer than N”; never below ${LOWEST_MIN_CELL_SIZE}.`} problem={problem} />
          <ChoiceGroup
            legend="Answering"
            name="research-answering"
            choices={[
              { value: 'review', label: 'An administrator reviews each query' },
              { value: 'automatic', label: 'Answer automatically within this policy' },
            ]}
            value={draft.answering}
            onChange={(answering) => admin && setDraft({ ...draft, answering })}
          />
          {admin ? (
            <>
              <SubmitRow label="Save the policy" problem={problem ?? (changed ? null : 'Nothing changed.')} busy={save.busy} busyText="Saving…" />
              {save.error !== null && <ErrorNote error={save.error} what="The policy was not saved" />}
            </>
          ) : (
            <p className="muted">Only an administrator changes the research policy.</p>
          )}
        </form>
      )}
    </section>
  );
}
