import type { BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ackOf, connectMllp } from '../bench/mllp-load';
import type { BrowserWithOwnShellsFixture } from './e2e-fixture';
import { freePort } from './free-port';
import { goToArea, openFirstRun, type ShellPage } from './shell-page';
import type { ShellProcess } from './shell-process';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from './vault-ui';

/**
 * The set-up the intake scenarios in Chromium share: a browser shell whose HL7 (MLLP) or DICOM
 * listener is on a free port, a page, a vault created through the UI, a message sent, and the
 * quarantine awaited. Each test then reads as its scenario.
 */

/** A shell started with its `listener` on a free port (`port`), and a page opened with `pageOptions` (not yet on the shell). */
export async function shellWithListener(
  e2e: BrowserWithOwnShellsFixture,
  listener: 'mllp' | 'dicom',
  pageOptions: Readonly<BrowserContextOptions>,
): Promise<ShellPage & { readonly port: number; readonly shell: ShellProcess }> {
  const port = await freePort();
  const shell = await e2e.startShell({ extraArgs: [`--${listener}-port`, String(port)] });
  return { ...(await e2e.openPage(pageOptions)), port, shell };
}

/** Opens the shell's first run in `page` and creates a vault through the UI. */
export async function createVaultOn(page: Page, shell: Pick<ShellProcess, 'newLink'>): Promise<void> {
  await openFirstRun(page, shell);
  await createVaultThroughUi(page);
}

/** Sends `message` on a new MLLP connection to the shell's listener, closes it, and answers the ACK's code and control id. */
export async function sendOverMllp(port: number, message: Buffer): Promise<{ code: string; controlId: string }> {
  const sender = await connectMllp(port);
  try {
    return ackOf(await sender.send(message));
  } finally {
    await sender.close();
  }
}

/** The Intake area's quarantine table. */
export function quarantineTable(page: Page) {
  return page.getByRole('table', { name: 'Quarantine' });
}

/** Goes to Intake and waits until the quarantine lists `count` entries (each a row group: its cells, then its reason). */
export async function awaitQuarantine(page: Page, count: number): Promise<void> {
  await goToArea(page, 'Intake');
  await expect.poll(() => quarantineTable(page).locator('tbody').count(), { timeout: IMPORT_TIMEOUT_MS }).toBe(count);
}
