import { describe, expect, it } from 'vitest';
import { vaultErrorMessage } from '../../../renderer/app/vault-errors';
import { VaultError } from '../../../renderer/vault/vault-service';

describe('a refusal by role, in words (QA11 D3)', () => {
  it('says who may do it, as the service said, instead of "Ask an administrator" for everything', () => {
    expect(vaultErrorMessage(new VaultError('E_NOT_ALLOWED', 'Only an administrator or an auditor may see this.'))).toBe('Only an administrator or an auditor may see this.');
    expect(vaultErrorMessage(new VaultError('E_NOT_ALLOWED', 'Your role reads the ledger but does not write to it: its key slot holds no signing key of the node.'))).not.toMatch(/Ask an administrator/);
  });

  it('falls back to a plain sentence when the refusal carries no words', () => {
    expect(vaultErrorMessage(new VaultError('E_NOT_ALLOWED', ''))).toBe('Your role does not allow this.');
  });
});
