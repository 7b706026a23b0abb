/** A system or Node error code (EMFILE, ENOENT, ERR_INVALID_ARG_TYPE): says why, quotes nothing. */
const SYSTEM_CODE = /^E[A-Z0-9_]{1,40}$/;

/**
 * What an uncaught error may put in the log: its class, its system code (EMFILE: too many open
 * files) and its stack frames (file:line), never its message, which may quote the data that was
 * being processed (a name, an MRN, a path) — the logs are PHI-free by construction (design §9).
 */
export function describeErrorForLog(error: unknown): { readonly errorClass: string; readonly stack: string; readonly code?: string } {
  if (!(error instanceof Error)) return { errorClass: typeof error, stack: '' };
  const code = (error as { code?: unknown }).code;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 30)
    .join('\n');
  return { errorClass: error.name || error.constructor?.name || 'Error', ...(typeof code === 'string' && SYSTEM_CODE.test(code) ? { code } : {}), stack: frames };
}
