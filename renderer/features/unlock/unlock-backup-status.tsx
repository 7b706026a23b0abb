import { describeBackupStatus, useBackupStatus } from '../settings/backup-settings-block';

/**
 * The unlock screen's line for an administrator: when the last backup was made (and whether the
 * last attempt failed), so IT sees a backup problem before signing in. Times and sizes only.
 */
export function UnlockBackupStatus() {
  const { status } = useBackupStatus();
  if (status === null) return null;
  const text = describeBackupStatus(status);
  return (
    <div className="unlock__backup" aria-label="Backups">
      <p className="muted" role="status">
        {text.last}
      </p>
      {text.failure !== null && (
        <p className="note note--error" role="alert">
          {text.failure}
        </p>
      )}
      {text.erasureRecord !== null && (
        <p className="note note--error" role="alert">
          {text.erasureRecord}
        </p>
      )}
    </div>
  );
}
