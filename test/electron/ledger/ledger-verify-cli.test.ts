import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { verifyLedgerFile } from '../../../electron/ledger/ledger-file-verify';
import { entryTypes } from '../../../shared/ledger/ledger-schema';
import { exportHeader, exportLine } from '../../../shared/ledger/ledger-export-format';
import { useTempDirs } from '../../support/temp-dir';
import { runTsxCommand } from '../../support/tsx-command';
import { buildChain, domain, OTHER_KEY, TEST_KEY, type Signed } from '../../shared/ledger/ledger-fixture';

/** `npm run --silent ledger:verify -- FILE`: one JSON line, exit 0 / 1 / 2. */

const node = new Wallet(TEST_KEY).address;

const cli = (...args: string[]) => runTsxCommand('electron/ledger/ledger-verify-main.ts', ...args);

function fileText(chain: readonly { entry: unknown; signature: unknown }[], count = chain.length): string {
  return [JSON.stringify(exportHeader(domain, node, count, new Date('2025-01-01T00:00:00Z'))), ...chain.map(exportLine)].join('\n') + '\n';
}

describe('ledger:verify', () => {
  const tempDir = useTempDirs();
  const write = async (text: string) => {
    const file = path.join(await tempDir(), 'ledger.jsonl');
    await writeFile(file, text);
    return file;
  };

  it('accepts a valid export (exit 0) and refuses a tampered one (exit 1) with the first break', { timeout: 60_000 }, async () => {
    const chain = await buildChain(5);
    const ok = await cli(await write(fileText(chain)));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, entries: 5, node });

    const swapped = [chain[0]!, chain[2]!, chain[1]!, chain[3]!, chain[4]!];
    const bad = await cli(await write(fileText(swapped)));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({ ok: false, entries: 1, node, firstBreak: { seq: 2, problem: 'entries 2 and 3 are swapped (3 comes before 2)' } });
  });

  it('answers usage errors with exit 2 and unreadable files with exit 1', { timeout: 60_000 }, async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: npm run --silent ledger:verify -- FILE/);
    expect((await cli('a', 'b')).code).toBe(2);
    const missing = await cli(path.join(await tempDir(), 'nothing.jsonl'));
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, firstBreak: { problem: 'no such file' } });
  });

  it('names each kind of tampering precisely', async () => {
    const chain = await buildChain(6);
    const check = async (lines: readonly { entry: unknown; signature: unknown }[], count?: number) => verifyLedgerFile(await write(fileText(lines, count)));
    const edited = (i: number, change: (s: Signed) => Signed) => chain.map((s, j) => (j === i ? change({ entry: { ...s.entry }, signature: s.signature }) : s));

    expect(await check(chain)).toMatchObject({ ok: true, entries: 6 });
    expect(await check(edited(3, (s) => ({ ...s, entry: { ...s.entry, createdAt: s.entry.createdAt + 1 } })))).toMatchObject({
      firstBreak: { seq: 4, problem: expect.stringMatching(/^entry 4 was changed after it was signed/) },
    });
    expect(await check(chain.filter((_, i) => i !== 2))).toMatchObject({ firstBreak: { seq: 3, problem: 'entry 3 is missing (4 follows 2)' } });
    const other = new Wallet(OTHER_KEY);
    const resigned = await Promise.all(chain.map(async (s, i) => (i === 1 ? { ...s, signature: (await other.signTypedData({ ...domain }, entryTypes(), { ...s.entry })).toLowerCase() } : s)));
    expect(await check(resigned)).toMatchObject({ firstBreak: { seq: 2, problem: `entry 2: signature is by ${other.address}, not this node (${node})` } });
    expect(await check(edited(4, (s) => ({ ...s, entry: { ...s.entry, extra: 1 } as unknown as Signed['entry'] })))).toMatchObject({ firstBreak: { seq: 5, problem: 'entry 5 has unexpected field "extra"' } });
    const withNote = fileText(chain).split('\n');
    withNote[3] = JSON.stringify({ ...chain[2]!, note: 'x' });
    expect(await verifyLedgerFile(await write(withNote.join('\n')))).toMatchObject({
      firstBreak: { seq: 3, problem: 'line 4 (entry 3) has unexpected field "note" beside entry and signature' },
    });
    // Entries cut off the end: the header's count says so.
    expect(await check(chain.slice(0, 4), 6)).toMatchObject({ ok: false, entries: 4, firstBreak: { seq: 5, problem: 'the header announces 6 entries, but the file holds 4 (entries 5–6 are missing)' } });
    // A header whose types are not the Entry type is refused before any entry.
    const header = JSON.parse(fileText([]).trim()) as Record<string, unknown>;
    const forgedTypes = `${JSON.stringify({ ...header, types: { Entry: [{ name: 'seq', type: 'uint64' }] } })}\n`;
    expect(await verifyLedgerFile(await write(forgedTypes))).toMatchObject({ ok: false, firstBreak: { seq: 0, problem: expect.stringMatching(/^line 1 \(the header\): types/) } });
    expect(await verifyLedgerFile(await write(''))).toMatchObject({ ok: false, firstBreak: { problem: expect.stringMatching(/empty/) } });
  });
});
