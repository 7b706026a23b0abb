import { useId, type ReactNode } from 'react';
import { PlannedIcon } from '../icons/area-icons';

/** The one way an area that is not built yet says so: what it will do, and no pretend data. */
export function ComingLaterPanel({ heading = 'Coming in a later release', children }: { heading?: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="panel coming-panel" aria-labelledby={headingId}>
      <h2 id={headingId} className="coming-panel__heading">
        <PlannedIcon />
        {heading}
      </h2>
      <div className="coming-panel__body">{children}</div>
    </section>
  );
}
