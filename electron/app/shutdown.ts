export interface ShutdownDeps {
  /** Stops the body (flushes journal and log). */
  readonly stopBody: () => Promise<void>;
  /** `app.exit`: ends the process without raising 'before-quit' again. */
  readonly exit: (code: number) => void;
  /** Told when stopping failed or timed out; the process exits anyway. */
  readonly onStopProblem?: (problem: 'failed' | 'timeout', errorClass?: string) => void;
  /** A body that hangs must not keep a quit from happening forever. */
  readonly timeoutMs?: number;
}

export interface Shutdown {
  /** True once a real quit has begun (closing the window then really closes it). */
  isQuitting(): boolean;
  /** For app 'before-quit': the first call cancels Electron's quit and runs ours instead. */
  onBeforeQuit(event: { preventDefault(): void }): void;
  /** Starts the quit (tray, signals, fatal error); the same promise on every call. */
  quit(exitCode?: number): Promise<void>;
}

/**
 * Graceful shutdown in one place: whatever starts it (the tray, Cmd+Q, 'before-quit', SIGINT,
 * SIGTERM, a fatal error), the body is stopped exactly once and awaited, then the process exits.
 */
export function createShutdown(deps: ShutdownDeps): Shutdown {
  let quitting: Promise<void> | undefined;
  const timeoutMs = deps.timeoutMs ?? 10_000;

  const quit = (exitCode = 0): Promise<void> => {
    quitting ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        timer.unref?.();
      });
      try {
        const outcome = await Promise.race([deps.stopBody().then(() => 'stopped' as const), timeout]);
        if (outcome === 'timeout') deps.onStopProblem?.('timeout');
      } catch (error) {
        deps.onStopProblem?.('failed', (error as Error)?.name ?? 'Error');
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      deps.exit(exitCode);
    })();
    return quitting;
  };

  return {
    isQuitting: () => quitting !== undefined,
    onBeforeQuit(event) {
      // Electron's own quit would end the process before the body has flushed: cancel it and
      // finish with app.exit() once the body has stopped. app.exit() raises no second 'before-quit'.
      event.preventDefault();
      void quit(0);
    },
    quit,
  };
}
