import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOpener, createSealer, envelopeRangeReader, type Opener, type Sealer } from '../../../shared/crypto/envelope';
import { EnvelopeError } from '../../../shared/crypto/envelope-format';
import { generateP256KeyPair } from '../../../shared/crypto/p256-keys';
import { pattern } from '../../support/byte-fixtures';

const CHUNK = 1024;
const HEADER = 140;
const SEALED_CHUNK = CHUNK + 16;

let sealer: Sealer;
let opener: Opener;

beforeAll(async () => {
  const intake = await generateP256KeyPair();
  sealer = await createSealer(intake.publicKey, { chunkSize: CHUNK });
  opener = createOpener(intake.privateKey);
});

/** A range reader over `envelope` held in memory, counting the sealed bytes it was asked for. */
async function readerOver(envelope: Uint8Array, size = envelope.length) {
  const asked: { offset: number; length: number }[] = [];
  const dataKey = await opener.unwrapDataKey(envelope);
  const reader = envelopeRangeReader(envelope.subarray(0, HEADER), size, dataKey, (offset, length) => {
    asked.push({ offset, length });
    return Promise.resolve(envelope.slice(offset, offset + length));
  });
  return { reader, asked };
}

async function expectEnvelopeError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

describe('envelopeRangeReader', () => {
  it('returns exactly the plaintext of any range, across chunk boundaries and at the end', async () => {
    const plaintext = pattern(10 * CHUNK + 321);
    const { reader } = await readerOver(await sealer.seal('object', plaintext));
    expect(reader.plaintextLength).toBe(plaintext.length);
    await fc.assert(
      fc.asyncProperty(fc.nat(plaintext.length + 50), fc.nat(3 * CHUNK), async (offset, length) => {
        const got = await reader.read(offset, length);
        expect(got).toEqual(plaintext.subarray(Math.min(offset, plaintext.length), Math.min(plaintext.length, offset + length)));
      }),
      { numRuns: 60 },
    );
  });

  it('reads only the sealed chunks the range lies in', async () => {
    const plaintext = pattern(20 * CHUNK);
    const { reader, asked } = await readerOver(await sealer.seal('object', plaintext));
    await reader.read(5 * CHUNK + 10, 2 * CHUNK);
    expect(asked).toEqual([{ offset: HEADER + 5 * SEALED_CHUNK, length: 3 * SEALED_CHUNK }]);
  });

  it('knows the plaintext length of an exact multiple of the chunk size and of an empty envelope', async () => {
    for (const length of [0, CHUNK, 4 * CHUNK, 4 * CHUNK + 1]) {
      const { reader } = await readerOver(await sealer.seal('object', pattern(length)));
      expect(reader.plaintextLength).toBe(length);
      expect(await reader.read(0, length + 10)).toEqual(pattern(length));
    }
  });

  it('refuses a changed chunk, chunks swapped, and an envelope cut at a chunk boundary', async () => {
    const envelope = await sealer.seal('object', pattern(6 * CHUNK + 7));
    const flipped = envelope.slice();
    flipped[HEADER + 2 * SEALED_CHUNK + 5]! ^= 1;
    await expectEnvelopeError((await readerOver(flipped)).reader.read(2 * CHUNK, 10), 'E_ENVELOPE_AUTH');
    // Untouched chunks of that envelope still read.
    expect(await (await readerOver(flipped)).reader.read(0, 10)).toEqual(pattern(6 * CHUNK + 7).subarray(0, 10));

    const swapped = envelope.slice();
    swapped.set(envelope.subarray(HEADER + SEALED_CHUNK, HEADER + 2 * SEALED_CHUNK), HEADER);
    swapped.set(envelope.subarray(HEADER, HEADER + SEALED_CHUNK), HEADER + SEALED_CHUNK);
    await expectEnvelopeError((await readerOver(swapped)).reader.read(0, 10), 'E_ENVELOPE_AUTH');

    // Cut after chunk 3: chunk 3 was not sealed as the last one.
    const cut = envelope.slice(0, HEADER + 4 * SEALED_CHUNK);
    await expectEnvelopeError((await readerOver(cut)).reader.read(3 * CHUNK, 10), 'E_ENVELOPE_TRUNCATED');
  });

  it('refuses a header that is changed, a deflated envelope, and sizes that cannot be an envelope', async () => {
    const envelope = await sealer.seal('object', pattern(3 * CHUNK));
    const dataKey = await opener.unwrapDataKey(envelope);
    const header = envelope.slice(0, HEADER);
    header[77]! ^= 1; // the salt: part of every chunk's associated data
    const reader = envelopeRangeReader(header, envelope.length, dataKey, (offset, length) => Promise.resolve(envelope.slice(offset, offset + length)));
    await expectEnvelopeError(reader.read(0, 1), 'E_ENVELOPE_AUTH');

    const deflated = await sealer.seal('object', new TextEncoder().encode('MSH|^~\\&|'.repeat(20)), { compress: 'plain' });
    expect(() => envelopeRangeReader(deflated, deflated.length, dataKey, () => Promise.resolve(new Uint8Array()))).toThrow(/compressed/);
    expect(() => envelopeRangeReader(envelope, HEADER + 10, dataKey, () => Promise.resolve(new Uint8Array()))).toThrow(EnvelopeError);
    expect(() => envelopeRangeReader(envelope, HEADER + SEALED_CHUNK + 3, dataKey, () => Promise.resolve(new Uint8Array()))).toThrow(/shorter than an authentication tag/);
  });

  it('reports a source that returns fewer bytes than it has', async () => {
    const envelope = await sealer.seal('object', pattern(3 * CHUNK));
    const dataKey = await opener.unwrapDataKey(envelope);
    const reader = envelopeRangeReader(envelope, envelope.length, dataKey, (offset, length) => Promise.resolve(envelope.slice(offset, offset + length - 1)));
    await expectEnvelopeError(reader.read(0, 10), 'E_ENVELOPE_TRUNCATED');
    await expect(reader.read(-1, 2)).rejects.toThrow(RangeError);
  });
});
