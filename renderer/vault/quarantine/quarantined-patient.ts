import { hl7PatientIdentifiers } from '../records/erasure-quarantine';
import { identifierPseudonym } from '../views/intake-rows';
import type { VaultDb } from '../views/vault-db';
import { resolvePatientId } from '../views/view-reads';

/**
 * Which patient a quarantined HL7 input names, as far as the vault knows them (H8 F1): opening its
 * raw bytes shows that patient's data, so the access is one of that patient's, in their "Who
 * accessed this record" and their access report. Its identifiers are read as the erasure's scan of
 * the quarantine reads them (erasure-quarantine.ts hl7PatientIdentifiers: as the intake's mapper
 * files a PID, escapes and delimiters included), then filed as the views file a message: the chart
 * holding any of its identifiers (the `aliases` rows, patient-filing.ts), through merges to the
 * survivor. A chart the vault does not
 * hold, or bytes with no readable PID, name no one: the access stays without a patient.
 */
export async function quarantinedPatientId(db: VaultDb, ledgerKey: CryptoKey, bytes: Uint8Array): Promise<string | null> {
  for (const identifier of hl7PatientIdentifiers(bytes)) {
    // The pseudonym reads the authority and the value only; the type does not file a chart.
    const row = await db.aliases.get(await identifierPseudonym(ledgerKey, { ...identifier, type: '' }));
    if (row !== undefined) return resolvePatientId(db, row.patientId);
  }
  return null;
}
