import type { Diagnosis, NormalizedIntake, Observation, Patient, Visit } from '../../../shared/domain/clinical';

/** HL7 v2 escapes for the default delimiters |^~\& (v2.5.1 §2.7). */
function escapeHl7(value: string): string {
  return value.replace(/[\\|^~&]/g, (char) => ({ '\\': '\\E\\', '|': '\\F\\', '^': '\\S\\', '~': '\\R\\', '&': '\\T\\' })[char]!);
}

function hl7Time(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function pid(patient: Patient): string {
  const id = patient.identifiers[0]!;
  const address = patient.address;
  return [
    'PID', '1', '',
    `${escapeHl7(id.value)}^^^${escapeHl7(id.authority)}^${escapeHl7(id.type)}`,
    '',
    `${escapeHl7(patient.name.family)}^${patient.name.given.map(escapeHl7).join('^')}`,
    '',
    (patient.birthDate ?? '').replace(/-/g, ''),
    patient.sex ?? '',
    '', '',
    address === undefined ? '' : `${escapeHl7(address.street ?? '')}^^${escapeHl7(address.city ?? '')}^^${escapeHl7(address.postalCode ?? '')}^${escapeHl7(address.country ?? '')}`,
    '',
    escapeHl7(patient.phones?.[0] ?? ''),
  ].join('|');
}

function pv1(visit: Visit): string {
  return ['PV1', '1', visit.patientClass, escapeHl7(visit.location ?? ''), '', '', '', `^${escapeHl7(visit.attendingDoctor ?? '')}`]
    .concat(Array(36).fill(''), [hl7Time(visit.start)])
    .join('|');
}

function dg1(diagnosis: Diagnosis, index: number): string {
  return ['DG1', String(index + 1), '', `${escapeHl7(diagnosis.code.code)}^${escapeHl7(diagnosis.code.display)}^${escapeHl7(diagnosis.code.system)}`, '', diagnosis.time === undefined ? '' : hl7Time(diagnosis.time), diagnosis.diagnosisType ?? ''].join('|');
}

function obx(observation: Observation, index: number): string {
  const value = observation.value;
  const [valueType, rendered, unit] =
    value.kind === 'numeric' ? ['NM', String(value.value), value.unit ?? '']
    : value.kind === 'text' ? ['TX', escapeHl7(value.value), '']
    : ['CWE', `${escapeHl7(value.value.code)}^${escapeHl7(value.value.display)}^${escapeHl7(value.value.system)}`, ''];
  return [
    'OBX', String(index + 1), valueType,
    `${observation.code.code}^${escapeHl7(observation.code.display)}^${observation.code.system}`,
    '', rendered, escapeHl7(unit), escapeHl7(observation.referenceRange ?? ''), (observation.abnormalFlags ?? []).join('~'),
    '', '', observation.status, '', '', hl7Time(observation.time),
  ].join('|');
}

/**
 * Renders a demo message as HL7 v2.5.1 text in UTF-8, so the vault keeps realistic raw bytes and
 * the HL7 channel (a later release) can parse the same messages.
 */
export function renderDemoHl7(message: NormalizedIntake, sentAt: Date): Uint8Array {
  const visit = message.records.find((record): record is Visit => record.type === 'visit');
  const segments = [
    ['MSH', '^~\\&', 'HDMS-DEMO', 'DEMO-CLINIC', 'HDMS-NODE', 'HDMS', hl7Time(sentAt), '', message.messageType, message.messageId, 'P', '2.5.1', '', '', 'AL', 'NE', '', 'UNICODE UTF-8'].join('|'),
    pid(message.patient),
    ...(visit === undefined ? [] : [pv1(visit)]),
    // Results travel under an order (OBR) in ORU^R01; the demo uses one local panel code.
    ...(message.messageType.startsWith('ORU')
      ? [['OBR', '1', '', escapeHl7(message.messageId), 'DEMO-PANEL^Laboratory and vital signs^L', '', '', hl7Time(sentAt)].join('|')]
      : []),
    ...message.records
      .filter((record): record is Observation => record.type === 'observation')
      .map((observation, index) => obx(observation, index)),
    ...(message.extendedRecords ?? [])
      .filter((record): record is Diagnosis => record.type === 'diagnosis')
      .map((diagnosis, index) => dg1(diagnosis, index)),
  ];
  return new TextEncoder().encode(`${segments.join('\r')}\r`);
}
