/**
 * The desktop app's native dialogs for backups, given to the body by electron/main.ts (the only
 * place that may import `electron`). The browser shell has none: there the destination is a typed
 * folder path and a restore picks from the backups listed in the destination.
 */
export interface BackupDialogsPort {
  /** A folder for backups, or null when the user cancelled. */
  chooseFolder(): Promise<string | null>;
  /** A `.hdmsbak` file to restore, or null when the user cancelled. */
  chooseBackupFile(): Promise<string | null>;
  /** An erasure register (`hdms-erasure-register.json`) for a restore of a backup moved away from it, or null when cancelled. */
  chooseRegisterFile(): Promise<string | null>;
}
