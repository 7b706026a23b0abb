import { Wallet } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { LEDGER_ENTRY_JOURNAL_KIND } from '../../../shared/ipc/ledger-contract';
import { AUDIT_KINDS, BACKUP_KINDS } from '../../../shared/journal/journal-kinds';
import { LedgerRecordMetaSchema } from '../../../shared/journal/ledger-meta';
import { openJson, sealJson } from '../../../shared/journal/sealed-json';
import { EntryHasher, ledgerDomain, type LedgerEntry } from '../../../shared/ledger/ledger-schema';
import type { EntrySigner } from '../../../shared/ledger/ledger-sign';
import { SessionLedger, type LedgerSessionPort } from '../../../renderer/ledger/session-ledger';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { ledgerVaultFixture, type LedgerVaultFixture } from './support/ledger-fixture';

/**
 * A restore rewinds the vault's ledger to the backup's last entry (tester T2 S35 F3). A node that is
 * a member of a network fetches its later entries back from the notary before signing anything, so
 * the chain continues linearly; while the notary cannot be reached, it signs nothing rather than a
 * second entry for a seq the earlier copy may have signed.
 */

const AT = '2026-12-07T08:48:31.000Z';
const hasher = new EntryHasher(ledgerDomain());

type Signed = { readonly entry: LedgerEntry; readonly signature: string };
type Recover = HdmsApi['network']['recover'];

