import type * as nodeCrypto from 'node:crypto';
import type * as NodeSealerModule from '../../../electron/crypto/node-sealer';
import { createCipheriv, createECDH, createHash, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { aesKeyWrapComposed, checkIntakePublicKey, createBodySealer, createNodeSealer, nodeSealerSupport, type KeyWrapPath } from '../../../electron/crypto/node-sealer';
import { concatBytes, fromHex, toHex } from '../../../shared/crypto/bytes';
import { collectBytes, createOpener, toReadableStream, type Opener, type Sealer } from '../../../shared/crypto/envelope';
import { EnvelopeError, decodeEnvelopeHeader, sealedLength } from '../../../shared/crypto/envelope-format';
import { generateP256KeyPair, type P256KeyPair } from '../../../shared/crypto/p256-keys';
import type { EnvelopeVector } from '../../shared/crypto/vectors/generate-vectors';
import { pattern, replay, split } from '../../support/byte-fixtures';
import { envelopeVectors, streamedHex, vectorSealerOptions } from '../../shared/crypto/vectors/envelope-vector-support';

const vectors = envelopeVectors;

async function openBoth(opener: Opener, envelope: Uint8Array, pieceSize = 333): Promise<{ whole: Uint8Array; streamed: Uint8Array }> {
  const whole = (await opener.open(envelope)).plaintext;
  const pieces = split(envelope, Array.from({ length: Math.ceil(envelope.length / pieceSize) }, (_, i) => i * pieceSize));
  const streamed = await collectBytes((await opener.openStream(pieces)).plaintext);
  return { whole, streamed };
}

/** RFC 3394 §4.4–4.6: 256-bit KEK; 128-, 192- and 256-bit key data. */
const RFC3394_KEK = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F';
const RFC3394_VECTORS = [
  ['§4.4 (128-bit key data)', '00112233445566778899AABBCCDDEEFF', '64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7'],
  ['§4.5 (192-bit key data)', '00112233445566778899AABBCCDDEEFF0001020304050607', 'A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1'],
  ['§4.6 (256-bit key data)', '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21'],
] as const;

function cipherWrap(kek: Uint8Array, keyData: Uint8Array): string {
  const wrap = createCipheriv('id-aes256-wrap', kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  return Buffer.concat([wrap.update(keyData), wrap.final()]).toString('hex');
}

function vectorSealer(vector: EnvelopeVector, keyWrap?: KeyWrapPath): Promise<Sealer> {
  return createNodeSealer(fromHex(vector.intakePublicKey), { ...vectorSealerOptions(vector), ...(keyWrap === undefined ? {} : { keyWrap }) });
}

/** Loads a fresh node-sealer module against a node:crypto changed by `change` (undone afterwards). */
async function withCrypto<T>(
  change: (actual: typeof nodeCrypto) => Partial<typeof nodeCrypto>,
  run: (fresh: typeof NodeSealerModule) => Promise<T>,
): Promise<T> {
  vi.resetModules();
  vi.doMock('node:crypto', async (importOriginal) => {
    const actual = await importOriginal<typeof nodeCrypto>();
    return { ...actual, ...change(actual) };
  });
  try {
    return await run(await import('../../../electron/crypto/node-sealer'));
  } finally {
    vi.doUnmock('node:crypto');
    vi.resetModules();
  }
}

describe('RFC 3394 key wrap composed on AES-256-ECB', () => {
  it.each(RFC3394_VECTORS)('reproduces RFC 3394 %s', (_name, keyData, wrapped) => {
    expect(aesKeyWrapComposed(fromHex(RFC3394_KEK.toLowerCase()), fromHex(keyData.toLowerCase())).toString('hex')).toBe(wrapped.toLowerCase());
    // The OpenSSL cipher agrees (the reference where it exists).
    expect(cipherWrap(fromHex(RFC3394_KEK.toLowerCase()), fromHex(keyData.toLowerCase()))).toBe(wrapped.toLowerCase());
  });

  it('agrees with id-aes256-wrap on random KEKs and 256-bit keys', () => {
    for (let i = 0; i < 200; i++) {
      const kek = randomBytes(32);
      const keyData = randomBytes(32);
      expect(aesKeyWrapComposed(kek, keyData).toString('hex')).toBe(cipherWrap(kek, keyData));
    }
  });

  it('agrees with id-aes256-wrap on key data of other lengths (t above one byte included)', () => {
    for (const length of [16, 24, 40, 64, 520, 2048]) {
      const kek = randomBytes(32);
      const keyData = randomBytes(length);
      expect(aesKeyWrapComposed(kek, keyData).toString('hex')).toBe(cipherWrap(kek, keyData));
    }
  });

  it('leaves its inputs alone and refuses bad lengths', () => {
    const kek = fromHex(RFC3394_KEK.toLowerCase());
    const keyData = fromHex(RFC3394_VECTORS[2][1].toLowerCase());
    const [kekBefore, keyBefore] = [toHex(kek), toHex(keyData)];
    aesKeyWrapComposed(kek, keyData);
    expect([toHex(kek), toHex(keyData)]).toEqual([kekBefore, keyBefore]);
    expect(() => aesKeyWrapComposed(new Uint8Array(16), keyData)).toThrow(RangeError);
    expect(() => aesKeyWrapComposed(kek, new Uint8Array(8))).toThrow(RangeError);
    expect(() => aesKeyWrapComposed(kek, new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('node:crypto sealer, composed key wrap: the committed v1 vectors', () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))('seals to the committed bytes: %s', async (_name, vector) => {
    const sealer = await vectorSealer(vector, 'composed');
    expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('streams to the committed bytes: %s', async (_name, vector) => {
    const sealer = await vectorSealer(vector, 'composed');
    expect(await streamedHex(sealer, vector)).toBe(vector.envelope);
  });

  it('its envelopes open with the shared WebCrypto opener', async () => {
    const intake = await generateP256KeyPair();
    const opener = createOpener(intake.privateKey);
    const sealer = await createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024, keyWrap: 'composed' });
    for (const length of [0, 1, 1024, 3000]) {
      const plaintext = pattern(length, length + 7);
      const { whole, streamed } = await openBoth(opener, await sealer.seal('object', plaintext));
      expect(toHex(whole)).toBe(toHex(plaintext));
      expect(toHex(streamed)).toBe(toHex(plaintext));
    }
  });

  it('refuses an unknown key-wrap path', async () => {
    const intake = await generateP256KeyPair();
    await expect(createNodeSealer(intake.publicKeyRaw, { keyWrap: 'nope' as KeyWrapPath })).rejects.toThrow(TypeError);
  });
});

describe('checkIntakePublicKey (node:crypto ECDH, no WebCrypto)', () => {
  it('accepts a P-256 point and refuses what is not one', async () => {
    const intake = await generateP256KeyPair();
    expect(() => checkIntakePublicKey(intake.publicKeyRaw)).not.toThrow();
    const offCurve = intake.publicKeyRaw.slice();
    offCurve[64]! ^= 1;
    expect(() => checkIntakePublicKey(offCurve)).toThrow(/not a point on P-256/);
    expect(() => checkIntakePublicKey(intake.publicKeyRaw.subarray(0, 33))).toThrow(TypeError);
    const compressedPrefix = intake.publicKeyRaw.slice();
    compressedPrefix[0] = 0x02;
    expect(() => checkIntakePublicKey(compressedPrefix)).toThrow(TypeError);
    expect(() => checkIntakePublicKey(new Uint8Array(65).fill(0).fill(4, 0, 1))).toThrow(/not a point on P-256/);
  });
});

describe('node:crypto sealer: the committed v1 vectors', () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))('seals to the committed bytes: %s', async (_name, vector) => {
    const sealer = await createNodeSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
    expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('streams to the committed bytes: %s', async (_name, vector) => {
    const sealer = await createNodeSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
    expect(await streamedHex(sealer, vector)).toBe(vector.envelope);
  });

  it('writes the deterministic ephemeral public key into the header and exposes it', async () => {
    const vector = vectors[0]!;
    const sealer = await createNodeSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
    expect(toHex(sealer.ephemeralPublicKey)).toBe(vector.envelope.slice(24, 24 + 130));
    expect(sealer.chunkSize).toBe(vector.chunkSize);
  });
});

describe('node:crypto sealer: opens with the shared WebCrypto opener', () => {
  let intake: P256KeyPair;
  let opener: Opener;
  let sealer: Sealer;
  beforeAll(async () => {
    intake = await generateP256KeyPair();
    opener = createOpener(intake.privateKey);
    sealer = await createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024 });
  });

  it('seal(): every chunking edge opens with open() and openStream()', async () => {
    for (const length of [0, 1, 1023, 1024, 1025, 2048, 3000, 17 * 1024 + 5]) {
      const plaintext = pattern(length, length + 1);
      const envelope = await sealer.seal('object', plaintext);
      expect(envelope.length).toBe(sealedLength(length, 1024));
      expect(envelope).toBeInstanceOf(Uint8Array);
      const { whole, streamed } = await openBoth(opener, envelope);
      expect(toHex(whole)).toBe(toHex(plaintext));
      expect(toHex(streamed)).toBe(toHex(plaintext));
    }
  });

  it('seal() writes into `output` when it has room (a view of it comes back), and allocates when it has not', async () => {
    const plaintext = pattern(3000, 5);
    const room = new Uint8Array(sealedLength(3000, 1024) + 100).fill(0xee);
    const into = await sealer.seal('object', plaintext, { output: room });
    expect(into.buffer).toBe(room.buffer);
    expect(into.byteOffset).toBe(0);
    expect(into.length).toBe(sealedLength(3000, 1024));
    expect(room[into.length]).toBe(0xee); // nothing written past the envelope
    expect(toHex((await opener.open(into)).plaintext)).toBe(toHex(plaintext));
    // Used again (a recycled buffer): the new envelope overwrites the old one and opens to its own plaintext.
    const other = pattern(2000, 77);
    const again = await sealer.seal('object', other, { output: room });
    expect(again.buffer).toBe(room.buffer);
    expect(toHex((await opener.open(again)).plaintext)).toBe(toHex(other));
    const tooSmall = new Uint8Array(sealedLength(3000, 1024) - 1);
    const fresh = await sealer.seal('object', plaintext, { output: tooSmall });
    expect(fresh.buffer).not.toBe(tooSmall.buffer);
    expect(tooSmall.every((byte) => byte === 0)).toBe(true);
    expect(toHex((await opener.open(fresh)).plaintext)).toBe(toHex(plaintext));
  });

  it('keeps the kind, and every envelope has its own salt, data key and nonce prefix', async () => {
    const plaintext = pattern(100);
    const a = await sealer.seal('journalMetadata', plaintext);
    const b = await sealer.seal('journalMetadata', plaintext);
    expect((await opener.open(a)).kind).toBe('journalMetadata');
    expect((await opener.open(await sealer.seal('backup', plaintext))).kind).toBe('backup');
    const [ha, hb] = [decodeEnvelopeHeader(a), decodeEnvelopeHeader(b)];
    expect(toHex(ha.ephemeralPublicKey)).toBe(toHex(hb.ephemeralPublicKey));
    expect(toHex(ha.ephemeralPublicKey)).toBe(toHex(sealer.ephemeralPublicKey));
    expect(toHex(ha.salt)).not.toBe(toHex(hb.salt));
    expect(toHex(ha.noncePrefix)).not.toBe(toHex(hb.noncePrefix));
    expect(toHex(ha.wrappedKey)).not.toBe(toHex(hb.wrappedKey));
    // A data key exported by the opener is the one that sealed it, and opens only its own envelope.
    const keyA = await opener.exportDataKey(a.subarray(0, 140));
    const keyB = await opener.exportDataKey(b.subarray(0, 140));
    expect(toHex(keyA)).not.toBe(toHex(keyB));
  });

  it('each Sealer has its own ephemeral key', async () => {
    const other = await createNodeSealer(intake.publicKeyRaw);
    expect(toHex(other.ephemeralPublicKey)).not.toBe(toHex(sealer.ephemeralPublicKey));
    expect(other.chunkSize).toBe(64 * 1024);
  });

  it('tampering is detected by the opener (header, chunk, truncation)', async () => {
    const envelope = await sealer.seal('object', pattern(2500));
    const flipped = envelope.slice();
    flipped[200]! ^= 1;
    await expect(opener.open(flipped)).rejects.toBeInstanceOf(EnvelopeError);
    const header = envelope.slice();
    header[80]! ^= 1; // the salt: the KEK changes, the data key does not unwrap
    await expect(opener.open(header)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
    await expect(opener.open(envelope.subarray(0, 140 + 1040))).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('sealStream() takes every kind of byte source', async () => {
    const plaintext = pattern(5000, 9);
    const pieces = split(plaintext, [1, 700, 1024, 1025, 4000]);
    async function* asyncPieces(): AsyncGenerator<Uint8Array> {
      for (const piece of pieces) yield piece;
    }
    const sources = [plaintext, pieces, asyncPieces(), toReadableStream(asyncPieces())];
    for (const source of sources) {
      const envelope = await collectBytes(sealer.sealStream('object', source));
      expect(envelope.length).toBe(sealedLength(plaintext.length, 1024));
      const { whole, streamed } = await openBoth(opener, envelope);
      expect(toHex(whole)).toBe(toHex(plaintext));
      expect(toHex(streamed)).toBe(toHex(plaintext));
    }
  });

  it('compressed payloads on both sides of the 8 KiB-window limit open, and a repeat 8,000 bytes back is still found', async () => {
    // Under the limit the sealer deflates with an 8 KiB window (cheaper per call); over it with the
    // default 32 KiB one, so a match further back than 8 KiB must still shrink the payload.
    const small = new TextEncoder().encode(`MSH|^~\\&|LAB|HOSP|HDMS|HDMS|20260101||ORU^R01|C1|P|2.5\rPID|1||MRN1^^^HOSP^MR||Doe^Jane\r${'OBX|1|NM|8480-6^SBP^LN||120|mm[Hg]|||||F\r'.repeat(40)}`);
    const random = randomBytes(8000);
    const repeatedFarBack = concatBytes(random, random);
    for (const [plaintext, compress] of [[small, 'hl7v2'], [new TextEncoder().encode(Array.from({ length: 800 }, (_, i) => `row ${i % 97};`).join('').slice(0, 7000)), 'plain'], [repeatedFarBack, 'plain']] as const) {
      const envelope = await sealer.seal('object', plaintext, { compress });
      const header = decodeEnvelopeHeader(envelope);
      expect(header.deflate?.plaintextLength).toBe(plaintext.length);
      expect(toHex((await opener.open(envelope)).plaintext)).toBe(toHex(plaintext));
    }
    const far = await sealer.seal('object', repeatedFarBack, { compress: 'plain' });
    expect(far.length).toBeLessThan(9000);
    const sealedSmall = await sealer.seal('object', small, { compress: 'hl7v2' });
    expect(sealedSmall.length).toBeLessThan(small.length / 4);
  });

  it('property: random sizes, chunk sizes and piece cuts seal to what the shared opener opens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 1024, max: 4096 }),
        fc.array(fc.nat({ max: 9000 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.boolean(),
        async (length, chunkSize, cuts, seed, streamed) => {
          const chunked = await createNodeSealer(intake.publicKeyRaw, { chunkSize });
          const plaintext = pattern(length, seed);
          const envelope = streamed ? await collectBytes(chunked.sealStream('object', split(plaintext, cuts))) : await chunked.seal('object', plaintext);
          expect(envelope.length).toBe(sealedLength(length, chunkSize));
          const opened = await openBoth(opener, envelope, 1 + (seed % 3000));
          expect(toHex(opened.whole)).toBe(toHex(plaintext));
          expect(toHex(opened.streamed)).toBe(toHex(plaintext));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('streams a large input (40 MiB, default chunk size) with bounded pieces, and seal() of 3 MiB yields between chunks', async () => {
    const big = await createNodeSealer(intake.publicKeyRaw);
    const piece = pattern(1_000_003, 5);
    const count = 42;
    const plainHash = createHash('sha256');
    for (let i = 0; i < count; i++) plainHash.update(piece);
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < count; i++) yield piece;
    }
    const sealedPieces: Uint8Array[] = [];
    let largest = 0;
    for await (const sealed of big.sealStream('object', source())) {
      largest = Math.max(largest, sealed.length);
      sealedPieces.push(sealed);
    }
    expect(largest).toBe(64 * 1024 + 16);
    const total = sealedPieces.reduce((sum, p) => sum + p.length, 0);
    expect(total).toBe(sealedLength(count * piece.length, 64 * 1024));
    const opened = await opener.openStream(sealedPieces);
    const openedHash = createHash('sha256');
    for await (const plain of opened.plaintext) openedHash.update(plain);
    expect(openedHash.digest('hex')).toBe(plainHash.digest('hex'));

    // seal() of a payload of many chunks (48 here) lets the event loop run while it works: an
    // immediate queued before it runs before it resolves (were it synchronous, only after).
    const three = pattern(3 * 1024 * 1024 + 7, 3);
    let ranDuring = false;
    setImmediate(() => {
      ranDuring = true;
    });
    const envelope = await big.seal('object', three);
    expect(ranDuring).toBe(true);
    expect(toHex(createHash('sha256').update((await opener.open(envelope)).plaintext).digest())).toBe(toHex(createHash('sha256').update(three).digest()));
  });

  it('refuses what the shared sealer refuses', async () => {
    await expect(createNodeSealer(intake.publicKeyRaw, { chunkSize: 1000 })).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
    await expect(createNodeSealer(intake.publicKeyRaw, { chunkSize: 16 * 1024 * 1024 + 1 })).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
    await expect(createNodeSealer(intake.publicKeyRaw.subarray(0, 33))).rejects.toThrow(TypeError);
    const offCurve = intake.publicKeyRaw.slice();
    offCurve[64]! ^= 1;
    await expect(createNodeSealer(offCurve)).rejects.toThrow(/not a point on P-256/);
    await expect(createNodeSealer(intake.publicKeyRaw, { ephemeralPrivateScalar: new Uint8Array(32) })).rejects.toThrow(RangeError);
    await expect(createNodeSealer(intake.privateKey)).rejects.toThrow(TypeError);
    await expect(sealer.seal('nope' as 'object', new Uint8Array(1))).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
    await expect(sealer.seal('object', 'text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(collectBytes(sealer.sealStream('object', ['x' as unknown as Uint8Array]))).rejects.toThrow(TypeError);
    const shortRandom = await createNodeSealer(intake.publicKeyRaw, { random: (length) => new Uint8Array(length - 1) });
    await expect(shortRandom.seal('object', new Uint8Array(1))).rejects.toThrow(/must return/);
  });

  it('takes the intake key as a CryptoKey too', async () => {
    const fromKey = await createNodeSealer(intake.publicKey);
    const plaintext = pattern(77);
    expect(toHex((await opener.open(await fromKey.seal('object', plaintext))).plaintext)).toBe(toHex(plaintext));
  });

  it('releases a source it stops reading (a consumer that gives up)', async () => {
    let returned = false;
    function* endless(): Generator<Uint8Array> {
      try {
        for (;;) yield new Uint8Array(4096);
      } finally {
        returned = true;
      }
    }
    const iterator = sealer.sealStream('object', endless())[Symbol.asyncIterator]();
    await iterator.next(); // header
    await iterator.next(); // first chunk (needs a second one read ahead)
    await iterator.return?.(undefined);
    expect(returned).toBe(true);
  });
});

/** The bytes handed to node:crypto's randomFillSync, recorded: the buffers themselves and copies made as filled. */
interface RandomFills {
  readonly buffers: Uint8Array[];
  readonly filled: Buffer[];
}

/** node:crypto whose randomFillSync is recorded in `fills` (and whose wrap cipher fails while `breakWrap.on`). */
function recordingRandom(fills: RandomFills, breakWrap = { on: false }): (actual: typeof nodeCrypto) => Partial<typeof nodeCrypto> {
  return (actual) => ({
    randomFillSync: (<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number, size?: number): T => {
      actual.randomFillSync(buffer, offset, size);
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      fills.buffers.push(bytes);
      fills.filled.push(Buffer.from(bytes));
      return buffer;
    }) as typeof nodeCrypto.randomFillSync,
    createCipheriv: ((algorithm: string, ...rest: unknown[]) => {
      if (breakWrap.on && algorithm === 'id-aes256-wrap') throw new Error('wrap broken for the test');
      return (actual.createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof nodeCrypto.createCipheriv,
  });
}

const RANDOM_PER_ENVELOPE = 16 + 32 + 7;
const POOL_ENVELOPES = 128;

describe('node:crypto sealer: the random pool', () => {
  let intake: P256KeyPair;
  let opener: Opener;
  beforeAll(async () => {
    intake = await generateP256KeyPair();
    opener = createOpener(intake.privateKey);
  });

  it('hands out the bytes of one randomFillSync per 128 envelopes in order, each once, and wipes each slice after use', async () => {
    const fills: RandomFills = { buffers: [], filled: [] };
    await withCrypto(recordingRandom(fills), async (fresh) => {
      const sealer = await fresh.createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024 });
      expect(fills.buffers).toHaveLength(0); // the pool is filled on first use
      const count = 2 * POOL_ENVELOPES + 5;
      const envelopes: Uint8Array[] = [];
      for (let k = 0; k < count; k++) {
        const plaintext = pattern(300 + k, k + 1);
        const envelope = await sealer.seal(k % 2 === 0 ? 'object' : 'journalMetadata', plaintext);
        envelopes.push(envelope);
        // Its slice of the pool is wiped as soon as seal() is done.
        const pool = fills.buffers[Math.floor(k / POOL_ENVELOPES)]!;
        const at = (k % POOL_ENVELOPES) * RANDOM_PER_ENVELOPE;
        expect(pool.subarray(at, at + RANDOM_PER_ENVELOPE).every((byte) => byte === 0)).toBe(true);
        expect(toHex((await opener.open(envelope)).plaintext)).toBe(toHex(plaintext));
      }
      // One fill per 128 envelopes, each into a new buffer (a used-up pool is never refilled in place).
      expect(fills.buffers).toHaveLength(3);
      expect(fills.buffers.every((buffer) => buffer.length === POOL_ENVELOPES * RANDOM_PER_ENVELOPE)).toBe(true);
      expect(new Set(fills.buffers.map((buffer) => buffer.buffer)).size).toBe(3);
      // Envelope k got bytes [55k, 55k + 55) of the filled stream: salt ‖ data key ‖ nonce prefix.
      const stream = Buffer.concat(fills.filled);
      for (let k = 0; k < count; k++) {
        const header = decodeEnvelopeHeader(envelopes[k]!);
        const dataKey = await opener.exportDataKey(header);
        const expected = stream.subarray(k * RANDOM_PER_ENVELOPE, (k + 1) * RANDOM_PER_ENVELOPE).toString('hex');
        expect(toHex(header.salt) + toHex(dataKey) + toHex(header.noncePrefix)).toBe(expected);
      }
      // The bytes not handed out yet are still there; everything handed out is wiped.
      const last = fills.buffers[2]!;
      expect(toHex(last.subarray(5 * RANDOM_PER_ENVELOPE))).toBe(toHex(fills.filled[2]!.subarray(5 * RANDOM_PER_ENVELOPE)));
      expect(fills.buffers.slice(0, 2).every((buffer) => buffer.every((byte) => byte === 0))).toBe(true);
    });
  });

  it('every envelope has its own salt, data key and nonce prefix across pools (no mock)', async () => {
    const sealer = await createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024 });
    const seen = { salt: new Set<string>(), dataKey: new Set<string>(), noncePrefix: new Set<string>() };
    const count = POOL_ENVELOPES + 40;
    for (let k = 0; k < count; k++) {
      const header = decodeEnvelopeHeader(await sealer.seal('object', pattern(900, k)));
      seen.salt.add(toHex(header.salt));
      seen.dataKey.add(toHex(await opener.exportDataKey(header)));
      seen.noncePrefix.add(toHex(header.noncePrefix));
    }
    expect([seen.salt.size, seen.dataKey.size, seen.noncePrefix.size]).toEqual([count, count, count]);
  });

  it('a streamed envelope keeps its data key while other envelopes use up its pool, and wipes it at the end', async () => {
    const fills: RandomFills = { buffers: [], filled: [] };
    await withCrypto(recordingRandom(fills), async (fresh) => {
      const sealer = await fresh.createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024 });
      const plaintext = pattern(5000, 3);
      const iterator = sealer.sealStream('object', split(plaintext, [1000, 2500, 4000]))[Symbol.asyncIterator]();
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < 2; i++) pieces.push((await iterator.next()).value as Uint8Array); // header, chunk 0
      // The stream took slice 0 of the first pool; use up that pool and start another.
      for (let k = 0; k < POOL_ENVELOPES + 10; k++) await sealer.seal('object', pattern(100, k));
      expect(fills.buffers).toHaveLength(2);
      const streamSlice = fills.buffers[0]!.subarray(0, RANDOM_PER_ENVELOPE);
      // Salt wiped once the header held it; data key and nonce prefix still in use.
      expect(toHex(streamSlice.subarray(0, 16))).toBe('00'.repeat(16));
      expect(toHex(streamSlice.subarray(16))).toBe(toHex(fills.filled[0]!.subarray(16, RANDOM_PER_ENVELOPE)));
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) pieces.push(next.value);
      expect(streamSlice.every((byte) => byte === 0)).toBe(true);
      const { whole, streamed } = await openBoth(opener, concatBytes(...pieces));
      expect(toHex(whole)).toBe(toHex(plaintext));
      expect(toHex(streamed)).toBe(toHex(plaintext));
    });
  });

  it('an envelope that fails to begin wipes its slice, and the next one does not reuse it', async () => {
    const fills: RandomFills = { buffers: [], filled: [] };
    const breakWrap = { on: true };
    await withCrypto(recordingRandom(fills, breakWrap), async (fresh) => {
      const sealer = await fresh.createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024, keyWrap: 'cipher' });
      await expect(sealer.seal('object', pattern(10))).rejects.toThrow(/wrap broken/);
      expect(fills.buffers).toHaveLength(1);
      expect(fills.buffers[0]!.subarray(0, RANDOM_PER_ENVELOPE).every((byte) => byte === 0)).toBe(true);
      breakWrap.on = false;
      const envelope = await sealer.seal('object', pattern(10));
      expect(toHex(decodeEnvelopeHeader(envelope).salt)).toBe(toHex(fills.filled[0]!.subarray(RANDOM_PER_ENVELOPE, RANDOM_PER_ENVELOPE + 16)));
      expect(toHex((await opener.open(envelope)).plaintext)).toBe(toHex(pattern(10)));
    });
  });

  it('the deterministic mode (`random`) does not touch the pool and still reproduces every vector, both key-wrap paths', async () => {
    const fills: RandomFills = { buffers: [], filled: [] };
    await withCrypto(recordingRandom(fills), async (fresh) => {
      for (const keyWrap of ['cipher', 'composed'] as const) {
        for (const vector of vectors) {
          const sealer = await fresh.createNodeSealer(fromHex(vector.intakePublicKey), { ...vectorSealerOptions(vector), keyWrap });
          expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
        }
      }
      expect(fills.buffers).toHaveLength(0);
    });
  });

  it('derives each KEK as hkdfSync does (HKDF composed on HMAC-SHA-256), both key-wrap paths', async () => {
    for (const keyWrap of ['cipher', 'composed'] as const) {
      for (let i = 0; i < 20; i++) {
        const scalar = randomBytes(32);
        const given: Uint8Array[] = [];
        const sealer = await createNodeSealer(intake.publicKeyRaw, {
          chunkSize: 1024,
          ephemeralPrivateScalar: scalar,
          random: (length) => {
            const bytes = randomBytes(length);
            given.push(bytes);
            return bytes;
          },
          keyWrap,
        });
        const ecdh = createECDH('prime256v1');
        ecdh.setPrivateKey(scalar);
        const secret = ecdh.computeSecret(intake.publicKeyRaw);
        const header = decodeEnvelopeHeader(await sealer.seal('object', pattern(500, i)));
        const [salt, dataKey] = [given[0]!, given[1]!];
        expect(toHex(header.salt)).toBe(toHex(salt));
        const kek = Buffer.from(hkdfSync('sha256', secret, salt, 'hdms/envelope/v1/kek', 32));
        expect(toHex(header.wrappedKey)).toBe(cipherWrap(kek, dataKey));
      }
    }
  });

  it('the deterministic mode leaves the bytes `random` returned alone (it takes copies)', async () => {
    const vector = vectors[0]!;
    const given: Uint8Array[] = [];
    const replayed = replay(vector.random);
    const sealer = await createNodeSealer(fromHex(vector.intakePublicKey), {
      chunkSize: vector.chunkSize,
      ephemeralPrivateScalar: fromHex(vector.ephemeralPrivateScalar),
      random: (length) => {
        const bytes = replayed(length);
        given.push(bytes);
        return bytes;
      },
    });
    expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
    expect(given.map(toHex).join('')).toBe(vector.random.slice(0, 2 * RANDOM_PER_ENVELOPE));
  });
});

describe('the body sealer', () => {
  it('plain Node supports the node:crypto sealer (primitives present, known answer reproduced)', async () => {
    expect(await nodeSealerSupport()).toEqual({ ok: true, keyWrap: 'cipher' });
  });

  it('createBodySealer seals envelopes the intake private key opens', async () => {
    const intake = await generateP256KeyPair();
    const sealer = await createBodySealer(intake.publicKeyRaw);
    const plaintext = new TextEncoder().encode('MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\r');
    expect(toHex((await createOpener(intake.privateKey).open(await sealer.seal('object', plaintext))).plaintext)).toBe(toHex(plaintext));
  });

  /** node:crypto as on BoringSSL (presumably): no AES-KW cipher listed, and createCipheriv refuses it. */
  const withoutKeyWrapCipher = (actual: typeof nodeCrypto): Partial<typeof nodeCrypto> => ({
    getCiphers: () => actual.getCiphers().filter((name) => !name.includes('wrap')),
    createCipheriv: ((algorithm: string, ...rest: unknown[]) => {
      if (algorithm.includes('wrap')) throw new Error(`Unknown cipher ${algorithm}`);
      return (actual.createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof nodeCrypto.createCipheriv,
  });

  it('without the id-aes256-wrap cipher (Electron on BoringSSL) chooses the composed key wrap, reproduces the vectors, and its envelopes open', async () => {
    await withCrypto(withoutKeyWrapCipher, async (fresh) => {
      const support = await fresh.nodeSealerSupport();
      expect(support).toMatchObject({ ok: true, keyWrap: 'composed' });
      expect(support.ok && support.keyWrap === 'composed' ? support.cipherRejected : '').toMatch(/no id-aes256-wrap cipher/);
      // The default path of a node sealer in this process is the composed one, byte for byte.
      for (const vector of vectors) {
        const sealer = await fresh.createNodeSealer(fromHex(vector.intakePublicKey), vectorSealerOptions(vector));
        expect(toHex(await sealer.seal(vector.kind, fromHex(vector.plaintext)))).toBe(vector.envelope);
      }
      await expect(fresh.createNodeSealer(fromHex(vectors[0]!.intakePublicKey), { keyWrap: 'cipher' }).then((s) => s.seal('object', new Uint8Array(1)))).rejects.toThrow(
        /Unknown cipher/,
      );
      const intake = await generateP256KeyPair();
      const sealer = await fresh.createBodySealer(intake.publicKeyRaw);
      const plaintext = pattern(3000);
      expect(toHex((await createOpener(intake.privateKey).open(await sealer.seal('object', plaintext))).plaintext)).toBe(toHex(plaintext));
    });
  });

  it('rejects an id-aes256-wrap cipher that fails the known answer, and chooses the composed key wrap', async () => {
    const broken = (actual: typeof nodeCrypto): Partial<typeof nodeCrypto> => ({
      createCipheriv: ((algorithm: string, key: Uint8Array, ...rest: unknown[]) => {
        const flipped = algorithm === 'id-aes256-wrap' ? Buffer.from(key).map((byte, i) => (i === 0 ? byte ^ 1 : byte)) : key;
        return (actual.createCipheriv as (...args: unknown[]) => unknown)(algorithm, flipped, ...rest);
      }) as typeof nodeCrypto.createCipheriv,
    });
    await withCrypto(broken, async (fresh) => {
      const support = await fresh.nodeSealerSupport();
      expect(support).toMatchObject({ ok: true, keyWrap: 'composed' });
      expect(support.ok && support.keyWrap === 'composed' ? support.cipherRejected : '').toMatch(/cipher key wrap\) sealed the known-answer envelope differently/);
    });
  });

  it('falls back to the shared WebCrypto sealer only when the composed key wrap cannot run either (no AES-256-ECB)', async () => {
    const noEcb = (actual: typeof nodeCrypto): Partial<typeof nodeCrypto> => ({
      getCiphers: () => actual.getCiphers().filter((name) => !name.includes('wrap') && name !== 'aes-256-ecb'),
      createCipheriv: ((algorithm: string, ...rest: unknown[]) => {
        if (algorithm.includes('wrap') || algorithm === 'aes-256-ecb') throw new Error(`Unknown cipher ${algorithm}`);
        return (actual.createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
      }) as typeof nodeCrypto.createCipheriv,
    });
    await withCrypto(noEcb, async (fresh) => {
      const support = await fresh.nodeSealerSupport();
      expect(support.ok).toBe(false);
      expect(support.ok ? '' : support.reason).toMatch(/no id-aes256-wrap cipher.*composed key wrap\) could not seal.*Unknown cipher aes-256-ecb/);
      const intake = await generateP256KeyPair();
      const sealer = await fresh.createBodySealer(intake.publicKeyRaw);
      const plaintext = pattern(3000);
      expect(toHex((await createOpener(intake.privateKey).open(await sealer.seal('object', plaintext))).plaintext)).toBe(toHex(plaintext));
    });
  });

  it('node and WebCrypto envelopes of one plaintext open alike and have the same length', async () => {
    const intake = await generateP256KeyPair();
    const { createSealer } = await import('../../../shared/crypto/envelope');
    const plaintext = pattern(70_000);
    const a = await (await createNodeSealer(intake.publicKeyRaw)).seal('object', plaintext);
    const b = await (await createSealer(intake.publicKeyRaw)).seal('object', plaintext);
    expect(a.length).toBe(b.length);
    const opener = createOpener(intake.privateKey);
    expect(toHex(concatBytes((await opener.open(a)).plaintext))).toBe(toHex((await opener.open(b)).plaintext));
  });
});
