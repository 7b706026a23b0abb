import { describe, expect, it } from 'vitest';
import { JOURNAL_READ_PART, readLimitAfter } from '../../../../renderer/vault/views/journal-reads';

describe('readLimitAfter', () => {
  it('reads whole parts from a part boundary', () => {
    expect(JOURNAL_READ_PART).toBe(256);
    expect(readLimitAfter(0)).toBe(256);
    expect(readLimitAfter(512)).toBe(256);
  });

  it('from anywhere else, reads up to the next boundary, so the read after it starts on one', () => {
    expect(readLimitAfter(300)).toBe(212);
    expect(300 + readLimitAfter(300)).toBe(512);
    expect(readLimitAfter(255)).toBe(1);
  });

  it('never asks for more than wanted, nor for less than one record', () => {
    expect(readLimitAfter(0, 100)).toBe(100);
    expect(readLimitAfter(300, 10)).toBe(10);
    expect(readLimitAfter(0, 0)).toBe(1);
  });
});
