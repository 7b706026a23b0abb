import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring, KeyringOperator } from '../../../shared/ipc/vault-contract';
import { asVaultError, tamperedKeyring } from '../vault-errors';
import { VaultError } from '../vault-service';
import { deriveOperatorId } from '../vault-crypto';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { OperatorChangedMeta } from '../../../shared/journal/mind-meta';
import { keyringIntact } from './keyring/keyring-integrity';
import { appendSessionEvent, type SessionState, type VaultSession } from './vault-session';

/** The keyring as the body keeps it: read, checked, changed by compare-and-swap on its revision. */
export class KeyringStore {
  constructor(
    private readonly api: HdmsApi,
    private readonly state: SessionState,
  ) {}

  async current(): Promise<Keyring | null> {
    try {
      return (await this.api.vault.keyring({})).keyring;
    } catch (error) {
      throw asVaultError(error);
    }
  }

  /** Re-reads the keyring, checks it, applies `edit`, stores revision + 1 (unless `edit` answers null: nothing to change). */
  async change(s: VaultSession, edit: (keyring: Keyring) => Promise<Keyring | null>): Promise<Keyring> {
    const fresh = await this.current();
    if (fresh === null) throw new VaultError('E_NODE', 'The node no longer has a vault keyring.');
    if (fresh.vaultId !== s.keyring.vaultId || !(await keyringIntact(s.master, fresh))) throw tamperedKeyring();
    const edited = await edit(fresh);
    if (edited === null) {
      if (this.state.isCurrent(s)) {
        s.keyring = fresh;
        this.state.notify();
      }
      return fresh;
    }
    const next = edited;
    try {
      await this.api.vault.updateKeyring({ keyring: next, expectedRevision: fresh.revision });
    } catch (error) {
      throw asVaultError(error);
    }
    if (this.state.isCurrent(s)) {
      s.keyring = next;
      const me = next.operators.find((o) => o.operatorId === s.operator.operatorId);
      if (me !== undefined) s.operator = me;
      this.state.notify();
    }
    return next;
  }

  /** Journals `operator.changed` for `target` as the session's operator. */
  async journalOperatorChange(s: VaultSession, target: KeyringOperator, action: OperatorChangedMeta['action']): Promise<void> {
    const meta: OperatorChangedMeta = { v: 1, action, subject: await deriveOperatorId(s.keys.ledgerKey, target.operatorId), role: target.role };
    try {
      await appendSessionEvent(this.api, s, MIND_KINDS.operatorChanged, meta);
    } catch (error) {
      throw asVaultError(error);
    }
  }
}

export function findOperator(keyring: Pick<Keyring, 'operators'>, operatorId: string): KeyringOperator {
  const operator = keyring.operators.find((o) => o.operatorId === operatorId);
  if (operator === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'No such operator in this vault.');
  return operator;
}
