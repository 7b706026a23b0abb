import { useEffect, useId, useRef, useState } from 'react';
import { CreateVaultForm, type CreateVaultInput } from './create-vault-form';
import type { RestoreBackupInput } from '../../vault/vault-service';
import { RestoreBackupForm } from './restore-backup-form';

/**
 * Where the vault gets created, or restored from a backup. One form at a time, so there is only
 * ever one "Passphrase" field on screen.
 */
export function VaultSetupSection({ onCreate, onRestore }: { onCreate: (input: CreateVaultInput) => Promise<void>; onRestore: (input: RestoreBackupInput) => Promise<void> }) {
  const headingId = useId();
  const [mode, setMode] = useState<'create' | 'restore'>('create');
  // The button that switched forms is gone: the focus goes to the new form's heading, not to the
  // page (QA s32 #9). Not on the first render: the first-run screen keeps its own start.
  const heading = useRef<HTMLHeadingElement>(null);
  const switched = useRef(false);
  useEffect(() => {
    if (switched.current) heading.current?.focus();
    switched.current = true;
  }, [mode]);
  return (
    <section className="panel panel--lead first-run__section" aria-labelledby={headingId}>
      {mode === 'create' ? (
        <>
          <h2 id={headingId} ref={heading} tabIndex={-1}>
            Create the vault
          </h2>
          <p>
            The vault keeps everything this node receives, encrypted on this computer. Choose a passphrase to open it;
            next you get a one-time recovery key.
          </p>
          <CreateVaultForm onCreate={onCreate} />
          <div className="setup-alternative">
            <p className="muted">Moving an existing node to this computer?</p>
            <button type="button" className="button" onClick={() => setMode('restore')}>
              Restore from a backup
            </button>
          </div>
        </>
      ) : (
        <>
          <h2 id={headingId} ref={heading} tabIndex={-1}>
            Restore from a backup
          </h2>
          <RestoreBackupForm onBack={() => setMode('create')} onRestore={onRestore} />
        </>
      )}
    </section>
  );
}
