import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring } from '../../../shared/ipc/vault-contract';
import { asVaultError } from '../vault-errors';
import { VaultError } from '../vault-service';
import { fromBase64Url, randomBytes, toBase64Url } from '../vault-crypto';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { AutoUnlockMeta, AutoUnlockSettingMeta } from '../../../shared/journal/mind-meta';
import { keychainSlotOf, withKeychainSlot, withoutKeychainSlot } from './keyring/keyring-edits';
import { keyringIntact } from './keyring/keyring-integrity';
import type { KeyringStore } from './keyring-store';
import type { SessionLifecycle } from './session-lifecycle';
import { currentKeyring, discard, readDirectory, unlockThroughBody } from './unlock-attempts';
import { appendSessionEvent, type SessionState, type VaultSession } from './vault-session';

const noop = (): void => undefined;

/**
 * Unlock automatically on this computer (design §3, Electron only): an admin's set(true) adds the
 * vault's one keychain slot (the master wrapped under a random 32-byte key) for that admin and
 * hands the key to the body, which keeps it in the OS keychain (safeStorage). At startup
 * atStartup() asks the body for that entry and, if it opens the slot and the keyring's integrity
 * tag holds, opens the session as that operator and journals `vault.autoUnlock`. Any failure
 * leaves the vault locked without a word (a key that no longer opens its slot is cleared from the
 * keychain). Only the node's start unlocks this way: lock and auto-lock stay locked until someone
 * types a passphrase, and the body refuses the key to a page that starts once any session has
 * opened (a reloaded window, or one reopened from the tray), which then stays locked likewise.
 */
export class KeychainUnlock {
  /**
   * Startup found the keychain without a usable entry (none, or a key that did not open): a
   * keychain slot still in the keyring opens nothing, so Settings shows auto-unlock as off and
   * switching it on again makes a fresh slot and key.
   */
  private stale = false;

  constructor(
    private readonly api: HdmsApi,
    private readonly state: SessionState,
    private readonly keyrings: KeyringStore,
    private readonly lifecycle: SessionLifecycle,
  ) {}

  async available(): Promise<boolean> {
    try {
      return (await this.api.vault.keychainStatus({})).available;
    } catch {
      return false; // an older body, or a transport hiccup: no auto-unlock offered
    }
  }

  /** Whether the current operator holds the vault's keychain slot (false while locked). */
  enabled(): boolean {
    const s = this.state.current;
    return !this.stale && s !== null && keychainSlotOf(s.keyring, s.operator.operatorId) !== undefined;
  }

  async set(enabled: boolean): Promise<void> {
    // Admins only, both ways: it decides whether this workstation opens the vault with nobody present.
    const s = this.state.requireAdmin();
    if (enabled) {
      if (!(await this.available())) {
        throw new VaultError('E_NODE', 'This host has no OS keychain; the browser shell always asks for a passphrase.');
      }
      const kek = randomBytes(32);
      try {
        await this.keyrings.change(s, (fresh) => withKeychainSlot(s.master, fresh, s.operator.operatorId, kek));
        try {
          await this.api.vault.keychainStore({ operatorId: s.operator.operatorId, key: toBase64Url(kek) });
        } catch (error) {
          // A slot whose key no keychain holds opens nothing; take it out again.
          await this.keyrings.change(s, (fresh) => dropKeychainSlot(s, fresh)).catch(noop);
          throw asVaultError(error);
        }
      } finally {
        kek.fill(0);
      }
    } else {
      // The slot goes first: once it is out of the keyring, the kept key opens nothing.
      await this.keyrings.change(s, (fresh) => dropKeychainSlot(s, fresh));
      await this.clear();
    }
    this.stale = false;
    this.state.notify();
    const meta: AutoUnlockSettingMeta = { v: 1, enabled };
    try {
      await appendSessionEvent(this.api, s, MIND_KINDS.autoUnlockSetting, meta);
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /**
   * Startup: opens the vault through the OS keychain entry, if there is one that opens its
   * operator's keychain slot and the keyring's integrity holds. Never throws and reports nothing:
   * any failure leaves the vault locked for a passphrase. A key that does not open its slot (or
   * an entry whose slot is gone) is cleared, since it never will.
   */
  async atStartup(): Promise<void> {
    try {
      if (!(await this.available())) return;
      const { entry } = await this.api.vault.keychainLoad({});
      if (entry === null) this.stale = true;
      if (entry === null || this.state.signedIn) return;
      const directory = await readDirectory(this.api);
      if (directory === null) return;
      const operator = directory.operators.find((o) => o.operatorId === entry.operatorId);
      const hasSlot = directory.slots.some((slot) => slot.kind === 'keychain' && slot.operatorId === entry.operatorId);
      if (operator === undefined || !hasSlot) {
        this.stale = true;
        await this.clear();
        return;
      }
      if (operator.disabled) return;
      const kek = fromBase64Url(entry.key);
      let master: Uint8Array;
      try {
        // The body serves the keychain slot one attempt at a time, like any other, and opens this
        // window's session once the slot's key proves it.
        const opened = await unlockThroughBody(this.api, entry.operatorId, 'keychain', kek, 'The keychain key does not open its slot.');
        opened.signingKey?.scalar.fill(0);
        // A keychain slot always holds the master (a role slot is a passphrase slot only).
        if (opened.master === null) {
          discard(opened);
          await this.api.vault.lock({}).catch(noop);
          return;
        }
        master = opened.master;
      } catch (error) {
        if (error instanceof VaultError && error.code === 'E_WRONG_PASSPHRASE') {
          this.stale = true;
          await this.clear();
        }
        return;
      } finally {
        kek.fill(0);
      }
      try {
        const keyring = await currentKeyring(this.api);
        if (keyring === null || !(await keyringIntact(master, keyring)) || this.state.signedIn) {
          await this.api.vault.lock({}).catch(noop);
          return;
        }
        const current = keyring.operators.find((o) => o.operatorId === entry.operatorId);
        if (current === undefined) return;
        const s = await this.lifecycle.open(master, keyring, current);
        const meta: AutoUnlockMeta = { v: 1, at: new Date().toISOString() };
        try {
          await appendSessionEvent(this.api, s, MIND_KINDS.autoUnlock, meta);
        } catch {
          // An unattended unlock that the journal does not record does not stay open.
          if (this.state.isCurrent(s)) this.lifecycle.lock();
        }
      } finally {
        master.fill(0);
      }
    } catch {
      // Stay locked: the unlock screen asks for a passphrase as usual.
    }
  }

  private async clear(): Promise<void> {
    try {
      await this.api.vault.keychainClear({});
    } catch {
      // No keychain now (Linux keyring gone): its entry cannot open a slot that is no longer there.
    }
  }
}

/** The keyring without its keychain slot, or null when it has none (nothing to store). */
function dropKeychainSlot(s: VaultSession, keyring: Keyring): Promise<Keyring | null> {
  return keychainSlotOf(keyring) === undefined ? Promise.resolve(null) : withoutKeychainSlot(s.master, keyring);
}
