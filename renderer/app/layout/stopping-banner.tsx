import { useState } from 'react';
import { useBodyEvent } from '../api-context';
import { useNodeSilentSince } from '../node-stopped-context';

/** Announces that the body is going away (tray quit, SIGTERM), so failing calls are not a surprise. */
export function StoppingBanner() {
  const [stopping, setStopping] = useState(false);
  useBodyEvent('app.stopping', () => setStopping(true));
  const silentSince = useNodeSilentSince();
  if (!stopping && silentSince !== null) return <NotRespondingBanner since={silentSince} />;
  if (!stopping) return null;
  return (
    <div role="alert" className="stopping-banner">
      HDMS Node is shutting down…
    </div>
  );
}

/** The body has not answered for a while: say so, and that the window carries on when it answers. */
function NotRespondingBanner({ since }: { since: number }) {
  const time = new Date(since).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return (
    <div role="alert" className="stopping-banner">
      HDMS Node is not responding: a question asked at {time} has no answer yet. Whether the vault is open and whether anything is
      listening is not known now, and sending systems may not be getting answers. This window carries on as it was when the node
      answers again.
    </div>
  );
}
