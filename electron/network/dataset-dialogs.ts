/**
 * The desktop app's native folder dialog for saving a received dataset, given to the body by
 * electron/main.ts (the only place that may import `electron`). The browser shell has none: there
 * the folder's path is typed.
 */
export interface DatasetDialogsPort {
  /** A folder to save a dataset into, or null when the user cancelled. */
  chooseFolder(): Promise<string | null>;
}
