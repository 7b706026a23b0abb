import { describe, expect, it } from 'vitest';
import { KeyringStore } from '../../electron/vault/keyring-store';
import net from 'node:net';
import { startNodeChild, type NodeChild } from '../bench/mllp-load';
import { useTempDirs } from '../support/temp-dir';
import { buildTestKeyring } from '../support/vault-keyring';

const tempDir = useTempDirs();

/** An ADT^A01 (ours, invented) in original mode (MSH-15/16 empty) or enhanced mode (AL/AL). */
function adt(controlId: string, enhanced: boolean): Buffer {
  const segments = [
    `MSH|^~\\&|LAB|GENERAL|HDMS|NODE|20260301101500||ADT^A01^ADT_A01|${controlId}|P|2.5.1${enhanced ? '|||AL|AL' : ''}`,
    'EVN|A01|20260301101500',
    'PID|1||MRN-4711^^^GENERAL^MR||Testperson^Alex||19800101|F',
    'PV1|1|I',
  ];
  return Buffer.from(`${segments.join('\r')}\r`, 'latin1');
}

/** Sends one MLLP frame on a new connection and returns the payloads of the first `frames` frames answered, joined by '|FRAME|'. */
async function send(node: NodeChild, message: Buffer, frames: number): Promise<string> {
  const socket = net.createConnection({ port: node.port, host: '127.0.0.1' });
  try {
    return await new Promise<string>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      const payloads: string[] = [];
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`The connection closed after ${payloads.length} frames.`)));
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const start = buffered.indexOf(0x0b);
          const end = buffered.indexOf(0x1c, start + 1);
          if (start < 0 || end < 0) return;
          payloads.push(buffered.subarray(start + 1, end).toString('latin1'));
          buffered = buffered.subarray(end + 1);
          if (payloads.length === frames) resolve(payloads.join('|FRAME|'));
        }
      });
      socket.write(Buffer.concat([Buffer.from([0x0b]), message, Buffer.from([0x1c, 0x0d])]));
    });
  } finally {
    socket.destroy();
  }
}

// DESIGN §4.4: a duplicate is "answered as the original was"; README: "an identical resend gets the
// same ACK". That holds in memory before a restart; this checks it across one, with the real body
// in a child process, both with the listener thread alone and with an intake worker preparing frames.
describe.each([
  ['the listener thread only', '0'],
  ['one intake worker thread', '1'],
])('HL7 over MLLP: an identical resend after a restart gets the byte-identical ACK, %s', (_mode, workers) => {
  const env = { HDMS_CHILD_HL7_WORKERS: workers };

  it('original and enhanced mode: same MSH-7, MSH-10 and MSA after a restart', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const vault = await buildTestKeyring();
    await new KeyringStore(dataDir).create(vault.keyring);
    const original = adt('RESEND-1', false);
    const enhanced = adt('RESEND-2', true);

    const first = await startNodeChild(dataDir, 0, undefined, env);
    let firstOriginal: string;
    let firstEnhanced: string;
    let againBeforeRestart: string;
    try {
      firstOriginal = await send(first, original, 1);
      firstEnhanced = await send(first, enhanced, 2);
      againBeforeRestart = await send(first, original, 1);
    } finally {
      await first.stop();
    }
    expect(firstOriginal).toMatch(/\rMSA\|AA\|RESEND-1\r$/);
    expect(firstEnhanced).toMatch(/\rMSA\|CA\|RESEND-2\r\|FRAME\|MSH.*\rMSA\|AA\|RESEND-2\r$/s);
    expect(againBeforeRestart).toBe(firstOriginal);

    const second = await startNodeChild(dataDir, 0, undefined, env);
    try {
      expect(await send(second, original, 1)).toBe(firstOriginal);
      expect(await send(second, enhanced, 2)).toBe(firstEnhanced);
    } finally {
      await second.stop();
    }
  });
});
