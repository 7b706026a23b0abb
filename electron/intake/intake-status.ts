import { INTAKE_CHANNELS, type IntakeStatus, type ListenerStatus, type VaultStatus } from '../../shared/ipc';

type Channel = (typeof INTAKE_CHANNELS)[number];

const NO_VAULT = 'No vault exists yet: listeners open once the vault is created, so that everything received can be sealed.';

const LATER_RELEASE: Readonly<Record<Exclude<Channel, 'hl7-mllp' | 'file-import'>, string>> = {
  dicom: 'The DICOM receiver opens in a later release of HDMS Node.',
  devices: 'The IEEE 11073 device manager opens in a later release of HDMS Node.',
};

/**
 * Listeners seal what they receive to the vault's public key, so they stay closed until a vault
 * exists (design §4 rule 0). The intake monitor shows these reasons. The HL7 listener's own state
 * (listening, turned off, port in use…) comes from the HL7 service; file import is open whenever a
 * vault exists; DICOM and devices come in later releases.
 */
export function intakeStatusFor(vault: VaultStatus, hl7: ListenerStatus): IntakeStatus {
  const absent = vault.state === 'absent';
  return {
    listeners: INTAKE_CHANNELS.map((channel): ListenerStatus => {
      switch (channel) {
        case 'hl7-mllp':
          return absent && hl7.state !== 'listening' ? { channel, state: 'closed', reason: NO_VAULT } : hl7;
        case 'file-import':
          return absent ? { channel, state: 'closed', reason: NO_VAULT } : { channel, state: 'listening' };
        case 'dicom':
        case 'devices':
          return { channel, state: 'closed', reason: absent ? NO_VAULT : LATER_RELEASE[channel] };
      }
    }),
  };
}
