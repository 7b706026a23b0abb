import type { HdmsApi } from '../../../shared/ipc/contract';
import type { KeyringOperator } from '../../../shared/ipc/vault-contract';
import { asVaultError } from '../vault-errors';
import { VaultError, type VaultService } from '../vault-service';
import { deriveVaultKeys, generateMasterSecret, generateOperatorSigningKey, parseRecoveryKey, unwrapSlot, zeroGrant, type GrantSecrets, type OpenedSlot } from '../vault-crypto';
import type { Keyring } from '../../../shared/ipc/vault-contract';
import type { AutoLock } from './auto-lock';
import type { KeychainUnlock } from './keychain-unlock';
import {
  buildFirstKeyring,
  grantSecretsOf,
  isRestrictedRole,
  passphraseSlotOf,
  RECOVERY_SLOT_OWNER,
  remakeSlot,
  withNewOperator,
  withNewPassphrase,
  withOperatorDisabled,
  type SlotParams,
} from './keyring/keyring-edits';
import { sealKeyring } from './keyring/keyring-integrity';
import { checkNewPassphrase } from './keyring/passphrase-rules';
import { findOperator, type KeyringStore } from './keyring-store';
import type { SessionLifecycle } from './session-lifecycle';
import { discard, proveSession, readDirectory, unlockThroughBody, verifiedKeyring } from './unlock-attempts';
import { appendSessionEvent, summaryOf, type SessionState } from './vault-session';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';

/** The keys-and-session part of VaultService: create, unlock, recover, lock, passphrases, auto-lock, auto-unlock, operators. */
export type SessionService = Pick<
  VaultService,
  | 'create'
  | 'operators'
  | 'unlock'
  | 'recover'
  | 'lock'
  | 'changePassphrase'
  | 'autoLockMinutes'
  | 'setAutoLockMinutes'
  | 'noteActivity'
  | 'autoUnlockAvailable'
  | 'autoUnlockEnabled'
  | 'setAutoUnlock'
  | 'addOperator'
  | 'setOperatorDisabled'
  | 'resetOperatorPassphrase'
>;

export interface SessionServiceDeps {
  readonly api: HdmsApi;
  readonly state: SessionState;
  readonly lifecycle: SessionLifecycle;
  readonly keyrings: KeyringStore;
  readonly keychain: KeychainUnlock;
  readonly autoLock: AutoLock;
  /** PBKDF2 iterations of new passphrase slots (tests only lower them). */
  readonly slotParams: SlotParams;
}

type RestrictedOperator = KeyringOperator & { readonly role: 'researcher' | 'auditor' };

