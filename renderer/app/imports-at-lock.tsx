import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useVault } from '../vault/vault-context';

/** The running imports together: files done of files chosen (what "Lock" asks about). */
export interface ImportsRunning {
  readonly done: number;
  readonly total: number;
}

/** An import a lock stopped, kept for the operator who ran it: counts only, never a file or folder name. */
export interface StoppedImport {
  readonly notImported: number;
  readonly total: number;
}

/** One import while it runs: its progress, whether a lock stopped it, and its end. */
export interface ImportRun {
  progress(done: number, total: number): void;
  /** True once the vault locked (by hand or auto-lock) while this import ran: it must stop sending. */
  stoppedByLock(): boolean;
  /** The import ended; after a lock, the files it did not import are told to its operator at the next unlock. */
  finish(notImported: number): void;
}

interface Running {
  readonly operatorId: string;
  total: number;
  done: number;
  locked: boolean;
}

/**
 * Imports that go on while the operator works elsewhere (DICOM files, a CD) and what a lock does to
 * them (QA-12 D2). A lock ends the operator's session with the body, so an import cannot go on
 * through it: the lock stops it (auto-lock still locks), "Lock" by hand asks first while one runs,
 * and the next unlock by the same operator is told how many files were not imported. Only counts
 * and the operator's id outlive the lock: the file names stay with the import, which ends.
 */
export class ImportsAtLock {
  private readonly runs = new Set<Running>();
  private readonly stopped = new Map<string, StoppedImport>();
  private readonly listeners = new Set<() => void>();
  private snapshot: ImportsRunning | null = null;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The imports running now (a lock has not stopped), or null. Stable between changes. */
  running(): ImportsRunning | null {
    return this.snapshot;
  }

  start(operatorId: string, total: number): ImportRun {
    const run: Running = { operatorId, total, done: 0, locked: false };
    this.runs.add(run);
    this.changed();
    return {
      progress: (done, total) => {
        if (run.done === done && run.total === total) return;
        run.done = done;
        run.total = total;
        this.changed();
      },
      stoppedByLock: () => run.locked,
      finish: (notImported) => {
        if (!this.runs.delete(run)) return;
        if (run.locked && notImported > 0) {
          const before = this.stopped.get(run.operatorId);
          this.stopped.set(run.operatorId, { notImported: notImported + (before?.notImported ?? 0), total: run.total + (before?.total ?? 0) });
        }
        this.changed();
      },
    };
  }

  /** The vault locked: every running import stops at its next step. */
  locked(): void {
    let any = false;
    for (const run of this.runs) {
      if (!run.locked) any = true;
      run.locked = true;
    }
    if (any) this.changed();
  }

  /** What a lock stopped of this operator's imports, or null. */
  stoppedFor(operatorId: string): StoppedImport | null {
    return this.stopped.get(operatorId) ?? null;
  }

  dismiss(operatorId: string): void {
    if (this.stopped.delete(operatorId)) this.changed();
  }

  private changed(): void {
    const active = [...this.runs].filter((run) => !run.locked);
    const next = active.length === 0 ? null : { done: active.reduce((sum, run) => sum + run.done, 0), total: active.reduce((sum, run) => sum + run.total, 0) };
    const before = this.snapshot;
    if (next === null || before === null ? next !== before : next.done !== before.done || next.total !== before.total) this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}

const ImportsAtLockContext = createContext<ImportsAtLock | null>(null);

/** One ImportsAtLock per window, told of every lock (the vault's own auto-lock included). */
export function ImportsAtLockProvider({ children }: { children: ReactNode }) {
  const vault = useVault();
  const [imports] = useState(() => new ImportsAtLock());
  useEffect(
    () =>
      vault.subscribe(() => {
        if (vault.phase() !== 'unlocked') imports.locked();
      }),
    [vault, imports],
  );
  return <ImportsAtLockContext.Provider value={imports}>{children}</ImportsAtLockContext.Provider>;
}

export function useImportsAtLock(): ImportsAtLock {
  const imports = useContext(ImportsAtLockContext);
  if (imports === null) throw new Error('useImportsAtLock() needs an <ImportsAtLockProvider> above it.');
  return imports;
}

/** The imports running now, re-rendering the caller as they progress. */
export function useImportsRunning(): ImportsRunning | null {
  const imports = useImportsAtLock();
  const subscribe = useCallback((listener: () => void) => imports.subscribe(listener), [imports]);
  return useSyncExternalStore(subscribe, () => imports.running());
}

/** What a lock stopped of this operator's imports, re-rendering when it changes. */
export function useStoppedImport(operatorId: string | null): StoppedImport | null {
  const imports = useImportsAtLock();
  const subscribe = useCallback((listener: () => void) => imports.subscribe(listener), [imports]);
  return useSyncExternalStore(subscribe, () => (operatorId === null ? null : imports.stoppedFor(operatorId)));
}

/** "N of M files were not imported": said after the unlock that follows the lock. */
export function stoppedImportText(stopped: StoppedImport): string {
  const files = stopped.total === 1 ? 'file' : 'files';
  const were = stopped.notImported === 1 ? 'was' : 'were';
  return (
    `A DICOM import was stopped when the vault locked: ${stopped.notImported} of ${stopped.total} ${files} ${were} not imported. ` +
    'Choose the same files or folder again under Imaging › Import DICOM files to import the rest; those already stored are recognised as duplicates.'
  );
}
