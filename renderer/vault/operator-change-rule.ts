import type { JournalRecord } from '../../shared/ipc/journal-contract';
import type { Keyring, OperatorRoleName } from '../../shared/ipc/vault-contract';
import { MIND_KINDS } from '../../shared/journal/journal-kinds';
import { OperatorChangedMetaSchema, type OperatorChangedMeta } from '../../shared/journal/mind-meta';
import { recordedAccount } from './record-actor';
import { deriveOperatorId, type Opener } from './vault-crypto';

/**
 * Who may journal which `operator.changed`. `journal.append` is open to clinicians, and the body
 * cannot read the sealed meta, so it cannot tell a clinician's "my passphrase changed" from "the
 * administrator was disabled"; it only seals the calling session's account as the record's actor
 * (record-actor.ts). The mind can: an operator change whose actor is not an administrator (the
 * role the keyring gives that account) counts only when it is something the role does about
 * itself (SELF_SERVICE_ACTIONS, the subject the actor's own pseudonym, the role the actor's own).
 * The views' replay counts the others as rejected, like a mind event without a valid authenticator,
 * and the ledger writer does not sign them as what they claim (they are listed as rejected in the
 * next entry's details). Records without an actor (journaled before the body stamped one) are
 * taken as they are, as before.
 */

/** The role the keyring gives an account id, or null when it holds no such account. */
export type RoleOfAccount = (operatorId: string) => OperatorRoleName | null;

/**
 * The recovery key's holder: the body lets a session opened with it act as an administrator
 * (electron/auth/operator-sessions.ts RECOVERY_PRINCIPAL); "recovered" is journaled under it.
 */
const RECOVERY_ACCOUNT = 'recovery';

/**
 * What an operator who is not an administrator journals about themself: a changed passphrase
 * (session-service.ts changePassphrase). A recovery is journaled by the recovery key's session
 * (an administrator's), a creation by the first administrator; the rest are administrators' acts.
 */
export const SELF_SERVICE_ACTIONS: ReadonlySet<OperatorChangedMeta['action']> = new Set(['passphrase-changed']);

/**
 * The roles of the session's keyring, read when asked (the keyring changes during a session). A
 * disabled account keeps its role: what it did while enabled was done in that role.
 */
export function keyringRoles(keyring: () => Pick<Keyring, 'operators'>): RoleOfAccount {
  return (operatorId) => {
    if (operatorId === RECOVERY_ACCOUNT) return 'admin';
    return keyring().operators.find((operator) => operator.operatorId === operatorId)?.role ?? null;
  };
}

export interface OperatorChangeRuleDeps {
  readonly opener: Opener;
  readonly ledgerKey: CryptoKey;
  readonly roleOf: RoleOfAccount;
}

/**
 * False for an `operator.changed` its actor's role may not make (see above); true for every other
 * record, and for an operator change without an actor. `meta` is the record's opened meta without
 * its authenticator.
 */
export async function operatorChangeAllowed(deps: OperatorChangeRuleDeps, record: Pick<JournalRecord, 'kind' | 'actor'>, meta: unknown): Promise<boolean> {
  if (record.kind !== MIND_KINDS.operatorChanged || record.actor === undefined) return true;
  const account = await recordedAccount(deps.opener, record);
  // An actor that does not open names nobody: no administrator made it.
  if (account === null || account === undefined) return false;
  const role = deps.roleOf(account);
  if (role === 'admin') return true;
  if (role === null) return false;
  const parsed = OperatorChangedMetaSchema.safeParse(meta);
  if (!parsed.success) return false;
  const { action, subject, role: claimed } = parsed.data;
  return SELF_SERVICE_ACTIONS.has(action) && claimed === role && subject === (await deriveOperatorId(deps.ledgerKey, account));
}
