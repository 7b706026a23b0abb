import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { toBase64Url } from '../../shared/crypto/bytes';
import { createOpener } from '../../shared/crypto/envelope';
import { deriveVaultKeys, generateMasterSecret } from '../../shared/crypto/vault-keys';
import { IntakeMetaSchema } from '../../shared/journal/intake-meta';
import { startNodeChild, type NodeChild } from '../bench/mllp-load';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';
import { REPO_ROOT } from '../support/repo-paths';
import { silentLogger } from '../electron/storage/storage-test-support';

/**
 * kill -9 during a store over several associations, then a restart: every instance storescu saw
 * answered Success is in the vault, and after the modalities send everything again each instance
 * is there exactly once (what was stored is recognized as a duplicate, what was not is stored).
 */
const CHILD = path.join(REPO_ROOT, 'test', 'support', 'dicom-receiver-child.ts');
const ASSOCIATIONS = 4;
const PER_ASSOCIATION = 30;
let work = '';
let child: NodeChild | null = null;

beforeAll(async () => {
  if (!(await hasTool('storescu'))) throw new Error(missingToolMessage('storescu', 'dcmtk'));
  work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-crash-'));
});

afterAll(async () => {
  await child?.kill().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

const uid = (association: number, n: number) => `1.2.826.0.1.3680043.10.999.40.${association}.${n}`;

/** The SOP Instance UIDs of the vault's intake.dicom records, in journal order. */
async function storedInstances(dataDir: string, privateKey: CryptoKey): Promise<string[]> {
  const storage = await openVaultStorage(dataDir, silentLogger());
  const opener = createOpener(privateKey);
  const stored: string[] = [];
  let after = 0;
  try {
    for (;;) {
      const page = await storage.journal.read({ after, limit: 1000 });
      for (const record of page.records) {
        if (record.kind !== 'intake.dicom') continue;
        const meta = IntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)));
        stored.push(meta.normalized.dicom!.sopInstanceUid);
      }
      if (page.end || page.records.length === 0) break;
      after = page.nextCursor;
    }
  } finally {
    await storage.close();
  }
  return stored;
}

/** a<association>-<n>.dcm → its SOP Instance UID. */
function sopOf(file: string): string {
  const match = /a(\d+)-(\d+)\.dcm$/.exec(file)!;
  return uid(Number(match[1]), Number(match[2]));
}

describe('interop: storescu, kill -9 of the receiver, restart', () => {
  it('keeps every instance answered Success, and each instance once after a full resend', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const env = { HDMS_CHILD_INTAKE_KEY: toBase64Url(keys.intakeKeyPair.publicKeyRaw) };
    const dataDir = path.join(work, 'node');
    const groups: string[][] = [];
    const pixels = Buffer.from(Uint16Array.from({ length: 256 * 256 }, (_, i) => i % 4096).buffer);
    for (let a = 0; a < ASSOCIATIONS; a++) {
      const files: string[] = [];
      for (let n = 1; n <= PER_ASSOCIATION; n++) {
        const file = path.join(work, `a${a}-${n}.dcm`);
        await writePart10(file, instanceElements({ sopInstanceUid: uid(a, n), studyInstanceUid: `1.2.826.0.1.3680043.10.999.40.${a}`, seriesInstanceUid: `1.2.826.0.1.3680043.10.999.40.${a}.0`, patientId: `CRASH${a}`, pixels, rows: 256, columns: 256 }));
        files.push(file);
      }
      groups.push(files);
    }
    const send = (port: number, files: readonly string[], a: number) => runTool('storescu', ['-v', '-aec', 'HDMS', '-aet', `MOD${a}`, '127.0.0.1', String(port), ...files], { timeoutSeconds: 120 });
    /** Files whose C-STORE-RSP said Success, in the order storescu sent them (it prints one line per response). */
    const succeeded = (output: string, files: readonly string[]) => files.slice(0, (output.match(/Received Store Response \(Success\)/g) ?? []).length);

    child = await startNodeChild(dataDir, 0, CHILD, env);
    const port = child.port;
    const running = child;
    // storescu's output is read as it comes: once a few instances were answered Success, the receiver is killed.
    let successes = 0;
    let killed: Promise<void> | null = null;
    const runs = await Promise.all(
      groups.map(
        (files, a) =>
          new Promise<string>((resolve) => {
            const scu = spawn('storescu', ['-v', '-aec', 'HDMS', '-aet', `MOD${a}`, '127.0.0.1', String(port), ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
            let output = '';
            const take = (chunk: Buffer): void => {
              const text = chunk.toString('utf8');
              output += text;
              successes += (text.match(/Received Store Response \(Success\)/g) ?? []).length;
              if (successes >= 8 && killed === null) killed = running.kill();
            };
            scu.stdout.on('data', take);
            scu.stderr.on('data', take);
            scu.once('close', () => resolve(output));
          }),
      ),
    );
    await killed;
    const acknowledged = runs.flatMap((output, a) => succeeded(output, groups[a]!).map((file) => sopOf(file)));
    // Durable before the restart: every instance answered Success is in the journal the crash left.
    const afterCrash = await storedInstances(dataDir, keys.intakeKeyPair.privateKey);
    for (const sop of acknowledged) expect(afterCrash, sop).toContain(sop);
    expect(new Set(afterCrash).size).toBe(afterCrash.length);

    child = await startNodeChild(dataDir, port, CHILD, env);
    const again = await Promise.all(groups.map((files, a) => send(port, files, a)));
    for (const run of again) expect(run.code, run.stderr.slice(0, 500)).toBe(0);
    await child.stop();
    child = null;

    const stored = await storedInstances(dataDir, keys.intakeKeyPair.privateKey);
    const expected = groups.flatMap((files, a) => files.map((_, n) => uid(a, n + 1))).sort();
    expect([...stored].sort()).toEqual(expected);
    expect(acknowledged.length, 'some instances were answered before the crash').toBeGreaterThan(0);
    expect(acknowledged.length, 'the crash came before the end').toBeLessThan(ASSOCIATIONS * PER_ASSOCIATION);
  });
});
