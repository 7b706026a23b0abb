import type { SettingChange } from '../../shared/journal/audit-meta';
import type { BackupSchedule, BackupSettings } from '../../shared/ipc/vault-contract';

/** The longest value a change record keeps (SettingChangeSchema): longer ones end in "…". */
const MAX_VALUE_CHARS = 500;
/** At most this many changed fields per record (SettingsAuditMetaSchema). */
const MAX_CHANGES = 32;

/**
 * A settings value as the ledger shows it: numbers and words as they are, lists joined, an AE
 * title with its address as "TITLE@address", a map as "key → value" pairs. Listener settings hold
 * ports, addresses, AE titles, sizes and charsets: no PHI, no path.
 */
export function settingWords(value: unknown): string {
  const text = wordsOf(value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

function wordsOf(value: unknown): string {
  if (value === undefined || value === null) return '(not set)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(wordsOf).join(', ');
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record['aeTitle'] === 'string' && typeof record['address'] === 'string' && Object.keys(record).length === 2) return `${record['aeTitle']}@${record['address']}`;
    const entries = Object.entries(record);
    return entries.length === 0 ? '(none)' : entries.map(([key, item]) => `${key === '' ? '(no issuer)' : key} → ${wordsOf(item)}`).join(', ');
  }
  return String(value);
}

/**
 * The fields of `after` whose value differs from `before`'s, old → new in words (in `after`'s key
 * order). `describe` may give a field its own words (the backup destination: never its path).
 */
export function settingChanges<T extends object>(before: T, after: T, describe: (field: string, value: unknown) => string = (_field, value) => settingWords(value)): SettingChange[] {
  const changes: SettingChange[] = [];
  const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  for (const field of keys) {
    const from = (before as Record<string, unknown>)[field];
    const to = (after as Record<string, unknown>)[field];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes.push({ field: field.slice(0, 64), from: describe(field, from), to: describe(field, to) });
    if (changes.length === MAX_CHANGES) break;
  }
  return changes;
}

/** A backup schedule in words: "off", "daily at 02:00", "every 6 hours". */
export function scheduleWords(schedule: BackupSchedule): string {
  if (schedule.kind === 'daily') return `daily at ${schedule.at}`;
  if (schedule.kind === 'hours') return schedule.every === 1 ? 'every hour' : `every ${schedule.every} hours`;
  return 'off';
}

/**
 * What changed in the backup settings. The destination is a folder path, which may hold a user's
 * name: it reads "default folder" or "chosen folder" ("another chosen folder" when one chosen
 * folder replaced another), never the path.
 */
export function backupSettingChanges(before: BackupSettings, after: BackupSettings): SettingChange[] {
  return settingChanges(before, after, (field, value) => {
    if (field === 'destination') {
      if (value === null || value === undefined) return 'default folder';
      return value === after.destination && before.destination !== null ? 'another chosen folder' : 'chosen folder';
    }
    if (field === 'schedule') return scheduleWords(value as BackupSchedule);
    return settingWords(value);
  });
}
