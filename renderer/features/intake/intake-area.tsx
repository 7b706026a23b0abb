import { useId } from 'react';
import { ComingLaterPanel } from '../../app/layout/coming-later-panel';
import { ErrorNote } from '../../app/error-note';
import { ListenerTable } from './listener-table';
import { useIntakeStatus } from './use-intake-status';

/** The intake monitor: for now the listeners and their state, live. */
export function IntakeArea() {
  const intake = useIntakeStatus();
  const headingId = useId();
  return (
    <>
      <p className="page-intro">
        Messages, studies and readings reach this node through its intake channels. Each one is sealed into the
        vault and acknowledged only after it is safely written.
      </p>
      <section className="panel" aria-labelledby={headingId} aria-busy={intake.phase === 'loading'}>
        <h2 id={headingId}>Listeners</h2>
        {intake.phase === 'loading' && <p role="status">Loading listener status…</p>}
        {intake.phase === 'failed' && <ErrorNote error={intake.error} what="The listener status could not be loaded" />}
        {intake.phase === 'ready' && <ListenerTable listeners={intake.status.listeners} labelledBy={headingId} />}
      </section>
      <ComingLaterPanel heading="Intake monitor: coming in a later release">
        <p>
          The monitor will add counters per sending system (received, accepted, errored, duplicates), a throughput
          chart, the recent messages with the acknowledgement each one got, and the quarantine: messages that could
          not be accepted, with the reason, to inspect and then reprocess or discard.
        </p>
      </ComingLaterPanel>
    </>
  );
}
