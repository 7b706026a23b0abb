import { LINK_CODE_KEY, SHELL_ACCESS_PATH, type LinkCodeRefusal } from '../../shared/ipc/shell-access';

const CODE_IN_HASH = new RegExp(`(?:^#|&)${LINK_CODE_KEY}=([0-9a-f]{64})(?:&|$)`);

/** What to do for a new link, said on every screen that needs one. */
export const NEW_LINK_HELP =
  'To get a new link, press Enter in the terminal where “npm run shell” runs (or start it again), then open the link it prints.';

/** Whether an address fragment carries a link code (`#code=…`). */
export function hashHasShellCode(hash: string): boolean {
  return CODE_IN_HASH.test(hash);
}

/**
 * Reads the one-time code of the shell's printed link from `#code=…` and removes it from the
 * address bar (replaceState, so Back does not lead to it either). The browser's History may still
 * hold the link as opened: the code is spent at the exchange, so that copy opens nothing.
 */
export function takeShellCode(location: Location, history: History): string | null {
  const match = CODE_IN_HASH.exec(location.hash);
  if (match?.[1] === undefined) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  return match[1];
}

export type ShellAccess = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly reason: string };

const REFUSALS: Record<LinkCodeRefusal, string> = {
  used: 'This link was already used: each link the shell prints opens one tab, once (another tab or an earlier load took it).',
  expired: 'This link has expired: a link works only within 2 minutes of being printed.',
  unknown: 'This link is not from the shell that runs now (it may be from an earlier start of the shell).',
};

/**
 * Trades the link's code for the connection's token (POST, the code in the body): the token then
 * lives in this page's memory only and is in no URL, so neither History nor any other store on
 * disk holds it.
 */
export async function exchangeShellCode(code: string): Promise<ShellAccess> {
  let response: Response;
  try {
    response = await fetch(SHELL_ACCESS_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ [LINK_CODE_KEY]: code }),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, reason: `HDMS Node cannot be reached: the shell may have stopped. Start it again (npm run shell) and open the link it prints.` };
  }
  let answer: { token?: unknown; refused?: unknown } | null = null;
  try {
    answer = (await response.json()) as { token?: unknown; refused?: unknown } | null;
  } catch {
    answer = null;
  }
  if (response.ok && typeof answer?.token === 'string') return { ok: true, token: answer.token };
  const refused = answer?.refused;
  if (refused === 'used' || refused === 'expired' || refused === 'unknown') return { ok: false, reason: `${REFUSALS[refused]} ${NEW_LINK_HELP}` };
  return { ok: false, reason: `The shell did not give this page access (HTTP ${response.status}). ${NEW_LINK_HELP}` };
}
