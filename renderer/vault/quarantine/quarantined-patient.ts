import type { PatientIdentifier } from '../../../shared/domain/clinical';
import { identifierPseudonym } from '../views/intake-rows';
import type { VaultDb } from '../views/vault-db';
import { resolvePatientId } from '../views/view-reads';

/**
 * Which patient a quarantined HL7 input names, as far as the vault knows them (H8 F1): opening its
 * raw bytes shows that patient's data, so the access is one of that patient's, in their "Who
 * accessed this record" and their access report. Read from the bytes the way the intake's mapping
 * reads a PID (hl7-mapping.ts: PID-3, else PID-2, else PID-4; CX-1 value, CX-4 authority, CX-5
 * type), then filed as the views file a message: the chart holding any of its identifiers (the
 * `aliases` rows, patient-filing.ts), through merges to the survivor. A chart the vault does not
 * hold, or bytes with no readable PID, name no one: the access stays without a patient.
 */
export async function quarantinedPatientId(db: VaultDb, ledgerKey: CryptoKey, bytes: Uint8Array): Promise<string | null> {
  const identifiers = pidIdentifiers(bytes);
  for (const identifier of identifiers) {
    const row = await db.aliases.get(await identifierPseudonym(ledgerKey, identifier));
    if (row !== undefined) return resolvePatientId(db, row.patientId);
  }
  return null;
}

/** At most this many bytes are read for the PID: a header and a PID come first in any message. */
const PID_SCAN_BYTES = 64 * 1024;

/** The patient identifiers of the first PID segment of HL7 v2 bytes; none when there is no MSH or PID. */
export function pidIdentifiers(bytes: Uint8Array): PatientIdentifier[] {
  // Latin-1 keeps every byte one character: the delimiters and an ASCII identifier read the same in any charset.
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, PID_SCAN_BYTES)).replace(/^\s+/, '');
  if (!text.startsWith('MSH') || text.length < 8) return [];
  const field = text[3]!;
  const component = text[4]!;
  const repetition = text[5]!;
  const subcomponent = text[7]!;
  const pid = text.split(/\r\n|\r|\n/).find((line) => line.startsWith(`PID${field}`));
  if (pid === undefined) return [];
  const fields = pid.split(field);
  for (const index of [3, 2, 4]) {
    const found = cxList(fields[index] ?? '', repetition, component, subcomponent);
    if (found.length > 0) return found;
  }
  return [];
}

function cxList(value: string, repetition: string, component: string, subcomponent: string): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  for (const cx of value.split(repetition)) {
    if (out.length >= 10) break;
    const parts = cx.split(component);
    const id = (parts[0] ?? '').split(subcomponent)[0]!.trim();
    if (id === '') continue;
    const assigning = (parts[3] ?? '').split(subcomponent);
    const authority = assigning[0] || assigning[1] || '';
    out.push({ value: id.slice(0, 64), authority: authority.slice(0, 64), type: ((parts[4] ?? '').split(subcomponent)[0] ?? '').slice(0, 8) });
  }
  return out;
}
