import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../../electron/body';
import type { CallContext } from '../../../electron/ipc/contract-router';
import { randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot, createRoleSlot, type PassphraseSlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey } from '../../../shared/crypto/operator-signing';
import type { Keyring } from '../../../shared/ipc';
import { useTempDirs } from '../../support/temp-dir';
import { signIn, type TestVault } from '../../support/vault-keyring';
import { callAs, CLEO, refused, withAdaAndCleo } from './two-operators';
import { call } from './vault-test-support';

/**
 * QA: a researcher (or any non-admin) made the vault unopenable for everyone by storing their
 * keyring with one character of `integrity` changed (revision + 1): the body answered ok, and every
 * unlock (admin, clinician, recovery key) then failed the mind's integrity check. The tag is an
 * HMAC keyed from the master secret (keyring-integrity.ts): the body cannot compute or check it,
 * but it can refuse what no honest mind sends.
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

const RITA: CallContext = { transport: 'in-process', connectionId: 'rita' };
const keysFile = (dataDir: string) => path.join(dataDir, 'vault', 'keys.json');
const flipped = (tag: string) => tag.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));

async function startAt(dataDir: string): Promise<Body> {
  const b = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'silent', dicomPort: 0, mllpPort: 0 });
  bodies.push(b);
  return b;
}

/** Ada (admin) and Cleo (clinician) signed in, and Rita (researcher, a role slot) signed in on RITA. */
async function withRita(): Promise<{ b: Body; vault: TestVault; cleo: string; rita: string; dataDir: string }> {
  const dataDir = await tempDir();
  const { b, vault, cleo } = await withAdaAndCleo(dataDir, bodies);
  const keyring = (await call(b, 'vault.keyring', {})).keyring!;
  const rita = toBase64Url(randomBytes(16));
  const key = await generateOperatorSigningKey();
  const slot = await createRoleSlot({ operatorId: rita, passphrase: 'Rita passphrase, long enough', testOnlyIterations: 1, signingKey: key, secrets: { grant: 'researcher' } });
  const next: Keyring = { ...keyring, revision: keyring.revision + 1, operators: [...keyring.operators, { operatorId: rita, name: 'Rita Researcher', role: 'researcher', disabled: false }], slots: [...keyring.slots, slot], integrity: toBase64Url(randomBytes(32)) };
  await call(b, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
  await signIn((method, payload) => callAs(b, RITA, method, payload as never), rita, key);
  return { b, vault, cleo, rita, dataDir };
}

/** `keyring` with `operatorId`'s passphrase slot replaced by `slot` (at the end, as the mind does), revision + 1, a new tag. */
function withOwnSlot(keyring: Keyring, operatorId: string, slot: PassphraseSlot): Keyring {
  const others = keyring.slots.filter((s) => !(s.kind === 'passphrase' && s.operatorId === operatorId));
  return { ...keyring, revision: keyring.revision + 1, slots: [...others, slot], integrity: toBase64Url(randomBytes(32)) };
}

describe('vault.updateKeyring: what a non-administrator may change (QA: a researcher locked everyone out)', () => {
  it('refuses a researcher\'s and a clinician\'s keyring whose only change is its integrity tag; keys.json stays as it was', async () => {
    const { b, dataDir } = await withRita();
    for (const context of [RITA, CLEO]) {
      const before = await readFile(keysFile(dataDir), 'utf8');
      const keyring = (await callAs(b, context, 'vault.keyring', {})).keyring!;
      const tampered: Keyring = { ...keyring, revision: keyring.revision + 1, integrity: flipped(keyring.integrity) };
      const refusal = await refused(callAs(b, context, 'vault.updateKeyring', { keyring: tampered, expectedRevision: keyring.revision }));
      expect(refusal.code).toBe('E_FORBIDDEN');
      expect(await readFile(keysFile(dataDir), 'utf8')).toBe(before);
    }
  });

  it('refuses a researcher\'s change of their own role slot: a role slot holds no master, so it cannot re-seal the keyring', async () => {
    const { b, rita, dataDir } = await withRita();
    const before = await readFile(keysFile(dataDir), 'utf8');
    const keyring = (await callAs(b, RITA, 'vault.keyring', {})).keyring!;
    const slot = await createRoleSlot({ operatorId: rita, passphrase: 'A new passphrase of Rita', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey(), secrets: { grant: 'researcher' } });
    const refusal = await refused(callAs(b, RITA, 'vault.updateKeyring', { keyring: withOwnSlot(keyring, rita, slot), expectedRevision: keyring.revision }));
    expect(refusal).toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringMatching(/administrator/) });
    expect(await readFile(keysFile(dataDir), 'utf8')).toBe(before);
  });

  it('a clinician changes their own passphrase; the same slot with only a new tag, or a new slot with the old tag, is refused', async () => {
    const { b, vault, cleo } = await withRita();
    const keyring = (await callAs(b, CLEO, 'vault.keyring', {})).keyring!;
    const slot = await createPassphraseSlot({ master: vault.master, operatorId: cleo, passphrase: 'Cleo, a new long passphrase', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    // The tag covers the revision: a keyring of the next revision under the old tag is broken, whoever sends it.
    const oldTag = { ...withOwnSlot(keyring, cleo, slot), integrity: keyring.integrity };
    await expect(refused(callAs(b, CLEO, 'vault.updateKeyring', { keyring: oldTag, expectedRevision: keyring.revision }))).resolves.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/integrity/) });
    await callAs(b, CLEO, 'vault.updateKeyring', { keyring: withOwnSlot(keyring, cleo, slot), expectedRevision: keyring.revision });
    const stored = (await call(b, 'vault.keyring', {})).keyring!;
    expect(stored.slots.find((s) => s.operatorId === cleo)).toEqual(slot);
    // The same slot again with nothing but a new tag: what only a tampering mind sends.
    const again: Keyring = { ...stored, revision: stored.revision + 1, integrity: toBase64Url(randomBytes(32)) };
    await expect(refused(callAs(b, CLEO, 'vault.updateKeyring', { keyring: again, expectedRevision: stored.revision }))).resolves.toMatchObject({ code: 'E_FORBIDDEN' });
    // Nor the same wrapped key under edited parameters, or with its fields in another order: the passphrase did not change.
    const reordered = Object.fromEntries(Object.entries(slot).reverse()) as PassphraseSlot;
    const tweaked = { ...slot, kdf: { ...slot.kdf, iterations: slot.kdf.iterations + 1 } } as PassphraseSlot;
    for (const same of [reordered, tweaked]) {
      await expect(refused(callAs(b, CLEO, 'vault.updateKeyring', { keyring: withOwnSlot(stored, cleo, same), expectedRevision: stored.revision }))).resolves.toMatchObject({ code: 'E_FORBIDDEN' });
    }
  });

  it('an administrator still changes anyone\'s slot and the operators, but not a keyring under the old tag', async () => {
    const { b, rita } = await withRita();
    const keyring = (await call(b, 'vault.keyring', {})).keyring!;
    const slot = await createRoleSlot({ operatorId: rita, passphrase: 'Rita, reset by the admin', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey(), secrets: { grant: 'researcher' } });
    const reset = withOwnSlot(keyring, rita, slot);
    await expect(refused(call(b, 'vault.updateKeyring', { keyring: { ...reset, integrity: keyring.integrity }, expectedRevision: keyring.revision }))).resolves.toMatchObject({ code: 'E_BAD_REQUEST' });
    await call(b, 'vault.updateKeyring', { keyring: reset, expectedRevision: keyring.revision });
    const disabled: Keyring = { ...reset, revision: reset.revision + 1, operators: reset.operators.map((o) => (o.operatorId === rita ? { ...o, disabled: true } : o)), integrity: toBase64Url(randomBytes(32)) };
    await expect(call(b, 'vault.updateKeyring', { keyring: disabled, expectedRevision: reset.revision })).resolves.toEqual({ revision: reset.revision + 1 });
  });

  it('a researcher whose slot still wraps the master (from before role slots) re-makes it as a role slot, once', async () => {
    const dataDir = await tempDir();
    const first = await withAdaAndCleo(dataDir, bodies);
    const keyring = (await call(first.b, 'vault.keyring', {})).keyring!;
    await first.b.stop('quit');
    bodies.splice(bodies.indexOf(first.b), 1);
    // Such a slot can no longer be added through the body: written as an older version left it.
    const rita = toBase64Url(randomBytes(16));
    const key = await generateOperatorSigningKey();
    const legacy = await createPassphraseSlot({ master: first.vault.master, operatorId: rita, passphrase: 'Rita passphrase, long enough', testOnlyIterations: 1, signingKey: key });
    const onDisk: Keyring = { ...keyring, revision: keyring.revision + 1, operators: [...keyring.operators, { operatorId: rita, name: 'Rita Researcher', role: 'researcher', disabled: false }], slots: [...keyring.slots, legacy] };
    await writeFile(keysFile(dataDir), `${JSON.stringify(onDisk, null, 1)}\n`);
    const b = await startAt(dataDir);
    await signIn((method, payload) => callAs(b, RITA, method, payload as never), rita, key);
    const remade = await createRoleSlot({ id: legacy.id, operatorId: rita, passphrase: 'Rita passphrase, long enough', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey(), secrets: { grant: 'researcher' } });
    const next: Keyring = { ...onDisk, revision: onDisk.revision + 1, slots: onDisk.slots.map((s) => (s.id === legacy.id ? remade : s)), integrity: toBase64Url(randomBytes(32)) };
    await expect(callAs(b, RITA, 'vault.updateKeyring', { keyring: next, expectedRevision: onDisk.revision })).resolves.toEqual({ revision: next.revision });
    // From here on their slot holds no master: a further change of it is theirs no more.
    const again = await createRoleSlot({ operatorId: rita, passphrase: 'Rita, another passphrase', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey(), secrets: { grant: 'researcher' } });
    await expect(refused(callAs(b, RITA, 'vault.updateKeyring', { keyring: withOwnSlot(next, rita, again), expectedRevision: next.revision }))).resolves.toMatchObject({ code: 'E_FORBIDDEN' });
  });
});
