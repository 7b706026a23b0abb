import { useEffect, useState } from 'react';
import type { VaultService } from '../../vault/vault-service';

/** Whether the vault holds no message and no patient (demo data is offered only then). */
export async function vaultIsEmpty(vault: Pick<VaultService, 'messages' | 'search'>): Promise<boolean> {
  const page = await vault.messages({ limit: 1 });
  if (page.total !== 0) return false;
  return (await vault.search('')).patientIds.length === 0;
}

/**
 * vaultIsEmpty, asked when the caller mounts (and again when `again` changes): null while it is
 * being asked or when it could not be (the caller offers nothing then).
 */
export function useVaultEmpty(vault: Pick<VaultService, 'messages' | 'search'>, again: unknown = null): boolean | null {
  const [empty, setEmpty] = useState<boolean | null>(null);
  useEffect(() => {
    let current = true;
    vaultIsEmpty(vault).then(
      (value) => {
        if (current) setEmpty(value);
      },
      () => {
        if (current) setEmpty(null);
      },
    );
    return () => {
      current = false;
    };
  }, [vault, again]);
  return empty;
}
