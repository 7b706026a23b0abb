import { describe, expect, it } from 'vitest';
import { buildCsp, securityHeaders } from '../../../electron/security/csp';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('content security policy', () => {
  it('allows no network origin, no inline code and no framing', () => {
    const csp = directives(buildCsp());
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(buildCsp()).not.toMatch(/unsafe-|https?:|\*/);
  });

  it('adds only the connect sources it is given', () => {
    expect(directives(buildCsp({ connectSrc: ['ws://127.0.0.1:4000'] })).get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4000']);
  });

  it('goes with nosniff, no referrer and no framing headers', () => {
    expect(securityHeaders('x')).toMatchObject({
      'Content-Security-Policy': 'x', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY',
    });
  });
});
