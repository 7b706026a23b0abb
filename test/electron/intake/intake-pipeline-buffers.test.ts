import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBodySealer } from '../../../electron/crypto/node-sealer';
import type { Sealer } from '../../../shared/crypto/envelope';
import type { NormalizedIntake } from '../../../shared/domain/clinical';
import { FaultyFs } from '../storage/storage-test-support';
import { useIntakePipelines } from './intake-pipeline-support';

/** The body's sealer, noting the buffer each object seal was offered (`output`), in call order. */
function recordingSealers(): { readonly offered: (ArrayBufferLike | null)[]; make: (key: Uint8Array) => Promise<Sealer> } {
  const offered: (ArrayBufferLike | null)[] = [];
  return {
    offered,
    async make(key) {
      const inner = await createBodySealer(key);
      return {
        chunkSize: inner.chunkSize,
        ephemeralPublicKey: inner.ephemeralPublicKey,
        seal(kind, plaintext, options) {
          if (kind === 'object') offered.push(options?.output?.buffer ?? null);
          return inner.seal(kind, plaintext, options);
        },
        sealStream: (kind, source) => inner.sealStream(kind, source),
      };
    },
  };
}

const recording = recordingSealers();
const { setup } = useIntakePipelines((key) => recording.make(key));

const normalized = (id: string): NormalizedIntake => ({ channel: 'dicom', patient: { identifiers: [{ value: id }], name: { family: 'Test' } }, records: [] }) as unknown as NormalizedIntake;

describe('intake pipeline: recycled envelope buffers for object files', () => {
  it('seals an object-file payload into a buffer given back after the write: the next one reuses it, and each object opens to its own bytes', async () => {
    recording.offered.length = 0;
    const { storage, pipeline, opener } = await setup();
    const first = randomBytes(200 * 1024);
    const second = randomBytes(300 * 1024);
    const a = await pipeline.ingest({ kind: 'intake.dicom', raw: first, normalized: normalized('A') });
    const b = await pipeline.ingest({ kind: 'intake.dicom', raw: second, normalized: normalized('B') });
    expect(recording.offered).toHaveLength(2);
    expect(recording.offered[0]).not.toBeNull();
    expect(recording.offered[1]).toBe(recording.offered[0]);
    expect(Buffer.from((await opener.open(await storage.objects.readAll(a.objectId))).plaintext).equals(first)).toBe(true);
    expect(Buffer.from((await opener.open(await storage.objects.readAll(b.objectId))).plaintext).equals(second)).toBe(true);
    await storage.close();
  });

  it('never lends one buffer to two writes in flight', async () => {
    recording.offered.length = 0;
    const { storage, pipeline, opener } = await setup();
    const payloads = Array.from({ length: 6 }, () => randomBytes(100 * 1024 + Math.floor(Math.random() * 50_000)));
    const results = await Promise.all(payloads.map((raw, i) => pipeline.ingest({ kind: 'intake.dicom', raw, normalized: normalized(`P${i}`) })));
    expect(new Set(recording.offered).size).toBe(6);
    for (const [i, result] of results.entries()) {
      expect(Buffer.from((await opener.open(await storage.objects.readAll(result.objectId))).plaintext).equals(payloads[i]!)).toBe(true);
    }
    await storage.close();
  });

  it('offers no buffer to payloads that travel inline in the journal, and does not reuse one whose write failed', async () => {
    recording.offered.length = 0;
    const fs = new FaultyFs();
    const { storage, pipeline, opener } = await setup({ fs });
    await pipeline.ingest({ kind: 'intake.dicom', raw: randomBytes(10 * 1024), normalized: normalized('small') });
    expect(recording.offered).toEqual([null]);

    fs.failDatasync = { code: 'EIO', times: 1 };
    await expect(pipeline.ingest({ kind: 'intake.dicom', raw: randomBytes(100 * 1024), normalized: normalized('failed') })).rejects.toThrow();
    const raw = randomBytes(100 * 1024);
    const stored = await pipeline.ingest({ kind: 'intake.dicom', raw, normalized: normalized('after') });
    expect(recording.offered).toHaveLength(3);
    expect(recording.offered[2]).not.toBeNull();
    expect(recording.offered[2]).not.toBe(recording.offered[1]);
    expect(Buffer.from((await opener.open(await storage.objects.readAll(stored.objectId))).plaintext).equals(raw)).toBe(true);
    await storage.close();
  });
});
