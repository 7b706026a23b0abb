import { useEffect, useState } from 'react';

export const DEFAULT_ROUTE = 'intake';

/** `#/settings` → `settings`; an empty hash (or `#/`) → ''. Routes are one path segment for now. */
export function routeFromHash(hash: string): string {
  return hash.replace(/^#\/?/, '').replace(/\/+$/, '');
}

export function hrefForRoute(route: string): string {
  return `#/${route}`;
}

/**
 * A tiny hash router: the current route, following `hashchange`. An empty hash becomes the default
 * route by replacing the history entry, so Back does not bounce between `#/` and `#/intake`.
 */
export function useHashRoute(win: Window = window): string {
  const [route, setRoute] = useState(() => routeFromHash(win.location.hash) || DEFAULT_ROUTE);

  useEffect(() => {
    const sync = (): void => {
      const next = routeFromHash(win.location.hash);
      if (next === '') {
        const { pathname, search } = win.location;
        win.history.replaceState(win.history.state, '', `${pathname}${search}${hrefForRoute(DEFAULT_ROUTE)}`);
        setRoute(DEFAULT_ROUTE);
      } else {
        setRoute(next);
      }
    };
    sync();
    win.addEventListener('hashchange', sync);
    return () => win.removeEventListener('hashchange', sync);
  }, [win]);

  return route;
}
