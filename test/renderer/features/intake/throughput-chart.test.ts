import { describe, expect, it } from 'vitest';
import { throughputSummary } from '../../../../renderer/features/intake/throughput-chart';
import { THROUGHPUT_BUCKET_SECONDS } from '../../../../shared/ipc/intake-contract';

/** `count` buckets over the last minutes, `received` messages spread over the first ones. */
function buckets(count: number, received: readonly number[]) {
  return Array.from({ length: count }, (_, index) => ({ t: 1_800_000_000 + index * THROUGHPUT_BUCKET_SECONDS, received: received[index] ?? 0, errored: 0 }));
}

describe('the throughput summary average (H8 F15)', () => {
  const tenMinutes = (600 / THROUGHPUT_BUCKET_SECONDS);

  it('a slow feed is averaged per minute, not "0.0 per second"', () => {
    const summary = throughputSummary(buckets(tenMinutes, [10, 6]));
    expect(summary).toContain('16 messages received');
    expect(summary).toContain('average 1.6 per minute;');
    expect(summary).not.toContain('0.0');
  });

  it('one message in the window is "under 0.1 per minute" only when it rounds to nothing', () => {
    expect(throughputSummary(buckets(tenMinutes, [1]))).toContain('average 0.1 per minute;');
    expect(throughputSummary(buckets(tenMinutes * 6, [1]))).toContain('average under 0.1 per minute;');
  });

  it('a feed of a message a second or more stays per second', () => {
    expect(throughputSummary(buckets(6, [20, 20, 20, 20, 20, 20]))).toContain('average 2.0 per second;');
  });
});
