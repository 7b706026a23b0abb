import { useId } from 'react';
import type { Distribution } from './query-words';

/** One small bar chart per attribute of a KEY list: a labelled list, each bar a meter of its share. */
export function DistributionBars({ distributions, total }: { distributions: readonly Distribution[]; total: number }) {
  return (
    <div className="distributions">
      {distributions.map((distribution) => (
        <Bars key={distribution.label} distribution={distribution} total={total} />
      ))}
    </div>
  );
}

function Bars({ distribution, total }: { distribution: Distribution; total: number }) {
  const headingId = useId();
  return (
    <figure className="distribution">
      <figcaption id={headingId} className="distribution__title">
        {distribution.label}
      </figcaption>
      <ul className="distribution__bars" aria-labelledby={headingId}>
        {distribution.rows.map((row) => (
          <li key={row.value} className="distribution__row">
            <span className="distribution__value">{row.value}</span>
            {/* A native meter: its width needs no style attribute (the CSP forbids them), and it is read as a share. */}
            <meter className="distribution__bar" min={0} max={Math.max(total, 1)} value={row.count} aria-hidden="true" />
            <span className="distribution__count">{row.count.toLocaleString('en')}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
