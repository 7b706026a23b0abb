import { crc32 } from 'node:zlib';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpener, createSealer } from '../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { Journal, type JournalEntry, type JournalRecord } from '../../../electron/storage/journal';
import { decodeRecordV2, encodeRecordTailV2, encodeRecordV2, JOURNAL_MAGIC_V1, JOURNAL_MAGIC_V2 } from '../../../electron/storage/journal-format';
import { checkVault } from '../../../electron/storage/vault-check';
import { JOURNAL_FILE_NAME, vaultLayout } from '../../../electron/storage/vault-layout';
import { useTempDirs } from '../../support/temp-dir';
import { fakeEnvelope, silentLogger } from './storage-test-support';

/**
 * A mind event's sealed `actor` (journal-format.ts): the body's record of who made it. Old
 * records (without one) keep reading in both versions, a new one round-trips, and the account id
 * inside is never in clear in the file.
 */

const tempDir = useTempDirs();
const ACCOUNT = 'acct_Cleo-7f3a9c2e1b';

async function sealedActor(): Promise<{ actor: Uint8Array; open: (text: string) => Promise<unknown> }> {
  const keys = await deriveVaultKeys(generateMasterSecret());
  const sealer = await createSealer(keys.intakeKeyPair.publicKeyRaw);
  const opener = createOpener(keys.intakeKeyPair.privateKey);
  const actor = await sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify({ v: 1, operatorId: ACCOUNT })));
  return { actor, open: async (text) => JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(text, 'base64url'))).plaintext)) as unknown };
}

async function readAll(dir: string): Promise<JournalRecord[]> {
  const journal = await Journal.open(dir, silentLogger());
  try {
    return [...(await journal.read({ after: 0, limit: 100 })).records];
  } finally {
    await journal.close();
  }
}

/**
 * A version-2 record body written byte by byte in the layout every journal before the actor has
 * (not with the encoder under test): seq, at, kind, operator, no dedupe tag, no objects, one note,
 * the meta, nothing after it.
 */
function oldV2Body(seq: number, atMs: number, meta: Buffer): Buffer {
  const u32 = (n: number) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(n, 0);
    return out;
  };
  const note = Buffer.alloc(8);
  note.writeDoubleBE(3, 0);
  return Buffer.concat([
    u32(Math.floor(seq / 0x1_0000_0000)), u32(seq >>> 0), u32(Math.floor(atMs / 0x1_0000_0000)), u32(atMs >>> 0),
    Buffer.from([11]), Buffer.from('view.access', 'latin1'),
    Buffer.from([6]), Buffer.from('op-7_x', 'latin1'),
    Buffer.from([0]),
    Buffer.from([0, 0]),
    Buffer.from([1]), Buffer.from([5]), Buffer.from('count', 'latin1'), note,
    u32(meta.length), meta,
  ]);
}

const framed = (body: Buffer): Buffer => {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([header, body]);
};

