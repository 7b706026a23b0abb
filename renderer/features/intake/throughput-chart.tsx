import { useId } from 'react';
import { THROUGHPUT_BUCKET_SECONDS, type ThroughputBucket } from '../../../shared/ipc/intake-contract';

const WIDTH = 600;
const HEIGHT = 120;
const numberFormat = new Intl.NumberFormat('en');
const clockFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A rate in messages a second, in words: per minute under one a second (16 in 10 minutes read "0.0 per second", H8 F15). */
function averageWords(perSecond: number): string {
  if (perSecond >= 1) return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)} per second`;
  const perMinute = perSecond * 60;
  if (perMinute < 0.05) return 'under 0.1 per minute';
  return `${perMinute.toFixed(perMinute < 10 ? 1 : 0)} per minute`;
}

/** In words, for everyone (and the chart's accessible description). */
export function throughputSummary(buckets: readonly ThroughputBucket[]): string {
  if (buckets.length === 0) return 'No throughput data yet.';
  const received = buckets.reduce((sum, b) => sum + b.received, 0);
  const errored = buckets.reduce((sum, b) => sum + b.errored, 0);
  const minutes = Math.round((buckets.length * THROUGHPUT_BUCKET_SECONDS) / 60);
  const span = `Last ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  if (received === 0) return `${span}: no messages received.`;
  const peak = buckets.reduce((best, b) => (b.received > best.received ? b : best), buckets[0]!);
  const rate = received / (buckets.length * THROUGHPUT_BUCKET_SECONDS);
  return (
    `${span}: ${numberFormat.format(received)} ${received === 1 ? 'message' : 'messages'} received` +
    `, ${numberFormat.format(errored)} with errors; ` +
    `average ${averageWords(rate)}; ` +
    `peak ${numberFormat.format(peak.received)} in the ${THROUGHPUT_BUCKET_SECONDS} seconds from ${clockFormat.format(new Date(peak.t * 1000))}.`
  );
}

/**
 * Messages per 10-second bucket over the last minutes: one bar per bucket (received), its errored
 * part drawn over it in a second colour and pattern, with a text summary (never the chart alone).
 * Inline SVG, sized by attributes (the CSP allows no style attributes).
 */
export function ThroughputChart({ buckets }: { buckets: readonly ThroughputBucket[] }) {
  const titleId = useId();
  const descriptionId = useId();
  const max = Math.max(1, ...buckets.map((b) => b.received));
  const slot = WIDTH / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot - 2);
  const scale = (value: number): number => (value / max) * (HEIGHT - 4);
  const summary = throughputSummary(buckets);
  return (
    <figure className="throughput">
      <svg
        className="throughput__chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby={titleId}
        aria-describedby={descriptionId}
      >
        <title id={titleId}>Messages received per {THROUGHPUT_BUCKET_SECONDS} seconds</title>
        <line className="throughput__axis" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
        {buckets.map((bucket, index) => {
          const height = scale(bucket.received);
          const errored = scale(Math.min(bucket.errored, bucket.received));
          const x = index * slot + 1;
          return (
            <g key={bucket.t}>
              {height > 0 && <rect className="throughput__bar" x={x} y={HEIGHT - height} width={barWidth} height={height} />}
              {errored > 0 && <rect className="throughput__bar throughput__bar--errored" x={x} y={HEIGHT - errored} width={barWidth} height={errored} />}
            </g>
          );
        })}
      </svg>
      <figcaption id={descriptionId} className="throughput__summary">
        {summary} <span className="throughput__legend throughput__legend--received">Received</span>{' '}
        <span className="throughput__legend throughput__legend--errored">With errors</span>
      </figcaption>
    </figure>
  );
}
