import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DicomDedupe } from '../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer, type DicomServer } from '../../electron/intake/dicom/dicom-server';
import { createSealer } from '../../shared/crypto/envelope';
import { useIntakePipelines } from '../electron/intake/intake-pipeline-support';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/**
 * QA round 4 D1 with Debian's dcmtk as the modality: `storescu` of an instance without Patient ID,
 * twice. Both are answered Success; the second is a duplicate of the quarantine entry the first
 * made, so the vault holds one entry.
 */
const { setup } = useIntakePipelines(createSealer);
const silent = { info: () => undefined, warn: () => undefined };
let work = '';
let server: DicomServer | null = null;

beforeAll(async () => {
  if (!(await hasTool('storescu'))) throw new Error(missingToolMessage('storescu', 'dcmtk'));
});

afterEach(async () => {
  await server?.close();
  server = null;
  if (work !== '') await rm(work, { recursive: true, force: true });
  work = '';
});

describe('interop: storescu resends an instance held without Patient ID', () => {
  it('is answered Success both times and held once', async () => {
    const vault = await setup();
    const dedupe = await DicomDedupe.open(path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe'), vault.storage.journal);
    const intake = createDicomNetworkIntake({ pipeline: vault.pipeline, dedupe });
    const outcomes: string[] = [];
    server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => {
      const outcome = await intake(request);
      outcomes.push(outcome.outcome);
      return outcome.status;
    }, closeTimeoutMs: 1000 });
    work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-resend-'));
    const file = path.join(work, 'nopid.dcm');
    await writePart10(file, instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.82.1' }));
    for (let send = 0; send < 2; send++) {
      const run = await runTool('storescu', ['-aet', 'CT_EAST', '-aec', 'HDMS', '127.0.0.1', String(server.port), file]);
      expect(run.code).toBe(0);
    }
    expect(outcomes).toEqual(['held', 'duplicate']);
    const { records } = await vault.storage.journal.read({ after: 0, limit: 100 });
    expect(records.map((record) => record.kind)).toEqual(['intake.quarantine']);
    await dedupe.close();
  });
});
