import { describe, expect, it } from 'vitest';
import { isDicomdir, lenientKey, planDicomImport, SNIFF_BYTES, type PickedFile } from '../../../../renderer/features/imaging/dicomdir-plan';
import { pickedBytes } from '../../../../renderer/features/imaging/picked-file';
import { buildDicomdir } from '../../../shared/dicom/dicomdir-builder';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const named = (name: string, content = name): PickedFile => pickedBytes(name, bytes(content));

describe('planDicomImport: a patient CD with its DICOMDIR', async () => {
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

  it('imports the referenced files first in directory order (case, .dcm and ;1 differences resolved), then the rest; lists what is missing and records without a file', async () => {
    const im1 = named('CD/images/im000001.dcm');
    const im2 = named('CD/IMAGES/IM000002;1');
    const sr = named('CD/sr/SR000001.');
    const readme = named('CD/README.TXT');
    const notes = named('CD/NOTES/N10');
    const notes2 = named('CD/NOTES/N9');
    const plan = await planDicomImport([readme, notes, im1, pickedBytes('CD/DICOMDIR', dicomdir), sr, im2, notes2]);
    expect(plan.files.map((file) => file.name)).toEqual(['CD/IMAGES/IM000002;1', 'CD/images/im000001.dcm', 'CD/sr/SR000001.', 'CD/NOTES/N9', 'CD/NOTES/N10', 'CD/README.TXT']);
    expect(plan.rows).toEqual([
      { name: 'CD/DICOMDIR', outcome: 'directory', reason: 'DICOMDIR: 8 records; 4 files referenced (IMAGE, RT DOSE, SR DOCUMENT), 3 found, 1 missing.' },
      { name: 'CD/RT/RD000001', outcome: 'missing', reason: expect.stringMatching(/^Named by the DICOMDIR \(record \d+, RT DOSE\) but not among the chosen files/) },
      { name: 'CD/DICOMDIR: record 8 (KEY OBJECT DOC)', outcome: 'no-file', reason: expect.stringMatching(/names no file/) },
    ]);
  });

  it('a DICOMDIR chosen alone: every referenced file is listed missing; a DICOMDIR under another name is told by its SOP class', async () => {
    const plan = await planDicomImport([pickedBytes('index.bin', dicomdir)]);
    expect(isDicomdir('index.bin', dicomdir)).toBe(true);
    expect(plan.files).toEqual([]);
    expect(plan.rows.filter((row) => row.outcome === 'missing').map((row) => row.name)).toEqual(['IMAGES/IM000002', 'IMAGES/IM000001', 'SR/SR000001', 'RT/RD000001']);
  });

  it('an unreadable DICOMDIR is said so, and the other files are imported by what they hold', async () => {
    const broken = Buffer.concat([Buffer.from(dicomdir.subarray(0, 132)), Buffer.from(dicomdir.subarray(132, 300))]);
    const other = named('CD/IM1');
    const plan = await planDicomImport([pickedBytes('CD/DICOMDIR', broken), other]);
    expect(plan.files).toEqual([other]);
    expect(plan.rows).toEqual([{ name: 'CD/DICOMDIR', outcome: 'directory', reason: expect.stringMatching(/cannot be read.*The other files are imported by what they hold\./) }]);
  });

  // H6 (session 38): a folder comes from the browser in the disk's order (hash order on ext4), so the
  // progress, the per-file results and what a cancel left out were in no order a person could follow.
  it('without a DICOMDIR the files go in path order, numbers by value, not in the order the browser listed them', async () => {
    const files = [named('CD/S2/IM10'), named('CD/S1/IM2'), named('CD/S2/IM9'), named('CD/S1/IM1')];
    expect(await planDicomImport(files)).toEqual({ files: [files[3], files[1], files[2], files[0]], rows: [] });
    expect(lenientKey(['Images', 'im1.DCM;1'])).toBe(lenientKey(['IMAGES', 'IM1']));
  });

  it('reads only the head of each file to tell a DICOMDIR, and a file that cannot be read is left to the import', async () => {
    const reads: [string, number, number][] = [];
    const tracked = (file: PickedFile): PickedFile => ({ ...file, read: (start, end) => (reads.push([file.name, start, end]), file.read(start, end)) });
    const large = tracked(pickedBytes('CD/IMAGES/IM000001', new Uint8Array(SNIFF_BYTES * 4)));
    const directory = tracked(pickedBytes('CD/DICOMDIR', dicomdir));
    const gone: PickedFile = { name: 'CD/IMAGES/IM000002', size: 100, read: () => Promise.reject(new Error('NotReadableError')) };
    const plan = await planDicomImport([large, directory, gone]);
    expect(plan.files.map((file) => file.name)).toEqual(['CD/IMAGES/IM000002', 'CD/IMAGES/IM000001']);
    // The image: its head only; the DICOMDIR: its head, then whole.
    expect(reads).toEqual([
      ['CD/IMAGES/IM000001', 0, SNIFF_BYTES],
      ['CD/DICOMDIR', 0, dicomdir.length],
      ['CD/DICOMDIR', 0, dicomdir.length],
    ]);
  });
});
