import { useEffect, useState } from 'react';

export const DEFAULT_ROUTE = 'intake';

/** `#/settings` → `settings`, `#/patients/p1` → `patients/p1`; an empty hash (or `#/`) → ''. */
export function routeFromHash(hash: string): string {
  return hash.replace(/^#\/?/, '').replace(/\/+$/, '');
}

export function hrefForRoute(route: string): string {
  return `#/${route}`;
}

/** `patients/p%2F1/records/r1` → ['patients', 'p/1', 'records', 'r1']: the area, then its own path. */
export function splitRoute(route: string): string[] {
  return route.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
}

/** The href of a nested page: each segment escaped, so ids may hold any character. */
export function hrefForPath(...segments: readonly string[]): string {
  return hrefForRoute(segments.map((segment) => encodeURIComponent(segment)).join('/'));
}

/**
 * A tiny hash router: the current route, following `hashchange`. An empty hash becomes the start
 * route (the operator's role's, else the default) by replacing the history entry, so Back does not
 * bounce between `#/` and `#/intake`.
 */
export function useHashRoute(startRoute: string = DEFAULT_ROUTE, win: Window = window): string {
  const [route, setRoute] = useState(() => routeFromHash(win.location.hash) || startRoute);

  useEffect(() => {
    const sync = (): void => {
      const next = routeFromHash(win.location.hash);
      if (next === '') {
        const { pathname, search } = win.location;
        win.history.replaceState(win.history.state, '', `${pathname}${search}${hrefForRoute(startRoute)}`);
        setRoute(startRoute);
      } else {
        setRoute(next);
      }
    };
    sync();
    win.addEventListener('hashchange', sync);
    return () => win.removeEventListener('hashchange', sync);
  }, [win, startRoute]);

  return route;
}
