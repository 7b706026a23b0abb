import { describe, expect, it } from 'vitest';
import { hrefForRoute, routeFromHash } from '../../../../renderer/app/router/hash-route';

describe('hash routes', () => {
  it('reads the route from the hash', () => {
    expect(routeFromHash('#/settings')).toBe('settings');
    expect(routeFromHash('#/settings/')).toBe('settings');
    expect(routeFromHash('#settings')).toBe('settings');
    expect(routeFromHash('#/')).toBe('');
    expect(routeFromHash('#')).toBe('');
    expect(routeFromHash('')).toBe('');
  });

  it('builds hrefs the router reads back', () => {
    expect(routeFromHash(hrefForRoute('ledger'))).toBe('ledger');
  });
});