describe('journal: a record\'s sealed actor', () => {
  it('reads a version-2 journal written before actors existed, appends a record with an actor after it, and reads both back', async () => {
    const dataDir = await tempDir();
    const dir = vaultLayout(dataDir).journalDir;
    await mkdir(dir, { recursive: true });
    const meta = fakeEnvelope('journalMetadata', 24);
    await writeFile(path.join(dir, JOURNAL_FILE_NAME), Buffer.concat([JOURNAL_MAGIC_V2, framed(oldV2Body(1, 1_700_000_000_000, meta))]));
    const { actor, open } = await sealedActor();

    const journal = await Journal.open(dir, silentLogger());
    expect(journal.format).toBe(2);
    await journal.append({ kind: 'view.access', operator: 'op-7_x', meta: fakeEnvelope('journalMetadata', 24), actor });
    await journal.append({ kind: 'intake.demo' });
    await journal.close();

    const [old, fresh, intake] = await readAll(dir);
    expect(old).toEqual({ seq: 1, kind: 'view.access', at: new Date(1_700_000_000_000).toISOString(), operator: 'op-7_x', objects: [], meta: meta.toString('base64url'), note: { count: 3 } });
    expect(fresh).toMatchObject({ seq: 2, kind: 'view.access', operator: 'op-7_x', actor: Buffer.from(actor).toString('base64url') });
    expect(await open(fresh!.actor!)).toEqual({ v: 1, operatorId: ACCOUNT });
    expect(intake).not.toHaveProperty('actor');

    // The account id is sealed: not in the file's bytes in any form the fields use.
    const bytes = await readFile(path.join(dir, JOURNAL_FILE_NAME));
    expect(bytes.includes(Buffer.from(ACCOUNT, 'latin1'))).toBe(false);
    expect(bytes.includes(Buffer.from(Buffer.from(ACCOUNT).toString('base64url'), 'latin1'))).toBe(false);
    // vault:check reads every record, the actor's envelope checked like a meta's.
    const report = await checkVault(dataDir);
    expect(report.journal).toMatchObject({ records: 3, byKind: { 'view.access': 2, 'intake.demo': 1 } });
    expect(report.errors.filter((error) => !error.includes('keys.json'))).toEqual([]);
  });

  it('a version-1 journal keeps old records as they were and stores a new actor as a base64url field', async () => {
    const dir = path.join(await tempDir(), 'v1');
    await mkdir(dir, { recursive: true });
    const oldRecord = { seq: 1, kind: 'view.access', at: '2025-01-01T00:00:00.000Z', operator: 'op-7_x', objects: [], meta: null };
    await writeFile(path.join(dir, JOURNAL_FILE_NAME), Buffer.concat([JOURNAL_MAGIC_V1, framed(Buffer.from(JSON.stringify(oldRecord), 'utf8'))]));
    const { actor, open } = await sealedActor();
    const journal = await Journal.open(dir, silentLogger());
    expect(journal.format).toBe(1);
    await journal.append({ kind: 'view.access', operator: 'op-7_x', actor: Buffer.from(actor).toString('base64url') });
    await journal.close();
    const [old, fresh] = await readAll(dir);
    expect(old).toEqual(oldRecord);
    expect(await open(fresh!.actor!)).toEqual({ v: 1, operatorId: ACCOUNT });
    expect((await readFile(path.join(dir, JOURNAL_FILE_NAME))).includes(Buffer.from(ACCOUNT, 'latin1'))).toBe(false);
  });

  it('refuses an actor that is not a sealed journalMetadata envelope, and a version-2 body with two actors', async () => {
    const dir = path.join(await tempDir(), 'j');
    const journal = await Journal.open(dir, silentLogger());
    const bad: JournalEntry[] = [
      { kind: 'view.access', actor: Buffer.from(JSON.stringify({ v: 1, operatorId: ACCOUNT })) },
      { kind: 'view.access', actor: fakeEnvelope('object', 24) },
      { kind: 'view.access', actor: fakeEnvelope('journalMetadata', 2000) },
    ];
    for (const entry of bad) await expect(journal.append(entry)).rejects.toMatchObject({ code: 'E_INVALID' });
    await journal.close();

    const one = fakeEnvelope('journalMetadata', 24);
    const tail = encodeRecordTailV2({ kind: 'view.access', operator: null, objects: [], meta: null, inline: [], actor: one });
    expect(decodeRecordV2(encodeRecordV2(1, 0, tail))).toMatchObject({ actor: one.toString('base64url') });
    const marker = Buffer.alloc(6);
    marker.writeUInt16BE(0xffff, 0);
    marker.writeUInt32BE(one.length, 2);
    expect(decodeRecordV2(encodeRecordV2(1, 0, Buffer.concat([tail, marker, one])))).toBeNull();
  });

  it('an erased record\'s tombstone drops its actor', async () => {
    const dir = path.join(await tempDir(), 'erase');
    const { actor } = await sealedActor();
    const journal = await Journal.open(dir, silentLogger());
    await journal.append({ kind: 'view.access', operator: 'op-7_x', actor });
    await journal.append({ kind: 'view.access', operator: 'op-7_x', actor });
    expect((await journal.rewrite(new Set([1]))).erased).toBe(1);
    await journal.close();
    const [erased, kept] = await readAll(dir);
    expect(erased).toEqual(expect.objectContaining({ kind: 'erased', operator: null }));
    expect(erased).not.toHaveProperty('actor');
    expect(kept).toHaveProperty('actor');
  });
});
