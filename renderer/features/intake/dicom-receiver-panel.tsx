import { useId } from 'react';
import type { DevicesStatus } from '../../../shared/ipc/devices-contract';
import type { DicomStatus } from '../../../shared/ipc/dicom-contract';
import { ErrorNote } from '../../app/error-note';
import { Fact } from '../../app/fact';
import { hrefForRoute } from '../../app/router/hash-route';
import { useDevicesStatus } from '../devices/use-devices-status';
import { CallerTable, instanceFacts, ReceiverState, useReceiverStatus } from '../imaging/receiver-status';
import { ResetCountersButton } from './counters-reset';
import { When } from './monitor-tables';

/**
 * Upper Layer states of an association (PS3.8 9.2): Sta6 data transfer, Sta8 release asked for
 * and not yet answered. A connection still owing its A-ASSOCIATE-RQ (Sta2, Sta3) or waiting to be
 * closed after a rejection or release (Sta13) is not an open association.
 */
const ASSOCIATED_STATES: ReadonlySet<string> = new Set(['Sta6', 'Sta8']);

/** Associations open now, from the receiver's connections. */
export function openAssociations(status: DicomStatus): number {
  return status.open.filter((connection) => ASSOCIATED_STATES.has(connection.state)).length;
}

/**
 * The DICOM receiver on the intake monitor, right below HL7's counters (issue 12 item 7): its
 * state in the Imaging page's words, associations open and in total, what became of the
 * instances received, and the calling AE titles (the Imaging page's table, refusals included);
 * echoes, rejected associations and protocol errors are on the Imaging page it links to.
 * The counters are kept across restarts, with a reset for administrators as HL7's (T1 F4).
 * Followed as Imaging follows it (useReceiverStatus). Nothing here is PHI: AE titles, addresses, counts.
 */
export function DicomReceiverPanel() {
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
                ['Associations open', openAssociations(loaded.status)],
                ['Associations', loaded.status.counters.associations],
                ...instanceFacts(loaded.status.counters),
              ] as const
            ).map(([term, value]) => (
              <Fact key={term} term={term}>
                {value}
              </Fact>
            ))}
          </dl>
          <p className="muted">
            {loaded.status.countersSince === undefined ? 'Counted since the node started.' : <>Counted since <When iso={loaded.status.countersSince} />, kept when the node restarts.</>}{' '}
            <ResetCountersButton channel="dicom" onReset={loaded.reload} />
          </p>
          {loaded.status.callers.length > 0 && (
            <>
              <h3 id={callersId}>Calling AE titles</h3>
              <CallerTable callers={loaded.status.callers} labelledBy={callersId} />
            </>
          )}
        </>
      )}
      <p>
        <a href={hrefForRoute('imaging')}>The receiver in full under Imaging</a> <span className="muted">(echoes, refused associations, protocol errors, the studies received)</span>
      </p>
    </section>
  );
}

/** Manager states in which an agent is associated (IEEE 11073-20601 8.4): after its association request was accepted. */
const AGENT_ASSOCIATED: ReadonlySet<string> = new Set(['waiting-for-config', 'checking-config', 'operating', 'disassociating']);

/** "1 agent associated, 5 reports stored over the connections open now." */
export function devicesLine(status: DevicesStatus): string {
  const agents = status.connections.filter((connection) => AGENT_ASSOCIATED.has(connection.state)).length;
  const reports = status.connections.reduce((sum, connection) => sum + connection.reports, 0);
  return `${agents} ${agents === 1 ? 'agent' : 'agents'} associated, ${reports} ${reports === 1 ? 'report' : 'reports'} stored over the connections open now.`;
}

/**
 * The device channel in one line beside the DICOM receiver: agents associated and the reports
 * their connections stored (what `devices.status` says, kept current by `devices.changed`); the
 * ports, connections and approvals are on the Devices page.
 */
export function DevicesLinePanel() {
  const headingId = useId();
  const { state } = useDevicesStatus();
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={state.phase === 'loading'}>
      <h2 id={headingId}>Devices</h2>
      {state.phase === 'failed' && <ErrorNote error={state.error} what="The devices' status could not be loaded" />}
      <p>
        {state.phase === 'ready' && <>{devicesLine(state.status)} </>}
        <a href={hrefForRoute('devices')}>Ports, connections and approvals on the Devices page</a>
      </p>
    </section>
  );
}
