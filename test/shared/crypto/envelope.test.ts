import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes } from '../../../shared/crypto/bytes';
import {
  collectBytes,
  createOpener,
  createSealer,
  openStreamWithDataKey,
  openWithDataKey,
  toReadableStream,
  type ByteSource,
  type Opener,
  type Sealer,
} from '../../../shared/crypto/envelope';
import { EnvelopeError, sealedLength, type EnvelopeErrorCode } from '../../../shared/crypto/envelope-format';
import { generateP256KeyPair, type P256KeyPair } from '../../../shared/crypto/p256-keys';
import { referenceChunk } from './reference-envelope';
import { pattern, split } from '../../support/byte-fixtures';

const CHUNK = 1024;
const HEADER = 140;
const SEALED_CHUNK = CHUNK + 16;

async function openAsStream(opener: Opener, source: ByteSource): Promise<Uint8Array> {
  const opened = await opener.openStream(source);
  return collectBytes(opened.plaintext);
}

/** Runs `open` and `openStream` (in 333-byte pieces) and expects both to fail with `code`. */
async function expectBoth(opener: Opener, envelope: Uint8Array, code: EnvelopeErrorCode, message?: RegExp): Promise<void> {
  for (const attempt of [() => opener.open(envelope), () => openAsStream(opener, split(envelope, Array.from({ length: Math.ceil(envelope.length / 333) }, (_, i) => i * 333)))]) {
    const error = await attempt().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, `expected ${code}`).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe(code);
    if (message !== undefined) expect((error as EnvelopeError).message).toMatch(message);
  }
}

let intake: P256KeyPair;
let sealer: Sealer;
let opener: Opener;

beforeAll(async () => {
  intake = await generateP256KeyPair();
  sealer = await createSealer(intake.publicKey, { chunkSize: CHUNK });
  opener = createOpener(intake.privateKey);
});

describe('round trips', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one chunk', CHUNK],
    ['one chunk and a byte', CHUNK + 1],
    ['many chunks', 10 * CHUNK + 123],
    ['exact multiple', 5 * CHUNK],
  ])('%s: seal, sealStream, open and openStream agree', async (_name, length) => {
    const plaintext = pattern(length, length + 7);
    const sealed = await sealer.seal('object', plaintext);
    expect(sealed.length).toBe(sealedLength(length, CHUNK));
    const opened = await opener.open(sealed);
    expect(opened.kind).toBe('object');
    expect(bytesEqual(opened.plaintext, plaintext)).toBe(true);

    const streamed = await collectBytes(sealer.sealStream('journalMetadata', split(plaintext, [3, 700, 2500])));
    expect(streamed.length).toBe(sealed.length);
    expect(bytesEqual(await openAsStream(opener, split(streamed, [1, 139, 141, 1200])), plaintext)).toBe(true);
  });

  it('an empty plaintext is one empty last chunk: header and a 16-byte tag', async () => {
    const sealed = await sealer.seal('object', new Uint8Array(0));
    expect(sealed.length).toBe(HEADER + 16);
    expect((await opener.open(sealed)).plaintext.length).toBe(0);
    expect((await collectBytes(sealer.sealStream('object', []))).length).toBe(HEADER + 16);
  });

  it('every envelope gets a fresh salt, data key and nonce prefix, one ephemeral key per sealer', async () => {
    const a = await sealer.seal('object', pattern(10));
    const b = await sealer.seal('object', pattern(10));
    expect(bytesEqual(a.subarray(12, 77), b.subarray(12, 77))).toBe(true);
    expect(bytesEqual(a.subarray(12, 77), sealer.ephemeralPublicKey)).toBe(true);
    for (const [start, end] of [[77, 93], [93, 100], [100, 140]] as const) expect(bytesEqual(a.subarray(start, end), b.subarray(start, end))).toBe(false);
  });

  it('accepts the intake key raw, seals every kind, uses 64 KiB chunks by default', async () => {
    const byRaw = await createSealer(intake.publicKeyRaw);
    expect(byRaw.chunkSize).toBe(65536);
    for (const kind of ['object', 'journalMetadata', 'backup'] as const) {
      const sealed = await byRaw.seal(kind, pattern(70_000));
      expect(sealed.length).toBe(sealedLength(70_000, 65536));
      expect((await opener.open(sealed)).kind).toBe(kind);
    }
  });

  it('reads ReadableStream sources and can hand its output to one', async () => {
    const plaintext = pattern(5000);
    const source = toReadableStream((async function* () {
      yield plaintext.subarray(0, 100);
      yield plaintext.subarray(100);
    })());
    const sealed = toReadableStream(sealer.sealStream('object', source));
    expect(bytesEqual(await openAsStream(opener, sealed), plaintext)).toBe(true);
  });

  it('property: any plaintext, any input slicing, any chunk size → open(seal(x)) = x', async () => {
    const sealers = new Map<number, Sealer>();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 6000 }),
        fc.integer({ min: 1024, max: 2100 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (plaintext, chunkSize, inputCuts, sealedCuts) => {
          let chunked = sealers.get(chunkSize);
          if (chunked === undefined) sealers.set(chunkSize, (chunked = await createSealer(intake.publicKey, { chunkSize })));
          const streamed = await collectBytes(chunked.sealStream('object', split(plaintext, inputCuts)));
          expect(streamed.length).toBe(sealedLength(plaintext.length, chunkSize));
          expect(bytesEqual((await opener.open(streamed)).plaintext, plaintext)).toBe(true);
          expect(bytesEqual(await openAsStream(opener, split(streamed, sealedCuts)), plaintext)).toBe(true);
          expect(bytesEqual((await opener.open(await chunked.seal('object', plaintext))).plaintext, plaintext)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses chunk sizes outside 1 KiB … 16 MiB and unknown kinds', async () => {
    await expect(createSealer(intake.publicKey, { chunkSize: 1023 })).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
    await expect(createSealer(intake.publicKey, { chunkSize: 16 * 1024 * 1024 + 1 })).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
    await expect(sealer.seal('nonsense' as 'object', pattern(1))).rejects.toMatchObject({ code: 'E_ENVELOPE_FORMAT' });
  });
});

