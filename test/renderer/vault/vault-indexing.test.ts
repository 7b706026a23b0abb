import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../../shared/ipc/api-client';
import { createApiClient } from '../../../shared/ipc/api-client';
import { createVaultService, INDEXING_NOTIFY_MS } from '../../../renderer/vault/create-vault-service';
import type { IndexingState, VaultPhase, VaultService } from '../../../renderer/vault/vault-service';
import { BodyRefusal, createFakeBody, type FakeBackup, type FakeBody } from './support/fake-body';

const PASSPHRASE = 'violet tractor amber seventeen';

/** The vault over `body`; with `slow.readDelayMs` set, every journal page takes that long to arrive. */
function setup(body: FakeBody = createFakeBody()) {
  const slow = { readDelayMs: 0 };
  const transport: Transport = {
    kind: body.transport.kind,
    async call(method, payload) {
      if (method === 'journal.read' && slow.readDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, slow.readDelayMs));
      return body.transport.call(method, payload);
    },
    subscribe: (name, listener) => body.transport.subscribe(name, listener),
  };
  const vault = createVaultService({
    api: createApiClient(transport),
    transport,
    host: 'shell',
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    testOnlyPbkdf2Iterations: 1000,
  });
  return { body, vault, slow };
}

interface Seen {
  readonly phase: VaultPhase;
  readonly indexing: IndexingState;
}

/** Every state the listeners were told of, in order. */
function watch(vault: VaultService): Seen[] {
  const seen: Seen[] = [];
  vault.subscribe(() => seen.push({ phase: vault.phase(), indexing: vault.indexing() }));
  return seen;
}

/** Automatic replays take turns (view-indexing.ts: a replay may wait up to AUTO_SYNC_MAX_WAIT_MS for its turn). */
async function untilIdle(vault: VaultService): Promise<void> {
  await vi.waitFor(() => expect(vault.indexing().busy).toBe(false), { timeout: 15_000 });
}

async function vaultWithData(patients: number, body = createFakeBody()) {
  const ctx = setup(body);
  await ctx.vault.ready();
  await ctx.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
  await ctx.vault.importDemoData(patients);
  await untilIdle(ctx.vault);
  return ctx;
}

