import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createNodeSealer } from '../../../electron/crypto/node-sealer';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { journalTag } from '../../../electron/intake/hl7/hl7-duplicates';
import { decodeEnvelopeHeader } from '../../../shared/crypto/envelope-format';
import { useIntakePipelines } from './intake-pipeline-support';

const { setup } = useIntakePipelines((key) => createNodeSealer(key));

/**
 * Issue 11: "a 330-byte message costs 2,545 bytes of journal"; the target is at most 2 × the raw
 * message + 300 bytes. Sizes are deterministic (no timing), so this is a test, not a benchmark.
 * The messages are the demo population's (ours), through the body's sealer, with a dedupe tag of
 * the size the HL7 listener writes (two 128-bit keyed hashes and the ACK code).
 */
describe('journal bytes per intake message', () => {
  it('keeps every message within 2 × its raw bytes + 300 (the small ones are the hard case), and all of them together far below', async () => {
    const { dataDir, storage, pipeline, opener } = await setup();
    const journalFile = `${dataDir}/vault/journal/journal.hdj`;
    const messages = [...generateDemoMessages({ patients: 80, seed: 11, now: new Date('2026-02-01T09:00:00Z') })];
    const dedupe = journalTag({ key: '0f'.repeat(16), payload: 'a5'.repeat(16) }, 'AA');
    let before = (await stat(journalFile)).size;
    const costs: Array<{ raw: number; journal: number }> = [];
    for (const message of messages) {
      await pipeline.ingest({ kind: 'intake.hl7', raw: message.raw, normalized: message.normalized, dedupe });
      const after = (await stat(journalFile)).size;
      costs.push({ raw: message.raw.length, journal: after - before });
      before = after;
    }
    const small = costs.filter((cost) => cost.raw < 400);
    expect(small.length).toBeGreaterThan(20);
    for (const cost of costs) expect(cost.journal, `a ${cost.raw}-byte message`).toBeLessThanOrEqual(2 * cost.raw + 300);
    const raw = costs.reduce((sum, cost) => sum + cost.raw, 0);
    const journal = costs.reduce((sum, cost) => sum + cost.journal, 0);
    expect(journal).toBeLessThan(1.6 * raw);

    // Still the same content: the raw bytes and the metadata open as they went in, compressed envelopes both.
    const { records } = await storage.journal.read({ after: 0, limit: 1 });
    const inline = Buffer.from(Object.values(records[0]!.inline!)[0]!, 'base64url');
    const meta = Buffer.from(records[0]!.meta!, 'base64url');
    expect([decodeEnvelopeHeader(inline).version, decodeEnvelopeHeader(meta).version]).toEqual([2, 2]);
    expect((await opener.open(inline)).plaintext).toEqual(messages[0]!.raw);
    expect(JSON.parse(new TextDecoder().decode((await opener.open(meta)).plaintext))).toMatchObject({ v: 1, rawBytes: messages[0]!.raw.length, normalized: messages[0]!.normalized });
    await storage.close();
  });
});
