import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLICIT_VR_LITTLE_ENDIAN } from '../../electron/intake/dicom/dicom-uids';
import { deidentifyInstance } from '../../shared/dicom/deid/deidentify-dataset';
import { createUidRemapper } from '../../shared/dicom/deid/uid-remap';
import { instanceElements, part10File, writeDataset, type Element } from '../electron/intake/dicom/dicom-test-support';
import { encapsulatedPixelData, item, part10Of, sequence } from '../shared/dicom/deid/deid-test-support';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/**
 * Debian's dcmtk reads what the de-identifier writes: `dcmftest` says it is a Part 10 file,
 * `dcmdump` parses every element without an error or warning, shows the attributes the profile
 * writes, and none of the identifying ones that went in.
 */
let work = '';

beforeAll(async () => {
  for (const tool of ['dcmdump', 'dcmftest']) if (!(await hasTool(tool))) throw new Error(missingToolMessage(tool, 'dcmtk'));
  work = await mkdtemp(path.join(os.tmpdir(), 'hdms-dicom-deid-'));
});

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const pseudonymFor = () => 'P-7F3A';
const uids = createUidRemapper(new Uint8Array(32).fill(3));

function identifyingInstance(transferSyntax?: string): Element[] {
  return [
    ...instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.300.1.1', patientId: 'PID-9911', patientName: 'GRUBER^ANNA', birthDate: '19610412', sex: 'F', studyDescription: 'CT HEAD GRUBER' }),
    [0x00080080, 'LO', 'KLINIKUM NORD'],
    [0x00101040, 'LO', 'HAUPTSTRASSE 5'],
    [0x00090010, 'LO', 'ACME 1.0'],
    [0x00091001, 'LO', 'GRUBER^ANNA'],
    sequence(0x00400555, [item([sequence(0x0040a730, [item([[0x0040a123, 'PN', 'GRUBER^ANNA']], transferSyntax)])], transferSyntax)]),
    sequence(0x00082112, [item([[0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2'], [0x00081155, 'UI', '1.2.826.0.1.3680043.10.999.300.1.0']], transferSyntax)]),
  ];
}

async function dump(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, bytes);
  const test = await runTool('dcmftest', [file]);
  expect(test.stdout).toMatch(/^yes:/m);
  const run = await runTool('dcmdump', ['-M', '+L', '+sd', file]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).not.toMatch(/^[EWF]:/m);
  return run.stdout;
}

describe('interop: dcmtk reads de-identified instances', () => {
  for (const [label, transferSyntax] of [
    ['explicit VR little endian', undefined],
    ['implicit VR little endian', IMPLICIT_VR_LITTLE_ENDIAN],
  ] as const) {
    it(`${label}: a well-formed Part 10 file without the identifiers`, async () => {
      const input = part10File(identifyingInstance(transferSyntax), transferSyntax);
      const before = await dump(`in-${label}.dcm`, input);
      expect(before).toContain('GRUBER^ANNA');
      const verdict = deidentifyInstance({ bytes: input, uids, pseudonymFor });
      if (!verdict.ok) throw new Error(verdict.reason);
      const after = await dump(`out-${label}.dcm`, verdict.bytes);
      expect(after).toMatch(/\(0012,0062\) CS \[YES\]/);
      expect(after).toMatch(/\(0008,0100\) SH \[113100\]/);
      expect(after).toMatch(/\(0010,0010\) PN \[P-7F3A\]/);
      expect(after).toContain(`(0002,0003) UI [${verdict.sopInstanceUid}]`);
      for (const gone of ['GRUBER', 'PID-9911', '19610412', 'KLINIKUM', 'HAUPTSTRASSE', 'ACME', '1.2.826.0.1.3680043.10.999.300']) expect(after).not.toContain(gone);
      for (const tag of ['(0010,1040)', '(0009,0010)', '(0009,1001)', '(0008,1030)']) expect(after).not.toContain(tag);
    });
  }

  it('JPEG Baseline: the encapsulated pixel data dcmtk reads is the input’s', async () => {
    const jpeg = '1.2.840.10008.1.2.4.50';
    const fragments = [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9])];
    const elements = instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.300.2.1', patientId: 'PID-9911', patientName: 'GRUBER^ANNA' }).filter(([tag]) => tag !== 0x7fe00010);
    const input = part10Of(Buffer.concat([writeDataset(elements, jpeg), encapsulatedPixelData(fragments)]), jpeg, '1.2.840.10008.5.1.4.1.1.2', '1.2.3');
    const verdict = deidentifyInstance({ bytes: input, uids, pseudonymFor });
    if (!verdict.ok) throw new Error(verdict.reason);
    const after = await dump('out-jpeg.dcm', verdict.bytes);
    expect(after).toContain('(0002,0010) UI =JPEGBaseline');
    expect(after).toMatch(/\(fffe,e000\) pi ff\\d8\\ff\\e0\\01\\02\\03\\04\\ff\\d9/);
  });
});
