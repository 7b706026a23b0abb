import { useCurrentOperator } from '../../vault/vault-context';
import { DEFAULT_ROUTE, hrefForRoute } from '../router/hash-route';
import { findArea, startAreaFor } from '../routes';

/**
 * Body of the page for an address that names no area (an old bookmark, a typo). The way back is
 * the operator's role's start area: an auditor is not sent to Intake, which the role does not open
 * (QA s35 T2 F11).
 */
export function NotFoundView() {
  const role = useCurrentOperator()?.role ?? null;
  const home = startAreaFor(role) ?? findArea(DEFAULT_ROUTE);
  return (
    <div className="panel">
      <p>There is no page at this address in HDMS Node.</p>
      {home !== undefined && (
        <p>
          <a href={hrefForRoute(home.id)}>Back to {home.title}</a>
        </p>
      )}
    </div>
  );
}
