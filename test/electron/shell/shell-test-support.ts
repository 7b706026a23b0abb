import type { Body } from '../../../electron/body';
import { call, makeTestVault, signIn, type TestVault } from '../vault/vault-test-support';

/**
 * A vault with one demo patient, signed in on the body's own test context: a sealed object of it
 * (the first a record refers to) and its bytes as objects.read gives them, to compare reads with.
 */
export async function vaultWithObject(body: Body): Promise<{ vault: TestVault; objectId: string; expected: Buffer }> {
  const vault = await makeTestVault();
  await call(body, 'vault.create', { keyring: vault.keyring });
  await signIn(body, vault);
  await call(body, 'demo.import', { patients: 1, seed: 5 });
  const { records } = await call(body, 'journal.read', { after: 0, limit: 50 });
  const objectId = records.find((record) => record.objects.length > 0)!.objects[0]!;
  const whole = await call(body, 'objects.read', { id: objectId, offset: 0, length: 4 * 1024 * 1024 });
  return { vault, objectId, expected: Buffer.from(whole.bytes, 'base64url') };
}
