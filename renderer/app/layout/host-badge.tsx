import type { HostKind } from '../../../shared/domain/host';
import { hostLabel } from '../installation-labels';

/** Says which host runs this window, so support can tell a shell tab from the desktop app. */
export function HostBadge({ host }: { host: HostKind }) {
  return <span className="badge badge--outline">{hostLabel(host)}</span>;
}
