import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIntakePipeline, type IntakeMetadataV1 } from '../../../electron/intake/intake-pipeline';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { KeyringStore } from '../../../electron/vault/keyring-store';
import { openVaultStorage, type VaultStorage } from '../../../electron/storage/vault-storage';
import { checkVault } from '../../../electron/storage/vault-check';
import { collectBytes, createOpener, createSealer } from '../../../shared/crypto/envelope';
import { NormalizedIntakeSchema } from '../../../shared/domain/clinical';
import { FaultyFs, silentLogger } from '../storage/storage-test-support';
import { makeTestVault } from '../vault/vault-test-support';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

async function setup(options: { fs?: FaultyFs } = {}) {
  const dataDir = await tempDir();
  const vault = await makeTestVault();
  await new KeyringStore(dataDir).create(vault.keyring);
  const storage: VaultStorage = await openVaultStorage(dataDir, silentLogger(), options.fs === undefined ? {} : { fs: options.fs });
  const sealer = await createSealer(vault.keys.intakeKeyPair.publicKeyRaw);
  const durable: number[] = [];
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer, onDurable: (seq) => durable.push(seq) });
  const opener = createOpener(vault.keys.intakeKeyPair.privateKey);
  return { dataDir, storage, pipeline, opener, durable };
}

const NOW = new Date('2026-01-15T12:00:00Z');
const messages = (patients: number) => [...generateDemoMessages({ patients, seed: 7, now: NOW })];

describe('intake pipeline', () => {
  it('seals the raw bytes as an object and the metadata into one journal record, both opening with the intake private key', async () => {
    const { dataDir, storage, pipeline, opener, durable } = await setup();
    const [message] = messages(1);
    const receivedAt = new Date('2026-01-15T12:34:56.789Z');
    const { seq, objectId } = await pipeline.ingest({ kind: 'intake.demo', raw: message!.raw, normalized: message!.normalized, receivedAt });
    expect(seq).toBe(1);
    expect(durable).toEqual([1]);

    const sealedRaw = await storage.objects.readAll(objectId);
    const raw = await opener.open(sealedRaw);
    expect(raw.kind).toBe('object');
    expect(Buffer.from(raw.plaintext).equals(Buffer.from(message!.raw))).toBe(true);

    const { records } = await storage.journal.read({ after: 0, limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ seq: 1, kind: 'intake.demo', operator: null, objects: [objectId] });
    const meta = await opener.open(Buffer.from(records[0]!.meta!, 'base64url'));
    expect(meta.kind).toBe('journalMetadata');
    const parsed = JSON.parse(new TextDecoder().decode(meta.plaintext)) as IntakeMetadataV1;
    expect(parsed).toEqual({ v: 1, channel: 'demo', receivedAt: receivedAt.toISOString(), objectId, rawBytes: message!.raw.length, normalized: message!.normalized });
    expect(NormalizedIntakeSchema.parse(parsed.normalized)).toEqual(message!.normalized);

    // Nothing readable on disk: the name is in the message, but not in the vault's files.
    const family = message!.normalized.patient.name.family;
    expect(Buffer.from(sealedRaw).toString('utf8')).not.toContain(family);
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: 1, byKind: { 'intake.demo': 1 } }, objects: 1, errors: [] });
  });

  it('acknowledges only after the fdatasync that covers the record', async () => {
    const fs = new FaultyFs();
    const { dataDir, storage, pipeline } = await setup({ fs });
    const journalFile = path.join(dataDir, 'vault', 'journal', 'journal.hdj');
    const all = messages(3);
    const checks = await Promise.all(
      all.map(async (message) => {
        const result = await pipeline.ingest({ kind: 'intake.demo', raw: message.raw, normalized: message.normalized });
        // At the moment of the ACK, the journal bytes up to and including this record are durable.
        const { records } = await storage.journal.read({ after: result.seq - 1, limit: 1 });
        return { result, durableEnd: fs.durableEnd.get(journalFile) ?? 0, seq: records[0]!.seq };
      }),
    );
    for (const { result, durableEnd, seq } of checks) {
      expect(seq).toBe(result.seq);
      expect(durableEnd).toBeGreaterThan(8);
    }
    const size = (await import('node:fs/promises')).stat(journalFile);
    expect(fs.durableEnd.get(journalFile)).toBe((await size).size);
    await storage.close();
  });

  it('does not acknowledge when the journal cannot be made durable', async () => {
    const fs = new FaultyFs();
    const { storage, pipeline } = await setup({ fs });
    const [message] = messages(1);
    fs.failDatasync = { code: 'EIO', times: 1 };
    await expect(pipeline.ingest({ kind: 'intake.demo', raw: message!.raw, normalized: message!.normalized })).rejects.toMatchObject({ code: 'E_IO' });
    expect((await storage.journal.read({ after: 0, limit: 10 })).records).toHaveLength(0);
    await storage.close();
  });

  it('takes many ingests in flight at once, group-commits them, and gives every one its own seq and object', async () => {
    const { dataDir, storage, pipeline } = await setup();
    const all = messages(40);
    const results = await Promise.all(all.map((m) => pipeline.ingest({ kind: 'intake.demo', raw: m.raw, normalized: m.normalized })));
    expect(new Set(results.map((r) => r.seq)).size).toBe(all.length);
    expect(new Set(results.map((r) => r.objectId)).size).toBe(all.length);
    expect([...results.map((r) => r.seq)].sort((a, b) => a - b)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(storage.journal.stats().batches).toBeLessThan(all.length);
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ journal: { records: all.length }, objects: all.length, errors: [] });
  });

  it('streams large raw payloads (an async source) and counts their bytes', async () => {
    const { storage, pipeline, opener } = await setup();
    const [message] = messages(1);
    const piece = new Uint8Array(300 * 1024).fill(0x41);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 5; i++) yield piece;
    }
    const { seq, objectId } = await pipeline.ingest({ kind: 'intake.dicom', raw: big(), normalized: { ...message!.normalized, channel: 'dicom' } });
    const opened = await opener.openStream(storage.objects.read(objectId));
    expect((await collectBytes(opened.plaintext)).length).toBe(5 * piece.length);
    const { records } = await storage.journal.read({ after: seq - 1, limit: 1 });
    const meta = JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(records[0]!.meta!, 'base64url'))).plaintext)) as IntakeMetadataV1;
    expect(meta).toMatchObject({ channel: 'dicom', rawBytes: 5 * piece.length, objectId });
    await storage.close();
  });
});
