/** A device path as `--serial-port` takes it: not empty, not another option, at most 200 characters. */
export function isSerialPortPath(path: string): boolean {
  return path.trim() !== '' && !path.startsWith('--') && path.length <= 200;
}

/**
 * Every `--serial-port PATH` or `--serial-port=PATH` of the desktop app's command line (repeatable),
 * the ports the IEEE 11073 manager opens at start, as the shell takes them (shell-args.ts). A value
 * that is no device path is left out, as the app ignores its other bad options.
 */
export function serialPortsFromArgv(argv: readonly string[]): string[] {
  const paths: string[] = [];
  argv.forEach((arg, i) => {
    const value = arg === '--serial-port' ? argv[i + 1] : arg.startsWith('--serial-port=') ? arg.slice('--serial-port='.length) : undefined;
    if (value !== undefined && isSerialPortPath(value)) paths.push(value);
  });
  return paths;
}
