/**
 * The uncompressed transfer syntaxes' UIDs (PS3.5 §10, PS3.6 Annex A), named once for the body's
 * receiver and import, the de-identification walker and the viewer: the ones code branches on.
 * The compressed syntaxes are listed where they are told apart (the receiver's accepted set, the
 * viewer's decoders).
 */
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
