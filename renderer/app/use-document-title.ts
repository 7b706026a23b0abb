import { useEffect } from 'react';

/** The app's name, last in every title (index.html's own title). */
export const APP_TITLE = 'HDMS Node';

/**
 * Names the page in the window's title ("Patient chart – HDMS Node") while it is shown, and gives
 * the title back when it goes. Titles name the page, never the patient: a window title leaves the
 * app (task switchers, window lists, screen sharing, OS activity history and time trackers), so
 * no name, MRN or birth date goes there; the page itself says whose record it is.
 */
export function useDocumentTitle(page: string | null): void {
  useEffect(() => {
    if (page === null) return;
    const before = document.title;
    document.title = `${page} – ${APP_TITLE}`;
    return () => {
      document.title = before;
    };
  }, [page]);
}
