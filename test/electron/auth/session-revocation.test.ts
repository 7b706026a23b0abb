import { describe, expect, it } from 'vitest';
import type { Body } from '../../../electron/body';
import { OperatorSessions, RECOVERY_PRINCIPAL } from '../../../electron/auth/operator-sessions';
import { randomBytes, toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot, createRecoverySlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, signSessionProof } from '../../../shared/crypto/operator-signing';
import { generateRecoveryKey } from '../../../shared/crypto/recovery-key';
import type { Keyring } from '../../../shared/ipc';
import { SessionAuditMetaSchema } from '../../../shared/journal/audit-meta';
import { AUDIT_KINDS } from '../../../shared/journal/journal-kinds';
import { openJson } from '../../../shared/journal/sealed-json';
import { buildTestKeyring, signIn, type TestVault } from '../../support/vault-keyring';
import { CLEO, callAs, refused, useAdaAndCleo } from '../vault/two-operators';
import { call, callContext, heard, payloadsOf, readJournal } from '../vault/vault-test-support';

/**
 * A keyring change that disables, removes or re-roles a signed-in operator ended their session by
 * deleting it from the body's map: nothing was journaled (the audit trail missed it), the idle lock
 * was not told, and the operator's window was not told either: it kept showing an unlocked vault
 * until its next call failed with "The vault is locked". The session now ends as any other does,
 * journaled (`revoked`, with its cause) and announced (vault.sessionsEnded).
 */

const start = useAdaAndCleo();

/** The next revision of the stored keyring, changed by `change`, under a fresh tag. */
async function changed(b: Body, change: (keyring: Keyring) => Partial<Keyring>): Promise<{ keyring: Keyring; expectedRevision: number }> {
  const keyring = (await call(b, 'vault.keyring', {})).keyring!;
  return { keyring: { ...keyring, ...change(keyring), revision: keyring.revision + 1, integrity: toBase64Url(randomBytes(32)) }, expectedRevision: keyring.revision };
}

/** The audit.session records that say a session was ended by a keyring change (read on the admin's session). */
async function revoked(b: Body, vault: TestVault) {
  const records = (await readJournal(b)).filter((record) => record.kind === AUDIT_KINDS.session);
  const metas = await Promise.all(records.map(async (record) => SessionAuditMetaSchema.parse(await openJson(vault.opener, record.meta!))));
  return metas.filter((meta) => meta.event === 'revoked');
}

async function sessionOf(b: Body, connection: typeof CLEO | typeof callContext) {
  return (await callAs(b, connection, 'vault.session', {})).session;
}

