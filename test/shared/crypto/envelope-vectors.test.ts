import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/crypto/bytes';
import { createOpener, createSealer, openWithDataKey } from '../../../shared/crypto/envelope';
import { ENVELOPE_KINDS, sealedLength } from '../../../shared/crypto/envelope-format';
import { importP256PrivateScalar } from '../../../shared/crypto/p256-keys';
import { canonicalChunks, referenceEnvelope } from './reference-envelope';
import { envelopeVectors, streamedHex, vectorSealerOptions } from './vectors/envelope-vector-support';

const vectors = envelopeVectors;

describe('sealed envelope v1 test vectors', () => {
  it('has vectors for the edge cases of the chunking rule', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(6);
    for (const vector of vectors) {
      expect(vector.envelope.length / 2).toBe(sealedLength(vector.plaintext.length / 2, vector.chunkSize));
    }
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('seals to the committed bytes: %s', async (_name, vector) => {
    const intake = await importP256PrivateScalar(fromHex(vector.intakePrivateScalar));
    expect(toHex(intake.publicKeyRaw)).toBe(vector.intakePublicKey);
    const sealer = await createSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
    expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('streams to the committed bytes: %s', async (_name, vector) => {
    const sealer = await createSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
    expect(await streamedHex(sealer, vector)).toBe(vector.envelope);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('opens the committed bytes: %s', async (_name, vector) => {
    const intake = await importP256PrivateScalar(fromHex(vector.intakePrivateScalar));
    const opened = await createOpener(intake.privateKey).open(fromHex(vector.envelope));
    expect(opened.kind).toBe(vector.kind);
    expect(toHex(opened.plaintext)).toBe(vector.plaintext);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))(
    'matches an independent node:crypto implementation of the construction: %s',
    (_name, vector) => {
      const random = Buffer.from(vector.random, 'hex');
      const envelope = referenceEnvelope({
        kind: ENVELOPE_KINDS[vector.kind],
        chunkSize: vector.chunkSize,
        intakePublicKey: Buffer.from(vector.intakePublicKey, 'hex'),
        ephemeralPrivateScalar: Buffer.from(vector.ephemeralPrivateScalar, 'hex'),
        salt: random.subarray(0, 16),
        dataKey: random.subarray(16, 48),
        noncePrefix: random.subarray(48, 55),
        chunks: canonicalChunks(Buffer.from(vector.plaintext, 'hex'), vector.chunkSize),
      });
      expect(envelope.toString('hex')).toBe(vector.envelope);
    },
  );

  it('opens a vector with its exported data key alone', async () => {
    const vector = vectors[3]!;
    const intake = await importP256PrivateScalar(fromHex(vector.intakePrivateScalar));
    const envelope = fromHex(vector.envelope);
    const dataKey = await createOpener(intake.privateKey).exportDataKey(envelope.subarray(0, 140));
    expect(toHex(dataKey)).toBe(vector.random.slice(32, 96));
    expect(toHex((await openWithDataKey(dataKey, envelope)).plaintext)).toBe(vector.plaintext);
  });
});
