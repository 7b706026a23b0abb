import { useCallback, useEffect, useId, useState } from 'react';
import { DICOM_REJECTION_REASONS, type DicomRejectionReason, type DicomStatus } from '../../../shared/ipc/dicom-contract';
import { useApi } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { Fact } from '../../app/fact';
import { useVaultIndexing } from '../../vault/vault-context';
import { CountCell } from '../intake/monitor-tables';

/** The listener in words: where it listens, or why it does not. */
export function receiverState(status: DicomStatus): string {
  const { listener } = status;
  if (listener.state === 'listening' && listener.port !== undefined) return `Listening as ${status.aeTitle} on ${listener.address ?? 'all addresses'}, port ${listener.port}.`;
  return listener.reason ?? (listener.state === 'error' ? 'The receiver could not open.' : 'The receiver is closed.');
}

/** How often the receiver's figures are asked for while the Imaging page shows them. */
export const RECEIVER_REFRESH_MS = 2_000;

/** A count of instances in words ("1 instance", "3 instances"). */
function instances(count: number): string {
  return `${count} instance${count === 1 ? '' : 's'}`;
}

/**
 * The per-caller columns after the AE title and address: [heading, the caller's figure, the column's
 * class]. Each column is as wide as its heading, and at least as a count of 99,999 (col-figure);
 * a larger count is cut, whole in its title (QA4-12 D8a).
 */
const CALLER_COLUMNS = [
  ['Associations', 'associations', 'col-figure col-figure--associations'],
  ['Received', 'received', 'col-figure col-figure--word'],
  ['Stored', 'stored', 'col-figure'],
  ['Held', 'held', 'col-figure'],
  ['Duplicates', 'duplicates', 'col-figure col-figure--duplicates'],
  ['Conflicts', 'conflicts', 'col-figure col-figure--word'],
  ['Failed', 'failed', 'col-figure'],
  ['Refused', 'rejected', 'col-figure col-figure--word'],
] as const satisfies readonly (readonly [string, keyof DicomStatus['callers'][number], string])[];

type Caller = DicomStatus['callers'][number];

/**
 * What the two association columns count (H6 finding 7: a tester took an echo's association and a
 * storescu run that gave up on a compressed file for miscounts). Each storescu or echoscu run is one.
 */
const ASSOCIATION_COUNTS = 'Associations: those accepted, an echo or a send that stored nothing included. Refused: those not accepted.';

/** Why associations were refused, in words (no PHI: AE titles are configuration). */
const REJECTION_WORDS: Readonly<Record<DicomRejectionReason, (caller: Caller) => string>> = {
  'called-ae-title': (caller) => (caller.calledAeTitles === undefined || caller.calledAeTitles.length === 0 ? 'wrong called AE title' : `wrong called AE title (asked for ${calledAeTitlesText(caller)})`),
  'not-allowed': () => 'not on the allow-list',
  'too-many': () => 'too many associations at once',
  protocol: () => 'not the DICOM protocol',
};

/** How many times, in words: "once", "3 times". */
function times(count: number): string {
  return count === 1 ? 'once' : `${count} times`;
}

/**
 * The wrong called AE titles a caller asked for, each with its count, then the others ("“A” 3
 * times, “B” once and 4 others"; "at least" when there were more than the receiver told apart).
 */
function calledAeTitlesText(caller: Caller): string {
  const named = (caller.calledAeTitles ?? []).map((title) => `“${title.aeTitle}” ${times(title.count)}`).join(', ');
  const others = caller.otherCalledAeTitles;
  if (others === undefined || others.titles === 0) return named;
  const count = others.more ? `at least ${others.titles}` : String(others.titles);
  return `${named} and ${count} ${others.titles === 1 && !others.more ? 'other' : 'others'}`;
}

/**
 * Why a caller was refused, in a sentence of the list under the table: the count, then why ("2
 * refused, wrong called AE title (asked for “X”)"; with several reasons, each with its count).
 */
export function rejectedText(caller: Caller): string {
  if (caller.rejected === 0) return '0 refused';
  const reasons = DICOM_REJECTION_REASONS.filter((reason) => (caller.rejections[reason] ?? 0) > 0);
  if (reasons.length === 1) return `${caller.rejected} refused, ${REJECTION_WORDS[reasons[0]!](caller)}`;
  return `${caller.rejected} refused, ${reasons.map((reason) => `${REJECTION_WORDS[reason](caller)} (${caller.rejections[reason] ?? 0})`).join(', ')}`;
}

/** A caller's AE title cell: the others' row and a connection cut off before it named itself say so. */
function callerName(caller: Caller): string {
  if (caller.others === true) return 'Other callers (not counted by name)';
  return caller.aeTitle === '' ? '(no AE title: cut off before asking)' : caller.aeTitle;
}

/**
 * The callers' table: in a window of 1,000 × 700 it keeps every column inside its panel whatever the
 * AE titles and addresses (QA4-12 D8a: 875 px in an 838 px panel). The columns are fixed
 * (fit-table): the figures as wide as their headings, the caller's AE title and address each on a
 * line of the row head, cut with an ellipsis when longer, whole in a title. Why an association was
 * refused is a sentence in a list under the table, where it wraps at spaces; the table counts.
 * Imaging and the intake monitor show the same table.
 */
