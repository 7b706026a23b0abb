import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../electron/storage/object-store';
import { StorageError } from '../../../electron/storage/storage-errors';
import { encodeEnvelopeHeader } from '../../../shared/crypto/envelope-format';
import { useTempDirs } from '../../support/temp-dir';
import { fakeEnvelope, FaultyFs, silentLogger } from './storage-test-support';

const tempDir = useTempDirs();

async function openStore(fs?: FaultyFs): Promise<{ store: ObjectStore; objectsDir: string; tmpDir: string }> {
  const root = await tempDir();
  const objectsDir = path.join(root, 'objects');
  const tmpDir = path.join(root, 'tmp');
  const store = await ObjectStore.open({ objectsDir, tmpDir, log: silentLogger(), ...(fs === undefined ? {} : { fs }) });
  return { store, objectsDir, tmpDir };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('object store', () => {
  it('stores an object under the SHA-256 of its bytes, reads it back, and dedupes', async () => {
    const { store, objectsDir, tmpDir } = await openStore();
    const bytes = fakeEnvelope('object', 1000);
    const id = sha256(bytes);
    const first = await store.write(bytes);
    expect(first).toEqual({ id, size: bytes.length, existed: false });
    expect(await readFile(path.join(objectsDir, id.slice(0, 2), id.slice(2)))).toEqual(bytes);
    expect(Buffer.from(await store.readAll(id))).toEqual(bytes);
    expect(await collect(store.read(id))).toEqual(bytes);
    expect(await store.has(id)).toBe(true);
    expect((await store.stat(id))?.size).toBe(bytes.length);

    async function* chunked(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    expect(await store.write(chunked())).toEqual({ id, size: bytes.length, existed: true });
    const other = await store.write(fakeEnvelope('object', 16));
    expect(other.existed).toBe(false);
    const listed: string[] = [];
    for await (const listedId of store.list()) listed.push(listedId);
    expect(listed.sort()).toEqual([id, other.id].sort());
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('names a byte array by the SHA-256 of exactly its bytes, whichever way it is hashed (a view into a larger buffer, over 4 MiB)', async () => {
    const { store, objectsDir } = await openStore();
    // Up to 4 MiB the digest runs as a WebCrypto job on the thread pool, above it here piece by piece.
    const large = fakeEnvelope('object', 5 * 1024 * 1024);
    const surrounding = Buffer.concat([Buffer.from('before'), fakeEnvelope('object', 300_000), Buffer.from('after')]);
    const view = surrounding.subarray(6, surrounding.length - 5);
    for (const bytes of [large, view]) {
      const written = await store.write(bytes);
      expect(written).toEqual({ id: sha256(bytes), size: bytes.length, existed: false });
      // equals(), not toEqual: a deep comparison of 5 MiB takes vitest tens of seconds.
      expect((await readFile(path.join(objectsDir, written.id.slice(0, 2), written.id.slice(2)))).equals(bytes)).toBe(true);
    }
  });

  it('streams a 50 MiB object to disk as it arrives, never holding it whole', async () => {
    const { store, tmpDir } = await openStore();
    const chunkBytes = 64 * 1024;
    const chunks = 800; // 50 MiB
    const expected = createHash('sha256');
    const reused = Buffer.alloc(chunkBytes); // the source reuses its buffer, as a cipher stream may
    let tempSizeMidway = -1;
    let peakExternal = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < chunks; i++) {
        if (i === 0) reused.set(fakeEnvelope('object', chunkBytes - 140));
        else reused.fill(i % 251);
        expected.update(reused);
        if (i === chunks / 2) {
          const temps = readdirSync(tmpDir);
          expect(temps).toHaveLength(1);
          tempSizeMidway = statSync(path.join(tmpDir, temps[0]!)).size;
        }
        if (i % 50 === 0) peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers - baseline);
        yield reused;
      }
    }
    const result = await store.write(source());
    expect(result.size).toBe(chunks * chunkBytes);
    expect(result.id).toBe(expected.digest('hex'));
    // Half the source produced: the temp file already holds (nearly) all of it.
    expect(tempSizeMidway).toBeGreaterThanOrEqual((chunks / 2 - 1) * chunkBytes);
    expect(peakExternal).toBeLessThan(16 * 1024 * 1024);
    const readBack = createHash('sha256');
    let total = 0;
    for await (const chunk of store.read(result.id)) {
      readBack.update(chunk as Buffer);
      total += (chunk as Buffer).length;
    }
    expect(total).toBe(result.size);
    expect(readBack.digest('hex')).toBe(result.id);
    await expect(store.readAll(result.id, 1024 * 1024)).rejects.toMatchObject({ code: 'E_INVALID' });
  });

  it.each([
    ['too short', 'a'.repeat(63)],
    ['too long', 'a'.repeat(65)],
    ['upper case', 'A'.repeat(64)],
    ['a path', `../../${'a'.repeat(58)}`],
    ['a separator', `ab/${'c'.repeat(61)}`],
    ['not a string', 42 as unknown as string],
  ])('refuses an id that is %s', async (_label, id) => {
    const { store } = await openStore();
    expect(() => store.read(id)).toThrow(StorageError);
    expect(() => store.pathOf(id)).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    await expect(store.has(id)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(store.stat(id)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(store.readAll(id)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(store.delete(id)).rejects.toMatchObject({ code: 'E_INVALID' });
  });

  it('refuses bytes that are not a sealed envelope, leaving nothing behind', async () => {
    const { store, objectsDir, tmpDir } = await openStore();
    await expect(store.write(Buffer.from('MSH|^~\\&|LAB|CLINIC|'.repeat(20)))).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(store.write(fakeEnvelope('object', 0))).rejects.toMatchObject({ code: 'E_INVALID' }); // header but no tag
    const header = encodeEnvelopeHeader({ kind: 'object', chunkSize: 65536, ephemeralPublicKey: new Uint8Array([4, ...new Uint8Array(64)]), salt: new Uint8Array(16), noncePrefix: new Uint8Array(7), wrappedKey: new Uint8Array(40) });
    await expect(store.write(header.subarray(0, 100))).rejects.toMatchObject({ code: 'E_INVALID' });
    expect(await readdir(tmpDir)).toEqual([]);
    for await (const id of store.list()) throw new Error(`unexpected object ${id}`);
    expect(await readdir(objectsDir)).toHaveLength(256); // the fan-out folders, created at open, all empty
    for (const dir of await readdir(objectsDir)) expect(await readdir(path.join(objectsDir, dir))).toEqual([]);
  });

  it('removes its orphaned temp files at open and leaves other files alone', async () => {
    const root = await tempDir();
    const tmpDir = path.join(root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    await writeFile(path.join(tmpDir, 'obj-0123abcd.tmp'), 'half an object');
    await writeFile(path.join(tmpDir, 'backup-in-progress.bin'), 'not ours');
    await ObjectStore.open({ objectsDir: path.join(root, 'objects'), tmpDir, log: silentLogger() });
    expect(await readdir(tmpDir)).toEqual(['backup-in-progress.bin']);
  });

  it('deletes objects (durably) and reports missing ones clearly', async () => {
    const { store } = await openStore();
    const { id } = await store.write(fakeEnvelope());
    expect(await store.delete(id)).toBe(true);
    expect(await store.delete(id)).toBe(false);
    expect(await store.has(id)).toBe(false);
    expect(await store.stat(id)).toBeNull();
    await expect(store.readAll(id)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(collect(store.read(id))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('reports a full disk as E_DISK_FULL and removes the temp file', async () => {
    const fs = new FaultyFs();
    const { store, tmpDir, objectsDir } = await openStore(fs);
    fs.spaceLeft = 100_000;
    const error = await store.write(fakeEnvelope('object', 300_000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_DISK_FULL' });
    expect((error as Error).message).toContain(objectsDir);
    expect(await readdir(tmpDir)).toEqual([]);
    fs.spaceLeft = Number.POSITIVE_INFINITY;
    expect((await store.write(fakeEnvelope('object', 300_000))).existed).toBe(false);
  });

  it('reports a folder it may not write as E_PERMISSION naming the folder', async () => {
    const fs = new FaultyFs();
    const { store, tmpDir } = await openStore(fs);
    fs.failOpen = () => 'EACCES';
    const error = await store.write(fakeEnvelope()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_PERMISSION' });
    expect((error as Error).message).toContain(tmpDir);
  });
});
