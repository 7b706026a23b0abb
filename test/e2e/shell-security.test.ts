import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useShell } from '../support/e2e-fixture';
import { connectClient, httpGet, tryUpgrade, TOKEN_PREFIX, WS_SUBPROTOCOL } from '../support/shell-client';
import { readLogRecords } from '../support/shell-page';

/** Who may talk to the shell: the token, the Origin and the Host decide, checked with a real WebSocket client. */
describe('access to the browser shell', () => {
  const e2e = useShell();
  let ownOrigin: string;

  // Registered after the fixture: runs once its shell is up.
  beforeAll(() => {
    ownOrigin = `http://127.0.0.1:${e2e.shell.port}`;
  });

  it('opens a WebSocket with the token and its own origin (the positive control)', async () => {
    const outcome = await tryUpgrade(e2e.shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${e2e.shell.token}`], origin: ownOrigin });
    expect(outcome.status).toBe(101);
    expect(outcome.socket?.protocol).toBe(WS_SUBPROTOCOL);
    outcome.socket?.terminate();
  });

  it('refuses a WebSocket without the token with 401', async () => {
    expect((await tryUpgrade(e2e.shell, { protocols: [WS_SUBPROTOCOL], origin: ownOrigin })).status).toBe(401);
    expect((await tryUpgrade(e2e.shell, { origin: ownOrigin })).status).toBe(401);
  });

  it('refuses a WebSocket with a wrong token with 401, whatever its length', async () => {
    const wrong = e2e.shell.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    for (const token of [wrong, '0'.repeat(64), e2e.shell.token.slice(0, 32), `${e2e.shell.token}00`]) {
      const outcome = await tryUpgrade(e2e.shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${token}`], origin: ownOrigin });
      expect(outcome.status, `token of length ${token.length}`).toBe(401);
    }
  });

  it('refuses a WebSocket from a foreign Origin with 403, even with the right token', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${e2e.shell.port + 1}`, 'null', `https://127.0.0.1:${e2e.shell.port}`]) {
      const outcome = await tryUpgrade(e2e.shell, { protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${e2e.shell.token}`], origin });
      expect(outcome.status, `Origin ${origin}`).toBe(403);
    }
  });

  it('refuses a WebSocket with a foreign Host header (DNS rebinding), even with the right token', async () => {
    const outcome = await tryUpgrade(e2e.shell, {
      protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${e2e.shell.token}`],
      host: `rebind.example:${e2e.shell.port}`,
    });
    expect([403, 421]).toContain(outcome.status);
  });

  it('answers a page request with a foreign Host header with 421, and serves its own names', async () => {
    expect((await httpGet(e2e.shell, '/', `rebind.example:${e2e.shell.port}`)).status).toBe(421);
    expect((await httpGet(e2e.shell, '/', `127.0.0.1.nip.io:${e2e.shell.port}`)).status).toBe(421);
    expect((await httpGet(e2e.shell, '/', `127.0.0.1:${e2e.shell.port + 1}`)).status).toBe(421);
    expect((await httpGet(e2e.shell, '/')).status).toBe(200);
    expect((await httpGet(e2e.shell, '/', `localhost:${e2e.shell.port}`)).status).toBe(200);
  });

  it('refuses upgrades on any path but /ws', async () => {
    const outcome = await tryUpgrade(e2e.shell, {
      path: '/other',
      protocols: [WS_SUBPROTOCOL, `${TOKEN_PREFIX}${e2e.shell.token}`],
      origin: ownOrigin,
    });
    expect(outcome.status).toBe(404);
  });

  it('does not serve files from outside the renderer folder', async () => {
    for (const probe of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
      const answer = await httpGet(e2e.shell, probe);
      expect(answer.status, probe).not.toBe(200);
      expect(answer.body).not.toContain('"name"');
    }
  });

  it('keeps the token out of its log files, and logs the refusals', async () => {
    const client = await connectClient(e2e.shell);
    await client.close();
    const logFiles = await readdir(path.join(e2e.shell.dataDir, 'logs'));
    for (const name of logFiles) {
      expect(await readFile(path.join(e2e.shell.dataDir, 'logs', name), 'utf8'), name).not.toContain(e2e.shell.token);
    }
    const records = await readLogRecords(e2e.shell.dataDir);
    expect(records.some((record) => record.msg === 'shell websocket refused')).toBe(true);
  });
});
