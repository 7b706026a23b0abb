import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../../electron/config/data-dir';
import { parseShellArgs, ShellArgsError } from '../../../electron/shell/shell-args';

describe('shell arguments', () => {
  it('defaults to the platform data folder and any free port', () => {
    expect(parseShellArgs([])).toEqual({ dataDir: path.resolve(defaultDataDir()), port: 0, mllpPort: null, dicomPort: null, serialPorts: [], deviceTcpPort: null, logLevel: 'info', help: false });
  });

  it('takes --data-dir, --port and --log-level', () => {
    expect(parseShellArgs(['--data-dir', 'some/dir', '--port', '8123', '--log-level', 'warn'])).toEqual({
      dataDir: path.resolve('some/dir'), port: 8123, mllpPort: null, dicomPort: null, serialPorts: [], deviceTcpPort: null, logLevel: 'warn', help: false,
    });
    expect(parseShellArgs(['--port=0']).port).toBe(0);
  });

  it('takes --mllp-port N and --mllp-port=N (0 turns the HL7 listener off for this run)', () => {
    expect(parseShellArgs(['--mllp-port', '2576']).mllpPort).toBe(2576);
    expect(parseShellArgs(['--mllp-port=0']).mllpPort).toBe(0);
  });

  it('takes --serial-port PATH (repeatable) and --device-tcp-port N for the IEEE 11073 manager', () => {
    expect(parseShellArgs(['--serial-port', '/dev/ttyUSB0', '--serial-port=/dev/pts/7']).serialPorts).toEqual(['/dev/ttyUSB0', '/dev/pts/7']);
    expect(parseShellArgs(['--device-tcp-port', '6024']).deviceTcpPort).toBe(6024);
    expect(() => parseShellArgs(['--device-tcp-port', '70000'])).toThrow(ShellArgsError);
    expect(() => parseShellArgs(['--serial-port', ''])).toThrow(ShellArgsError);
  });

  it('takes --dicom-port N and --dicom-port=N (0 turns the DICOM receiver off for this run)', () => {
    expect(parseShellArgs(['--dicom-port', '11113']).dicomPort).toBe(11113);
    expect(parseShellArgs(['--dicom-port=0']).dicomPort).toBe(0);
  });

  it.each([
    [['--port', '70000']],
    [['--port', '-1']],
    [['--port', 'http']],
    [['--port', '']],
    [['--mllp-port', '65536']],
    [['--mllp-port', 'x']],
    [['--mllp-port', '']],
    [['--dicom-port', '65536']],
    [['--dicom-port', 'x']],
    [['--log-level', 'loud']],
    [['--data-dir', '  ']],
    [['--bind', '0.0.0.0']],
    [['stray']],
  ])('refuses %j with a clear error', (argv) => {
    expect(() => parseShellArgs(argv)).toThrow(ShellArgsError);
  });

  it('has no way to bind anything but loopback', () => {
    expect(() => parseShellArgs(['--host', '0.0.0.0'])).toThrow(/Unknown option '--host'/);
  });
});
