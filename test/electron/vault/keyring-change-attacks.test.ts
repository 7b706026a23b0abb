import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Body } from '../../../electron/body';
import type { CallContext } from '../../../electron/ipc/contract-router';
import { randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createKeychainSlot, createPassphraseSlot, createRoleSlot, type KeySlot, type PassphraseSlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, type OperatorSigningKey } from '../../../shared/crypto/operator-signing';
import type { Keyring } from '../../../shared/ipc';
import { useTempDirs } from '../../support/temp-dir';
import { signIn, type TestVault } from '../../support/vault-keyring';
import { callAs, CLEO, refused, withAdaAndCleo } from './two-operators';
import { call } from './vault-test-support';

/**
 * Security review (R3): `vault.updateKeyring` is open to any session, so the body's keyring checks
 * (keyring-policy.ts, keyring-store.ts) are all that stands between a clinician, researcher or
 * auditor and the administrator's rights. A clinician's slot opens the master, so their mind could
 * compute any integrity tag: the body is the only gate. Each case is an attacker's keyring; every
 * refusal leaves keys.json as it was.
 */

const tempDir = useTempDirs();
const bodies: Body[] = [];
afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
});

const RITA: CallContext = { transport: 'in-process', connectionId: 'rita' };
const AUDE: CallContext = { transport: 'in-process', connectionId: 'aude' };
const ADA2: CallContext = { transport: 'in-process', connectionId: 'ada2' };
const keysFile = (dataDir: string) => path.join(dataDir, 'vault', 'keys.json');
const newTag = () => toBase64Url(randomBytes(32));

interface Setup {
  b: Body;
  vault: TestVault;
  dataDir: string;
  ada: string;
  cleo: string;
  rita: string;
  aude: string;
}

/** Ada (admin, default connection), Cleo (clinician, CLEO), Rita (researcher, RITA) and Aude (auditor, AUDE), all signed in. */
async function fourOperators(): Promise<Setup> {
  const dataDir = await tempDir();
  const { b, vault, cleo } = await withAdaAndCleo(dataDir, bodies);
  const keyring = (await call(b, 'vault.keyring', {})).keyring!;
  const rita = toBase64Url(randomBytes(16));
  const aude = toBase64Url(randomBytes(16));
  const ritaKey = await generateOperatorSigningKey();
  const audeKey = await generateOperatorSigningKey();
  const ritaSlot = await createRoleSlot({ operatorId: rita, passphrase: 'Rita passphrase, long enough', testOnlyIterations: 1, signingKey: ritaKey, secrets: { grant: 'researcher' } });
  const audeSlot = await createRoleSlot({ operatorId: aude, passphrase: 'Aude passphrase, long enough', testOnlyIterations: 1, signingKey: audeKey, secrets: { grant: 'auditor', directorySecret: randomBytes(32) } });
  const next: Keyring = {
    ...keyring,
    revision: keyring.revision + 1,
    operators: [...keyring.operators, { operatorId: rita, name: 'Rita Researcher', role: 'researcher', disabled: false }, { operatorId: aude, name: 'Aude Auditor', role: 'auditor', disabled: false }],
    slots: [...keyring.slots, ritaSlot, audeSlot],
    integrity: newTag(),
  };
  await call(b, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
  await signIn((method, payload) => callAs(b, RITA, method, payload as never), rita, ritaKey);
  await signIn((method, payload) => callAs(b, AUDE, method, payload as never), aude, audeKey);
  return { b, vault, dataDir, ada: vault.operatorId, cleo, rita, aude };
}

/** A fresh passphrase slot of Cleo's, as her mind makes it when she changes her passphrase. */
async function cleoSlot(s: Setup, options: { id?: string; signingKey?: OperatorSigningKey } = {}): Promise<PassphraseSlot> {
  return createPassphraseSlot({ master: s.vault.master, operatorId: s.cleo, passphrase: 'Cleo, a new long passphrase', testOnlyIterations: 1, signingKey: options.signingKey ?? (await generateOperatorSigningKey()), ...(options.id === undefined ? {} : { id: options.id }) });
}

/** `keyring` with Cleo's passphrase slot replaced by `slot` (at the end, as the mind puts it). */
function withCleoSlot(s: Setup, keyring: Keyring, slot: KeySlot): Keyring {
  return { ...keyring, slots: [...keyring.slots.filter((x) => !(x.kind === 'passphrase' && x.operatorId === s.cleo)), slot] };
}

/**
 * Sends `edit(stored keyring)` as the next revision (under a new tag) on `context`; answers the
 * refusal and checks keys.json did not change.
 */
async function attack(s: Setup, context: CallContext | null, edit: (keyring: Keyring) => Draft): Promise<{ code: string; message: string }> {
  const before = await readFile(keysFile(s.dataDir), 'utf8');
  const keyring = (await call(s.b, 'vault.keyring', {})).keyring!;
  const draft = edit(keyring);
  const next: Keyring = { ...draft, revision: draft.revision ?? keyring.revision + 1, integrity: draft.integrity ?? newTag() };
  const send = context === null ? call(s.b, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision }) : callAs(s.b, context, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision });
  const refusal = await refused(send);
  expect(await readFile(keysFile(s.dataDir), 'utf8')).toBe(before);
  return refusal;
}

