import type { ListenerStatus } from '../../../shared/ipc/intake-contract';

/** What clinic IT calls each intake channel. */
export function channelName(channel: ListenerStatus['channel']): string {
  switch (channel) {
    case 'hl7-mllp':
      return 'HL7 v2 over MLLP';
    case 'dicom':
      return 'DICOM';
    case 'devices':
      return 'Devices (IEEE 11073)';
    case 'file-import':
      return 'File import';
  }
}

export function listenerStateName(state: ListenerStatus['state']): string {
  switch (state) {
    case 'closed':
      return 'Closed';
    case 'listening':
      return 'Listening';
    case 'error':
      return 'Error';
  }
}
