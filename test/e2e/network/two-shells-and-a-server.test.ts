import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo-paths';
import { joinThroughUi, SERVER, serverDataDir, startServer, stopServers, waitForMembership } from '../../support/network-ui';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, KEY_TIMEOUT_MS, unlockVault } from '../../support/vault-ui';

/**
 * Issue 10's e2e: two shells and a server, everything through the UI a user has. Each node's admin
 * joins from Settings › Network; the operator approves them with `npm run server -- members
 * approve`; the clinic's ledger is notarized and its entries say so; the clinic's node is then
 * STOPPED (its process gone, not just locked), the research institute sends it a note, and the
 * clinic, started again on the same data folder, reads the note the relay kept for it.
 */

const run = promisify(execFile);

afterEach(stopServers);

describe('two shells and a server', () => {
  const e2e = useBrowserWithOwnShells();

  it('join from the UI, operator approval, a notarized ledger, and a note delivered to a node that was offline when it was sent', { timeout: 300_000 }, async () => {
    const steps = new StepLog('two shells and a server');
    const url = await steps.run('npm run server on an embedded database, without auto-approval', async () => startServer(await e2e.tempDir('hdms-e2e-server-')));
    const clinicDir = await e2e.tempDir('hdms-e2e-clinic-');
    let clinicShell = await e2e.startShell({ dataDir: clinicDir });
    const researchShell = await e2e.startShell();
    let { page: clinic } = await e2e.openPage();
    const { page: research } = await e2e.openPage();

    const addresses = await steps.run('each node: a vault, then Settings › Network › Join a network', async () => {
      await clinic.goto(clinicShell.readyUrl);
      await createVaultThroughUi(clinic, { name: 'Clinic Admin' });
      await research.goto(researchShell.readyUrl);
      await createVaultThroughUi(research, { name: 'Research Admin' });
      return {
        clinic: await joinThroughUi(clinic, url, 'Lakeside Test Clinic', 'Clinic'),
        research: await joinThroughUi(research, url, 'Northfield Test Institute', 'Research institute'),
      };
    });

    await steps.run('the operator lists the requests and approves both', async () => {
      const serverDir = serverDataDir();
      const listed = await run(process.execPath, [...SERVER, '--data-dir', serverDir, 'members', 'list'], { cwd: REPO_ROOT });
      expect(listed.stdout).toContain(addresses.clinic);
      expect(listed.stdout).toContain(addresses.research);
      for (const address of [addresses.clinic, addresses.research]) await run(process.execPath, [...SERVER, '--data-dir', serverDir, 'members', 'approve', address], { cwd: REPO_ROOT });
      await waitForMembership(clinic);
      await waitForMembership(research);
    });

    await steps.run('the clinic’s ledger is notarized: Settings says so, the timeline shows each entry’s leaf', async () => {
      const section = clinic.getByRole('region', { name: 'Network' });
      await expect
        .poll(
          async () => {
            await section.getByRole('button', { name: 'Check now' }).click();
            return section.innerText();
          },
          { timeout: KEY_TIMEOUT_MS, interval: 1000 },
        )
        .toMatch(/[1-9]\d* entr(y|ies) notarized, 0 waiting/);
      await goToArea(clinic, 'Ledger');
      await expect.poll(() => clinic.getByText(/· Notarized \(leaf \d+\)/).count(), { timeout: KEY_TIMEOUT_MS }).toBeGreaterThan(0);
    });

    await steps.run('the clinic’s node stops; the research institute sends it a note', async () => {
      await clinicShell.stop('SIGTERM');
      await goToArea(research, 'Settings');
      const form = research.getByRole('form', { name: 'Send a note' });
      await form.waitFor({ timeout: KEY_TIMEOUT_MS });
      await form.getByRole('combobox', { name: 'To' }).selectOption({ label: 'Lakeside Test Clinic (CH)' });
      await form.getByLabel('Subject', { exact: true }).fill('Cohort for the retinal study');
      await form.getByLabel('Note', { exact: true }).fill('Sent while your node was off.');
      await form.getByRole('button', { name: 'Send the note' }).click();
      await research.getByRole('status').filter({ hasText: /^Sent\./ }).waitFor({ timeout: KEY_TIMEOUT_MS });
    });

    await steps.run('the clinic’s node starts again on its data folder; after unlock the note is there', async () => {
      clinicShell = await e2e.startShell({ dataDir: clinicDir });
      ({ page: clinic } = await e2e.openPage());
      await clinic.goto(clinicShell.readyUrl);
      await unlockVault(clinic);
      await goToArea(clinic, 'Settings');
      const note = clinic.getByRole('region', { name: 'Network' }).getByRole('listitem').filter({ hasText: 'Cohort for the retinal study' });
      await note.waitFor({ timeout: KEY_TIMEOUT_MS });
      expect(await note.innerText()).toMatch(/From Northfield Test Institute[\s\S]*Sent while your node was off\./);
    });
  });
});
