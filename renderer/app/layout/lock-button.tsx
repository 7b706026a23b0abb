import { useId, useState } from 'react';
import { useVault } from '../../vault/vault-context';
import { useImportsRunning, type ImportsRunning } from '../imports-at-lock';
import { useModalDialog } from '../use-modal-dialog';

/**
 * "Lock" in the header. While an import runs it asks first (QA-12 D2): locking ends the session the
 * import sends with, so the files not yet sent are not imported. Auto-lock does not ask; it locks.
 */
export function LockButton() {
  const vault = useVault();
  const running = useImportsRunning();
  const [asking, setAsking] = useState(false);
  // The import ended while the question was open: nothing to ask any more, and nothing left to ask later.
  if (asking && running === null) setAsking(false);
  return (
    <>
      <button type="button" className="button" onClick={() => (running === null ? vault.lock() : setAsking(true))}>
        Lock
      </button>
      {asking && running !== null && (
        <LockDuringImportDialog
          running={running}
          onLock={() => {
            setAsking(false);
            vault.lock();
          }}
          onKeepWorking={() => setAsking(false)}
        />
      )}
    </>
  );
}

function LockDuringImportDialog({ running, onLock, onKeepWorking }: { running: ImportsRunning; onLock: () => void; onKeepWorking: () => void }) {
  const dialog = useModalDialog();
  const titleId = useId();
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onKeepWorking();
      }}
    >
      <h2 id={titleId}>Lock while an import runs?</h2>
      <p>
        An import is running: {running.done} of {running.total} {running.total === 1 ? 'file' : 'files'} done. Locking stops it; the rest is
        not imported. After you unlock, you are told how many files to import again.
      </p>
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={onLock}>
          Lock anyway
        </button>
        <button type="button" className="button button--primary" onClick={onKeepWorking}>
          Keep working
        </button>
      </div>
    </dialog>
  );
}
