import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../../../shared/dicom/transfer-syntax-uids';

/**
 * The UIDs the receiver negotiates (PS3.6 Annex A, PS3.7, PS3.8 Annex A). No PHI: these name
 * protocols, SOP classes and encodings, never an instance.
 */

/** PS3.7 Annex A.2.1: the DICOM application context, the only one there is. */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** The Verification SOP class (C-ECHO). */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Every storage SOP class of PS3.4 Annex B (and the retired ones) lives under this root. */
const STORAGE_SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';

/** True for a storage SOP class UID (CT, MR, US, SR, encapsulated PDF, private-free…). */
export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_SOP_CLASS_ROOT) && /^[0-9.]+$/.test(uid) && uid.length <= 64;
}

export { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN };

/**
 * The transfer syntaxes a dataset is accepted in (stored exactly as received, never transcoded):
 * the native encodings, deflate, and the encapsulated pixel data encodings the viewer's codecs
 * decode or that are kept as video (MPEG, HEVC).
 */
export const STORAGE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  '1.2.840.10008.1.2.1.98', // Encapsulated Uncompressed Explicit VR Little Endian
  '1.2.840.10008.1.2.4.50', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51', // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57', // JPEG Lossless, Non-Hierarchical (Process 14)
  '1.2.840.10008.1.2.4.70', // JPEG Lossless, First-Order Prediction (Process 14, SV1)
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless Only
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.4.201', // High-Throughput JPEG 2000 Lossless Only
  '1.2.840.10008.1.2.4.202', // High-Throughput JPEG 2000 with RPCL Lossless Only
  '1.2.840.10008.1.2.4.203', // High-Throughput JPEG 2000
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.4.100', // MPEG2 Main Profile / Main Level
  '1.2.840.10008.1.2.4.101', // MPEG2 Main Profile / High Level
  '1.2.840.10008.1.2.4.102', // MPEG-4 AVC/H.264 High Profile / Level 4.1
  '1.2.840.10008.1.2.4.103', // MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1
  '1.2.840.10008.1.2.4.104', // MPEG-4 AVC/H.264 High Profile / Level 4.2 for 2D Video
  '1.2.840.10008.1.2.4.105', // MPEG-4 AVC/H.264 High Profile / Level 4.2 for 3D Video
  '1.2.840.10008.1.2.4.106', // MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2
  '1.2.840.10008.1.2.4.107', // HEVC/H.265 Main Profile / Level 5.1
  '1.2.840.10008.1.2.4.108', // HEVC/H.265 Main 10 Profile / Level 5.1
]);

/** Verification needs no dataset: the two native little-endian encodings are enough (PS3.7 9.3.5). */
export const VERIFICATION_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN]);

/** HDMS Node's implementation class UID (a UUID-derived UID under 2.25, PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.150977826446530735426946813283612483919';
/** Implementation version name: at most 16 characters of the default repertoire (PS3.7 D.3.3.2.2). */
export const IMPLEMENTATION_VERSION_NAME = 'HDMS_NODE_1';
