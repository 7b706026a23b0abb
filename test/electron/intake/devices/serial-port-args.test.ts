import { describe, expect, it } from 'vitest';
import { isSerialPortPath, serialPortsFromArgv } from '../../../../electron/intake/devices/serial-port-args';

/** The desktop app's `--serial-port` (issue 13 item 2), taken as the shell takes it. */
describe('--serial-port on the desktop app\'s command line', () => {
  it('collects every port, in both spellings, in order', () => {
    expect(serialPortsFromArgv(['/opt/HDMS Node/hdms-node', '--serial-port', '/dev/ttyUSB0', '--mllp-port=2575', '--serial-port=COM3', '--serial-port', '/dev/pts/7'])).toEqual(['/dev/ttyUSB0', 'COM3', '/dev/pts/7']);
    expect(serialPortsFromArgv(['hdms-node'])).toEqual([]);
  });

  it('leaves out what is no device path: nothing after the flag, an empty value, another option, an overlong path', () => {
    expect(serialPortsFromArgv(['hdms-node', '--serial-port=', '--serial-port', '--dicom-port', '104', '--serial-port=' + 'x'.repeat(201), '--serial-port'])).toEqual([]);
    expect([isSerialPortPath('/dev/ttyACM0'), isSerialPortPath(' '), isSerialPortPath('--x'), isSerialPortPath('x'.repeat(200))]).toEqual([true, false, false, true]);
  });
});
