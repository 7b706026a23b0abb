import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { deriveOperatorId } from '../../../shared/crypto/vault-keys';
import type { OperatorChangedMeta } from '../../../shared/journal/mind-meta';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { bytes32ToPseudonym } from '../../../renderer/ledger/ledger-details';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { readReplayCounts, replayJournal } from '../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { ledgerVaultFixture, signedLedgerEntries, type LedgerVaultFixture } from './support/ledger-fixture';

/**
 * Audit integrity: `journal.append` is open to clinicians, who journal `operator.changed` about
 * themselves (a changed passphrase). The body seals the calling session's account as the record's
 * actor but cannot read the meta, so a clinician's session could journal "the administrator was
 * disabled" and have it signed as her act and shown in the ledger. An operator.changed whose actor
 * is not an administrator (by the keyring's role) counts only for what the role may do about
 * itself; anything else is rejected like a record without a valid authenticator. Records without
 * an actor (journaled before the body stamped them) stay as they were.
 */

const ADA = 'op_ada-1';
const CLEO = 'op_cleo-1';

/** An operator.changed the way a mind writes it (genuine authenticator), stamped by the body with `actor` (an account id). */
async function operatorChanged(f: LedgerVaultFixture, actor: string | undefined, meta: Omit<OperatorChangedMeta, 'v'>): Promise<number> {
  const operator = await deriveOperatorId(f.keys.ledgerKey, actor ?? ADA);
  const seq = await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.operatorChanged, operator, meta: { v: 1, ...meta } });
  if (actor !== undefined) f.body.journal[seq - 1] = { ...f.body.journal[seq - 1]!, actor: await sealJson(f.sealer, { v: 1, operatorId: actor }) };
  return seq;
}

describe('an operator change made by a session that is not an administrator', () => {
  it('is signed only for what the role may do about itself; the rest is rejected, in the ledger and in the views\' count', async () => {
    const f = await ledgerVaultFixture();
    f.roles.set(ADA, 'admin');
    f.roles.set(CLEO, 'clinician');
    const ada = await deriveOperatorId(f.keys.ledgerKey, ADA);
    const cleo = await deriveOperatorId(f.keys.ledgerKey, CLEO);
    const recovery = await deriveOperatorId(f.keys.ledgerKey, 'recovery');

    const forged = [
      // A clinician's session disabling the administrator, resetting her passphrase, adding an operator.
      await operatorChanged(f, CLEO, { action: 'disabled', subject: ada, role: 'admin' }),
      await operatorChanged(f, CLEO, { action: 'passphrase-reset', subject: ada, role: 'admin' }),
      await operatorChanged(f, CLEO, { action: 'added', subject: cleo, role: 'clinician' }),
      // Self-service actions about someone else, or claiming another role.
      await operatorChanged(f, CLEO, { action: 'passphrase-changed', subject: ada, role: 'admin' }),
      await operatorChanged(f, CLEO, { action: 'passphrase-changed', subject: cleo, role: 'admin' }),
      // A recovery is journaled by the recovery key's session, never by the operator's own.
      await operatorChanged(f, CLEO, { action: 'recovered', subject: cleo, role: 'clinician' }),
      // An account the keyring does not hold has no role.
      await operatorChanged(f, 'op_gone-1', { action: 'passphrase-changed', subject: await deriveOperatorId(f.keys.ledgerKey, 'op_gone-1'), role: 'clinician' }),
    ];
    await operatorChanged(f, CLEO, { action: 'passphrase-changed', subject: cleo, role: 'clinician' });
    await operatorChanged(f, ADA, { action: 'disabled', subject: cleo, role: 'clinician' });
    await operatorChanged(f, 'recovery', { action: 'recovered', subject: cleo, role: 'clinician' });
    // Journaled before the body stamped an actor: as it was.
    await operatorChanged(f, undefined, { action: 'enabled', subject: cleo, role: 'clinician' });

    const entries = await signedLedgerEntries(f);
    const changes = entries.filter(({ entry }) => entry['kind'] === 'OPERATOR_CHANGE');
    expect(changes.map(({ entry, details }) => [bytes32ToPseudonym(entry['operator']), details['action'], bytes32ToPseudonym(entry['subject'])])).toEqual([
      [cleo, 'passphrase-changed', cleo],
      [ada, 'disabled', cleo],
      [recovery, 'recovered', cleo],
      [ada, 'enabled', cleo],
    ]);
    // The forged ones are listed as rejected in the entry whose range holds them.
    expect(entries.flatMap(({ details }) => (details['rejected'] as number[] | undefined) ?? [])).toEqual(forged);

    // Settings › Data › "Journal records" counts them as rejected.
    const db = openVaultDb(`test-operator-change-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    await replayJournal({ api: f.body.api, db, keys: f.keys, opener: f.opener, tokens: new TokenCache(f.keys.indexKey), isCurrent: () => true, roleOf: f.roleOf });
    expect(await readReplayCounts(db)).toMatchObject({ problems: 0, rejected: forged.length });
  });
});
