import { describe, expect, it, vi } from 'vitest';
import { AppendNotifier } from '../../../electron/vault/append-notifier';

describe('journal.appended coalescing', () => {
  it('emits at once, then at most once per interval with the latest seq, and flushes the rest', () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const emitted: number[] = [];
      const notifier = new AppendNotifier((seq) => emitted.push(seq), 100, () => now);
      notifier.note(1);
      expect(emitted).toEqual([1]);
      for (let seq = 2; seq <= 10_000; seq++) notifier.note(seq);
      expect(emitted).toEqual([1]);
      now = 100;
      vi.advanceTimersByTime(100);
      expect(emitted).toEqual([1, 10_000]);
      notifier.note(9_999); // older: ignored
      notifier.note(10_001);
      notifier.flush();
      expect(emitted).toEqual([1, 10_000, 10_001]);
      notifier.flush();
      expect(emitted).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
