import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../electron/intake/dicom/dicom-uids';
import { freePort } from '../support/free-port';
import { buildTestKeyring, signIn } from '../support/vault-keyring';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';
import { call } from '../electron/vault/vault-test-support';
import { instanceElements, SECONDARY_CAPTURE_STORAGE, writePart10 } from '../electron/intake/dicom/dicom-test-support';

/**
 * H6 finding 7 (issue 12): what the receiver's per-caller row counts when dcmtk's storescu and
 * echoscu are the modality. "Associations" are the ones accepted (an echo and a send that stored
 * nothing included), "Refused" the ones refused, for a caller refused before any accepted too.
 */
let work = '';
const bodies: Body[] = [];

beforeAll(async () => {
  for (const tool of ['echoscu', 'storescu', 'dcmcrle']) if (!(await hasTool(tool))) throw new Error(missingToolMessage(tool, 'dcmtk'));
});

afterEach(async () => {
  for (const b of bodies.splice(0)) await b.stop('quit');
  if (work !== '') await rm(work, { recursive: true, force: true });
  work = '';
});

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const uid = (n: number) => `1.2.826.0.1.3680043.10.999.12.${n}`;

/** How many associations a storescu or echoscu run asked for, from its debug output (-d). */
function associationsAsked(output: string): number {
  return output.split('\n').filter((line) => /Requesting Association/.test(line)).length;
}

describe('interop: the per-caller counts after storescu and echoscu (H6 finding 7)', () => {
  it('N accepted and M refused from one calling AE title show as N Associations and M Refused; a caller refused before any accepted has its row', async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-callers-'));
    const port = await freePort();
    const b = await startBody({ dataDir: path.join(work, 'data'), host: 'shell', productName: 'HDMS Node', appVersion: '9.9.9', logLevel: 'info', dicomPort: port, mllpPort: 0 });
    bodies.push(b);
    const vault = await buildTestKeyring();
    await call(b, 'vault.create', { keyring: vault.keyring });
    await signIn((method, payload) => call(b, method, payload as never), vault.operatorId, vault.signingKeys.passphrase);

    // A folder of three SOP classes: storescu sends it in one association.
    const folder = path.join(work, 'study');
    await mkdir(folder);
    const classes = [undefined, MR_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE];
    for (const [i, sopClassUid] of classes.entries()) {
      await writePart10(path.join(folder, `${i}.dcm`), instanceElements({ sopInstanceUid: uid(i + 1), patientId: 'P1', ...(sopClassUid === undefined ? {} : { sopClassUid }) }), EXPLICIT_VR_LITTLE_ENDIAN);
    }
    const seed = path.join(work, 'seed.dcm');
    const rle = path.join(work, 'rle.dcm');
    await writePart10(seed, instanceElements({ sopInstanceUid: uid(9), patientId: 'P1' }), EXPLICIT_VR_LITTLE_ENDIAN);
    expect((await runTool('dcmcrle', [seed, rle])).code).toBe(0);

    const storescu = (args: readonly string[], files: readonly string[]) => runTool('storescu', ['-d', '-aet', 'MODALITY1', ...args, '127.0.0.1', String(port), ...files], { timeoutSeconds: 60 });
    const output = (run: { stdout: string; stderr: string }) => run.stdout + run.stderr;
    // One storescu run is one association, even for a folder of three SOP classes (checked with -d).
    const folderRun = await storescu(['-aec', 'HDMS', '+sd', '+r'], [folder]);
    expect(folderRun.code, folderRun.stderr).toBe(0);
    expect(associationsAsked(output(folderRun))).toBe(1);
    // By default storescu proposes uncompressed syntaxes only: the association is accepted, and
    // storescu itself gives up on the RLE file before any C-STORE (H6 finding 8).
    const compressedDefault = await storescu(['-aec', 'HDMS'], [rle]);
    expect(compressedDefault.code).not.toBe(0);
    expect(associationsAsked(output(compressedDefault))).toBe(1);
    expect(output(compressedDefault)).toMatch(/unable to convert dataset from 'RLE Lossless'[\s\S]*DIMSE Failed to send message/);
    const compressedXr = await storescu(['-aec', 'HDMS', '-xr'], [rle]);
    expect(compressedXr.code, compressedXr.stderr).toBe(0);
    const echo = await runTool('echoscu', ['-aet', 'MODALITY1', '-aec', 'HDMS', '127.0.0.1', String(port)]);
    expect(echo.code, echo.stderr).toBe(0);
    for (let i = 0; i < 2; i++) {
      const wrong = await storescu(['-aec', 'NOT_HDMS'], [seed]);
      expect(output(wrong)).toMatch(/Called AE Title Not Recognized/i);
    }
    const newcomer = await runTool('echoscu', ['-aet', 'NEWCOMER', '-aec', 'NOT_HDMS', '127.0.0.1', String(port)]);
    expect(newcomer.code).not.toBe(0);

    const status = await call(b, 'dicom.status', {});
    // 4 accepted (the folder, the failed RLE send, the RLE send with -xr, the echo), 2 refused.
    expect(status.callers).toEqual([
      { aeTitle: 'MODALITY1', address: '127.0.0.1', associations: 4, received: 4, stored: 4, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 2, rejections: { 'called-ae-title': 2 }, calledAeTitles: [{ aeTitle: 'NOT_HDMS', count: 2 }] },
      { aeTitle: 'NEWCOMER', address: '127.0.0.1', associations: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 1, rejections: { 'called-ae-title': 1 }, calledAeTitles: [{ aeTitle: 'NOT_HDMS', count: 1 }] },
    ]);
    expect(status.counters).toMatchObject({ associations: 4, rejectedAssociations: 3, echoes: 1, received: 4, stored: 4 });
  });
});
