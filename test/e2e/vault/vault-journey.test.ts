import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect, it, describe } from 'vitest';
import { vaultLayout } from '../../../electron/storage/vault-layout';
import { foldText } from '../../../shared/crypto/blind-index';
import { PBKDF2_MIN_ITERATIONS } from '../../../shared/crypto/key-slots';
import { KeyringSchema } from '../../../shared/ipc/vault-contract';
import { DEFAULT_DEMO_SEED, demoIdentities, familyToSearch } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { areaNav, goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import {
  createVaultThroughUi,
  exportBackup,
  importDemoData,
  KEY_TIMEOUT_MS,
  lockVault,
  restoreWithRecoveryKey,
  searchPatients,
  submitUnlock,
  TEST_OPERATOR,
  TEST_PASSPHRASE,
  unlockButton,
  unlockHeading,
  unlockVault,
  WRONG_PASSPHRASE,
  type SearchOutcome,
} from '../../support/vault-ui';

/**
 * Issue 3, end to end in Chromium through the browser shell: setup → demo data → search → patient
 * page → lock → wrong and right unlock → backup → restore into a fresh data dir → same search
 * results. One journey, because every step needs the state the previous one left.
 */

const PATIENTS = 200;

/** The demo import runs with the generator's default seed (the UI sends none), so the test knows who is in the vault. */
const identities = demoIdentities(PATIENTS, DEFAULT_DEMO_SEED);
const query = familyToSearch(identities);

function mrnsOf(outcome: SearchOutcome): string[] {
  return outcome.rows.map((row) => /MRN\d+/.exec(row)?.[0] ?? `(no MRN in "${row}")`).sort();
}

describe('the vault from first run to a restored copy', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    `creates a vault, imports ${PATIENTS} demo patients, finds "${query.family}" typed as "${query.typed}", locks and unlocks, backs up, and restores the same results into a fresh data dir`,
    async () => {
      const steps = new StepLog('vault journey');
      const dataDir = await e2e.tempDir('hdms-journey-');
      const shell = await e2e.startShell({ dataDir });
      const { page, consoleErrors } = await e2e.openPage();

      const recoveryKey = await steps.run('first run → create vault → recovery key → Continue', async () => {
        await openFirstRun(page, shell);
        const key = await createVaultThroughUi(page);
        expect(key).toMatch(/^(?:[0-9A-Z]{4}-){13}[0-9A-Z]{4}$/);
        return key;
      });

      await steps.run('the keyring on disk: PBKDF2 ≥ 600k, a recovery slot, neither secret in clear', async () => {
        const text = await readFile(vaultLayout(dataDir).keysFile, 'utf8');
        const keyring = KeyringSchema.parse(JSON.parse(text));
        const passphraseSlots = keyring.slots.filter((slot) => slot.kind === 'passphrase');
        expect(passphraseSlots.length).toBe(1);
        for (const slot of passphraseSlots) expect(slot.kdf.iterations).toBeGreaterThanOrEqual(PBKDF2_MIN_ITERATIONS);
        expect(keyring.slots.filter((slot) => slot.kind === 'recovery').length).toBe(1);
        expect(keyring.operators).toMatchObject([{ name: TEST_OPERATOR, role: 'admin', disabled: false }]);
        expect(text).not.toContain(TEST_PASSPHRASE);
        expect(text.replace(/-/g, '')).not.toContain(recoveryKey.replace(/-/g, ''));
      });

      await steps.run(`import ${PATIENTS} demo patients from the empty Patients area`, async () => {
        if (!(await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(page, 'Patients');
        const imported = await importDemoData(page, PATIENTS);
        expect(imported.patients).toBe(PATIENTS);
        if (imported.messages !== undefined) expect(imported.messages).toBeGreaterThan(PATIENTS);
      });

      const found = await steps.run(`search "${query.typed}" (stored as "${query.family}")`, async () => {
        const outcome = await searchPatients(page, query.typed);
        expect(outcome.count, `patients named ${query.family} in the seed-${DEFAULT_DEMO_SEED} population: ${query.mrns.join(', ')}`).toBe(query.mrns.length);
        expect(outcome.names.length).toBe(outcome.count); // a handful: every row is on screen
        for (const name of outcome.names) {
          expect(name, 'the result shows the name with its diacritics').toContain(query.family);
          expect(foldText(name)).toContain(foldText(query.typed));
        }
        expect(mrnsOf(outcome)).toEqual([...query.mrns].sort());
        return outcome;
      });

      await steps.run('open the first patient: their page with records in time order', async () => {
        const href = found.hrefs[0]!;
        expect(href).toMatch(/^#\/patients\/[^/]+$/);
        await page.getByRole('region', { name: 'Search results' }).getByRole('link').first().click();
        await page.waitForURL((url) => url.hash === href, { timeout: UI_TIMEOUT_MS });
        await page.getByRole('heading', { level: 2, name: found.names[0]!, exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        const records = page.getByRole('table', { name: 'Records' });
        await records.waitFor({ timeout: UI_TIMEOUT_MS });
        const rowCount = await records.locator('tbody tr').filter({ has: page.getByRole('link') }).count();
        expect(rowCount, 'at least the admission visit and one result').toBeGreaterThanOrEqual(2);
        await expect.poll(() => page.getByText(/\d+ records?, newest first\./).count()).toBe(1);
        const times = await records.locator('time').evaluateAll((elements) => elements.map((element) => element.getAttribute('datetime') ?? ''));
        expect(times.length).toBe(rowCount);
        expect([...times].sort().reverse(), 'records newest first').toEqual(times);
      });

      await steps.run('Lock → the unlock screen, no patient data on it', async () => {
        await lockVault(page);
        expect(await page.getByText(query.family).count()).toBe(0);
        expect(page.url()).not.toMatch(/#\/patients\/./);
      });

      await steps.run('wrong passphrase → alert, Unlock disabled during the countdown', async () => {
        await submitUnlock(page, WRONG_PASSPHRASE, TEST_OPERATOR);
        const alert = page.getByRole('alert').filter({ hasText: `That passphrase did not open the vault for ${TEST_OPERATOR}. Check the operator selected.` });
        await alert.waitFor({ state: 'visible', timeout: KEY_TIMEOUT_MS });
        // The first failure waits 1 s: read the button state at once, in the page.
        const state = await page.evaluate(() => {
          const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Unlock');
          return { disabled: button?.disabled ?? null, text: document.body.innerText };
        });
        expect(state.disabled, 'Unlock is disabled while the countdown runs').toBe(true);
        expect(state.text).toMatch(/try again in \d+ s/i);
        await unlockHeading(page).waitFor({ state: 'visible' });
        expect(await areaNav(page).count()).toBe(0);
      });

      await steps.run('right passphrase after the countdown → the app', async () => {
        await page.getByLabel('Passphrase', { exact: true }).fill(TEST_PASSPHRASE);
        await expect.poll(() => unlockButton(page).isEnabled(), { timeout: 15_000 }).toBe(true);
        await unlockVault(page, TEST_PASSPHRASE, TEST_OPERATOR);
      });

      await steps.run('the same search after unlocking', async () => {
        await goToArea(page, 'Patients');
        const again = await searchPatients(page, query.typed);
        expect(again.count).toBe(found.count);
        expect(again.rows).toEqual(found.rows);
      });

      const backupPath = await steps.run('Settings → Export backup shows the path written', async () => {
        const written = await exportBackup(page);
        expect(existsSync(written), `backup file ${written}`).toBe(true);
        expect(statSync(written).size).toBeGreaterThan(1000);
        return written;
      });

      await steps.run('stop the shell', async () => {
        const exit = await shell.stop();
        expect(exit.code).toBe(0);
      });

      const restored = await steps.run('a new shell on a fresh data dir → Restore from a backup with the recovery key', async () => {
        const fresh = await e2e.startShell();
        expect(fresh.dataDir).not.toBe(dataDir);
        const view = await e2e.openPage();
        await openFirstRun(view.page, fresh);
        await restoreWithRecoveryKey(view.page, backupPath, recoveryKey);
        return view.page;
      });

      await steps.run('the same search results in the restored vault', async () => {
        await goToArea(restored, 'Patients');
        // The views may still be replaying the restored journal: search until the results settle.
        let last: SearchOutcome | undefined;
        await expect
          .poll(
            async () => {
              last = await searchPatients(restored, query.typed);
              return last.count;
            },
            { timeout: 60_000, interval: 1000 },
          )
          .toBe(found.count);
        expect(last!.names).toEqual(found.names);
        expect(last!.rows).toEqual(found.rows);
      });

      await steps.run('the restored vault is the same vault: its operator unlocks it with the original passphrase', async () => {
        await lockVault(restored);
        await unlockVault(restored, TEST_PASSPHRASE, TEST_OPERATOR);
      });

      expect(consoleErrors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
