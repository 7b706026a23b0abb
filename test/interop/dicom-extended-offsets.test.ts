import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer, type DicomServer } from '../../electron/intake/dicom/dicom-server';
import { InstanceDecoder } from '../../renderer/features/imaging/viewer/decode/instance-decoder';
import { createSealer } from '../../shared/crypto/envelope';
import { IntakeMetaSchema } from '../../shared/journal/intake-meta';
import { useIntakePipelines } from '../electron/intake/intake-pipeline-support';
import { instanceElements, writePart10 } from '../electron/intake/dicom/dicom-test-support';
import { nodeCodecs } from '../renderer/features/imaging/viewer/node-codecs';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/**
 * A multi-frame with an Extended Offset Table (7FE0,0001/0002, VR OV) written by an independent
 * writer, pydicom (Debian python3-pydicom: `encapsulate_extended`), from RLE frames dcmtk's
 * dcmcrle made. dicom-parser, the library the receiver and the viewer read with, takes OV for a
 * short VR; such instances were quarantined as unreadable. Now: storescu's instance is stored as
 * sent, and the viewer's ranged reader (which uses the table) decodes every frame as the
 * whole-instance path does, with the tag browser showing OV.
 */
const { setup } = useIntakePipelines(createSealer);

/** The data set of a Part 10 file: what follows its File Meta Information. */
function datasetOf(part10: Uint8Array): Buffer {
  const meta = dicomParser.readPart10Header(part10) as unknown as { position: number };
  return Buffer.from(part10.subarray(meta.position));
}
const silent = { info: () => undefined, warn: () => undefined };
let work = '';
let server: DicomServer | null = null;

/** Debian's Python, which python3-pydicom installs for (a python3 earlier on PATH, such as pyenv's, lacks it). */
const DEBIAN_PYTHON = '/usr/bin/python3';

const PYDICOM_SCRIPT = `
import sys
import pydicom
from pydicom.encaps import generate_pixel_data_frame, encapsulate_extended
ds = pydicom.dcmread(sys.argv[1])
frames = list(generate_pixel_data_frame(ds.PixelData, int(ds.NumberOfFrames)))
pixel_data, offsets, lengths = encapsulate_extended(frames)
ds.PixelData = pixel_data
ds['PixelData'].is_undefined_length = True
ds.ExtendedOffsetTable = offsets
ds.ExtendedOffsetTableLengths = lengths
ds.save_as(sys.argv[2], write_like_original=False)
`;

beforeAll(async () => {
  for (const [tool, pkg] of [
    ['storescu', 'dcmtk'],
    ['dcmcrle', 'dcmtk'],
    [DEBIAN_PYTHON, 'python3-pydicom'],
  ] as const) {
    if (!(await hasTool(tool))) throw new Error(missingToolMessage(tool, pkg));
  }
  const probe = await runTool(DEBIAN_PYTHON, ['-c', 'import pydicom.encaps; pydicom.encaps.encapsulate_extended']);
  if (probe.code !== 0) throw new Error(missingToolMessage('pydicom', 'python3-pydicom'));
  work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-eot-'));
});

afterAll(async () => {
  await server?.close();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('interop: an Extended Offset Table written by pydicom', () => {
  it('is stored as sent from storescu, and the viewer reads its frames through the table', async () => {
    const frames = 5;
    const seed = path.join(work, 'seed.dcm');
    const pixels = Buffer.from(Uint16Array.from({ length: frames * 64 * 64 }, (_, i) => ((i % 4096) * 7 + Math.floor(i / 4096) * 300) % 4096).buffer);
    const elements = instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.77.1', patientId: 'P-EOT', patientName: 'Offset^Table', pixels, rows: 64, columns: 64, modality: 'XA' });
    elements.push([0x00280008, 'IS', String(frames)]);
    await writePart10(seed, elements);
    const rle = path.join(work, 'rle.dcm');
    const made = await runTool('dcmcrle', [seed, rle]);
    expect(made.code, made.stderr).toBe(0);
    const script = path.join(work, 'eot.py');
    await writeFile(script, PYDICOM_SCRIPT);
    const withTable = path.join(work, 'eot.dcm');
    const written = await runTool(DEBIAN_PYTHON, [script, rle, withTable]);
    expect(written.code, written.stderr).toBe(0);
    const sent = await readFile(withTable);
    expect(sent.includes(Buffer.from([0xe0, 0x7f, 0x01, 0x00, 0x4f, 0x56]))).toBe(true); // (7FE0,0001) OV

    const vault = await setup();
    const intake = createDicomNetworkIntake({ pipeline: vault.pipeline });
    server = await startDicomServer({ port: 0, aeTitle: 'HDMS', log: silent, cStore: async (request) => (await intake(request)).status, closeTimeoutMs: 1000 });
    const run = await runTool('storescu', ['-aec', 'HDMS', '-aet', 'EOT', '-xr', '127.0.0.1', String(server.port), withTable], { timeoutSeconds: 60 });
    expect(run.code, run.stderr).toBe(0);

    const { records } = await vault.storage.journal.read({ after: 0, limit: 10 });
    expect(records.map((record) => record.kind)).toEqual(['intake.dicom']);
    const record = records[0]!;
    const meta = IntakeMetaSchema.parse(JSON.parse(new TextDecoder().decode((await vault.opener.open(Buffer.from(record.meta!, 'base64url'))).plaintext)));
    expect(meta.normalized.dicom).toMatchObject({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.77.1', transferSyntaxUid: '1.2.840.10008.1.2.5' });
    const stored = (await vault.opener.open(await vault.storage.objects.readAll(record.objects[0]!))).plaintext;
    // The data set as sent (the File Meta Information is the receiver's own).
    expect(datasetOf(stored).equals(datasetOf(sent))).toBe(true);

    const codecs = nodeCodecs();
    const whole = new InstanceDecoder(codecs);
    const ranged = new InstanceDecoder(codecs);
    await whole.open('whole', stored, false);
    const overview = await ranged.openRanged('ranged', { size: stored.length, read: (offset, length) => Promise.resolve(stored.slice(offset, offset + length)) }, true);
    expect(overview.image?.frames).toBe(frames);
    for (let frame = 0; frame < frames; frame++) expect(await ranged.frame('ranged', frame)).toEqual(await whole.frame('whole', frame));
    expect(ranged.tags('ranged').find((row) => row.tag.toUpperCase() === '(7FE0,0001)')?.vr).toBe('OV');
  });
});