/** A session of the ledger over the fixture's journal: fresh views, `recover` as the body's network.recover. */
function session(f: LedgerVaultFixture, wallet: EntrySigner, recover: Recover, now: () => number = () => Date.now()) {
  const db = openVaultDb(`test-session-ledger-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  const appended: Signed[] = [];
  const replay = async (): Promise<void> => {
    await replayJournal({ api: f.body.api, db, keys: f.keys, opener: f.opener, tokens: new TokenCache(f.keys.indexKey), isCurrent: () => true, roleOf: f.roleOf });
  };
  const api = {
    journal: f.body.api.journal,
    ledger: {
      ...f.body.api.ledger,
      // The body's ledger.append: a ledger.entry record holding the sealed entry.
      append: async ({ meta, signed }: { ledgerSeq: number; meta: string; signed: Signed }) => {
        appended.push(signed);
        const seq = f.body.journal.length + 1;
        f.body.journal.push({ seq, at: new Date().toISOString(), kind: LEDGER_ENTRY_JOURNAL_KIND, operator: null, objects: [], meta });
        return { seq };
      },
      outboxStatus: async () => ({ outboxLastSeq: 0, journalLastSeq: 0 }),
    },
    network: { recover },
  } as unknown as LedgerSessionPort['api'];
  const port = {
    api,
    db: () => db,
    identity: wallet,
    opener: f.opener,
    sealer: async () => f.sealer,
    ledgerKey: f.keys.ledgerKey,
    eventAuthKey: f.keys.eventAuthKey,
    roleOf: f.roleOf,
    isCurrent: () => true,
    replayNow: replay,
    requestSync: () => undefined,
  } as unknown as LedgerSessionPort;
  const ledger = new SessionLedger(port, { verifyAtUnlock: false, now }, () => undefined);
  return {
    ledger,
    appended,
    /** A replay, then the ledger's turn (what the vault's sync does). */
    async run(): Promise<void> {
      await replay();
      await ledger.afterReplay();
    },
    async details(seq: number): Promise<Record<string, unknown>> {
      const row = await db.ledger.get(seq);
      const record = f.body.journal.find((r) => r.seq === row!.journalSeq)!;
      return LedgerRecordMetaSchema.parse(await openJson(f.opener, record.meta!)).details;
    },
  };
}

const nothing: Recover = async () => ({ entries: [], more: false });

async function signIn(f: LedgerVaultFixture): Promise<void> {
  const meta = { v: 1, event: 'signedIn', operatorId: 'op_admin-1', failedAttempts: 0, role: 'admin', slot: 'passphrase', workstation: 'ward-pc', at: AT };
  f.body.journal.push({ seq: f.body.journal.length + 1, at: AT, kind: AUDIT_KINDS.session, operator: null, objects: [], meta: await sealJson(f.sealer, meta) });
}

/** The original copy signs entry 1, is backed up, then signs entry 2; the backup is restored (journal put back, restore journaled). */
async function restoredAfterLaterEntry(): Promise<{ f: LedgerVaultFixture; wallet: EntrySigner; later: Signed }> {
  const f = await ledgerVaultFixture();
  const wallet = Wallet.createRandom();
  const original = session(f, wallet, nothing);
  await signIn(f);
  await original.run();
  expect(original.appended.map((s) => s.entry.seq)).toEqual([1]);
  const backup: JournalRecord[] = structuredClone(f.body.journal);
  await signIn(f);
  await original.run();
  const later = original.appended[1]!;
  expect(later.entry.seq).toBe(2);
  const restored = { v: 1, act: 'restored', at: AT, erasures: 0, records: 0, objects: 0, backupCreatedAt: AT, ledgerSeq: 1 };
  f.body.journal.splice(0, f.body.journal.length, ...backup, { seq: backup.length + 1, at: AT, kind: BACKUP_KINDS.restored, operator: null, objects: [], meta: await sealJson(f.sealer, restored) });
  return { f, wallet, later };
}

describe('the ledger after a restore (tester T2 S35 F3)', () => {
  it("continues after the notary's last entry of this node: the RESTORE entry follows it and names the entries fetched back", async () => {
    const { f, wallet, later } = await restoredAfterLaterEntry();
    const node = session(f, wallet, async ({ afterSeq }) => ({ entries: afterSeq < 2 ? [later] : [], more: false }));
    await node.run();
    const restore = node.appended.at(-1)!;
    expect(restore.entry.kind).toBe('RESTORE');
    // No second entry 2: the chain goes on from the one the earlier copy signed.
    expect(restore.entry.seq).toBe(3);
    expect(restore.entry.prevHash).toBe(hasher.hash(later.entry));
    expect(await node.details(3)).toMatchObject({ backupMadeAt: AT, backupLastEntry: 1, recoveredFrom: 2, recoveredTo: 2 });
    expect(await node.details(3)).not.toHaveProperty('rewound');
  });

  it("signs nothing while a network member's notary cannot be reached after a restore, says why, and signs once it answers", async () => {
    const { f, wallet, later } = await restoredAfterLaterEntry();
    let reachable = false;
    let asked = 0;
    let clock = 1_000_000;
    const node = session(
      f,
      wallet,
      async ({ afterSeq }) => {
        asked++;
        if (!reachable) throw Object.assign(new Error('The network server could not be reached.'), { code: 'E_UNAVAILABLE' });
        return { entries: afterSeq < 2 ? [later] : [], more: false };
      },
      () => clock,
    );
    await node.run();
    expect(node.appended).toEqual([]);
    expect(node.ledger.writerProblem).toMatch(/restored from a backup.*notary.*cannot be reached/);
    // An act journaled meanwhile: its replay neither signs nor waits for the notary again within the minute.
    reachable = true;
    await signIn(f);
    await node.run();
    expect(node.appended).toEqual([]);
    expect(asked).toBe(1);
    clock += 60_000;
    await node.run();
    expect(node.ledger.writerProblem).toBeNull();
    // The earlier copy's entry 2, fetched back, then the RESTORE after it.
    expect(node.appended[0]).toEqual(later);
    expect(node.appended.map((s) => [s.entry.seq, s.entry.kind])).toEqual([[2, 'SESSION'], [3, 'RESTORE'], [4, 'SESSION']]);
    expect(node.appended[1]!.entry.prevHash).toBe(hasher.hash(later.entry));
  });

  it('goes on signing, as before, when the notary cannot be reached and nothing was restored', async () => {
    const f = await ledgerVaultFixture();
    const node = session(f, Wallet.createRandom(), async () => {
      throw Object.assign(new Error('The network server could not be reached.'), { code: 'E_UNAVAILABLE' });
    });
    await signIn(f);
    await node.run();
    expect(node.appended.map((s) => s.entry.seq)).toEqual([1]);
    expect(node.ledger.writerProblem).toBeNull();
  });

  it('without a network: the RESTORE entry takes the next seq after the backup and says the ledger may have been rewound', async () => {
    const { f, wallet } = await restoredAfterLaterEntry();
    const node = session(f, wallet, nothing);
    await node.run();
    expect(node.appended.map((s) => [s.entry.seq, s.entry.kind])).toEqual([[2, 'RESTORE']]);
    expect(await node.details(2)).toMatchObject({ backupMadeAt: AT, backupLastEntry: 1, rewound: true });
  });
});
