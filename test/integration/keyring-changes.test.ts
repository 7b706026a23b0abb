import { describe, expect, it } from 'vitest';
import { startBody } from '../../electron/body';
import type { Keyring } from '../../shared/ipc/vault-contract';
import { codeOf, windowOf } from '../support/integration-node';
import { useTempDirs } from '../support/temp-dir';

/**
 * QA: a researcher stored the keyring with one character of its integrity tag changed (revision
 * + 1), and afterwards every unlock failed the tag check, the administrator's and the recovery
 * key's included. With the real mind and the real body: that keyring is refused from a researcher
 * and from a clinician, while what the mind does for them still works (a clinician's own
 * passphrase change, an administrator's reset of a researcher's passphrase), and everyone still
 * unlocks afterwards.
 */

const tempDir = useTempDirs();

const ADA = 'violet tractor amber seventeen';
const CLEO = 'orchid lantern pebble forty';
const CLEO_NEXT = 'saffron kettle glacier ninety';
const RITA = 'quiet harbor lantern ninety';
const RITA_NEXT = 'marble comet willow thirteen';

describe('keyring changes by non-administrators, with the real mind (QA: a researcher locked everyone out)', () => {
  it('refuses a researcher\'s and a clinician\'s re-tagged keyring; a clinician changes their passphrase, an admin resets a researcher\'s; everyone unlocks after', { timeout: 120_000 }, async () => {
    const body = await startBody({ dataDir: await tempDir(), host: 'shell', productName: 'HDMS Node', appVersion: '0.0.0-test', logLevel: 'silent', mllpPort: 0 });
    const { api, vault } = windowOf(body);
    try {
      await vault.ready();
      await vault.create({ operatorName: 'Ada Admin', passphrase: ADA });
      const adminId = vault.currentOperator()!.operatorId;
      const cleo = await vault.addOperator({ name: 'Cleo Clinician', role: 'clinician', passphrase: CLEO });
      const rita = await vault.addOperator({ name: 'Rita Researcher', role: 'researcher', passphrase: RITA });
      vault.lock();

      const retagged = async (): Promise<string | undefined> => {
        const { keyring } = await api.vault.keyring({});
        const tag = keyring!.integrity;
        const next: Keyring = { ...keyring!, revision: keyring!.revision + 1, integrity: tag.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
        return codeOf(api.vault.updateKeyring({ keyring: next, expectedRevision: keyring!.revision }));
      };

      await vault.unlock({ operatorId: rita.operatorId, passphrase: RITA });
      expect(await retagged()).toBe('E_FORBIDDEN');
      vault.lock();

      await vault.unlock({ operatorId: cleo.operatorId, passphrase: CLEO });
      expect(await retagged()).toBe('E_FORBIDDEN');
      await vault.changePassphrase({ current: CLEO, next: CLEO_NEXT });
      vault.lock();
      await vault.unlock({ operatorId: cleo.operatorId, passphrase: CLEO_NEXT });
      expect(vault.currentOperator()).toMatchObject({ name: 'Cleo Clinician', role: 'clinician' });
      vault.lock();

      await vault.unlock({ operatorId: adminId, passphrase: ADA });
      expect(vault.currentOperator()).toMatchObject({ role: 'admin' });
      await vault.resetOperatorPassphrase(rita.operatorId, RITA_NEXT);
      vault.lock();
      await vault.unlock({ operatorId: rita.operatorId, passphrase: RITA_NEXT });
      expect(vault.currentOperator()).toMatchObject({ name: 'Rita Researcher', role: 'researcher' });
      vault.lock();
      await vault.unlock({ operatorId: adminId, passphrase: ADA });
      expect(vault.phase()).toBe('unlocked');
    } finally {
      vault.lock();
      await body.stop('quit');
    }
  });
});
