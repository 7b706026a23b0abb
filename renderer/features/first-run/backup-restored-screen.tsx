import { useEffect, useRef } from 'react';
import { AppHeader } from '../../app/layout/app-header';
import type { ErasureRegisterSource } from '../../../shared/ipc/vault-contract';
import { hrefForPath } from '../../app/router/hash-route';
import type { RestoreOutcome } from '../../vault/vault-service';
import { ledgerTime } from '../ledger/ledger-format';
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
 * What the restore rewound (tester T2 S35 F3): the vault is as it was when the backup was made, so
 * the signed ledger entries made after it are not here. Where they are, and what the node does.
 */
export function ledgerRewindSentences(backupCreatedAt: string, ledgerSeq: number): { made: string; missing: string } {
  const ends = ledgerSeq === 0 ? 'it holds no ledger entry' : `its ledger ends at entry ${count.format(ledgerSeq)}`;
  return {
    made: `This backup was made ${ledgerTime(backupCreatedAt)} (this computer’s time); ${ends}.`,
    missing:
      'Ledger entries this node signed after the backup (the accesses, exports, erasures and other acts since) are not in this vault: they remain in the ledger exports made since and, for a member of a network, in the network notary’s log. ' +
      'Before it signs anything new, a node that is a member of a network here fetches its later entries back from the notary and continues after them; otherwise the ledger continues from the backup’s last entry, and its “Backup restored” entry says that the chain may branch there.',
  };
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
  const rewind = ledgerRewindSentences(outcome.backupCreatedAt, outcome.ledgerSeq);
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
          <p>{rewind.made}</p>
          <p>{rewind.missing}</p>
          {noSchedule && (
            <div className="note note--warn">
              <p>
                {NO_SCHEDULE_WARNING}. {NO_SCHEDULE_REASON}
              </p>
              <p>
                {/* Continue first, so the app opens on Settings. */}
                <a href={hrefForPath('settings')} onClick={onContinue}>
                  Set them in Settings › Data › Backup
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
