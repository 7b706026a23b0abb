import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DicomDedupe } from '../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer, type DicomServer } from '../../electron/intake/dicom/dicom-server';
import { createSealer } from '../../shared/crypto/envelope';
import { IntakeMetaSchema } from '../../shared/journal/intake-meta';
import { useIntakePipelines } from '../electron/intake/intake-pipeline-support';
import { instanceElements, part10File } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, missingToolMessage } from '../support/external-tool';
import { freePort } from '../support/free-port';

/**
 * Debian's Orthanc as the PACS: it is given a study over its REST API, then told to send it to the
 * node (`POST /modalities/hdms/store`), which it does as a C-STORE SCU. Every instance must arrive
 * once, with its patient; a second send is recognized as duplicates.
 */
const { setup } = useIntakePipelines(createSealer);
const silent = { info: () => undefined, warn: () => undefined };
let server: DicomServer | null = null;
let orthanc: ChildProcess | null = null;
let work = '';

beforeAll(async () => {
  if (!(await hasTool('Orthanc'))) throw new Error(missingToolMessage('Orthanc', 'orthanc'));
});

afterEach(async () => {
  orthanc?.kill('SIGKILL');
  orthanc = null;
  await server?.close();
  server = null;
  if (work !== '') await rm(work, { recursive: true, force: true });
  work = '';
});

describe('interop: Orthanc sends a study to the node with /modalities/…/store', () => {
  it('stores every instance Orthanc sends, once, and recognizes a second send as duplicates', async () => {
    const vault = await setup();
    const dedupe = await DicomDedupe.open(path.join(vault.dataDir, 'vault', 'intake', 'dicom-dedupe'), vault.storage.journal);
    const intake = createDicomNetworkIntake({ pipeline: vault.pipeline, dedupe });
    const outcomes: string[] = [];
    server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => {
      const outcome = await intake(request);
      outcomes.push(outcome.outcome);
      return outcome.status;
    }, closeTimeoutMs: 1000 });
    work = await mkdtemp(path.join(os.tmpdir(), 'hdms-orthanc-'));
    const httpPort = await freePort();
    const config = path.join(work, 'orthanc.json');
    await writeFile(
      config,
      JSON.stringify({
        Name: 'interop',
        StorageDirectory: path.join(work, 'storage'),
        IndexDirectory: path.join(work, 'index'),
        DicomAet: 'ORTHANC',
        DicomPort: await freePort(),
        HttpPort: httpPort,
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        Plugins: [],
        DicomModalities: { hdms: ['HDMS', '127.0.0.1', server.port] },
      }),
    );
    orthanc = spawn('Orthanc', [config], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${httpPort}`;
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      up = await fetch(`${base}/system`).then((response) => response.ok, () => false);
      if (!up) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(up, 'Orthanc answers its REST API').toBe(true);

    const study = '1.2.826.0.1.3680043.10.999.30';
    const ids: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const file = part10File(instanceElements({ sopInstanceUid: `${study}.1.${n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, patientId: 'ORTHANC-PID-1', patientName: 'Pacs^Pat' }));
      const response = await fetch(`${base}/instances`, { method: 'POST', body: new Uint8Array(file) });
      expect(response.ok).toBe(true);
      ids.push(((await response.json()) as { ID: string }).ID);
    }
    const send = async () => {
      const response = await fetch(`${base}/modalities/hdms/store`, { method: 'POST', body: JSON.stringify({ Resources: ids, Synchronous: true }) });
      expect(response.ok, await response.clone().text()).toBe(true);
    };
    await send();
    expect(outcomes).toEqual(['stored', 'stored', 'stored']);
    await send();
    expect(outcomes.slice(3)).toEqual(['duplicate', 'duplicate', 'duplicate']);

    const { records } = await vault.storage.journal.read({ after: 0, limit: 100 });
    expect(records.map((record) => record.kind)).toEqual(['intake.dicom', 'intake.dicom', 'intake.dicom']);
    const metas = await Promise.all(records.map(async (record) => IntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await vault.opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)))));
    expect(metas.map((meta) => [meta.normalized.dicom?.sopInstanceUid, meta.normalized.patient.identifiers[0]?.value, meta.normalized.dicom?.callingAeTitle]).sort()).toEqual([
      [`${study}.1.1`, 'ORTHANC-PID-1', 'ORTHANC'],
      [`${study}.1.2`, 'ORTHANC-PID-1', 'ORTHANC'],
      [`${study}.1.3`, 'ORTHANC-PID-1', 'ORTHANC'],
    ]);
  });
});
