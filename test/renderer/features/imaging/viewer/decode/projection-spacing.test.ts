import { describe, expect, it } from 'vitest';
import type { Element } from '../../../../../electron/intake/dicom/dicom-test-support';
import { InstanceDecoder } from '../../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { measurementLabel } from '../../../../../../renderer/features/imaging/viewer/viewer-canvas';
import { nodeCodecs as codecs } from '../node-codecs';
import { imageElements, part10, TS } from '../viewer-fixtures';

const CR = '1.2.840.10008.5.1.4.1.1.1';
const line100 = { a: { x: 0, y: 0 }, b: { x: 100, y: 0 } };

async function crWith(extra: readonly Element[]) {
  const bytes = part10(imageElements({ sopInstanceUid: '2.25.881', sopClassUid: CR, modality: 'CR', rows: 4, columns: 4, photometric: 'MONOCHROME1', extra, pixelData: Buffer.alloc(32) }), TS.explicitLittle);
  const overview = await new InstanceDecoder(codecs()).open('cr', new Uint8Array(bytes), true);
  return overview.image!;
}

// QA T1 F6: a CR with only Imager Pixel Spacing measured "20.0 mm", as if at the patient. PS3.3: that
// spacing is at the detector's front plane; the anatomy is smaller by the radiographic magnification.
describe('lengths on projection radiographs', () => {
  it('only Imager Pixel Spacing: mm at the detector, said so', async () => {
    const image = await crWith([[0x00181164, 'DS', '0.2\\0.2']]);
    expect(image.spacingSource).toBe('detector');
    expect(measurementLabel(line100, image.pixelSpacing, image.spacingSource)).toBe('20.0 mm at detector');
  });

  it('with an Estimated Radiographic Magnification Factor: the spacing divided by it, said to be corrected', async () => {
    const image = await crWith([
      [0x00181164, 'DS', '0.2\\0.2'],
      [0x00181114, 'DS', '1.25'],
    ]);
    expect(image.spacingSource).toBe('magnification');
    expect(measurementLabel(line100, image.pixelSpacing, image.spacingSource)).toBe('16.0 mm (corrected for magnification)');
  });

  it('Pixel Spacing (calibrated at the patient) wins and is plain mm', async () => {
    const image = await crWith([
      [0x00181164, 'DS', '0.2\\0.2'],
      [0x00181114, 'DS', '1.25'],
      [0x00280030, 'DS', '0.15\\0.15'],
    ]);
    expect(image.spacingSource).toBe('patient');
    expect(measurementLabel(line100, image.pixelSpacing, image.spacingSource)).toBe('15.0 mm');
  });
});
