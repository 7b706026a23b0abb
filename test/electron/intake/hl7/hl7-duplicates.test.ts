import { readFile, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryDedupe, dedupeKeyHash, openHl7Dedupe, payloadHash } from '../../../../electron/intake/hl7/hl7-duplicates';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();
const key = dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'NORTH', controlId: 'C-1' });

describe('HL7 duplicate index', () => {
  it('keys on sender + control id, recognizes an identical resend and a conflict', async () => {
    const dedupe = await openHl7Dedupe({ file: path.join(await tempDir(), 'vault', 'intake', 'hl7-dedupe.jsonl') });
    const a = payloadHash('message a');
    expect(dedupe.check(key, a)).toEqual({ status: 'new' });
    await dedupe.remember(key, a, 'AA');
    expect(dedupe.check(key, a)).toEqual({ status: 'duplicate', ack: 'AA' });
    expect(dedupe.check(key, payloadHash('message b'))).toEqual({ status: 'conflict' });
    expect(dedupe.check(dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'SOUTH', controlId: 'C-1' }), a)).toEqual({ status: 'new' });
    await dedupe.close();
  });

  it('a corrected resend after a rejection is new, not a conflict', async () => {
    const dedupe = await openHl7Dedupe({ file: path.join(await tempDir(), 'd.jsonl') });
    await dedupe.remember(key, payloadHash('bad'), 'AR');
    expect(dedupe.check(key, payloadHash('fixed'))).toEqual({ status: 'new' });
    await dedupe.close();
  });

  it('survives a restart; stores only hashes (no control id, no sender in clear)', async () => {
    const file = path.join(await tempDir(), 'vault', 'intake', 'hl7-dedupe.jsonl');
    const first = await openHl7Dedupe({ file });
    await first.remember(key, payloadHash('m'), 'CA');
    await first.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('C-1');
    expect(text).not.toContain('LAB');
    expect(JSON.parse(text.trim())).toEqual({ k: key, p: payloadHash('m'), a: 'CA', t: expect.any(Number) });
    const second = await openHl7Dedupe({ file });
    expect(second.check(key, payloadHash('m'))).toEqual({ status: 'duplicate', ack: 'CA' });
    expect(second.size).toBe(1);
    await second.close();
  });

  it('ignores a torn last line and garbage; forgets entries past the retention', async () => {
    const file = path.join(await tempDir(), 'd.jsonl');
    const old = { k: dedupeKeyHash({ sendingApplication: 'x', sendingFacility: 'y', controlId: 'old' }), p: payloadHash('o'), a: 'AA', t: Date.now() - 400 * 86_400_000 };
    await writeFile(file, `${JSON.stringify(old)}\nnot json\n{"k":"zz"}\n`);
    await appendFile(file, `${JSON.stringify({ k: key, p: payloadHash('m'), a: 'AA', t: Date.now() })}\n{"k":"${key}","p":"`);
    const dedupe = await openHl7Dedupe({ file, retentionDays: 365 });
    expect(dedupe.size).toBe(1);
    expect(dedupe.check(key, payloadHash('m')).status).toBe('duplicate');
    expect(dedupe.check(old.k, old.p).status).toBe('new');
    await dedupe.remember(key, payloadHash('n'), 'AA');
    await dedupe.close();
    // The torn line was compacted away before appending: every line parses.
    for (const line of (await readFile(file, 'utf8')).trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
  it('coalesces a burst of remembers into few writes; each resolves once its line is written, whole lines only', async () => {
    const file = path.join(await tempDir(), 'burst.jsonl');
    const dedupe = await openHl7Dedupe({ file });
    const keys = Array.from({ length: 200 }, (_, i) => dedupeKeyHash({ sendingApplication: 'LAB', sendingFacility: 'NORTH', controlId: `B-${i}` }));
    const written = new Set<number>();
    await Promise.all(
      keys.map(async (k, i) => {
        await dedupe.remember(k, payloadHash(`m${i}`), 'AA');
        // Resolved: the line is in the file (page cache) already.
        const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
        expect(lines.some((line) => (JSON.parse(line) as { k: string }).k === k)).toBe(true);
        written.add(i);
      }),
    );
    expect(written.size).toBe(200);
    await dedupe.close();
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(200);
    const reopened = await openHl7Dedupe({ file });
    expect(reopened.size).toBe(200);
    expect(reopened.check(keys[199]!, payloadHash('m199'))).toEqual({ status: 'duplicate', ack: 'AA' });
    await reopened.close();
  });

  it('keeps several contents under one key, through a compaction and a restart', async () => {
    const file = path.join(await tempDir(), 'several.jsonl');
    const first = await openHl7Dedupe({ file });
    const [bad, good, resent] = [payloadHash('bad'), payloadHash('good'), payloadHash('resent')];
    await first.remember(key, bad, 'AR');
    expect(first.check(key, good)).toEqual({ status: 'new' }); // only rejected so far
    await first.remember(key, good, 'AA');
    await first.remember(key, resent, 'AR');
    await first.remember(key, bad, 'CR'); // answered again: the newer answer counts
    await first.close();
    await appendFile(file, '{"k":"torn'); // forces a compaction on the next open
    const second = await openHl7Dedupe({ file });
    expect(second.size).toBe(1);
    expect(second.check(key, bad)).toEqual({ status: 'duplicate', ack: 'CR' });
    expect(second.check(key, good)).toEqual({ status: 'duplicate', ack: 'AA' });
    expect(second.check(key, resent)).toEqual({ status: 'duplicate', ack: 'AR' });
    expect(second.check(key, payloadHash('other'))).toEqual({ status: 'conflict' });
    await second.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { p: string; a: string });
    expect(lines.map((line) => [line.p, line.a])).toEqual([[bad, 'CR'], [good, 'AA'], [resent, 'AR']]);
  });

  it('the in-memory index answers as the persisted one', async () => {
    const dedupe = createMemoryDedupe();
    await dedupe.remember(key, payloadHash('r'), 'AR');
    expect(dedupe.check(key, payloadHash('x'))).toEqual({ status: 'new' });
    await dedupe.remember(key, payloadHash('a'), 'CA');
    expect(dedupe.check(key, payloadHash('x'))).toEqual({ status: 'conflict' });
    expect(dedupe.check(key, payloadHash('r'))).toEqual({ status: 'duplicate', ack: 'AR' });
    expect(dedupe.size).toBe(1);
  });

  it('hashes as SHA-256 hex of the UTF-8 text (or the bytes)', () => {
    expect(payloadHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(payloadHash('Zoé')).toBe(payloadHash(Buffer.from('Zoé', 'utf8')));
    expect(payloadHash(new Uint8Array(Buffer.from('xZoéx', 'utf8')).subarray(1, 5))).toBe(payloadHash('Zoé'));
    expect(dedupeKeyHash({ sendingApplication: 'A', sendingFacility: 'B', controlId: 'C' })).toBe(payloadHash('hl7-dedupe/v1\0A\0B\0C'));
  });
});
