import type { OperatorRole, VaultPhase } from '../../vault/vault-service';
import { useCurrentOperator, useVaultPhase } from '../../vault/vault-context';
import { useAppInfo } from '../app-info-context';
import { useNodeSilentSince } from '../node-stopped-context';
import { ProductMark } from '../icons/product-mark';
import { HostBadge } from './host-badge';
import { LockButton } from './lock-button';

function vaultLabel(phase: VaultPhase): string {
  switch (phase) {
    case 'absent':
      return 'No vault yet';
    case 'locked':
      return 'Vault locked';
    case 'unlocked':
      return 'Vault unlocked';
  }
}

export function roleLabel(role: OperatorRole): string {
  switch (role) {
    case 'admin':
      return 'Administrator';
    case 'clinician':
      return 'Clinician';
    case 'researcher':
      return 'Researcher';
    case 'auditor':
      return 'Auditor';
  }
}

/**
 * The banner landmark on every screen: product, host, and the vault's state at a glance. While the
 * vault is open it also says who is working and offers "Lock" (unless `session` is false, as on the
 * recovery key screen, which must be finished first).
 */
export function AppHeader({ session = true }: { session?: boolean }) {
  const info = useAppInfo();
  const phase = useVaultPhase();
  const operator = useCurrentOperator();
  const open = session && phase === 'unlocked';
  const silent = useNodeSilentSince() !== null;
  return (
    <header className="app-header">
      <div className="app-header__brand">
        <ProductMark />
        <span className="app-header__name">{info.productName}</span>
        <HostBadge host={info.host} />
      </div>
      <div className="app-header__status">
        {silent ? <span className="status-chip status-chip--silent">Node not responding</span> : <span className={`status-chip status-chip--${phase}`}>{vaultLabel(phase)}</span>}
        {open && operator !== null && (
          <span className="app-header__operator">
            <span className="app-header__operator-name">{operator.name}</span>{' '}
            <span className="app-header__operator-role">({roleLabel(operator.role)})</span>
          </span>
        )}
        {open && <LockButton />}
      </div>
    </header>
  );
}
