import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/chromium';
import { connectClient } from '../support/shell-client';
import { newShellPage, openFirstRun, readLogRecords, UI_TIMEOUT_MS, type ShellPage } from '../support/shell-page';
import { startShell, type ShellProcess } from '../support/shell-process';

describe.each(['SIGINT', 'SIGTERM'] as const)('%s shuts the shell down cleanly', (signal) => {
  let browser: Browser;
  let shell: ShellProcess | undefined;
  let view: ShellPage | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await view?.context.close();
    await shell?.cleanup();
    view = undefined;
    shell = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`exits with code 0, and the log ends with the stopping record`, async () => {
    shell = await startShell();
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

  it('tells an open page, which shows "HDMS Node is shutting down…"', async () => {
    shell = await startShell();
    view = await newShellPage(browser);
    await openFirstRun(view.page, shell);
    const client = await connectClient(shell);
    const framesBefore = client.frames.length;

    const exit = await shell.stop(signal);
    expect(exit).toEqual({ code: 0, signal: null });
    // The body announces the stop to every connected client before it closes the sockets.
    expect(client.frames.slice(framesBefore)).toContainEqual({ type: 'event', name: 'app.stopping', payload: { reason: 'signal' } });
    const banner = view.page.getByRole('alert').filter({ hasText: 'HDMS Node is shutting down…' });
    await banner.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  });
});
