import type { HdmsApi } from '../../../shared/ipc/contract';
import type { PatientIdentifier } from '../../../shared/domain/clinical';
import { readDicomElements } from '../../features/intake/raw-input';
import type { Opener } from '../vault-crypto';
import type { VaultDb } from '../views/vault-db';
import type { QuarantinedSource } from './erasure-lineage';
import { openQuarantinedStart } from './sealed-objects';

/**
 * Quarantined inputs that were never filed under a patient but name them (security audit, issue 11):
 * an HL7 message held for a bad charset whose PID carries the patient's MRN, a DICOM instance
 * rejected as unreadable whose Patient ID is still readable. The body cannot read sealed content;
 * the mind opens each quarantined input (as the quarantine's "View raw" does) and looks for the
 * patient's identifiers in it.
 *
 * The match is on an identifier WITH its assigning authority, never on a name: for HL7 every PID-3
 * repetition (CX-1 with CX-4, namespace or universal id, as the intake files it); for DICOM the
 * Patient ID (0010,0020) with the Issuer of Patient ID (0010,0021), mapped by the receiver's issuer
 * map as the intake maps it. Names are not unique (two people called "Maria Garcia") and an
 * identifier value alone may be another authority's number for another person: erasing on either
 * would erase someone else's data. The pair is exactly what the intake would have filed under this
 * patient, so a match is an input that belongs to them. Inputs from device reports, and identifiers
 * only in PID-2/PID-4 or in a merge's MRG, are not looked for.
 */

/** Quarantine rows read per page (each page's inputs are opened one at a time). */
export const QUARANTINE_SCAN_PAGE = 200;
/** The first bytes of a quarantined input read for its identifiers: the PID follows the MSH, group 0010 comes early. */
export const QUARANTINE_SCAN_BYTES = 4 * 1024 * 1024;

/** The identifier pairs (value, assigning authority) every PID-3 of the HL7 message(s) in `bytes` carries. */
export function hl7PatientIdentifiers(bytes: Uint8Array): Array<Pick<PatientIdentifier, 'value' | 'authority'>> {
  // Byte for byte (latin1): identifiers are ASCII whatever the charset a quarantined message got wrong.
  const text = new TextDecoder('latin1').decode(bytes);
  const out: Array<Pick<PatientIdentifier, 'value' | 'authority'>> = [];
  let field = '|';
  let component = '^';
  let repetition = '~';
  let subcomponent = '&';
  for (const segment of text.split(/\r\n|\r|\n/)) {
    if (segment.startsWith('MSH') && segment.length >= 8) {
      // Each message's own delimiters (MSH-1, MSH-2).
      field = segment[3]!;
      component = segment[4]!;
      repetition = segment[5]!;
      subcomponent = segment[7] ?? '&';
      continue;
    }
    if (!segment.startsWith(`PID${field}`)) continue;
    const pid3 = segment.split(field)[3] ?? '';
    for (const cx of pid3.split(repetition)) {
      const parts = cx.split(component);
      const value = (parts[0] ?? '').split(subcomponent)[0]!.trim();
      if (value === '') continue;
      const hd = (parts[3] ?? '').split(subcomponent);
      const authority = hd[0] || hd[1] || '';
      out.push({ value: value.slice(0, 64), authority: authority.slice(0, 64) });
    }
  }
  return out;
}

/** The Patient ID and Issuer of Patient ID of a DICOM instance (as far as its first bytes read), or null. */
export function dicomPatientIdentifier(bytes: Uint8Array): { readonly value: string; readonly issuer: string } | null {
  const rows = readDicomElements(bytes).rows.filter((row) => row.depth === 0);
  const value = rows.find((row) => row.tag === '(0010,0020)')?.value.trim() ?? '';
  if (value === '') return null;
  return { value: value.slice(0, 64), issuer: rows.find((row) => row.tag === '(0010,0021)')?.value.trim() ?? '' };
}

const pairKey = (value: string, authority: string): string => `${value}\0${authority}`;

/**
 * The quarantine records (journal seqs) whose content names one of `identifiers` with its authority,
 * read a page of rows at a time and one input at a time (never the whole quarantine in memory).
 * `skip`: seqs already taken (the lineage). `issuerAuthorities`: the DICOM receiver's issuer map.
 */
export async function quarantinedNamingPatient(
  api: Pick<HdmsApi, 'objects'>,
  opener: Opener,
  db: VaultDb,
  identifiers: readonly Pick<PatientIdentifier, 'value' | 'authority'>[],
  options: { readonly skip?: ReadonlySet<number>; readonly issuerAuthorities?: Readonly<Record<string, string>> } = {},
): Promise<QuarantinedSource[]> {
  const wanted = new Set(identifiers.map((id) => pairKey(id.value, id.authority)));
  const found: QuarantinedSource[] = [];
  if (wanted.size === 0) return found;
  const issuers = options.issuerAuthorities ?? {};
  for (let after = 0; ; ) {
    const page = await db.quarantine.where('seq').above(after).limit(QUARANTINE_SCAN_PAGE).toArray();
    if (page.length === 0) break;
    after = page[page.length - 1]!.seq;
    for (const row of page) {
      if (row.objectId === null || options.skip?.has(row.seq) === true) continue;
      const isDicom = row.channel === 'dicom';
      if (!isDicom && !row.channel.startsWith('hl7')) continue;
      let bytes: Uint8Array;
      try {
        bytes = await openQuarantinedStart(api, opener, row.objectId, QUARANTINE_SCAN_BYTES);
      } catch {
        // An input whose bytes are gone or do not open names no one we can see; the erasure goes on.
        continue;
      }
      const named = isDicom ? dicomPairs(bytes, issuers) : hl7PatientIdentifiers(bytes);
      if (named.some((id) => wanted.has(pairKey(id.value, id.authority)))) found.push({ seq: row.seq, objectId: row.objectId });
    }
    if (page.length < QUARANTINE_SCAN_PAGE) break;
  }
  return found;
}

/** A DICOM instance's identifier as the intake files it: the issuer as sent, or what the issuer map makes of it. */
function dicomPairs(bytes: Uint8Array, issuers: Readonly<Record<string, string>>): Array<Pick<PatientIdentifier, 'value' | 'authority'>> {
  const id = dicomPatientIdentifier(bytes);
  if (id === null) return [];
  return [{ value: id.value, authority: (issuers[id.issuer] ?? id.issuer).slice(0, 64) }];
}
