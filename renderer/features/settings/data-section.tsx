import { useId, useState } from 'react';
import { useAction } from '../../app/use-action';
import { ActionError } from '../../app/vault-errors';
import { useCurrentOperator, useVault } from '../../vault/vault-context';
import type { SyncProgress } from '../../vault/vault-service';
import { ImportDemoControl } from '../demo-data/import-demo-control';
import { useVaultEmpty } from '../demo-data/use-vault-empty';
import { BackupSettingsBlock } from './backup-settings-block';
import { JournalRecords } from './journal-records';

const numberFormat = new Intl.NumberFormat('en');

export { formatBytes } from './format-bytes';

/** The demo import while the vault is empty (asked once when Settings opens; an import under way stays on screen). */
function EmptyVaultDemo() {
  const vault = useVault();
  const empty = useVaultEmpty(vault);
  if (empty === null) return null;
  if (!empty) return <p>This vault holds messages or patients already: demo data can only be imported into an empty vault.</p>;
  return <ImportDemoControl />;
}

/** Demo data, the index, and backups (administrators: backups are theirs). */
/** `auditOnly`: an auditor's view, the journal's integrity counts only (their key slot opens no vault data). */
export function DataSection({ auditOnly = false }: { auditOnly?: boolean }) {
  const headingId = useId();
  const operator = useCurrentOperator();
  const demoId = useId();
  if (auditOnly) {
    return (
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>Data</h2>
        <JournalRecords />
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Data</h2>
      <div className="settings-block" role="group" aria-labelledby={demoId}>
        <h3 id={demoId}>Demo data</h3>
        <p className="muted">
          A synthetic population (no real people), fed through the same sealed intake path as real messages. Offered only
          while the vault is empty, so demo patients never mix with real ones.
        </p>
        <EmptyVaultDemo />
      </div>
      <RebuildIndex />
      <JournalRecords />
      {operator?.role === 'admin' && <BackupSettingsBlock />}
    </section>
  );
}

function RebuildIndex() {
  const vault = useVault();
  const headingId = useId();
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const rebuild = useAction(async () => {
    setProgress({ applied: 0, cursor: 0, done: false });
    const result = await vault.rebuildIndex((p) => setProgress(p));
    setProgress({ ...result, done: true });
  });
  return (
    <div className="settings-block" role="group" aria-labelledby={headingId}>
      <h3 id={headingId}>Search index</h3>
      <p className="muted">
        Rebuilding drops the search index and every view, and builds them again from the journal and the sealed
        objects. Search is unavailable until it finishes.
      </p>
      <div className="form-actions">
        <button type="button" className="button" disabled={rebuild.busy} onClick={() => void rebuild.run()}>
          Rebuild index
        </button>
      </div>
      {progress !== null && !progress.done && (
        <>
          <progress className="progress" aria-label="Index rebuild" />
          <p role="status">Rebuilding: {numberFormat.format(progress.applied)} journal records applied…</p>
        </>
      )}
      {progress?.done === true && rebuild.error === null && (
        <p role="status" className="note note--ok">
          Index rebuilt from {numberFormat.format(progress.applied)} journal records.
        </p>
      )}
      <ActionError error={rebuild.error} />
    </div>
  );
}
