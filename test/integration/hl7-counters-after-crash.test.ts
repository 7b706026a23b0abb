import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyringStore } from '../../electron/vault/keyring-store';
import { ackOf, connectMllp, startNodeChild, type NodeChild } from '../bench/mllp-load';
import { useTempDirs } from '../support/temp-dir';
import { buildTestKeyring } from '../support/vault-keyring';

const tempDir = useTempDirs();

/** An ORU^R01 (ours, invented) asking for the accept ACK only (MSH-15 AL, MSH-16 NE): answered CA. */
function oru(controlId: string): Buffer {
  const segments = [
    `MSH|^~\\&|LABWEST|SITE|HDMS|NODE|20260301101500||ORU^R01^ORU_R01|${controlId}|P|2.5.1|||AL|NE`,
    'PID|1||MRN-5150^^^SITE^MR||Testperson^Robin||19800101|F',
    'OBR|1||FILL-1|2345-7^Glucose^LN',
    'OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|3.9-5.8|N|||F',
  ];
  return Buffer.from(`${segments.join('\r')}\r`, 'latin1');
}

async function sendAll(node: NodeChild, first: number, count: number): Promise<string[]> {
  const sender = await connectMllp(node.port);
  const codes: string[] = [];
  for (let i = first; i < first + count; i++) codes.push(ackOf(await sender.send(oru(`CRASH-${i}`))).code);
  return codes;
}

interface SavedCounters {
  readonly totals: { readonly received: number; readonly accepted: number };
  readonly senders: readonly { readonly sender: string; readonly received: number; readonly accepted: number }[];
}

// Issue 11 "Counters per sender that survive a restart"; README: they match the sender's own log.
// QA s34 D3: ten ORUs answered CA, the node killed (SIGKILL) well within the counters' one-second
// write-out, and after a restart the counters missed those ten for good.
describe('HL7 counters across a crash', () => {
  it('counts every message acknowledged before a SIGKILL, however soon after the ACK it came', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const vault = await buildTestKeyring();
    await new KeyringStore(dataDir).create(vault.keyring);
    const file = path.join(dataDir, 'vault', 'intake', 'hl7-counters.json');
    const env = { HDMS_CHILD_HL7_WORKERS: '0' };

    const first = await startNodeChild(dataDir, 0, undefined, env);
    let codes: string[];
    try {
      codes = await sendAll(first, 1, 10);
    } finally {
      // The crash: no clean close, no counters written out (they are written at most once a second).
      await first.kill();
    }
    expect(codes).toEqual(Array.from({ length: 10 }, () => 'CA'));

    // A second run counts on from there, and is killed too, after two more.
    const second = await startNodeChild(dataDir, 0, undefined, env);
    try {
      expect(await sendAll(second, 11, 2)).toEqual(['CA', 'CA']);
    } finally {
      await second.kill();
    }

    // A third run stops cleanly: the counters it writes out hold all twelve, once each.
    const third = await startNodeChild(dataDir, 0, undefined, env);
    await third.stop();
    const saved = JSON.parse(await readFile(file, 'utf8')) as SavedCounters;
    expect(saved.totals).toMatchObject({ received: 12, accepted: 12 });
    expect(saved.senders).toEqual([expect.objectContaining({ sender: 'LABWEST|SITE', received: 12, accepted: 12 })]);

    // And a fourth start reads them back as they were (nothing counted twice from the logs).
    const fourth = await startNodeChild(dataDir, 0, undefined, env);
    await fourth.stop();
    const again = JSON.parse(await readFile(file, 'utf8')) as SavedCounters;
    expect(again.totals).toEqual(saved.totals);
    expect(again.senders).toEqual(saved.senders);
  });
});
