import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorNote } from '../../app/error-note';
import { hrefForPath, hrefForRoute } from '../../app/router/hash-route';
import { useVault, useVaultIndexing } from '../../vault/vault-context';
import type { MessageFacets, MessagePage, MessageQuery, MessageSummary } from '../../vault/vault-service';
import { MESSAGE_STATUSES, type MessageStatus } from '../../vault/views/message-log';
import { AckCodes } from './message-parts';
import { When, count } from './monitor-tables';
import { unreversedRange } from '../../app/form/date-range';
import { SHORT_HINT, tooShortForPrefix } from '../patients/short-query';
import { TextField } from '../../app/form/text-field';
import { isCalendarDay } from '../../../shared/research/consent';

/** What each status means, in the words the browser shows. */
export const STATUS_WORDS: Readonly<Record<MessageStatus, string>> = {
  accepted: 'Accepted',
  'not-mapped': 'Stored, type not mapped',
  conflict: 'Conflict (control id reused)',
  rejected: 'Rejected, in quarantine',
  held: 'Held in quarantine (no patient)',
  reprocessed: 'Quarantined, then reprocessed',
  discarded: 'Quarantined, then discarded',
};

export interface BrowserFilters {
  readonly controlId: string;
  readonly sender: string;
  readonly type: string;
  readonly status: '' | MessageStatus;
  /** YYYY-MM-DD (this computer's calendar), '' for none. */
  readonly from: string;
  readonly to: string;
  readonly patient: string;
}

export const NO_FILTERS: BrowserFilters = { controlId: '', sender: '', type: '', status: '', from: '', to: '', patient: '' };

/** The day's start on this computer's clock, as an ISO instant. */
function dayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}

/**
 * What is wrong with a typed received date, with the field's label; null when it is empty or a day
 * of the calendar. The dates are typed as YYYY-MM-DD, the app's way of writing them: a date input
 * shows the browser locale's order (mm/dd/yyyy or dd/mm/yyyy), and 01/12 is misread (F17).
 */
