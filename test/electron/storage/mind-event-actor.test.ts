import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Body } from '../../../electron/body';
import { deriveOperatorId, deriveVaultKeys } from '../../../shared/crypto/vault-keys';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import { openSealedMeta, type TestVault } from '../../support/vault-keyring';
import { call, readJournal } from '../vault/vault-test-support';
import { callAs, CLEO, useAdaAndCleo } from '../vault/two-operators';

/**
 * Audit integrity: the body, not the mind, says who made a mind event. `journal.append` takes the
 * operator pseudonym from the client, which cannot be checked by the body (it is HMAC'd with a
 * key only the mind holds): a clinician's page could append a "record viewed" naming the
 * administrator. Now the body seals the calling session's account id into the record (`actor`,
 * sealed to the vault's intake key like a meta, never in clear on disk), and the mind signs and
 * shows the event under that account's pseudonym.
 */

/** A vault whose admin (Ada) is signed in on the test connection and a clinician (Cleo) on CLEO. */
const signedIn = useAdaAndCleo();

/** A `view.access` the way the mind appends one (its meta sealed; the body cannot open it either way). */
function viewed(operator: string) {
  return { kind: MIND_KINDS.access, operator, objects: [], meta: null };
}

async function actorOf(b: Body, vault: TestVault, seq: number): Promise<{ operator: string | null; actor: unknown }> {
  const record = (await readJournal(b)).find((r) => r.seq === seq)!;
  const actor = record.actor === undefined ? undefined : (JSON.parse(Buffer.from(await openSealedMeta(vault.opener, record.actor)).toString('utf8')) as unknown);
  return { operator: record.operator, actor };
}

describe('body: a mind event carries the calling session\'s account, sealed by the body', () => {
  it('a clinician appending a record view that names the administrator\'s pseudonym is recorded as the clinician', async () => {
    const { b, vault, cleo, dataDir } = await signedIn();
    const ada = await deriveOperatorId((await deriveVaultKeys(vault.master)).ledgerKey, vault.operatorId);
    const { seq } = await callAs(b, CLEO, 'journal.append', viewed(ada));
    const recorded = await actorOf(b, vault, seq);
    // The client's claim stays in the record (older minds read it), but the sealed actor is the session's.
    expect(recorded.operator).toBe(ada);
    expect(recorded.actor).toEqual({ v: 1, operatorId: cleo });

    // The administrator's own event names the administrator.
    const { seq: own } = await call(b, 'journal.append', viewed(ada));
    expect((await actorOf(b, vault, own)).actor).toEqual({ v: 1, operatorId: vault.operatorId });

    // Never in clear on disk: neither account id appears in the journal file's bytes.
    const bytes = await readFile(path.join(dataDir, 'vault', 'journal', 'journal.hdj'));
    expect(bytes.includes(Buffer.from(cleo, 'latin1'))).toBe(false);
    expect(bytes.includes(Buffer.from(vault.operatorId, 'latin1'))).toBe(false);
  });

  it('the body\'s own records and intake carry no actor (only journal.append seals one)', async () => {
    const { b } = await signedIn();
    await call(b, 'hl7.importFiles', { files: [{ bytes: Buffer.from('not a message').toString('base64url') }] });
    const records = await readJournal(b);
    expect(records.filter((record) => record.kind.startsWith('intake.'))).not.toHaveLength(0);
    expect(records.filter((record) => record.actor !== undefined)).toEqual([]);
  });
});
