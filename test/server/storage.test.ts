import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNetwork, NetworkConfigError } from '../../server/network-map/network-parameters';
import { pruneNonces } from '../../server/http/member-auth';
import { sqlState, UNIQUE_VIOLATION, type Database } from '../../server/storage/database';
import { loadMigrations, migrate, SchemaError } from '../../server/storage/migrations';
import { useTestDatabases } from './support/test-databases';

/**
 * The one Database interface on both adapters: the same SQL, the same value types, transactions,
 * advisory locks and migrations (server/storage).
 */
const databases = useTestDatabases();

describe.each(databases.variants)('storage $label', (variant) => {
  let db: Database;
  beforeAll(async () => {
    if (variant.skip) return;
    db = await databases.open(variant.kind);
  }, 60_000);

  it.skipIf(variant.skip)('gives int8 as numbers, bytea as Uint8Array and jsonb parsed, on both adapters', async () => {
    await db.exec('CREATE TABLE probe (id bigint PRIMARY KEY, big bigint, data bytea, doc jsonb)');
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await db.query('INSERT INTO probe VALUES ($1, $2, $3, $4::jsonb)', [1, 2 ** 53 - 1, bytes, JSON.stringify({ a: [1, 'x'] })]);
    const row = (await db.query<{ id: unknown; big: unknown; data: unknown; doc: unknown }>('SELECT * FROM probe')).rows[0]!;
    expect(row.id).toBe(1);
    expect(row.big).toBe(2 ** 53 - 1);
    expect(row.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(row.data)).toBe(false);
    expect([...(row.data as Uint8Array)]).toEqual([...bytes]);
    expect(row.doc).toEqual({ a: [1, 'x'] });
    const huge = (await db.query<{ v: unknown }>("SELECT '9007199254740993'::bigint AS v")).rows[0]!.v;
    expect(huge).toBe(9007199254740993n);
    const changed = await db.query('UPDATE probe SET big = 0 WHERE id = 1');
    expect(changed.rowCount).toBe(1);
  });

  it.skipIf(variant.skip)('rolls a transaction back when it throws, with the SQLSTATE of a constraint', async () => {
    await db.exec('CREATE TABLE probe_tx (id int PRIMARY KEY)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO probe_tx VALUES (1)');
        await tx.query('INSERT INTO probe_tx VALUES (1)');
      }),
    ).rejects.toSatisfy((error: unknown) => sqlState(error) === UNIQUE_VIOLATION);
    expect((await db.query('SELECT * FROM probe_tx')).rowCount).toBe(0);
    expect(await db.transaction(async (tx) => (await tx.query('INSERT INTO probe_tx VALUES (2) RETURNING id')).rows)).toEqual([{ id: 2 }]);
  });

  it.skipIf(variant.skip)('holds a session advisory lock exclusively until released', async () => {
    const first = await db.tryAdvisoryLock(991);
    expect(first).not.toBeNull();
    expect(await db.tryAdvisoryLock(991)).toBeNull();
    expect(await db.tryAdvisoryLock(992)).not.toBeNull();
    await first!.release();
    expect(first!.signal.aborted).toBe(true);
    const again = await db.tryAdvisoryLock(991);
    expect(again).not.toBeNull();
    await again!.release();
  });

  it.skipIf(variant.skip)('applies migrations once, and refuses a database from a newer server or an edited migration', async () => {
    expect(await migrate(db)).toEqual([]);
    const migrations = loadMigrations();
    await expect(migrate(db, migrations.slice(0, -1))).rejects.toThrow(SchemaError);
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, sha256: '0'.repeat(64) } : m));
    await expect(migrate(db, edited)).rejects.toThrow(/was changed/);
  });

  it.skipIf(variant.skip)('creates the network once; a later start with another key or other parameters is refused', async () => {
    const key = new Wallet(Wallet.createRandom().privateKey);
    const network = await ensureNetwork(db, key, { name: 'Storage Test', chainId: 4242 });
    expect(network.parameters).toMatchObject({ name: 'Storage Test', chainId: 4242, keys: { network: key.address } });
    expect((await ensureNetwork(db, key)).parameters).toEqual(network.parameters);
    await expect(ensureNetwork(db, new Wallet(Wallet.createRandom().privateKey))).rejects.toThrow(NetworkConfigError);
    await expect(ensureNetwork(db, key, { chainId: 1 })).rejects.toThrow(/chainId 4242/);
  });

  it.skipIf(variant.skip)('prunes request nonces whose window has passed', async () => {
    await db.query("INSERT INTO request_nonces VALUES ('0xA', 'n1', 100), ('0xA', 'n2', 200), ('0xB', 'n1', 300)");
    expect(await pruneNonces(db, 250)).toBe(2);
    expect((await db.query('SELECT member, nonce FROM request_nonces')).rows).toEqual([{ member: '0xB', nonce: 'n1' }]);
  });
});

describe('migration files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdms-migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are numbered 1, 2, 3… and named NNNN-name.sql', () => {
    expect(loadMigrations().map((m) => m.version)).toEqual(loadMigrations().map((_m, i) => i + 1));
    writeFileSync(path.join(dir, '0002-second.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/without gaps/);
    writeFileSync(path.join(dir, 'bad name.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/NNNN-name/);
  });
});
