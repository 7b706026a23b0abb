import type { ThemeChoice } from '../../../shared/domain/theme';
import type { Prefs } from '../../../shared/ipc/prefs-contract';

export type ResolvedTheme = 'light' | 'dark';

type DisplayPrefs = Pick<Prefs, 'theme' | 'density'>;

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** The operating system's colour preference, or null where matchMedia is missing. */
function darkSchemeQuery(win: Window): MediaQueryList | null {
  return typeof win.matchMedia === 'function' ? win.matchMedia(DARK_QUERY) : null;
}

export function resolveTheme(choice: ThemeChoice, prefersDark: boolean): ResolvedTheme {
  switch (choice) {
    case 'light':
      return 'light';
    case 'dark':
      return 'dark';
    case 'system':
      return prefersDark ? 'dark' : 'light';
  }
}

/** Puts the preferences on <html> (`data-theme`, `data-density`), where the stylesheets read them. */
export function writePrefsToDocument(prefs: DisplayPrefs, win: Window = window): void {
  const root = win.document.documentElement;
  root.dataset.theme = resolveTheme(prefs.theme, darkSchemeQuery(win)?.matches ?? false);
  root.dataset.density = prefs.density;
}

/**
 * Writes the preferences and, for the "system" theme, keeps following the operating system's
 * light/dark setting. Returns the function that stops following it.
 */
export function followPrefsOnDocument(prefs: DisplayPrefs, win: Window = window): () => void {
  writePrefsToDocument(prefs, win);
  const query = darkSchemeQuery(win);
  if (prefs.theme !== 'system' || query === null) return () => undefined;
  const rewrite = (): void => writePrefsToDocument(prefs, win);
  query.addEventListener('change', rewrite);
  return () => query.removeEventListener('change', rewrite);
}
