import { deflateRawSync } from 'node:zlib';
import { buildFileMetaInformation } from '../../../electron/intake/dicom/dicom-part10';
import { instanceElements, writeDataset } from '../../electron/intake/dicom/dicom-test-support';

/**
 * A valid Deflated Explicit VR Little Endian file whose deflate stream starts with bytes that
 * dicom-parser, reading one element past the File Meta Information, takes for an SQ element
 * (QA2-12 Q4): one instance of 256 × 512 black pixels (a data set this compressible starts its
 * deflate stream so), deflated by Node's zlib at its default level. `metaLength` is where the
 * deflate stream starts.
 */
export function deflatedFileReadAsSequence(): { file: Buffer; metaLength: number; patientId: string } {
  const sopInstanceUid = '1.2.826.0.1.3680043.10.999.77.1';
  const meta = buildFileMetaInformation({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid, transferSyntaxUid: '1.2.840.10008.1.2.1.99' });
  const dataset = writeDataset(instanceElements({ sopInstanceUid, patientId: 'MRN-RAW-1', patientName: 'Raw^Rita', studyDescription: 'RAW VIEW', pixels: Buffer.alloc(256 * 512 * 2), rows: 256, columns: 512 }));
  return { file: Buffer.concat([meta, deflateRawSync(dataset)]), metaLength: meta.length, patientId: 'MRN-RAW-1' };
}
