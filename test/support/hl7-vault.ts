import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { ackOf, connectMllp } from '../bench/mllp-load';
import { goToArea, openFirstRun } from './shell-page';
import type { ShellProcess } from './shell-process';
import { createVaultThroughUi, IMPORT_TIMEOUT_MS } from './vault-ui';

/** Sends each HL7 message (segments joined by CR) over one MLLP connection; every one must be accepted (AA). */
export async function sendAccepted(port: number, messages: readonly string[]): Promise<void> {
  const sender = await connectMllp(port);
  try {
    for (const message of messages) expect(ackOf(await sender.send(Buffer.from(`${message}\r`, 'utf8'))).code).toBe('AA');
  } finally {
    await sender.close();
  }
}

/**
 * A new vault through the first-run screens, `messages` sent to the shell's MLLP port, and the
 * Patients area open once the views hold `patients` patient(s).
 */
export async function createVaultWithMessages(page: Page, shell: Pick<ShellProcess, 'newLink'>, port: number, messages: readonly string[], patients = 1): Promise<void> {
  await openFirstRun(page, shell);
  await createVaultThroughUi(page);
  await sendAccepted(port, messages);
  await goToArea(page, 'Patients');
  const count = patients === 1 ? '1 patient in the vault.' : `${patients} patients in the vault.`;
  await page.getByRole('status').filter({ hasText: count }).waitFor({ state: 'visible', timeout: IMPORT_TIMEOUT_MS });
}
