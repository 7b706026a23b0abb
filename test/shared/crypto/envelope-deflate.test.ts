import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeSealer } from '../../../electron/crypto/node-sealer';
import { COMPRESSION_DICTIONARY_IDS, compressionDictionary } from '../../../shared/crypto/compression-dictionaries';
import { collectBytes, createOpener, createSealer, inflatePlaintext, openWithDataKey, type Opener, type Sealer } from '../../../shared/crypto/envelope';
import { decodeEnvelopeHeader, EnvelopeError, ENVELOPE_V2_HEADER_LENGTH } from '../../../shared/crypto/envelope-format';
import { generateP256KeyPair, type P256KeyPair } from '../../../shared/crypto/p256-keys';
import { split } from '../../support/byte-fixtures';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const SMALL_HL7 = encode(
  'MSH|^~\\&|LAB|NORTH|HDMS|CLINIC|20260301101500||ORU^R01|C-4471|P|2.5.1\rPID|1||X-4471^^^NORTH^MR||Doe^Jane||19800101|F\rOBR|1||R-1|GLU^Glucose^L\rOBX|1|NM|2345-7^Glucose [Mass/volume] in Serum or Plasma^LN||98|mg/dL|70-99|N|||F\r',
);

let intake: P256KeyPair;
let opener: Opener;
let shared: Sealer;
let body: Sealer;

beforeAll(async () => {
  intake = await generateP256KeyPair();
  opener = createOpener(intake.privateKey);
  shared = await createSealer(intake.publicKey, { chunkSize: 1024 });
  body = await createNodeSealer(intake.publicKeyRaw, { chunkSize: 1024 });
});

describe('envelope version 2 (deflated plaintext)', () => {
  for (const [name, sealerOf] of [
    ['the mind (WebCrypto + fflate)', () => shared],
    ['the body (node:crypto + zlib)', () => body],
  ] as const) {
    it(`${name}: seals a small HL7 message smaller with the HL7 dictionary, and it opens whole, at once and as a stream`, async () => {
      const sealer = sealerOf();
      const plain = await sealer.seal('object', SMALL_HL7);
      const deflated = await sealer.seal('object', SMALL_HL7, { compress: 'hl7v2' });
      const header = decodeEnvelopeHeader(deflated);
      expect(header).toMatchObject({ version: 2, headerLength: ENVELOPE_V2_HEADER_LENGTH, deflate: { dictionary: COMPRESSION_DICTIONARY_IDS.hl7v2, plaintextLength: SMALL_HL7.length } });
      expect(decodeEnvelopeHeader(plain).version).toBe(1);
      expect(deflated.length).toBeLessThan(plain.length - 60);
      expect((await opener.open(deflated)).plaintext).toEqual(SMALL_HL7);
      const stream = await opener.openStream(split(deflated, [0, 7, 141, 150, 200]));
      expect(await collectBytes(stream.plaintext)).toEqual(SMALL_HL7);
    });
  }

  it('falls back to version 1 when DEFLATE does not make the plaintext smaller', async () => {
    const random = new Uint8Array(600);
    globalThis.crypto.getRandomValues(random);
    for (const sealer of [shared, body]) {
      const sealed = await sealer.seal('object', random, { compress: 'plain' });
      expect(decodeEnvelopeHeader(sealed).version).toBe(1);
      expect((await opener.open(sealed)).plaintext).toEqual(random);
    }
  });

  it('authenticates the coding fields: a changed dictionary id or declared length fails as tampering', async () => {
    const sealed = await body.seal('journalMetadata', encode(JSON.stringify({ v: 1, channel: 'hl7', note: 'x'.repeat(200) })), { compress: 'intakeJson' });
    for (const offset of [141, 145]) {
      const altered = sealed.slice();
      altered[offset] = altered[offset]! ^ 0x01;
      await expect(opener.open(altered)).rejects.toMatchObject({ code: 'E_ENVELOPE_AUTH' });
    }
  });

  it('opens with the data key alone (a backup handed over), inflating the same way', async () => {
    const sealed = await shared.seal('backup', encode('a'.repeat(5000)), { compress: 'plain' });
    expect(sealed.length).toBeLessThan(300);
    const opened = await openWithDataKey(await opener.exportDataKey(sealed), sealed);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('a'.repeat(5000));
  });

  it('refuses content that inflates to another length than declared, or is not DEFLATE, without inflating past it', () => {
    const text = encode('b'.repeat(4000));
    const deflated = deflateRawSync(text);
    expect(inflatePlaintext({ dictionary: 0, plaintextLength: 4000 }, deflated)).toEqual(text);
    expect(() => inflatePlaintext({ dictionary: 0, plaintextLength: 3999 }, deflated)).toThrow(/declared length/);
    expect(() => inflatePlaintext({ dictionary: 0, plaintextLength: 4001 }, deflated)).toThrow(/declared length/);
    expect(() => inflatePlaintext({ dictionary: 0, plaintextLength: 10 }, new Uint8Array([0xff, 0xff, 0xff]))).toThrow(EnvelopeError);
    expect(() => inflatePlaintext({ dictionary: 99, plaintextLength: 10 }, deflated)).toThrow(/dictionary 99/);
  });

  it('refuses a declared plaintext over 1 MiB in the header itself', async () => {
    const sealed = await body.seal('object', SMALL_HL7, { compress: 'hl7v2' });
    const altered = sealed.slice();
    new DataView(altered.buffer).setUint32(142, 1024 * 1024 + 1);
    expect(() => decodeEnvelopeHeader(altered)).toThrow(/at most 1048576/);
  });
});

describe('compression dictionaries', () => {
  // Frozen: an envelope names its dictionary by id for as long as the vault exists. A new text needs a new id.
  it('keeps every dictionary byte for byte', () => {
    const digests = Object.fromEntries(
      Object.entries(COMPRESSION_DICTIONARY_IDS).map(([name, id]) => [name, createHash('sha256').update(compressionDictionary(id)!).digest('hex')]),
    );
    expect(digests).toEqual({
      hl7v2: 'ea78e32cee0e8e11ce854729c9ffeed1fcf71d4ac97c12b88fac4d1b2f8b4e2c',
      intakeJson: '9975484438c734e0baae315fdac9978d7cb80a9f1cf29d41b721949169ea9bcd',
    });
  });
});
