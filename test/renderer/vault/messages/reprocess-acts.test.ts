import { describe, expect, it } from 'vitest';
import type { HdmsApi } from '../../../../shared/ipc/contract';
import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { deriveOperatorId } from '../../../../shared/crypto/vault-keys';
import { QUARANTINE_KINDS } from '../../../../shared/journal/journal-kinds';
import { sealJson } from '../../../../shared/journal/sealed-json';
import { actorOf, reprocessActs } from '../../../../renderer/vault/messages/reprocess-acts';
import { ledgerVaultFixture } from '../../ledger/support/ledger-fixture';

/**
 * F12: a copy a reprocess filed says who ran that reprocess. The operator is the reprocess act's:
 * the account the body named in its sealed meta (as a pseudonym, what the ledger signs), or the
 * record's own pseudonym for acts journaled before the body named it.
 */
describe('reprocessActs', () => {
  it('finds the acts on one quarantine record after a copy, each with its operator, and a copy is the first act’s after it', async () => {
    const f = await ledgerVaultFixture();
    const at = '2026-12-07T10:00:00.000Z';
    const record = async (seq: number, kind: string, meta: unknown, operator: string | null = null): Promise<JournalRecord> => ({ seq, kind, at, operator, objects: [], meta: await sealJson(f.sealer, meta) });
    const earlier = await deriveOperatorId(f.keys.ledgerKey, 'op_earlier-1');
    f.body.journal.push(
      await record(1, QUARANTINE_KINDS.quarantined, { quarantineSeq: 0 }),
      await record(2, 'intake.hl7', {}),
      // A partial run by an operator of an older build (its pseudonym in the record), leaving the entry open.
      await record(3, QUARANTINE_KINDS.reprocessed, { v: 1, quarantineSeq: 1, resolved: false }, earlier),
      // An act on another quarantine record in between.
      await record(4, QUARANTINE_KINDS.reprocessed, { v: 1, quarantineSeq: 9, resolved: true, operatorId: 'op_other-1' }),
      await record(5, 'intake.hl7', {}),
      await record(6, QUARANTINE_KINDS.reprocessed, { v: 1, quarantineSeq: 1, resolved: true, operatorId: 'op_carl-1' }),
    );
    const acts = await reprocessActs(f.body.api as unknown as HdmsApi, f.opener, f.keys.ledgerKey, 1, 1, 6);
    const carl = await deriveOperatorId(f.keys.ledgerKey, 'op_carl-1');
    expect(acts).toEqual([
      { seq: 3, operator: earlier },
      { seq: 6, operator: carl },
    ]);
    expect(actorOf(acts, 2)).toBe(earlier);
    expect(actorOf(acts, 5)).toBe(carl);
    expect(actorOf(acts, 6)).toBeNull();
    // Nothing after the copy on that record yet: nobody is named.
    expect(await reprocessActs(f.body.api as unknown as HdmsApi, f.opener, f.keys.ledgerKey, 1, 6, 100)).toEqual([]);
  });
});
