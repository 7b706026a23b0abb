import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchPersistent } from '../../support/chromium';
import { DEFAULT_DEMO_SEED, demoIdentities, familyToSearch } from '../../support/demo-identities';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { dumpIndexedDb } from '../../support/indexeddb-dump';
import { describeHits, identityNeedles, NeedleSet, scanTree, type Hit, type Needle } from '../../support/leak-scan';
import { REPO_ROOT } from '../../support/repo-paths';
import { goToArea, openFirstRun, UI_TIMEOUT_MS } from '../../support/shell-page';
import { makeTempDir, removeDir } from '../../support/shell-process';
import { StepLog } from '../../support/test-steps';
import { createVaultThroughUi, exportBackup, importDemoData, searchPatients, TEST_OPERATOR } from '../../support/vault-ui';

/**
 * Issue 3's leak test (design §2 "No PHI in plaintext at rest"): after importing known identities
 * and using them (search, patient pages, a record, a backup), no patient name, MRN or birth date
 * appears
 *   (a) in any file of the shell's data folder,
 *   (b) in any file of the Chromium profile (a persistent context with a user-data-dir this test owns),
 *   (c) in a dump of every IndexedDB record of the app's origin, read from inside the page.
 * See leak-scan.ts for the byte forms searched (UTF-8, Latin-1, UTF-16LE/BE, NFC/NFD; LevelDB
 * tables, logs and compressed IndexedDB values decoded) and for the limits that keep chance
 * matches in megabytes of ciphertext and base64 from failing the test: names shorter than 4
 * characters are not searched, 4-letter ASCII names only in their UTF-16 forms, names count only
 * as whole words, and birth dates not inside longer digit runs (timestamps). Every patient also
 * has an MRN needle (11 characters), searched everywhere without limits.
 *
 * The test can fail: control markers written through unencrypted paths of the same profile
 * (localStorage, and an IndexedDB database of the test's own: a small value, a key, and a value
 * large enough to be compressed into a blob file) must be found by the same scan, and the data
 * folder scan must find the operator's login name, which the keyring keeps in clear by design.
 */

const PATIENTS = 200;
const PATIENTS_TO_OPEN = 3;

/** Unique per run; diacritics and a non-Latin-1 letter, so every byte form is exercised. */
const RUN = Math.random().toString(36).slice(2, 10).toUpperCase();
const CONTROL = {
  localStorage: `LEAKCTL-LS-${RUN}-Ärger-Łódź`,
  idbValue: `LEAKCTL-IDBVALUE-${RUN}-Ärger`,
  idbKey: `LEAKCTL-IDBKEY-${RUN}-Łódź`,
  idbLargeValue: `LEAKCTL-IDBLARGE-${RUN}-Ärger`,
} as const;
const CONTROL_DB = 'hdms-leak-test-control';

