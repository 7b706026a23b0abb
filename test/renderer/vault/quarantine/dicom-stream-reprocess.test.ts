import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOpener, createSealer, type Opener, type Sealer } from '../../../../shared/crypto/envelope';
import { generateP256KeyPair } from '../../../../shared/crypto/p256-keys';
import { streamReprocess } from '../../../../renderer/vault/quarantine/dicom-stream-reprocess';

/**
 * The mind's reprocess of a quarantined DICOM instance larger than an upload: the sealed object is
 * read in slices, opened as a stream and sent in 512 KiB chunks, the last one marked last only
 * once the envelope opened whole; a damaged object aborts the import and sends no last chunk.
 */

let sealer: Sealer;
let opener: Opener;
beforeAll(async () => {
  const intake = await generateP256KeyPair();
  sealer = await createSealer(intake.publicKey);
  opener = createOpener(intake.privateKey);
});

async function sealed(plaintext: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const piece of sealer.sealStream('object', plaintext)) parts.push(piece);
  return Buffer.concat(parts);
}

function fakeApi(object: Uint8Array, answer: { resolved: boolean } = { resolved: true }) {
  const calls: { method: string; bytes?: number; last?: boolean; reprocess?: unknown }[] = [];
  const received: Buffer[] = [];
  const api = {
    objects: {
      readBinary: async ({ offset, length }: { offset: number; length: number }) => ({ bytes: object.slice(offset, offset + length), size: object.length }),
    },
    dicom: {
      streamBegin: async (request: { reprocess?: unknown }) => {
        calls.push({ method: 'begin', reprocess: request.reprocess });
        return { handle: 'f'.repeat(32) };
      },
      streamAppend: async ({ chunk, last }: { chunk: string; last: boolean }) => {
        const bytes = Buffer.from(chunk, 'base64url');
        received.push(bytes);
        calls.push({ method: 'append', bytes: bytes.length, last });
        return last ? { bytes: 0, result: { outcome: 'stored' as const, seq: 40 }, reprocessed: { seq: 41, resolved: answer.resolved } } : { bytes: 0 };
      },
      streamAbort: async () => {
        calls.push({ method: 'abort' });
        return {};
      },
    },
  };
  return { api: api as never, calls, received };
}

describe('streamReprocess', () => {
  it('sends the opened instance chunk by chunk, byte for byte, and answers the act', async () => {
    const plaintext = new Uint8Array(20 * 1024 * 1024 + 333).map((_, i) => (i * 31) & 0xff);
    const { api, calls, received } = fakeApi(await sealed(plaintext));
    const answer = await streamReprocess(api, opener, 'ab'.repeat(32), 17);
    expect(answer).toEqual({ resolved: true, result: { outcome: 'stored', seq: 40 } });
    // Nobody named: the body journals the act as the session's operator.
    expect(calls[0]).toEqual({ method: 'begin', reprocess: { quarantineSeq: 17 } });
    const appends = calls.filter((call) => call.method === 'append');
    expect(appends).toHaveLength(41);
    expect(appends.map((call) => call.last)).toEqual([...Array<boolean>(40).fill(false), true]);
    expect(appends.slice(0, -1).every((call) => call.bytes === 512 * 1024)).toBe(true);
    expect(createHash('sha256').update(Buffer.concat(received)).digest('hex')).toBe(createHash('sha256').update(plaintext).digest('hex'));
    expect(calls.some((call) => call.method === 'abort')).toBe(false);
  });

  it('aborts on a damaged object: no last chunk is sent, and the error reaches the caller', async () => {
    const object = await sealed(new Uint8Array(3 * 1024 * 1024).fill(7));
    object[object.length - 100]! ^= 0x01;
    const { api, calls } = fakeApi(object);
    await expect(streamReprocess(api, opener, 'ab'.repeat(32), 17)).rejects.toThrow();
    expect(calls.filter((call) => call.method === 'append' && call.last === true)).toHaveLength(0);
    expect(calls.at(-1)).toEqual({ method: 'abort' });
  });
});
