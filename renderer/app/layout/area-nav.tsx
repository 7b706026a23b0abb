import { useEffect, useState } from 'react';
import { hrefForRoute } from '../router/hash-route';
import { useCurrentOperator } from '../../vault/vault-context';
import { areasFor } from '../routes';

/**
 * The left navigation between the product's areas; the current one carries aria-current="page".
 * Collapsed to its icons (up to 1,080 px, layout.css), each link shows its label as a tooltip on
 * hover and on keyboard focus. Escape dismisses the tooltips without moving focus or the pointer
 * (WCAG 1.4.13); focus or the pointer on a link shows them again.
 */
export function AreaNav({ currentRoute }: { currentRoute: string }) {
  const operator = useCurrentOperator();
  const [dismissed, setDismissed] = useState(false);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setDismissed(true);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
  const show = () => setDismissed(false);
  return (
    <nav aria-label="Areas" className="area-nav" data-labels={dismissed ? 'dismissed' : undefined}>
      <ul className="area-nav__list">
        {areasFor(operator?.role ?? null).map(({ id, title, Icon }) => (
          <li key={id}>
            <a
              className="area-nav__link"
              href={hrefForRoute(id)}
              aria-current={id === currentRoute ? 'page' : undefined}
              onFocus={show}
              onMouseEnter={show}
            >
              <Icon />
              <span className="area-nav__label">{title}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
