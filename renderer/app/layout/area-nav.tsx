import { hrefForRoute } from '../router/hash-route';
import { useCurrentOperator } from '../../vault/vault-context';
import { areasFor } from '../routes';

/** The left navigation between the product's areas; the current one carries aria-current="page". */
export function AreaNav({ currentRoute }: { currentRoute: string }) {
  const operator = useCurrentOperator();
  return (
    <nav aria-label="Areas" className="area-nav">
      <ul className="area-nav__list">
        {areasFor(operator?.role ?? null).map(({ id, title, Icon }) => (
          <li key={id}>
            <a
              className="area-nav__link"
              href={hrefForRoute(id)}
              aria-current={id === currentRoute ? 'page' : undefined}
            >
              <Icon />
              <span>{title}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
