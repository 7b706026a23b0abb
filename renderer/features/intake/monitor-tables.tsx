import { useState } from 'react';
import type { Hl7RecentMessage, Hl7SenderCounters, IntakeMonitor, IntakeTotals, MllpRefusedPeer } from '../../../shared/ipc/intake-contract';
import { MessageCells, MessageHeads, OutcomeCells, OutcomeHeads, flagWords } from './message-parts';

const numberFormat = new Intl.NumberFormat('en');
const timeFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** An ISO time in this computer's clock, with the machine-readable value kept. */
export function When({ iso }: { iso: string }) {
  const date = new Date(iso);
  return <time dateTime={iso}>{Number.isNaN(date.getTime()) ? iso : timeFormat.format(date)}</time>;
}

/**
 * A table's wrapper, focusable and named by the table's heading: at 1,000 px the tables fit their
 * panel (fit-table), but in a narrower window they scroll sideways, and a keyboard user must be
 * able to reach and scroll them.
 */
function scrollable(labelledBy: string) {
  return { tabIndex: 0, role: 'region', 'aria-labelledby': labelledBy } as const;
}

export function count(value: number): string {
  return numberFormat.format(value);
}

/** Since the node started: the totals over every sender. */
export function TotalsFacts({ totals }: { totals: IntakeTotals }) {
  const items: [string, number][] = [
    ['Received', totals.received],
    ['Accepted', totals.accepted],
    ['Errored', totals.errored],
    ['Duplicates', totals.duplicates],
    ['Conflicts', totals.conflicts],
    ['Over the size limit', totals.oversize],
    // Not in "Received": the sender did not send them again (absent in counters saved before).
    ['Reprocessed by an operator', totals.reprocessed ?? 0],
  ];
  return (
    <dl className="totals">
      {items.map(([term, value]) => (
        <div key={term} className="totals__item">
          <dt>{term}</dt>
          <dd>{count(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Per sending system (MSH-3 | MSH-4): what the sender sent, which the analyst checks against the
 * sender's own log; the operator's reprocesses of its quarantined messages in a column apart.
 */
export function SenderTable({ senders, labelledBy }: { senders: readonly Hl7SenderCounters[]; labelledBy: string }) {
  if (senders.length === 0) return <p>No HL7 message has been counted since then.</p>;
  return (
    <div className="table-wrap" {...scrollable(labelledBy)}>
      <table className="data-table numbers-table fit-table sender-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Sender</th>
            <th scope="col" className="col-count">
              Received
            </th>
            <th scope="col" className="col-count">
              Accepted
            </th>
            <th scope="col" className="col-count">
              Errored
            </th>
            <th scope="col" className="col-count">
              Duplicates
            </th>
            <th scope="col" className="col-count">
              Conflicts
            </th>
            <th scope="col" className="col-count col-count--wide">
              Reprocessed by an operator
            </th>
            <th scope="col" className="col-when">
              Last message
            </th>
          </tr>
        </thead>
        <tbody>
          {senders.map((sender) => (
            <tr key={sender.sender}>
              <th scope="row" className="cell-clip" title={sender.sender}>
                {sender.sender}
              </th>
              <CountCell value={sender.received} />
              <CountCell value={sender.accepted} />
              <CountCell value={sender.errored} />
              <CountCell value={sender.duplicates} />
              <CountCell value={sender.conflicts} />
              <CountCell value={sender.reprocessed ?? 0} />
              <td className="cell-words">
                <When iso={sender.lastAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A count in a column of fixed width (fit-table): one past its width (over 9,999,999 in the senders' table) is cut, whole in the title. */
export function CountCell({ value }: { value: number }) {
  const text = count(value);
  return (
    <td className="cell-clip" title={text}>
      {text}
    </td>
  );
}

const CHANNEL_WORDS = { 'hl7-mllp': 'MLLP', 'hl7-file': 'File', 'hl7-reprocess': 'Reprocess (operator)' } as const;

/**
 * React keys for the recent messages that stay with a message while newer ones push in on top
 * (the monitor reloads every second during an ingest): a key from the message itself, not its
 * position, so React moves the rows it has instead of rebuilding all 200. The rare repeats of the
 * same time, sender and control id (a resent duplicate) are told apart by their occurrence.
 */
export function recentRowKeys(recent: readonly Pick<Hl7RecentMessage, 'at' | 'sender' | 'controlId' | 'channel'>[]): string[] {
  const seen = new Map<string, number>();
  return recent.map((message) => {
    const base = `${message.at}|${message.channel}|${message.sender}|${message.controlId}`;
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    return occurrence === 0 ? base : `${base}|${occurrence}`;
  });
}

/**
 * How many of the recent messages (the body keeps 200) the monitor shows until asked for all: the
 * table is rebuilt every second while messages arrive, and laying out and painting 200 rows
 * each time held the main thread for 100 ms and more on a busy 2-core workstation.
 */
export const RECENT_SHOWN = 25;
/** How many recent messages the body keeps (electron/intake/intake-monitor.ts RECENT_LIMIT). */
export const RECENT_KEPT = 200;

/** The newest messages with the acknowledgement each one got: the newest RECENT_SHOWN, or all on request. */
export function RecentMessages({ recent, labelledBy }: { recent: readonly Hl7RecentMessage[]; labelledBy: string }) {
  const [showAll, setShowAll] = useState(false);
  if (recent.length === 0) return <p>No message has arrived since the node started.</p>;
  const shown = showAll ? recent : recent.slice(0, RECENT_SHOWN);
  const keys = recentRowKeys(shown);
  const more = recent.length > RECENT_SHOWN;
  return (
    <>
      <div className="table-wrap" {...scrollable(labelledBy)}>
        <table className="data-table fit-table recent-table" aria-labelledby={labelledBy}>
          <thead>
            <tr>
              <th scope="col" className="col-when">
                Time
              </th>
              <th scope="col" className="col-via">
                Via
              </th>
              <th scope="col">Sender</th>
              <MessageHeads />
              <OutcomeHeads />
            </tr>
          </thead>
          <tbody>
            {shown.map((message, index) => (
              <tr key={keys[index]}>
                <td>
                  <When iso={message.at} />
                </td>
                <td>{CHANNEL_WORDS[message.channel]}</td>
                <td className="cell-clip" title={message.sender}>
                  {message.sender}
                </td>
                <MessageCells message={message} />
                <OutcomeCells flags={flagWords(message)} reason={message.reason ?? ''} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && (
        <p className="table-more">
          {showAll ? `Showing all ${count(recent.length)} recent messages.` : `Showing the newest ${count(shown.length)} of ${count(recent.length)} recent messages.`}{' '}
          {`Recent: received since the node started, the newest ${count(RECENT_KEPT)} at most.`}{' '}
          <button type="button" className="button" onClick={() => setShowAll(!showAll)}>
            {showAll ? `Show the newest ${count(RECENT_SHOWN)}` : `Show all ${count(recent.length)}`}
          </button>
        </p>
      )}
    </>
  );
}

/** Open MLLP connections. */
export function ConnectionsTable({ monitor, labelledBy }: { monitor: IntakeMonitor; labelledBy: string }) {
  if (monitor.connections.length === 0) return <p>No sending system is connected right now.</p>;
  return (
    <div className="table-wrap" {...scrollable(labelledBy)}>
      <table className="data-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col">Connected since</th>
            <th scope="col">Frames received</th>
          </tr>
        </thead>
        <tbody>
          {monitor.connections.map((connection) => (
            <tr key={`${connection.peer}|${connection.since}`}>
              <th scope="row">{connection.peer}</th>
              <td>
                <When iso={connection.since} />
              </td>
              <td>{count(connection.received)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const REFUSAL_WORDS: Readonly<Record<MllpRefusedPeer['reason'], string>> = {
  'not-allowed': 'Not on the allowed peers list',
  'too-many': 'Too many connections from this address',
  full: 'Every connection slot was taken',
  'frame-timeout': 'Closed: no complete message in time',
};

/**
 * Connections the listener refused as they connected (tester S35 #3: a sender turned away by the
 * allow-list showed only in the log), or closed for no complete frame in time (a half-open frame
 * keeps no slot). Addresses and times only: no peer's bytes are shown.
 */
export function RefusedConnections({ monitor, labelledBy }: { monitor: IntakeMonitor; labelledBy: string }) {
  const peers = monitor.refused ?? [];
  const others = monitor.refusedOthers ?? 0;
  const total = peers.reduce((sum, peer) => sum + peer.count, others);
  if (total === 0) return null;
  return (
    <>
      <h3 id={labelledBy}>Refused connections</h3>
      <p className="note note--warn">
        {total === 1 ? '1 connection was' : `${count(total)} connections were`} refused since the listener started: turned away as{' '}
        {total === 1 ? 'it' : 'they'} connected, before anything was read, or closed for sending no complete message in time. A sending system of yours listed here as not allowed is being turned away: an administrator can add
        its address to the allowed peers in Settings → HL7 listener.
      </p>
      {peers.length > 0 && (
        <div className="table-wrap" {...scrollable(labelledBy)}>
          <table className="data-table" aria-labelledby={labelledBy}>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Why</th>
                <th scope="col">Times</th>
                <th scope="col">First</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {peers.map((peer) => (
                <tr key={`${peer.reason}|${peer.address}`}>
                  <th scope="row">{peer.address}</th>
                  <td>{REFUSAL_WORDS[peer.reason]}</td>
                  <td>{count(peer.count)}</td>
                  <td>
                    <When iso={peer.first} />
                  </td>
                  <td>
                    <When iso={peer.last} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {others > 0 && <p className="muted">{`…and ${count(others)} more ${others === 1 ? 'refusal' : 'refusals'} from other addresses, not listed one by one.`}</p>}
    </>
  );
}
