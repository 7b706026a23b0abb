import { useLayoutEffect, type RefObject } from 'react';

/**
 * Sets CSS custom properties on an element through the CSSOM. The renderer's CSP
 * (`style-src 'self'`) forbids style attributes in markup, but not CSSOM writes; the stylesheets
 * read the variables (positions and sizes only a script can know, such as a virtual list's).
 */
export function useCssVars(ref: RefObject<HTMLElement | null>, vars: Readonly<Record<`--${string}`, string>>): void {
  const key = JSON.stringify(vars);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    for (const [name, value] of Object.entries(JSON.parse(key) as Record<string, string>)) element.style.setProperty(name, value);
  }, [ref, key]);
}