export function dateProblem(label: string, typed: string): string | null {
  const day = typed.trim();
  if (day === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return `${label}: enter the date as YYYY-MM-DD, e.g. 2025-12-01.`;
  return isCalendarDay(day) ? null : `${label}: ${day} is not a date.`;
}

const FROM_LABEL = 'Received from';
const TO_LABEL = 'Received to (inclusive)';

/** The filters as a query: dates are whole local days, `to` included. */
export function queryOf(filters: BrowserFilters): MessageQuery {
  return {
    ...(filters.controlId.trim() !== '' ? { controlId: filters.controlId.trim() } : {}),
    ...(filters.sender !== '' ? { sender: filters.sender } : {}),
    ...(filters.type.trim() !== '' ? { types: [filters.type.trim()] } : {}),
    ...(filters.status !== '' ? { status: filters.status } : {}),
    ...(filters.from !== '' ? { from: dayStart(filters.from) } : {}),
    ...(filters.to !== '' ? { to: dayStart(filters.to, 1) } : {}),
    ...(filters.patient.trim() !== '' ? { patient: filters.patient.trim() } : {}),
  };
}

/** What the filters ask for, in words ("" for none). */
export function describeFilters(filters: BrowserFilters): string {
  const parts = [
    filters.controlId.trim() !== '' ? `control id ${filters.controlId.trim()}` : '',
    filters.sender !== '' ? `from ${filters.sender}` : '',
    filters.type.trim() !== '' ? `type ${filters.type.trim().toUpperCase()}` : '',
    filters.status !== '' ? `status “${STATUS_WORDS[filters.status]}”` : '',
    filters.from !== '' && filters.to !== '' ? `received ${filters.from} to ${filters.to}` : filters.from !== '' ? `received on or after ${filters.from}` : filters.to !== '' ? `received on or before ${filters.to}` : '',
    // The sentence around it says "matching" already ("messages matching patient “…”").
    filters.patient.trim() !== '' ? `patient “${filters.patient.trim()}”` : '',
  ].filter((part) => part !== '');
  return parts.join(', ');
}

/**
 * A reversed date range (from after to) as the range meant, with a note saying so; null when the
 * range is in order (or open at one end). Searching the reversed range would find nothing and say
 * only "No message matches", as if nothing had arrived in those days.
 */
export function unreversed(filters: BrowserFilters): { filters: BrowserFilters; note: string } | null {
  const range = unreversedRange(filters);
  return range === null ? null : { filters: { ...filters, from: range.from, to: range.to }, note: range.note };
}

/** The sentence above the results: how many are shown, of how many, matching what. */
export function shownSentence(shown: number, total: number | null, more: boolean, filters: BrowserFilters, capped = false, indexing = false): string {
  const what = describeFilters(filters);
  const scope = what === '' ? 'messages received' : `messages matching ${what}`;
  // While the views are built (a new browser profile, a restore, "Rebuild index") none found says nothing about what arrived.
  if (shown === 0 && indexing) return what === '' ? 'No message is indexed yet: the vault is still being indexed, and this list fills in when it is done.' : `No message indexed so far matches ${what}: the vault is still being indexed.`;
  // A patient query of 1–2 letters matches whole words only, as in patient search: the same hint (QA round 4 #13).
  const patient = filters.patient.trim();
  const short = tooShortForPrefix(patient);
  if (shown === 0) return what === '' ? 'No message has been received yet.' : short ? `${SHORT_HINT} No message matches ${what} as a whole name, number or word.` : `No message matches ${what}.`;
  const shortNote = short ? ` “${patient}” was matched as a whole name, number or word: ${SHORT_HINT.charAt(0).toLowerCase()}${SHORT_HINT.slice(1)}` : '';
  if (!more) return (shown === 1 ? `Showing the one message ${what === '' ? 'received' : `matching ${what}`}.` : `Showing all ${count(shown)} ${scope}, newest first.`) + shortNote;
  if (total !== null) return `Showing the newest ${count(shown)} of ${capped ? 'more than ' : ''}${count(total)} ${scope}.${shortNote}`;
  // Filters checked message by message beside the driving one (message-reads.ts): not counted.
  return `Showing the newest ${count(shown)} ${scope}; more match (the total is not counted for these filters together: that would mean reading every message they could match).${shortNote}`;
}

type Results =
  | { readonly phase: 'loading' }
  | { readonly phase: 'failed'; readonly error: unknown }
  | { readonly phase: 'ready'; readonly filters: BrowserFilters; readonly note: string; readonly query: MessageQuery; readonly messages: readonly MessageSummary[]; readonly total: number | null; readonly capped: boolean; readonly more: boolean; readonly tookMs: number };

/**
 * `#/intake/messages`: every HL7 message this node stored or quarantined (the vault's message
 * views, not the body's memory since it started), searchable by control id, sender, type, status,
 * received date and patient, newest first, 50 at a time with "Show more". A row opens the message:
 * what it was, the ACK that was sent, the patient it was filed under, and its raw bytes.
 */
export function MessageBrowser() {
  const vault = useVault();
  const headingId = useId();
  const resultsId = useId();
  const [filters, setFilters] = useState<BrowserFilters>(NO_FILTERS);
  const [results, setResults] = useState<Results>({ phase: 'loading' });
  const [loadingMore, setLoadingMore] = useState(false);
  const [facets, setFacets] = useState<MessageFacets>({ senders: [], types: [] });
  const generation = useRef(0);
  const indexing = useVaultIndexing();

  /** Runs a search; the page's results follow the latest one only (the caller shows "loading"). */
  const search = useCallback(
    (next: BrowserFilters, note = '') => {
      const mine = ++generation.current;
      const query = queryOf(next);
      vault.messages(query).then(
        (page: MessagePage) => {
          if (mine === generation.current) setResults({ phase: 'ready', filters: next, note, query, messages: page.messages, total: page.total, capped: page.totalCapped === true, more: page.more, tookMs: page.tookMs });
        },
        (error: unknown) => {
          if (mine === generation.current) setResults({ phase: 'failed', error });
        },
      );
    },
    [vault],
  );

  useEffect(() => {
    search(NO_FILTERS);
  }, [search]);

  // When indexing ends, the search shown reads again (the same filters): what was being indexed is now there.
  const shownSearch = results.phase === 'ready' ? results : null;
  const wasIndexing = useRef(indexing.busy);
  useEffect(() => {
    const ended = wasIndexing.current && !indexing.busy;
    wasIndexing.current = indexing.busy;
    if (ended && shownSearch !== null) search(shownSearch.filters, shownSearch.note);
  }, [indexing.busy, search, shownSearch]);

  // The senders and types seen grow as messages arrive: read again after every search.
  useEffect(() => {
    if (results.phase !== 'ready') return;
    let current = true;
    vault.messageFacets().then(
      (next) => {
        if (current) setFacets(next);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [results, vault]);

  const showMore = (): void => {
    if (results.phase !== 'ready' || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    vault
      .messages({ ...results.query, before: results.messages.at(-1)!.seq })
      .then(
        (page) => {
          if (mine === generation.current) setResults({ ...results, messages: [...results.messages, ...page.messages], more: page.more, tookMs: page.tookMs });
        },
        (error: unknown) => {
          if (mine === generation.current) setResults({ phase: 'failed', error });
        },
      )
      .finally(() => setLoadingMore(false));
  };

  // Field problems show once a search was asked for, and follow the typing from then on.
  const [checked, setChecked] = useState(false);
  const fromProblem = checked ? dateProblem(FROM_LABEL, filters.from) : null;
  const toProblem = checked ? dateProblem(TO_LABEL, filters.to) : null;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setChecked(true);
    // A date that is not one searches nothing: the results shown stay, the field says what is wrong.
    if (dateProblem(FROM_LABEL, filters.from) !== null || dateProblem(TO_LABEL, filters.to) !== null) return;
    const typed = { ...filters, from: filters.from.trim(), to: filters.to.trim() };
    setResults({ phase: 'loading' });
    const swapped = unreversed(typed);
    if (swapped === null) {
      setFilters(typed);
      search(typed);
    } else {
      // The form shows the range searched, and the sentence says it was swapped.
      setFilters(swapped.filters);
      search(swapped.filters, swapped.note);
    }
  };
  const set = (field: keyof BrowserFilters) => (event: { target: { value: string } }) => setFilters({ ...filters, [field]: event.target.value });
  const ids = { control: useId(), sender: useId(), type: useId(), types: useId(), status: useId(), patient: useId(), patientHint: useId() };

  return (
    <>
      <p className="breadcrumb">
        <a href={hrefForRoute('intake')}>← Back to the intake monitor</a>
      </p>
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>Message browser</h2>
        <p className="muted">
          Every HL7 message this node has stored or quarantined, newest first. A control id matches by its start, in any
          case (3 characters or more; shorter ones only whole); senders exactly, types in any case; a patient by identifier
          or name, as in patient search.
        </p>
        <form className="message-filters" onSubmit={submit} role="search" aria-label="Search messages">
          <div className="field">
            <label htmlFor={ids.control} className="field__label">
              Control id (MSH-10)
            </label>
            <input id={ids.control} className="input" value={filters.controlId} onChange={set('controlId')} autoComplete="off" spellCheck={false} />
          </div>
          <div className="field">
            <label htmlFor={ids.sender} className="field__label">
              Sender (MSH-3 | MSH-4)
            </label>
            <select id={ids.sender} className="input select" value={filters.sender} onChange={set('sender')}>
              <option value="">Any sender</option>
              {facets.senders.map((sender) => (
                <option key={sender} value={sender}>
                  {sender}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.type} className="field__label">
              Message type
            </label>
            <input id={ids.type} className="input" value={filters.type} onChange={set('type')} list={ids.types} placeholder="ORU^R01 or ORU" autoComplete="off" spellCheck={false} />
            <datalist id={ids.types}>
              {facets.types.map((type) => (
                <option key={type} value={type} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor={ids.status} className="field__label">
              Status
            </label>
            <select id={ids.status} className="input select" value={filters.status} onChange={set('status')}>
              <option value="">Any status</option>
              {MESSAGE_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {STATUS_WORDS[status]}
                </option>
              ))}
            </select>
          </div>
          <TextField label={FROM_LABEL} value={filters.from} onValue={(from) => setFilters({ ...filters, from })} placeholder="YYYY-MM-DD" inputMode="numeric" autoComplete="off" spellCheck={false} problem={fromProblem} />
          <TextField label={TO_LABEL} value={filters.to} onValue={(to) => setFilters({ ...filters, to })} placeholder="YYYY-MM-DD" inputMode="numeric" autoComplete="off" spellCheck={false} problem={toProblem} />
          <div className="field">
            <label htmlFor={ids.patient} className="field__label">
              Patient identifier or name
            </label>
            <input
              id={ids.patient}
              className="input"
              value={filters.patient}
              onChange={set('patient')}
              autoComplete="off"
              spellCheck={false}
              aria-describedby={tooShortForPrefix(filters.patient) ? ids.patientHint : undefined}
            />
            {tooShortForPrefix(filters.patient) && (
              <p id={ids.patientHint} className="field__hint">
                {SHORT_HINT}
              </p>
            )}
          </div>
          <div className="message-filters__actions">
            <button type="submit" className="button button--primary">
              Search
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setFilters(NO_FILTERS);
                setChecked(false);
                setResults({ phase: 'loading' });
                search(NO_FILTERS);
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <section className="panel" aria-labelledby={resultsId} aria-busy={results.phase === 'loading'}>
        <h2 id={resultsId}>Messages</h2>
        {results.phase === 'loading' && <p role="status">Searching the messages…</p>}
        {results.phase === 'failed' && <ErrorNote error={results.error} what="The messages could not be searched" />}
        {results.phase === 'ready' && (
          <>
            <p role="status" className="message-count">
              {shownSentence(results.messages.length, results.total, results.more, results.filters, results.capped, indexing.busy)}
              {results.note === '' ? '' : ` ${results.note}`}
            </p>
            {results.messages.length > 0 && <MessageTable messages={results.messages} labelledBy={resultsId} />}
            {results.more && (
              <p className="table-more">
                <button type="button" className="button" onClick={showMore} disabled={loadingMore} aria-busy={loadingMore || undefined}>
                  {loadingMore ? 'Loading…' : 'Show more'}
                </button>
              </p>
            )}
          </>
        )}
      </section>
    </>
  );
}

function MessageTable({ messages, labelledBy }: { messages: readonly MessageSummary[]; labelledBy: string }) {
  return (
    <div className="table-wrap">
      <table className="data-table message-table fit-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col" className="col-time">
              Received
            </th>
            <th scope="col">Control id</th>
            <th scope="col">Sender</th>
            <th scope="col" className="col-type">
              Type
            </th>
            <th scope="col" className="col-ack">
              ACK
            </th>
            <th scope="col" className="col-status">
              Status
            </th>
          </tr>
        </thead>
        <tbody>
          {messages.map((message) => (
            <tr key={message.seq}>
              <td>
                <When iso={message.receivedAt} />
              </td>
              <th scope="row">
                <a href={hrefForPath('intake', 'messages', String(message.seq))} className="cell-clip" title={message.controlId === '' ? undefined : message.controlId}>
                  {message.controlId === '' ? <span className="muted">(none, message {message.seq})</span> : <code>{message.controlId}</code>}
                </a>
              </th>
              <td className="cell-clip" title={message.sender === '' ? undefined : message.sender}>
                {message.sender === '' ? <span className="muted">unknown</span> : message.sender}
              </td>
              <td className="cell-clip" title={message.messageType}>
                {message.messageType}
              </td>
              <td>
                <AckCodes acks={message.acks} />
              </td>
              <td className="cell-words">{STATUS_WORDS[message.status]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
