import { useId, useState, type FormEvent } from 'react';
import { DATA_TYPES, type DataType } from '../../../shared/research/cohort-answer';
import { QUERY_PURPOSES, type QueryFilters, type QueryPurpose } from '../../../shared/research/keyword-query';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useDataSearch } from '../../app/research-context';
import { useAction } from '../../app/use-action';
import { PURPOSE_LABELS } from '../patients/patient-consent';
import { ChoiceGroup } from '../settings/choice-group';

interface Draft {
  readonly terms: string;
  readonly ageFrom: string;
  readonly ageTo: string;
  readonly sex: '' | 'F' | 'M';
  readonly from: string;
  readonly to: string;
  readonly dataTypes: readonly DataType[];
  readonly purpose: QueryPurpose;
  readonly days: string;
}

const EMPTY: Draft = { terms: '', ageFrom: '', ageTo: '', sex: '', from: '', to: '', dataTypes: [], purpose: 'research-sale', days: '7' };

/** The terms as typed: separated by commas or new lines. */
export function splitTerms(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((term) => term.trim())
    .filter((term) => term !== '');
}

function problemsOf(draft: Draft): Partial<Record<'terms' | 'ageFrom' | 'ageTo' | 'dates' | 'days', string>> {
  const problems: Partial<Record<'terms' | 'ageFrom' | 'ageTo' | 'dates' | 'days', string>> = {};
  const terms = splitTerms(draft.terms);
  if (terms.length === 0) problems.terms = 'Terms: at least one code or word.';
  else if (terms.length > 20) problems.terms = 'Terms: at most 20.';
  else if (terms.some((term) => term.length > 100)) problems.terms = 'Terms: each at most 100 characters.';
  const age = (value: string) => (value === '' ? null : /^\d{1,3}$/.test(value) && Number(value) <= 120 ? Number(value) : NaN);
  const ageFrom = age(draft.ageFrom);
  const ageTo = age(draft.ageTo);
  if (Number.isNaN(ageFrom)) problems.ageFrom = 'Age from: a whole number of years, 0 to 120.';
  if (Number.isNaN(ageTo)) problems.ageTo = 'Age to: a whole number of years, 0 to 120.';
  else if (ageFrom !== null && ageTo !== null && !Number.isNaN(ageFrom) && ageTo < ageFrom) problems.ageTo = 'Age to: not below “Age from”.';
  if (draft.from !== '' && draft.to !== '' && draft.from > draft.to) problems.dates = 'Records to: not before “Records from”.';
  if (!/^\d{1,2}$/.test(draft.days) || Number(draft.days) < 1 || Number(draft.days) > 30) problems.days = 'Open for: 1 to 30 days.';
  return problems;
}

/**
 * Marketplace › New query (issue 14 item 2, a research institute node): keywords (diagnosis, lab,
 * medication and procedure codes or words), filters and the purpose. Sending signs the query with
 * this node's identity key, posts it to the network's Data Search Service and broadcasts it to
 * every clinic; answers appear under "Your queries" as they arrive.
 */
export function QueryForm({ onSent }: { onSent: (queryId: string) => void }) {
  const search = useDataSearch();
  const headingId = useId();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [sentId, setSentId] = useState<string | null>(null);
  const problems = problemsOf(draft);
  const first = Object.values(problems)[0] ?? null;

  const send = useAction(async (value: Draft) => {
    const filters: QueryFilters = {
      ...(value.ageFrom !== '' ? { ageFrom: Number(value.ageFrom) } : {}),
      ...(value.ageTo !== '' ? { ageTo: Number(value.ageTo) } : {}),
      ...(value.sex !== '' ? { sex: value.sex } : {}),
      ...(value.from !== '' ? { from: value.from } : {}),
      ...(value.to !== '' ? { to: value.to } : {}),
      ...(value.dataTypes.length > 0 ? { dataTypes: [...value.dataTypes] } : {}),
    };
    const queryId = await search!.queries.post({ terms: splitTerms(value.terms), filters, purpose: value.purpose, days: Number(value.days) });
    setSentId(queryId);
    setDraft(EMPTY);
    onSent(queryId);
  });

  if (search === null) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (first === null && !send.busy) void send.run(draft);
  };
  const set = (key: keyof Draft) => (value: string) => setDraft((prev) => ({ ...prev, [key]: value }));

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>New query</h2>
      <p className="muted">
        Every clinic of the network receives the query and answers from its own index, within its patients’ consent: a
        count rounded up to the next 10 (small cohorts only as “fewer than”), a list of one-time keys with generalized
        attributes, and an offer. Repeating a query gets the same answer; too many queries lock this institution out for a
        while.
      </p>
      <form className="form" aria-label="New query" onSubmit={submit} noValidate>
        <TextField label="Terms" value={draft.terms} onValue={set('terms')} hint="Codes or words, separated by commas; a patient must match every one (for example E11, 4548-4, metformin)." problem={problems.terms ?? null} spellCheck={false} autoComplete="off" />
        <div className="form-row">
          <TextField label="Age from" value={draft.ageFrom} onValue={set('ageFrom')} inputMode="numeric" className="field--narrow" problem={problems.ageFrom ?? null} />
          <TextField label="Age to" value={draft.ageTo} onValue={set('ageTo')} inputMode="numeric" className="field--narrow" problem={problems.ageTo ?? null} />
          <div className="field">
            <label className="field__label" htmlFor={`${headingId}-sex`}>
              Sex
            </label>
            <select id={`${headingId}-sex`} className="input select" value={draft.sex} onChange={(event) => set('sex')(event.target.value)}>
              <option value="">Any</option>
              <option value="F">Women</option>
              <option value="M">Men</option>
            </select>
          </div>
        </div>
        <div className="form-row">
          <TextField label="Records from" type="date" value={draft.from} onValue={set('from')} className="field--narrow" />
          <TextField label="Records to" type="date" value={draft.to} onValue={set('to')} className="field--narrow" problem={problems.dates ?? null} />
        </div>
        <fieldset className="field">
          <legend className="field__label">The patient has</legend>
          <div className="checkbox-grid">
            {DATA_TYPES.map((type) => (
              <label key={type} className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.dataTypes.includes(type)}
                  onChange={(event) => setDraft((prev) => ({ ...prev, dataTypes: event.target.checked ? DATA_TYPES.filter((t) => t === type || prev.dataTypes.includes(t)) : prev.dataTypes.filter((t) => t !== type) }))}
                />{' '}
                {type}
              </label>
            ))}
          </div>
        </fieldset>
        <ChoiceGroup legend="Purpose" name="query-purpose" choices={QUERY_PURPOSES.map((purpose) => ({ value: purpose, label: PURPOSE_LABELS[purpose] }))} value={draft.purpose} onChange={(purpose) => setDraft((prev) => ({ ...prev, purpose }))} />
        <TextField label="Open for (days)" value={draft.days} onValue={set('days')} inputMode="numeric" className="field--narrow" hint="Clinics answer until then; a clinic that is offline meanwhile answers when it is back." problem={problems.days ?? null} />
        <SubmitRow label="Send the query" problem={first} busy={send.busy} busyText="Signing and sending…" />
        {send.error !== null && <ErrorNote error={send.error} what="The query was not sent" />}
        {sentId !== null && !send.busy && send.error === null && (
          <p role="status" className="note note--ok">
            The query was sent to the network’s clinics. Answers appear below as they arrive.
          </p>
        )}
      </form>
    </section>
  );
}
