import { Wallet } from 'ethers';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/crypto/bytes';
import { createOpener, createSealer } from '../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import type { HdmsApi } from '../../../shared/ipc/contract';
import { LEDGER_ALARM_KIND, MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { LedgerRecordMetaSchema } from '../../../shared/journal/ledger-meta';
import { openJson, sealJson } from '../../../shared/journal/sealed-json';
import { ledgerDomain } from '../../../shared/ledger/ledger-schema';
import { LedgerWriter } from '../../../renderer/ledger/ledger-writer';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { createFakeBody, TEST_ADMIN_SESSION } from '../vault/support/fake-body';

const OPERATOR = 'b'.repeat(43);

/** A fake body with a vault's intake key and an admin session, and the keys to seal and open. */
async function vaultFixture() {
  const body = createFakeBody();
  const keys = await deriveVaultKeys(generateMasterSecret());
  body.keyring = { intakePublicKey: toBase64Url(keys.intakeKeyPair.publicKeyRaw) } as never;
  body.session = TEST_ADMIN_SESSION;
  return { body, keys, sealer: await createSealer(keys.intakeKeyPair.publicKeyRaw), opener: createOpener(keys.intakeKeyPair.privateKey) };
}

/** Replays the journal into fresh views, runs the writer once (flushing), and opens what it appended. */
async function signedEntries({ body, keys, sealer, opener }: Awaited<ReturnType<typeof vaultFixture>>) {
  const db = openVaultDb(`test-ledger-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await replayJournal({ api: body.api, db, keys, opener, tokens: new TokenCache(keys.indexKey), isCurrent: () => true });
  const appended: string[] = [];
  const api: Pick<HdmsApi, 'journal' | 'ledger'> = {
    journal: body.api.journal,
    ledger: {
      ...body.api.ledger,
      append: async ({ meta }) => {
        appended.push(meta);
        return { seq: body.journal.length + appended.length };
      },
    },
  };
  const writer = new LedgerWriter({ api, db: () => db, opener, sealer: async () => sealer, ledgerKey: keys.ledgerKey, eventAuthKey: keys.eventAuthKey, signer: Wallet.createRandom(), domain: ledgerDomain(), isCurrent: () => true });
  await writer.catchUp({ flush: true });
  return Promise.all(appended.map(async (meta) => LedgerRecordMetaSchema.parse(await openJson(opener, meta))));
}

describe('ledger writer: mind events need their authenticator', () => {
  it('signs a legacy access and a genuine one, not those forged or unreadable after the marker, which the next entry lists as rejected', async () => {
    const { body, keys, sealer, opener } = await vaultFixture();
    const access = (patientId: string) => ({ v: 1, patientId, recordId: null, at: '2026-01-02T03:04:05.000Z' });
    const forged = async (kind: string, meta: Record<string, unknown>) => (await body.api.journal.append({ kind, operator: OPERATOR, objects: [], meta: await sealJson(sealer, meta) })).seq;
    const genuine = (kind: string, meta: Record<string, unknown>) => appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind, operator: OPERATOR, meta });

    const legacy = await forged(MIND_KINDS.access, access('p1'));
    const marker = await genuine(MIND_KINDS.eventAuth, { v: 1 });
    const late = await forged(MIND_KINDS.access, access('p1'));
    const lateSetting = await forged(MIND_KINDS.autoUnlockSetting, { v: 1, enabled: true });
    // Sealed to another vault's key: it does not open, so it cannot be authenticated either.
    const otherSealer = await createSealer((await deriveVaultKeys(generateMasterSecret())).intakeKeyPair.publicKeyRaw);
    const unreadable = (await body.api.journal.append({ kind: MIND_KINDS.access, operator: OPERATOR, objects: [], meta: await sealJson(otherSealer, access('p1')) })).seq;
    const real = await genuine(MIND_KINDS.access, access('p2'));

    const entries = await signedEntries({ body, keys, sealer, opener });
    expect(entries.map(({ entry, details }) => [entry['kind'], details['from'], details['to'], details['rejected']])).toEqual([
      ['ACCESS', 1, legacy, undefined],
      ['ACCESS', marker, real, [late, lateSetting, unreadable]],
    ]);
    expect(entries[1]!.details['patientId']).toBe('p2');
  });
});

describe('ledger writer: a notary alarm from the body', () => {
  it('signs a NOTARY_ALARM entry whose sealed details hold both signed checkpoints', async () => {
    const fixture = await vaultFixture();
    const { body, sealer } = fixture;
    const older = 'log\n2\nAAAA\n\n— log sig-older\n';
    const newer = 'log\n2\nBBBB\n\n— log sig-newer\n';
    // What the body's ledger sync journals (a body record: no mind authenticator).
    body.journal.push({ seq: body.journal.length + 1, at: '2026-01-02T03:04:05.000Z', kind: LEDGER_ALARM_KIND, operator: null, objects: [], meta: await sealJson(sealer, { v: 1, older, newer, detail: 'Two different roots were signed for the tree of 2 leaves.' }) });
    const entries = await signedEntries(fixture);
    const alarm = entries.find(({ entry }) => entry['kind'] === 'NOTARY_ALARM');
    expect(alarm?.details).toMatchObject({ detail: 'Two different roots were signed for the tree of 2 leaves.', older, newer });
  });
});

describe('ledger writer: a device approval', () => {
  it('signs a SETTINGS_CHANGE entry naming the decision and the device (issue 13)', async () => {
    const fixture = await vaultFixture();
    const { body, keys, sealer } = fixture;
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.deviceDecision, operator: OPERATOR, meta: { v: 1, systemIdPrefix: '001c05fffe123456', decision: 'approved', model: 'BP-100', at: '2026-11-21T08:55:00.000Z' } });
    const entries = await signedEntries(fixture);
    expect(entries.map(({ entry, details }) => [entry['kind'], details['setting'], details['value']])).toEqual([['SETTINGS_CHANGE', 'deviceApproval', 'approved 001c05fffe123456']]);
  });
});
