/**
 * How a browser tab of the shell gets its access: the printed link carries a one-time code in its
 * fragment (`#code=…`), which the page trades once, by POST to SHELL_ACCESS_PATH, for the token its
 * WebSocket offers. The token is never in a URL, so the browser's History holds only a spent code.
 */
export const SHELL_ACCESS_PATH = '/access';
/** The fragment key of the printed link. */
export const LINK_CODE_KEY = 'code';
/** 256 random bits, as hex. */
export const LINK_CODE_PATTERN = /^[0-9a-f]{64}$/;
/** An unused code stops working after this long. */
export const LINK_CODE_LIFETIME_MS = 2 * 60 * 1000;

/** Why the shell refused a code: already traded, too old, or never issued by this run of the shell. */
export type LinkCodeRefusal = 'used' | 'expired' | 'unknown';

/** The answer of POST SHELL_ACCESS_PATH: the token, or why not. */
export type ShellAccessAnswer = { readonly token: string } | { readonly refused: LinkCodeRefusal };
