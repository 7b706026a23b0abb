import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDicomImport } from '../../renderer/features/imaging/dicomdir-plan';
import { pickedBytes } from '../../renderer/features/imaging/picked-file';
import { readDicomdir } from '../../shared/dicom/dicomdir';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/**
 * A DICOMDIR written by Debian's dcmtk (`dcmmkdir`, the general-purpose CD profile) is read by our
 * reader: every IMAGE record is followed to its file, under its patient, study and series, and the
 * import plan finds each file on a copy whose names differ in case and carry `.dcm`.
 */
let work = '';

beforeAll(async () => {
  if (!(await hasTool('dcmmkdir'))) throw new Error(missingToolMessage('dcmmkdir', 'dcmtk'));
  work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicomdir-'));
});

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('dcmmkdir → readDicomdir', () => {
  it('follows every record dcmmkdir writes to its file', async () => {
    const files: string[] = [];
    for (const [p, patientId] of ['MRN-DD-1', 'MRN-DD-2'].entries()) {
      for (let i = 1; i <= 3; i++) {
        const name = path.join('IMAGES', `P${p}`, `IM${String(i).padStart(6, '0')}`);
        await mkdir(path.join(work, 'IMAGES', `P${p}`), { recursive: true });
        const study = `1.2.826.0.1.3680043.10.999.88.${p}`;
        await writePart10(path.join(work, name), instanceElements({ sopInstanceUid: `${study}.1.${i}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, patientId, patientName: `Dirson^P${p}` }));
        files.push(name);
      }
    }
    const run = await runTool('dcmmkdir', ['+id', work, '+r', '-Pgp', '--invent', '+D', path.join(work, 'DICOMDIR'), ...files.map((file) => file)], { timeoutSeconds: 60 });
    expect(run.code, run.stderr).toBe(0);
    const bytes = await readFile(path.join(work, 'DICOMDIR'));
    const dicomdir = readDicomdir(bytes);
    expect(dicomdir.records.map((record) => record.type)).toEqual(['PATIENT', 'STUDY', 'SERIES', 'IMAGE', 'IMAGE', 'IMAGE', 'PATIENT', 'STUDY', 'SERIES', 'IMAGE', 'IMAGE', 'IMAGE']);
    const referenced = dicomdir.records.filter((record) => record.fileId !== null).map((record) => record.fileId!.join('/'));
    expect([...referenced].sort()).toEqual(files.map((file) => file.split(path.sep).join('/')).sort());
    expect(dicomdir.records.every((record) => record.linked && !record.missingFile)).toBe(true);

    // The same CD copied by a system that lower-cased the names and added .dcm.
    const picked = [pickedBytes('cd/DICOMDIR', bytes), ...(await Promise.all(files.map(async (file) => pickedBytes(`cd/${file.split(path.sep).join('/').toLowerCase()}.dcm`, await readFile(path.join(work, file))))))];
    const plan = await planDicomImport(picked);
    expect(plan.files).toHaveLength(6);
    expect(plan.rows).toEqual([{ name: 'cd/DICOMDIR', outcome: 'directory', reason: 'DICOMDIR: 12 records; 6 files referenced (IMAGE), 6 found, 0 missing.' }]);
  });
});
