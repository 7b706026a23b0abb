import type { QuarantineEntry } from '../../../renderer/vault/vault-service';

/** One open quarantine entry (a rejected file import). */
export const QUARANTINE: QuarantineEntry[] = [
  {
    seq: 17,
    at: '2025-03-01T08:10:00.000Z',
    channel: 'hl7-file',
    objectId: 'c'.repeat(64),
    rawBytes: 80,
    status: 'open',
    detail: {
      type: 'quarantine',
      channel: 'hl7-file',
      disposition: 'rejected',
      reason: 'MSH-10 is empty.',
      acks: ['AR'],
      messageType: 'ADT^A01',
      sendingApplication: 'EHR',
      sendingFacility: 'CLINIC',
    },
  },
];
