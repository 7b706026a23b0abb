import { fromBase64Url, toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot, createRecoverySlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, signSessionProof, type OperatorSigningKey } from '../../../shared/crypto/operator-signing';
import { deriveVaultKeys, generateMasterSecret, type VaultKeys } from '../../../shared/crypto/vault-keys';
import type { Body } from '../../../electron/body';
import type { EventName, EventPayloadOf, JournalRecord, Keyring, MethodName, RequestOf, ResponseOf } from '../../../shared/ipc';

export interface TestVault {
  readonly master: Uint8Array;
  readonly keys: VaultKeys;
  readonly keyring: Keyring;
  /** The signing key inside the admin's passphrase slot. */
  readonly signingKey: OperatorSigningKey;
  readonly operatorId: string;
}

/**
 * A real keyring as the mind would build it (master secret, derived intake key, one passphrase
 * slot with a test-only iteration count). The integrity field is 32 zero bytes: the body never
 * checks it (only the mind can, after unlock).
 */
export async function makeTestVault(options: { operatorId?: string; revision?: number } = {}): Promise<TestVault> {
  const master = generateMasterSecret();
  const keys = await deriveVaultKeys(master);
  const operatorId = options.operatorId ?? 'op_admin-1';
  const signingKey = await generateOperatorSigningKey();
  const slot = await createPassphraseSlot({ master, operatorId, passphrase: 'correct horse battery staple', testOnlyIterations: 1, signingKey });
  const recovery = await createRecoverySlot({ master, operatorId: 'recovery', recoveryKey: new Uint8Array(32).fill(7), signingKey: await generateOperatorSigningKey() });
  const keyring: Keyring = {
    format: 'hdms-keyring',
    version: 1,
    vaultId: 'vault_test_0001',
    revision: options.revision ?? 1,
    createdAt: new Date().toISOString(),
    intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw),
    operators: [{ operatorId, name: 'Admin', role: 'admin', disabled: false }],
    slots: [slot, recovery],
    integrity: toBase64Url(new Uint8Array(32)),
  };
  return { master, keys, keyring, signingKey, operatorId };
}

/** Opens the admin's session on the test connection, as the mind does after opening the slot. */
export async function signIn(b: Body, vault: Pick<TestVault, 'operatorId' | 'signingKey'>): Promise<void> {
  const begun = await call(b, 'vault.unlockBegin', { operatorId: vault.operatorId, kind: 'passphrase' });
  if (begun.state !== 'ready') throw new Error('the test vault is throttled');
  const signature = await signSessionProof(vault.signingKey, fromBase64Url(begun.challenge), begun.slot.id);
  await call(b, 'vault.unlockFinish', { attempt: begun.attempt, signature: toBase64Url(signature) });
}

export const callContext = { transport: 'in-process', connectionId: 'test' } as const;

/** Calls a contract method through the body's router; throws the contract error (with its code) on refusal. */
export async function call<M extends MethodName>(b: Body, method: M, payload: RequestOf<M>): Promise<ResponseOf<M>> {
  const result = await b.router.dispatch(method, payload, callContext);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as ResponseOf<M>;
}

export type Heard = Array<[EventName, unknown]>;

/** Records every event the body emits from now on. */
export function heard(b: Body): Heard {
  const events: Heard = [];
  b.events.subscribe((name, payload) => events.push([name, payload]));
  return events;
}

/** The payloads of one event, typed. */
export function payloadsOf<E extends EventName>(events: Heard, name: E): Array<EventPayloadOf<E>> {
  return events.filter(([event]) => event === name).map(([, payload]) => payload as EventPayloadOf<E>);
}

/** Every record of the body's journal, page by page. */
export async function readJournal(b: Body): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  let after = 0;
  for (;;) {
    const page = await call(b, 'journal.read', { after, limit: 5000 });
    out.push(...page.records);
    after = page.nextCursor;
    if (page.end) return out;
  }
}
