import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InlineIndex } from '../../../electron/storage/inline-index';
import { checkVault } from '../../../electron/storage/vault-check';
import { openVaultStorage } from '../../../electron/storage/vault-storage';
import { fakeEnvelope, silentLogger } from './storage-test-support';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const id = (n: number): string => createHash('sha256').update(`inline-${n}`).digest('hex');

describe('inline object index (bounded memory, the rest in sorted run files)', () => {
  it('keeps its memory under a bound while 200k entries arrive, and still finds every one', async () => {
    const memoryEntries = 4096;
    const index = await InlineIndex.create(await tempDir(), { memoryEntries });
    const total = 200_000;
    // Both memtables full, the fences of 200k entries (4 bytes per 102), the lookup buffers.
    const bound = 2 * memoryEntries * 130 + 64 * 1024;
    let at20k = 0;
    for (let n = 0; n < total; n++) {
      index.add(id(n), n * 512 + 8);
      if (index.backlogged) await index.drain();
      expect(index.stats().memoryEntries).toBeLessThanOrEqual(2 * memoryEntries);
      if (n + 1 === 20_000) {
        await index.drain();
        at20k = index.stats().memoryBytes;
      }
    }
    await index.drain();
    const stats = index.stats();
    expect(stats.entries).toBe(total);
    expect(stats.memoryBytes).toBeLessThan(bound);
    // Ten times the entries, nearly the same memory (a Map held ~130 bytes per entry: 26 MB here).
    expect(stats.memoryBytes - at20k).toBeLessThan(16 * 1024);
    expect(stats.diskBytes).toBeGreaterThan(total * 40 - 2 * memoryEntries * 40);
    // Pairwise merges keep the runs logarithmic.
    expect(stats.runs).toBeLessThanOrEqual(Math.ceil(Math.log2(total / memoryEntries)) + 1);
    for (let n = 0; n < total; n += 97) expect(index.get(id(n))).toBe(n * 512 + 8);
    expect(index.get(id(total - 1))).toBe((total - 1) * 512 + 8);
    for (let n = total; n < total + 500; n++) expect(index.has(id(n))).toBe(false);
    let listed = 0;
    for await (const each of index.ids()) if (/^[0-9a-f]{64}$/.test(each)) listed++;
    expect(listed).toBe(total);
    await index.close();
  });

  it('a later entry for the same id wins over an older run, also across merges', async () => {
    const index = await InlineIndex.create(await tempDir(), { memoryEntries: 8 });
    for (let n = 0; n < 100; n++) index.add(id(n), n);
    await index.drain();
    for (let n = 0; n < 100; n += 3) index.add(id(n), 10_000 + n);
    for (let n = 200; n < 300; n++) index.add(id(n), n);
    await index.drain();
    for (let n = 0; n < 100; n++) expect(index.get(id(n))).toBe(n % 3 === 0 ? 10_000 + n : n);
    await index.close();
  });

  it('finds an id whose first 4 bytes equal a block fence (the block before may hold it too)', async () => {
    const index = await InlineIndex.create(await tempDir(), { memoryEntries: 1000 });
    // 300 ids sharing one 4-byte prefix span three blocks whose fences are all that prefix.
    const ids = Array.from({ length: 300 }, () => `abcdef01${randomBytes(28).toString('hex')}`);
    ids.forEach((each, n) => index.add(each, n));
    for (let n = 0; n < 700; n++) index.add(id(n), 1000 + n);
    await index.drain();
    expect(index.stats().memoryEntries).toBe(0);
    ids.forEach((each, n) => expect(index.get(each)).toBe(n));
    expect(index.has(`abcdef01${'0'.repeat(56)}`)).toBe(false);
    await index.close();
  });
});

describe('journal inline objects through the on-disk index', () => {
  async function appendMany(storage: Awaited<ReturnType<typeof openVaultStorage>>, count: number): Promise<Buffer[]> {
    const payloads = Array.from({ length: count }, () => fakeEnvelope('object', 120));
    for (let i = 0; i < count; i += 250) {
      // Concurrent appends share group commits; the index fills and writes runs as batches land.
      await Promise.all(payloads.slice(i, i + 250).map((bytes) => storage.journal.append({ kind: 'intake.hl7', objects: [sha(bytes)], meta: fakeEnvelope('journalMetadata', 60), inline: [bytes] })));
    }
    return payloads;
  }

  it('reads every object back after reopen and after an erasure rewrite, with the memtable bounded', async () => {
    const dataDir = await tempDir();
    const options = { inlineMemoryEntries: 64 };
    let storage = await openVaultStorage(dataDir, silentLogger(), options);
    await writeFile(storage.layout.keysFile, '{}');
    const payloads = await appendMany(storage, 2000);
    const stats = storage.journal.inlineIndexStats();
    expect(stats.memoryEntries).toBeLessThanOrEqual(128);
    expect(stats.runs).toBeGreaterThan(0);
    expect(storage.objects.inlineObjects).toBe(2000);
    for (const bytes of payloads) expect(Buffer.from(await storage.objects.readAll(sha(bytes))).equals(bytes)).toBe(true);
    await storage.close();
    // The index folder goes with the journal.
    expect((await readdir(storage.layout.journalDir)).filter((name) => name.startsWith('inline-index-'))).toEqual([]);

    storage = await openVaultStorage(dataDir, silentLogger(), options);
    expect(storage.journal.inlineIndexStats().memoryEntries).toBeLessThanOrEqual(128);
    for (const bytes of payloads) expect(Buffer.from(await storage.objects.readAll(sha(bytes))).equals(bytes)).toBe(true);

    const erase = new Set([1, 500, 1999, 2000]);
    const victims = [...erase].map((seq) => sha(payloads[seq - 1]!));
    const result = await storage.journal.rewrite(erase, new Set(victims));
    expect(result.erased).toBe(4);
    expect(result.droppedInline).toEqual([...victims].sort());
    for (const [n, bytes] of payloads.entries()) {
      if (erase.has(n + 1)) expect(storage.objects.isInline(sha(bytes))).toBe(false);
      else expect(Buffer.from(await storage.objects.readAll(sha(bytes))).equals(bytes)).toBe(true);
    }
    // Appends after the rewrite go into the new index.
    const more = await appendMany(storage, 300);
    expect(Buffer.from(await storage.objects.readAll(sha(more[299]!))).equals(more[299]!)).toBe(true);
    await storage.close();

    storage = await openVaultStorage(dataDir, silentLogger(), options);
    expect(storage.objects.inlineObjects).toBe(2296);
    for (const [n, bytes] of [...payloads, ...more].entries()) {
      if (erase.has(n + 1)) await expect(storage.objects.readAll(sha(bytes))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      else expect(Buffer.from(await storage.objects.readAll(sha(bytes))).equals(bytes)).toBe(true);
    }
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: 2300 }, inlineObjects: 2296, errors: [] });
  }, 60_000);

  it('removes an index folder a crash left behind when the journal opens', async () => {
    const dataDir = await tempDir();
    const storage = await openVaultStorage(dataDir, silentLogger());
    const left = await InlineIndex.create(storage.layout.journalDir);
    left.add(id(1), 8);
    await storage.close();
    const again = await openVaultStorage(dataDir, silentLogger());
    const folders = (await readdir(again.layout.journalDir)).filter((name) => name.startsWith('inline-index-'));
    expect(folders).toHaveLength(1);
    expect(folders[0]).not.toBe(left.folder.split('/').pop());
    await again.close();
  });
});
