import type { Keyring, OperatorSession } from '../../shared/ipc';
import { RECOVERY_PRINCIPAL } from '../auth/operator-sessions';
import { KeyringRefusal } from './keyring-store';
import { roleInWords } from '../../shared/ipc/method-access';

/**
 * What the body refuses in a keyring change, whoever asks (design §3, issue 9 §2):
 * - a keyring with no enabled administrator who has a passphrase slot, or with no recovery slot:
 *   nobody could manage the vault, or nobody could recover it;
 * - a slot whose owner is not an operator of the keyring (or the recovery holder);
 * - a keyring under the stored keyring's integrity tag: the tag covers the revision, so a next
 *   revision always has another one, and one under the old tag fails every unlock;
 * - from anyone but an administrator, any change other than to their own passphrase slot, and a
 *   keyring in which that slot did not change (a new integrity tag alone would lock everyone out);
 * - from a researcher or auditor, any change but re-making their own slot from before role slots
 *   (which still opens the master, so their mind can re-seal the keyring) as a role slot: a role
 *   slot holds no master, and without it the integrity tag cannot be computed;
 * - a slot that does not fit its owner's role (checkSlotScopes): roles are keys;
 * - a new or changed slot of the legacy format 1 (checkNoNewLegacySlot);
 * - an operator under the recovery holder's id (checkKeyringInvariants); two slots under one id (keyring-store.ts).
 * Checked against the stored keyring before it is replaced (a compare-and-swap on the revision).
 * The tag itself is an HMAC keyed from the master secret (renderer/…/keyring-integrity.ts): the
 * body, which never holds the master, cannot check it. A wrong tag from whoever holds the master
 * (an administrator, a clinician changing their passphrase) is undone with `vault:keyring --restore`.
 */
export function checkKeyringChange(current: Keyring, next: Keyring, session: OperatorSession): void {
  checkKeyringInvariants(next);
  if (session.role !== 'admin') checkOwnPassphraseOnly(current, next, session);
  checkSlotScopes(current, next);
  checkNoNewLegacySlot(current, next);
  if (next.integrity === current.integrity) {
    throw new KeyringRefusal('E_BAD_REQUEST', 'keyring.integrity: the new keyring still carries the integrity tag of the stored one; no unlock would accept it.');
  }
}

/**
 * From anyone but an administrator: nothing but their own passphrase slot may change, and it must
 * change. A researcher's or auditor's role slot holds no master, so they cannot re-seal at all.
 */
function checkOwnPassphraseOnly(current: Keyring, next: Keyring, session: OperatorSession): void {
  const own = (keyring: Keyring) => keyring.slots.filter((slot) => slot.kind === 'passphrase' && slot.operatorId === session.operatorId);
  const restricted = session.role === 'researcher' || session.role === 'auditor';
  const before = own(current);
  if (restricted && !before.some((slot) => slot.version !== 3)) {
    throw new KeyringRefusal('E_FORBIDDEN', `Your role (${session.role}) cannot re-seal the keyring: ask an administrator to set your new passphrase.`);
  }
  const rest = (keyring: Keyring) =>
    JSON.stringify({
      ...keyring,
      revision: 0,
      integrity: '',
      slots: keyring.slots.filter((slot) => !(slot.kind === 'passphrase' && slot.operatorId === session.operatorId)),
    });
  if (rest(current) !== rest(next)) throw new KeyringRefusal('E_FORBIDDEN', `Your role (${session.role}) may change only your own passphrase.`);
  const after = own(next);
  if (after.length !== 1) throw new KeyringRefusal('E_BAD_REQUEST', 'keyring.slots: you must keep exactly one passphrase slot of your own.');
  const slot = after[0]!;
  // The wrapped key is what a new passphrase re-makes (a new salt and nonce each time): the same one
  // under other parameters is no passphrase change, whatever else was edited.
  if (before.some((old) => old.wrapped === slot.wrapped)) {
    throw new KeyringRefusal('E_FORBIDDEN', `Your role (${session.role}) may change only your own passphrase, and this keyring does not change it.`);
  }
  if (restricted && !before.some((old) => old.id === slot.id && old.version !== 3 && slot.version === 3)) {
    throw new KeyringRefusal('E_FORBIDDEN', `Your role (${session.role}) may only re-make your key slot as a role slot (the same slot, format 3); ask an administrator to set your new passphrase.`);
  }
}

/**
 * A format-1 slot has no signing key: its first unlock lets whoever asks re-make it with a key of
 * their own (checkLegacyUpgrade) and sign in as its owner. The mind makes none any more; one from
 * before is kept only as it is (security review R3: a clinician re-made their slot as format 1).
 */
