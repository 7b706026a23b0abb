import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../../server/http/window-counter';

describe('window counter', () => {
  it('allows max events per key in a window, each key its own, and forgets them when the window ends', () => {
    let now = 1_000;
    const counter = new WindowCounter(2, 100, 10, () => now);
    expect([counter.take('a'), counter.take('a'), counter.take('a')]).toEqual([true, true, false]);
    expect(counter.take('b')).toBe(true);
    now += 100;
    expect(counter.take('a')).toBe(true);
  });

  it('counts at most maxKeys keys in a window: a flood from many addresses is refused as a whole until the window ends', () => {
    let now = 0;
    const counter = new WindowCounter(5, 1_000, 3, () => now);
    expect(['a', 'b', 'c', 'd'].map((key) => counter.take(key))).toEqual([true, true, true, false]);
    expect(counter.take('a')).toBe(true);
    now = 1_000;
    expect(counter.take('d')).toBe(true);
  });
});
