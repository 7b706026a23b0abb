import { useEffect, useRef, type MouseEvent } from 'react';
import { useCurrentOperator, useVault, useVaultPhase } from '../../vault/vault-context';
import { useNodeSilentSince } from '../node-stopped-context';
import { hrefForRoute, splitRoute, useHashRoute } from '../router/hash-route';
import { areaAllows, findArea, startAreaFor } from '../routes';
import { roleLabel } from './app-header';
import { AppHeader } from './app-header';
import { AreaNav } from './area-nav';
import { NotFoundView } from './not-found-view';
import { useActivityReport } from './use-activity-report';

/**
 * Header, area navigation and the current area. After each navigation keyboard focus moves to
 * the new page's h1, so screen-reader and keyboard users start reading the new content.
 */
export function AppFrame({ focusOnMount = false }: { focusOnMount?: boolean }) {
  const vault = useVault();
  const phase = useVaultPhase();
  const operator = useCurrentOperator();
  const role = operator?.role ?? null;
  const route = useHashRoute(startAreaFor(role)?.id);
  const [areaId, ...path] = splitRoute(route);
  const found = findArea(areaId ?? '');
  const area = found !== undefined && (path.length === 0 || found.nested === true) ? found : undefined;
  // An area the role's keys do not open is not shown; the page says why and where to go.
  const allowed = area === undefined || areaAllows(area, role);
  const heading = useRef<HTMLHeadingElement>(null);
  // While the body does not answer, the page's figures and states (a listener "Listening") are not
  // known to be true: it is hidden, not unmounted, so a form half filled in is there when it answers.
  const silent = useNodeSilentSince() !== null;
  // The route whose heading was last shown; on first load focus stays at the top (skip link first).
  const shownRoute = useRef<string | null>(focusOnMount ? null : route);

  // Auto-lock measures idleness from real input in this window.
  useActivityReport(vault, phase === 'unlocked');

  // An area's bare address the role does not open (the route an earlier operator left, a default
  // start page) leads to the role's start area; a deeper address says why it is not shown.
  const firstArea = startAreaFor(role);
  const redirect = !allowed && path.length === 0 && firstArea !== undefined ? hrefForRoute(firstArea.id) : null;
  useEffect(() => {
    if (redirect !== null) window.location.replace(redirect);
  }, [redirect]);

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
      <AppHeader />
      <div className="frame__body">
        <AreaNav currentRoute={area?.id ?? route} />
        <main id="content" className="content">
          <div className="content__inner">
            <h1 ref={heading} tabIndex={-1} className="content__title">
              {area?.title ?? 'Page not found'}
            </h1>
            {silent && (
              <div className="panel" role="note">
                <p>This page is hidden while HDMS Node is not responding: what it showed may no longer be true. It comes back as it was when the node answers.</p>
              </div>
            )}
            {!allowed ? null : (
              <div className="content__page" hidden={silent}>
                <Page path={path} />
              </div>
            )}
            {allowed ? null : (
              <div className="panel" role="note">
                <p>
                  Your role ({roleLabel(role ?? 'clinician').toLowerCase()}) does not open this area: your key slot holds no key to
                  patient data, by design.
                </p>
                {firstArea !== undefined && (
                  <p>
                    <a href={hrefForRoute(firstArea.id)}>Go to {firstArea.title}</a>
                  </p>
                )}
              </div>
            )}
          </div>
        </main>
      </div>
    </div>
  );
}
