import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, httpGet, tryUpgrade, TOKEN_PREFIX, WS_SUBPROTOCOL } from '../support/shell-client';
import { readLogRecords } from '../support/shell-page';
import { startShell, type ShellProcess } from '../support/shell-process';

/** Who may talk to the shell: the token, the Origin and the Host decide, checked with a real WebSocket client. */
describe('access to the browser shell', () => {
  let shell: ShellProcess;
  let ownOrigin: string;

  beforeAll(async () => {
    shell = await startShell();
    ownOrigin = `http://127.0.0.1:${shell.port}`;
  });
  afterAll(async () => {
    await shell?.cleanup();
  });

  it('opens a WebSocket with the token and its own origin (the positive control)', async () => {
    const outcome = await tryUpgrade(shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${shell.token}`], origin: ownOrigin });
    expect(outcome.status).toBe(101);
    expect(outcome.socket?.protocol).toBe(WS_SUBPROTOCOL);
    outcome.socket?.terminate();
  });

  it('refuses a WebSocket without the token with 401', async () => {
    expect((await tryUpgrade(shell, { protocols: [WS_SUBPROTOCOL], origin: ownOrigin })).status).toBe(401);
    expect((await tryUpgrade(shell, { origin: ownOrigin })).status).toBe(401);
  });

  it('refuses a WebSocket with a wrong token with 401, whatever its length', async () => {
    const wrong = shell.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    for (const token of [wrong, '0'.repeat(64), shell.token.slice(0, 32), `${shell.token}00`]) {
      const outcome = await tryUpgrade(shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${token}`], origin: ownOrigin });
      expect(outcome.status, `token of length ${token.length}`).toBe(401);
    }
  });

  it('refuses a WebSocket from a foreign Origin with 403, even with the right token', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${shell.port + 1}`, 'null', `https://127.0.0.1:${shell.port}`]) {
      const outcome = await tryUpgrade(shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${shell.token}`], origin });
      expect(outcome.status, `Origin ${origin}`).toBe(403);
    }
  });

  it('refuses a WebSocket with a foreign Host header (DNS rebinding), even with the right token', async () => {
    const outcome = await tryUpgrade(shell, {
      protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${shell.token}`],
      host: `rebind.example:${shell.port}`,
    });
    expect([403, 421]).toContain(outcome.status);
  });

  it('answers a page request with a foreign Host header with 421, and serves its own names', async () => {
    expect((await httpGet(shell, '/', `rebind.example:${shell.port}`)).status).toBe(421);
    expect((await httpGet(shell, '/', `127.0.0.1.nip.io:${shell.port}`)).status).toBe(421);
    expect((await httpGet(shell, '/', `127.0.0.1:${shell.port + 1}`)).status).toBe(421);
    expect((await httpGet(shell, '/')).status).toBe(200);
    expect((await httpGet(shell, '/', `localhost:${shell.port}`)).status).toBe(200);
  });

  it('refuses upgrades on any path but /ws', async () => {
    const outcome = await tryUpgrade(shell, {
      path: '/other',
      protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${shell.token}`],
      origin: ownOrigin,
    });
    expect(outcome.status).toBe(404);
  });

  it('does not serve files from outside the renderer folder', async () => {
    for (const probe of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
      const answer = await httpGet(shell, probe);
      expect(answer.status, probe).not.toBe(200);
      expect(answer.body).not.toContain('"name"');
    }
  });

  it('keeps the token out of its log files, and logs the refusals', async () => {
    const client = await connectClient(shell);
    await client.close();
    const logFiles = await readdir(path.join(shell.dataDir, 'logs'));
    for (const name of logFiles) {
      expect(await readFile(path.join(shell.dataDir, 'logs', name), 'utf8'), name).not.toContain(shell.token);
    }
    const records = await readLogRecords(shell.dataDir);
    expect(records.some((record) => record.msg === 'shell websocket refused')).toBe(true);
  });
});
