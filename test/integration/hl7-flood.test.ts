import { describe, expect, it } from 'vitest';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { checkVault } from '../../electron/storage/vault-check';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { ackOf, connectMllp, startNodeChild, withControlId, type NodeChild } from '../bench/mllp-load';
import pino from 'pino';
import { useTempDirs } from '../support/temp-dir';
import { buildTestKeyring, type TestVault } from '../support/vault-keyring';

const tempDir = useTempDirs();
const CONNECTIONS = 8;
const messages = [...generateDemoMessages({ patients: 200, seed: 17, now: new Date('2026-03-01T00:00:00Z') })].map((m) => m.raw);

async function newVault(): Promise<{ dataDir: string; vault: TestVault }> {
  const dataDir = await tempDir();
  const vault = await buildTestKeyring();
  await new KeyringStore(dataDir).create(vault.keyring);
  return { dataDir, vault };
}

/** Control id (MSH-10) → how many intake.hl7 records hold a message with it, read by opening every raw object. */
async function storedControlIds(dataDir: string, vault: TestVault): Promise<Map<string, number>> {
  const storage = await openVaultStorage(dataDir, pino({ level: 'silent' }));
  const counts = new Map<string, number>();
  try {
    for (let after = 0; ; ) {
      const page = await storage.journal.read({ after, limit: 2000 });
      for (const record of page.records) {
        if (record.kind !== 'intake.hl7') continue;
        const raw = (await vault.opener.open(await storage.objects.readAll(record.objects[0]!))).plaintext;
        const msh = Buffer.from(raw).toString('utf8').split('\r')[0]!;
        const id = msh.split('|')[9]!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      after = page.nextCursor;
      if (page.end) break;
    }
  } finally {
    await storage.close();
  }
  return counts;
}

/** Sends from CONNECTIONS senders, one message in flight each, until `stop()` says so; records what got CA/AA. */
async function flood(node: NodeChild, prefix: string, stop: (acked: number) => boolean, sent: Set<string>, acked: Set<string>): Promise<void> {
  const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectMllp(node.port)));
  let n = 0;
  await Promise.all(
    senders.map(async (sender, c) => {
      while (!stop(acked.size)) {
        const id = `${prefix}-${c}-${n++}`;
        sent.add(id);
        let answer: Buffer;
        try {
          answer = await sender.send(withControlId(messages[n % messages.length]!, id));
        } catch {
          return; // the node died (kill -9): this message was never acknowledged
        }
        const { code, controlId } = ackOf(answer);
        expect(controlId).toBe(id);
        if (code === 'CA' || code === 'AA') acked.add(id);
        else throw new Error(`The node answered ${code} for ${id}.`);
      }
    }),
  );
  await Promise.all(senders.map((s) => s.close().catch(() => undefined)));
}

