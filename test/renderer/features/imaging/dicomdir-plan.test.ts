import { describe, expect, it } from 'vitest';
import { isDicomdir, lenientKey, planDicomImport, type PickedFile } from '../../../../renderer/features/imaging/dicomdir-plan';
import { buildDicomdir } from '../../../shared/dicom/dicomdir-builder';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const named = (name: string, content = name): PickedFile => ({ name, bytes: bytes(content) });

describe('planDicomImport: a patient CD with its DICOMDIR', () => {
  const dicomdir = buildDicomdir([
    {
      type: 'PATIENT',
      children: [
        {
          type: 'STUDY',
          children: [
            {
              type: 'SERIES',
              children: [
                { type: 'IMAGE', fileId: ['IMAGES', 'IM000002'] },
                { type: 'IMAGE', fileId: ['IMAGES', 'IM000001'] },
                { type: 'SR DOCUMENT', fileId: ['SR', 'SR000001'] },
                { type: 'RT DOSE', fileId: ['RT', 'RD000001'] },
                { type: 'KEY OBJECT DOC' },
              ],
            },
          ],
        },
      ],
    },
  ]);

  it('imports the referenced files first in directory order (case, .dcm and ;1 differences resolved), then the rest; lists what is missing and records without a file', () => {
    const im1 = named('CD/images/im000001.dcm');
    const im2 = named('CD/IMAGES/IM000002;1');
    const sr = named('CD/sr/SR000001.');
    const readme = named('CD/README.TXT');
    const plan = planDicomImport([readme, im1, { name: 'CD/DICOMDIR', bytes: dicomdir }, sr, im2]);
    expect(plan.files.map((file) => file.name)).toEqual(['CD/IMAGES/IM000002;1', 'CD/images/im000001.dcm', 'CD/sr/SR000001.', 'CD/README.TXT']);
    expect(plan.rows).toEqual([
      { name: 'CD/DICOMDIR', outcome: 'directory', reason: 'DICOMDIR: 8 records; 4 files referenced (IMAGE, RT DOSE, SR DOCUMENT), 3 found, 1 missing.' },
      { name: 'CD/RT/RD000001', outcome: 'missing', reason: expect.stringMatching(/^Named by the DICOMDIR \(record \d+, RT DOSE\) but not among the chosen files/) },
      { name: 'CD/DICOMDIR: record 8 (KEY OBJECT DOC)', outcome: 'no-file', reason: expect.stringMatching(/names no file/) },
    ]);
  });

  it('a DICOMDIR chosen alone: every referenced file is listed missing; a DICOMDIR under another name is told by its SOP class', () => {
    const plan = planDicomImport([{ name: 'index.bin', bytes: dicomdir }]);
    expect(isDicomdir({ name: 'index.bin', bytes: dicomdir })).toBe(true);
    expect(plan.files).toEqual([]);
    expect(plan.rows.filter((row) => row.outcome === 'missing').map((row) => row.name)).toEqual(['IMAGES/IM000002', 'IMAGES/IM000001', 'SR/SR000001', 'RT/RD000001']);
  });

  it('an unreadable DICOMDIR is said so, and the other files are imported by what they hold', () => {
    const broken = Buffer.concat([Buffer.from(dicomdir.subarray(0, 132)), Buffer.from(dicomdir.subarray(132, 300))]);
    const other = named('CD/IM1');
    const plan = planDicomImport([{ name: 'CD/DICOMDIR', bytes: broken }, other]);
    expect(plan.files).toEqual([other]);
    expect(plan.rows).toEqual([{ name: 'CD/DICOMDIR', outcome: 'directory', reason: expect.stringMatching(/cannot be read.*The other files are imported by what they hold\./) }]);
  });

  it('without a DICOMDIR the files go as picked', () => {
    const files = [named('a'), named('b')];
    expect(planDicomImport(files)).toEqual({ files, rows: [] });
    expect(lenientKey(['Images', 'im1.DCM;1'])).toBe(lenientKey(['IMAGES', 'IM1']));
  });
});
