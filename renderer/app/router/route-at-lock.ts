import { hrefForRoute, routeFromHash } from './hash-route';

/**
 * Lock and unlock return to the page that was open (issue 11), for the same operator only.
 *
 * Every page below an area's start names what it shows in the address (a patient, a record, a
 * study in the viewer, a message); opening it is an access journaled as whoever is signed in. So
 * at a lock the address is cleared (`#/`, nothing named) and the page is held in the app's memory
 * with the operator who locked; nothing is written to storage. The next unlock by that operator
 * goes back to it; anyone else starts from their role's start page, and nothing is opened in their
 * name (tester T1 S35 F14: a clinician unlocked into the admin's open study, and the ledger signed
 * "Record viewed" by the clinician). Either unlock spends the memory; a reload forgets it (the
 * address a window loads with while locked is cleared the same way).
 */

export interface HeldRoute {
  readonly operatorId: string;
  readonly route: string;
}

/** Where the app keeps the held page between a lock and the next unlock (a React ref). */
export interface RouteHolder {
  current: HeldRoute | null;
}

/** At a lock (or a window that loads locked): hold the open page for `operatorId` (null: for nobody) and clear the address. */
export function holdRouteAtLock(holder: RouteHolder, operatorId: string | null, win: Window = window): void {
  const route = routeFromHash(win.location.hash);
  // Already cleared: this lock was seen (an effect run twice); what it held stays held.
  if (route === '') return;
  holder.current = operatorId === null ? null : { operatorId, route };
  const { pathname, search } = win.location;
  win.history.replaceState(win.history.state, '', `${pathname}${search}#/`);
}

/** At an unlock, before the frame reads the address: the held page when `operatorId` locked it; otherwise the address stays cleared. */
export function routeAtUnlock(holder: RouteHolder, operatorId: string | undefined, win: Window = window): void {
  const held = holder.current;
  holder.current = null;
  if (held === null || held.operatorId !== operatorId) return;
  const { pathname, search } = win.location;
  win.history.replaceState(win.history.state, '', `${pathname}${search}${hrefForRoute(held.route)}`);
}
