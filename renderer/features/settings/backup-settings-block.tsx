import { useCallback, useEffect, useRef, useState } from 'react';
import { ContractError } from '../../../shared/ipc/errors';
import type { BackupSettings, BackupStatus } from '../../../shared/ipc/vault-contract';
import { prefixedProblem, refusalProblems, type FieldProblem, type FieldSpecs } from '../../app/form/field-problems';
import { useApi, useBodyEvent } from '../../app/api-context';
import { CopyButton } from '../../app/copy-button';
import { ErrorNote } from '../../app/error-note';
import { SubmitRow } from '../../app/form/submit-row';
import { TextField } from '../../app/form/text-field';
import { useSettingsDraft } from '../../app/form/use-settings-draft';
import { useAction } from '../../app/use-action';
import { ActionError, vaultErrorMessage } from '../../app/vault-errors';
import { useVault } from '../../vault/vault-context';
import { ChoiceGroup } from './choice-group';
import { formatBytes } from './format-bytes';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** "Last backup: 4 Mar 2026, 02:30 (scheduled, 1.2 MB)." and the failure after it, if any: what Settings and the unlock screen show. */
export function describeBackupStatus(status: BackupStatus): { last: string; failure: string | null; next: string | null; erasureRecord: string | null } {
  const last =
    status.last === null
      ? // A restored vault has backups, made elsewhere: the status knows only this computer's.
        'No backup made on this computer yet.'
      : `Last backup: ${when.format(new Date(status.last.at))} (${status.last.scheduled ? 'scheduled' : 'made by hand'}, ${formatBytes(status.last.bytes)}).`;
  const failure = status.failure === null ? null : `The backup of ${when.format(new Date(status.failure.at))} failed: ${status.failure.reason}`;
  const next = status.nextAt === null ? null : `Next scheduled backup: ${when.format(new Date(status.nextAt))}.`;
  const erasureRecord = status.erasureRecord === null ? null : `Since ${when.format(new Date(status.erasureRecord.at))}: ${status.erasureRecord.reason}`;
  return { last, failure, next, erasureRecord };
}

/**
 * The body's backup status: loaded, again whenever `refresh` changes, and kept current by
 * `backup.statusChanged` (a scheduled backup failing while the lock screen is open, a failed
 * Export backup), which the body pushes after every change.
 */
