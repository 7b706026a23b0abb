import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Journal } from '../../../electron/storage/journal';
import { frame, JOURNAL_MAGIC_V1, MAX_INLINE_OBJECT_BYTES } from '../../../electron/storage/journal-format';
import { checkVault } from '../../../electron/storage/vault-check';
import { openVaultStorage } from '../../../electron/storage/vault-storage';
import { collectBytes } from '../../../shared/crypto/envelope';
import { FaultyFs, fakeEnvelope, silentLogger } from './storage-test-support';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function vault(fs?: FaultyFs) {
  const dataDir = await tempDir();
  const storage = await openVaultStorage(dataDir, silentLogger(), fs === undefined ? {} : { fs });
  await writeFile(storage.layout.keysFile, '{}');
  return { dataDir, storage };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await filesUnder(path.join(dir, entry.name))));
    else out.push(entry.name);
  }
  return out;
}

describe('inline objects (small sealed payloads carried by their journal record)', () => {
  it('stores the object in the record, reads it back through VaultObjects like an object file, and finds it again after reopen', async () => {
    const { dataDir, storage } = await vault();
    const small = fakeEnvelope('object', 2000);
    const id = sha(small);
    const { seq } = await storage.journal.append({ kind: 'intake.hl7', objects: [id], meta: fakeEnvelope('journalMetadata', 100), inline: [small] });
    const big = fakeEnvelope('object', 300_000);
    const { id: bigId } = await storage.objects.write(big);
    await storage.journal.append({ kind: 'intake.dicom', objects: [bigId], meta: fakeEnvelope('journalMetadata', 100) });

    expect(await filesUnder(storage.layout.objectsDir)).toEqual([bigId.slice(2)]); // no file for the inline one
    expect(storage.objects.isInline(id)).toBe(true);
    expect(storage.objects.isInline(bigId)).toBe(false);
    expect(await storage.objects.has(id)).toBe(true);
    expect(Buffer.from(await storage.objects.readAll(id)).equals(small)).toBe(true);
    expect(Buffer.from(await collectBytes(storage.objects.read(id))).equals(small)).toBe(true);
    const slice = await storage.objects.readSlice(id, 100, 50);
    expect(slice.size).toBe(small.length);
    expect(Buffer.from(slice.bytes).equals(small.subarray(100, 150))).toBe(true);
    expect((await storage.objects.readSlice(id, small.length - 10, 1000)).bytes.length).toBe(10);
    await expect(storage.objects.readSlice(id, small.length + 1, 1)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(storage.objects.readAll(id, 100)).rejects.toMatchObject({ code: 'E_INVALID' });
    const listed: string[] = [];
    for await (const each of storage.objects.list()) listed.push(each);
    expect(listed.sort()).toEqual([id, bigId].sort());
    // The record read back carries the bytes (the body strips `inline` from what it hands the mind).
    const { records } = await storage.journal.read({ after: seq - 1, limit: 1 });
    expect(records[0]!.inline).toEqual({ [id]: small.toString('base64url') });
    await storage.close();

    const again = await openVaultStorage(dataDir, silentLogger());
    expect(again.objects.inlineObjects).toBe(1);
    expect(Buffer.from(await again.objects.readAll(id)).equals(small)).toBe(true);
    await again.close();
    expect(await checkVault(dataDir)).toMatchObject({ objects: 2, inlineObjects: 1, errors: [] });
  });

  it('refuses inline bytes that are not a sealed object, too large, or not listed in objects', async () => {
    const { storage } = await vault();
    const meta = fakeEnvelope('journalMetadata', 50);
    const good = fakeEnvelope('object', 100);
    const refuse = (entry: Parameters<Journal['append']>[0]) => expect(storage.journal.append(entry)).rejects.toMatchObject({ code: 'E_INVALID' });
    await refuse({ kind: 'intake.hl7', objects: [], inline: [good] });
    await refuse({ kind: 'intake.hl7', objects: ['a'.repeat(64)], inline: [good] });
    const plain = Buffer.from('MSH|^~\\&|not sealed|'.repeat(20));
    await refuse({ kind: 'intake.hl7', objects: [sha(plain)], inline: [plain] });
    await refuse({ kind: 'intake.hl7', objects: [sha(meta)], inline: [meta] });
    const huge = fakeEnvelope('object', MAX_INLINE_OBJECT_BYTES);
    await refuse({ kind: 'intake.hl7', objects: [sha(huge)], inline: [huge] });
    expect(storage.journal.lastSeq).toBe(0);
    await storage.close();
  });

  it('makes a whole batch of inline objects durable with the record fdatasync: no object file, no rename, no folder fsync', async () => {
    const fs = new FaultyFs();
    const { dataDir, storage } = await vault(fs);
    const before = fs.datasyncs;
    const payloads = Array.from({ length: 200 }, () => fakeEnvelope('object', 1500));
    const journalFile = path.join(storage.layout.journalDir, 'journal.hdj');
    const acked = await Promise.all(
      payloads.map(async (bytes) => {
        const result = await storage.journal.append({ kind: 'intake.hl7', objects: [sha(bytes)], meta: fakeEnvelope('journalMetadata', 100), inline: [bytes] });
        // At the ACK, the frame carrying the bytes lies inside what a completed fdatasync covered.
        return { ...result, durableEnd: fs.durableEnd.get(journalFile) ?? 0 };
      }),
    );
    const { records } = await storage.journal.read({ after: 0, limit: 1000 });
    const offsets = [...acked].sort((a, b) => a.seq - b.seq).map((a) => a.offset);
    for (const { seq, offset, durableEnd } of acked) {
      expect(records[seq - 1]!.inline).toBeDefined();
      // The frame ends where the next one starts (or, for the last, at the end of the file).
      const frameEnd = offsets[seq] ?? (await stat(journalFile)).size;
      expect(frameEnd).toBeGreaterThan(offset + 1500);
      expect(durableEnd).toBeGreaterThanOrEqual(frameEnd);
    }
    expect(fs.datasyncs - before).toBe(storage.journal.stats().batches);
    expect(storage.journal.stats().batches).toBeLessThan(payloads.length / 4);
    expect(await filesUnder(storage.layout.objectsDir)).toEqual([]);
    expect(await readdir(storage.layout.tmpDir)).toEqual([]);
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: 200 }, objects: 200, inlineObjects: 200, errors: [] });
  });

  it('erasure rewrites the journal without the erased records\' inline bytes, so they are gone from the vault folder', async () => {
    const { dataDir, storage } = await vault();
    const payloads = Array.from({ length: 6 }, () => fakeEnvelope('object', 3000));
    for (const bytes of payloads) await storage.journal.append({ kind: 'intake.hl7', objects: [sha(bytes)], meta: fakeEnvelope('journalMetadata', 100), inline: [bytes] });
    const victim = payloads[2]!;
    const victimId = sha(victim);
    // Version-2 journals hold sealed bytes as they are.
    expect((await readFile(storage.layout.journalFile)).includes(victim.subarray(999, 1047))).toBe(true);

    const result = await storage.journal.rewrite(new Set([3]), new Set([victimId]));
    expect(result).toEqual({ erased: 1, stillReferenced: [], droppedInline: [victimId] });
    expect(storage.objects.isInline(victimId)).toBe(false);
    await expect(storage.objects.readAll(victimId)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    // The others moved in the rewritten file and still read back.
    for (const bytes of payloads.filter((b) => b !== victim)) expect(Buffer.from(await storage.objects.readAll(sha(bytes))).equals(bytes)).toBe(true);
    await storage.close();
    const onDisk = await readFile(storage.layout.journalFile);
    expect(onDisk.includes(victim.subarray(999, 1047))).toBe(false);
    expect(onDisk.toString('latin1')).not.toContain(victim.subarray(999, 1047).toString('base64url'));
    expect(await readdir(storage.layout.journalDir)).toEqual(['journal.hdj']);
    expect(await checkVault(dataDir)).toMatchObject({ journal: { byKind: { erased: 1, 'intake.hl7': 5 } }, objects: 5, errors: [] });
  });

  it('refuses to erase a record whose inline object a remaining record still refers to, and changes nothing', async () => {
    const { storage } = await vault();
    const bytes = fakeEnvelope('object', 500);
    await storage.journal.append({ kind: 'intake.hl7', objects: [sha(bytes)], meta: fakeEnvelope('journalMetadata', 100), inline: [bytes] });
    await storage.journal.append({ kind: 'view.access', operator: 'op-1', objects: [sha(bytes)] });
    const before = await readFile(storage.layout.journalFile);
    // Not even named among the objects to delete: its bytes would still go with record 1.
    expect(await storage.journal.rewrite(new Set([1]))).toEqual({ erased: 0, stillReferenced: [sha(bytes)], droppedInline: [] });
    expect(await readFile(storage.layout.journalFile)).toEqual(before);
    expect(storage.objects.isInline(sha(bytes))).toBe(true);
    await storage.close();
  });

  it('vault:check verifies inline objects by hash and envelope header', async () => {
    const { dataDir, storage } = await vault();
    await storage.close();
    // Hand-made records with valid frames (CRC fine), so only the content-address check can object.
    const good = fakeEnvelope('object', 400);
    const tampered = Buffer.from(fakeEnvelope('object', 400));
    const tamperedId = sha(tampered);
    tampered[300]! ^= 0x01;
    const notObject = fakeEnvelope('journalMetadata', 400);
    const at = new Date().toISOString();
    const record = (seq: number, bytes: Buffer, id = sha(bytes)) =>
      frame(Buffer.from(JSON.stringify({ seq, kind: 'intake.hl7', at, operator: null, objects: [id], meta: null, inline: { [id]: bytes.toString('base64url') } })));
    // A version-1 journal (JSON records), as vaults made before version 2 hold.
    await writeFile(storage.layout.journalFile, Buffer.concat([JOURNAL_MAGIC_V1, record(1, good), record(2, tampered, tamperedId), record(3, notObject)]));
    const report = await checkVault(dataDir);
    expect(report.objects).toBe(3);
    expect(report.inlineObjects).toBe(3);
    expect(report.errors).toHaveLength(2);
    expect(report.errors[0]).toMatch(new RegExp(`^object ${tamperedId}: inline in journal record seq 2 at offset \\d+: content does not match its name`));
    expect(report.errors[1]).toMatch(/inline in journal record seq 3 .*kind journalMetadata, not object/);
  });
});
