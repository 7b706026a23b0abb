import { describe, expect, it } from 'vitest';
import { useBrowserWithOwnShells } from '../support/e2e-fixture';
import { freePort } from '../support/free-port';
import { connectClient } from '../support/shell-client';
import { goToArea, openFirstRun, readLogRecords, UI_TIMEOUT_MS } from '../support/shell-page';
import { createVaultThroughUi } from '../support/vault-ui';

describe.each(['SIGINT', 'SIGTERM'] as const)('%s shuts the shell down cleanly', (signal) => {
  const e2e = useBrowserWithOwnShells();

  it(`exits with code 0, and the log ends with the stopping record`, async () => {
    const shell = await e2e.startShell();
    // A connected client must not keep the process alive.
    const client = await connectClient(shell);
    const exit = await shell.stop(signal);
    expect(exit, `stderr: ${shell.stderr()}`).toEqual({ code: 0, signal: null });
    expect(client.isOpen).toBe(false);

    const records = await readLogRecords(shell.dataDir);
    expect(records.find((record) => record.msg === 'shell shutting down')).toMatchObject({ signal });
    const last = records.at(-1);
    expect(last?.msg, `last log record: ${JSON.stringify(last)}`).toMatch(/^body stop(ping|ped)$/);
    expect(last).toMatchObject({ reason: 'signal' });
    expect(shell.stderr()).toBe('');
  });

  it('tells an open page, which shows "HDMS Node has stopped" and no "shutting down…" above it', async () => {
    const shell = await e2e.startShell();
    const view = await e2e.openPage();
    await openFirstRun(view.page, shell);
    const client = await connectClient(shell);
    const framesBefore = client.frames.length;

    const exit = await shell.stop(signal);
    expect(exit).toEqual({ code: 0, signal: null });
    // The body announces the stop to every connected client before it closes the sockets.
    expect(client.frames.slice(framesBefore)).toContainEqual({ type: 'event', name: 'app.stopping', payload: { reason: 'signal' } });
    await view.page.getByRole('heading', { level: 1, name: 'HDMS Node has stopped' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    // The banner went once the page said it (tester T2 S35 F8: both stayed, for good).
    await view.page.getByText('HDMS Node is shutting down…').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    expect(await view.page.getByText(/shutting down/).count()).toBe(0);
  });
});

describe('a killed shell (SIGKILL: nothing is announced)', () => {
  const e2e = useBrowserWithOwnShells();

  it('the open page notices the lost connection and stops claiming "Vault unlocked" and "Listening"', async () => {
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(await freePort())] });
    const { page } = await e2e.openPage({ viewport: { width: 1280, height: 900 } });
    await openFirstRun(page, shell);
    await createVaultThroughUi(page);
    await goToArea(page, 'Intake');
    await page.getByText(/^Listening on /).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await page.getByRole('banner').getByText('Vault unlocked').count()).toBe(1);

    expect(await shell.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await page.getByRole('heading', { level: 1, name: 'HDMS Node cannot be reached' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await page.getByText('Vault unlocked').count()).toBe(0);
    expect(await page.getByText(/Listening/).count()).toBe(0);
  });
});

describe('a hung shell (SIGSTOP: it neither stops nor drops the connection)', () => {
  const e2e = useBrowserWithOwnShells();

  it('the open page says the node is not responding, claims neither "Vault unlocked" nor "Listening", and comes back as it was when the node answers', async () => {
    const shell = await e2e.startShell({ extraArgs: ['--mllp-port', String(await freePort())] });
    const { page } = await e2e.openPage({ viewport: { width: 1280, height: 900 } });
    await openFirstRun(page, shell);
    await createVaultThroughUi(page);
    await goToArea(page, 'Intake');
    await page.getByText(/^Listening on /).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });

    process.kill(shell.pid, 'SIGSTOP');
    try {
      // The window asks every 5 s and allows 10 s for an answer.
      await page.getByRole('banner').getByText('Node not responding').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.getByRole('alert').filter({ hasText: 'HDMS Node is not responding' }).count()).toBe(1);
      expect(await page.getByText('Vault unlocked').count()).toBe(0);
      expect(await page.getByText(/^Listening on /).first().isVisible()).toBe(false);
    } finally {
      process.kill(shell.pid, 'SIGCONT');
    }
    await page.getByRole('banner').getByText('Vault unlocked').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await page.getByText(/^Listening on /).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await page.getByRole('alert').filter({ hasText: 'not responding' }).count()).toBe(0);
  });
});
