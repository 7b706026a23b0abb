import { z } from 'zod';
import { method } from './method';

export const VAULT_STATES = ['absent', 'locked', 'unlocked'] as const;

export const VaultStatusSchema = z.strictObject({
  /** absent: no vault in the data folder yet, so the app shows its first-run screen. */
  state: z.enum(VAULT_STATES),
});
export type VaultStatus = Readonly<z.infer<typeof VaultStatusSchema>>;

export const vaultMethods = {
  'vault.status': method(z.strictObject({}), VaultStatusSchema),
} as const;
