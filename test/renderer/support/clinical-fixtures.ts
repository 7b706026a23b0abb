import type { ClinicalRecord } from '../../../shared/domain/clinical';
import type { RecordRow } from '../../../renderer/vault/vault-service';

let seq = 100;

export function row(recordId: string, record: ClinicalRecord, time = record.type === 'visit' ? record.start : record.time): RecordRow {
  return {
    recordId,
    patientId: '',
    time,
    record,
    source: { messageType: record.type === 'visit' ? 'ADT^A01' : 'ORU^R01', channel: 'demo', seq: ++seq },
  };
}

export function lab(code: string, display: string, value: number, unit: string, time: string, flags?: string[], range?: string): ClinicalRecord {
  return {
    type: 'observation',
    category: 'laboratory',
    code: { code, system: 'LN', display },
    value: { kind: 'numeric', value, unit },
    ...(range === undefined ? {} : { referenceRange: range }),
    ...(flags === undefined ? {} : { abnormalFlags: flags }),
    status: 'F',
    time,
  };
}

export function vital(code: string, display: string, value: number, unit: string, time: string): ClinicalRecord {
  return { type: 'observation', category: 'vital-signs', code: { code, system: 'LN', display }, value: { kind: 'numeric', value, unit }, status: 'P', time };
}

export function visit(start: string, reason: string): ClinicalRecord {
  return { type: 'visit', patientClass: 'O', location: 'Cardiology clinic', attendingDoctor: 'Dr. Weiß', reason, start };
}