describe('VaultService: indexing()', () => {
  it('is idle with no vault, and keeps one snapshot object while nothing changes', async () => {
    const { vault } = setup();
    await vault.ready();
    expect(vault.indexing()).toEqual({ busy: false, applied: 0 });
    expect(vault.indexing()).toBe(vault.indexing());
  });

  it('is busy from the moment a rebuild is asked for until it is done, and tells the listeners', async () => {
    const { vault } = await vaultWithData(10);
    const seen = watch(vault);
    const rebuilt = vault.rebuildIndex();
    expect(vault.indexing().busy).toBe(true);
    expect(seen.at(-1)?.indexing.busy).toBe(true);
    const result = await rebuilt;
    expect(result.done).toBe(true);
    expect(vault.indexing()).toEqual({ busy: false, applied: 0 });
    expect(seen.at(-1)?.indexing).toEqual({ busy: false, applied: 0 });
    // One flip on, one flip off (progress within INDEXING_NOTIFY_MS is not published).
    expect(seen.filter((s, i) => i === 0 || s.indexing.busy !== seen[i - 1]!.indexing.busy).map((s) => s.indexing.busy)).toEqual([true, false]);
    expect((await vault.search('')).patientIds).toHaveLength(10);
  });

  it('publishes the running replay’s count, a few times a second at most', async () => {
    const { vault, body, slow } = await vaultWithData(300);
    expect(body.journal.length).toBeGreaterThan(1000); // three pages or more
    slow.readDelayMs = INDEXING_NOTIFY_MS + 50;
    const seen = watch(vault);
    const progress: number[] = [];
    await vault.rebuildIndex((p) => progress.push(p.applied));
    const published = seen.filter((s) => s.indexing.busy && s.indexing.applied > 0).map((s) => s.indexing.applied);
    expect(published.length).toBeGreaterThan(0);
    for (const applied of published) expect(progress).toContain(applied);
    expect(published).toEqual([...published].sort((a, b) => a - b));
    // What the rebuild journaled itself is replayed automatically, after its turn (view-indexing.ts).
    await vi.waitFor(() => expect(vault.indexing()).toEqual({ busy: false, applied: 0 }), { timeout: 15_000 });
  }, 30_000);

  it('is busy during an explicit sync and during the automatic replay after new journal entries', async () => {
    const { vault } = await vaultWithData(3);
    const seen = watch(vault);
    const synced = vault.sync();
    expect(vault.indexing().busy).toBe(true);
    await synced;
    expect(vault.indexing().busy).toBe(false);

    seen.length = 0;
    await vault.openPatient((await vault.search('')).patientIds[0]!); // journals an access: replayed automatically
    await untilIdle(vault);
    expect(seen.map((s) => s.indexing.busy)).toEqual([true, false]);
  });

  it('a patient or record opened while a new window is still replaying waits for the replay instead of saying "not found"', async () => {
    const { body, vault } = await vaultWithData(3);
    const patientId = (await vault.search('')).patientIds[0]!;
    const recordId = (await vault.openPatient(patientId)).records[0]!.recordId;
    const [admin] = await vault.operators();

    // A second window: the same body, empty views of its own, journal pages arriving slowly.
    const other = setup(body);
    other.slow.readDelayMs = 50;
    await other.vault.ready();
    await other.vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    expect(other.vault.indexing().busy).toBe(true);
    const [detail, record] = await Promise.all([other.vault.openPatient(patientId), other.vault.openRecord(recordId)]);
    expect(detail.patientId).toBe(patientId);
    expect(record.recordId).toBe(recordId);
  });

  it('a patient that is not in the vault is still "not found" once the views have caught up', async () => {
    const { vault } = await vaultWithData(2);
    await expect(vault.openPatient('no-such-patient')).rejects.toThrow(/No such patient/);
  });

  it('is already busy when the unlock is announced', async () => {
    const { vault } = await vaultWithData(3);
    const [admin] = await vault.operators();
    vault.lock();
    await untilIdle(vault);
    const seen = watch(vault);
    await vault.unlock({ operatorId: admin!.operatorId, passphrase: PASSPHRASE });
    const firstUnlocked = seen.find((s) => s.phase === 'unlocked');
    expect(firstUnlocked?.indexing.busy).toBe(true);
    await untilIdle(vault);
    expect(seen.at(-1)).toEqual({ phase: 'unlocked', indexing: { busy: false, applied: 0 } });
  });

  it('restoreBackup: busy before the session opens and until the rebuild is done; never unlocked, idle and empty', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(12, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const secret = { passphrase: PASSPHRASE };

    const { vault } = setup(createFakeBody({ backups }));
    await vault.ready();
    expect(vault.phase()).toBe('absent');
    const seen = watch(vault);
    const checks: Promise<void>[] = [];
    vault.subscribe(() => {
      // What a UI would do on each notice: look at the views while they claim to be complete.
      if (vault.phase() === 'unlocked' && !vault.indexing().busy) {
        checks.push(vault.search('').then((r) => expect(r.patientIds).toHaveLength(12)));
      }
    });
    await vault.restoreBackup({ path, secret });
    expect(vault.phase()).toBe('unlocked');
    expect(vault.indexing()).toEqual({ busy: false, applied: 0 });

    const firstUnlocked = seen.findIndex((s) => s.phase === 'unlocked');
    expect(firstUnlocked).toBeGreaterThanOrEqual(0);
    const busyFrom = seen.findIndex((s) => s.indexing.busy);
    expect(busyFrom).toBeGreaterThanOrEqual(0);
    expect(busyFrom).toBeLessThanOrEqual(firstUnlocked);
    expect(seen[firstUnlocked]!.indexing.busy).toBe(true);
    // Busy stays on, in one stretch, from before the unlock to the end of the rebuild.
    const idleAgain = seen.findIndex((s, i) => i > busyFrom && !s.indexing.busy);
    expect(idleAgain).toBe(seen.length - 1);
    await Promise.all(checks);
    expect(checks.length).toBeGreaterThan(0);
    expect((await vault.search('')).patientIds).toHaveLength(12);
  });

  it('shows the body’s refusal of a damaged backup as it is, without "The node refused:"', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(1, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const refusing = createFakeBody({
      backups,
      handlers: {
        'backup.restore': () => {
          throw new BodyRefusal('The backup file is damaged: part of its sealed content fails its check (a copy cut short, or bytes changed). Nothing was restored.');
        },
      },
    });
    const { vault } = setup(refusing);
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({ code: 'E_BACKUP', message: 'The backup file is damaged: part of its sealed content fails its check (a copy cut short, or bytes changed). Nothing was restored.' });
    expect(vault.phase()).toBe('absent');
  });

  it('a backup whose clear date differs from its sealed one: the body’s words as E_BACKUP_LABEL_ALTERED, nothing restored; restored once the user accepts (H6 F5)', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(1, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const words = 'This file’s label says 7 Dec 2026, 08:48 but its sealed contents were made on 3 Jan 2025, 10:00: the file may have been altered.';
    const sent: unknown[] = [];
    const { vault } = setup(
      createFakeBody({
        backups,
        handlers: {
          'backup.restore': (payload: unknown) => {
            sent.push(payload);
            throw new BodyRefusal(words, 'E_CONFLICT');
          },
        },
      }),
    );
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({ code: 'E_BACKUP_LABEL_ALTERED', message: words });
    expect(sent[0]).not.toHaveProperty('acceptAlteredLabel');
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE }, acceptAlteredLabel: true })).rejects.toBeDefined();
    expect(sent[1]).toMatchObject({ path, acceptAlteredLabel: true });
    expect(vault.phase()).toBe('absent');
  });

  it('shows the body’s refusal of an Export backup as it is, without "The node refused:" (H6: a destination offline read "The node refused: The backup destination folder is not available…")', async () => {
    const offline = 'The backup destination folder is not available (a network share offline, a drive not connected?).';
    const { vault } = await vaultWithData(
      1,
      createFakeBody({
        handlers: {
          'backup.export': () => {
            throw new BodyRefusal(offline, 'E_UNAVAILABLE');
          },
        },
      }),
    );
    await expect(vault.exportBackup()).rejects.toMatchObject({ code: 'E_BACKUP', message: offline });
  });

  it('shows the body’s refusals of the file when it is inspected as they are too: no "The node refused:", no "magic" (QA s32 #10)', async () => {
    const { vault } = setup(
      createFakeBody({
        handlers: {
          'backup.inspect': () => {
            throw new BodyRefusal('That file is not an HDMS Node backup (it does not begin the way an HDMS Node backup file does).');
          },
        },
      }),
    );
    await vault.ready();
    await expect(vault.restoreBackup({ path: '/media/usb/photo.hdmsbak', secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({
      code: 'E_BACKUP',
      message: 'That file is not an HDMS Node backup (it does not begin the way an HDMS Node backup file does).',
    });
  });

  it('a backup with no erasure register beside it is refused before anything is restored (E_NO_ERASURE_REGISTER), and a chosen register is handed to the body (QA issue 11)', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(1, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const sent: unknown[] = [];
    const alone = createFakeBody({
      backups,
      handlers: {
        'backup.inspect': ({ path: file }: { path: string }) => {
          const backup = backups.get(file)!;
          return { keyring: structuredClone(backup.keyring), createdAt: backup.createdAt, envelopeHeader: backup.envelopeHeader, bytes: 1000, erasureRegister: 'none' };
        },
        'backup.restore': (payload: unknown) => {
          sent.push(payload);
          throw new BodyRefusal('No erasure register at that path.');
        },
      },
    });
    const { vault } = setup(alone);
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({ code: 'E_NO_ERASURE_REGISTER', message: expect.stringMatching(/erasures made after the backup cannot be checked/) });
    expect(sent).toEqual([]);
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE }, erasureRegister: '/srv/backups/hdms-erasure-register.json' })).rejects.toMatchObject({ code: 'E_BACKUP' });
    expect(sent).toMatchObject([{ path, erasureRegister: '/srv/backups/hdms-erasure-register.json' }]);
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE }, withoutErasureRegister: true })).rejects.toMatchObject({ code: 'E_BACKUP' });
    expect(sent[1]).not.toHaveProperty('erasureRegister');
    expect(vault.phase()).toBe('absent');
  });

  it('a damaged backup with no erasure register beside it is reported as damaged, not sent to look for a register (H8 F16)', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(1, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const damaged = 'The backup file is damaged: part of its sealed content fails its check (a copy cut short, or bytes changed). Nothing was restored.';
    const restores: unknown[] = [];
    const { vault } = setup(
      createFakeBody({
        backups,
        handlers: {
          'backup.inspect': ({ path: file }: { path: string }) => {
            const backup = backups.get(file)!;
            return { keyring: structuredClone(backup.keyring), createdAt: backup.createdAt, envelopeHeader: backup.envelopeHeader, bytes: 1000, erasureRegister: 'none' };
          },
          'backup.verify': () => {
            throw new BodyRefusal(damaged);
          },
          'backup.restore': (payload: unknown) => restores.push(payload),
        },
      }),
    );
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({ code: 'E_BACKUP', message: damaged });
    expect(restores).toEqual([]);
    expect(vault.phase()).toBe('absent');
  });

  it('a backup with no erasure register beside it whose clear date differs from its sealed one: the whole-file check’s words as E_BACKUP_LABEL_ALTERED before the register question; accepted, the check is told so', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(1, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const words = 'This file’s label says 7 Dec 2026, 08:48 but its sealed contents were made on 3 Jan 2025, 10:00: the file may have been altered.';
    const verified: unknown[] = [];
    const restores: unknown[] = [];
    const { vault } = setup(
      createFakeBody({
        backups,
        handlers: {
          'backup.inspect': ({ path: file }: { path: string }) => {
            const backup = backups.get(file)!;
            return { keyring: structuredClone(backup.keyring), createdAt: backup.createdAt, envelopeHeader: backup.envelopeHeader, bytes: 1000, erasureRegister: 'none' };
          },
          'backup.verify': (payload: { acceptAlteredLabel?: true }) => {
            verified.push(payload);
            if (payload.acceptAlteredLabel !== true) throw new BodyRefusal(words, 'E_CONFLICT');
            return {};
          },
          'backup.restore': (payload: unknown) => restores.push(payload),
        },
      }),
    );
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE } })).rejects.toMatchObject({ code: 'E_BACKUP_LABEL_ALTERED', message: words });
    await expect(vault.restoreBackup({ path, secret: { passphrase: PASSPHRASE }, acceptAlteredLabel: true })).rejects.toMatchObject({ code: 'E_NO_ERASURE_REGISTER' });
    expect(verified).toMatchObject([{ path }, { path, acceptAlteredLabel: true }]);
    expect(verified[0]).not.toHaveProperty('acceptAlteredLabel');
    expect(restores).toEqual([]);
    expect(vault.phase()).toBe('absent');
  });

  it('ends busy when a restore fails', async () => {
    const backups = new Map<string, FakeBackup>();
    const original = await vaultWithData(2, createFakeBody({ backups }));
    const { path } = await original.vault.exportBackup();
    const { vault } = setup(createFakeBody({ backups }));
    await vault.ready();
    await expect(vault.restoreBackup({ path, secret: { passphrase: 'not the passphrase at all' } })).rejects.toMatchObject({ code: 'E_BACKUP' });
    expect(vault.indexing()).toEqual({ busy: false, applied: 0 });
    expect(vault.phase()).toBe('absent');
  });
});
