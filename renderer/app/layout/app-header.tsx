import type { VaultStatus } from '../../../shared/ipc/vault-contract';
import { useAppInfo } from '../app-info-context';
import { ProductMark } from '../icons/product-mark';
import { HostBadge } from './host-badge';

function vaultLabel(state: VaultStatus['state']): string {
  switch (state) {
    case 'absent':
      return 'No vault yet';
    case 'locked':
      return 'Vault locked';
    case 'unlocked':
      return 'Vault unlocked';
  }
}

/** The banner landmark on every screen: product, host, and the vault's state at a glance. */
export function AppHeader({ vault }: { vault: VaultStatus }) {
  const info = useAppInfo();
  return (
    <header className="app-header">
      <div className="app-header__brand">
        <ProductMark />
        <span className="app-header__name">{info.productName}</span>
        <HostBadge host={info.host} />
      </div>
      <div className="app-header__status">
        <span className={`status-chip status-chip--${vault.state}`}>{vaultLabel(vault.state)}</span>
      </div>
    </header>
  );
}
