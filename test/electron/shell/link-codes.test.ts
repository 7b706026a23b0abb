import { describe, expect, it } from 'vitest';
import { LinkCodes } from '../../../electron/shell/link-codes';
import { LINK_CODE_LIFETIME_MS, LINK_CODE_PATTERN } from '../../../shared/ipc/shell-access';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('one-time link codes', () => {
  it('issues 256-bit codes, each different', () => {
    const codes = new LinkCodes();
    const a = codes.issue();
    const b = codes.issue();
    expect(a).toMatch(LINK_CODE_PATTERN);
    expect(b).not.toBe(a);
  });

  it('takes a code once: the second use is told it was already used', () => {
    const codes = new LinkCodes();
    const code = codes.issue();
    expect(codes.redeem(code)).toBe('ok');
    expect(codes.redeem(code)).toBe('used');
  });

  it('refuses an unused code past its lifetime as expired, and one it never issued as unknown', () => {
    const time = clock();
    const codes = new LinkCodes(time.now);
    const late = codes.issue();
    const inTime = codes.issue();
    time.advance(LINK_CODE_LIFETIME_MS - 1);
    expect(codes.redeem(inTime)).toBe('ok');
    time.advance(2);
    expect(codes.redeem(late)).toBe('expired');
    expect(codes.redeem('0'.repeat(64))).toBe('unknown');
    expect(codes.redeem('not hex')).toBe('unknown');
  });

  it('a new code does not revoke an older unused one', () => {
    const codes = new LinkCodes();
    const first = codes.issue();
    codes.issue();
    expect(codes.redeem(first)).toBe('ok');
  });
});
