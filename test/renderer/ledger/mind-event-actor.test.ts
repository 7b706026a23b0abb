import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../../shared/crypto/envelope';
import { deriveOperatorId, deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { bytes32ToPseudonym } from '../../../renderer/ledger/ledger-details';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { replayJournal } from '../../../renderer/vault/views/journal-replay';
import { TokenCache } from '../../../renderer/vault/views/token-cache';
import { openVaultDb } from '../../../renderer/vault/views/vault-db';
import { ledgerVaultFixture, signedLedgerEntries, type LedgerVaultFixture } from './support/ledger-fixture';

/**
 * Audit integrity: who made a mind event is the account the body saw calling (the record's sealed
 * `actor`, shared/journal/record-actor.ts), not the pseudonym the client put in the record. A
 * clinician's page that appends a "record viewed" naming the administrator gets it signed, and
 * shown in "Who accessed this record", as the clinician. Records journaled before keep the
 * record's pseudonym.
 */

const AT = '2026-12-04T10:00:00.000Z';
const LEGACY = 'c'.repeat(43);

/** A view.access the way a mind writes it (genuine authenticator) naming `operator`, stamped by the body with `actor`. */
async function viewed(f: LedgerVaultFixture, operator: string, actor: string | undefined, patientId: string): Promise<number> {
  const seq = await appendMindEvent(f.body.api, f.sealer, f.keys.eventAuthKey, { kind: MIND_KINDS.access, operator, meta: { v: 1, patientId, recordId: null, at: AT } });
  if (actor !== undefined) f.body.journal[seq - 1] = { ...f.body.journal[seq - 1]!, actor };
  return seq;
}

describe('a mind event is signed and shown as the body\'s actor', () => {
  it('signs a clinician\'s record view that names the administrator under the clinician\'s pseudonym; an old record keeps its own', async () => {
    const f = await ledgerVaultFixture();
    const ada = await deriveOperatorId(f.keys.ledgerKey, 'op_ada-1');
    const cleo = await deriveOperatorId(f.keys.ledgerKey, 'op_cleo-1');
    const actorOf = (operatorId: string) => sealJson(f.sealer, { v: 1, operatorId });
    // An actor sealed to another vault's key does not open here: the event names nobody, never the client's claim.
    const stranger = await createSealer((await deriveVaultKeys(generateMasterSecret())).intakeKeyPair.publicKeyRaw);

    await viewed(f, ada, await actorOf('op_cleo-1'), 'p'.repeat(22));
    await viewed(f, ada, await actorOf('op_ada-1'), 'q'.repeat(22));
    await viewed(f, LEGACY, undefined, 'r'.repeat(22));
    await viewed(f, ada, await sealJson(stranger, { v: 1, operatorId: 'op_ada-1' }), 's'.repeat(22));

    const entries = await signedLedgerEntries(f);
    expect(entries.map(({ entry }) => [entry['kind'], bytes32ToPseudonym(entry['operator'])])).toEqual([
      ['ACCESS', cleo],
      ['ACCESS', ada],
      ['ACCESS', LEGACY],
      ['ACCESS', ''],
    ]);
    // The account id is the body's name for the operator; the signed details never carry it.
    for (const { details } of entries) expect(JSON.stringify(details)).not.toMatch(/op_(cleo|ada)-1/);

    // "Who accessed this record" (the views' access rows) says the same.
    const db = openVaultDb(`test-actor-${Math.random().toString(36).slice(2)}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    await replayJournal({ api: f.body.api, db, keys: f.keys, opener: f.opener, tokens: new TokenCache(f.keys.indexKey), isCurrent: () => true });
    expect((await db.access.orderBy('seq').toArray()).map((row) => row.operator)).toEqual([cleo, ada, LEGACY, '']);
  });
});
