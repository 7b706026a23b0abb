import type { HdmsApi } from '../../../shared/ipc/contract';
import type { PatientIdentifier } from '../../../shared/domain/clinical';
import { declaredDelimiters, decodeEscapes, STANDARD_DELIMITERS, type Hl7Delimiters } from '../../../shared/hl7/escapes';
import { readDicomElements } from '../../../shared/dicom/dicom-elements';
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
 * The match is on an identifier WITH its assigning authority, never on a name: for HL7 the PID's
 * identifiers read exactly as the intake's mapper files them (electron/intake/hl7/hl7-mapping.ts
 * identifiers()): each PID-3 repetition's CX-1 with CX-4 (namespace, or universal id when the
 * namespace is empty), escape sequences decoded with the message's own delimiters (the same
 * decoder, shared/hl7/escapes.ts), the value trimmed, both clipped to 64 characters, at most 10
 * identifiers; and PID-2, then PID-4, when PID-3 holds none. For DICOM the Patient ID (0010,0020)
 * with the Issuer of Patient ID (0010,0021), mapped by the receiver's issuer map as the intake maps
 * it. Names are not unique (two people called "Maria Garcia") and an identifier value alone may be
 * another authority's number for another person: erasing on either would erase someone else's
 * data. The pair is exactly what the intake would have filed under this patient, so a match is an
 * input that belongs to them. Identifiers only in a merge's MRG are not looked for.
 * test/integration/erasure-quarantine-mapper.test.ts feeds the same messages to the mapper and to
 * this scan.
 *
 * A quarantined device input cannot name a patient, so none is looked for: the body quarantines a
 * device's bytes only on a protocol error (electron/intake/devices/device-session.ts quarantine),
 * recording the channel, the reason, the port it came on and the APDU's bytes. IEEE 11073-20601
 * APDUs carry no patient identity (the device's system id, its configuration, observations; an MP
 * report's person-id is the device's own user number), and the one link from device data to a
 * patient, a `device.assigned` event, names a device session (a random id per association) that
 * only stored reports (`intake.device`, device-meta.ts `session`) carry, never a quarantine record.
 * Matching on the port and the time would be a guess that could take another person's data.
 * Reprocessing a quarantined device report does not exist, so no lineage leads to one either.
 */

/** Quarantine rows read per page (each page's inputs are opened one at a time). */
export const QUARANTINE_SCAN_PAGE = 200;
/** The first bytes of a quarantined input read for its identifiers: the PID follows the MSH, group 0010 comes early. */
export const QUARANTINE_SCAN_BYTES = 4 * 1024 * 1024;

/** What the intake's mapper keeps of a PID: at most this many identifiers, each value and authority at most this long. */
const MAX_IDENTIFIERS = 10;
const MAX_IDENTIFIER_CHARS = 64;

/**
 * MSH-18 values the body's front end decodes one byte a character: their hex escapes are read as
 * ISO 8859-1. Any other (UTF-8 by name, empty: the default UNICODE UTF-8, or a charset the intake
 * does not know and so never filed as sent) reads hex escapes as UTF-8 where they are valid UTF-8.
 */
const SINGLE_BYTE_CHARSETS = new Set(['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/15']);

/** The first subcomponent of the first component of the first repetition of `field`, decoded. */
function firstValue(field: string, d: Hl7Delimiters, utf8: boolean): string {
  return decodeEscapes(field.split(d.repetition)[0]!.split(d.component)[0]!.split(d.subcomponent)[0]!, d, utf8);
}

const clip = (text: string): string => (text.length > MAX_IDENTIFIER_CHARS ? text.slice(0, MAX_IDENTIFIER_CHARS) : text);

/** The identifiers of one CX field (PID-3, PID-2 or PID-4) as the mapper files them. */
function cxIdentifiers(field: string, d: Hl7Delimiters, utf8: boolean): Array<Pick<PatientIdentifier, 'value' | 'authority'>> {
  const out: Array<Pick<PatientIdentifier, 'value' | 'authority'>> = [];
  if (field === '') return out;
  for (const cx of field.split(d.repetition)) {
    if (out.length >= MAX_IDENTIFIERS) break;
    const components = cx.split(d.component);
    // Decoded first, then trimmed (an escaped space is a space).
    const value = decodeEscapes(components[0]!.split(d.subcomponent)[0]!, d, utf8).trim();
    if (value === '') continue;
    const hd = (components[3] ?? '').split(d.subcomponent);
    const authority = decodeEscapes(hd[0]!, d, utf8) || decodeEscapes(hd[1] ?? '', d, utf8);
    out.push({ value: clip(value), authority: clip(authority) });
  }
  return out;
}

/**
 * The identifier pairs (value, assigning authority) every PID of the HL7 message(s) in `bytes`
 * carries, as the intake's mapper would file them: PID-3, else PID-2, else PID-4.
 */
export function hl7PatientIdentifiers(bytes: Uint8Array): Array<Pick<PatientIdentifier, 'value' | 'authority'>> {
  // Byte for byte (latin1): identifiers are ASCII whatever the charset a quarantined message got wrong.
  const text = new TextDecoder('latin1').decode(bytes);
  const out: Array<Pick<PatientIdentifier, 'value' | 'authority'>> = [];
  let delimiters = STANDARD_DELIMITERS;
  let utf8 = true;
  for (const segment of text.split(/\r\n|\r|\n/)) {
    if (segment.startsWith('MSH') && segment.length >= 8) {
      // Each message's own delimiters (MSH-1, MSH-2), read as the body's front end reads them.
      delimiters = declaredDelimiters(segment);
      // MSH-18 (the message's charset; MSH-1 is the separator, so MSH-n is part n - 1).
      const charset = firstValue(segment.split(delimiters.field)[17] ?? '', delimiters, true).trim().toUpperCase();
      utf8 = !SINGLE_BYTE_CHARSETS.has(charset);
      continue;
    }
    if (!segment.startsWith(`PID${delimiters.field}`)) continue;
    const fields = segment.split(delimiters.field);
    let ids = cxIdentifiers(fields[3] ?? '', delimiters, utf8);
    if (ids.length === 0) ids = cxIdentifiers(fields[2] ?? '', delimiters, utf8);
    if (ids.length === 0) ids = cxIdentifiers(fields[4] ?? '', delimiters, utf8);
    out.push(...ids);
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