function checkNoNewLegacySlot(current: Keyring, next: Keyring): void {
  const before = new Map(current.slots.map((slot) => [slot.id, slot]));
  for (const [index, slot] of next.slots.entries()) {
    if (slot.version !== 1) continue;
    const old = before.get(slot.id);
    if (old === undefined || old.version !== 1 || old.wrapped !== slot.wrapped || old.operatorId !== slot.operatorId || old.kind !== slot.kind) {
      throw new KeyringRefusal('E_BAD_REQUEST', `keyring.slots.${index}: a new key slot has a signing key (format 2 or 3), never the legacy format 1.`);
    }
  }
}

export function checkKeyringInvariants(keyring: Keyring): void {
  // The recovery holder signs in as an administrator (roleOf): no operator may carry that id.
  if (keyring.operators.some((operator) => operator.operatorId === RECOVERY_PRINCIPAL)) {
    throw new KeyringRefusal('E_BAD_REQUEST', `keyring.operators: the operator id "${RECOVERY_PRINCIPAL}" is the recovery key holder's.`);
  }
  const operators = new Map(keyring.operators.map((operator) => [operator.operatorId, operator]));
  const passphraseOwners = new Set(keyring.slots.filter((slot) => slot.kind === 'passphrase').map((slot) => slot.operatorId));
  const admins = keyring.operators.filter((operator) => operator.role === 'admin' && !operator.disabled && passphraseOwners.has(operator.operatorId));
  if (admins.length === 0) throw new KeyringRefusal('E_BAD_REQUEST', 'keyring: at least one enabled administrator with a passphrase must remain.');
  if (!keyring.slots.some((slot) => slot.kind === 'recovery')) throw new KeyringRefusal('E_BAD_REQUEST', 'keyring.slots: the recovery slot must remain.');
  for (const [index, slot] of keyring.slots.entries()) {
    const owner = slot.kind === 'recovery' ? slot.operatorId === RECOVERY_PRINCIPAL : operators.has(slot.operatorId);
    if (!owner) throw new KeyringRefusal('E_BAD_REQUEST', `keyring.slots.${index}.operatorId: the slot's owner is not an operator of this keyring.`);
  }
}

/**
 * Roles are keys (design §3): a researcher's or auditor's slot is a role slot (format 3) whose
 * grant is that role, and holds no master; everyone else's slots hold the master (formats 1–2).
 * A restricted operator's master slot from before role slots is tolerated only unchanged (the
 * same slot, same owner role, as in the stored keyring): the mind re-makes it as a role slot at
 * that operator's next unlock, and no new one can be added.
 */
export function checkSlotScopes(current: Keyring | null, next: Keyring): void {
  const roles = new Map(next.operators.map((operator) => [operator.operatorId, operator.role]));
  const before = new Map((current?.slots ?? []).map((slot) => [slot.id, slot]));
  const rolesBefore = new Map((current?.operators ?? []).map((operator) => [operator.operatorId, operator.role]));
  for (const [index, slot] of next.slots.entries()) {
    const role = slot.kind === 'recovery' ? 'admin' : roles.get(slot.operatorId);
    const restricted = role === 'researcher' || role === 'auditor';
    if (slot.version === 3) {
      if (slot.grant !== role) throw new KeyringRefusal('E_BAD_REQUEST', `keyring.slots.${index}: a role slot (${slot.grant ?? 'none'}) belongs only to an operator of that role.`);
      continue;
    }
    if (!restricted) continue;
    const old = before.get(slot.id);
    const unchanged = old !== undefined && old.wrapped === slot.wrapped && old.operatorId === slot.operatorId && rolesBefore.get(slot.operatorId) === role;
    if (!unchanged) throw new KeyringRefusal('E_BAD_REQUEST', `keyring.slots.${index}: ${roleInWords(role)} holds a role slot (format 3), never the vault master.`);
  }
}

/**
 * The one change a format-1 slot's first unlock may make without a session: that slot re-made as
 * format 2 (same id, kind and owner), the keyring otherwise as it was (its integrity tag aside).
 */
export function checkLegacyUpgrade(current: Keyring, next: Keyring, slotId: string): void {
  const before = current.slots.find((slot) => slot.id === slotId);
  const after = next.slots.find((slot) => slot.id === slotId);
  if (before === undefined || before.publicKey !== undefined) throw new KeyringRefusal('E_CONFLICT', 'Only a format-1 key slot is upgraded at unlock.');
  if (after === undefined || after.publicKey === undefined || after.kind !== before.kind || after.operatorId !== before.operatorId) {
    throw new KeyringRefusal('E_BAD_REQUEST', 'upgrade: the slot must stay the same slot (id, kind, owner), re-made as format 2 (a role slot for a researcher or auditor).');
  }
  checkSlotScopes(current, next);
  const rest = (keyring: Keyring) => JSON.stringify({ ...keyring, revision: 0, integrity: '', slots: keyring.slots.filter((slot) => slot.id !== slotId) });
  if (rest(current) !== rest(next)) throw new KeyringRefusal('E_FORBIDDEN', 'upgrade: nothing but the slot being unlocked may change.');
}
