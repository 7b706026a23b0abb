import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoMessages } from '../../electron/intake/demo/demo-population';
import { checkVault } from '../../electron/storage/vault-check';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { startNodeChild, withControlId, type NodeChild } from '../bench/mllp-load';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';
import { REPO_ROOT } from '../support/repo-paths';
import { buildTestKeyring } from '../support/vault-keyring';

/**
 * Debian's `mllp_send` (python3-hl7) against our MLLP listener, as a clinic's sender would use it:
 * it frames each message, waits for the answer and prints it. We check the ACKs it printed (MSA-1
 * and MSA-2 per message), then that the vault holds what was acknowledged and verifies.
 */
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'hl7');

/** The MSA segments in what mllp_send printed (one ACK per message; segments end in CR or LF). */
function printedAcks(stdout: string): Array<{ code: string; controlId: string }> {
  return stdout
    .split(/[\r\n]+/)
    .filter((line) => line.startsWith('MSA|'))
    .map((line) => {
      const fields = line.split('|');
      return { code: fields[1] ?? '', controlId: fields[2] ?? '' };
    });
}

describe('interop: mllp_send (python3-hl7) → the HDMS Node MLLP listener', () => {
  let dataDir = '';
  let node: NodeChild | null = null;

  beforeAll(async () => {
    if (!(await hasTool('mllp_send'))) throw new Error(missingToolMessage('mllp_send', 'python3-hl7'));
    // One node for the whole file (the last test checks the vault all of them filled).
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'hdms-mllp-send-'));
    await new KeyringStore(dataDir).create((await buildTestKeyring()).keyring);
    node = await startNodeChild(dataDir);
  });

  afterAll(async () => {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const send = (args: readonly string[]) => runTool('mllp_send', ['--port', String(node!.port), ...args, '127.0.0.1'], { timeoutSeconds: 60 });

  it('sends fixture files with --loose (CR, LF and two-message files) and prints an AA for each, echoing MSH-10', async () => {
    const files = ['adt_a01.hl7', 'oru_lab.hl7', 'adt_lf.hl7', 'vxu_v04.hl7', 'multi_two.hl7'];
    const expected = [['ADT-0001'], ['LAB-0001'], ['LF-0001'], ['VXU-0001'], ['MUL-0001', 'MUL-0002']];
    for (const [i, file] of files.entries()) {
      const run = await send(['--loose', '--file', path.join(FIXTURES, file)]);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expect(printedAcks(run.stdout)).toEqual(expected[i]!.map((controlId) => ({ code: 'AA', controlId })));
    }
  });

  it('gets AR with an ERR segment for a message without a control id', async () => {
    const run = await send(['--loose', '--file', path.join(FIXTURES, 'oru_no_ctrl_id.hl7')]);
    expect(run.code, run.stderr).toBe(0);
    expect(printedAcks(run.stdout)).toEqual([{ code: 'AR', controlId: '' }]);
    expect(run.stdout).toMatch(/(^|[\r\n])ERR\|/);
  });

  it('gets the enhanced-mode accept ACK (CA) for a message asking for it (MSH-15 AL)', async () => {
    const run = await send(['--loose', '--file', path.join(FIXTURES, 'adt_enhanced_al_al.hl7')]);
    expect(run.code, run.stderr).toBe(0);
    expect(printedAcks(run.stdout)[0]).toEqual({ code: 'CA', controlId: 'ENH-0001' });
  });

  // python3-hl7 0.4.5 cannot read stdin (it mixes str and bytes), so the framed stream goes through --file without --loose.
  it('streams 200 MLLP-framed messages from a file over one connection and prints 200 ACKs in order; an identical resend is answered the same and not stored twice', async () => {
    const demo = [...generateDemoMessages({ patients: 100, seed: 5, now: new Date('2026-04-01T00:00:00Z') })].slice(0, 200);
    const ids = demo.map((_, i) => `IOP-${i}`);
    const framed = Buffer.concat(demo.map((m, i) => Buffer.concat([Buffer.from([0x0b]), withControlId(m.raw, ids[i]!), Buffer.from([0x1c, 0x0d])])));
    const file = path.join(dataDir, 'framed.mllp');
    await writeFile(file, framed);
    const run = await send(['--file', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(printedAcks(run.stdout)).toEqual(ids.map((controlId) => ({ code: 'CA', controlId })));
    // The same 3 messages again: duplicates, same answers.
    const firstThree = framed.subarray(0, framed.indexOf(0x1c, framed.indexOf(0x1c, framed.indexOf(0x1c) + 1) + 1) + 2);
    await writeFile(file, firstThree);
    const again = await send(['--file', file]);
    expect(printedAcks(again.stdout)).toEqual(ids.slice(0, 3).map((controlId) => ({ code: 'CA', controlId })));
  });

  it('leaves a vault that verifies, with one record per accepted message', async () => {
    await node!.stop();
    node = null;
    const report = await checkVault(dataDir);
    expect(report.errors).toEqual([]);
    // 6 fixture messages + 1 enhanced + 200 streamed (their 3 resends are duplicates, not stored).
    expect(report.journal.byKind['intake.hl7']).toBe(207);
    expect(report.journal.byKind['intake.quarantine']).toBe(1);
    expect(report.inlineObjects).toBe(208);
  });
});
