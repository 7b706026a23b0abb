import { useEffect, useRef, type MouseEvent } from 'react';
import type { VaultStatus } from '../../../shared/ipc/vault-contract';
import { useHashRoute } from '../router/hash-route';
import { findArea } from '../routes';
import { AppHeader } from './app-header';
import { AreaNav } from './area-nav';
import { NotFoundView } from './not-found-view';

/**
 * Header, area navigation and the current area. After each navigation keyboard focus moves to
 * the new page's h1, so screen-reader and keyboard users start reading the new content.
 */
export function AppFrame({ vault, focusOnMount = false }: { vault: VaultStatus; focusOnMount?: boolean }) {
  const route = useHashRoute();
  const area = findArea(route);
  const heading = useRef<HTMLHeadingElement>(null);
  // The route whose heading was last shown; on first load focus stays at the top (skip link first).
  const shownRoute = useRef<string | null>(focusOnMount ? null : route);

  useEffect(() => {
    if (shownRoute.current === route) return;
    shownRoute.current = route;
    heading.current?.focus();
  }, [route]);

  // The skip link must not change the hash: the hash is the router's.
  const skipToContent = (event: MouseEvent<HTMLAnchorElement>): void => {
    event.preventDefault();
    heading.current?.focus();
  };

  const Page = area?.Page ?? NotFoundView;
  return (
    <div className="frame">
      <a className="skip-link" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <AppHeader vault={vault} />
      <div className="frame__body">
        <AreaNav currentRoute={route} />
        <main id="content" className="content">
          <div className="content__inner">
            <h1 ref={heading} tabIndex={-1} className="content__title">
              {area?.title ?? 'Page not found'}
            </h1>
            <Page />
          </div>
        </main>
      </div>
    </div>
  );
}
