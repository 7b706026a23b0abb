import { useEffect, useRef } from 'react';
import { AppHeader } from '../../app/layout/app-header';
import type { ErasureRegisterSource } from '../../../shared/ipc/vault-contract';
import { hrefForPath } from '../../app/router/hash-route';
import type { RestoreOutcome } from '../../vault/vault-service';
import { NO_SCHEDULE_REASON, NO_SCHEDULE_WARNING, useBackupStatus } from '../settings/backup-settings-block';

const count = new Intl.NumberFormat('en');

/**
 * The sentence about erasures: how many the restore applied again (the erasure register, README
 * "A restore re-applies erasures"), and plainly when it found no register to check them against.
 */
export function erasuresSentence(erasures: number, source: ErasureRegisterSource): string {
  if (source === 'none') {
    return 'Erasures made after this backup could not be checked: no erasure register was beside the backup file and none was chosen. A patient erased after this backup may be back: erase them again, or restore again into an empty data folder with the erasure register (hdms-erasure-register.json, kept beside the backups).';
  }
  if (erasures === 0) {
    return source === 'data-folder'
      ? 'No erasure in this data folder’s erasure register had to be applied again. No register was beside the backup file, so erasures made on the installation that wrote it were not checked.'
      : 'No erasure made after this backup had to be applied again.';
  }
  return `${count.format(erasures)} ${erasures === 1 ? 'erasure' : 'erasures'} made after this backup ${erasures === 1 ? 'was' : 'were'} applied again: ${erasures === 1 ? 'that patient stays' : 'those patients stay'} erased.`;
}

/**
 * Shown once, right after a restore, before the app opens: what came back and the erasures made
 * after the backup that the restore applied again (so IT sees that erased patients stayed erased).
 */
export function BackupRestoredScreen({ outcome, onContinue }: { outcome: RestoreOutcome; onContinue: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The backup settings stay with each computer: the restored node schedules none (QA s32 #3).
  const { status, error } = useBackupStatus();
  const noSchedule = error !== null || (status !== null && status.nextAt === null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="first-run-page">
      <AppHeader session={false} />
      <main className="first-run">
        <h1 ref={heading} tabIndex={-1}>
          Backup restored
        </h1>
        <section className="panel panel--lead" aria-label="What the restore did">
          <p role="status">The vault is back: {count.format(outcome.records)} journal records restored, with the same operators, passphrases and recovery key.</p>
          <p>{erasuresSentence(outcome.erasuresReapplied, outcome.erasureRegister)}</p>
          {noSchedule && (
            <div className="note note--warn">
              <p>
                {NO_SCHEDULE_WARNING}. {NO_SCHEDULE_REASON}
              </p>
              <p>
                {/* Continue first, so the app opens on Settings. */}
                <a href={hrefForPath('settings')} onClick={onContinue}>
                  Set them in Settings › Backup
                </a>
              </p>
            </div>
          )}
          <div className="form-actions">
            <button type="button" className="button button--primary" onClick={onContinue}>
              Continue
            </button>
          </div>
        </section>
      </main>
    </div>
  );
}