export function CallerTable({ callers, labelledBy }: { callers: readonly Caller[]; labelledBy: string }) {
  const refusalsId = useId();
  const countsId = useId();
  const refused = callers.filter((caller) => caller.rejected > 0);
  return (
    <>
      <div className="table-wrap">
        <table className="data-table numbers-table fit-table receiver-callers" aria-labelledby={labelledBy} aria-describedby={countsId}>
          <thead>
            <tr>
              <th scope="col">AE title and address</th>
              {CALLER_COLUMNS.map(([heading, , width]) => (
                <th key={heading} scope="col" className={width}>
                  {heading}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {callers.map((caller) => (
              <tr key={caller.others === true ? 'others' : `${caller.aeTitle}@${caller.address}`}>
                <th scope="row" className="receiver-caller">
                  <span className="cell-clip" title={callerName(caller)}>
                    {callerName(caller)}
                  </span>
                  {caller.address !== '' && (
                    <span className="cell-clip muted" title={caller.address}>
                      {caller.address}
                    </span>
                  )}
                </th>
                {CALLER_COLUMNS.map(([heading, key]) => (
                  <CountCell key={heading} value={caller[key]} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p id={countsId} className="muted">
        {ASSOCIATION_COUNTS}
      </p>
      {refused.length > 0 && (
        <>
          <h4 id={refusalsId}>Refused associations</h4>
          <ul aria-labelledby={refusalsId} className="receiver-refusals">
            {refused.map((caller) => (
              <li key={caller.others === true ? 'others' : `${caller.aeTitle}@${caller.address}`}>
                <strong>{callerName(caller)}</strong>
                {caller.address === '' ? '' : ` at ${caller.address}`}: {rejectedText(caller)}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

export type ReceiverStatusState = { readonly phase: 'loading' } | { readonly phase: 'failed'; readonly error: unknown } | { readonly phase: 'ready'; readonly status: DicomStatus };

/**
 * The receiver's status (`dicom.status`) while a page shows it: loaded at once and again whenever
 * a replay ends (instances stored meanwhile), and every RECEIVER_REFRESH_MS while the window is
 * not hidden, since echoes, rejected associations and duplicates store nothing and so start no
 * replay (QA4-12 D3). Imaging and the intake monitor both follow it this way.
 */
/** The receiver's status, followed; `reload` asks at once (after a reset of its counters). */
export function useReceiverStatus(): ReceiverStatusState & { readonly reload: () => void } {
  const api = useApi();
  const indexing = useVaultIndexing();
  const [loaded, setLoaded] = useState<ReceiverStatusState>({ phase: 'loading' });
  const load = useCallback(() => {
    api.dicom.status({}).then(
      (status) => setLoaded({ phase: 'ready', status }),
      (error: unknown) => setLoaded({ phase: 'failed', error }),
    );
  }, [api]);
  useEffect(() => {
    if (!indexing.busy) load();
  }, [load, indexing.busy]);
  useEffect(() => {
    // One cheap question every few seconds while the page is shown (none from a hidden window).
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') load();
    }, RECEIVER_REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  return { ...loaded, reload: load };
}

/** What became of the C-STORE requests, in the same words on Imaging and on the intake monitor. */
export function instanceFacts(counters: DicomStatus['counters']): readonly (readonly [string, number])[] {
  return [
    ['Instances received', counters.received],
    ['Instances stored', counters.stored],
    ['Held (no Patient ID)', counters.held],
    ['Duplicates (resent, not stored again)', counters.duplicates],
    ['Conflicts (same UID, other bytes)', counters.conflicts],
    ['Instances failed', counters.failed],
  ];
}

/** The receiver's state in words, marked by its state (never colour alone: the words say it). */
export function ReceiverState({ status }: { status: DicomStatus }) {
  return (
    <p>
      <span className={`state state--${status.listener.state}`}>{receiverState(status)}</span>
    </p>
  );
}

/**
 * The DICOM receiver in full, on the Imaging page (the intake monitor shows the same figures in
 * short, intake/dicom-receiver-panel.tsx): its state, what it received since it
 * started (associations, echoes; C-STOREs received and what became of them: stored, held,
 * duplicates, conflicts, failed; rejections, protocol errors) in total and per calling AE title,
 * where a rejected association is counted with its reason (QA12 D5).
 * Duplicates are counted apart from stored instances, so a resend storm does not look like new
 * images. Kept current by useReceiverStatus (QA4-12 D3: a technician testing a modality saw stale figures).
 */
export function ReceiverStatus() {
  const headingId = useId();
  const callersId = useId();
  const loaded = useReceiverStatus();

  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={loaded.phase === 'loading'}>
      <h2 id={headingId}>DICOM receiver</h2>
      {loaded.phase === 'loading' && <p role="status">Loading the receiver&apos;s status…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The receiver's status could not be loaded" />}
      {loaded.phase === 'ready' && (
        <>
          <ReceiverState status={loaded.status} />
          <dl className="facts">
            {(
              [
                ['Associations', loaded.status.counters.associations],
                ['Refused associations', loaded.status.counters.rejectedAssociations],
                ['Echoes', loaded.status.counters.echoes],
                ...instanceFacts(loaded.status.counters),
                ['Protocol errors', loaded.status.counters.protocolErrors],
              ] as const
            ).map(([term, value]) => (
              <Fact key={term} term={term}>
                {value}
              </Fact>
            ))}
          </dl>
          {loaded.status.counters.conflicts > 0 && (
            <p>
              {instances(loaded.status.counters.conflicts)} arrived again with other bytes under a SOP Instance UID already stored: every copy is kept; each study with such an image
              says so in the list, and the viewer shows the latest copy and opens the earlier ones.
            </p>
          )}
          {loaded.status.callers.length > 0 && (
            <>
              <h3 id={callersId}>Calling AE titles</h3>
              <CallerTable callers={loaded.status.callers} labelledBy={callersId} />
            </>
          )}
        </>
      )}
    </section>
  );
}
