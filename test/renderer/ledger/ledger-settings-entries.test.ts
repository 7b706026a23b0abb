import { describe, expect, it } from 'vitest';
import { deriveOperatorId } from '../../../shared/crypto/vault-keys';
import { AUDIT_KINDS, MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { bytes32ToPseudonym, ledgerKindOf, summaryOf } from '../../../renderer/ledger/ledger-details';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { ledgerVaultFixture, signedLedgerEntries } from './support/ledger-fixture';

/**
 * Tester's defect 2: settings changes are signed SETTINGS_CHANGE entries naming the operator and
 * what changed: the body's `audit.settings` records (HL7 listener, DICOM receiver, backup) under
 * the account the body recorded, and the mind's `settings.autoLock` under its record's operator.
 */

const ADA = 'g'.repeat(43);
const AT = '2026-12-06T22:00:00.000Z';

describe('ledger: settings changes (tester defect 2)', () => {
  it('maps the body\'s settings record and the auto-lock setting to SETTINGS_CHANGE', () => {
    expect(ledgerKindOf(AUDIT_KINDS.settings)).toBe('SETTINGS_CHANGE');
    expect(ledgerKindOf(MIND_KINDS.autoLockSetting)).toBe('SETTINGS_CHANGE');
  });

  it('signs a listener change under the administrator the body recorded, with what changed old → new', async () => {
    const f = await ledgerVaultFixture();
    const { body, keys, sealer } = f;
    const meta = {
      v: 1,
      setting: 'hl7Listener',
      operatorId: 'op_ada-1',
      role: 'admin',
      changes: [
        { field: 'bindAddress', from: '127.0.0.1', to: '0.0.0.0' },
        { field: 'allowedPeers', from: '(none)', to: '192.0.2.10' },
      ],
      workstation: 'ward-pc (browser shell)',
      at: AT,
    };
    body.journal.push({ seq: 1, at: AT, kind: AUDIT_KINDS.settings, operator: null, objects: [], meta: await sealJson(sealer, meta) });
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.autoLockSetting, operator: ADA, meta: { v: 1, minutes: 0, before: 15 } });

    const entries = await signedLedgerEntries(f);
    const ada = await deriveOperatorId(keys.ledgerKey, 'op_ada-1');
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([
      ['SETTINGS_CHANGE', ada],
      ['SETTINGS_CHANGE', ADA],
    ]);
    expect(entries[0]!.details).toMatchObject({ setting: 'hl7Listener', changes: meta.changes, workstation: 'ward-pc (browser shell)', at: AT });
    expect(summaryOf('SETTINGS_CHANGE', entries[0]!.details)).toMatchObject({ setting: 'hl7Listener', value: 'bindAddress 127.0.0.1 → 0.0.0.0; allowedPeers (none) → 192.0.2.10', role: 'admin' });
    expect(summaryOf('SETTINGS_CHANGE', entries[1]!.details)).toMatchObject({ setting: 'autoLock', value: '15 minutes → never' });
    // The account id is the body's name for the operator; the signed details never carry it.
    for (const { details } of entries) expect(JSON.stringify(details)).not.toContain('op_ada-1');
  });
});
