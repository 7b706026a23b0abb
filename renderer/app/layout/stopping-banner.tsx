import { useState } from 'react';
import { useBodyEvent } from '../api-context';
import { useNodeSilentSince, useStoppedScreenShown } from '../node-stopped-context';

/**
 * Announces that the body is going away (tray quit, SIGTERM), so failing calls are not a surprise,
 * on the screens that stay after a stop (recovery key, restore summary, startup); gone once the
 * "has stopped" screen is on show.
 */
export function StoppingBanner() {
  const [stopping, setStopping] = useState(false);
  useBodyEvent('app.stopping', () => setStopping(true));
  const silentSince = useNodeSilentSince();
  // The page says "HDMS Node has stopped" itself: "shutting down…" above it would never go away.
  const stoppedScreen = useStoppedScreenShown();
  if (!stopping && silentSince !== null) return <NotRespondingBanner since={silentSince} />;
  if (!stopping || stoppedScreen) return null;
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