/** A keyring whose revision and integrity tag attack() sets when they are left out. */
type Draft = Omit<Keyring, 'revision' | 'integrity'> & Partial<Pick<Keyring, 'revision' | 'integrity'>>;

/** Drops `revision` and `integrity` so attack() sets the next ones. */
function unsealed(keyring: Keyring): Draft {
  const { revision: _revision, integrity: _integrity, ...rest } = keyring;
  return rest;
}

const setRole = (keyring: Keyring, operatorId: string, change: Partial<Keyring['operators'][number]>): Keyring['operators'] =>
  keyring.operators.map((o) => (o.operatorId === operatorId ? { ...o, ...change } : o));

describe('vault.updateKeyring from a clinician: only their own passphrase slot', () => {
  it('refuses a clinician raising their own role to administrator, with or without a new slot of theirs', async () => {
    const s = await fourOperators();
    const slot = await cleoSlot(s);
    expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), operators: setRole(k, s.cleo, { role: 'admin' }) }))).toMatchObject({ code: 'E_FORBIDDEN' });
    expect(await attack(s, CLEO, (k) => unsealed({ ...k, operators: setRole(k, s.cleo, { role: 'admin' }) }))).toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it("refuses a clinician changing another operator's role, status or name", async () => {
    const s = await fourOperators();
    const slot = await cleoSlot(s);
    for (const [who, change] of [
      [s.rita, { role: 'admin' }],
      [s.ada, { role: 'clinician' }],
      [s.ada, { disabled: true }],
      [s.ada, { name: 'Ada (left)' }],
      [s.aude, { disabled: true }],
    ] as const) {
      // Ada demoted or disabled also leaves no administrator (E_BAD_REQUEST, checked first).
      expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), operators: setRole(k, who, change) }))).toMatchObject({ code: who === s.ada && !('name' in change) ? 'E_BAD_REQUEST' : 'E_FORBIDDEN' });
    }
  });

  it('refuses a clinician adding an operator (an administrator of their own)', async () => {
    const s = await fourOperators();
    const mallory = toBase64Url(randomBytes(16));
    const slot = await createPassphraseSlot({ master: s.vault.master, operatorId: mallory, passphrase: 'Mallory, long enough', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    expect(await attack(s, CLEO, (k) => unsealed({ ...k, operators: [...k.operators, { operatorId: mallory, name: 'Mallory', role: 'admin', disabled: false }], slots: [...k.slots, slot] }))).toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it('refuses a clinician adding key slots: a second passphrase slot or a keychain slot of their own, a slot for another operator', async () => {
    const s = await fourOperators();
    const extra = await cleoSlot(s);
    const second = await attack(s, CLEO, (k) => unsealed({ ...k, slots: [...k.slots, extra] }));
    expect(second).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/exactly one passphrase slot/) });
    const slot = await cleoSlot(s);
    const keychainSlot = await createKeychainSlot({ master: s.vault.master, operatorId: s.cleo, kek: randomBytes(32), signingKey: await generateOperatorSigningKey() });
    expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), slots: [...withCleoSlot(s, k, slot).slots, keychainSlot] }))).toMatchObject({ code: 'E_FORBIDDEN' });
    // A master slot for the researcher (roles are keys), and a second slot for the administrator.
    const forRita = await createPassphraseSlot({ master: s.vault.master, operatorId: s.rita, passphrase: 'Rita, a master slot', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    const forAda = await createPassphraseSlot({ master: s.vault.master, operatorId: s.ada, passphrase: 'Ada, a slot Cleo knows', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    for (const added of [forRita, forAda]) {
      expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), slots: [...withCleoSlot(s, k, slot).slots, added] }))).toMatchObject({ code: 'E_FORBIDDEN' });
    }
  });

  it("refuses a clinician replacing or removing the administrator's slot or wrapped key, or the recovery slot", async () => {
    const s = await fourOperators();
    const slot = await cleoSlot(s);
    const adaKey = await generateOperatorSigningKey();
    const adaStored = (await call(s.b, 'vault.keyring', {})).keyring!.slots.find((x) => x.operatorId === s.ada)!;
    // Ada's slot re-made under a passphrase Cleo chose (same id), or only its wrapped key swapped for Cleo's.
    const replaced = await createPassphraseSlot({ id: adaStored.id, master: s.vault.master, operatorId: s.ada, passphrase: 'Ada, now known to Cleo', testOnlyIterations: 1, signingKey: adaKey });
    const swapped = { ...adaStored, wrapped: slot.wrapped } as KeySlot;
    for (const other of [replaced, swapped]) {
      expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), slots: withCleoSlot(s, k, slot).slots.map((x) => (x.id === adaStored.id ? other : x)) }))).toMatchObject({ code: 'E_FORBIDDEN' });
    }
    const without = (kind: string, operatorId: string) => (k: Keyring) => unsealed({ ...withCleoSlot(s, k, slot), slots: withCleoSlot(s, k, slot).slots.filter((x) => !(x.kind === kind && x.operatorId === operatorId)) });
    expect(await attack(s, CLEO, without('passphrase', s.ada))).toMatchObject({ code: expect.stringMatching(/E_FORBIDDEN|E_BAD_REQUEST/) });
    expect(await attack(s, CLEO, without('recovery', 'recovery'))).toMatchObject({ code: expect.stringMatching(/E_FORBIDDEN|E_BAD_REQUEST/) });
    expect(await attack(s, CLEO, without('passphrase', s.rita))).toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it('refuses a clinician changing the intake public key, the vault id, the creation time, the format, or skipping a revision', async () => {
    const s = await fourOperators();
    const slot = await cleoSlot(s);
    const intake = toBase64Url(new Uint8Array([4, ...randomBytes(64)]));
    expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), intakePublicKey: intake }))).toMatchObject({ code: 'E_CONFLICT' });
    expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), vaultId: 'another_vault_01' }))).toMatchObject({ code: 'E_CONFLICT' });
    expect(await attack(s, CLEO, (k) => unsealed({ ...withCleoSlot(s, k, slot), createdAt: '2020-01-01T00:00:00.000Z' }))).toMatchObject({ code: 'E_FORBIDDEN' });
    expect(await attack(s, CLEO, (k) => ({ ...withCleoSlot(s, k, slot), revision: k.revision + 2, integrity: newTag() }))).toMatchObject({ code: 'E_CONFLICT' });
    const format = await refused(
      (async () => {
        const k = (await call(s.b, 'vault.keyring', {})).keyring!;
        return callAs(s.b, CLEO, 'vault.updateKeyring', { keyring: { ...withCleoSlot(s, k, slot), version: 2, revision: k.revision + 1, integrity: newTag() } as unknown as Keyring, expectedRevision: k.revision });
      })(),
    );
    expect(format.code).toBe('E_BAD_REQUEST');
  });

  it('refuses reordered or duplicated operators and slots, and case variants of an id', async () => {
    const s = await fourOperators();
    const slot = await cleoSlot(s);
    const upper = (id: string) => (id.toUpperCase() === id ? id.toLowerCase() : id.toUpperCase());
    const cases: ((k: Keyring) => Draft)[] = [
      // The same operators in another order (the body compares, it does not interpret order).
      (k) => unsealed({ ...withCleoSlot(s, k, slot), operators: [...k.operators].reverse() }),
      (k) => unsealed({ ...withCleoSlot(s, k, slot), slots: [...withCleoSlot(s, k, slot).slots].reverse().filter((x) => x !== slot).concat(slot) }),
      // Cleo twice, the second time as administrator.
      (k) => unsealed({ ...withCleoSlot(s, k, slot), operators: [...k.operators, { operatorId: s.cleo, name: 'Cleo Clinician', role: 'admin', disabled: false }] }),
      // A case variant of Cleo's id as an administrator holding Cleo's new slot.
      (k) => unsealed({ ...k, operators: [...k.operators, { operatorId: upper(s.cleo), name: 'Cleo Clinician', role: 'admin', disabled: false }], slots: [...k.slots, { ...slot, operatorId: upper(s.cleo) }] }),
      // Cleo's new slot filed under a case variant of the administrator's id.
      (k) => unsealed({ ...withCleoSlot(s, k, slot), slots: [...k.slots, { ...slot, operatorId: upper(s.ada) }] }),
    ];
    for (const edit of cases) expect(await attack(s, CLEO, edit)).toMatchObject({ code: expect.stringMatching(/E_FORBIDDEN|E_BAD_REQUEST/) });
  });

  it("refuses a clinician's new slot under the id of the administrator's or the recovery slot: the administrator and the recovery holder could no longer sign in", async () => {
    const s = await fourOperators();
    const stored = (await call(s.b, 'vault.keyring', {})).keyring!;
    for (const target of [stored.slots.find((x) => x.operatorId === s.ada)!, stored.slots.find((x) => x.kind === 'recovery')!]) {
      const slot = await cleoSlot(s, { id: target.id });
      // First in the list, where a lookup by slot id finds it before the target.
      const refusal = await attack(s, CLEO, (k) => unsealed({ ...k, slots: [slot, ...k.slots.filter((x) => !(x.kind === 'passphrase' && x.operatorId === s.cleo))] }));
      expect(refusal).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/duplicate slot id/) });
    }
    // The administrator still signs in afterwards.
    await signIn((method, payload) => callAs(s.b, ADA2, method, payload as never), s.ada, s.vault.signingKeys.passphrase);
    expect((await callAs(s.b, ADA2, 'vault.session', {})).session).toMatchObject({ operatorId: s.ada, role: 'admin' });
  });

  it("refuses a clinician's own slot re-made in the legacy format 1 (no signing key: its first unlock would let anyone re-make it)", async () => {
    const s = await fourOperators();
    const legacy = await createPassphraseSlot({ master: s.vault.master, operatorId: s.cleo, passphrase: 'Cleo, a new long passphrase', testOnlyIterations: 1 });
    const refusal = { code: 'E_BAD_REQUEST', message: expect.stringMatching(/format 1/) };
    expect(await attack(s, CLEO, (k) => unsealed(withCleoSlot(s, k, legacy)))).toMatchObject(refusal);
    // Nor from an administrator: the mind makes none any more.
    expect(await attack(s, null, (k) => unsealed(withCleoSlot(s, k, legacy)))).toMatchObject(refusal);
  });

  it('refuses a clinician replaying an older keyring, with its stale revision or as the next one', async () => {
    const s = await fourOperators();
    const old = (await call(s.b, 'vault.keyring', {})).keyring!;
    // The administrator disables the researcher; Cleo tries to put the keyring from before back.
    const disabled: Keyring = { ...old, revision: old.revision + 1, operators: setRole(old, s.rita, { disabled: true }), integrity: newTag() };
    await call(s.b, 'vault.updateKeyring', { keyring: disabled, expectedRevision: old.revision });
    const slot = await cleoSlot(s);
    const before = await readFile(keysFile(s.dataDir), 'utf8');
    const stale = await refused(callAs(s.b, CLEO, 'vault.updateKeyring', { keyring: { ...withCleoSlot(s, old, slot), revision: old.revision + 1, integrity: newTag() }, expectedRevision: old.revision }));
    expect(stale.code).toBe('E_CONFLICT');
    expect(await attack(s, CLEO, () => unsealed(withCleoSlot(s, old, slot)))).toMatchObject({ code: 'E_FORBIDDEN' });
    expect(await readFile(keysFile(s.dataDir), 'utf8')).toBe(before);
  });

  it('still lets a clinician change their own passphrase (their own slot only), and keeps their session', async () => {
    const s = await fourOperators();
    const keyring = (await callAs(s.b, CLEO, 'vault.keyring', {})).keyring!;
    const slot = await cleoSlot(s);
    const next: Keyring = { ...withCleoSlot(s, keyring, slot), revision: keyring.revision + 1, integrity: newTag() };
    await expect(callAs(s.b, CLEO, 'vault.updateKeyring', { keyring: next, expectedRevision: keyring.revision })).resolves.toEqual({ revision: next.revision });
    expect((await call(s.b, 'vault.keyring', {})).keyring!.slots.filter((x) => x.operatorId === s.cleo)).toEqual([slot]);
    expect((await callAs(s.b, CLEO, 'vault.session', {})).session).toMatchObject({ operatorId: s.cleo, role: 'clinician' });
  });
});