describe('body: a keyring change ends the sessions it takes away, journaled and announced', () => {
  it('an administrator disables a signed-in clinician: her session ends, journaled as disabled, her window is told; the administrator stays signed in', async () => {
    const { b, vault, cleo } = await start();
    const events = heard(b);
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ operators: k.operators.map((o) => (o.operatorId === cleo ? { ...o, disabled: true } : o)) })));

    expect(await sessionOf(b, CLEO)).toBeNull();
    await expect(refused(callAs(b, CLEO, 'journal.read', { after: 0, limit: 1 }))).resolves.toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringMatching(/locked/) });
    // Every window hears it; each asks whether its own session is gone (the mind's closeIfEndedByBody).
    expect(payloadsOf(events, 'vault.sessionsEnded')).toEqual([{}]);
    expect(await sessionOf(b, callContext)).toMatchObject({ operatorId: vault.operatorId, role: 'admin' });
    // `by`: the administrator whose change it was, by account id as `operatorId` (the ledger signs its pseudonym).
    expect(await revoked(b, vault)).toEqual([expect.objectContaining({ event: 'revoked', cause: 'disabled', operatorId: cleo, role: 'clinician', slot: 'passphrase', by: vault.operatorId })]);
  });

  it('a revoked record journaled before `by` existed still parses', () => {
    const old = { v: 1, event: 'revoked', cause: 'disabled', operatorId: 'cleo', role: 'clinician', slot: 'passphrase', failedAttempts: 0, workstation: 'ws', at: '2026-12-07T20:00:00.000Z' };
    expect(SessionAuditMetaSchema.parse(old)).not.toHaveProperty('by');
  });

  it('removing a signed-in clinician, or giving her another role, ends her session with that cause', async () => {
    const { b, vault, cleo } = await start();
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ operators: k.operators.map((o) => (o.operatorId === cleo ? { ...o, role: 'admin' as const } : o)) })));
    expect(await sessionOf(b, CLEO)).toBeNull();
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ operators: k.operators.map((o) => (o.operatorId === cleo ? { ...o, role: 'clinician' as const } : o)) })));
    // Signed in again, then removed with her slot.
    const key = await generateOperatorSigningKey();
    const slot = await createPassphraseSlot({ master: vault.master, operatorId: cleo, passphrase: 'Cleo passphrase, another one', testOnlyIterations: 1, signingKey: key });
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ slots: [...k.slots.filter((s) => s.operatorId !== cleo), slot] })));
    await signIn((method, payload) => callAs(b, CLEO, method, payload as never), cleo, key);
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ operators: k.operators.filter((o) => o.operatorId !== cleo), slots: k.slots.filter((s) => s.operatorId !== cleo) })));
    expect(await sessionOf(b, CLEO)).toBeNull();
    expect((await revoked(b, vault)).map((meta) => [meta.cause, meta.operatorId, meta.role])).toEqual([
      ['roleChanged', cleo, 'clinician'],
      ['removed', cleo, 'clinician'],
    ]);
    expect(await sessionOf(b, callContext)).not.toBeNull();
  });

  it('a changed passphrase (the administrator\'s own, or a clinician\'s) ends no session and journals no end', async () => {
    const { b, vault, cleo } = await start();
    const events = heard(b);
    const adaSlot = await createPassphraseSlot({ master: vault.master, operatorId: vault.operatorId, passphrase: 'Ada, a new long passphrase', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ slots: [...k.slots.filter((s) => s.operatorId !== vault.operatorId), adaSlot] })));
    const cleoSlot = await createPassphraseSlot({ master: vault.master, operatorId: cleo, passphrase: 'Cleo, a new long passphrase', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    const keyring = (await callAs(b, CLEO, 'vault.keyring', {})).keyring!;
    await callAs(b, CLEO, 'vault.updateKeyring', { keyring: { ...keyring, revision: keyring.revision + 1, slots: [...keyring.slots.filter((s) => s.operatorId !== cleo), cleoSlot], integrity: toBase64Url(randomBytes(32)) }, expectedRevision: keyring.revision });
    expect(await sessionOf(b, callContext)).toMatchObject({ operatorId: vault.operatorId });
    expect(await sessionOf(b, CLEO)).toMatchObject({ operatorId: cleo });
    expect(payloadsOf(events, 'vault.sessionsEnded')).toEqual([]);
    expect(await revoked(b, vault)).toEqual([]);
  });

  it('a recovery session survives a new recovery key only while a recovery slot is left; the keyring keeps one, so it survives', async () => {
    const { b, vault } = await start();
    const RECOVERING = { transport: 'in-process', connectionId: 'recovering' } as const;
    await signIn((method, payload) => callAs(b, RECOVERING, method, payload as never), RECOVERY_PRINCIPAL, vault.signingKeys.recovery, 'recovery');
    const slot = await createRecoverySlot({ master: vault.master, operatorId: RECOVERY_PRINCIPAL, recoveryKey: generateRecoveryKey(), signingKey: await generateOperatorSigningKey() });
    await call(b, 'vault.updateKeyring', await changed(b, (k) => ({ slots: [...k.slots.filter((s) => s.kind !== 'recovery'), slot] })));
    expect(await sessionOf(b, RECOVERING)).toMatchObject({ operatorId: RECOVERY_PRINCIPAL });
    expect(await revoked(b, vault)).toEqual([]);
  });
});

describe('OperatorSessions.revalidate', () => {
  it('ends a session through end(): the end listeners hear why, the connection listeners (idle lock, exports, attempts) hear it too', async () => {
    const vault = await buildTestKeyring();
    const sessions = new OperatorSessions();
    const ends: [string, string][] = [];
    const connections: string[] = [];
    sessions.onEnd((session, reason) => ends.push([session.operatorId, reason]));
    sessions.onConnectionEnd((connectionId) => connections.push(connectionId));
    const slot = vault.keyring.slots.find((s) => s.kind === 'passphrase')!;
    const { attempt, challenge } = sessions.begin('ada', slot, vault.keyring);
    const signature = await signSessionProof(vault.signingKeys.passphrase, challenge, slot.id);
    expect(sessions.finish('ada', attempt, Buffer.from(signature), vault.keyring)).not.toBeNull();

    expect(sessions.revalidate(vault.keyring)).toEqual([]);
    expect([ends, connections]).toEqual([[], []]);
    const disabled: Keyring = { ...vault.keyring, operators: vault.keyring.operators.map((o) => ({ ...o, disabled: true })) };
    expect(sessions.revalidate(disabled)).toEqual([{ session: expect.objectContaining({ operatorId: vault.operatorId }), reason: 'disabled' }]);
    expect(sessions.get('ada')).toBeNull();
    expect(ends).toEqual([[vault.operatorId, 'disabled']]);
    expect(connections).toEqual(['ada']);
  });
});