// Both ways the body runs the HL7 intake: all on the listener's thread, and with an intake worker
// thread preparing frames (the default on machines with more than 2 CPUs).
describe.each([
  ['the listener thread only', '0'],
  ['one intake worker thread', '1'],
])('HL7 over MLLP: flood and crash (real sockets, a node in a child process), %s', (_mode, workers) => {
  const env = { HDMS_CHILD_HL7_WORKERS: workers };

  it('acknowledges a flood from 8 concurrent connections and stores every message exactly once', { timeout: 120_000 }, async () => {
    const { dataDir, vault } = await newVault();
    const node = await startNodeChild(dataDir, 0, undefined, env);
    const sent = new Set<string>();
    const acked = new Set<string>();
    try {
      await flood(node, 'F', (count) => count >= 1600, sent, acked);
    } finally {
      await node.stop();
    }
    expect(acked.size).toBe(sent.size);
    const stored = await storedControlIds(dataDir, vault);
    expect(stored.size).toBe(acked.size);
    for (const id of acked) expect(stored.get(id)).toBe(1);
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
    expect(report.journal.byKind['intake.hl7']).toBe(acked.size);
  });

  it('kill -9 right after a journal fsync, before its ACKs: the resent unacknowledged tail is recognized, not stored a second time', { timeout: 180_000 }, async () => {
    const { dataDir, vault } = await newVault();
    // The node kills itself as soon as its 300th durable append resolves: that batch is on disk, unacknowledged.
    const first = await startNodeChild(dataDir, 0, undefined, { ...env, HDMS_CHILD_KILL_AFTER_APPENDS: '300' });
    const bytes = new Map<string, Buffer>();
    const acked = new Set<string>();
    const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectMllp(first.port)));
    let n = 0;
    await Promise.all(
      senders.map(async (sender, c) => {
        for (;;) {
          const id = `T-${c}-${n}`;
          const message = withControlId(messages[n++ % messages.length]!, id);
          bytes.set(id, message);
          try {
            const { code } = ackOf(await sender.send(message));
            expect(code).toMatch(/^(CA|AA)$/);
            acked.add(id);
          } catch {
            return; // the node died: never acknowledged
          }
        }
      }),
    );
    await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())));
    expect(first.child.signalCode).toBe('SIGKILL');
    const unacked = [...bytes.keys()].filter((id) => !acked.has(id));
    const before = await storedControlIds(dataDir, vault);
    // The crash did leave durable, unacknowledged messages (else this test would prove nothing).
    const durableUnacked = unacked.filter((id) => before.has(id));
    expect(durableUnacked.length).toBeGreaterThan(0);

    const second = await startNodeChild(dataDir, 0, undefined, env);
    const sender = await connectMllp(second.port);
    try {
      for (const id of unacked) {
        const { code, controlId } = ackOf(await sender.send(bytes.get(id)!));
        expect(controlId).toBe(id);
        expect(code).toMatch(/^(CA|AA)$/);
      }
    } finally {
      await sender.close();
      await second.stop();
    }
    const after = await storedControlIds(dataDir, vault);
    for (const id of bytes.keys()) expect(after.get(id), `control id ${id}`).toBe(1);
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
  });

  it('kill -9 mid-flood, restart: every message that got CA is in the vault exactly once; resent unacknowledged ones are stored', { timeout: 180_000 }, async () => {
    const { dataDir, vault } = await newVault();
    const first = await startNodeChild(dataDir, 0, undefined, env);
    const sent = new Set<string>();
    const acked = new Set<string>();
    let killed: Promise<void> | null = null;
    await flood(
      first,
      'K',
      (count) => {
        if (count >= 2000 && killed === null) killed = first.kill();
        return killed !== null;
      },
      sent,
      acked,
    );
    await killed;
    expect(first.child.signalCode).toBe('SIGKILL');
    const stored = await storedControlIds(dataDir, vault);
    for (const id of acked) expect(stored.get(id), `acknowledged ${id}`).toBe(1);
    for (const [id, count] of stored) {
      expect(sent.has(id)).toBe(true);
      expect(count).toBe(1);
    }

    // The senders resend what was never acknowledged, as MLLP senders do, to the restarted node.
    const second = await startNodeChild(dataDir, 0, undefined, env);
    const unacked = [...sent].filter((id) => !acked.has(id));
    const sender = await connectMllp(second.port);
    try {
      for (const id of unacked) {
        // The same bytes as first sent: flood() picked messages[n] after counting n up for the id.
        const n = Number(id.split('-')[2]) + 1;
        expect(ackOf(await sender.send(withControlId(messages[n % messages.length]!, id))).code).toMatch(/^(CA|AA)$/);
      }
    } finally {
      await sender.close();
      await second.stop();
    }
    const after = await storedControlIds(dataDir, vault);
    for (const id of acked) expect(after.get(id)).toBe(1);
    // Resent messages that were durable before the crash are recognized as duplicates: once each.
    for (const id of unacked) expect(after.get(id), `resent ${id}`).toBe(1);
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
    expect(report.journal.tornTail).toBe(false);
  });
});
