import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo-paths';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { KEY_TIMEOUT_MS, lockVault, unlockVault } from '../../support/vault-ui';

/**
 * `npm run demo` (issue 10 item 12) and the network in the UI, in Chromium: the demo starts a server
 * (with its dev chain and three key keepers, issue 15 item 9) and its nodes, joined and approved;
 * the first clinic's node shows its membership, the members and its ledger notarized by the network's notary (issue 10 items 2, 3, 7, 11); a note from the research
 * institute reaches the clinic while it is locked and is read after its unlock (item 9).
 */

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    child.kill('SIGINT');
    await once(child, 'exit');
  }
});

interface DemoLines {
  server: string;
  passphrase: string;
  nodes: Map<string, { url: string; address: string }>;
}

/** Starts the demo (the app is built by the e2e run already) and reads its lines until it is running. */
async function startDemo(): Promise<DemoLines> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo/demo-network.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: DemoLines = { server: '', passphrase: '', nodes: new Map() };
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  for await (const line of createInterface({ input: child.stdout! })) {
    const server = /^HDMS server ready at (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    const passphrase = /^Demo passphrase: (.+)$/.exec(line);
    const node = /^(clinic|research): .*, node (0x[0-9a-fA-F]{40}), (http:\/\/127\.0\.0\.1:\d+\/#code=[0-9a-f]{64}) \(data folder .+\)$/.exec(line);
    if (server !== null) lines.server = server[1]!;
    if (passphrase !== null) lines.passphrase = passphrase[1]!;
    // The first node of each role: the clinic is Lakeside (the demo starts a second clinic after it).
    if (node !== null && !lines.nodes.has(node[1]!)) lines.nodes.set(node[1]!, { address: node[2]!, url: node[3]! });
    if (line.startsWith('The demo network is running')) return lines;
  }
  throw new Error(`The demo stopped before it was running: ${errors.join('')}`);
}

describe('the demo network', () => {
  const e2e = useBrowserWithOwnShells();

  it('starts a server and its joined nodes; the first clinic shows its membership and a notarized ledger', { timeout: 240_000 }, async () => {
    const steps = new StepLog('demo network');
    const demo = await steps.run('npm run demo: the ready line, the passphrase, one line per node', async () => {
      const lines = await startDemo();
      expect(lines.server).not.toBe('');
      expect(lines.passphrase).not.toBe('');
      expect([...lines.nodes.keys()].sort()).toEqual(['clinic', 'research']);
      return lines;
    });
    const { page, consoleErrors } = await e2e.openPage();
    const clinic = demo.nodes.get('clinic')!;

    await steps.run('open the clinic node and unlock with the demo passphrase', async () => {
      await page.goto(clinic.url);
      await unlockVault(page, demo.passphrase);
    });

    await steps.run('Settings › Network: member of the demo network, both institutions listed, the ledger notarized', async () => {
      await goToArea(page, 'Settings');
      const section = page.getByRole('region', { name: 'Network' });
      await section.getByText('HDMS Demo Network').first().waitFor({ timeout: KEY_TIMEOUT_MS });
      await section.getByText('Member', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      const members = section.getByRole('table', { name: /Members/ });
      await expect.poll(() => members.innerText(), { timeout: KEY_TIMEOUT_MS }).toMatch(/Lakeside Demo Clinic \(this node\)[\s\S]*Northfield Demo Research Institute|Northfield Demo Research Institute[\s\S]*Lakeside Demo Clinic \(this node\)/);
      await expect.poll(() => section.innerText(), { timeout: KEY_TIMEOUT_MS }).toMatch(/[1-9]\d* entr(y|ies) notarized, 0 waiting/);
    });

    await steps.run('Ledger: entries marked notarized', async () => {
      await goToArea(page, 'Ledger');
      await expect.poll(() => page.getByText(/· Notarized \(leaf \d+\)/).count(), { timeout: KEY_TIMEOUT_MS }).toBeGreaterThan(0);
    });

    await steps.run('the clinic locks; the research institute sends it a note from Settings › Network › Messages', async () => {
      await lockVault(page);
      const { page: researchPage } = await e2e.openPage();
      await researchPage.goto(demo.nodes.get('research')!.url);
      await unlockVault(researchPage, demo.passphrase);
      await goToArea(researchPage, 'Settings');
      const form = researchPage.getByRole('form', { name: 'Send a note' });
      await form.waitFor({ timeout: KEY_TIMEOUT_MS });
      await form.getByRole('combobox', { name: 'To' }).selectOption({ label: 'Lakeside Demo Clinic (CH)' });
      await form.getByLabel('Subject', { exact: true }).fill('Retinal images study');
      await form.getByLabel('Note', { exact: true }).fill('Could we talk about the cohort next week?');
      await form.getByRole('button', { name: 'Send the note' }).click();
      await researchPage.getByRole('status').filter({ hasText: /^Sent\./ }).waitFor({ timeout: KEY_TIMEOUT_MS });
      await researchPage.getByText('To Lakeside Demo Clinic').waitFor({ timeout: UI_TIMEOUT_MS });
    });

    await steps.run('the clinic, unlocked again, reads the note its locked node received', async () => {
      await unlockVault(page, demo.passphrase);
      await goToArea(page, 'Settings');
      const section = page.getByRole('region', { name: 'Network' });
      const note = section.getByRole('listitem').filter({ hasText: 'Retinal images study' });
      await note.waitFor({ timeout: KEY_TIMEOUT_MS });
      expect(await note.innerText()).toMatch(/From Northfield Demo Research Institute[\s\S]*Could we talk about the cohort next week\?/);
    });

    expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
  });
});
