import { createCipheriv, createECDH, hkdfSync } from 'node:crypto';

/**
 * An independent implementation of the sealed envelope v1 with node:crypto (OpenSSL directly, no
 * WebCrypto, no code from shared/crypto): it rebuilds an envelope byte for byte from the header
 * documentation in envelope-format.ts, so the vectors check the construction, not just that our
 * code agrees with itself. It can also build envelopes our sealer never would (non-canonical ones).
 */
export interface ReferenceInput {
  readonly kind: number;
  readonly chunkSize: number;
  readonly intakePublicKey: Buffer;
  readonly ephemeralPrivateScalar: Buffer;
  readonly salt: Buffer;
  readonly dataKey: Buffer;
  readonly noncePrefix: Buffer;
  /** Plaintext of each chunk and whether it is flagged last; the caller decides the chunking. */
  readonly chunks: readonly { readonly plaintext: Buffer; readonly last: boolean }[];
}

export function referenceHeader(input: Omit<ReferenceInput, 'chunks'>): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(input.ephemeralPrivateScalar);
  const shared = ecdh.computeSecret(input.intakePublicKey);
  const kek = Buffer.from(hkdfSync('sha256', shared, input.salt, 'hdms/envelope/v1/kek', 32));
  const wrap = createCipheriv('id-aes256-wrap', kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  const wrappedKey = Buffer.concat([wrap.update(input.dataKey), wrap.final()]);
  const header = Buffer.alloc(140);
  header.write('HDMS', 0, 'latin1');
  header[4] = 1;
  header[5] = input.kind;
  header.writeUInt16BE(140, 6);
  header.writeUInt32BE(input.chunkSize, 8);
  ecdh.getPublicKey().copy(header, 12);
  input.salt.copy(header, 77);
  input.noncePrefix.copy(header, 93);
  wrappedKey.copy(header, 100);
  return header;
}

export function referenceChunk(dataKey: Buffer, noncePrefix: Buffer, header: Buffer, index: number, last: boolean, plaintext: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = last ? 1 : 0;
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  cipher.setAAD(header);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

export function referenceEnvelope(input: ReferenceInput): Buffer {
  const header = referenceHeader(input);
  return Buffer.concat([
    header,
    ...input.chunks.map((chunk, index) => referenceChunk(input.dataKey, input.noncePrefix, header, index, chunk.last, chunk.plaintext)),
  ]);
}

/** The canonical chunking of version 1: max(1, ceil(n / size)) chunks, the last one flagged. */
export function canonicalChunks(plaintext: Buffer, chunkSize: number): { plaintext: Buffer; last: boolean }[] {
  const count = Math.max(1, Math.ceil(plaintext.length / chunkSize));
  return Array.from({ length: count }, (_, index) => ({
    plaintext: plaintext.subarray(index * chunkSize, (index + 1) * chunkSize),
    last: index === count - 1,
  }));
}
