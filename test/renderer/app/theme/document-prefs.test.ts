// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followPrefsOnDocument, resolveTheme } from '../../../../renderer/app/theme/document-prefs';

/** A controllable `(prefers-color-scheme: dark)` query. */
function fakeDarkQuery(initial: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    matches: initial,
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  };
  vi.spyOn(window, 'matchMedia').mockReturnValue(query as unknown as MediaQueryList);
  return {
    listeners,
    set(matches: boolean) {
      query.matches = matches;
      for (const listener of listeners) listener();
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  delete document.documentElement.dataset.theme;
});

describe('document preferences', () => {
  it('resolves the theme choice', () => {
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
  });

  it('"system" follows the operating system until stopped', () => {
    const os = fakeDarkQuery(false);
    const stop = followPrefsOnDocument({ theme: 'system', density: 'compact' });
    expect(document.documentElement.dataset.theme).toBe('light');
    os.set(true);
    expect(document.documentElement.dataset.theme).toBe('dark');
    stop();
    expect(os.listeners.size).toBe(0);
    os.set(false);
    expect(document.documentElement.dataset.theme).toBe('dark');
  });

  it('an explicit theme ignores the operating system', () => {
    const os = fakeDarkQuery(true);
    followPrefsOnDocument({ theme: 'light', density: 'comfortable' });
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(document.documentElement.dataset.density).toBe('comfortable');
    expect(os.listeners.size).toBe(0);
  });
});
