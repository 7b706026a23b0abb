import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring, KeyringDirectory } from '../../../shared/ipc/vault-contract';
import { asVaultError, tamperedKeyring } from '../vault-errors';
import { VaultError } from '../vault-service';
import {
  fromBase64Url,
  generateOperatorSigningKey,
  KeySlotError,
  openKeySlot,
  signSessionProof,
  toBase64Url,
  type KeySlot,
  type OpenedSlot,
  type OperatorSigningKey,
  type SlotSecret,
  zeroGrant,
} from '../vault-crypto';
import { keyringIntact, sealKeyring } from './keyring/keyring-integrity';
import { remakeSlot, type SlotParams } from './keyring/keyring-edits';

/**
 * Unlocking through the body (design §1: the body checks who asks). The body serves one slot per
 * attempt and counts the attempt as a failure until it is proven; the mind opens the slot here
 * and proves it with the signing key the slot holds, and only then may this connection read the
 * journal or change anything. A wrong passphrase never reaches the body: the attempt stays a
 * failure (the window tells the body so, for the audit), and the next one waits.
 */

export type SlotKind = KeySlot['kind'];

/** The body's directory of operators and slots (no key material), readable while locked. */
export async function readDirectory(api: Pick<HdmsApi, 'vault'>): Promise<KeyringDirectory | null> {
  try {
    return (await api.vault.directory({})).directory;
  } catch (error) {
    throw asVaultError(error);
  }
}

/**
 * Opens the `kind` slot of `principal` (an operator id, or "recovery") with `secret` and opens the
 * body session with it. A format-1 slot is re-made as format 2 on the way (`slotParams` for its
 * passphrase KDF). Returns what the slot held; throws E_THROTTLED, E_WRONG_PASSPHRASE or the
 * body's refusal.
 */
export async function unlockThroughBody(
  api: Pick<HdmsApi, 'vault'>,
  principal: string,
  kind: SlotKind,
  secret: SlotSecret,
  wrongMessage: string,
  slotParams: SlotParams = {},
): Promise<OpenedSlot> {
  const begun = await api.vault.unlockBegin({ operatorId: principal, kind }).catch((error: unknown) => {
    throw asVaultError(error);
  });
  if (begun.state === 'wait') {
    throw new VaultError('E_THROTTLED', `Too many wrong attempts: try again in ${Math.ceil(begun.retryAfterMs / 1000)} s.`, begun.retryAfterMs);
  }
  let opened: OpenedSlot;
  try {
    opened = await openKeySlot(begun.slot, secret);
  } catch (error) {
    if (error instanceof KeySlotError && error.code === 'E_WRONG_SECRET') {
      // Into the audit now, not when the attempt expires (the body settles it then anyway).
      await api.vault.unlockFailed({ attempt: begun.attempt }).catch(() => undefined);
      throw new VaultError('E_WRONG_PASSPHRASE', wrongMessage, begun.retryAfterFailureMs);
    }
    throw asVaultError(error);
  }
  try {
    const proofKey: OperatorSigningKey | null = opened.signingKey;
    if (proofKey !== null) {
      await finish(api, begun.attempt, begun.challenge, begun.slot.id, proofKey);
      return opened;
    }
    // Only a format-1 slot has no signing key, and it holds the master.
    if (opened.master === null) throw new VaultError('E_NODE', 'This key slot holds neither a signing key nor the vault key.');
    const { master } = opened;
    // A slot made before signed sessions: re-make it (same id, same secret) with a signing key,
    // store that keyring with the proof, and go on as if it had always been format 2 (a
    // researcher's or auditor's becomes a role slot; the master opened this once is still here).
    if (begun.legacyKeyring === undefined) throw new VaultError('E_NODE', 'The node did not send the keyring to upgrade this key slot.');
    const keyring = begun.legacyKeyring;
    await verified(master, keyring);
    const signingKey = await generateOperatorSigningKey();
    const slot = await remakeSlot(master, keyring, begun.slot, secret, signingKey, slotParams);
    const upgraded = await sealKeyring(master, { ...keyring, revision: keyring.revision + 1, slots: keyring.slots.map((s) => (s.id === slot.id ? slot : s)) });
    await finish(api, begun.attempt, begun.challenge, begun.slot.id, signingKey, upgraded);
    return { slot, master, signingKey, grant: null };
  } catch (error) {
    discard(opened);
    throw error;
  }
}

/** Zeroes whatever an opened slot held. */
export function discard(opened: OpenedSlot): void {
  opened.master?.fill(0);
  opened.signingKey?.scalar.fill(0);
  if (opened.grant !== null) zeroGrant(opened.grant);
}

/** Opens the body session for a slot whose signing key the mind holds already (it just made the slot). */
export async function proveSession(api: Pick<HdmsApi, 'vault'>, principal: string, kind: SlotKind, signingKey: OperatorSigningKey): Promise<void> {
  const begun = await api.vault.unlockBegin({ operatorId: principal, kind }).catch((error: unknown) => {
    throw asVaultError(error);
  });
  if (begun.state === 'wait') throw new VaultError('E_THROTTLED', `Too many wrong attempts: try again in ${Math.ceil(begun.retryAfterMs / 1000)} s.`, begun.retryAfterMs);
  await finish(api, begun.attempt, begun.challenge, begun.slot.id, signingKey);
}

async function finish(api: Pick<HdmsApi, 'vault'>, attempt: string, challenge: string, slotId: string, key: OperatorSigningKey, upgrade?: Keyring): Promise<void> {
  const signature = toBase64Url(await signSessionProof(key, fromBase64Url(challenge), slotId));
  try {
    await api.vault.unlockFinish(upgrade === undefined ? { attempt, signature } : { attempt, signature, upgrade });
  } catch (error) {
    throw asVaultError(error);
  }
}

/**
 * After a proven unlock: the whole keyring, its integrity tag checked under the slot's master. The
 * slot's signing key is no longer needed (the body session is open) and is zeroed here.
 */
export async function verifiedKeyring(api: Pick<HdmsApi, 'vault'>, opened: OpenedSlot): Promise<Keyring> {
  opened.signingKey?.scalar.fill(0);
  const keyring = await currentKeyring(api);
  if (keyring === null) throw new VaultError('E_NODE', 'The node no longer has a vault keyring.');
  // A role slot holds no master, so its holder cannot check the integrity tag; what the keyring
  // could lie to them about (names, roles) opens nothing their slot does not.
  if (opened.master !== null) await verified(opened.master, keyring);
  return keyring;
}

/** The whole keyring (the body answers it to an open session). */
export async function currentKeyring(api: Pick<HdmsApi, 'vault'>): Promise<Keyring | null> {
  try {
    return (await api.vault.keyring({})).keyring;
  } catch (error) {
    throw asVaultError(error);
  }
}

/** Throws (and zeroes the master) when the keyring's integrity tag does not hold under it. */
export async function verified(master: Uint8Array, keyring: Keyring): Promise<void> {
  if (!(await keyringIntact(master, keyring))) {
    master.fill(0);
    throw tamperedKeyring();
  }
}
