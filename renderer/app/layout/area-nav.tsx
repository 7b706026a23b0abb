import { hrefForRoute } from '../router/hash-route';
import { AREAS } from '../routes';

/** The left navigation between the product's areas; the current one carries aria-current="page". */
export function AreaNav({ currentRoute }: { currentRoute: string }) {
  return (
    <nav aria-label="Areas" className="area-nav">
      <ul className="area-nav__list">
        {AREAS.map(({ id, title, Icon }) => (
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
