/**
 * The desktop app's native save dialog for an export's copy (issue 11 F4), given to the body by
 * electron/main.ts (the only place that may import `electron`). The browser shell has none: there
 * the page downloads the file (its window may, the desktop app's refuses every download).
 */
export interface ExportDialogsPort {
  /** Where to save a copy of the export named `defaultName`, or null when the user cancelled. */
  chooseSaveFile(defaultName: string): Promise<string | null>;
}