export function useBackupStatus(refresh: unknown = 0): { status: BackupStatus | null; error: unknown } {
  const api = useApi();
  const [status, setStatus] = useState<BackupStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  // An answer to a request sent before a push is older than the push: it is dropped.
  const pushes = useRef(0);
  const pushed = useCallback((next: BackupStatus) => {
    pushes.current++;
    setStatus(next);
    setError(null);
  }, []);
  useBodyEvent('backup.statusChanged', pushed);
  useEffect(() => {
    let current = true;
    const pushesBefore = pushes.current;
    api.backup.status({}).then(
      (answer) => {
        if (current && pushes.current === pushesBefore) {
          setStatus(answer);
          setError(null);
        }
      },
      (failure: unknown) => {
        if (current) setError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [api, refresh]);
  return { status, error };
}

/**
 * The status lines (role=status) of Settings. The box warns while the last attempt failed or the
 * destination was found unavailable (the next backup fails too); `failureShownBy` hides the failure
 * line while the Export button says the same words (the reason once, where the user looks: H6 F3).
 */
export function BackupStatusNote({ status, destinationUnavailable, failureShownBy }: { status: BackupStatus; destinationUnavailable: boolean; failureShownBy: string | null }) {
  const text = describeBackupStatus(status);
  const warn = status.failure !== null || destinationUnavailable;
  return (
    <>
      <p role="status" className={warn ? 'note note--warn' : status.last === null ? 'note' : 'note note--ok'}>
        {[text.last, text.next].filter((line) => line !== null).join(' ')}
      </p>
      {text.failure !== null && status.failure?.reason !== failureShownBy && (
        <p role="alert" className="note note--error">
          {text.failure}
        </p>
      )}
      {text.erasureRecord !== null && (
        <p role="alert" className="note note--error">
          {text.erasureRecord}
        </p>
      )}
    </>
  );
}

/** The Backup block's heading: where "Go to Backup" takes the focus. */
export const BACKUP_HEADING_ID = 'settings-backup-heading';

/**
 * The first words of the warning that no backup is scheduled on this computer: the backup
 * settings (backup-settings.json) stay with each computer and are not part of a backup, so a
 * restored node makes none until an administrator sets a destination and a schedule (QA s32 #3).
 */
export const NO_SCHEDULE_WARNING = 'Scheduled backups are not set on this computer';

export const NO_SCHEDULE_REASON =
  'Backup settings are not part of a backup (the old destination may not exist on this computer), so no backup is made until an administrator sets a destination and a schedule.';

/**
 * At the top of Settings for an administrator, while the node schedules no backup (nextAt null
 * with a vault): the warning, and a button to the Backup block below.
 */
export function ScheduledBackupsWarning() {
  const { status } = useBackupStatus();
  if (status === null || status.nextAt !== null) return null;
  const goToBackup = (): void => {
    const heading = document.getElementById(BACKUP_HEADING_ID);
    heading?.scrollIntoView?.({ block: 'start' });
    heading?.focus();
  };
  return (
    <div className="panel note note--warn" role="note" aria-label="Scheduled backups">
      <p>
        {NO_SCHEDULE_WARNING}. {NO_SCHEDULE_REASON}
      </p>
      <button type="button" className="button" onClick={goToBackup}>
        Go to Backup
      </button>
    </div>
  );
}

type ScheduleKind = BackupSettings['schedule']['kind'];

interface Draft {
  destination: string;
  kind: ScheduleKind;
  at: string;
  every: string;
  keep: string;
}

function draftOf(settings: BackupSettings): Draft {
  return {
    destination: settings.destination ?? '',
    kind: settings.schedule.kind,
    at: settings.schedule.kind === 'daily' ? settings.schedule.at : '02:00',
    every: settings.schedule.kind === 'hours' ? String(settings.schedule.every) : '24',
    keep: String(settings.keep),
  };
}

export function backupChangeOf(draft: Draft): Partial<BackupSettings> {
  const destination = draft.destination.trim();
  const schedule: BackupSettings['schedule'] =
    draft.kind === 'daily' ? { kind: 'daily', at: draft.at.trim() } : draft.kind === 'hours' ? { kind: 'hours', every: Number(draft.every) } : { kind: 'off' };
  return { destination: destination === '' ? null : destination, schedule, keep: Number(draft.keep) };
}

type BackupField = 'destination' | 'at' | 'every' | 'keep';

/** The fields as a person reads them; `schedule` is how the contract names the time and the hours. */
const FIELDS: FieldSpecs<BackupField | 'schedule'> = {
  destination: { label: 'Destination folder' },
  schedule: { label: 'Scheduled backups' },
  at: { label: 'Time of day' },
  every: { label: 'Hours between backups' },
  keep: { label: 'Scheduled backups to keep' },
};

/** Each field's problem, with its label, in the form's order (the fields not shown have none). */
export function backupDraftProblems(draft: Draft): FieldProblem<BackupField>[] {
  const problems: FieldProblem<BackupField>[] = [];
  if (draft.destination.trim() !== '' && !/^(?:[A-Za-z]:[\\/]|\\\\|\/)/.test(draft.destination.trim())) {
    problems.push({ field: 'destination', message: 'Destination folder: give a full folder path, or leave it empty.' });
  }
  if (draft.kind === 'daily' && !/^(?:[01]\d|2[0-3]):[0-5]\d$/.test(draft.at.trim())) problems.push({ field: 'at', message: 'Time of day: give it as HH:MM, e.g. 02:30.' });
  if (draft.kind === 'hours' && !(/^\d{1,3}$/.test(draft.every.trim()) && Number(draft.every) >= 1 && Number(draft.every) <= 168)) {
    problems.push({ field: 'every', message: 'Hours between backups: a whole number from 1 to 168.' });
  }
  if (!(/^\d{1,4}$/.test(draft.keep.trim()) && Number(draft.keep) >= 1 && Number(draft.keep) <= 1000)) problems.push({ field: 'keep', message: 'Scheduled backups to keep: a whole number from 1 to 1000.' });
  return problems;
}

/** What stops the form from being sent: the first field problem. */
export function backupDraftProblem(draft: Draft): string | null {
  return backupDraftProblems(draft)[0]?.message ?? null;
}

/**
 * The body's refusal of a save, at the field it concerns: its own words prefixed with the field
 * ("destination: there is no folder…") or its schema's (a path and a code); null for anything else.
 */
function refusedProblems(error: unknown, kind: ScheduleKind): FieldProblem<BackupField>[] | null {
  if (!(error instanceof ContractError) || error.code !== 'E_BAD_REQUEST') return null;
  // The contract's `schedule.at` and `schedule.every` are the form's own fields.
  const message = error.message.replace(/\bschedule\.(at|every)\b/g, '$1');
  const read = refusalProblems(message, FIELDS) ?? [prefixedProblem(message, FIELDS)].filter((problem) => problem !== null);
  if (read.length === 0) return null;
  // The schedule as a whole is the time of day or the hours, whichever the form shows.
  const scheduleField: BackupField | null = kind === 'daily' ? 'at' : kind === 'hours' ? 'every' : null;
  return read.map((problem) => (problem.field === 'schedule' ? { field: scheduleField, message: problem.message } : { field: problem.field, message: problem.message }));
}

/**
 * What "Check again" found, after "Checked the destination at …: ". The reason is a sentence of
 * its own; the same reason as the failure shown above is not said twice.
 */
function checkWords(checked: { available: boolean; reason: string | null }, status: BackupStatus | null): string {
  if (checked.available) return 'available; the next backup goes there.';
  if (checked.reason === null) return 'not available (no reason given).';
  if (checked.reason === status?.failure?.reason) return 'still not available.';
  return `not available. ${checked.reason.charAt(0).toUpperCase()}${checked.reason.slice(1)}`;
}

const SCHEDULES = [
  { value: 'off', label: 'Off' },
  { value: 'daily', label: 'Daily at a time' },
  { value: 'hours', label: 'Every N hours' },
] as const;

/**
 * Settings › Data › Backup (administrators): the last backup's status, where backups go, the
 * schedule and retention, and a backup made now. Scheduled backups are made by the node itself
 * (sealed to the vault's public key), whether or not anyone is signed in.
 */
export function BackupSettingsBlock() {
  const api = useApi();
  const vault = useVault();
  const [refresh, setRefresh] = useState(0);
  const { status, error: statusError } = useBackupStatus(refresh);
  const { loaded, draft, saved, save, change, submit } = useSettingsDraft({
    load: () => api.backup.getSettings({}),
    store: async (next: Partial<BackupSettings>) => {
      const answer = await api.backup.updateSettings(next);
      setRefresh((n) => n + 1);
      return answer;
    },
    draftOf,
    changeOf: backupChangeOf,
    problemOf: backupDraftProblem,
  });
  // A scheduled backup due now (a new schedule) is made within moments: look again shortly after a
  // save, and every half minute while Settings is open (the body makes them on its own).
  useEffect(() => {
    if (!saved) return;
    const timer = setTimeout(() => setRefresh((n) => n + 1), 2_000);
    return () => clearTimeout(timer);
  }, [saved]);
  useEffect(() => {
    const timer = setInterval(() => setRefresh((n) => n + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  const choose = useAction(async () => {
    const chosen = await api.backup.choose({ what: 'folder' });
    if (chosen.path !== null) change({ destination: chosen.path });
  });
  const [written, setWritten] = useState<{ path: string; bytes: number } | null>(null);
  const [checked, setChecked] = useState<{ available: boolean; reason: string | null; checkedAt: string } | null>(null);
  const exportNow = useAction(async () => {
    setWritten(null);
    // An earlier check's result is older than this attempt, which says the same or better.
    setChecked(null);
    setWritten(await vault.exportBackup());
    setRefresh((n) => n + 1);
  });
  // "Check again" checks the destination now (the check a backup makes first, nothing written) and
  // loads the status again: a share mounted again reads as available before the next backup (QA s32 #6).
  const check = useAction(async () => {
    setChecked(null);
    exportNow.clearError();
    setRefresh((n) => n + 1);
    setChecked(await api.backup.checkDestination({}));
  });
  // Each field's own problem: the draft's, else what the body refused when it was sent.
  const problems = draft === null ? [] : backupDraftProblems(draft);
  const refused = draft === null ? null : refusedProblems(save.error, draft.kind);
  const problemOf = (field: BackupField): string | null => (problems.find((p) => p.field === field) ?? refused?.find((p) => p.field === field))?.message ?? null;

  return (
    <div className="settings-block" role="group" aria-labelledby={BACKUP_HEADING_ID}>
      <h3 id={BACKUP_HEADING_ID} tabIndex={-1}>
        Backup
      </h3>
      <p className="muted">
        One encrypted file holding the whole vault. It opens only with an operator’s passphrase or the recovery key;
        restore it on the first-run screen of a new installation. Scheduled backups are made by the node itself,
        also while the vault is locked: they are sealed to the vault’s public key, so no passphrase is kept for them.
      </p>
      {status !== null && (
        <BackupStatusNote
          status={status}
          destinationUnavailable={checked?.available === false}
          failureShownBy={exportNow.error === null ? null : vaultErrorMessage(exportNow.error)}
        />
      )}
      {statusError !== null && <ErrorNote error={statusError} what="The backup status could not be loaded" />}
      {status !== null && (
        <button type="button" className="link-button" disabled={check.busy} onClick={() => void check.run()}>
          Check again
        </button>
      )}
      {check.busy && <p role="status">Checking the destination…</p>}
      {checked !== null && (
        <p role="status" className={checked.available ? 'note note--ok' : 'note note--error'}>
          Checked the destination at {when.format(new Date(checked.checkedAt))}: {checkWords(checked, status)}
        </p>
      )}
      <ActionError error={check.error} />
      {loaded.phase === 'loading' && <p role="status">Loading the backup settings…</p>}
      {loaded.phase === 'failed' && <ErrorNote error={loaded.error} what="The backup settings could not be loaded" />}
      {loaded.phase === 'ready' && draft !== null && (
        <form className="form subform" aria-label="Backup settings" onSubmit={submit} noValidate>
          <TextField
            label="Destination folder"
            value={draft.destination}
            onValue={(destination) => change({ destination })}
            spellCheck={false}
            autoComplete="off"
            hint={
              <>
                The full path of an existing folder, e.g. a network share. Empty: <code className="path">{loaded.answer.defaultFolder}</code>.
              </>
            }
            problem={problemOf('destination')}
          />
          {loaded.answer.dialogs && (
            <div className="form-actions">
              <button type="button" className="button" disabled={choose.busy} onClick={() => void choose.run()}>
                Choose folder…
              </button>
            </div>
          )}
          <ActionError error={choose.error} />
          <ChoiceGroup<ScheduleKind>
            legend="Scheduled backups"
            name="backup-schedule"
            choices={SCHEDULES}
            value={draft.kind}
            onChange={(kind) => change({ kind })}
            description="Times are this computer’s. A backup missed while the app was not running is made as soon as it runs again."
          />
          {draft.kind === 'daily' && (
            <TextField label="Time of day" value={draft.at} onValue={(at) => change({ at })} className="field--narrow" autoComplete="off" hint="HH:MM, 24-hour clock." problem={problemOf('at')} />
          )}
          {draft.kind === 'hours' && (
            <TextField label="Hours between backups" value={draft.every} onValue={(every) => change({ every })} inputMode="numeric" className="field--narrow" hint="1 to 168." problem={problemOf('every')} />
          )}
          <TextField
            label="Scheduled backups to keep"
            value={draft.keep}
            onValue={(keep) => change({ keep })}
            inputMode="numeric"
            className="field--narrow"
            hint="Older scheduled backups in the destination are deleted. Backups made by hand are never deleted."
            problem={problemOf('keep')}
          />
          <SubmitRow label="Save backup settings" problem={backupDraftProblem(draft)} busy={save.busy} busyText="Saving…" />
          {saved && <p className="saved-note">Backup settings saved.</p>}
          {/* A refusal the fields show already is not repeated. */}
          {(refused === null || refused.some((p) => p.field === null)) && <ActionError error={save.error} />}
        </form>
      )}
      {/* Apart from the form above: Export backup saves nothing of it (H6 F6). */}
      <h4 className="settings-subheading">Back up now</h4>
      <p className="muted">One backup into the destination folder now, whatever the schedule. It is never deleted by retention.</p>
      <div className="form-actions">
        <button type="button" className="button" disabled={exportNow.busy} onClick={() => void exportNow.run()}>
          Export backup
        </button>
        {exportNow.busy && <p role="status">Writing the backup…</p>}
      </div>
      {written !== null && (
        <div className="note note--ok">
          <p role="status">
            Backup written ({formatBytes(written.bytes)}) to <code className="path">{written.path}</code>
          </p>
          <CopyButton variant="path" value={written.path} label="Copy backup path" />
        </div>
      )}
      <ActionError error={exportNow.error} />
    </div>
  );
}
