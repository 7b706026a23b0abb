import type { ListenerStatus } from '../../../shared/ipc/intake-contract';
import { channelName, listenerStateName } from './channel-names';

function listenerDetails(listener: ListenerStatus): string {
  if (listener.state === 'listening' && listener.port !== undefined) {
    return `Listening on ${listener.address ?? 'all addresses'}, port ${listener.port}.`;
  }
  return listener.reason ?? '';
}

/** One row per intake channel: its state in words (never colour alone) and why. */
export function ListenerTable({ listeners, labelledBy }: { listeners: readonly ListenerStatus[]; labelledBy: string }) {
  return (
    <div className="table-wrap">
      <table className="data-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">State</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {listeners.map((listener) => (
            <tr key={listener.channel}>
              <th scope="row">{channelName(listener.channel)}</th>
              <td>
                <span className={`state state--${listener.state}`}>{listenerStateName(listener.state)}</span>
              </td>
              <td>{listenerDetails(listener)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
