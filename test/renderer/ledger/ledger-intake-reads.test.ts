import { describe, expect, it, vi } from 'vitest';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { INTAKE_RECORD_KINDS, MIND_KINDS, QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import { sealJson } from '../../../shared/journal/sealed-json';
import { ledgerKindOf } from '../../../renderer/ledger/ledger-details';
import { BATCHED_WITHOUT_META } from '../../../renderer/ledger/ledger-writer';
import { appendMindEvent } from '../../../renderer/vault/mind-events';
import { ledgerVaultFixture, signedLedgerEntries } from './support/ledger-fixture';

/**
 * Issue 11 (ingest with the window open): the ledger reads the journal again after every replay
 * of the views, and an intake record's sealed meta (base64 inside JSON) is most of each answer's
 * bytes, which the body encodes and checks and the page parses, though an intake batch is signed
 * by kind, time and objects alone. The ledger now asks for intake records without their meta.
 */
describe('the ledger reads intake records without their sealed meta', () => {
  it('names only kinds it signs in intake batches', () => {
    expect(BATCHED_WITHOUT_META).toEqual(expect.arrayContaining([...INTAKE_RECORD_KINDS, QUARANTINE_KINDS.quarantined]));
    for (const kind of BATCHED_WITHOUT_META) expect(ledgerKindOf(kind)).toBe('INTAKE_BATCH');
  });

  it('signs the same intake batch and access entry from records whose intake meta was left out', async () => {
    const fixture = await ledgerVaultFixture();
    const { body, keys, sealer } = fixture;
    const objects = ['a', 'b'].map((c) => c.repeat(64));
    for (const [i, id] of objects.entries()) {
      const meta = await sealJson(sealer, { v: 1, channel: 'hl7-mllp', receivedAt: '2026-01-02T03:04:05.000Z', rawBytes: 10, normalized: { channel: 'hl7-mllp', messageId: `M${i}`, messageType: 'ADT^A04', patient: { identifiers: [], name: { family: 'X', given: [] } }, records: [] } });
      body.journal.push({ seq: body.journal.length + 1, at: '2026-01-02T03:04:05.000Z', kind: 'intake.hl7', operator: null, objects: [id], meta });
    }
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.eventAuth, operator: 'b'.repeat(43), meta: { v: 1 } });
    await appendMindEvent(body.api, sealer, keys.eventAuthKey, { kind: MIND_KINDS.access, operator: 'b'.repeat(43), meta: { v: 1, patientId: 'p1', recordId: null, at: '2026-01-02T03:04:06.000Z' } });
    const read = body.api.journal.read.bind(body.api.journal);
    const answered: JournalRecord[] = [];
    const spy = vi.spyOn(body.api.journal, 'read').mockImplementation(async (request) => {
      const page = await read(request);
      if (request.withoutMetaOf !== undefined) answered.push(...page.records);
      return page;
    });

    const entries = await signedLedgerEntries(fixture);
    spy.mockRestore();

    expect(answered.filter((r) => r.kind === 'intake.hl7').map((r) => r.meta)).toEqual([null, null]);
    expect(answered.find((r) => r.kind === MIND_KINDS.access)?.meta).not.toBeNull();
    expect(entries.map(({ entry }) => entry['kind'])).toEqual(['INTAKE_BATCH', 'ACCESS']);
    expect(entries[0]!.details['objectIds']).toEqual(objects);
    expect(entries[1]!.details['patientId']).toBe('p1');
  });
});
