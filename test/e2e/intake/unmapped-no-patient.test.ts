import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ackOf } from '../../bench/mllp-load';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { createVaultOn, sendOverMllp, shellWithListener } from '../../support/intake-e2e';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { IMPORT_TIMEOUT_MS } from '../../support/vault-ui';

/**
 * QA s33 D5 as the interface analyst met it, in Chromium: an MFN^M02 and an inbound ACK (types
 * that never carry a patient) were answered AA and held in the quarantine as "no patient". Now the
 * MFN is answered AA, the ACK not at all, both are listed "Stored, type not mapped" in the message
 * browser, and nothing is in the quarantine.
 */

const MFN = ['MSH|^~\\&|QA33HR|HOSP|HDMS|NODE|20261207020000||MFN^M02^MFN_M02|QA33-MFN-1|P|2.3.1', 'MFI|PRA^Practitioner master file^HL70175||UPD|||AL', 'MFE|MAD|U1||D77^Quill^Ottoline', 'STF|D77|D77^^^HOSP|Quill^Ottoline'].join('\r');
const INBOUND_ACK = ['MSH|^~\\&|QA33HR|HOSP|HDMS|NODE|20261207020100||ACK^M02^ACK|QA33-ACK-1|P|2.3.1', 'MSA|AA|THEIRS-1'].join('\r');
const ADT = ['MSH|^~\\&|QA33HR|HOSP|HDMS|NODE|20261207020200||ADT^A04|QA33-ADT-1|P|2.3.1', 'EVN|A04|20261207020200', 'PID|1||D5-1001^^^HOSP^MR||Quill^Ottoline||19700101|F'].join('\r');

describe('MFN and inbound ACK: stored, type not mapped', () => {
  const e2e = useBrowserWithOwnShells();

  it(
    'lists them as "Stored, type not mapped", answers the ACK with nothing, and leaves the quarantine empty',
    async () => {
      const steps = new StepLog('unmapped-no-patient');
      const { port, shell, page, consoleErrors } = await shellWithListener(e2e, 'mllp', { viewport: { width: 1280, height: 800 } });

      await steps.run('create a vault; the MFN is answered AA; the ACK gets no answer (the next message\'s answer comes first)', async () => {
        await createVaultOn(page, shell);
        expect(await sendOverMllp(port, Buffer.from(MFN))).toEqual({ code: 'AA', controlId: 'QA33-MFN-1' });
        const socket = net.createConnection({ port, host: '127.0.0.1' });
        const frame = (text: string) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(text), Buffer.from([0x1c, 0x0d])]);
        const first = new Promise<Buffer>((resolve) => {
          let buffered = Buffer.alloc(0);
          socket.on('data', (chunk: Buffer) => {
            buffered = Buffer.concat([buffered, chunk]);
            const end = buffered.indexOf(0x1c);
            if (end >= 0) resolve(buffered.subarray(buffered.indexOf(0x0b) + 1, end));
          });
        });
        await new Promise<void>((resolve) => socket.once('connect', resolve));
        socket.write(Buffer.concat([frame(INBOUND_ACK), frame(ADT)]));
        expect(ackOf(await first).controlId).toBe('QA33-ADT-1');
        socket.destroy();
      });

      await steps.run('nothing is in the quarantine; the browser lists both as "Stored, type not mapped"', async () => {
        await goToArea(page, 'Intake');
        await page.getByText('Nothing is in quarantine.').waitFor({ timeout: IMPORT_TIMEOUT_MS });
        await page.getByRole('link', { name: 'Browse every message received' }).click();
        const messages = page.getByRole('table', { name: 'Messages' });
        await expect.poll(() => messages.locator('tbody tr').filter({ hasText: 'Stored, type not mapped' }).count(), { timeout: IMPORT_TIMEOUT_MS }).toBe(2);
        await messages.locator('tbody tr').filter({ hasText: 'QA33-ACK-1' }).getByRole('link').first().click();
        await page.getByText(/No acknowledgment was sent: HL7 does not acknowledge an acknowledgment/).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByText(/Nothing to file: ACK messages name no patient/).waitFor({ timeout: UI_TIMEOUT_MS });
      });

      expect(consoleErrors).toEqual([]);
      console.log(steps.summary());
    },
    240_000,
  );
});