describe('streaming holds about two chunks, never the whole input', () => {
  it('seals and opens 20 MiB end to end with bounded buffering', async () => {
    const total = 20 * 1024 * 1024;
    const pieceSize = 48 * 1024; // deliberately not a divisor of the chunk size
    const chunkSize = 64 * 1024;
    const big = await createSealer(intake.publicKey, { chunkSize });
    let produced = 0;
    let consumed = 0;
    let maxInFlight = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      while (produced < total) {
        const length = Math.min(pieceSize, total - produced);
        const piece = new Uint8Array(length);
        for (let i = 0; i < length; i += 4096) piece[i] = ((produced + i) >>> 12) & 0xff;
        produced += length;
        yield piece;
      }
    }
    const opened = await opener.openStream(big.sealStream('object', source()));
    let firstOutputAt = -1;
    for await (const plain of opened.plaintext) {
      if (firstOutputAt < 0) firstOutputAt = produced;
      for (let i = 0; i < plain.length; i += 4096) {
        if (plain[i] !== (((consumed + i) >>> 12) & 0xff)) throw new Error(`plaintext differs at ${consumed + i}`);
      }
      consumed += plain.length;
      maxInFlight = Math.max(maxInFlight, produced - consumed);
    }
    expect(consumed).toBe(total);
    // Output starts after a couple of chunks, long before the source ends …
    expect(firstOutputAt).toBeLessThanOrEqual(3 * chunkSize);
    // … and source bytes not yet delivered stay within sealer + opener look-ahead plus one piece each.
    expect(maxInFlight).toBeLessThanOrEqual(2 * chunkSize + 2 * pieceSize);
  });

  it('takes a plain Uint8Array as a source too', async () => {
    const plaintext = pattern(3000);
    const sealed = await collectBytes(sealer.sealStream('object', plaintext));
    expect(bytesEqual(await openAsStream(opener, sealed), plaintext)).toBe(true);
  });

  it('cancels a ReadableStream source when the consumer stops, and releases it when it ends', async () => {
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(pattern(4096)),
      cancel: () => {
        cancelled = true;
      },
    });
    for await (const piece of sealer.sealStream('object', endless)) {
      if (piece.length > HEADER) break;
    }
    expect(cancelled).toBe(true);
    const finite = toReadableStream((async function* () {
      yield pattern(10);
    })());
    await collectBytes(sealer.sealStream('object', finite));
    expect(finite.locked).toBe(false);
  });

  it('releases the source when the consumer stops early', async () => {
    let released = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield pattern(4096);
      } finally {
        released = true;
      }
    }
    for await (const piece of sealer.sealStream('object', source())) {
      if (piece.length > HEADER) break;
    }
    expect(released).toBe(true);
  });
});

