import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './repo-paths';
import { goToArea, UI_TIMEOUT_MS } from './shell-page';
import { KEY_TIMEOUT_MS } from './vault-ui';

/** `npm run server` without npm: the arguments after `node`. */
export const SERVER = ['--import', 'tsx', 'server/main.ts'];

/** Network servers started by e2e tests, stopped by `stopServers` (call it in afterEach). */
const servers: ChildProcess[] = [];

export async function stopServers(): Promise<void> {
  for (const child of servers.splice(0)) {
    if (child.exitCode !== null) continue;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

/** The data folder a started server was given (for its CLI: `members approve`). */
export function serverDataDir(index = 0): string {
  const child = servers[index]!;
  return child.spawnargs[child.spawnargs.indexOf('--data-dir') + 1]!;
}

/** Starts `npm run server` on an embedded database and answers its URL once it prints its ready line. */
export async function startServer(dataDir: string, options: { readonly autoApprove?: boolean; readonly devChain?: boolean } = {}): Promise<string> {
  const args = [
    ...SERVER,
    ...['--data-dir', dataDir, '--port', '0', '--log-level', 'warn', '--network-name', 'E2E Network'],
    ...(options.autoApprove === true ? ['--auto-approve'] : []),
    ...(options.devChain === true ? ['--dev-chain'] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  for await (const line of createInterface({ input: child.stdout! })) {
    const ready = /^HDMS server ready at (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    if (ready !== null) return ready[1]!;
  }
  throw new Error(`The server stopped before it was ready: ${errors.join('')}`);
}

/**
 * Settings › Network › "Join a network", as an administrator fills it in; waits for the status the
 * join leads to (pending approval, or member on an auto-approving network) and returns the node's
 * address shown after.
 */
export async function joinThroughUi(page: Page, url: string, legalName: string, role: 'Clinic' | 'Research institute', status: 'pending' | 'member' = 'pending', options: { readonly witness?: boolean } = {}): Promise<string> {
  await goToArea(page, 'Settings');
  const section = page.getByRole('region', { name: 'Network' });
  await section.getByLabel('Server URL', { exact: true }).fill(url);
  await section.getByRole('button', { name: 'Check the network' }).click();
  const join = section.getByRole('form', { name: 'Join a network' });
  await join.waitFor({ timeout: UI_TIMEOUT_MS });
  expect(await join.locator('.network-fingerprint').innerText()).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){7,}/);
  await join.getByRole('checkbox', { name: /I compared the fingerprint/ }).check();
  await join.getByLabel('Institution’s legal name', { exact: true }).fill(legalName);
  await join.getByLabel('Country', { exact: true }).fill('CH');
  if (role !== 'Clinic') {
    await join.getByRole('checkbox', { name: /^Clinic/ }).uncheck();
    await join.getByRole('checkbox', { name: new RegExp(`^${role}`) }).check();
  }
  if (options.witness === true) await join.getByRole('checkbox', { name: /^Witness/ }).check();
  await join.getByRole('button', { name: 'Send the join request' }).click();
  if (status === 'pending') await section.getByText('Waiting for the network operator’s approval').waitFor({ timeout: KEY_TIMEOUT_MS });
  else await section.getByText('Member', { exact: true }).waitFor({ timeout: KEY_TIMEOUT_MS });
  const node = await section.locator('dt:text-is("This node") + dd code').innerText();
  expect(node).toMatch(/^0x[0-9a-fA-F]{40}$/);
  return node;
}

/** "Check now" until the section says the node is a member. */
export async function waitForMembership(page: Page): Promise<void> {
  const section = page.getByRole('region', { name: 'Network' });
  await expect
    .poll(
      async () => {
        await section.getByRole('button', { name: 'Check now' }).click();
        return section.getByText('Member', { exact: true }).count();
      },
      { timeout: KEY_TIMEOUT_MS, interval: 1000 },
    )
    .toBeGreaterThan(0);
}
