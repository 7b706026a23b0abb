import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/crypto/bytes';
import { createPassphraseSlot, createRecoverySlot, KeySlotError, openKeySlot, parseKeySlot } from '../../../shared/crypto/key-slots';
import { generateOperatorSigningKey, sessionProofMessage, signSessionProof } from '../../../shared/crypto/operator-signing';
import { generateMasterSecret } from '../../../shared/crypto/vault-keys';

/** The body's verification (electron/auth/operator-sessions.ts) in a few lines, against a raw point. */
function nodeVerifies(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const point = Buffer.from(publicKey);
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

describe('operator signing keys and format-2 key slots', () => {
  it('a WebCrypto proof verifies with node:crypto against the slot\'s public key, and only for its own challenge and slot', async () => {
    const key = await generateOperatorSigningKey();
    const challenge = new Uint8Array(32).fill(7);
    const signature = await signSessionProof(key, challenge, 'slot-a');
    expect(signature).toHaveLength(64);
    expect(nodeVerifies(key.publicKey, sessionProofMessage(challenge, 'slot-a'), signature)).toBe(true);
    expect(nodeVerifies(key.publicKey, sessionProofMessage(new Uint8Array(32).fill(8), 'slot-a'), signature)).toBe(false);
    expect(nodeVerifies(key.publicKey, sessionProofMessage(challenge, 'slot-b'), signature)).toBe(false);
    expect(nodeVerifies((await generateOperatorSigningKey()).publicKey, sessionProofMessage(challenge, 'slot-a'), signature)).toBe(false);
  });

  it('a format-2 slot gives back the master and the signing key it was made with', async () => {
    const master = generateMasterSecret();
    const signingKey = await generateOperatorSigningKey();
    const slot = await createPassphraseSlot({ master, operatorId: 'op', passphrase: 'pass phrase', testOnlyIterations: 1, signingKey });
    expect(slot).toMatchObject({ version: 2, publicKey: toBase64Url(signingKey.publicKey) });
    const opened = await openKeySlot(slot, 'pass phrase');
    expect(opened.master).toEqual(master);
    expect(opened.signingKey?.scalar).toEqual(signingKey.scalar);
    expect(opened.signingKey?.publicKey).toEqual(signingKey.publicKey);
  });

  it('the public key is bound to the slot: swapping in another key makes the slot not open', async () => {
    const master = generateMasterSecret();
    const slot = await createRecoverySlot({ master, operatorId: 'recovery', recoveryKey: new Uint8Array(32).fill(3), signingKey: await generateOperatorSigningKey() });
    const swapped = { ...slot, publicKey: toBase64Url((await generateOperatorSigningKey()).publicKey) };
    await expect(openKeySlot(swapped, new Uint8Array(32).fill(3))).rejects.toMatchObject({ code: 'E_WRONG_SECRET' });
  });

  it('refuses a format-2 slot without a public key and a format-1 slot with one', async () => {
    const master = generateMasterSecret();
    const modern = await createPassphraseSlot({ master, operatorId: 'op', passphrase: 'p', testOnlyIterations: 1, signingKey: await generateOperatorSigningKey() });
    const legacy = await createPassphraseSlot({ master, operatorId: 'op', passphrase: 'p', testOnlyIterations: 1 });
    const { publicKey: _dropped, ...noKey } = modern;
    expect(() => parseKeySlot(noKey)).toThrow(KeySlotError);
    expect(() => parseKeySlot({ ...legacy, publicKey: modern.publicKey })).toThrow(KeySlotError);
    expect(parseKeySlot(legacy)).toMatchObject({ version: 1 });
    expect((await openKeySlot(legacy, 'p')).signingKey).toBeNull();
  });
});