describe('tampering is detected, each with its error code', () => {
  let plaintext: Uint8Array;
  let sealed: Uint8Array; // 3000 bytes: chunks of 1024, 1024, 952
  let exact: Uint8Array; // 3072 bytes: three full chunks, the last flagged last

  beforeAll(async () => {
    plaintext = pattern(3000);
    sealed = await sealer.seal('object', plaintext);
    exact = await sealer.seal('object', pattern(3 * CHUNK));
    expect(sealed.length).toBe(HEADER + 2 * SEALED_CHUNK + 952 + 16);
  });

  const chunkStart = (index: number): number => HEADER + index * SEALED_CHUNK;

  it('truncation inside the last chunk fails authentication', async () => {
    await expectBoth(opener, sealed.subarray(0, chunkStart(2) + 500), 'E_ENVELOPE_AUTH', /Chunk 2 failed authentication/);
  });

  it('truncation leaving less than a tag is reported as truncated', async () => {
    await expectBoth(opener, sealed.subarray(0, chunkStart(2) + 10), 'E_ENVELOPE_TRUNCATED', /shorter than an authentication tag/);
  });

  it('truncation at a chunk boundary: the last chunk is missing', async () => {
    await expectBoth(opener, sealed.subarray(0, chunkStart(2)), 'E_ENVELOPE_TRUNCATED', /last chunk is missing/);
    await expectBoth(opener, exact.subarray(0, chunkStart(1)), 'E_ENVELOPE_TRUNCATED', /ends after chunk 0/);
  });

  it('a header alone, half a header, nothing at all', async () => {
    await expectBoth(opener, sealed.subarray(0, HEADER), 'E_ENVELOPE_TRUNCATED', /no chunk/);
    await expectBoth(opener, sealed.subarray(0, 70), 'E_ENVELOPE_TRUNCATED');
    await expectBoth(opener, sealed.subarray(0, 3), 'E_ENVELOPE_TRUNCATED');
    await expectBoth(opener, new Uint8Array(0), 'E_ENVELOPE_TRUNCATED');
  });

  it('reordered chunks', async () => {
    const swapped = concatBytes(
      sealed.subarray(0, HEADER),
      sealed.subarray(chunkStart(1), chunkStart(2)),
      sealed.subarray(chunkStart(0), chunkStart(1)),
      sealed.subarray(chunkStart(2)),
    );
    await expectBoth(opener, swapped, 'E_ENVELOPE_AUTH', /Chunk 0 failed authentication/);
  });

  it('a dropped middle chunk', async () => {
    const dropped = concatBytes(sealed.subarray(0, chunkStart(1)), sealed.subarray(chunkStart(2)));
    await expectBoth(opener, dropped, 'E_ENVELOPE_AUTH', /Chunk 1 failed authentication/);
  });

  it('a chunk from another envelope of the same sealer', async () => {
    const other = await sealer.seal('object', plaintext);
    const spliced = concatBytes(sealed.subarray(0, chunkStart(1)), other.subarray(chunkStart(1), chunkStart(2)), sealed.subarray(chunkStart(2)));
    await expectBoth(opener, spliced, 'E_ENVELOPE_AUTH', /Chunk 1/);
  });

  it('a flipped bit in ciphertext or tag names the chunk', async () => {
    for (const [offset, index] of [[chunkStart(1) + 17, 1], [chunkStart(1) - 1, 0], [sealed.length - 1, 2]] as const) {
      const flipped = sealed.slice();
      flipped[offset]! ^= 0x01;
      await expectBoth(opener, flipped, 'E_ENVELOPE_AUTH', new RegExp(`Chunk ${index} failed authentication`));
    }
  });

  it('a flipped bit anywhere in the header', async () => {
    const expected = (offset: number): EnvelopeErrorCode[] => {
      if (offset < 4) return ['E_ENVELOPE_FORMAT']; // magic
      if (offset === 4) return ['E_ENVELOPE_VERSION'];
      if (offset === 5) return ['E_ENVELOPE_FORMAT', 'E_ENVELOPE_AUTH']; // unknown kind, or another valid kind
      if (offset < 8) return ['E_ENVELOPE_FORMAT']; // header length
      if (offset < 12) return ['E_ENVELOPE_FORMAT', 'E_ENVELOPE_AUTH', 'E_ENVELOPE_TRUNCATED']; // chunk size: range, or framing
      if (offset < 77) return ['E_ENVELOPE_FORMAT', 'E_ENVELOPE_AUTH']; // ephemeral key: off the curve, or another point
      return ['E_ENVELOPE_AUTH']; // salt, nonce prefix, wrapped key
    };
    for (let offset = 0; offset < HEADER; offset++) {
      for (const bit of [0x01, 0x80]) {
        const flipped = sealed.slice();
        flipped[offset]! ^= bit;
        const error = await opener.open(flipped).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error, `offset ${offset}`).toBeInstanceOf(EnvelopeError);
        expect(expected(offset), `offset ${offset}: ${(error as EnvelopeError).message}`).toContain((error as EnvelopeError).code);
      }
    }
  });

  it('a header altered with a data key in hand still fails: the header is every chunk’s associated data', async () => {
    const dataKey = await opener.exportDataKey(sealed);
    const altered = sealed.slice();
    altered[80]! ^= 0x01; // salt: no longer matters for unwrapping, but it is authenticated
    await expect(openWithDataKey(dataKey, altered)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH', message: expect.stringMatching(/Chunk 0/) });
  });

  it('trailing bytes after the last chunk', async () => {
    // After a full last chunk the framing proves it: that chunk opens only as the last one.
    await expectBoth(opener, concatBytes(exact, new Uint8Array([1, 2, 3, 4, 5])), 'E_ENVELOPE_FORMAT', /follow the envelope's last chunk \(2\)/);
    await expectBoth(opener, concatBytes(exact, new Uint8Array(100)), 'E_ENVELOPE_FORMAT');
    // After a short last chunk the junk joins it, and authentication fails.
    await expectBoth(opener, concatBytes(sealed, new Uint8Array([1, 2, 3])), 'E_ENVELOPE_AUTH', /Chunk 2/);
  });

  it('the wrong intake key', async () => {
    const stranger = await generateP256KeyPair();
    await expectBoth(createOpener(stranger.privateKey), sealed, 'E_ENVELOPE_AUTH', /sealed to another key/);
  });

  it('the wrong data key', async () => {
    const other = await opener.exportDataKey(await sealer.seal('object', pattern(1)));
    await expect(openWithDataKey(other, sealed)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
    const stream = await openStreamWithDataKey(other, [sealed]);
    await expect(collectBytes(stream.plaintext)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
  });

  it('not an envelope at all', async () => {
    await expectBoth(opener, new TextEncoder().encode('MSH|^~\\&|LAB|CLINIC|'.repeat(20)), 'E_ENVELOPE_FORMAT', /bad magic/);
  });

  it('a non-canonical empty last chunk after a full chunk (a sealer that is not ours)', async () => {
    const dataKey = Buffer.from(await opener.exportDataKey(exact));
    const header = Buffer.from(exact.subarray(0, HEADER));
    const prefix = header.subarray(93, 100);
    const body = pattern(2 * CHUNK);
    const forged = Buffer.concat([
      header,
      referenceChunk(dataKey, prefix, header, 0, false, Buffer.from(body.subarray(0, CHUNK))),
      referenceChunk(dataKey, prefix, header, 1, false, Buffer.from(body.subarray(CHUNK))),
      referenceChunk(dataKey, prefix, header, 2, true, Buffer.alloc(0)),
    ]);
    await expectBoth(opener, forged, 'E_ENVELOPE_FORMAT', /empty chunk after a full one/);
  });

  it('messages never carry content', async () => {
    const secret = new TextEncoder().encode('PID|1||MRN-000123||Müller^Anna');
    const envelope = await sealer.seal('object', secret);
    envelope[envelope.length - 1]! ^= 1;
    const error = (await opener.open(envelope).catch((caught: unknown) => caught)) as EnvelopeError;
    expect(error.message).not.toMatch(/Müller|MRN|PID/);
  });
});

describe('data key hand-off (backup files)', () => {
  it('exports 32 bytes that open that envelope, streamed or whole, with no vault key', async () => {
    const plaintext = pattern(4000);
    const envelope = await sealer.seal('backup', plaintext);
    const dataKey = await opener.exportDataKey(envelope.subarray(0, HEADER));
    expect(dataKey.length).toBe(32);
    expect(bytesEqual((await openWithDataKey(dataKey, envelope)).plaintext, plaintext)).toBe(true);
    const stream = await openStreamWithDataKey(dataKey, split(envelope, [10, 2000]));
    expect(stream.kind).toBe('backup');
    expect(bytesEqual(await collectBytes(stream.plaintext), plaintext)).toBe(true);
  });

  it('unwrapDataKey gives a non-extractable decrypt-only key', async () => {
    const envelope = await sealer.seal('object', pattern(10));
    const key = await opener.unwrapDataKey(envelope);
    expect(key.extractable).toBe(false);
    expect(key.usages).toEqual(['decrypt']);
    expect((await openWithDataKey(key, envelope)).plaintext.length).toBe(10);
  });

  it('openStream checks the key before it resolves, and exposes the header', async () => {
    const envelope = await sealer.seal('journalMetadata', pattern(10));
    const stream = await opener.openStream([envelope]);
    expect(stream.header.chunkSize).toBe(CHUNK);
    expect(stream.kind).toBe('journalMetadata');
    await stream.cancel();
    const stranger = await generateP256KeyPair();
    await expect(createOpener(stranger.privateKey).openStream([envelope])).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
  });
});
