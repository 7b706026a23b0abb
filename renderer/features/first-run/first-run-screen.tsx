import { useId } from 'react';
import { useAppInfo } from '../../app/app-info-context';
import { InstallationFacts } from '../../app/installation-facts';
import { AppHeader } from '../../app/layout/app-header';
import type { RestoreBackupInput } from '../../vault/vault-service';
import type { CreateVaultInput } from './create-vault-form';
import { IntakeSummary } from './intake-summary';
import { VaultSetupSection } from './vault-setup-section';

/** The first screen while the data folder holds no vault: what this node is, creating (or restoring) the vault, its facts. */
export function FirstRunScreen({
  onCreate,
  onRestore,
  onExplore,
}: {
  onCreate: (input: CreateVaultInput) => Promise<void>;
  onRestore: (input: RestoreBackupInput) => Promise<void>;
  onExplore: () => void;
}) {
  const info = useAppInfo();
  const factsHeadingId = useId();
  return (
    <div className="first-run-page">
      <AppHeader session={false} />
      <main className="first-run">
        <h1>Welcome to HDMS Node</h1>
        <p className="lead">
          HDMS Node is your clinic’s or institute’s place in a health-data network. It receives HL7 v2 messages, DICOM
          studies and medical device readings, and keeps them in an encrypted vault on this computer. Every significant
          act, from intake to sharing, is recorded as a signed ledger entry that outsiders can verify.
        </p>
        <div className="first-run__grid">
          <VaultSetupSection onCreate={onCreate} onRestore={onRestore} />
          <IntakeSummary />
          <section className="panel first-run__section" aria-labelledby={factsHeadingId}>
            <h2 id={factsHeadingId}>This installation</h2>
            <InstallationFacts info={info} />
          </section>
        </div>
        <div className="first-run__actions">
          <button type="button" className="button button--secondary" onClick={onExplore}>
            Explore the app
          </button>
          <p className="muted">Look around the areas first. This screen returns at the next start until a vault exists.</p>
        </div>
      </main>
    </div>
  );
}
