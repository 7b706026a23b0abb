/**
 * What an uncaught error may put in the log: its class and its stack frames (file:line), never its
 * message, which may quote the data that was being processed (a name, an MRN) — the logs are
 * PHI-free by construction (design §9).
 */
export function describeErrorForLog(error: unknown): { readonly errorClass: string; readonly stack: string } {
  if (!(error instanceof Error)) return { errorClass: typeof error, stack: '' };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 30)
    .join('\n');
  return { errorClass: error.name || error.constructor?.name || 'Error', stack: frames };
}
