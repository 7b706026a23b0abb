import { describe, expect, it } from 'vitest';
import { findDebugSwitches, refuseDebugSwitches } from '../../../electron/security/debug-switches';

const EXE = '/opt/HDMS Node/hdms-node';

describe('findDebugSwitches', () => {
  it.each([
    ['--remote-debugging-port=9222', 'remote-debugging-port'],
    ['--remote-debugging-port', 'remote-debugging-port'],
    ['--remote-debugging-pipe', 'remote-debugging-pipe'],
    ['--remote-debugging-address=0.0.0.0', 'remote-debugging-address'],
    ['--remote-allow-origins=*', 'remote-allow-origins'],
    ['--inspect', 'inspect'],
    ['--inspect=0', 'inspect'],
    ['--inspect-brk=127.0.0.1:9229', 'inspect-brk'],
    ['--inspect-port=9229', 'inspect-port'],
    ['--inspect-wait', 'inspect-wait'],
    ['--inspect-brk-node', 'inspect-brk-node'],
    ['--debug', 'debug'],
    ['--debug-brk', 'debug-brk'],
    ['--debug-port=5858', 'debug-port'],
    ['--js-flags=--allow-natives-syntax', 'js-flags'],
    // Chromium also reads a single dash; Node treats _ as -; Windows switches ignore case.
    ['-remote-debugging-port=9222', 'remote-debugging-port'],
    ['--inspect_brk', 'inspect-brk'],
    ['--Remote-Debugging-Port=1', 'remote-debugging-port'],
  ])('finds %s', (arg, name) => {
    expect(findDebugSwitches([EXE, '--data-dir=/tmp/x', arg], 'linux')).toEqual([name]);
  });

  it('reads /switch as a switch on Windows only, as Chromium does', () => {
    expect(findDebugSwitches(['C:\\HDMS\\HDMS Node.exe', '/remote-debugging-port=9222'], 'win32')).toEqual(['remote-debugging-port']);
    expect(findDebugSwitches([EXE, '/remote-debugging-port=9222'], 'darwin')).toEqual([]);
  });

  it('leaves the app\'s own switches, values and the executable alone', () => {
    expect(findDebugSwitches(['/tmp/--inspect/hdms-node', '--data-dir=/data/--inspect', '--mllp-port', '2575', 'inspect', '--inspector-like', '--debugging'], 'linux')).toEqual([]);
  });
});

describe('refuseDebugSwitches', () => {
  const argv = [EXE, '--remote-debugging-port=9222', '--inspect=0'];

  it('refuses a packaged build started with them, naming the switches', () => {
    const refusal = refuseDebugSwitches({ argv, packaged: true, inspectorOpen: false, platform: 'linux' });
    expect(refusal).toMatch(/--remote-debugging-port/);
    expect(refusal).toMatch(/--inspect\b/);
  });

  it('lets a packaged build without them start', () => {
    expect(refuseDebugSwitches({ argv: [EXE, '--data-dir=/d'], packaged: true, inspectorOpen: false, platform: 'linux' })).toBeNull();
  });

  it('allows them in development (not packaged)', () => {
    expect(refuseDebugSwitches({ argv, packaged: false, inspectorOpen: false, platform: 'linux' })).toBeNull();
  });

  it('allows them when the Node inspector is already open: only a binary whose inspect fuse was turned back on (the release smoke test\'s copy) can do that', () => {
    expect(refuseDebugSwitches({ argv, packaged: true, inspectorOpen: true, platform: 'linux' })).toBeNull();
  });
});
