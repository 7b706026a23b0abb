import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newAckControlId } from '../../../../electron/intake/hl7/hl7-ack';
import { BUILT_WORKER_FILE, Hl7PreparePool, type PreparePoolOptions } from '../../../../electron/intake/hl7/hl7-prepare-pool';
import type { PreparedFrame } from '../../../../electron/intake/hl7/hl7-prepare';
import { fromBase64Url } from '../../../../shared/crypto/bytes';
import { REPO_ROOT } from '../../../support/repo-paths';
import { buildTestKeyring, type TestVault } from '../../../support/vault-keyring';
import { fixture, hl7, memoryLog, msh } from './hl7-test-support';

const WORKER = path.join(REPO_ROOT, 'electron', 'intake', 'hl7', 'hl7-prepare-worker.ts');
/** The worker as the app ships it (`npm test` builds before the unit tests). */
const BUILT_WORKER = path.join(REPO_ROOT, 'out', 'main', BUILT_WORKER_FILE);
const DYING_WORKER = path.join(REPO_ROOT, 'test', 'electron', 'intake', 'hl7', 'workers', 'dying-prepare-worker.ts');
let vault: TestVault;
const pools: Hl7PreparePool[] = [];

beforeAll(async () => {
  vault = await buildTestKeyring();
});

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

async function start(options: Partial<PreparePoolOptions> = {}): Promise<Hl7PreparePool> {
  const pool = await Hl7PreparePool.start({ script: WORKER, intakePublicKey: fromBase64Url(vault.keyring.intakePublicKey), threads: 1, log: memoryLog(), ...options });
  pools.push(pool);
  return pool;
}

function request(frame: Buffer) {
  return { frame, receivedAt: Date.parse('2026-03-01T08:15:00Z'), maxMessageBytes: 16 * 1024 * 1024 };
}

async function openedRaw(frame: PreparedFrame): Promise<Buffer> {
  if (frame.kind !== 'prepared') throw new Error(`not prepared: ${frame.kind === 'in-thread' ? frame.reason : frame.kind}`);
  return Buffer.from((await vault.opener.open(frame.message.sealed.inline)).plaintext);
}

describe('HL7 intake worker threads', () => {
  it('prepare a frame on a worker thread: sealed to the vault key, only the frame\'s own bytes crossing', async () => {
    const pool = await start();
    const bytes = fixture('oru_lab.hl7');
    // A view into a larger buffer, as socket reads give: only the view's bytes must be prepared.
    const padded = Buffer.concat([Buffer.from('junk-before'), bytes, Buffer.from('junk-after')]);
    const view = padded.subarray(11, 11 + bytes.length);
    const frame = await pool.prepare(request(view));
    expect((await openedRaw(frame)).equals(bytes)).toBe(true);
    expect(frame.kind === 'prepared' && frame.message.summary.controlId).toBe('LAB-0001');
    expect(await pool.prepare(request(fixture('batch_two.hl7')))).toEqual({ kind: 'in-thread', reason: 'batch' });
  });

  it.runIf(existsSync(BUILT_WORKER))('the built worker (out/main) starts and prepares as the source one does', async () => {
    const pool = await start({ script: BUILT_WORKER });
    const bytes = fixture('adt_a04.hl7');
    expect((await openedRaw(await pool.prepare(request(bytes)))).equals(bytes)).toBe(true);
  });

  it('spread many frames over two threads, each answered with its own message', async () => {
    const pool = await start({ threads: 2 });
    expect(pool.threads).toBe(2);
    const frames = Array.from({ length: 200 }, (_, i) => hl7(msh('ADT^A04', `POOL-${i}`), `PID|1||MRN${i}^^^CLINIC^MR||Doe^Jane`));
    const answers = await Promise.all(frames.map((frame) => pool.prepare(request(frame))));
    expect(answers.map((answer) => (answer.kind === 'prepared' ? answer.message.summary.controlId : answer.kind === 'in-thread' ? answer.reason : answer.kind))).toEqual(frames.map((_, i) => `POOL-${i}`));
    // ACK control ids (MSH-10 of each ACK) never repeat across the threads, nor with this one's.
    const ackIds = answers.flatMap((answer) => (answer.kind === 'prepared' ? answer.message.ackTexts.map((text) => text.split('|')[9]!) : []));
    const here = Array.from({ length: 200 }, () => newAckControlId());
    expect(new Set([...ackIds, ...here]).size).toBe(400);
  });

  it('a thread that dies fails its frame, is started again, and then serves again', async () => {
    const log = memoryLog();
    const pool = await start({ script: DYING_WORKER, restartDelayMs: 50, log });
    await expect(pool.prepare(request(hl7(msh('ADT^A04', 'DIE-NOW'), 'PID|1||MRN1^^^CLINIC^MR')))).rejects.toThrow(/stopped/);
    expect(pool.running).toBe(0);
    await expect(pool.prepare(request(fixture('adt_a04.hl7')))).rejects.toThrow(/No HL7 intake worker is running/);
    await expect.poll(() => pool.running, { timeout: 15_000 }).toBe(1);
    expect((await pool.prepare(request(fixture('adt_a04.hl7')))).kind).toBe('prepared');
    expect(log.lines.some((line) => line.level === 'warn' && /worker stopped/.test(line.message))).toBe(true);
    expect(log.lines.some((line) => line.level === 'info' && /started again/.test(line.message))).toBe(true);
  });

  it('refuses to start when the worker script cannot load, and when the key is not a P-256 point', async () => {
    await expect(start({ script: path.join(REPO_ROOT, 'no-such-worker.js') })).rejects.toThrow(/did not start/);
    await expect(start({ intakePublicKey: new Uint8Array(65) })).rejects.toThrow(/did not start/);
  });

  it('after close, frames are refused at once', async () => {
    const pool = await start();
    await pool.close();
    await expect(pool.prepare(request(fixture('adt_a04.hl7')))).rejects.toThrow(/stopped/);
  });
});
