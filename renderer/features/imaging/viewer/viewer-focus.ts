import { useEffect, type RefObject } from 'react';

/**
 * Whether the viewer may take the keyboard focus when its study opens: from nothing (the body), from
 * the page heading the app frame focuses after each navigation, or from an element that is gone; not
 * from a control the user has moved to meanwhile (a text field, a link elsewhere), and not when it
 * is already inside the viewer.
 */
export function mayTakeFocus(active: Element | null, viewer: HTMLElement): boolean {
  if (active === null || !active.isConnected || active === document.body || active === document.documentElement) return true;
  if (viewer.contains(active)) return false;
  return active.tagName === 'H1';
}

/**
 * The viewer's keys (↓, End, 1–4, I…) work where the focus is in the viewer (shortcuts.ts); after a
 * navigation the app frame focuses the page heading (QA D2: so the keys did nothing until the image
 * was clicked). When the study opens the viewer takes the focus instead. The frame's effect runs
 * after the page's in the same commit (a parent's), so the focus moves on the next task, once that
 * is done.
 */
export function useFocusOnOpen(viewer: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const timer = window.setTimeout(() => {
      const element = viewer.current;
      if (element === null || !element.isConnected) return;
      if (mayTakeFocus(document.activeElement, element)) element.focus({ preventScroll: true });
    }, 0);
    return () => window.clearTimeout(timer);
  }, [viewer]);
}
