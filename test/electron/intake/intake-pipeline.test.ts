import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntakeMetadataV1 } from '../../../electron/intake/intake-pipeline';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { KeyringStore } from '../../../electron/vault/keyring-store';
import { openVaultStorage } from '../../../electron/storage/vault-storage';
import { checkVault } from '../../../electron/storage/vault-check';
import { collectBytes, createOpener, createSealer } from '../../../shared/crypto/envelope';
import { NormalizedIntakeSchema } from '../../../shared/domain/clinical';
import { FaultyFs, silentLogger } from '../storage/storage-test-support';
import { makeTestVault } from '../vault/vault-test-support';
import { REPO_ROOT } from '../../support/repo-paths';
import { useIntakePipelines } from './intake-pipeline-support';

const { tempDir, setup } = useIntakePipelines(createSealer);

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
    expect(parsed).toEqual({ v: 1, channel: 'demo', receivedAt: receivedAt.toISOString(), rawBytes: message!.raw.length, normalized: message!.normalized });
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
    expect(meta).toMatchObject({ channel: 'dicom', rawBytes: 5 * piece.length });
    await storage.close();
  });

  it('carries small raw payloads inline in the journal record (no object file) and writes large ones as object files', async () => {
    const { dataDir, storage, pipeline, opener } = await setup();
    const [message] = messages(1);
    const small = await pipeline.ingest({ kind: 'intake.hl7', raw: message!.raw, normalized: message!.normalized });
    expect(storage.objects.isInline(small.objectId)).toBe(true);
    const large = new Uint8Array(200 * 1024).fill(0x42);
    const big = await pipeline.ingest({ kind: 'intake.dicom', raw: large, normalized: { ...message!.normalized, channel: 'dicom' } });
    expect(storage.objects.isInline(big.objectId)).toBe(false);
    const files: string[] = [];
    for await (const id of storage.objects.files.list()) files.push(id);
    expect(files).toEqual([big.objectId]);
    expect(Buffer.from((await opener.open(await storage.objects.readAll(small.objectId))).plaintext).equals(Buffer.from(message!.raw))).toBe(true);
    expect((await opener.open(await storage.objects.readAll(big.objectId))).plaintext.length).toBe(large.length);
    await storage.close();
    expect(await checkVault(dataDir)).toMatchObject({ objects: 2, inlineObjects: 1, errors: [] });
  });

  it('survives kill -9 mid-flood: every acknowledged message has its record and its raw bytes, hash-correct, exactly once; vault:check is clean', { timeout: 90_000 }, async () => {
    const dataDir = await tempDir();
    const vault = await makeTestVault();
    await new KeyringStore(dataDir).create(vault.keyring);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'electron', 'storage', 'pipeline-flood-child.ts'), dataDir, vault.keyring.intakePublicKey, '64'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const acked: Array<{ seq: number; objectId: string; i: number }> = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The child acknowledged only ${acked.length} messages: ${stderr}`)), 75_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!; // a line cut by the kill is ignored
        for (const line of lines) {
          if (line.startsWith('ready')) continue;
          const [seq, objectId, i] = line.split(' ');
          acked.push({ seq: Number(seq), objectId: objectId!, i: Number(i) });
        }
        if (acked.length >= 2500 && !child.killed) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`The child exited early: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const storage = await openVaultStorage(dataDir, silentLogger());
    const records = [];
    for (let after = 0; ; ) {
      const page = await storage.journal.read({ after, limit: 2000 });
      records.push(...page.records);
      after = page.nextCursor;
      if (page.end) break;
    }
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const carriers = new Map<string, number>();
    for (const record of records) for (const id of record.objects) carriers.set(id, (carriers.get(id) ?? 0) + 1);
    const sent = [...generateDemoMessages({ patients: 300, seed: 11, now: new Date('2026-02-01T00:00:00Z') })];
    for (const [n, { seq, objectId, i }] of acked.entries()) {
      expect(bySeq.get(seq)).toMatchObject({ kind: 'intake.hl7', objects: [objectId] });
      expect(carriers.get(objectId)).toBe(1);
      const sealed = await storage.objects.readAll(objectId);
      expect(createHash('sha256').update(sealed).digest('hex')).toBe(objectId);
      if (n % 100 === 0) expect(Buffer.from((await opener(vault).open(sealed)).plaintext).equals(Buffer.from(sent[i]!.raw))).toBe(true);
    }
    expect(records.length).toBeGreaterThanOrEqual(acked.length);
    await storage.close();
    expect(await readdir(path.join(dataDir, 'vault', 'tmp'))).toEqual([]);
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
    expect(report.journal.tornTail).toBe(false);
    expect(report.inlineObjects).toBe(records.filter((r) => r.kind === 'intake.hl7').length);
  });
});

function opener(vault: Awaited<ReturnType<typeof makeTestVault>>) {
  return createOpener(vault.keys.intakeKeyPair.privateKey);
}
