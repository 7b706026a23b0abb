import { describe, expect, it } from 'vitest';
import { createSealer } from '../../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { LEDGER_ALARM_KIND, MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { ledgerVaultFixture, signedLedgerEntries } from './support/ledger-fixture';

const OPERATOR = 'b'.repeat(43);

describe('ledger writer: mind events need their authenticator', () => {
  it('signs a legacy access and a genuine one, not those forged or unreadable after the marker, which the next entry lists as rejected', async () => {
    const { body, keys, sealer, opener } = await ledgerVaultFixture();
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

    const entries = await signedLedgerEntries({ body, keys, sealer, opener });
    expect(entries.map(({ entry, details }) => [entry['kind'], details['from'], details['to'], details['rejected']])).toEqual([
      ['ACCESS', 1, legacy, undefined],
      ['ACCESS', marker, real, [late, lateSetting, unreadable]],
    ]);
    expect(entries[1]!.details['patientId']).toBe('p2');
  });
});

describe('ledger writer: a notary alarm from the body', () => {
  it('signs a NOTARY_ALARM entry whose sealed details hold both signed checkpoints', async () => {
    const fixture = await ledgerVaultFixture();
    const { body, sealer } = fixture;
    const older = 'log\n2\nAAAA\n\n— log sig-older\n';
    const newer = 'log\n2\nBBBB\n\n— log sig-newer\n';
    // What the body's ledger sync journals (a body record: no mind authenticator).
    body.journal.push({ seq: body.journal.length + 1, at: '2026-01-02T03:04:05.000Z', kind: LEDGER_ALARM_KIND, operator: null, objects: [], meta: await sealJson(sealer, { v: 1, older, newer, detail: 'Two different roots were signed for the tree of 2 leaves.' }) });
    const entries = await signedLedgerEntries(fixture);
    const alarm = entries.find(({ entry }) => entry['kind'] === 'NOTARY_ALARM');
    expect(alarm?.details).toMatchObject({ detail: 'Two different roots were signed for the tree of 2 leaves.', older, newer });
  });
});

describe('ledger writer: a device approval', () => {
  it('signs a SETTINGS_CHANGE entry naming the decision and the device (issue 13)', async () => {
    const fixture = await ledgerVaultFixture();
    const { body, keys, sealer } = fixture;
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.deviceDecision, operator: OPERATOR, meta: { v: 1, systemIdPrefix: '001c05fffe123456', decision: 'approved', model: 'BP-100', at: '2026-11-21T08:55:00.000Z' } });
    const entries = await signedLedgerEntries(fixture);
    expect(entries.map(({ entry, details }) => [entry['kind'], details['setting'], details['value']])).toEqual([['SETTINGS_CHANGE', 'deviceApproval', 'approved 001c05fffe123456']]);
  });
});
