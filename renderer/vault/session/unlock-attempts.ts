import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Keyring } from '../../../shared/ipc/vault-contract';
import { asVaultError, tamperedKeyring } from '../vault-errors';
import { VaultError } from '../vault-service';
import { KeySlotError, unwrapSlot } from '../vault-crypto';
import { keyringIntact } from './keyring/keyring-integrity';

/**
 * One unlock attempt against the body's throttle: ask for the delay first, open the slot, report a
 * wrong secret (the body answers the next delay).
 */

export async function throttleCheck(api: Pick<HdmsApi, 'vault'>, operatorId: string): Promise<void> {
  let retryAfterMs: number;
  try {
    ({ retryAfterMs } = await api.vault.unlockThrottle({ operatorId }));
  } catch (error) {
    throw asVaultError(error);
  }
  if (retryAfterMs > 0) {
    throw new VaultError('E_THROTTLED', `Too many wrong attempts: try again in ${Math.ceil(retryAfterMs / 1000)} s.`, retryAfterMs);
  }
}

/** Tells the body how the attempt went; a wrong secret becomes E_WRONG_PASSPHRASE with the new delay. */
async function reportFailure(api: Pick<HdmsApi, 'vault'>, operatorId: string, message: string): Promise<never> {
  let retryAfterMs = 0;
  try {
    ({ retryAfterMs } = await api.vault.reportUnlock({ operatorId, ok: false }));
  } catch {
    // The attempt failed either way; the delay is advisory for the form.
  }
  throw new VaultError('E_WRONG_PASSPHRASE', message, retryAfterMs);
}

/** Master from a slot; a wrong secret is reported and thrown as E_WRONG_PASSPHRASE. */
export async function openSlot(api: Pick<HdmsApi, 'vault'>, operatorId: string, slot: unknown, secret: string | Uint8Array, wrongMessage: string): Promise<Uint8Array> {
  try {
    return await unwrapSlot(slot, secret);
  } catch (error) {
    if (error instanceof KeySlotError && error.code === 'E_WRONG_SECRET') return reportFailure(api, operatorId, wrongMessage);
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
