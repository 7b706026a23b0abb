import { useState } from 'react';
import { useBodyEvent } from '../api-context';

/** Announces that the body is going away (tray quit, SIGTERM), so failing calls are not a surprise. */
export function StoppingBanner() {
  const [stopping, setStopping] = useState(false);
  useBodyEvent('app.stopping', () => setStopping(true));
  if (!stopping) return null;
  return (
    <div role="alert" className="stopping-banner">
      HDMS Node is shutting down…
    </div>
  );
}
