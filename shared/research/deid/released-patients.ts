import { fromBase64Url, toBase64Url, toHex } from '../../crypto/bytes';

/**
 * The clinic's own record of who left in a release (issue 15 item 8): each released patient's view
 * id (22 base64url characters, a keyed pseudonym of their identifier that only this vault can
 * resolve) with the release's pseudonym for them (128 random bits, hex in the package), packed in
 * 44 base64url characters, so that the largest purchase (15,000 patients) fits in one journal
 * record's sealed meta (1 MiB) with room to spare. Never in a ledger entry, never sent.
 */
export const PACKED_RELEASED_PATIENT = /^[A-Za-z0-9_-]{44}$/;
const VIEW_ID = /^[A-Za-z0-9_-]{22}$/;
const PSEUDONYM = /^[0-9a-f]{32}$/;

export interface ReleasedPatient {
  readonly patientId: string;
  readonly pseudonym: string;
}

/** Whether a patient id and pseudonym pair can be packed (a view id and a 128-bit hex pseudonym). */
export function canPackReleasedPatient(patient: ReleasedPatient): boolean {
  return VIEW_ID.test(patient.patientId) && PSEUDONYM.test(patient.pseudonym);
}

export function packReleasedPatient(patient: ReleasedPatient): string {
  if (!canPackReleasedPatient(patient)) throw new RangeError('A released patient is packed from a 22-character view id and a 32-digit hex pseudonym.');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(patient.pseudonym.slice(i * 2, i * 2 + 2), 16);
  return `${patient.patientId}${toBase64Url(bytes)}`;
}

export function unpackReleasedPatient(packed: string): ReleasedPatient {
  if (!PACKED_RELEASED_PATIENT.test(packed)) throw new RangeError('Not a packed released patient.');
  return { patientId: packed.slice(0, 22), pseudonym: toHex(fromBase64Url(packed.slice(22))) };
}
