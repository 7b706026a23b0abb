import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';
import { startShell, type ShellProcess } from '../support/shell-process';

/**
 * The shell against a third-party client that knows nothing of our code: socat speaks raw
 * HTTP/1.1 over TCP to 127.0.0.1, byte for byte as written here.
 */
async function rawHttp(shell: ShellProcess, request: string): Promise<string> {
  // shut-none: keep our sending half open after the request, as browsers and curl do, until the
  // shell answers and closes (or -t seconds pass, for an upgraded connection that stays open).
  const run = await runTool('socat', ['-t', '2', '-T', '10', '-', `TCP:127.0.0.1:${shell.port},shut-none`], {
    input: request.replace(/\n/g, '\r\n'),
    timeoutSeconds: 20,
  });
  expect(run.timedOut, 'socat timed out').toBe(false);
  expect(run.code, `socat failed: ${run.stderr}`).toBe(0);
  return run.stdout;
}

function statusLine(response: string): string {
  return response.split('\r\n')[0] ?? '';
}

function header(response: string, name: string): string | undefined {
  const head = response.split('\r\n\r\n')[0] ?? '';
  const line = head.split('\r\n').find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

function upgradeRequest(shell: ShellProcess, protocols: string): string {
  return [
    'GET /ws HTTP/1.1',
    `Host: 127.0.0.1:${shell.port}`,
    `Origin: http://127.0.0.1:${shell.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(protocols === '' ? [] : [`Sec-WebSocket-Protocol: ${protocols}`]),
    '',
    '',
  ].join('\n');
}

describe('the browser shell, spoken to in raw HTTP by socat', () => {
  let shell: ShellProcess;

  beforeAll(async () => {
    if (!(await hasTool('socat'))) throw new Error(missingToolMessage('socat', 'socat'));
    shell = await startShell();
  });
  afterAll(async () => {
    await shell?.cleanup();
  });

  it('GET / answers 200 with the Content-Security-Policy header', async () => {
    const response = await rawHttp(shell, `GET / HTTP/1.1\nHost: 127.0.0.1:${shell.port}\nConnection: close\n\n`);
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK');
    expect(header(response, 'Content-Security-Policy')).toMatch(/^default-src 'none';/);
    expect(header(response, 'Content-Security-Policy')).toContain(`connect-src 'self' ws://127.0.0.1:${shell.port}`);
    expect(response).toContain('<div id="root">');
  });

  it('a WebSocket upgrade without the token gets 401', async () => {
    const response = await rawHttp(shell, upgradeRequest(shell, 'hdms.v1'));
    expect(statusLine(response)).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('a WebSocket upgrade with the token switches protocols (the positive control)', async () => {
    const response = await rawHttp(shell, upgradeRequest(shell, `hdms.v1, hdms.token.${shell.token}`));
    expect(statusLine(response)).toBe('HTTP/1.1 101 Switching Protocols');
    expect(header(response, 'Sec-WebSocket-Protocol')).toBe('hdms.v1');
  });

  it('a request for a foreign Host gets 421', async () => {
    const response = await rawHttp(shell, `GET / HTTP/1.1\nHost: attacker.example\nConnection: close\n\n`);
    expect(statusLine(response)).toMatch(/^HTTP\/1\.1 421 /);
  });

  it('a request that is not HTTP is dropped without harming the shell', async () => {
    await runTool('socat', ['-t', '2', '-T', '5', '-', `TCP:127.0.0.1:${shell.port}`], { input: '\u0000\u0001garbage\r\n\r\n', timeoutSeconds: 15 });
    const response = await rawHttp(shell, `HEAD / HTTP/1.1\nHost: 127.0.0.1:${shell.port}\nConnection: close\n\n`);
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK');
  });
});
