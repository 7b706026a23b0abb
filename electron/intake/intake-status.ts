import { INTAKE_CHANNELS, type IntakeStatus, type VaultStatus } from '../../shared/ipc';

/**
 * Listeners seal what they receive to the vault's public key, so they stay closed until a vault
 * exists (design §4 rule 0). The intake monitor shows these reasons.
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
      reason: 'This channel is not available in this version of HDMS Node.',
    })),
  };
}
