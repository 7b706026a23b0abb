import { DEFAULT_ROUTE, hrefForRoute } from '../router/hash-route';

/** Body of the page for an address that names no area (an old bookmark, a typo). */
export function NotFoundView() {
  return (
    <div className="panel">
      <p>There is no page at this address in HDMS Node.</p>
      <p>
        <a href={hrefForRoute(DEFAULT_ROUTE)}>Back to Intake</a>
      </p>
    </div>
  );
}
