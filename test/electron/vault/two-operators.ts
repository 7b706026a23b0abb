import { afterEach } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import type { CallContext } from '../../../electron/ipc/contract-router';
import { fromBase64Url, randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, signSessionProof } from '../../../shared/crypto/operator-signing';
import type { Keyring, MethodName, RequestOf, ResponseOf } from '../../../shared/ipc';
import { useTempDirs } from '../../support/temp-dir';
import { buildTestKeyring, signIn, type TestVault } from '../../support/vault-keyring';
import { call } from './vault-test-support';

/** The clinician's connection in withAdaAndCleo (the admin is on the default test connection). */
export const CLEO: CallContext = { transport: 'in-process', connectionId: 'cleo' };

/** A call on a given connection; a refusal throws an Error carrying its code. */
export async function callAs<M extends MethodName>(b: Body, context: CallContext, method: M, payload: RequestOf<M>): Promise<ResponseOf<M>> {
  const result = await b.router.dispatch(method, payload, context);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as ResponseOf<M>;
}

/** The refusal `promise` ends with (its code and message); throws when it succeeds. */
export async function refused(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

/**
 * A body on `dataDir` whose vault's admin (Ada) is signed in on the test connection and a clinician
 * (Cleo) on CLEO. The body is pushed on `bodies` for the caller's afterEach to stop.
 */
export async function withAdaAndCleo(dataDir: string, bodies: Body[]): Promise<{ b: Body; vault: TestVault; cleo: string }> {
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', dicomPort: 0, mllpPort: 0 });
  bodies.push(b);
  const vault = await buildTestKeyring({ operatorName: 'Ada Admin' });
  await call(b, 'vault.create', { keyring: vault.keyring });
  await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);
  const keyring = (await call(b, 'vault.keyring', {})).keyring!;
  const cleo = toBase64Url(randomBytes(16));
  const key = await generateOperatorSigningKey();
  const slot = await createPassphraseSlot({ master: vault.master, operatorId: cleo, passphrase: 'Cleo passphrase, long enough', testOnlyIterations: 1, signingKey: key });
  const next: Keyring = { ...keyring, revision: keyring.revision + 1, operators: [...keyring.operators, { operatorId: cleo, name: 'Cleo Clinician', role: 'clinician', disabled: false }], slots: [...keyring.slots, slot], integrity: toBase64Url(randomBytes(32)) };
  await call(b, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
  const begun = await callAs(b, CLEO, 'vault.unlockBegin', { operatorId: cleo, kind: 'passphrase' });
  if (begun.state !== 'ready') throw new Error('throttled');
  const signature = await signSessionProof(key, fromBase64Url(begun.challenge), begun.slot.id);
  await callAs(b, CLEO, 'vault.unlockFinish', { attempt: begun.attempt, signature: toBase64Url(signature) });
  return { b, vault, cleo };
}

/**
 * Registers, in the calling file, an afterEach that stops the bodies it starts (after those of
 * `tempDir`, a useTempDirs() of the file's own or a new one, so the folders go after the bodies);
 * answers a function that starts one in a new folder (`dataDir`) as withAdaAndCleo does.
 */
export function useAdaAndCleo(tempDir: () => Promise<string> = useTempDirs()): () => Promise<{ b: Body; vault: TestVault; cleo: string; dataDir: string }> {
  const bodies: Body[] = [];
  afterEach(async () => {
    for (const b of bodies.splice(0)) await b.stop('quit');
  });
  return async () => {
    const dataDir = await tempDir();
    return { ...(await withAdaAndCleo(dataDir, bodies)), dataDir };
  };
}
