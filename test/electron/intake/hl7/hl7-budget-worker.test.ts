import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hl7BudgetWorker, budgetedPrepare } from '../../../../electron/intake/hl7/hl7-budget-worker';
import { MllpDeframer, mllpFrame } from '../../../../electron/intake/hl7/mllp-framer';
import { startMllpServer, type MllpServer } from '../../../../electron/intake/hl7/mllp-server';
import type { SealedIntakeRecord } from '../../../../electron/intake/intake-pipeline';
import { fromBase64Url } from '../../../../shared/crypto/bytes';
import { REPO_ROOT } from '../../../support/repo-paths';
import { buildTestKeyring, type TestVault } from '../../../support/vault-keyring';
import { hl7, makeIntake, memoryLog, msh, segment } from './hl7-test-support';

/**
 * Issue 9 §3: one message's parse and map stalled every sender for minutes. Large frames are
 * prepared on a budget worker: past its budget the worker is replaced, the message is quarantined
 * (raw bytes sealed, reason code 207) and answered AE with ERR, while other connections' small
 * messages are answered on the listener's thread meanwhile. Asserted by the order of events.
 */

const SPINNING_WORKER = path.join(REPO_ROOT, 'test', 'electron', 'intake', 'hl7', 'workers', 'spinning-prepare-worker.ts');
let vault: TestVault;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  vault = await buildTestKeyring();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function client(port: number, events: string[], name: string) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  closers.push(async () => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const deframer = new MllpDeframer();
  const acks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const event of deframer.push(chunk)) {
      if (event.type !== 'frame') continue;
      acks.push(event.frame);
      const msa = segment(event.frame, 'MSA');
      events.push(`${name}:${msa[1]}:${msa[2]}`);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    send: (bytes: Buffer) => socket.write(mllpFrame(bytes)),
    async ack(count: number): Promise<Buffer> {
      while (acks.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return acks[count - 1]!;
    },
  };
}

/** A message of about `bytes` bytes: a long OBX-5 text, optionally with the marker that makes the test worker spin. */
function large(id: string, bytes: number, spin = false): Buffer {
  return hl7(msh('ORU^R01', id), 'PID|1||123^^^H^MR||DOE^JANE||19800101|F', `OBX|1|TX|TEXT^Text||${spin ? 'SPIN-FOREVER ' : ''}${'x'.repeat(bytes)}||||||F`);
}

describe('HL7 per-message CPU budget', () => {
  it('a frame past its budget: worker replaced, message quarantined and answered AE with ERR 207; another connection is ACKed meanwhile', async () => {
    const log = memoryLog();
    const budget = await Hl7BudgetWorker.start({ script: SPINNING_WORKER, intakePublicKey: fromBase64Url(vault.keyring.intakePublicKey), budgetMs: 2_000, log });
    closers.push(() => budget.close());
    const committed: SealedIntakeRecord[] = [];
    const { intake, pipeline } = makeIntake({
      log,
      offload: {
        prepare: budgetedPrepare({ budget, pool: null, thresholdBytes: 16 * 1024 }),
        commit: async (record) => {
          committed.push(record);
          return { seq: committed.length, objectId: '0'.repeat(64) };
        },
      },
    });
    const server: MllpServer = await startMllpServer({ port: 0, log, handler: intake.handleFrame });
    closers.push(() => server.close());
    const events: string[] = [];
    const a = await client(server.port, events, 'A');
    const b = await client(server.port, events, 'B');

    const pathological = large('PATHO-1', 64 * 1024, true);
    a.send(pathological);
    // B's small messages are answered while A's frame is on the budget worker.
    for (let i = 1; i <= 20; i++) {
      b.send(hl7(msh('ADT^A04', `B-${i}`), `PID|1||${i}^^^H^MR||DOE^JOHN`));
      await b.ack(i);
    }
    const nak = await a.ack(1);
    expect(events.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `B:AA:B-${i + 1}`));
    expect(events[20]).toBe('A:AE:PATHO-1');
    expect(segment(nak, 'ERR')[3]).toBe('207^Application internal error^HL70357');
    expect(segment(nak, 'ERR')[8]).toMatch(/processing budget/);
    expect(budget.replacements).toBe(1);
    // Quarantined with its raw bytes and a reason code, as other refusals are.
    expect(pipeline.quarantined).toHaveLength(1);
    expect(Buffer.from(pipeline.quarantined[0]!.raw).equals(pathological)).toBe(true);
    expect(pipeline.quarantined[0]!.quarantine).toMatchObject({ disposition: 'rejected', errorCode: 207, acks: ['AE'] });

    // The replacement worker maps the next large frame; the listener's thread only seals and stores it.
    a.send(large('LARGE-2', 64 * 1024));
    expect(segment(await a.ack(2), 'MSA').slice(1, 3)).toEqual(['AA', 'LARGE-2']);
    expect(pipeline.ingested).toHaveLength(21);
    expect(pipeline.ingested[20]!.normalized.messageId).toBe('LARGE-2');
    // A large frame small enough to travel inline once sealed is committed as the worker sealed it.
    a.send(large('LARGE-3', 20 * 1024));
    expect(segment(await a.ack(3), 'MSA').slice(1, 3)).toEqual(['AA', 'LARGE-3']);
    expect(committed).toHaveLength(1);
  }, 30_000);

  it('small frames stay on the listener thread (no worker round trip) when there is no pool', async () => {
    const prepare = budgetedPrepare({ budget: null, pool: null, thresholdBytes: 1024 });
    expect(await prepare({ frame: new Uint8Array(10), receivedAt: 0, maxMessageBytes: 1 << 20 })).toEqual({ kind: 'in-thread', reason: 'fast-path' });
  });
});
