import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../config/data-dir';
import { parseDicomPort } from '../intake/dicom/dicom-settings';
import { parseMllpPort } from '../intake/intake-settings';
import { isSerialPortPath } from '../intake/devices/serial-port-args';

export interface ShellArgs {
  readonly dataDir: string;
  readonly port: number;
  /** The HL7 listener's port for this run (0 = disabled); null = the intake settings' port. */
  readonly mllpPort: number | null;
  /** Serial ports the IEEE 11073 manager opens at start (repeatable). */
  readonly serialPorts: readonly string[];
  /** The IEEE 11073 manager's TCP port on 127.0.0.1 (null: no TCP listener). */
  readonly deviceTcpPort: number | null;
  /** The DICOM receiver's port for this run (0 = disabled); null = its settings' port. */
  readonly dicomPort: number | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly help: boolean;
}

export const SHELL_USAGE = `Usage: npm run shell -- [options]

Runs HDMS Node in the browser shell: the same body as the desktop app, serving the UI on
127.0.0.1 only, behind a random token.

Options:
  --data-dir DIR     data folder (default: ${defaultDataDir()})
  --port N           HTTP port on 127.0.0.1; 0 picks a free port (default: 0)
  --mllp-port N      HL7 v2 (MLLP) listener port for this run; 0 turns it off
                     (default: the intake settings, 2575 unless changed)
  --serial-port PATH IEEE 11073 devices: open this serial port at start (repeatable;
                     a port the OS does not list, e.g. a pty, works too)
  --device-tcp-port N  IEEE 11073 devices over TCP on 127.0.0.1 (gateways, tests);
                     0 picks a free port (default: none)
  --dicom-port N     DICOM receiver (C-STORE/C-ECHO SCP) port for this run; 0 turns
                     it off (default: the DICOM settings, 11112 unless changed)
  --log-level LEVEL  fatal|error|warn|info|debug|trace|silent (default: info)
  --no-build         run the app as last built in out/ (npm run shell builds it
                     first by default)
  --help             show this text
`;

export class ShellArgsError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function parseShellArgs(argv: readonly string[]): ShellArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        'mllp-port': { type: 'string' },
        'serial-port': { type: 'string', multiple: true },
        'device-tcp-port': { type: 'string' },
        'dicom-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ShellArgsError((error as Error).message);
  }
  const portText = values.port ?? '0';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ShellArgsError(`--port must be a number from 0 to 65535, not "${portText}".`);
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ShellArgsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  let mllpPort: number | null = null;
  if (values['mllp-port'] !== undefined) {
    try {
      mllpPort = parseMllpPort(values['mllp-port']);
    } catch (error) {
      throw new ShellArgsError((error as Error).message);
    }
  }
  let dicomPort: number | null = null;
  if (values['dicom-port'] !== undefined) {
    try {
      dicomPort = parseDicomPort(values['dicom-port']);
    } catch (error) {
      throw new ShellArgsError((error as Error).message);
    }
  }
  const serialPorts = values['serial-port'] ?? [];
  for (const port of serialPorts) if (!isSerialPortPath(port)) throw new ShellArgsError('--serial-port takes a device path such as /dev/ttyUSB0 or COM3.');
  let deviceTcpPort: number | null = null;
  const deviceTcpText = values['device-tcp-port'];
  if (deviceTcpText !== undefined) {
    if (!/^\d{1,5}$/.test(deviceTcpText) || Number(deviceTcpText) > 65535) throw new ShellArgsError(`--device-tcp-port must be a number from 0 to 65535, not "${deviceTcpText}".`);
    deviceTcpPort = Number(deviceTcpText);
  }
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '') throw new ShellArgsError('--data-dir must not be empty.');
  return {
    dataDir: path.resolve(dataDir ?? defaultDataDir()),
    port: Number(portText),
    mllpPort,
    serialPorts,
    deviceTcpPort,
    dicomPort,
    logLevel: logLevel as ShellArgs['logLevel'],
    help: values.help ?? false,
  };
}