describe('vault.updateKeyring from a researcher or an auditor: a role slot cannot re-seal anything', () => {
  it('refuses their own role raised, another operator changed, a master slot of their own added', async () => {
    const s = await fourOperators();
    for (const [context, self] of [
      [RITA, s.rita],
      [AUDE, s.aude],
    ] as const) {
      const master = await createPassphraseSlot({ master: s.vault.master, operatorId: self, passphrase: 'A master slot, long enough', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
      const edits: ((k: Keyring) => Draft)[] = [
        (k) => unsealed({ ...k, operators: setRole(k, self, { role: 'admin' }) }),
        (k) => unsealed({ ...k, operators: setRole(k, s.ada, { name: 'Ada (left)' }) }),
        (k) => unsealed({ ...k, operators: setRole(k, self, { role: 'clinician' }), slots: [...k.slots.filter((x) => x.operatorId !== self), master] }),
        (k) => unsealed({ ...k, slots: [...k.slots.filter((x) => x.operatorId !== self), master] }),
      ];
      for (const edit of edits) expect(await attack(s, context, edit)).toMatchObject({ code: 'E_FORBIDDEN' });
    }
  });
});

describe('vault.updateKeyring from an administrator: the vault keeps an administrator', () => {
  it('refuses the last administrator demoted, disabled, removed or left without a passphrase slot; allows it once another administrator exists', async () => {
    const s = await fourOperators();
    const edits: ((k: Keyring) => Draft)[] = [
      (k) => unsealed({ ...k, operators: setRole(k, s.ada, { role: 'clinician' }) }),
      (k) => unsealed({ ...k, operators: setRole(k, s.ada, { disabled: true }) }),
      (k) => unsealed({ ...k, operators: k.operators.filter((o) => o.operatorId !== s.ada), slots: k.slots.filter((x) => x.operatorId !== s.ada) }),
      (k) => unsealed({ ...k, slots: k.slots.filter((x) => !(x.kind === 'passphrase' && x.operatorId === s.ada)) }),
      // Cleo made administrator in the same change, but disabled.
      (k) => unsealed({ ...k, operators: k.operators.map((o) => (o.operatorId === s.ada ? { ...o, role: 'clinician' as const } : o.operatorId === s.cleo ? { ...o, role: 'admin' as const, disabled: true } : o)) }),
      (k) => unsealed({ ...k, slots: k.slots.filter((x) => x.kind !== 'recovery') }),
    ];
    for (const edit of edits) expect(await attack(s, null, edit)).toMatchObject({ code: 'E_BAD_REQUEST' });
    // With Cleo an administrator too, Ada may step down.
    const k = (await call(s.b, 'vault.keyring', {})).keyring!;
    const two: Keyring = { ...k, revision: k.revision + 1, operators: setRole(k, s.cleo, { role: 'admin' }), integrity: newTag() };
    await call(s.b, 'vault.updateKeyring', { keyring: two, expectedRevision: k.revision });
    const down: Keyring = { ...two, revision: two.revision + 1, operators: setRole(two, s.ada, { role: 'clinician' }), integrity: newTag() };
    await expect(call(s.b, 'vault.updateKeyring', { keyring: down, expectedRevision: two.revision })).resolves.toEqual({ revision: down.revision });
  });

  it("refuses an operator whose id is the recovery holder's: that operator would sign in as an administrator", async () => {
    const s = await fourOperators();
    const slot = await createPassphraseSlot({ master: s.vault.master, operatorId: 'recovery', passphrase: 'Not the recovery key', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    const refusal = await attack(s, null, (k) => unsealed({ ...k, operators: [...k.operators, { operatorId: 'recovery', name: 'Rex Clinician', role: 'clinician', disabled: false }], slots: [...k.slots, slot] }));
    expect(refusal).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/recovery key holder/) });
  });

  it('refuses an administrator replaying a keyring with a stale expected revision', async () => {
    const s = await fourOperators();
    const old = (await call(s.b, 'vault.keyring', {})).keyring!;
    const first: Keyring = { ...old, revision: old.revision + 1, operators: setRole(old, s.rita, { disabled: true }), integrity: newTag() };
    await call(s.b, 'vault.updateKeyring', { keyring: first, expectedRevision: old.revision });
    const before = await readFile(keysFile(s.dataDir), 'utf8');
    const replay = await refused(call(s.b, 'vault.updateKeyring', { keyring: { ...old, revision: old.revision + 1, integrity: newTag() }, expectedRevision: old.revision }));
    expect(replay.code).toBe('E_CONFLICT');
    expect(await readFile(keysFile(s.dataDir), 'utf8')).toBe(before);
  });
});
