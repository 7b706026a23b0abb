/**
 * Preset dictionaries for compressing small sealed payloads (envelope format version 2, see
 * envelope-format.ts). A 330-byte HL7 message and its normalized metadata compress poorly on their
 * own (deflate has nothing to refer back to); a dictionary of what such payloads usually contain
 * gives it that history, which roughly halves them again (issue 11: journal bytes per small message).
 *
 * A dictionary is part of the stored format: an envelope names its dictionary by id, and the exact
 * bytes are needed to open it for as long as the vault exists. So these texts are FROZEN: never
 * edit one; add a new id instead. test/shared/crypto/compression-dictionaries.test.ts pins each
 * text's SHA-256.
 *
 * The texts are ours: segment and field skeletons of HL7 v2.5 messages, common LOINC vital-sign and
 * chemistry names with UCUM units, and the key skeleton of our own normalized intake JSON. Deflate
 * codes a nearer match in fewer bits, so the commonest strings come last. Nothing here is data of a
 * person.
 */

export const COMPRESSION_DICTIONARY_IDS = { hl7v2: 1, intakeJson: 2 } as const;
export type CompressionDictionaryName = keyof typeof COMPRESSION_DICTIONARY_IDS;

const HL7V2_TEXT = [
  'NTE|1|L|',
  'AL1|1|DA|^Penicillin^|SV|Rash|',
  'DG1|1||I10^Essential (primary) hypertension^I10||',
  'IN1|1|',
  'NK1|1|',
  'ORC|RE|',
  'EVN|A08|',
  'MSA|AA|',
  'ORM^O01',
  'ADT^A08',
  'ADT^A31',
  'ADT^A28',
  'ADT^A03',
  'ADT^A01',
  'ORU^R01^ORU_R01',
  'ADT^A04^ADT_A01',
  'OBX|1|ST|',
  'OBX|1|TX|',
  'OBX|1|CE|',
  '^Hemoglobin [Mass/volume] in Blood^LN||',
  '^Leukocytes [#/volume] in Blood by Automated count^LN||',
  '^Creatinine [Mass/volume] in Serum or Plasma^LN||',
  '^Sodium [Moles/volume] in Serum or Plasma^LN||',
  '^Potassium [Moles/volume] in Serum or Plasma^LN||',
  '^Glucose [Mass/volume] in Serum or Plasma^LN||',
  '^Cholesterol [Mass/volume] in Serum or Plasma^LN||',
  '^C reactive protein [Mass/volume] in Serum or Plasma^LN||',
  '^Hemoglobin A1c/Hemoglobin.total in Blood^LN||',
  '|g/dL|',
  '|mg/dL|',
  '|mmol/L|',
  '|mg/L|',
  '|10*3/uL|',
  '|/min|',
  '|kg|',
  '|cm|',
  '|%|',
  '|Cel|',
  '|mm[Hg]|',
  '8867-4^Heart rate^LN||',
  '9279-1^Respiratory rate^LN||',
  '29463-7^Body weight^LN||',
  '8302-2^Body height^LN||',
  '59408-5^Oxygen saturation in Arterial blood by Pulse oximetry^LN||',
  '8310-5^Body temperature^LN||',
  '8462-4^Diastolic blood pressure^LN||',
  '8480-6^Systolic blood pressure^LN||',
  '|N|||F|||',
  '|H|||F|||',
  '|L|||F|||',
  'OBX|2|NM|',
  'OBX|1|NM|',
  'OBR|1||',
  'PV1|1|I|',
  'PV1|1|O|',
  '|||||||||||||||||||||||||||||||||||||',
  '^^^',
  '^MR||',
  '||19700101|F|||',
  '||19700101|M|||',
  'PID|1||',
  '|P|2.5.1|||AL|NE||UNICODE UTF-8\r',
  '|P|2.5.1|||AL|NE\r',
  '|P|2.3|',
  'MSH|^~\\&|',
].join('');

const INTAKE_JSON_TEXT = [
  '{"type":"allergy","substance":',
  '"severity":',
  '"reaction":',
  '{"type":"diagnosis","code":',
  '{"type":"note","text":',
  '"comments":[',
  '{"type":"report","code":',
  '"kind":"text","text":',
  '"kind":"coded","code":',
  '"system":"SCT"',
  '"system":"I10"',
  '"abnormalFlags":["H"],',
  '"abnormalFlags":["L"],',
  '"category":"laboratory",',
  '"value":{"kind":"numeric","value":',
  '"unit":"mg/dL"},',
  '"unit":"mmol/L"},',
  '"unit":"/min"},',
  '"unit":"%"},',
  '"unit":"kg"},',
  '"unit":"Cel"},',
  '"unit":"mm[Hg]"},',
  '"display":"Heart rate"},',
  '"display":"Body temperature"},',
  '"display":"Diastolic blood pressure"},',
  '"display":"Systolic blood pressure"},',
  '"referenceRange":"',
  '"abnormalFlags":["N"],"status":"F","time":"20',
  '{"type":"observation","category":"vital-signs","code":{"code":"',
  '","system":"LN","display":"',
  '{"type":"visit","patientClass":"I","location":"',
  '{"type":"visit","patientClass":"O","location":"',
  '","attendingDoctor":"',
  '","reason":"',
  '","start":"20',
  '"records":[',
  '"phones":["+',
  '"address":{"street":"',
  '","city":"',
  '","postalCode":"',
  '","country":"',
  '"},',
  '"birthDate":"19',
  '","sex":"F",',
  '","sex":"M",',
  '"name":{"family":"',
  '","given":["',
  '"]},',
  '"patient":{"identifiers":[{"value":"',
  '","authority":"',
  '","type":"MR"}],',
  '"messageType":"ORU^R01",',
  '"messageType":"ADT^A04",',
  '"messageType":"ADT^A08",',
  '","messageId":"',
  '"normalized":{"channel":"hl7","messageId":"',
  '"rawBytes":',
  '","objectId":"',
  '{"v":1,"channel":"hl7","receivedAt":"20',
].join('');

const encoder = new TextEncoder();
const DICTIONARIES: Readonly<Record<number, Uint8Array>> = {
  [COMPRESSION_DICTIONARY_IDS.hl7v2]: encoder.encode(HL7V2_TEXT),
  [COMPRESSION_DICTIONARY_IDS.intakeJson]: encoder.encode(INTAKE_JSON_TEXT),
};

/** The dictionary's bytes for an id read from an envelope, or undefined for an unknown id. */
export function compressionDictionary(id: number): Uint8Array | undefined {
  return DICTIONARIES[id];
}
