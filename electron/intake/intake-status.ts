import { INTAKE_CHANNELS, type IntakeStatus, type VaultStatus } from '../../shared/ipc';

type Channel = (typeof INTAKE_CHANNELS)[number];

const LATER_RELEASE: Readonly<Record<Channel, string>> = {
  'hl7-mllp': 'The HL7 v2 (MLLP) listener opens in a later release of HDMS Node.',
  dicom: 'The DICOM receiver opens in a later release of HDMS Node.',
  devices: 'The IEEE 11073 device manager opens in a later release of HDMS Node.',
  'file-import': 'File import opens in a later release of HDMS Node.',
};

/**
 * Listeners seal what they receive to the vault's public key, so they stay closed until a vault
 * exists (design §4 rule 0). The intake monitor shows these reasons. With a vault, the listeners
 * are still closed in this release: "Import demo data" is the only intake, and it goes through the
 * same sealed pipeline the channels will use.
 */
export function intakeStatusFor(vault: VaultStatus): IntakeStatus {
  if (vault.state === 'absent') {
    return {
      listeners: INTAKE_CHANNELS.map((channel) => ({
        channel,
        state: 'closed' as const,
        reason: 'No vault exists yet: listeners open once the vault is created, so that everything received can be sealed.',
      })),
    };
  }
  return {
    listeners: INTAKE_CHANNELS.map((channel) => ({
      channel,
      state: 'closed' as const,
      reason: `${LATER_RELEASE[channel]} Until then, "Import demo data" is the only intake; it is sealed to this vault like every channel will be.`,
    })),
  };
}