/** Writes the control markers through storage paths that do not encrypt. */
async function writeControls(page: Page): Promise<void> {
  await page.evaluate(
    async ({ control, dbName }) => {
      localStorage.setItem('hdms-leak-test-control', control.localStorage);
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(dbName, 1);
        open.onupgradeneeded = () => open.result.createObjectStore('control');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      // Big and varied enough that Chromium compresses it and moves it into a blob file.
      let filler = '';
      for (let i = 0; i < 20_000; i++) filler += `row ${i} value ${(i * 7919) % 10_007}; `;
      const tx = db.transaction('control', 'readwrite');
      const store = tx.objectStore('control');
      store.put({ note: control.idbValue }, 'small');
      store.put(1, control.idbKey);
      store.put(`${filler}${control.idbLargeValue}${filler}`, 'large');
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { control: CONTROL, dbName: CONTROL_DB },
  );
}

function identityHits(hits: readonly Hit[]): Hit[] {
  return hits.filter((hit) => hit.needle.category !== 'control');
}

function foundControls(hits: readonly Hit[]): Set<string> {
  return new Set(hits.filter((hit) => hit.needle.category === 'control').map((hit) => hit.needle.text));
}

describe('no patient data in plaintext at rest', () => {
  // The fixture's browser is unused; the profile under test is a persistent context of its own.
  const e2e = useBrowserWithOwnShells();

  it(
    `leaves no name, MRN or birth date of ${PATIENTS} imported patients in the data folder, the Chromium profile or IndexedDB`,
    async () => {
      const steps = new StepLog('leak test');
      const shell = await e2e.startShell();
      const profileDir = await makeTempDir('hdms-profile-');
      let context: BrowserContext | undefined;
      try {
        context = await launchPersistent(profileDir, { viewport: { width: 1280, height: 800 } });
        context.setDefaultTimeout(UI_TIMEOUT_MS);
        const page = context.pages()[0] ?? (await context.newPage());

        const nows: Date[] = [new Date()];
        await steps.run('create the vault and import the demo population', async () => {
          await openFirstRun(page, shell);
          await createVaultThroughUi(page);
          if (!(await page.getByRole('heading', { level: 1, name: 'Patients', exact: true }).isVisible())) await goToArea(page, 'Patients');
          await importDemoData(page, PATIENTS);
        });
        nows.push(new Date());
        const identities = demoIdentities(PATIENTS, DEFAULT_DEMO_SEED, nows);

        await steps.run(`search and open ${PATIENTS_TO_OPEN} patients and one record`, async () => {
          const queries = [familyToSearch(identities).typed, identities[1]!.mrn, identities[2]!.family];
          for (const [index, query] of queries.entries()) {
            await goToArea(page, 'Patients');
            const found = await searchPatients(page, query);
            expect(found.count, `search "${query}"`).toBeGreaterThan(0);
            await page.getByRole('region', { name: 'Search results' }).getByRole('link').first().click();
            const records = page.getByRole('table', { name: 'Records' });
            await records.waitFor({ timeout: UI_TIMEOUT_MS });
            if (index === 0) {
              await records.getByRole('link').first().click();
              await page.waitForURL(/#\/patients\/[^/]+\/records\/.+/, { timeout: UI_TIMEOUT_MS });
            }
          }
        });

        await steps.run('export a backup (it is at rest in the data folder too)', async () => {
          await exportBackup(page);
        });

        const needleList: Needle[] = [
          ...identityNeedles(identities),
          ...Object.values(CONTROL).map((text): Needle => ({ category: 'control', text })),
        ];

        // The profile's code cache holds the app's own strings: a needle the renderer bundle itself
        // contains as a word is code, not patient data, and is left out (and listed).
        const bundle = await scanTree(path.join(REPO_ROOT, 'out', 'renderer'), new NeedleSet(needleList), { limit: 10_000 });
        const inBundle = new Set(identityHits(bundle.hits).map((hit) => hit.needle.text));
        if (inBundle.size > 0) console.log(`needles left out because the renderer bundle contains them: ${[...inBundle].join(', ')}`);
        const needles = new NeedleSet(needleList.filter((needle) => !inBundle.has(needle.text)));
        console.log(`searching ${needles.needles.length} needles for ${identities.length} patients`);

        await steps.run('(c) a dump of every IndexedDB record of the origin holds no identity', async () => {
          await writeControls(page);
          const dump = await dumpIndexedDb(page);
          const hits: Hit[] = [];
          needles.scan(dump.bytes, 'IndexedDB dump', hits, 200);
          const appStores = dump.stores.filter((store) => store.database !== CONTROL_DB);
          console.log(`IndexedDB dump: ${dump.bytes.length} bytes, ${appStores.map((s) => `${s.database}/${s.store}: ${s.records}`).join(', ')}`);
          expect(appStores.reduce((sum, store) => sum + store.records, 0), 'the app keeps its views in IndexedDB').toBeGreaterThan(PATIENTS);
          expect(foundControls(hits), 'the dump shows the control value it was given').toContain(CONTROL.idbValue);
          expect(identityHits(hits), describeHits(identityHits(hits))).toEqual([]);
        });

        await steps.run('close the browser and stop the shell', async () => {
          await context!.close();
          context = undefined;
          const exit = await shell.stop();
          expect(exit.code).toBe(0);
        });

        await steps.run('(a) no identity in any file of the data folder', async () => {
          const operator = new NeedleSet([...needles.needles, { category: 'control', text: TEST_OPERATOR }]);
          const report = await scanTree(shell.dataDir, operator, { limit: 200 });
          console.log(`data folder: ${report.files} files, ${report.bytes} bytes, ${report.decodedParts} decoded parts`);
          expect(foundControls(report.hits), 'the scan reads the vault files: it finds the operator name in the keyring').toContain(TEST_OPERATOR);
          expect(identityHits(report.hits), describeHits(identityHits(report.hits))).toEqual([]);
        });

        await steps.run('(b) no identity in any file of the Chromium profile', async () => {
          const report = await scanTree(profileDir, needles, { limit: 200 });
          console.log(`Chromium profile: ${report.files} files, ${report.bytes} bytes, ${report.decodedParts} decoded parts`);
          const controls = foundControls(report.hits);
          for (const [where, marker] of Object.entries(CONTROL)) expect(controls, `the control marker in ${where} is found in the profile`).toContain(marker);
          expect(identityHits(report.hits), describeHits(identityHits(report.hits))).toEqual([]);
        });
        console.log(steps.summary());
      } finally {
        await context?.close().catch(() => undefined);
        await removeDir(profileDir);
      }
    },
    180_000,
  );
});