function isRestricted(operator: KeyringOperator): operator is RestrictedOperator {
  return isRestrictedRole(operator.role);
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { api, state, lifecycle, keyrings, keychain, autoLock, slotParams } = deps;

  /**
   * What a researcher's or auditor's session opens with: their role slot's grant. A slot from
   * before role slots still wraps the master: it is re-made as a role slot now (same id, same
   * passphrase; the body accepts that change of one's own passphrase slot), so the next unlock
   * never sees the master again, and the grant is derived from the master this one last time.
   */
  async function restrictedSessionOf(opened: OpenedSlot, keyring: Keyring, me: RestrictedOperator, passphrase: string): Promise<[Keyring, RestrictedOperator, GrantSecrets]> {
    if (opened.grant !== null) {
      if (opened.grant.grant !== me.role) throw new VaultError('E_NODE', 'This key slot was made for another role; ask an administrator to reset your passphrase.');
      return [keyring, me, opened.grant];
    }
    const signingKey = await generateOperatorSigningKey();
    try {
      const slot = await remakeSlot(opened.master, keyring, opened.slot, passphrase, signingKey, slotParams);
      const next = await sealKeyring(opened.master, { ...keyring, revision: keyring.revision + 1, slots: keyring.slots.map((s) => (s.id === slot.id ? slot : s)) });
      await api.vault.updateKeyring({ keyring: next, expectedRevision: keyring.revision }).catch((error: unknown) => {
        throw asVaultError(error);
      });
      return [next, me, await grantSecretsOf(opened.master, me.role)];
    } finally {
      signingKey.scalar.fill(0);
    }
  }

  const service: SessionService = {
    async create(input) {
      const status = await api.vault.status({}).catch((error: unknown) => {
        throw asVaultError(error);
      });
      if (status.state !== 'absent' || state.signedIn) throw new VaultError('E_EXISTS', 'A vault exists already in this data folder.');
      const name = input.operatorName.trim();
      if (name === '') throw new VaultError('E_NOT_ALLOWED', 'The first operator needs a name.');
      checkNewPassphrase(input.passphrase, [name]);
      const master = generateMasterSecret();
      try {
        const keys = await deriveVaultKeys(master);
        const { keyring, recoveryKey, adminId, adminSigningKey } = await buildFirstKeyring({ master, keys, operatorName: name, passphrase: input.passphrase, params: slotParams });
        try {
          await api.vault.create({ keyring });
        } catch (error) {
          throw asVaultError(error);
        } finally {
          // The body lets this window act as the new admin only after a signature from the admin's slot.
          await proveSession(api, adminId, 'passphrase', adminSigningKey).finally(() => adminSigningKey.scalar.fill(0));
        }
        const s = await lifecycle.open(master, keyring, findOperator(keyring, adminId), keys);
        await keyrings.journalOperatorChange(s, s.operator, 'created');
        if (input.autoUnlock !== true) return { recoveryKey, autoUnlock: false };
        // The vault exists now and its recovery key must reach the screen: a keychain that refuses
        // leaves auto-unlock off (Settings › Security can try again) rather than failing create.
        const autoUnlock = await keychain.set(true).then(
          () => true,
          () => false,
        );
        return { recoveryKey, autoUnlock };
      } finally {
        master.fill(0);
      }
    },

    async operators() {
      const directory = await readDirectory(api);
      return directory === null ? [] : directory.operators.map(summaryOf);
    },

    async unlock(input) {
      const directory = await readDirectory(api);
      if (directory === null) throw new VaultError('E_NODE', 'There is no vault in this data folder yet.');
      const operator = findOperator(directory, input.operatorId);
      if (operator.disabled) throw new VaultError('E_OPERATOR_DISABLED', 'This operator account is disabled; an administrator can enable it.');
      if (!directory.slots.some((slot) => slot.kind === 'passphrase' && slot.operatorId === operator.operatorId)) {
        throw new VaultError('E_WRONG_PASSPHRASE', 'This operator has no passphrase; use the recovery key.');
      }
      const opened = await unlockThroughBody(api, operator.operatorId, 'passphrase', input.passphrase, 'The passphrase is wrong.', slotParams);
      try {
        const keyring = await verifiedKeyring(api, opened);
        const me = findOperator(keyring, operator.operatorId);
        if (isRestricted(me)) {
          const [current, restricted, grant] = await restrictedSessionOf(opened, keyring, me, input.passphrase);
          try {
            await lifecycle.openRestricted(current, restricted, grant);
          } finally {
            zeroGrant(grant);
          }
        } else {
          if (opened.master === null) throw new VaultError('E_NODE', 'This key slot holds no vault key: it belongs to a restricted role.');
          await lifecycle.open(opened.master, keyring, me);
        }
      } catch (error) {
        await api.vault.lock({}).catch(() => undefined);
        throw error;
      } finally {
        discard(opened);
      }
    },

    async recover(input) {
      const directory = await readDirectory(api);
      if (directory === null) throw new VaultError('E_NODE', 'There is no vault in this data folder yet.');
      const operator = findOperator(directory, input.operatorId);
      if (operator.disabled) throw new VaultError('E_OPERATOR_DISABLED', 'This operator account is disabled; an administrator can enable it.');
      const recoveryKey = await parseRecoveryKey(input.recoveryKey).catch((error: unknown) => {
        throw asVaultError(error);
      });
      try {
        checkNewPassphrase(input.newPassphrase, [operator.name]);
        if (!directory.slots.some((slot) => slot.kind === 'recovery')) throw new VaultError('E_WRONG_PASSPHRASE', 'This vault has no recovery key slot.');
        // The recovery key is 256 random bits, so the body's delay costs a guesser nothing extra;
        // it still serves the slot one attempt at a time, like every other.
        const opened = await unlockThroughBody(api, RECOVERY_SLOT_OWNER, 'recovery', recoveryKey, 'The recovery key is wrong.', slotParams);
        if (opened.master === null) {
          discard(opened);
          throw new VaultError('E_NODE', 'The recovery slot holds no vault key.');
        }
        const { master } = opened;
        try {
          const keyring = await verifiedKeyring(api, opened);
          const s = await lifecycle.open(master, keyring, findOperator(keyring, operator.operatorId));
          // The recovery session may reset the passphrase; then this window acts as the operator
          // themself (their role, not the recovery holder's administrator role).
          const signingKey = await generateOperatorSigningKey();
          try {
            await keyrings.change(s, (fresh) => withNewPassphrase(s.master, fresh, operator.operatorId, input.newPassphrase, slotParams, signingKey));
            // Journaled while the recovery key's session holds: a researcher's or auditor's own
            // session may not append to the journal.
            await keyrings.journalOperatorChange(s, s.operator, 'recovered');
            await proveSession(api, operator.operatorId, 'passphrase', signingKey);
          } finally {
            signingKey.scalar.fill(0);
          }
          // A researcher or auditor recovered their account: from here on they act in their role,
          // with the keys their new role slot holds, not with the recovery key's master.
          const me = findOperator(s.keyring, operator.operatorId);
          if (isRestricted(me)) {
            const grant = await grantSecretsOf(master, me.role);
            try {
              await lifecycle.openRestricted(s.keyring, me, grant);
            } finally {
              zeroGrant(grant);
            }
          }
        } catch (error) {
          if (!state.signedIn) await api.vault.lock({}).catch(() => undefined);
          throw error;
        } finally {
          master.fill(0);
        }
      } finally {
        recoveryKey.fill(0);
      }
    },

    lock: () => lifecycle.lock(),

    async changePassphrase(input) {
      if (state.restricted !== null) {
        // The keyring's integrity tag is keyed from the master, which a role slot does not hold.
        throw new VaultError('E_NOT_ALLOWED', 'Ask an administrator to set your new passphrase: your role cannot re-seal the keyring.');
      }
      const s = state.require();
      const slot = passphraseSlotOf(s.keyring, s.operator.operatorId);
      if (slot === undefined) throw new VaultError('E_WRONG_PASSPHRASE', 'This operator has no passphrase slot.');
      try {
        (await unwrapSlot(slot, input.current)).fill(0);
      } catch (error) {
        throw asVaultError(error);
      }
      checkNewPassphrase(input.next, [s.operator.name]);
      await keyrings.change(s, (fresh) => withNewPassphrase(s.master, fresh, s.operator.operatorId, input.next, slotParams));
      await keyrings.journalOperatorChange(s, s.operator, 'passphrase-changed');
    },

    autoLockMinutes: () => autoLock.minutes,

    async setAutoLockMinutes(minutes) {
      const s = state.require();
      // The workstation's policy: an administrator's, journaled under them (a SETTINGS_CHANGE entry).
      await autoLock.set(s.db, minutes, s.operator.role, (meta) =>
        appendSessionEvent(api, s, MIND_KINDS.autoLockSetting, meta).catch((error: unknown) => {
          throw asVaultError(error);
        }),
      );
      state.notify();
    },

    noteActivity() {
      autoLock.noteActivity();
    },

    autoUnlockAvailable: () => keychain.available(),

    autoUnlockEnabled: () => keychain.enabled(),

    setAutoUnlock: (enabled) => keychain.set(enabled),

    async addOperator(input) {
      const s = state.requireAdmin();
      const name = input.name.trim();
      if (name === '') throw new VaultError('E_NOT_ALLOWED', 'An operator needs a name.');
      if (s.keyring.operators.some((o) => o.name.toLowerCase() === name.toLowerCase())) {
        throw new VaultError('E_EXISTS', 'An operator with this name exists already.');
      }
      checkNewPassphrase(input.passphrase, [name]);
      let added: KeyringOperator | undefined;
      await keyrings.change(s, async (fresh) => {
        const result = await withNewOperator(s.master, fresh, { name, role: input.role, passphrase: input.passphrase }, slotParams);
        added = result.operator;
        return result.keyring;
      });
      await keyrings.journalOperatorChange(s, added!, 'added');
      return summaryOf(added!);
    },

    async setOperatorDisabled(operatorId, disabled) {
      const s = state.requireAdmin();
      if (operatorId === s.operator.operatorId && disabled) {
        throw new VaultError('E_NOT_ALLOWED', 'You cannot disable your own account; another administrator can.');
      }
      const target = findOperator(s.keyring, operatorId);
      await keyrings.change(s, (fresh) => withOperatorDisabled(s.master, fresh, operatorId, disabled));
      await keyrings.journalOperatorChange(s, target, disabled ? 'disabled' : 'enabled');
    },

    async resetOperatorPassphrase(operatorId, passphrase) {
      const s = state.requireAdmin();
      const target = findOperator(s.keyring, operatorId);
      checkNewPassphrase(passphrase, [target.name]);
      await keyrings.change(s, (fresh) => withNewPassphrase(s.master, fresh, operatorId, passphrase, slotParams));
      await keyrings.journalOperatorChange(s, target, 'passphrase-reset');
    },
  };
  return service;
}
