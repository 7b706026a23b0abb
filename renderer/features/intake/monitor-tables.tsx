import type { Hl7RecentMessage, Hl7SenderCounters, IntakeMonitor, IntakeTotals } from '../../../shared/ipc/intake-contract';
import { MessageCells, MessageHeads, OutcomeCells, OutcomeHeads, flagWords } from './message-parts';

const numberFormat = new Intl.NumberFormat('en');
const timeFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** An ISO time in this computer's clock, with the machine-readable value kept. */
export function When({ iso }: { iso: string }) {
  const date = new Date(iso);
  return <time dateTime={iso}>{Number.isNaN(date.getTime()) ? iso : timeFormat.format(date)}</time>;
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

/** Per sending system (MSH-3 | MSH-4). */
export function SenderTable({ senders, labelledBy }: { senders: readonly Hl7SenderCounters[]; labelledBy: string }) {
  if (senders.length === 0) return <p>No HL7 message has arrived since the node started.</p>;
  return (
    <div className="table-wrap">
      <table className="data-table numbers-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Sender</th>
            <th scope="col">Received</th>
            <th scope="col">Accepted</th>
            <th scope="col">Errored</th>
            <th scope="col">Duplicates</th>
            <th scope="col">Conflicts</th>
            <th scope="col">Last message</th>
          </tr>
        </thead>
        <tbody>
          {senders.map((sender) => (
            <tr key={sender.sender}>
              <th scope="row">{sender.sender}</th>
              <td>{count(sender.received)}</td>
              <td>{count(sender.accepted)}</td>
              <td>{count(sender.errored)}</td>
              <td>{count(sender.duplicates)}</td>
              <td>{count(sender.conflicts)}</td>
              <td>
                <When iso={sender.lastAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const CHANNEL_WORDS = { 'hl7-mllp': 'MLLP', 'hl7-file': 'File' } as const;

/** The newest messages with the acknowledgement each one got. */
export function RecentMessages({ recent, labelledBy }: { recent: readonly Hl7RecentMessage[]; labelledBy: string }) {
  if (recent.length === 0) return <p>No recent messages.</p>;
  return (
    <div className="table-wrap">
      <table className="data-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Via</th>
            <th scope="col">Sender</th>
            <MessageHeads />
            <OutcomeHeads />
          </tr>
        </thead>
        <tbody>
          {recent.map((message, index) => (
            <tr key={`${message.at}|${message.sender}|${message.controlId}|${index}`}>
              <td>
                <When iso={message.at} />
              </td>
              <td>{CHANNEL_WORDS[message.channel]}</td>
              <td>{message.sender}</td>
              <MessageCells message={message} />
              <OutcomeCells flags={flagWords(message)} reason={message.reason ?? ''} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Open MLLP connections. */
export function ConnectionsTable({ monitor, labelledBy }: { monitor: IntakeMonitor; labelledBy: string }) {
  if (monitor.connections.length === 0) return <p>No sending system is connected right now.</p>;
  return (
    <div className="table-wrap">
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
