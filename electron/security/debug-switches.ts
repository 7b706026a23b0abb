/**
 * Command-line switches that open a running app to a debugger: Chromium's DevTools protocol
 * (`--remote-debugging-port` reads every page, including decrypted patient data, from any local
 * process) and Node's inspector, plus V8 flags. Electron's fuses turn off `--inspect*` but not
 * Chromium's remote debugging, so a packaged build refuses to start with any of them
 * (design §9). In development (not packaged) they stay allowed.
 *
 * Names are matched the way the parsers read them: Chromium takes `--x` and `-x` (and `/x` on
 * Windows, case-insensitively); Node treats `_` as `-`. We ignore case everywhere: no app switch
 * differs from these only by case.
 */
export const DEBUG_SWITCHES: ReadonlySet<string> = new Set([
  'remote-debugging-port',
  'remote-debugging-pipe',
  'remote-debugging-address',
  'remote-debugging-io-pipes',
  'remote-allow-origins',
  'inspect',
  'inspect-brk',
  'inspect-port',
  'inspect-wait',
  'inspect-brk-node',
  'inspect-publish-uid',
  'debug',
  'debug-brk',
  'debug-port',
  'js-flags',
]);

/** The debugging switches on a command line (without dashes), in order; argv[0] is the executable. */
export function findDebugSwitches(argv: readonly string[], platform: NodeJS.Platform = process.platform): string[] {
  const prefix = platform === 'win32' ? /^(?:--|-|\/)([^=]+)/ : /^(?:--|-)([^=]+)/;
  const found: string[] = [];
  for (const arg of argv.slice(1)) {
    const name = prefix.exec(arg)?.[1]?.toLowerCase().replaceAll('_', '-');
    if (name !== undefined && DEBUG_SWITCHES.has(name)) found.push(name);
  }
  return found;
}

export interface DebugSwitchCheck {
  readonly argv: readonly string[];
  /** `app.isPackaged`. */
  readonly packaged: boolean;
  /**
   * Whether Node's inspector is already listening. The shipped binary's EnableNodeCliInspectArguments
   * fuse makes that impossible from the command line; only a copy whose fuse was flipped back (the
   * release smoke test drives one with Playwright, which needs both switches) gets here. Whoever can
   * flip fuses can also turn off asar integrity and replace this check, so allowing it loses nothing.
   */
  readonly inspectorOpen: boolean;
  readonly platform?: NodeJS.Platform;
}

/** Null when the app may start; otherwise the reason to print before exiting. */
export function refuseDebugSwitches(check: DebugSwitchCheck): string | null {
  if (!check.packaged || check.inspectorOpen) return null;
  const found = findDebugSwitches(check.argv, check.platform);
  if (found.length === 0) return null;
  return `HDMS Node does not start with debugging switches (${found.map((name) => `--${name}`).join(', ')}): they would let other programs read patient data from the app.`;
}
