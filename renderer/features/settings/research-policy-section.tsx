import { useEffect, useId, useState, type FormEvent } from 'react';
import { LOWEST_MIN_CELL_SIZE } from '../../../shared/research/cohort-answer';
import { DEFAULT_RELEASE_MAX_SHIFT_DAYS, NOT_UNDER_SAFE_HARBOR, type DicomReleaseOption, type ResearchPolicy } from '../../../shared/research/consent';
import { QUERY_PURPOSES } from '../../../shared/research/keyword-query';
import { PhdAmountSchema } from '../../../shared/research/query-answer';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useResearchConsent } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import { useCurrentOperator } from '../../vault/vault-context';
import { PURPOSE_LABELS } from '../patients/patient-consent';
import { ChoiceGroup } from './choice-group';

/** The Annex E Options a clinic may add for released DICOM files (shared/research/consent.ts says why only these). */
const DICOM_OPTION_LABELS: readonly (readonly [DicomReleaseOption, string])[] = [
  ['cleanDescriptors', 'Clean Descriptors: keep study and series descriptions, with the patient’s identifiers taken out'],
  ['retainInstitutionIdentity', 'Retain Institution Identity: keep this institution’s name and address'],
  ['retainDeviceIdentity', 'Retain Device Identity: keep device serial numbers and identifiers (longitudinal profile only: they are Safe Harbor identifiers)'],
];

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
  const [price, setPrice] = useState('');
  const [maxShift, setMaxShift] = useState('');
  const [loadError, setLoadError] = useState<unknown>(null);

  useEffect(() => {
    research?.policy().then(
      (policy) => {
        setSaved(policy);
        setDraft(policy);
        setMinCell(String(policy.minCellSize));
        setPrice(policy.pricePerRecord ?? '1');
        setMaxShift(String(policy.maxShiftDays ?? DEFAULT_RELEASE_MAX_SHIFT_DAYS));
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
  const cellProblem = !/^\d{1,4}$/.test(minCell) || cell < LOWEST_MIN_CELL_SIZE ? `Minimum cell size: a whole number of at least ${LOWEST_MIN_CELL_SIZE}.` : null;
  const priceProblem = PhdAmountSchema.safeParse(price.trim()).success ? null : 'Price per record: an amount of PHD such as 2 or 2.5 (at most 6 decimals).';
  const longitudinal = draft?.releaseProfile === 'longitudinal';
  const shift = Number(maxShift);
  const shiftValid = /^\d{1,3}$/.test(maxShift) && shift >= 1 && shift <= 365;
  const shiftProblem = longitudinal && !shiftValid ? 'Largest date shift: a whole number of days from 1 to 365.' : null;
  const problem = cellProblem ?? priceProblem ?? shiftProblem;
  // The largest shift is kept only with the longitudinal profile (a Safe Harbor policy names none).
  const withoutShift = (policy: ResearchPolicy): ResearchPolicy => {
    const { maxShiftDays: _shift, ...rest } = policy;
    return rest;
  };
  // The DICOM Options in their fixed order; under Safe Harbor without those it does not allow.
  const dicomOptions = DICOM_OPTION_LABELS.map(([option]) => option).filter((option) => draft?.dicomOptions?.includes(option) === true && (longitudinal || !NOT_UNDER_SAFE_HARBOR.has(option)));
  const next: ResearchPolicy | null =
    draft === null
      ? null
      : {
          ...withoutShift(draft),
          minCellSize: cell,
          pricePerRecord: price.trim(),
          ...(draft.releaseProfile === undefined ? {} : { releaseProfile: draft.releaseProfile }),
          ...(longitudinal ? { maxShiftDays: shift } : {}),
          ...(draft.dicomOptions === undefined ? {} : { dicomOptions }),
        };
  const normal = (policy: ResearchPolicy) =>
    JSON.stringify({ ...policy, pricePerRecord: policy.pricePerRecord ?? '1', releaseProfile: policy.releaseProfile ?? 'safe-harbor', maxShiftDays: policy.releaseProfile === 'longitudinal' ? policy.maxShiftDays : undefined, dicomOptions: policy.dicomOptions ?? [] });
  const changed = next !== null && saved !== null && normal(next) !== normal(saved);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (next !== null && problem === null && !save.busy) void save.run(next);
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Research</h2>
      <p className="muted">
        This policy decides which patients may ever be counted for researchers’ keyword queries: only those whose
        consent allows the query’s purpose, with counts under the minimum cell size hidden. Queries from the network’s
        research institutes arrive in Marketplace › Incoming queries, where each answer is also a signed ledger entry.
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
          <TextField label="Minimum cell size" value={minCell} onValue={setMinCell} disabled={!admin} inputMode="numeric" className="field--narrow" hint={`Smaller cohorts are answered “fewer than N”; never below ${LOWEST_MIN_CELL_SIZE}.`} problem={cellProblem} />
          <TextField label="Price per record (PHD)" value={price} onValue={setPrice} disabled={!admin} inputMode="decimal" className="field--narrow" hint="What this institution’s offers ask per record, in the network’s PHD token." problem={priceProblem} />
          <ChoiceGroup
            legend="Release profile"
            name="research-release-profile"
            description="How dates leave in a released dataset, in the records and in the DICOM files alike. Shifted dates keep intervals but are not Safe Harbor: such a release needs an Expert Determination or a limited data set agreement."
            choices={[
              { value: 'safe-harbor', label: 'HIPAA Safe Harbor (dates to the year)' },
              { value: 'longitudinal', label: `Longitudinal (dates shifted per patient, up to ${shiftValid ? shift : DEFAULT_RELEASE_MAX_SHIFT_DAYS} days)` },
            ]}
            value={draft.releaseProfile ?? 'safe-harbor'}
            onChange={(releaseProfile) => admin && setDraft({ ...draft, releaseProfile })}
          />
          {longitudinal && (
            <TextField label="Largest date shift (days)" value={maxShift} onValue={setMaxShift} disabled={!admin} inputMode="numeric" className="field--narrow" hint="Each patient’s dates move by one offset of 1 to N days, earlier or later, drawn afresh for every release." problem={shiftProblem} />
          )}
          <fieldset className="field">
            <legend className="field__label">DICOM files: Annex E Options beyond the Basic Profile</legend>
            <p className="field__hint">Released images always get DICOM PS3.15 Annex E’s Basic Application Level Confidentiality Profile; each Option below keeps more, and the release report names it.</p>
            {DICOM_OPTION_LABELS.map(([option, label]) => {
              const allowed = longitudinal || !NOT_UNDER_SAFE_HARBOR.has(option);
              return (
                <label key={option} className="checkbox">
                  <input
                    type="checkbox"
                    disabled={!admin || !allowed}
                    checked={dicomOptions.includes(option)}
                    onChange={(event) => setDraft({ ...draft, dicomOptions: event.target.checked ? [...dicomOptions, option] : dicomOptions.filter((other) => other !== option) })}
                  />{' '}
                  {label}
                </label>
              );
            })}
          </fieldset>
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
